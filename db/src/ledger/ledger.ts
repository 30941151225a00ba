// The cost ledger and the budget reservations (db/migrations/0001_ledger.sql). Every write is
// idempotent on (episode uid, stage, attempt): recording an attempt twice, from two replicas or
// after a restart, leaves one row.
import type { Database } from '../database.ts';

export type AttemptOutcome = 'Succeeded' | 'Failed';

/** One finished stage attempt, as the ledger keeps it. */
export interface LedgerEntry {
  namespace: string;
  channel: string;
  episode: string;
  episodeUid: string;
  stage: string;
  attempt: number;
  outcome: AttemptOutcome;
  provider: string;
  model?: string;
  /** The runner's usage figures (tokens, characters, seconds, clips, ...), as result.json has them. */
  usage: Record<string, number>;
  costUSD: number;
  finishedAt: Date;
  /** 'YYYY-MM' of finishedAt in the Channel's timezone. */
  month: string;
}

export interface AttemptKey {
  episodeUid: string;
  stage: string;
  attempt: number;
}

export interface ReservationRequest extends AttemptKey {
  namespace: string;
  channel: string;
  episode: string;
  /** The month the stage starts in, in the Channel's timezone: month-to-date spend is this month's. */
  month: string;
  estimateUSD: number;
  /** The Channel's monthly limit; null without a budget (the reservation is still held, for the reserve). */
  limitUSD: number | null;
}

export interface ReservationDecision {
  /** True when the attempt holds a reservation now (new, or one it already had, or it is already recorded). */
  granted: boolean;
  /** Month-to-date spend of the Channel. */
  actualUSD: number;
  /** Estimates of the Channel's other paid attempts still running. */
  reservedUSD: number;
  estimateUSD: number;
  limitUSD: number | null;
}

export interface ChannelSpend {
  month: string;
  actualUSD: number;
  reservedUSD: number;
}

export interface MonthlySpend {
  namespace: string;
  channel: string;
  month: string;
  actualUSD: number;
  attempts: number;
}

export interface StageProviderSpend {
  channel: string;
  stage: string;
  provider: string;
  actualUSD: number;
  attempts: number;
}

/** The two keys of the budget's advisory locks: one class for ACOG budgets, one lock per Channel. */
const BUDGET_LOCK_CLASS = 0x41434f47; // "ACOG"

/** Usage keys that have columns of their own (for sums and indexes); all of it stays in `usage`. */
const USAGE_COLUMNS = {
  input_tokens: ['promptTokens', 'inputTokens'],
  output_tokens: ['completionTokens', 'outputTokens'],
  characters: ['characters'],
  seconds: ['seconds'],
  clips: ['clips'],
} as const;

function usageColumn(usage: Record<string, number>, names: readonly string[]): number | null {
  for (const name of names) if (typeof usage[name] === 'number' && Number.isFinite(usage[name])) return usage[name];
  return null;
}

const money = (value: string | number | null | undefined): number => Math.round(Number(value ?? 0) * 1e6) / 1e6;

export class Ledger {
  private readonly db: Database;

  constructor(db: Database) {
    this.db = db;
  }

