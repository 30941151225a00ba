// What the routes that read PostgreSQL (history, spend) share: the database or a 503 that says how
// to configure it, and PostgreSQL being down or not yet migrated as a 503 that says to try again.
import type { Database } from '@acog/db';
import type { GatewayDeps } from '../context.ts';
import { HttpError } from '../errors.ts';
import { ErrorSchema, jsonContent } from '../schemas.ts';

export const unavailableResponses = {
  503: jsonContent(
    ErrorSchema,
    'PostgreSQL is not configured, cannot be reached, or is not migrated yet; Retry-After says when to try again',
  ),
};

export function databaseOr503(deps: Pick<GatewayDeps, 'database'>): Database {
  if (!deps.database)
    throw new HttpError(
      503,
      'DatabaseNotConfigured',
      'the gateway has no database: start it with --database-url or ACOG_DATABASE_URL (the chart sets it from global.postgres)',
    );
  return deps.database;
}

const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/** Whether a pg error means the server cannot be used now (down, starting, shutting down, unreachable). */
export function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (CONNECTION_ERRNOS.has(code) || code.startsWith('08') || /^57P0[1-4]$/.test(code))) return true;
  return /timeout exceeded when trying to connect|Connection terminated|connection timeout/i.test((error as Error).message ?? '');
}

/** Runs a query; an unreachable or unmigrated database is a 503 with Retry-After, anything else stays an error. */
export async function databaseErrors<T>(query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (error) {
    if (isUnavailable(error))
      throw new HttpError(503, 'DatabaseUnavailable', `PostgreSQL cannot be reached (${(error as Error).message}); try again shortly`, {
        headers: { 'retry-after': '5' },
      });
    // 42P01: undefined table. The operator migrates at start; until then there is nothing to read.
    if ((error as { code?: unknown }).code === '42P01')
      throw new HttpError(503, 'DatabaseNotMigrated', 'the database has no ACOG tables yet: the operator creates them when it starts', {
        headers: { 'retry-after': '30' },
      });
    throw error;
  }
}
