// A PostgreSQL database of a test's own, on the local control plane's server, so that test files
// never see each other's ledger rows or migrations.
import pg from 'pg';
import { localEnv, uniqueName } from './env.ts';

/** Creates an empty database on the local PostgreSQL and returns its URL. */
export async function createTestDatabase(prefix = 'acog-test'): Promise<string> {
  const base = new URL(localEnv().postgres.url);
  const name = uniqueName(prefix).replace(/-/g, '_');
  const admin = new pg.Client({ connectionString: base.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  base.pathname = `/${name}`;
  return base.toString();
}
