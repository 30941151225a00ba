// The episode archive (migration 0002_archive): finished Episodes kept whole, keyed by uid. The
// operator writes them (an idempotent upsert, before any TTL deletes the Episode) and collects old
// rows per Channel; the gateway reads history pages and single records. The query building is pure
// (historyQuery) and apart from the I/O, which takes anything that answers pg's query().
import type { Pool } from 'pg';

type Queryable = Pick<Pool, 'query'>;

export const ARCHIVED_PHASES = ['Succeeded', 'Failed', 'Cancelled'] as const;
export type ArchivedPhase = (typeof ARCHIVED_PHASES)[number];

/** One finished Episode as the archive stores it. `object` is the whole Episode (JSON). */
export interface ArchiveRecord {
  uid: string;
  namespace: string;
  channel: string;
  name: string;
  phase: ArchivedPhase;
  topic: string;
  labels: Record<string, string>;
  object: unknown;
  totalCostUSD: number;
  videoId?: string;
  videoUrl?: string;
  resourceVersion: string;
  createdAt?: string;
  finishedAt: string;
}

/** A row of a history page: everything but the stored object. */
export interface ArchivedEpisodeRow {
  uid: string;
  namespace: string;
  channel: string;
  name: string;
  phase: ArchivedPhase;
  topic: string;
  labels: Record<string, string>;
  totalCostUSD: number;
  videoId?: string;
  videoUrl?: string;
  createdAt?: string;
  finishedAt: string;
  archivedAt: string;
}

export interface ArchivedEpisode extends ArchivedEpisodeRow {
  object: unknown;
  resourceVersion: string;
}

/** A label selector's requirement, as Kubernetes defines them (the caller parses the selector). */
export interface LabelRequirement {
  key: string;
  operator: 'in' | 'notin' | 'exists' | '!';
  values: string[];
}

/** Where the previous page ended: the last row's finished_at and uid (newest first). */
export interface HistoryCursor {
  finishedAt: string;
  uid: string;
}

export interface HistoryQuery {
  namespace: string;
  channel?: string;
  /** Only episodes finished at or after this time. */
  since?: Date;
  phase?: ArchivedPhase;
  labels?: LabelRequirement[];
  /** Words to find in name, topic and brief (web-search syntax: "quoted phrase", -excluded, or). */
  search?: string;
  limit: number;
  after?: HistoryCursor;
}

export interface HistoryPage {
  items: ArchivedEpisodeRow[];
  /** Present when there may be more: pass it as `after` for the next page. */
  next?: HistoryCursor;
}

/** Stores finished Episodes, or refreshes them when their resourceVersion changed. One statement. */
export async function archiveEpisodes(db: Queryable, records: ArchiveRecord[]): Promise<void> {
  if (!records.length) return;
  const rows = records.map((record) => ({
    uid: record.uid,
    namespace: record.namespace,
    channel: record.channel,
    name: record.name,
    phase: record.phase,
    topic: record.topic,
    labels: record.labels,
    object: record.object,
    total_cost_usd: record.totalCostUSD,
    video_id: record.videoId ?? null,
    video_url: record.videoUrl ?? null,
    resource_version: record.resourceVersion,
    created_at: record.createdAt ?? null,
    finished_at: record.finishedAt,
  }));
  await db.query(
    `INSERT INTO archived_episodes
       (uid, namespace, channel, name, phase, topic, labels, object, total_cost_usd, video_id, video_url,
        resource_version, created_at, finished_at)
     SELECT uid, namespace, channel, name, phase, topic, labels, object, total_cost_usd, video_id, video_url,
            resource_version, created_at, finished_at
       FROM jsonb_to_recordset($1::jsonb) AS r(
         uid text, namespace text, channel text, name text, phase text, topic text, labels jsonb, object jsonb,
         total_cost_usd numeric, video_id text, video_url text, resource_version text, created_at timestamptz,
         finished_at timestamptz)
     ON CONFLICT (uid) DO UPDATE SET
       namespace = excluded.namespace, channel = excluded.channel, name = excluded.name, phase = excluded.phase,
       topic = excluded.topic, labels = excluded.labels, object = excluded.object,
       total_cost_usd = excluded.total_cost_usd, video_id = excluded.video_id, video_url = excluded.video_url,
       resource_version = excluded.resource_version, created_at = excluded.created_at,
       finished_at = excluded.finished_at, archived_at = now()
     WHERE archived_episodes.resource_version IS DISTINCT FROM excluded.resource_version`,
    [JSON.stringify(rows)],
  );
}

const SUMMARY_COLUMNS = `uid, namespace, channel, name, phase, topic, labels, total_cost_usd::float8 AS total_cost_usd,
  video_id, video_url, created_at, finished_at, archived_at`;

