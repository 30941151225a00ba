// Pulse events and the operator's decisions about them (migration 0003_pulse). The gateway stores
// each delivery's events in one statement, unique on (source, id), before it answers; the operator
// matches them per Channel in seq order, under a row lock of the Channel's cursor (pulse_channels), and
// records one decision per (event, Channel) in the same transaction that moves the cursor.
import type { Pool, PoolClient } from 'pg';

type Queryable = Pick<Pool, 'query'>;

/** An event as stored (the wire format's fields; `@acog/api`'s PulseEvent has this shape). */
export interface PulseEventInput {
  source: string;
  id: string;
  title: string;
  url: string;
  summary?: string;
  score: number;
  keywords: string[];
  publishedAt: string;
}

export interface StoredPulseEvent extends Required<PulseEventInput> {
  seq: number;
  receivedAt: string;
}

export interface PulseDecision {
  source: string;
  eventId: string;
  namespace: string;
  channel: string;
  channelUid: string;
  outcome: 'created' | 'skipped';
  reason: string;
  message: string;
  ruleIndex?: number;
  episode?: string;
  /** YYYY-MM-DD in the Channel's timezone. */
  day: string;
}

/**
 * Stores a delivery's events; those whose (source, id) is stored already are duplicates and change
 * nothing. One statement, so a delivery is stored whole or not at all, and the events get their seq
 * in the order of the delivery.
 */
export async function storePulseEvents(db: Queryable, events: PulseEventInput[]): Promise<{ accepted: number; duplicates: number }> {
  if (!events.length) return { accepted: 0, duplicates: 0 };
  const rows = events.map((event) => ({
    source: event.source,
    id: event.id,
    title: event.title,
    url: event.url,
    summary: event.summary ?? '',
    score: event.score,
    keywords: event.keywords,
    published_at: event.publishedAt,
  }));
  const result = await db.query(
    `INSERT INTO pulse_events (source, id, title, url, summary, score, keywords, published_at)
     SELECT e ->> 'source', e ->> 'id', e ->> 'title', e ->> 'url', e ->> 'summary', (e ->> 'score')::float8,
            ARRAY(SELECT jsonb_array_elements_text(e -> 'keywords')), (e ->> 'published_at')::timestamptz
       FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS r(e, n)
      ORDER BY r.n
     ON CONFLICT (source, id) DO NOTHING
     RETURNING seq`,
    [JSON.stringify(rows)],
  );
  const accepted = result.rowCount ?? 0;
  return { accepted, duplicates: events.length - accepted };
}

/** The newest event's seq (0 when there is none). */
export async function newestPulseSeq(db: Queryable): Promise<number> {
  const result = await db.query(`SELECT coalesce(max(seq), 0)::bigint AS seq FROM pulse_events`);
  return Number((result.rows[0] as { seq: string }).seq);
}

export interface PulseChannelRef {
  uid: string;
  namespace: string;
  name: string;
}

/**
 * Makes the Channel's cursor when it has none, at the newest event: events stored before its pulse
 * was first seen enabled are not matched for it. Returns the cursor.
 */
export async function ensurePulseChannel(db: Queryable, channel: PulseChannelRef): Promise<number> {
  const result = await db.query(
    `INSERT INTO pulse_channels (channel_uid, namespace, channel, cursor_seq)
     VALUES ($1, $2, $3, (SELECT coalesce(max(seq), 0) FROM pulse_events))
     ON CONFLICT (channel_uid) DO UPDATE SET channel_uid = excluded.channel_uid
     RETURNING cursor_seq`,
    [channel.uid, channel.namespace, channel.name],
  );
  return Number((result.rows[0] as { cursor_seq: string }).cursor_seq);
}

/** Channels whose pulse is off: their cursors follow the newest event, so what arrives meanwhile is never matched for them. */
export async function followNewestPulseEvent(db: Queryable, channelUids: string[]): Promise<void> {
  if (!channelUids.length) return;
  await db.query(
    `UPDATE pulse_channels SET cursor_seq = greatest(cursor_seq, (SELECT coalesce(max(seq), 0) FROM pulse_events)), updated_at = now()
      WHERE channel_uid = ANY($1::text[])`,
    [channelUids],
  );
}

/** One Channel's matching, inside a transaction that holds its cursor row locked. */
export class PulseChannelMatch {
  readonly cursor: number;
  private readonly client: PoolClient;
  private readonly uid: string;

  constructor(client: PoolClient, uid: string, cursor: number) {
    this.client = client;
    this.uid = uid;
    this.cursor = cursor;
  }

  /** The next events after the cursor, in seq order. */
  async eventsAfter(seq: number, limit: number): Promise<StoredPulseEvent[]> {
    const result = await this.client.query(
      `SELECT seq, source, id, title, url, summary, score, keywords, published_at, received_at
         FROM pulse_events WHERE seq > $1 ORDER BY seq LIMIT $2`,
      [seq, limit],
    );
    return result.rows.map(eventRow);
  }

