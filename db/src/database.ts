import pg from 'pg';

/** An open connection pool to ACOG's PostgreSQL database. */
export interface Database {
  readonly pool: pg.Pool;
  /** Ends every connection; the handle is unusable afterwards. */
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** postgres://user:password@host:port/database (libpq's URL form; `?sslmode=` and the like pass through). */
  url: string;
  /** Most connections this process keeps open. */
  maxConnections?: number;
  /** How long a query may wait for a connection before it fails (ms). */
  connectionTimeoutMs?: number;
  /** Called when an idle connection breaks (the server restarted or went away); the pool replaces it. */
  onIdleError?: (error: Error) => void;
}

/** Why `url` is not a PostgreSQL URL, without echoing it (it may hold a password); undefined when it is. */
export function databaseUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL: expected postgres://USER:PASSWORD@HOST:PORT/DATABASE';
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    return `has the scheme "${parsed.protocol.replace(/:$/, '')}": expected postgres://USER:PASSWORD@HOST:PORT/DATABASE`;
  }
  if (!parsed.hostname) return 'names no host: expected postgres://USER:PASSWORD@HOST:PORT/DATABASE';
  return undefined;
}

/**
 * Opens a pool to the database at `url`. Nothing connects until the first query, so a database that
 * is down surfaces as that query's error, never as a crash: an idle connection that breaks is
 * reported to `onIdleError` and dropped.
 */
export function openDatabase(options: DatabaseOptions): Database {
  const problem = databaseUrlProblem(options.url);
  if (problem) throw new Error(`the database URL ${problem}`);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
    application_name: 'acog',
  });
  pool.on('error', (error) => options.onIdleError?.(error));
  let closed: Promise<void> | undefined;
  return {
    pool,
    close: () => (closed ??= pool.end()),
  };
}
