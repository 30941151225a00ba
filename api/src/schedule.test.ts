import { readFileSync } from 'node:fs';
import { Cron } from 'croner';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Channel } from './generated/types.ts';
import {
  cronProblem,
  latestSlot,
  nextSlots,
  scheduledEpisodeName,
  slotsBetween,
  timeZoneProblem,
  unusedTopics,
  upcomingRuns,
} from './schedule.ts';
import { validateChannel } from './validation.ts';

const iso = (dates: Date[]) => dates.map((date) => date.toISOString());
const between = (cron: string, timezone: string, after: string, until: string) =>
  iso(slotsBetween({ cron, timezone }, new Date(after), new Date(until)));

describe('slots in a time zone across daylight saving', () => {
  it('Europe/Berlin, 28 March 2027 (02:00 → 03:00): the missing 02:30 is skipped, the days around keep theirs', () => {
    expect(between('30 2 * * *', 'Europe/Berlin', '2027-03-26T00:00:00Z', '2027-03-30T00:00:00Z')).toEqual([
      '2027-03-26T01:30:00.000Z', // 02:30 CET
      '2027-03-27T01:30:00.000Z',
      '2027-03-29T00:30:00.000Z', // 02:30 CEST
    ]);
    // Hourly at :30 that night: 00:30 and 01:30 CET, then 03:30 and 04:30 CEST; no 02:30.
    expect(between('30 * * * *', 'Europe/Berlin', '2027-03-27T23:00:00Z', '2027-03-28T03:00:00Z')).toEqual([
      '2027-03-27T23:30:00.000Z',
      '2027-03-28T00:30:00.000Z',
      '2027-03-28T01:30:00.000Z',
      '2027-03-28T02:30:00.000Z',
    ]);
  });

  it('Europe/Berlin, 31 October 2027 (03:00 → 02:00): the repeated 02:00 and 02:30 fire once, at their first occurrence', () => {
    expect(between('30 2 * * *', 'Europe/Berlin', '2027-10-30T12:00:00Z', '2027-11-01T12:00:00Z')).toEqual([
      '2027-10-31T00:30:00.000Z', // 02:30 CEST; 02:30 CET (01:30Z) does not fire
      '2027-11-01T01:30:00.000Z',
    ]);
    expect(between('*/30 * * * *', 'Europe/Berlin', '2027-10-30T23:45:00Z', '2027-10-31T02:15:00Z')).toEqual([
      '2027-10-31T00:00:00.000Z', // 02:00 CEST
      '2027-10-31T00:30:00.000Z', // 02:30 CEST
      '2027-10-31T02:00:00.000Z', // 03:00 CET; 02:00 and 02:30 CET are the repeat
    ]);
  });

  it('America/New_York, 14 March 2027 (02:00 → 03:00) and 7 November 2027 (02:00 → 01:00)', () => {
    expect(between('30 2 * * *', 'America/New_York', '2027-03-13T00:00:00Z', '2027-03-16T00:00:00Z')).toEqual([
      '2027-03-13T07:30:00.000Z', // 02:30 EST
      '2027-03-15T06:30:00.000Z', // 02:30 EDT; none on the 14th
    ]);
    expect(between('30 1 * * *', 'America/New_York', '2027-11-06T00:00:00Z', '2027-11-09T00:00:00Z')).toEqual([
      '2027-11-06T05:30:00.000Z', // 01:30 EDT
      '2027-11-07T05:30:00.000Z', // 01:30 EDT, the first of two
      '2027-11-08T06:30:00.000Z', // 01:30 EST
    ]);
    expect(between('0 * * * *', 'America/New_York', '2027-11-07T04:30:00Z', '2027-11-07T08:30:00Z')).toEqual([
      '2027-11-07T05:00:00.000Z', // 01:00 EDT
      '2027-11-07T07:00:00.000Z', // 02:00 EST; 01:00 EST (06:00Z) is the repeat
      '2027-11-07T08:00:00.000Z',
    ]);
  });

  it('weekdays by name, in the zone: Monday 09:00 Berlin is 08:00 UTC in winter and 07:00 in summer', () => {
    expect(iso(nextSlots({ cron: '0 9 * * mon-fri', timezone: 'Europe/Berlin' }, new Date('2027-01-01T08:00:00Z'), 3))).toEqual([
      '2027-01-04T08:00:00.000Z',
      '2027-01-05T08:00:00.000Z',
      '2027-01-06T08:00:00.000Z',
    ]);
    expect(iso(nextSlots({ cron: '0 9 * * 1', timezone: 'Europe/Berlin' }, new Date('2027-06-01T00:00:00Z'), 1))).toEqual([
      '2027-06-07T07:00:00.000Z',
    ]);
  });

  it('a date that never comes gives no slot, and the search ends', () => {
    expect(nextSlots({ cron: '0 0 30 2 *' }, new Date('2027-01-01T00:00:00Z'), 2)).toEqual([]);
  });
});

