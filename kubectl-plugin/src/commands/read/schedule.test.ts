import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { acog, createChannel, freshNamespace, setChannelStatus, unscheduled } from '../../testing.ts';

let ns: string;
const TOPICS = ['How database indexes really work', 'Why your cache makes things slower', 'What a query planner sees'];

beforeAll(async () => {
  ns = await freshNamespace('read-schedule');
  await createChannel(ns, 'daily', (c) => {
    c.spec.schedule = { cron: '0 9 * * *', timezone: 'Europe/Berlin', concurrencyPolicy: 'Forbid', topics: TOPICS };
  });
  await setChannelStatus(ns, 'daily', {
    schedule: { topicsUsed: [TOPICS[0]], lastScheduleTime: '2026-11-30T08:00:00Z', lastEpisode: 'daily-20261130-0800' },
  });
  await createChannel(ns, 'paused', (c) => {
    c.spec.schedule = { cron: '@weekly', suspend: true, topics: TOPICS };
  });
  await createChannel(ns, 'by-hand', unscheduled());
});

describe('kubectl acog schedule', () => {
  it('lists the next runs in the Channel’s zone, each with the next unused topic and its Episode name', async () => {
    const result = await acog(['-n', ns, 'schedule', 'daily', '--count', '4']);
    expect(result.stderr).toContain('2 of these times would make no Episode: every topic is used');
    expect(result.code).toBe(0);
    const [header, ...rows] = result.stdout.trimEnd().split('\n');
    expect(header.split(/\s{3,}/)).toEqual(['TIME', 'IN', 'TOPIC', 'EPISODE']);
    expect(rows).toHaveLength(4);
    const cells = rows.map((row) => row.split(/\s{3,}/));
    // 09:00 in Berlin, winter or summer time.
    for (const [time] of cells) expect(time).toMatch(/^\d{4}-\d{2}-\d{2} 09:00 GMT\+[12]$/);
    expect(cells.map((row) => row[2])).toEqual([
      TOPICS[1],
      TOPICS[2],
      '<none left: add to spec.schedule.topics>',
      '<none left: add to spec.schedule.topics>',
    ]);
    for (const row of cells) expect(row[3]).toMatch(/^daily-\d{8}-0[78]00$/);
    const days = cells.map((row) => row[0].slice(0, 10));
    expect(new Set(days).size).toBe(4);
  });

  it('-o yaml and -o json give the times in RFC 3339 with the schedule’s settings', async () => {
    const yaml = await acog(['-n', ns, 'schedule', 'daily', '--count', '2', '-o', 'yaml']);
    expect(yaml.code).toBe(0);
    const doc = parse(yaml.stdout) as {
      channel: string;
      timezone: string;
      concurrencyPolicy: string;
      topicsLeft: number;
      lastEpisode: string;
      runs: { time: string; topic: string }[];
    };
    expect(doc).toMatchObject({
      channel: 'daily',
      timezone: 'Europe/Berlin',
      concurrencyPolicy: 'Forbid',
      topicsLeft: 2,
      lastEpisode: 'daily-20261130-0800',
    });
    expect(doc.runs.map((r) => r.topic)).toEqual([TOPICS[1], TOPICS[2]]);
    for (const run of doc.runs) expect(new Date(run.time).getTime()).toBeGreaterThan(Date.now());
    const json = await acog(['-n', ns, 'schedule', 'daily', '--count', '2', '-o', 'json']);
    expect(JSON.parse(json.stdout).runs).toEqual(doc.runs);
  });

  it('a suspended schedule says so and how to resume; a Channel without one says what to add; a bad count is named', async () => {
    const paused = await acog(['-n', ns, 'schedule', 'paused']);
    expect(paused.code).toBe(0);
    expect(paused.stdout).toBe('');
    expect(paused.stderr).toContain('the schedule of channel "paused" is suspended');
    expect(paused.stderr).toContain(`kubectl -n ${ns} patch channel paused --type=merge -p '{"spec":{"schedule":{"suspend":false}}}'`);

    const none = await acog(['-n', ns, 'schedule', 'by-hand']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('channel "by-hand" has no schedule: add spec.schedule');

    const missing = await acog(['-n', ns, 'schedule', 'nowhere']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('"nowhere" not found');

    const bad = await acog(['-n', ns, 'schedule', 'daily', '--count', '0']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--count must be a whole number from 1 to 100');
  });
});