  /** Episodes created for the Channel on `day`, per rule index. */
  async createdOn(day: string): Promise<Map<number, number>> {
    const result = await this.client.query(
      `SELECT rule_index, count(*)::int AS n FROM pulse_decisions
        WHERE channel_uid = $1 AND day = $2::date AND outcome = 'created' GROUP BY rule_index`,
      [this.uid, day],
    );
    return new Map(result.rows.map((row: { rule_index: number | null; n: number }) => [row.rule_index ?? -1, row.n]));
  }

  /** Records decisions (a decision already taken stays as it was) and moves the cursor to `seq`. */
  async record(decisions: PulseDecision[], seq: number): Promise<void> {
    await recordPulseDecisions(this.client, decisions);
    await this.client.query(`UPDATE pulse_channels SET cursor_seq = greatest(cursor_seq, $2), updated_at = now() WHERE channel_uid = $1`, [
      this.uid,
      seq,
    ]);
  }
}

/**
 * Runs `work` for one Channel with its cursor row locked (FOR UPDATE) and commits what it recorded;
 * a second replica's matching of the same Channel waits for it. `work` returns what it wants back.
 */
export async function matchPulseChannel<T>(
  pool: Pool,
  channel: PulseChannelRef,
  work: (match: PulseChannelMatch) => Promise<T>,
): Promise<T> {
  await ensurePulseChannel(pool, channel);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const locked = await client.query(`SELECT cursor_seq FROM pulse_channels WHERE channel_uid = $1 FOR UPDATE`, [channel.uid]);
    const cursor = Number((locked.rows[0] as { cursor_seq: string }).cursor_seq);
    const result = await work(new PulseChannelMatch(client, channel.uid, cursor));
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export async function recordPulseDecisions(db: Queryable, decisions: PulseDecision[]): Promise<void> {
  if (!decisions.length) return;
  const rows = decisions.map((d) => ({
    source: d.source,
    event_id: d.eventId,
    namespace: d.namespace,
    channel: d.channel,
    channel_uid: d.channelUid,
    outcome: d.outcome,
    reason: d.reason,
    message: d.message,
    rule_index: d.ruleIndex ?? null,
    episode: d.episode ?? null,
    day: d.day,
  }));
  await db.query(
    `INSERT INTO pulse_decisions (source, event_id, namespace, channel, channel_uid, outcome, reason, message, rule_index, episode, day)
     SELECT source, event_id, namespace, channel, channel_uid, outcome, reason, message, rule_index, episode, day
       FROM jsonb_to_recordset($1::jsonb) AS r(
         source text, event_id text, namespace text, channel text, channel_uid text, outcome text, reason text, message text,
         rule_index int, episode text, day date)
     ON CONFLICT (source, event_id, channel_uid) DO NOTHING`,
    [JSON.stringify(rows)],
  );
}

export interface PulseProposal {
  source: string;
  id: string;
  title: string;
  url: string;
  score: number;
  publishedAt: string;
}

/**
 * Events the Channel's rules matched but its daily limit held back: the schedule's topics when its
 * own run out. Best first (highest score, then newest).
 */
export async function pendingPulseProposals(db: Queryable, channelUid: string, limit: number): Promise<PulseProposal[]> {
  const result = await db.query(
    `SELECT e.source, e.id, e.title, e.url, e.score, e.published_at
       FROM pulse_decisions d JOIN pulse_events e ON e.source = d.source AND e.id = d.event_id
      WHERE d.channel_uid = $1 AND d.reason = 'DailyLimitReached'
      ORDER BY e.score DESC, e.published_at DESC, e.seq DESC LIMIT $2`,
    [channelUid, limit],
  );
  return result.rows.map((row: { source: string; id: string; title: string; url: string; score: number; published_at: Date }) => ({
    source: row.source,
    id: row.id,
    title: row.title,
    url: row.url,
    score: row.score,
    publishedAt: row.published_at.toISOString(),
  }));
}

/** What a Channel's archived Episodes covered: their topics and the URLs of their references. */
export async function archivedCoverage(db: Queryable, namespace: string, channel: string): Promise<{ topics: string[]; urls: string[] }> {
  const result = await db.query(
    `SELECT topic, coalesce((SELECT array_agg(ref ->> 'url') FROM jsonb_array_elements(
              CASE jsonb_typeof(object -> 'spec' -> 'references') WHEN 'array' THEN object -> 'spec' -> 'references' ELSE '[]'::jsonb END) AS ref
            WHERE ref ->> 'url' IS NOT NULL), '{}') AS urls
       FROM archived_episodes WHERE namespace = $1 AND channel = $2`,
    [namespace, channel],
  );
  const topics: string[] = [];
  const urls: string[] = [];
  for (const row of result.rows as { topic: string; urls: string[] }[]) {
    topics.push(row.topic);
    urls.push(...row.urls);
  }
  return { topics, urls };
}

function eventRow(row: {
  seq: string;
  source: string;
  id: string;
  title: string;
  url: string;
  summary: string;
  score: number;
  keywords: string[];
  published_at: Date;
  received_at: Date;
}): StoredPulseEvent {
  return {
    seq: Number(row.seq),
    source: row.source,
    id: row.id,
    title: row.title,
    url: row.url,
    summary: row.summary,
    score: row.score,
    keywords: row.keywords,
    publishedAt: row.published_at.toISOString(),
    receivedAt: row.received_at.toISOString(),
  };
}