  /**
   * Records finished attempts and, in the same statement, drops their reservations. An attempt
   * already recorded is left as it is. Returns how many rows were new.
   */
  async record(entries: readonly LedgerEntry[]): Promise<number> {
    if (!entries.length) return 0;
    const rows = entries.map((entry) => ({
      episode_uid: entry.episodeUid,
      stage: entry.stage,
      attempt: entry.attempt,
      namespace: entry.namespace,
      channel: entry.channel,
      episode: entry.episode,
      outcome: entry.outcome,
      provider: entry.provider,
      model: entry.model ?? null,
      usage: entry.usage,
      input_tokens: usageColumn(entry.usage, USAGE_COLUMNS.input_tokens),
      output_tokens: usageColumn(entry.usage, USAGE_COLUMNS.output_tokens),
      characters: usageColumn(entry.usage, USAGE_COLUMNS.characters),
      seconds: usageColumn(entry.usage, USAGE_COLUMNS.seconds),
      clips: usageColumn(entry.usage, USAGE_COLUMNS.clips),
      cost_usd: entry.costUSD,
      finished_at: entry.finishedAt.toISOString(),
      month: entry.month,
    }));
    const { rows: result } = await this.db.pool.query<{ inserted: string }>(
      `WITH input AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(
           episode_uid text, stage text, attempt integer, namespace text, channel text, episode text, outcome text,
           provider text, model text, usage jsonb, input_tokens bigint, output_tokens bigint, characters bigint,
           seconds numeric, clips integer, cost_usd numeric, finished_at timestamptz, month text)
       ),
       inserted AS (
         INSERT INTO ledger (episode_uid, stage, attempt, namespace, channel, episode, outcome, provider, model, usage,
                             input_tokens, output_tokens, characters, seconds, clips, cost_usd, finished_at, month)
         SELECT episode_uid, stage, attempt, namespace, channel, episode, outcome, provider, model, usage,
                input_tokens, output_tokens, characters, seconds, clips, cost_usd, finished_at, month FROM input
         ON CONFLICT (episode_uid, stage, attempt) DO NOTHING
         RETURNING 1
       ),
       released AS (
         DELETE FROM budget_reservations r USING input i
         WHERE r.episode_uid = i.episode_uid AND r.stage = i.stage AND r.attempt = i.attempt
         RETURNING 1
       )
       SELECT (SELECT count(*) FROM inserted) AS inserted, (SELECT count(*) FROM released) AS released`,
      [JSON.stringify(rows)],
    );
    return Number(result[0].inserted);
  }

  /** The attempts of an Episode the ledger holds. */
  async recordedAttempts(episodeUid: string): Promise<AttemptKey[]> {
    const { rows } = await this.db.pool.query<{ stage: string; attempt: number }>(
      'SELECT stage, attempt FROM ledger WHERE episode_uid = $1 ORDER BY stage, attempt',
      [episodeUid],
    );
    return rows.map((row) => ({ episodeUid, stage: row.stage, attempt: row.attempt }));
  }

