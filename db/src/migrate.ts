import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import type { Database } from './database.ts';

/** The numbered SQL files (`NNNN_name.sql`, `-- Up Migration` / `-- Down Migration` sections). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));

/** The table node-pg-migrate records applied migrations in. */
export const MIGRATIONS_TABLE = 'acog_migrations';

export interface MigrateOptions {
  /** Called with each message of the migration library (which migrations ran, or that none had to). */
  log?: (message: string) => void;
}

/**
 * Applies every migration in db/migrations/ not yet applied, in order, in one transaction, under
 * PostgreSQL's session advisory lock: a second process migrating at the same moment waits for the
 * first and then finds nothing left to do, so two operator replicas starting together migrate once.
 * Returns the names of the migrations this call applied.
 */
export async function migrate(db: Database, options: MigrateOptions = {}): Promise<string[]> {
  const client = await db.pool.connect();
  try {
    const log = options.log ?? (() => {});
    const applied = await runner({
      dbClient: client,
      dir: MIGRATIONS_DIR,
      migrationsTable: MIGRATIONS_TABLE,
      direction: 'up',
      checkOrder: true,
      singleTransaction: true,
      advisoryLockMode: 'wait',
      logger: { debug: () => {}, info: log, warn: log, error: log },
    });
    return applied.map((migration) => migration.name);
  } finally {
    client.release();
  }
}