describe('latestSlot: the most recent unmet time, as a CronJob picks it after an outage', () => {
  it('after five hours down, the latest of five hourly times, four passed over', () => {
    const found = latestSlot({ cron: '0 * * * *' }, new Date('2027-01-01T00:00:00Z'), new Date('2027-01-01T05:30:00Z'));
    expect(found.slot?.toISOString()).toBe('2027-01-01T05:00:00.000Z');
    expect(found.missed).toBe(4);
  });
  it('none when the last time was met already, and none for a skipped DST time', () => {
    expect(latestSlot({ cron: '0 * * * *' }, new Date('2027-01-01T05:00:00Z'), new Date('2027-01-01T05:59:00Z')).slot).toBeUndefined();
    const gap = latestSlot(
      { cron: '30 2 * * *', timezone: 'Europe/Berlin' },
      new Date('2027-03-27T12:00:00Z'),
      new Date('2027-03-28T12:00:00Z'),
    );
    expect(gap.slot).toBeUndefined();
  });
  it('a year of every-minute times: the latest one, counting stops past 100', () => {
    const found = latestSlot({ cron: '* * * * *' }, new Date('2026-01-01T00:00:00Z'), new Date('2027-01-01T05:30:30Z'));
    expect(found.slot?.toISOString()).toBe('2027-01-01T05:30:00.000Z');
    expect(found.missed).toBe(100);
  });
});

describe('which cron patterns are valid: the schema and croner agree', () => {
  const accepted = [
    '0 9 * * 1',
    '*/15 * * * *',
    '0 9 * * mon-fri',
    '0 9 * * MON-FRI',
    '0 0 1,15 jan-jun *',
    '0-30/10 8-18/2 * * *',
    '*/60 * * * *',
    '0 0 * * 0-7',
    '0 0 * * sat-sun',
    '0 0 * * sun-sun',
    '5 4 31 12 *',
    '00 09 * * *',
    '@hourly',
    '@daily',
    '@midnight',
    '@weekly',
    '@monthly',
    '@yearly',
    '@annually',
    '@Daily',
  ];
  const refused = [
    '0 9 * *', // four fields
    '0 0 9 * * 1', // six fields (seconds)
    '60 * * * *',
    '0 24 * * *',
    '0 0 0 * *',
    '0 0 32 * *',
    '0 0 * 13 *',
    '0 0 * * 8',
    '5-1 * * * *',
    '0 0 * dec-jan *',
    '0 0 * * fri-mon',
    '*/0 * * * *',
    '*/61 * * * *',
    '5/15 * * * *',
    '0 0 L * *',
    '0 0 * * 5#2',
    '0 0 ? * *',
    '@reboot',
    '@every 5m',
    'every monday',
    '0  9 * * 1', // two spaces
  ];
  const base = parse(readFileSync(new URL('../../examples/channel.yaml', import.meta.url), 'utf8')) as Channel;
  const schemaAccepts = (cron: string) => {
    const channel = structuredClone(base);
    channel.spec.schedule = { cron };
    return validateChannel(channel).valid;
  };
  const cronerAccepts = (cron: string) => {
    try {
      new Cron(cron, { timezone: 'UTC', paused: true });
      return true;
    } catch {
      return false;
    }
  };

  it.each(accepted)('%s: valid for the schema, for croner and for cronProblem', (cron) => {
    expect(schemaAccepts(cron)).toBe(true);
    expect(cronerAccepts(cron)).toBe(true);
    expect(cronProblem(cron)).toBeUndefined();
  });
  it.each(refused)('%s: refused by the schema and cronProblem', (cron) => {
    expect(schemaAccepts(cron)).toBe(false);
    expect(cronProblem(cron)).toMatch(/cron|range/);
  });
  it('what croner refuses, the schema refuses too', () => {
    for (const cron of refused.filter((c) => !cronerAccepts(c))) expect(schemaAccepts(cron), cron).toBe(false);
  });
  it('a reversed range is named with what to write', () => {
    expect(cronProblem('0 0 * * fri-mon')).toMatch(/range fri-mon .* goes from high to low/);
  });
});