/** The SQL and parameters of a history page (pure). */
export function historyQuery(query: HistoryQuery): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  const where = [`namespace = ${param(query.namespace)}`];
  if (query.channel !== undefined) where.push(`channel = ${param(query.channel)}`);
  if (query.phase !== undefined) where.push(`phase = ${param(query.phase)}`);
  if (query.since !== undefined) where.push(`finished_at >= ${param(query.since.toISOString())}`);
  for (const requirement of query.labels ?? []) where.push(labelCondition(requirement, param));
  if (query.search?.trim()) where.push(`search @@ websearch_to_tsquery('english'::regconfig, ${param(query.search.trim())})`);
  if (query.after) where.push(`(finished_at, uid) < (${param(query.after.finishedAt)}::timestamptz, ${param(query.after.uid)})`);
  // One more than asked: whether a next page exists, without counting.
  const limit = param(query.limit + 1);
  return {
    text: `SELECT ${SUMMARY_COLUMNS} FROM archived_episodes WHERE ${where.join(' AND ')} ORDER BY finished_at DESC, uid DESC LIMIT ${limit}`,
    values,
  };
}

function labelCondition(requirement: LabelRequirement, param: (value: unknown) => string): string {
  const { key, operator, values } = requirement;
  switch (operator) {
    case 'exists':
      return `labels ? ${param(key)}`;
    case '!':
      return `NOT (labels ? ${param(key)})`;
    case 'in':
      // One value is the common k=v: containment uses the GIN index.
      if (values.length === 1) return `labels @> ${param(JSON.stringify({ [key]: values[0] }))}::jsonb`;
      return `labels ->> ${param(key)} = ANY(${param(values)}::text[])`;
    case 'notin':
      // As Kubernetes: an object without the key matches too.
      return `coalesce(labels ->> ${param(key)} <> ALL(${param(values)}::text[]), true)`;
  }
}

export async function historyPage(db: Queryable, query: HistoryQuery): Promise<HistoryPage> {
  const { text, values } = historyQuery(query);
  const result = await db.query(text, values);
  const rows = result.rows.slice(0, query.limit).map(summaryRow);
  const last = rows.at(-1);
  return { items: rows, next: result.rows.length > query.limit && last ? { finishedAt: last.finishedAt, uid: last.uid } : undefined };
}

/** One archived Episode of a namespace, with its stored object; undefined when there is none. */
export async function archivedEpisode(db: Queryable, namespace: string, uid: string): Promise<ArchivedEpisode | undefined> {
  const result = await db.query(
    `SELECT ${SUMMARY_COLUMNS}, object, resource_version FROM archived_episodes WHERE namespace = $1 AND uid = $2`,
    [namespace, uid],
  );
  const row = result.rows[0] as Record<string, unknown> | undefined;
  if (!row) return undefined;
  return { ...summaryRow(row), object: row.object, resourceVersion: row.resource_version as string };
}

/** Which of these uids are archived, and at which resourceVersion. */
export async function archivedVersions(db: Queryable, uids: string[]): Promise<Map<string, string>> {
  if (!uids.length) return new Map();
  const result = await db.query(`SELECT uid, resource_version FROM archived_episodes WHERE uid = ANY($1::text[])`, [uids]);
  return new Map(result.rows.map((row: { uid: string; resource_version: string }) => [row.uid, row.resource_version]));
}

/**
 * Deletes a Channel's archived episodes that finished before `before`, in batches (short
 * transactions, no long lock), and returns how many went.
 */
export async function deleteArchivedBefore(
  db: Queryable,
  scope: { namespace: string; channel: string; before: Date; batchSize?: number },
): Promise<number> {
  const batch = scope.batchSize ?? 1000;
  let deleted = 0;
  for (;;) {
    const result = await db.query(
      `DELETE FROM archived_episodes WHERE uid IN (
         SELECT uid FROM archived_episodes WHERE namespace = $1 AND channel = $2 AND finished_at < $3 LIMIT $4)`,
      [scope.namespace, scope.channel, scope.before.toISOString(), batch],
    );
    deleted += result.rowCount ?? 0;
    if ((result.rowCount ?? 0) < batch) return deleted;
  }
}

function iso(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  return value instanceof Date ? value.toISOString() : new Date(value as string).toISOString();
}

function summaryRow(row: Record<string, unknown>): ArchivedEpisodeRow {
  return {
    uid: row.uid as string,
    namespace: row.namespace as string,
    channel: row.channel as string,
    name: row.name as string,
    phase: row.phase as ArchivedPhase,
    topic: row.topic as string,
    labels: (row.labels as Record<string, string>) ?? {},
    totalCostUSD: Number(row.total_cost_usd),
    videoId: (row.video_id as string | null) ?? undefined,
    videoUrl: (row.video_url as string | null) ?? undefined,
    createdAt: iso(row.created_at),
    finishedAt: iso(row.finished_at)!,
    archivedAt: iso(row.archived_at)!,
  };
}
