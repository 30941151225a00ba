// The archive's I/O: finished Episodes go to PostgreSQL (an idempotent upsert keyed by uid), then,
// when their Channel sets spec.archive.ttlSecondsAfterFinished, the Episode object is deleted, but
// only the version that was archived (a precondition on uid and resourceVersion): a change after
// archiving makes the delete conflict, and the next round archives the change first. While
// PostgreSQL cannot be reached, the upsert fails, the work queue retries with backoff, and nothing
// is deleted. The finalizer acog.dev/archive (added by the Episode reconciler) goes once the row
// is stored, so a person's delete of a finished Episode waits for the archive instead of losing it.
// A periodic collection deletes archived rows older than a Channel's retentionDays.
import { archiveEpisodes, deleteArchivedBefore } from '@acog/db/archive';
import { EPISODES, GROUP, VERSION, type Channel, type Episode } from '@acog/api';
import { apiMessage, isConflict, isNotFound, MERGE_PATCH, type Informer, type KubeClients, type Logger } from '@acog/kube';
import type { OperatorMetrics } from '../observability/metrics.ts';
import { ARCHIVE_FINALIZER, archiveRecord, hasArchiveFinalizer, isFinished, retentionCutoff, ttlDecision } from './policy.ts';

/** What the archive writes to: anything that answers pg's query() (the Pool of @acog/db). */
export type ArchiveDatabase = Parameters<typeof archiveEpisodes>[0];

export interface ArchiverDeps {
  db: ArchiveDatabase;
  /** Whether the schema is there (the operator migrates at start, and keeps trying while PostgreSQL is down). */
  isMigrated: () => boolean;
  clients: KubeClients;
  episodes: Informer<Episode>;
  channels: Informer<Channel>;
  metrics: OperatorMetrics;
  log: Logger;
  requeueAfter: (key: string, delayMs: number) => void;
  now?: () => Date;
}

export class Archiver {
  private readonly deps: ArchiverDeps;
  /** uid → the resourceVersion last archived by this process: an unchanged Episode is not written again. */
  private readonly archived = new Map<string, string>();

  constructor(deps: ArchiverDeps) {
    this.deps = deps;
  }

  /** Whether an Episode event concerns the archive: it finished (or changed after), or its finalizer may go. */
  wants(episode: Episode): boolean {
    if (hasArchiveFinalizer(episode) && (isFinished(episode) || episode.metadata.deletionTimestamp)) return true;
    return isFinished(episode) && this.archived.get(episode.metadata.uid!) !== episode.metadata.resourceVersion;
  }

