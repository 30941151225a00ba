// A Channel's schedule as pure functions, shared by the operator (which acts on it), the gateway
// and `kubectl acog schedule` (which show it): which cron patterns are valid, the times a cron
// names in a time zone, the name of the Episode of one time, and the topic each upcoming time
// would take. No I/O; the time comes in as an argument.
//
// Times follow the wall clock of the zone, as a Kubernetes CronJob with a timeZone does, with
// daylight saving made explicit: a wall time that does not exist that day (the hour skipped in
// spring) is skipped, and a wall time that happens twice (the hour repeated in autumn) fires
// once, at its first occurrence. croner reads the pattern; it runs in UTC on wall-clock times so
// that the zone's offsets are applied here, once, by these rules.
import { createHash } from 'node:crypto';
import { Cron } from 'croner';
import { channelSchema } from './generated/schemas.ts';
import type { Channel, ChannelSpec } from './generated/types.ts';

export type ScheduleSpec = NonNullable<ChannelSpec['schedule']>;

/** The value of the label acog.dev/origin on an Episode the schedule made. */
export const ORIGIN_LABEL = 'acog.dev/origin';
export const SCHEDULE_ORIGIN = 'schedule';
/** The annotation on a scheduled Episode: the RFC 3339 time (UTC) of the slot it was made for. */
export const SCHEDULE_SLOT_ANNOTATION = 'acog.dev/scheduled-time';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// The cron grammar of the schema (a CEL rule of spec.schedule.cron: self.matches('…')): the
// grammar the API server enforces is the one accepted here.
const CRON_RULE = (
  channelSchema as unknown as {
    properties: { spec: { properties: { schedule: { properties: { cron: { 'x-kubernetes-validations': { rule: string }[] } } } } } };
  }
).properties.spec.properties.schedule.properties.cron['x-kubernetes-validations'][0].rule;
const CRON_PATTERN = new RegExp(/^self\.matches\('(.*)'\)$/.exec(CRON_RULE)![1]);
const NUMERIC_RANGE = /^(\d+)-(\d+)/;
const NAMES = [
  'sun',
  'mon',
  'tue',
  'wed',
  'thu',
  'fri',
  'sat',
  'jan',
  'feb',
  'mar',
  'apr',
  'may',
  'jun',
  'jul',
  'aug',
  'sep',
  'oct',
  'nov',
  'dec',
];

/** A cron field with names as numbers, as the schema's range rule reads it: Sunday ends a range as 7. */
function numbered(field: string): string {
  return NAMES.reduce((text, name, i) => text.replaceAll(name, String(i < 7 ? i : i - 6)), field.toLowerCase().replaceAll('-sun', '-7'));
}

/** Why a cron pattern is refused, naming what to write instead; undefined when it is valid. */
export function cronProblem(cron: string): string | undefined {
  if (!CRON_PATTERN.test(cron))
    return `${JSON.stringify(cron)} is not a five-field cron (minute hour day-of-month month day-of-week, e.g. "0 9 * * mon-fri") or one of @hourly, @daily, @weekly, @monthly, @yearly`;
  for (const part of cron.split(/[ ,]/)) {
    const range = NUMERIC_RANGE.exec(numbered(part));
    if (range && Number(range[1]) > Number(range[2]))
      return `the range ${part.split('/')[0]} in ${JSON.stringify(cron)} goes from high to low: write it from low to high, or as a list`;
  }
  try {
    new Cron(cron, { timezone: 'UTC', paused: true });
  } catch (error) {
    return `${JSON.stringify(cron)} is not a cron pattern: ${(error as Error).message}`;
  }
  return undefined;
}

/** Why a time zone is refused; undefined when it is an IANA zone this runtime knows. */
export function timeZoneProblem(timeZone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return undefined;
  } catch {
    return `${JSON.stringify(timeZone)} is not an IANA time zone: write one such as Europe/Berlin or America/New_York`;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock time of an instant in a zone, as epoch milliseconds of the same fields in UTC. */
function wallClock(instant: number, timeZone: string): number {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  const fields: Record<string, number> = {};
  for (const part of format.formatToParts(new Date(instant))) if (part.type !== 'literal') fields[part.type] = Number(part.value);
  const wall = Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour, fields.minute, fields.second);
  return wall + (instant % 1000);
}

/** The instants whose wall clock in the zone reads `wall`, earliest first: none in a gap, two in a repeated hour. */
function instantsOf(wall: number, timeZone: string): number[] {
  const offsets = new Set<number>();
  for (let k = -8; k <= 8; k++) offsets.add(wallClock(wall + k * 6 * HOUR, timeZone) - (wall + k * 6 * HOUR));
  return [...offsets]
    .map((offset) => wall - offset)
    .filter((instant) => wallClock(instant, timeZone) === wall)
    .sort((a, b) => a - b);
}

export interface SlotQuery {
  cron: string;
  /** IANA zone; UTC when absent. */
  timezone?: string;
}

function wallCron(cron: string): Cron {
  return new Cron(cron, { timezone: 'UTC', paused: true });
}

/** The slot of a wall-clock time: its first instant, or none when that time does not exist in the zone. */
function slotOf(wall: number, timeZone: string): number | undefined {
  return instantsOf(wall, timeZone)[0];
}

/**
 * The times the cron names in the zone after `after` and up to and including `until`, earliest
 * first, at most `limit` of them.
 */
