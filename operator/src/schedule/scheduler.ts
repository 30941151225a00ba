// The schedule reconciler: for one Channel, acts on decideSchedule's answer — creates the slot's
// Episode (create-if-absent by its name, so a restart, a kill at the tick or a second replica never
// makes two), cancels the previous one under Replace, says in an Event why nothing was made — and
// records status.schedule. It runs on the leader only, on its own queue, woken at the next slot.
import { isDeepStrictEqual } from 'node:util';
import {
  API_VERSION,
  CHANNELS,
  EPISODES,
  GROUP,
  LABELS,
  ORIGIN_LABEL,
  SCHEDULE_ORIGIN,
  SCHEDULE_SLOT_ANNOTATION,
  VERSION,
  decideAction,
  labelValue,
  type Channel,
  type ChannelStatus,
  type Episode,
} from '@acog/api';
import {
  MERGE_PATCH,
  isConflict,
  isNotFound,
  statusCode,
  type EventRecorder,
  type Informer,
  type KubeClients,
  type Logger,
} from '@acog/kube';
import type { Clock } from './clock.ts';
import { decideSchedule, isScheduledEpisodeOf } from './decide.ts';
import type { TopicSource } from './topics.ts';

/** The longest the scheduler sleeps before looking again (clocks drift; a long timer is not kept). */
const MAX_WAIT_MS = 60 * 60_000;

export interface ScheduleReconcilerDeps {
  clients: KubeClients;
  channels: Informer<Channel>;
  episodes: Informer<Episode>;
  /** Scheduled Episodes of a Channel ("namespace/name") come from this index of the Episode cache. */
  channelIndex: string;
  events: EventRecorder;
  log: Logger;
  clock: Clock;
  topics: TopicSource;
  requeueAfter: (key: string, delayMs: number) => void;
}

type ScheduleStatus = NonNullable<ChannelStatus['schedule']>;

/** The Channel changed between the look and the status write: looked at again, not an error worth a warning. */
export class ScheduleConflict extends Error {}

export class ScheduleReconciler {
  private readonly deps: ScheduleReconcilerDeps;
  /** What was last said in an Event per Channel, so that a waiting slot is not announced on every look. */
  private readonly announced = new Map<string, string>();

  constructor(deps: ScheduleReconcilerDeps) {
    this.deps = deps;
  }

  async reconcile(key: string): Promise<void> {
    const channel = this.deps.channels.get(key);
    if (!channel || channel.metadata.deletionTimestamp) {
      this.announced.delete(key);
      return;
    }
    if (!channel.spec.schedule && !channel.status?.schedule) return;
    const now = this.deps.clock.now();
    const scheduled = this.deps.episodes.byIndex(this.deps.channelIndex, key).filter((episode) => isScheduledEpisodeOf(episode, channel));
    const decision = decideSchedule(channel, scheduled, now, this.deps.topics);
    const previous = channel.status?.schedule ?? {};
    const status: ScheduleStatus = {
      ...previous,
      topicsUsed: decision.topicsUsed,
      nextScheduleTime: decision.next?.toISOString(),
    };
    if (decision.unrecorded) this.record(status, decision.unrecorded.slot, decision.unrecorded.episode);
    const { action } = decision;
    switch (action.kind) {
      case 'idle':
      case 'suspended':
        break;
      case 'invalid':
        this.announce(channel, action.message, { type: 'Warning', reason: 'InvalidSchedule', message: action.message });
        break;
      case 'recorded':
        this.record(status, action.slot, action.episode);
        break;
      case 'missed':
        this.announce(channel, `missed ${action.slot.toISOString()}`, {
          type: 'Warning',
          reason: 'MissSchedule',
          message: `missed the scheduled time ${action.slot.toISOString()}: it is more than startingDeadlineSeconds (${action.deadlineSeconds}) ago; the next time is ${decision.next?.toISOString() ?? 'none'}`,
        });
        break;
      case 'forbidden':
        this.announce(channel, `forbidden ${action.slot.toISOString()}`, {
          type: 'Normal',
          reason: 'AlreadyActive',
          message: `not making the Episode for ${action.slot.toISOString()}: concurrencyPolicy is Forbid and ${action.active.join(', ')} has not finished`,
        });
        break;
      case 'no-topic':
        this.announce(channel, `no-topic ${action.slot.toISOString()}`, {
          type: 'Warning',
          reason: 'NoTopic',
          message: `no Episode for ${action.slot.toISOString()}: every entry of spec.schedule.topics is used (${decision.topicsUsed.length}); add topics to spec.schedule.topics`,
        });
        break;
      case 'create': {
        for (const episode of action.replace) await this.cancel(channel, episode, action.slot);
        const episode = await this.createEpisode(channel, action.name, action.topic, action.slot);
        this.record(status, action.slot, episode);
        if (decision.passedOver > 0)
          this.deps.log.info(
            { namespace: channel.metadata.namespace, channel: channel.metadata.name, passedOver: decision.passedOver },
            'missed scheduled times passed over: only the latest one runs',
          );
        break;
      }
    }
    await this.writeStatus(channel, previous, status);
    if (decision.next) {
      const wait = Math.min(MAX_WAIT_MS, Math.max(1000, decision.next.getTime() - now.getTime()));
      this.deps.requeueAfter(key, wait);
    }
  }