describe('time zones', () => {
  it('IANA names are accepted; others are refused by the schema with the field named', () => {
    expect(timeZoneProblem('Europe/Berlin')).toBeUndefined();
    expect(timeZoneProblem('Mars/Olympus')).toMatch(/not an IANA time zone/);
    const channel = parse(readFileSync(new URL('../../examples/channel.yaml', import.meta.url), 'utf8')) as Channel;
    channel.spec.schedule = { cron: '@daily', timezone: 'Mars/Olympus' };
    const result = validateChannel(channel);
    expect(result.errors).toEqual([
      {
        field: 'spec.schedule.timezone',
        message: 'Invalid value: "Mars/Olympus": schedule.timezone must be an IANA time zone such as Europe/Berlin or America/New_York',
      },
    ]);
  });
});

describe('names and topics', () => {
  it('an Episode name from the Channel and the slot in UTC, at most 63 characters, distinct per Channel', () => {
    const slot = new Date('2027-03-28T01:30:00Z');
    expect(scheduledEpisodeName('tech', slot)).toBe('tech-20270328-0130');
    const long = scheduledEpisodeName('a'.repeat(50) + '-explained-weekly', slot);
    expect(long).toHaveLength(63);
    expect(long).toMatch(/^a+-[0-9a-f]{8}-20270328-0130$/);
    expect(scheduledEpisodeName('a'.repeat(50) + '-explained-daily', slot)).not.toBe(long);
  });

  it('unused topics in order; upcoming runs each take the next', () => {
    expect(unusedTopics({ topics: ['one', 'two', 'three'] }, ['two'])).toEqual(['one', 'three']);
    const channel = {
      metadata: { name: 'tech' },
      spec: { schedule: { cron: '0 9 * * *', timezone: 'Europe/Berlin', topics: ['Alpha topic', 'Beta topic', 'Gamma topic'] } },
      status: { schedule: { topicsUsed: ['Alpha topic'] } },
    } as unknown as Channel;
    const overview = upcomingRuns(channel, new Date('2027-01-01T12:00:00Z'), 3)!;
    expect(overview.runs.map((run) => [run.time.toISOString(), run.topic, run.episode])).toEqual([
      ['2027-01-02T08:00:00.000Z', 'Beta topic', 'tech-20270102-0800'],
      ['2027-01-03T08:00:00.000Z', 'Gamma topic', 'tech-20270103-0800'],
      ['2027-01-04T08:00:00.000Z', undefined, 'tech-20270104-0800'],
    ]);
    expect(overview.topicsLeft).toBe(2);
    channel.spec.schedule!.suspend = true;
    expect(upcomingRuns(channel, new Date('2027-01-01T12:00:00Z'), 3)!.runs).toEqual([]);
  });
});
