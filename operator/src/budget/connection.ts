// The operator's hold on PostgreSQL: it migrates at start under the advisory lock (two replicas
// starting together migrate once), and keeps trying while the database cannot be reached, so that
// an operator that starts before PostgreSQL runs its free stages meanwhile. Until the schema is
// there, every use of the ledger fails with why, and paid stages wait (LedgerUnavailable).
import { migrate, type Database } from '@acog/db';
import { Ledger } from '@acog/db/ledger';
import { backoffDelay, sleep } from '@acog/kube/backoff';
import type { Logger } from '@acog/kube';

export class LedgerConnection {
  readonly database: Database;
  private readonly ledger: Ledger;
  private migrated = false;
  private lastError: string | undefined;
  private readonly stopping = new AbortController();
  private readonly done: Promise<void>;

  constructor(database: Database, log: Logger) {
    this.database = database;
    this.ledger = new Ledger(database);
    this.done = this.migrateUntilDone(log);
  }

  /** The ledger, once the schema is up to date; else an Error saying why it is not. */
  get(): Ledger {
    if (!this.migrated) throw new Error(`the database is not migrated yet${this.lastError ? `: ${this.lastError}` : ''}`);
    return this.ledger;
  }

  isMigrated(): boolean {
    return this.migrated;
  }

  /** Resolves once migrated (or stopped). */
  ready(): Promise<void> {
    return this.done;
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.done;
  }

  private async migrateUntilDone(log: Logger): Promise<void> {
    for (let attempt = 1; !this.stopping.signal.aborted; attempt++) {
      try {
        const applied = await migrate(this.database, { log: (message) => log.debug({ component: 'migrate' }, message) });
        this.migrated = true;
        this.lastError = undefined;
        log.info({ applied }, applied.length ? 'migrated the database' : 'the database schema is up to date');
        return;
      } catch (error) {
        this.lastError = (error as Error).message;
        const delayMs = backoffDelay(attempt, { baseDelayMs: 500, maxDelayMs: 15_000 });
        log.warn({ error: this.lastError, attempt, delayMs }, 'cannot migrate the database; paid stages wait until it can');
        await sleep(delayMs, this.stopping.signal).catch(() => undefined);
      }
    }
  }
}