export function slotsBetween(query: SlotQuery, after: Date, until: Date, limit = 1000): Date[] {
  const timeZone = query.timezone ?? 'UTC';
  const cron = wallCron(query.cron);
  const slots: Date[] = [];
  const lastWall = wallClock(until.getTime(), timeZone) + DAY;
  // Start a day early in wall time: no zone's offset moves further.
  let wall = wallClock(after.getTime(), timeZone) - DAY;
  while (slots.length < limit) {
    const next = cron.nextRun(new Date(wall));
    if (!next || next.getTime() > lastWall) break;
    wall = next.getTime();
    const slot = slotOf(wall, timeZone);
    if (slot !== undefined && slot > after.getTime() && slot <= until.getTime()) slots.push(new Date(slot));
  }
  return slots;
}

/** The next `count` times after `after`. */
export function nextSlots(query: SlotQuery, after: Date, count: number): Date[] {
  const timeZone = query.timezone ?? 'UTC';
  const cron = wallCron(query.cron);
  const slots: Date[] = [];
  let wall = wallClock(after.getTime(), timeZone) - DAY;
  // A pattern that matches no date (e.g. 30 February) ends the search: croner gives up after its own horizon.
  while (slots.length < count) {
    const next = cron.nextRun(new Date(wall));
    if (!next) break;
    wall = next.getTime();
    const slot = slotOf(wall, timeZone);
    if (slot !== undefined && slot > after.getTime()) slots.push(new Date(slot));
  }
  return slots;
}

/** The latest time at or before `until` and after `after`, with how many times were passed over; none when there is none. */
export function latestSlot(query: SlotQuery, after: Date, until: Date): { slot?: Date; missed: number } {
  const timeZone = query.timezone ?? 'UTC';
  const cron = wallCron(query.cron);
  // previousRuns walks back from a wall time; counting the passed-over times stops at 100, as a
  // CronJob's controller does.
  // No zone's offset moves by more than 3 hours at once: a slot at or before `until` reads at most that much later.
  let reference = new Date(wallClock(until.getTime(), timeZone) + 3 * HOUR);
  let latest: number | undefined;
  let count = 0;
  for (let guard = 0; guard < 50; guard++) {
    const walls = cron.previousRuns(100, reference);
    if (!walls.length) break;
    for (const wall of walls) {
      const slot = slotOf(wall.getTime(), timeZone);
      if (slot === undefined || slot > until.getTime()) continue;
      if (slot <= after.getTime()) return { slot: latest === undefined ? undefined : new Date(latest), missed: Math.max(0, count - 1) };
      if (latest === undefined) latest = slot;
      count++;
      if (count > 100) return { slot: new Date(latest), missed: count - 1 };
    }
    reference = walls[walls.length - 1];
  }
  return { slot: latest === undefined ? undefined : new Date(latest), missed: Math.max(0, count - 1) };
}

/** "20270328-0130": a slot in UTC, as Episode names carry it. */
function slotStamp(slot: Date): string {
  return slot.toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
}

/**
 * The name of the Episode a Channel's schedule makes for one slot: `<channel>-<YYYYMMDD-HHMM>`
 * (UTC, so that both occurrences of a repeated hour could never collide). It is at most 63
 * characters: a longer Channel name keeps its start and gains 8 hex digits of its SHA-256.
 */
export function scheduledEpisodeName(channel: string, slot: Date): string {
  const stamp = slotStamp(slot);
  const name = `${channel}-${stamp}`;
  if (name.length <= 63) return name;
  const digest = createHash('sha256').update(channel).digest('hex').slice(0, 8);
  const keep = 63 - stamp.length - digest.length - 2;
  return `${channel.slice(0, keep).replace(/[-.]+$/, '')}-${digest}-${stamp}`;
}

/** The schedule's topics not yet used, in order. */
export function unusedTopics(schedule: Pick<ScheduleSpec, 'topics'>, used: Iterable<string>): string[] {
  const taken = new Set(used);
  return (schedule.topics ?? []).filter((topic) => !taken.has(topic));
}

export interface UpcomingRun {
  /** When, as an instant. */
  time: Date;
  /** The topic it would take; absent when no topic is left for it. */
  topic?: string;
  /** The Episode it would create. */
  episode: string;
}

export interface ScheduleOverview {
  cron: string;
  timezone: string;
  suspended: boolean;
  concurrencyPolicy: string;
  /** Times to come with the topic each would get, when not suspended. */
  runs: UpcomingRun[];
  /** Topics still unused. */
  topicsLeft: number;
  lastScheduleTime?: string;
  lastEpisode?: string;
}

/**
 * What a Channel's schedule will do next: the next `count` times, each with the topic it would
 * take from what is left of schedule.topics. Undefined when the Channel has no schedule.
 */
export function upcomingRuns(channel: Channel, now: Date, count: number): ScheduleOverview | undefined {
  const schedule = channel.spec.schedule;
  if (!schedule) return undefined;
  const timezone = schedule.timezone ?? 'UTC';
  const left = unusedTopics(schedule, channel.status?.schedule?.topicsUsed ?? []);
  const suspended = schedule.suspend === true;
  const valid = !cronProblem(schedule.cron) && !timeZoneProblem(timezone);
  const times = suspended || !valid ? [] : nextSlots({ cron: schedule.cron, timezone }, now, count);
  return {
    cron: schedule.cron,
    timezone,
    suspended,
    concurrencyPolicy: schedule.concurrencyPolicy ?? 'Allow',
    runs: times.map((time, i) => ({ time, topic: left[i], episode: scheduledEpisodeName(channel.metadata.name ?? '', time) })),
    topicsLeft: left.length,
    lastScheduleTime: channel.status?.schedule?.lastScheduleTime,
    lastEpisode: channel.status?.schedule?.lastEpisode,
  };
}