  async reconcile(key: string): Promise<void> {
    const episode = this.deps.episodes.get(key);
    if (!episode) return;
    // Deleted before it finished: nothing to archive, nothing to hold it for.
    if (!isFinished(episode)) {
      if (episode.metadata.deletionTimestamp && hasArchiveFinalizer(episode)) await this.releaseFinalizer(episode);
      return;
    }
    const { namespace, name, uid, resourceVersion } = episode.metadata as {
      namespace: string;
      name: string;
      uid: string;
      resourceVersion: string;
    };
    const channel = this.deps.channels.get(`${namespace}/${episode.spec.channelRef.name}`);
    // An Episode on its way out (a person deleted it, or the TTL did) is archived once, not again for
    // each finalizer removed.
    const going = !!episode.metadata.deletionTimestamp && this.archived.has(uid);
    if (!going && this.archived.get(uid) !== resourceVersion) {
      if (!this.deps.isMigrated())
        throw new Error(`cannot archive episode ${namespace}/${name} yet: the database is not migrated; it is kept until it is archived`);
      try {
        await archiveEpisodes(this.deps.db, [archiveRecord(episode)]);
      } catch (error) {
        this.deps.metrics.archiveWrites.inc({ result: 'error' });
        throw new Error(
          `cannot archive episode ${namespace}/${name} (PostgreSQL): ${(error as Error).message}; it is kept until it is archived`,
          {
            cause: error,
          },
        );
      }
      this.deps.metrics.archiveWrites.inc({ result: 'success' });
      this.remember(uid, resourceVersion);
      this.deps.log.debug({ namespace, episode: name, uid, phase: episode.status?.phase }, 'archived episode');
    }
    // The row is stored: the Episode may go (a deletion waiting for it proceeds). The watch brings
    // the patched Episode back, and with it the TTL.
    if (hasArchiveFinalizer(episode)) return this.releaseFinalizer(episode);
    if (episode.metadata.deletionTimestamp) return;
    const decision = ttlDecision(episode, channel, this.deps.now?.() ?? new Date());
    if (decision.action === 'wait') this.deps.requeueAfter(key, decision.delayMs + 50);
    if (decision.action !== 'delete') return;
    try {
      await this.deps.clients.custom.deleteNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: EPISODES.plural,
        namespace,
        name,
        propagationPolicy: 'Background',
        body: { preconditions: { uid, resourceVersion } },
      });
      this.deps.metrics.ttlDeletions.inc();
      this.deps.log.info(
        { namespace, episode: name, uid, ttlSeconds: channel?.spec.archive?.ttlSecondsAfterFinished },
        'deleted the finished episode after its TTL (it is in the archive)',
      );
    } catch (error) {
      // Gone already, or changed since it was archived: the watch brings the change, archived next.
      if (isNotFound(error) || isConflict(error)) return;
      throw new Error(`cannot delete episode ${namespace}/${name} after its TTL: ${apiMessage(error)}`, { cause: error });
    }
  }

  /** Deletes archived rows older than each Channel's retentionDays; returns how many went. */
  async collect(): Promise<number> {
    if (!this.deps.isMigrated()) return 0;
    const now = this.deps.now?.() ?? new Date();
    let total = 0;
    for (const channel of this.deps.channels.list()) {
      const before = retentionCutoff(channel, now);
      if (!before) continue;
      const { namespace, name } = channel.metadata as { namespace: string; name: string };
      try {
        const deleted = await deleteArchivedBefore(this.deps.db, { namespace, channel: name, before });
        total += deleted;
        this.deps.metrics.archiveCollected.inc(deleted);
        if (deleted)
          this.deps.log.info(
            { namespace, channel: name, deleted, before: before.toISOString(), retentionDays: channel.spec.archive?.retentionDays },
            'deleted archived episodes past their retention',
          );
      } catch (error) {
        this.deps.log.warn(
          { namespace, channel: name, error: (error as Error).message },
          'cannot collect archived episodes; trying at the next round',
        );
      }
    }
    return total;
  }

  /** Removes acog.dev/archive, on the version read (a conflict retries with the next). */
  private async releaseFinalizer(episode: Episode): Promise<void> {
    const { namespace, name, resourceVersion } = episode.metadata as { namespace: string; name: string; resourceVersion: string };
    const finalizers = (episode.metadata.finalizers ?? []).filter((f) => f !== ARCHIVE_FINALIZER);
    try {
      await this.deps.clients.custom.patchNamespacedCustomObject(
        {
          group: GROUP,
          version: VERSION,
          plural: EPISODES.plural,
          namespace,
          name,
          body: { metadata: { finalizers, resourceVersion } },
        },
        MERGE_PATCH,
      );
    } catch (error) {
      if (isNotFound(error)) return;
      throw new Error(`cannot remove the finalizer ${ARCHIVE_FINALIZER} of episode ${namespace}/${name}: ${apiMessage(error)}`, {
        cause: error,
      });
    }
  }

  private remember(uid: string, resourceVersion: string): void {
    if (this.archived.size >= 100_000) this.archived.delete(this.archived.keys().next().value!);
    this.archived.delete(uid);
    this.archived.set(uid, resourceVersion);
  }
}