  private record(status: ScheduleStatus, slot: Date, episode: Episode): void {
    status.lastScheduleTime = slot.toISOString();
    status.lastEpisode = episode.metadata.name;
    const listed = episode.spec.topic;
    if (!status.topicsUsed?.includes(listed)) status.topicsUsed = [...(status.topicsUsed ?? []), listed];
  }

  private announce(channel: Channel, what: string, event: { type: 'Normal' | 'Warning'; reason: string; message: string }): void {
    const key = `${channel.metadata.namespace}/${channel.metadata.name}`;
    if (this.announced.get(key) === what) return;
    this.announced.set(key, what);
    this.deps.events.emit(channel, event);
    this.deps.log.info({ namespace: channel.metadata.namespace, channel: channel.metadata.name, reason: event.reason }, event.message);
  }

  /** Replace: the previous scheduled Episode is cancelled the way a person cancels one. */
  private async cancel(channel: Channel, episode: Episode, slot: Date): Promise<void> {
    const decision = decideAction('cancel', episode, channel, {}, this.deps.clock.now());
    if (decision.outcome !== 'patch') return;
    try {
      const patched = (await this.deps.clients.custom.patchNamespacedCustomObject(
        {
          group: GROUP,
          version: VERSION,
          plural: EPISODES.plural,
          namespace: episode.metadata.namespace!,
          name: episode.metadata.name!,
          body: decision.patch,
        },
        MERGE_PATCH,
      )) as Episode;
      this.deps.episodes.upsert(patched);
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    this.deps.events.emit(channel, {
      type: 'Normal',
      reason: 'Replaced',
      message: `cancelled ${episode.metadata.name} for the Episode of ${slot.toISOString()}: concurrencyPolicy is Replace`,
    });
  }

  /** The slot's Episode: created, or the one that exists by that name already. */
  private async createEpisode(channel: Channel, name: string, topic: string, slot: Date): Promise<Episode> {
    const namespace = channel.metadata.namespace!;
    const body: Episode = {
      apiVersion: API_VERSION,
      kind: EPISODES.kind,
      metadata: {
        name,
        namespace,
        labels: { [ORIGIN_LABEL]: SCHEDULE_ORIGIN, [LABELS.channel]: labelValue(channel.metadata.name!) },
        annotations: { [SCHEDULE_SLOT_ANNOTATION]: slot.toISOString() },
        ownerReferences: [
          { apiVersion: API_VERSION, kind: CHANNELS.kind, name: channel.metadata.name!, uid: channel.metadata.uid!, controller: true },
        ],
      },
      spec: { channelRef: { name: channel.metadata.name! }, topic },
    };
    const params = { group: GROUP, version: VERSION, plural: EPISODES.plural, namespace };
    try {
      const created = (await this.deps.clients.custom.createNamespacedCustomObject({ ...params, body })) as Episode;
      this.deps.episodes.upsert(created);
      this.deps.events.emit(channel, {
        type: 'Normal',
        reason: 'Scheduled',
        message: `created Episode ${name} for ${slot.toISOString()} with topic "${topic}"`,
      });
      this.deps.log.info(
        { namespace, channel: channel.metadata.name, episode: name, slot: slot.toISOString() },
        'scheduled episode created',
      );
      return created;
    } catch (error) {
      if (statusCode(error) !== 409) throw error;
      // Made already (by this operator before a restart, or by another replica): that one stands.
      return (await this.deps.clients.custom.getNamespacedCustomObject({ ...params, name })) as Episode;
    }
  }

  private async writeStatus(channel: Channel, previous: ScheduleStatus, status: ScheduleStatus): Promise<void> {
    const clean = JSON.parse(JSON.stringify(status)) as ScheduleStatus;
    if (isDeepStrictEqual(JSON.parse(JSON.stringify(previous)), clean)) return;
    // A merge patch touches status.schedule only; the resourceVersion makes it fail rather than
    // overwrite a newer Channel (the Channel reconciler writes the same status).
    const schedule: Record<string, unknown> = { ...clean };
    for (const field of ['lastScheduleTime', 'nextScheduleTime', 'lastEpisode'] as const) if (!(field in clean)) schedule[field] = null;
    try {
      const stored = (await this.deps.clients.custom.patchNamespacedCustomObjectStatus(
        {
          group: GROUP,
          version: VERSION,
          plural: CHANNELS.plural,
          namespace: channel.metadata.namespace!,
          name: channel.metadata.name!,
          body: { metadata: { resourceVersion: channel.metadata.resourceVersion }, status: { schedule } },
        },
        MERGE_PATCH,
      )) as Channel;
      this.deps.channels.upsert(stored);
    } catch (error) {
      if (isConflict(error))
        throw new ScheduleConflict(
          `the Channel ${channel.metadata.namespace}/${channel.metadata.name} changed meanwhile; scheduling it again`,
        );
      if (!isNotFound(error)) throw error;
    }
  }
}