  /**
   * The budget gate's one atomic step: under the Channel's advisory lock (held to the end of the
   * transaction), the attempt reserves its estimate when month-to-date spend + the reserve of the
   * Channel's running paid attempts + the estimate fit the limit. Two attempts of one Channel
   * asking at the same moment are decided one after the other, each seeing the other's reservation.
   * An attempt that holds a reservation already, or is recorded already, is granted again.
   */
  async reserve(request: ReservationRequest): Promise<ReservationDecision> {
    const client = await this.db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1::integer, hashtext($2))', [
        BUDGET_LOCK_CLASS,
        `${request.namespace}/${request.channel}`,
      ]);
      const { rows } = await client.query<{ actual: string; reserved: string; held: boolean; inserted: boolean }>(
        `WITH spend AS (
           SELECT
             (SELECT coalesce(sum(cost_usd), 0) FROM ledger WHERE namespace = $1 AND channel = $2 AND month = $3) AS actual,
             (SELECT coalesce(sum(estimate_usd), 0) FROM budget_reservations
               WHERE namespace = $1 AND channel = $2 AND NOT (episode_uid = $5 AND stage = $6 AND attempt = $7)) AS reserved,
             (EXISTS (SELECT 1 FROM budget_reservations WHERE episode_uid = $5 AND stage = $6 AND attempt = $7)
               OR EXISTS (SELECT 1 FROM ledger WHERE episode_uid = $5 AND stage = $6 AND attempt = $7)) AS held
         ),
         inserted AS (
           INSERT INTO budget_reservations (episode_uid, stage, attempt, namespace, channel, episode, month, estimate_usd)
           SELECT $5, $6, $7, $1, $2, $4, $3, $8 FROM spend
           WHERE NOT held AND ($9::numeric IS NULL OR actual + reserved + $8::numeric <= $9::numeric)
           RETURNING 1
         )
         SELECT actual, reserved, held, EXISTS (SELECT 1 FROM inserted) AS inserted FROM spend`,
        [
          request.namespace,
          request.channel,
          request.month,
          request.episode,
          request.episodeUid,
          request.stage,
          request.attempt,
          request.estimateUSD,
          request.limitUSD,
        ],
      );
      await client.query('COMMIT');
      const row = rows[0];
      return {
        granted: row.held || row.inserted,
        actualUSD: money(row.actual),
        reservedUSD: money(row.reserved),
        estimateUSD: request.estimateUSD,
        limitUSD: request.limitUSD,
      };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * Drops the Channel's reservations older than `olderThanMs` whose attempt is not among
   * `running` (the attempt was abandoned: a cancel, a spec change, an Episode deleted). Returns how
   * many went.
   */
  async releaseAbandoned(namespace: string, channel: string, running: readonly AttemptKey[], olderThanMs: number): Promise<number> {
    const keys = running.map((key) => `${key.episodeUid}/${key.stage}/${key.attempt}`);
    const { rowCount } = await this.db.pool.query(
      `DELETE FROM budget_reservations
       WHERE namespace = $1 AND channel = $2 AND reserved_at < now() - make_interval(secs => $3::double precision / 1000)
         AND NOT (episode_uid || '/' || stage || '/' || attempt = ANY ($4::text[]))`,
      [namespace, channel, olderThanMs, keys],
    );
    return rowCount ?? 0;
  }

  /** Month-to-date spend of a Channel and the reserve of its paid attempts still running. */
  async channelSpend(namespace: string, channel: string, month: string): Promise<ChannelSpend> {
    const { rows } = await this.db.pool.query<{ actual: string; reserved: string }>(
      `SELECT
         (SELECT coalesce(sum(cost_usd), 0) FROM ledger WHERE namespace = $1 AND channel = $2 AND month = $3) AS actual,
         (SELECT coalesce(sum(estimate_usd), 0) FROM budget_reservations WHERE namespace = $1 AND channel = $2) AS reserved`,
      [namespace, channel, month],
    );
    return { month, actualUSD: money(rows[0].actual), reservedUSD: money(rows[0].reserved) };
  }

  /** Spend per Channel per month of a namespace (one Channel when given), for the given months. */
  async monthlySpend(namespace: string, months: readonly string[], channel?: string): Promise<MonthlySpend[]> {
    const { rows } = await this.db.pool.query<{ channel: string; month: string; actual: string; attempts: string }>(
      `SELECT channel, month, sum(cost_usd) AS actual, count(*) AS attempts FROM ledger
       WHERE namespace = $1 AND month = ANY ($2::text[]) AND ($3::text IS NULL OR channel = $3)
       GROUP BY channel, month ORDER BY channel, month`,
      [namespace, months, channel ?? null],
    );
    return rows.map((row) => ({
      namespace,
      channel: row.channel,
      month: row.month,
      actualUSD: money(row.actual),
      attempts: Number(row.attempts),
    }));
  }

  /** Spend of one month per Channel, stage and provider. */
  async spendByStageAndProvider(namespace: string, month: string, channel?: string): Promise<StageProviderSpend[]> {
    const { rows } = await this.db.pool.query<{ channel: string; stage: string; provider: string; actual: string; attempts: string }>(
      `SELECT channel, stage, provider, sum(cost_usd) AS actual, count(*) AS attempts FROM ledger
       WHERE namespace = $1 AND month = $2 AND ($3::text IS NULL OR channel = $3)
       GROUP BY channel, stage, provider ORDER BY channel, stage, provider`,
      [namespace, month, channel ?? null],
    );
    return rows.map((row) => ({
      channel: row.channel,
      stage: row.stage,
      provider: row.provider,
      actualUSD: money(row.actual),
      attempts: Number(row.attempts),
    }));
  }
}
