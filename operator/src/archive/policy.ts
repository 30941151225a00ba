// What the archive does with a finished Episode and its Channel's spec.archive, decided without
// I/O: the record to store, when the Episode object may go (ttlSecondsAfterFinished), and which
// archived rows are old enough to collect (retentionDays).
import type { ArchiveRecord, ArchivedPhase } from '@acog/db/archive';
import type { Channel, Episode } from '@acog/api';

const FINISHED = new Set<string>(['Succeeded', 'Failed', 'Cancelled']);

/**
 * Held on every Episode while the operator has an archive, from its first reconcile until its
 * finished object is in PostgreSQL (or it is deleted before finishing): a person's `kubectl delete`
 * between the end and the archive waits for the row instead of losing the Episode (docs/adr/0017).
 */
export const ARCHIVE_FINALIZER = 'acog.dev/archive';

export function hasArchiveFinalizer(episode: Episode): boolean {
  return (episode.metadata.finalizers ?? []).includes(ARCHIVE_FINALIZER);
}

/** Whether an Episode has finished (and so belongs in the archive). */
export function isFinished(episode: Episode): boolean {
  return FINISHED.has(episode.status?.phase ?? '');
}

/**
 * When the Episode finished: status.finishedAt, which the operator writes with the phase. An
 * Episode finished before that field existed falls back to its last stage's finish, then creation.
 */
export function finishedAt(episode: Episode): Date {
  const valid = (value: string | undefined) => {
    const date = value ? new Date(value) : undefined;
    return date && !Number.isNaN(date.getTime()) ? date : undefined;
  };
  const own = valid(episode.status?.finishedAt);
  if (own) return own;
  const stages = (episode.status?.stages ?? [])
    .map((stage) => valid(stage.finishedAt))
    .filter((date): date is Date => !!date)
    .sort((a, b) => b.getTime() - a.getTime());
  return stages[0] ?? new Date(episode.metadata.creationTimestamp ?? 0);
}

/** The archive's record of a finished Episode: the whole object, and the columns history filters on. */
export function archiveRecord(episode: Episode): ArchiveRecord {
  const { metadata, status } = episode;
  if (!isFinished(episode)) throw new Error(`episode ${metadata.namespace}/${metadata.name} has not finished: it is not archived`);
  // managedFields is the API server's bookkeeping of who wrote which field: large, and nobody's history.
  const { managedFields: _managedFields, ...keptMetadata } = metadata as typeof metadata & { managedFields?: unknown };
  return {
    uid: metadata.uid!,
    namespace: metadata.namespace!,
    channel: episode.spec.channelRef.name,
    name: metadata.name!,
    phase: status!.phase as ArchivedPhase,
    topic: episode.spec.topic,
    labels: { ...(metadata.labels ?? {}) },
    object: { apiVersion: episode.apiVersion, kind: episode.kind, metadata: keptMetadata, spec: episode.spec, status },
    totalCostUSD: status?.totalCostUSD ?? 0,
    videoId: status?.youtube?.videoId,
    videoUrl: status?.youtube?.url,
    resourceVersion: metadata.resourceVersion!,
    createdAt: metadata.creationTimestamp ? new Date(metadata.creationTimestamp).toISOString() : undefined,
    finishedAt: finishedAt(episode).toISOString(),
  };
}

export type TtlDecision = { action: 'keep' } | { action: 'delete' } | { action: 'wait'; delayMs: number };

/**
 * What the TTL says about a finished Episode now: keep it (no TTL), delete it (due), or wait.
 * Only an archived Episode is ever deleted; the caller archives first.
 */
export function ttlDecision(episode: Episode, channel: Channel | undefined, now: Date): TtlDecision {
  const ttl = channel?.spec.archive?.ttlSecondsAfterFinished;
  if (ttl === undefined || !isFinished(episode)) return { action: 'keep' };
  const due = finishedAt(episode).getTime() + ttl * 1000;
  const delayMs = due - now.getTime();
  return delayMs <= 0 ? { action: 'delete' } : { action: 'wait', delayMs };
}

/** Archived episodes of the Channel that finished before this time are collected; none without retentionDays. */
export function retentionCutoff(channel: Channel, now: Date): Date | undefined {
  const days = channel.spec.archive?.retentionDays;
  if (days === undefined) return undefined;
  return new Date(now.getTime() - days * 86_400_000);
}
