// What a Channel's schedule asks for at one moment, as a pure function of the Channel, its
// scheduled Episodes and the time, with the rules of a Kubernetes CronJob's controller:
// - the slot considered is the most recent one since the last scheduled time (or the Channel's
//   creation), so that after an outage at most one missed run starts;
// - with startingDeadlineSeconds, only if it is at most that old;
// - an Episode already there for the slot means the slot is done (create-if-absent by name);
// - Forbid waits while a scheduled Episode is unfinished, Replace cancels it, Allow does neither.
import {
  FINISHED_PHASES,
  ORIGIN_LABEL,
  SCHEDULE_ORIGIN,
  SCHEDULE_SLOT_ANNOTATION,
  cronProblem,
  latestSlot,
  nextSlots,
  scheduledEpisodeName,
  timeZoneProblem,
  type Channel,
  type Episode,
} from '@acog/api';
import type { TopicSource } from './topics.ts';

export type ScheduleAction =
  /** Nothing is due. */
  | { kind: 'idle' }
  /** The schedule is suspended. */
  | { kind: 'suspended' }
  /** The schedule cannot be read: the message says what to fix. */
  | { kind: 'invalid'; message: string }
  /** The slot's Episode exists: record it. */
  | { kind: 'recorded'; slot: Date; episode: Episode }
  /** The slot came too long ago for startingDeadlineSeconds. */
  | { kind: 'missed'; slot: Date; deadlineSeconds: number }
  /** Forbid: an earlier scheduled Episode is unfinished. */
  | { kind: 'forbidden'; slot: Date; active: string[] }
  /** No topic is left for the slot. */
  | { kind: 'no-topic'; slot: Date; name: string }
  /** Create this Episode for the slot, after cancelling `replace` (Replace). */
  | { kind: 'create'; slot: Date; name: string; topic: string; replace: Episode[] };

export interface ScheduleDecision {
  action: ScheduleAction;
  /** The first slot after now, unless suspended or invalid. */
  next?: Date;
  /** Slots passed over without a run before the one considered. */
  passedOver: number;
  /** Topics used, from status and from the scheduled Episodes that exist. */
  topicsUsed: string[];
  /**
   * The newest scheduled Episode, when its time is later than status.schedule.lastScheduleTime: made
   * but not recorded (the operator stopped, or the status write lost a race, before it could).
   */
  unrecorded?: { slot: Date; episode: Episode };
}

/** Whether an Episode was made by a Channel's schedule. */
export function isScheduledEpisodeOf(episode: Episode, channel: Channel): boolean {
  return (
    episode.metadata.labels?.[ORIGIN_LABEL] === SCHEDULE_ORIGIN &&
    episode.spec.channelRef.name === channel.metadata.name &&
    episode.metadata.namespace === channel.metadata.namespace
  );
}

function unfinished(episode: Episode): boolean {
  return !FINISHED_PHASES.includes(episode.status?.phase ?? 'Pending') && !episode.metadata.deletionTimestamp;
}

/**
 * The topics a Channel's schedule has used: those its status records, and those of the scheduled
 * Episodes that exist (an Episode made just before the operator stopped, before it recorded it).
 */
export function topicsUsed(channel: Channel, scheduled: Episode[]): string[] {
  const listed = new Set(channel.spec.schedule?.topics ?? []);
  const used = [...(channel.status?.schedule?.topicsUsed ?? [])];
  for (const episode of scheduled) if (listed.has(episode.spec.topic) && !used.includes(episode.spec.topic)) used.push(episode.spec.topic);
  return used;
}

/** The newest scheduled Episode by its slot annotation, if later than `after`. */
function newestAfter(scheduled: Episode[], after: number): { slot: Date; episode: Episode } | undefined {
  let newest: { slot: Date; episode: Episode } | undefined;
  for (const episode of scheduled) {
    const slot = new Date(episode.metadata.annotations?.[SCHEDULE_SLOT_ANNOTATION] ?? '');
    if (Number.isNaN(slot.getTime()) || slot.getTime() <= after) continue;
    if (!newest || slot > newest.slot) newest = { slot, episode };
  }
  return newest;
}

export function decideSchedule(channel: Channel, scheduled: Episode[], now: Date, nextTopic: TopicSource): ScheduleDecision {
  const schedule = channel.spec.schedule;
  const used = topicsUsed(channel, scheduled);
  if (!schedule) return { action: { kind: 'idle' }, passedOver: 0, topicsUsed: used };
  const problem = cronProblem(schedule.cron) ?? timeZoneProblem(schedule.timezone ?? 'UTC');
  if (problem) return { action: { kind: 'invalid', message: `spec.schedule: ${problem}` }, passedOver: 0, topicsUsed: used };
  const query = { cron: schedule.cron, timezone: schedule.timezone ?? 'UTC' };
  if (schedule.suspend) return { action: { kind: 'suspended' }, passedOver: 0, topicsUsed: used };
  const next = nextSlots(query, now, 1)[0];

  const last = channel.status?.schedule?.lastScheduleTime ?? channel.metadata.creationTimestamp;
  const unrecorded = newestAfter(scheduled, last ? new Date(last).getTime() : 0);
  const earliest = unrecorded?.slot ?? (last ? new Date(last) : now);
  const { slot, missed } = latestSlot(query, earliest, now);
  const base = { next, passedOver: missed, topicsUsed: used, ...(unrecorded && { unrecorded }) };
  if (!slot) return { ...base, action: { kind: 'idle' } };

  const name = scheduledEpisodeName(channel.metadata.name!, slot);
  const existing = scheduled.find((episode) => episode.metadata.name === name);
  if (existing) return { ...base, action: { kind: 'recorded', slot, episode: existing } };

  const deadline = schedule.startingDeadlineSeconds;
  if (deadline !== undefined && slot.getTime() + deadline * 1000 < now.getTime())
    return { ...base, action: { kind: 'missed', slot, deadlineSeconds: deadline } };

  const active = scheduled.filter(unfinished);
  const policy = schedule.concurrencyPolicy ?? 'Allow';
  if (policy === 'Forbid' && active.length)
    return { ...base, action: { kind: 'forbidden', slot, active: active.map((episode) => episode.metadata.name!) } };

  // Every scheduled Episode's topic counts as used, listed or not: a topic taken from pulse proposals
  // is in status only once the status write is seen, and the cache may not show it yet.
  const topic = nextTopic(channel, new Set([...used, ...scheduled.map((episode) => episode.spec.topic)]));
  if (!topic) return { ...base, action: { kind: 'no-topic', slot, name } };
  return { ...base, action: { kind: 'create', slot, name, topic, replace: policy === 'Replace' ? active : [] } };
}
