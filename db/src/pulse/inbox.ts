// The Pulse inbox (migration 0003_pulse): what the operator decided for each pulse event and each
// Channel of a namespace, with the event, newest decision first, in keyset pages. Read by the
// gateway for the console's inbox and `kubectl acog pulse ls`. Events no Channel of the namespace
// decided on are not shown there: each namespace sees only its own decisions (tenancy).
import type { Pool } from 'pg';

type Queryable = Pick<Pool, 'query'>;

export type PulseOutcome = 'created' | 'skipped';

/** One (event, Channel) decision with its event. */
export interface PulseInboxItem {
  source: string;
  id: string;
  title: string;
  url: string;
  summary: string;
  score: number;
  keywords: string[];
  publishedAt: string;
  receivedAt: string;
  namespace: string;
  channel: string;
  outcome: PulseOutcome;
  /** CamelCase, like a Kubernetes reason: Created, SourceNotInRules, NoKeywordMatched, ... */
  reason: string;
  message: string;
  /** The Episode created (outcome created). */
  episode?: string;
  decidedAt: string;
}

/**
 * Where the previous page ended: the last row's decision time in microseconds since the epoch
 * (PostgreSQL keeps microseconds; a JavaScript Date would round them and skip or repeat rows) and
 * its key.
 */
export interface PulseInboxCursor {
  decidedAtMicros: string;
  source: string;
  eventId: string;
  channel: string;
}

export interface PulseInboxQuery {
  namespace: string;
  channel?: string;
  limit: number;
  after?: PulseInboxCursor;
}

export interface PulseInboxPage {
  items: PulseInboxItem[];
  /** Present when there may be more: pass it as `after` for the next page. */
  next?: PulseInboxCursor;
}

/** The SQL of one page (pure): newest decision first, ties by source, event id and Channel. */
export function pulseInboxQuery(query: PulseInboxQuery): { text: string; values: unknown[] } {
  const values: unknown[] = [query.namespace];
  const where = ['d.namespace = $1'];
  if (query.channel !== undefined) {
    values.push(query.channel);
    where.push(`d.channel = $${values.length}`);
  }
  if (query.after) {
    values.push(query.after.decidedAtMicros, query.after.source, query.after.eventId, query.after.channel);
    const n = values.length;
    where.push(
      `(d.decided_at, d.source, d.event_id, d.channel) < (timestamptz 'epoch' + $${n - 3}::bigint * interval '1 microsecond', $${n - 2}, $${n - 1}, $${n})`,
    );
  }
  values.push(query.limit + 1);
  const text = `SELECT e.source, e.id, e.title, e.url, e.summary, e.score, e.keywords, e.published_at, e.received_at,
       d.namespace, d.channel, d.outcome, d.reason, d.message, d.episode, d.decided_at,
       (extract(epoch FROM d.decided_at) * 1000000)::bigint::text AS decided_micros
  FROM pulse_decisions d JOIN pulse_events e ON e.source = d.source AND e.id = d.event_id
 WHERE ${where.join(' AND ')}
 ORDER BY d.decided_at DESC, d.source DESC, d.event_id DESC, d.channel DESC
 LIMIT $${values.length}`;
  return { text, values };
}

function iso(value: unknown): string {
  return value instanceof Date ? value.toISOString() : new Date(value as string).toISOString();
}

function inboxItem(row: Record<string, unknown>): PulseInboxItem {
  return {
    source: row.source as string,
    id: row.id as string,
    title: row.title as string,
    url: row.url as string,
    summary: row.summary as string,
    score: Number(row.score),
    keywords: row.keywords as string[],
    publishedAt: iso(row.published_at),
    receivedAt: iso(row.received_at),
    namespace: row.namespace as string,
    channel: row.channel as string,
    outcome: row.outcome as PulseOutcome,
    reason: row.reason as string,
    message: row.message as string,
    episode: (row.episode as string | null) ?? undefined,
    decidedAt: iso(row.decided_at),
  };
}

/** A page of a namespace's inbox (optionally one Channel's), newest decision first. */
export async function pulseInboxPage(db: Queryable, query: PulseInboxQuery): Promise<PulseInboxPage> {
  const { text, values } = pulseInboxQuery(query);
  const result = await db.query(text, values);
  const rows = result.rows as Record<string, unknown>[];
  const items = rows.slice(0, query.limit).map(inboxItem);
  const last = rows[Math.min(rows.length, query.limit) - 1];
  const next =
    rows.length > query.limit && last
      ? {
          decidedAtMicros: last.decided_micros as string,
          source: last.source as string,
          eventId: last.id as string,
          channel: last.channel as string,
        }
      : undefined;
  return { items, next };
}
