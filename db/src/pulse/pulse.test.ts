import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/postgres.ts';
import { archiveEpisodes } from '../archive/index.ts';
import { openDatabase, type Database } from '../database.ts';
import { migrate } from '../migrate.ts';
import {
  archivedCoverage,
  ensurePulseChannel,
  followNewestPulseEvent,
  matchPulseChannel,
  newestPulseSeq,
  pendingPulseProposals,
  storePulseEvents,
  type PulseDecision,
  type PulseEventInput,
} from './index.ts';

let db: Database;

const event = (id: string, extra: Partial<PulseEventInput> = {}): PulseEventInput => ({
  source: 'trends',
  id,
  title: `Title of ${id}`,
  url: `https://example.com/${id}`,
  score: 0.5,
  keywords: ['k1', 'k2'],
  publishedAt: '2026-12-07T09:00:00Z',
  ...extra,
});
const decision = (eventId: string, channelUid: string, extra: Partial<PulseDecision> = {}): PulseDecision => ({
  source: 'trends',
  eventId,
  namespace: 'team-a',
  channel: 'news',
  channelUid,
  outcome: 'skipped',
  reason: 'BelowMinScore',
  message: 'score 0.5 is below 0.7',
  day: '2026-12-07',
  ...extra,
});

beforeAll(async () => {
  db = openDatabase({ url: await createTestDatabase('pulse') });
  await migrate(db);
});
afterAll(async () => {
  await db?.close();
});

describe('pulse events', () => {
  it('stores a delivery whole, in its order, and counts the duplicates of a replay', async () => {
    expect(await storePulseEvents(db.pool, [event('a'), event('b', { summary: 'sum' }), event('c')])).toEqual({
      accepted: 3,
      duplicates: 0,
    });
    // A replay, partly new; and the same id twice in one delivery is one event.
    expect(await storePulseEvents(db.pool, [event('b'), event('d'), event('d'), event('a')])).toEqual({ accepted: 1, duplicates: 3 });
    expect(await storePulseEvents(db.pool, [event('a', { source: 'other' })])).toEqual({ accepted: 1, duplicates: 0 });
    const rows = await db.pool.query(`SELECT source, id, summary, keywords FROM pulse_events ORDER BY seq`);
    expect(rows.rows.map((r: { source: string; id: string }) => `${r.source}/${r.id}`)).toEqual([
      'trends/a',
      'trends/b',
      'trends/c',
      'trends/d',
      'other/a',
    ]);
    expect(rows.rows[1]).toMatchObject({ summary: 'sum', keywords: ['k1', 'k2'] });
    expect(rows.rows[0]).toMatchObject({ summary: '' });
  });

  it('refuses a score outside 0..1 in the database too', async () => {
    await expect(storePulseEvents(db.pool, [event('bad', { score: 2 })])).rejects.toThrow(/check constraint/);
  });
});

describe('matching a Channel', () => {
  it('starts a Channel at the newest event, moves its cursor with its decisions, and keeps the first decision', async () => {
    const channel = { uid: 'uid-1', namespace: 'team-a', name: 'news' };
    const newest = await newestPulseSeq(db.pool);
    expect(await ensurePulseChannel(db.pool, channel)).toBe(newest);
    await storePulseEvents(db.pool, [event('e1'), event('e2')]);
    const seen = await matchPulseChannel(db.pool, channel, async (match) => {
      const events = await match.eventsAfter(match.cursor, 10);
      await match.record(
        [
          decision('e1', 'uid-1', { outcome: 'created', reason: 'Created', ruleIndex: 0, episode: 'news-pulse-1' }),
          decision('e2', 'uid-1', { reason: 'DailyLimitReached' }),
        ],
        events.at(-1)!.seq,
      );
      return events.map((e) => e.id);
    });
    expect(seen).toEqual(['e1', 'e2']);
    await matchPulseChannel(db.pool, channel, async (match) => {
      expect(await match.eventsAfter(match.cursor, 10)).toEqual([]);
      expect(await match.createdOn('2026-12-07')).toEqual(new Map([[0, 1]]));
      expect(await match.createdOn('2026-12-08')).toEqual(new Map());
      // Deciding again changes nothing: the first decision stands.
      await match.record([decision('e1', 'uid-1', { reason: 'NoKeywordMatched' })], match.cursor);
    });
    const stored = await db.pool.query(`SELECT reason FROM pulse_decisions WHERE channel_uid = 'uid-1' AND event_id = 'e1'`);
    expect(stored.rows).toEqual([{ reason: 'Created' }]);
    expect(await pendingPulseProposals(db.pool, 'uid-1', 5)).toMatchObject([{ id: 'e2', title: 'Title of e2' }]);
  });

  it('rolls back the decisions and the cursor of a matching that fails', async () => {
    const channel = { uid: 'uid-2', namespace: 'team-a', name: 'news-2' };
    const start = await ensurePulseChannel(db.pool, channel);
    await storePulseEvents(db.pool, [event('f1')]);
    await expect(
      matchPulseChannel(db.pool, channel, async (match) => {
        const [f1] = await match.eventsAfter(match.cursor, 10);
        await match.record([decision('f1', 'uid-2')], f1!.seq);
        throw new Error('the API server went away');
      }),
    ).rejects.toThrow(/went away/);
    expect(await ensurePulseChannel(db.pool, channel)).toBe(start);
    expect((await db.pool.query(`SELECT 1 FROM pulse_decisions WHERE channel_uid = 'uid-2'`)).rowCount).toBe(0);
  });

  it("serialises two matchings of one Channel (a second replica waits for the first's commit)", async () => {
    const channel = { uid: 'uid-3', namespace: 'team-a', name: 'news-3' };
    await ensurePulseChannel(db.pool, channel);
    await storePulseEvents(db.pool, [event('g1')]);
    const order: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const first = matchPulseChannel(db.pool, channel, async (match) => {
      order.push('first:start');
      const [g1] = await match.eventsAfter(match.cursor, 10);
      await held;
      await match.record([decision('g1', 'uid-3')], g1!.seq);
      order.push('first:end');
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = matchPulseChannel(db.pool, channel, async (match) => {
      order.push('second:start');
      return match.eventsAfter(match.cursor, 10);
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(order).toEqual(['first:start']);
    release();
    await first;
    // The second saw the cursor the first moved: g1 is not its to decide again.
    expect(await second).toEqual([]);
    expect(order).toEqual(['first:start', 'first:end', 'second:start']);
  });

  it('moves a switched-off Channel to the newest event', async () => {
    const channel = { uid: 'uid-4', namespace: 'team-a', name: 'news-4' };
    await ensurePulseChannel(db.pool, channel);
    await storePulseEvents(db.pool, [event('h1')]);
    await followNewestPulseEvent(db.pool, ['uid-4']);
    expect(await ensurePulseChannel(db.pool, channel)).toBe(await newestPulseSeq(db.pool));
  });
});

describe('archivedCoverage', () => {
  it("reads a Channel's archived topics and reference URLs", async () => {
    const base = {
      namespace: 'team-a',
      channel: 'news',
      phase: 'Succeeded' as const,
      labels: {},
      totalCostUSD: 0,
      resourceVersion: '1',
      finishedAt: '2026-12-01T00:00:00Z',
    };
    await archiveEpisodes(db.pool, [
      {
        ...base,
        uid: 'a1',
        name: 'a1',
        topic: 'Old topic',
        object: { spec: { topic: 'Old topic', references: [{ url: 'https://example.com/old' }] } },
      },
      { ...base, uid: 'a2', name: 'a2', topic: 'Topic without references', object: { spec: { topic: 'Topic without references' } } },
      { ...base, uid: 'a3', name: 'a3', channel: 'other', topic: 'Not this channel', object: { spec: {} } },
    ]);
    const coverage = await archivedCoverage(db.pool, 'team-a', 'news');
    expect(coverage.topics.sort()).toEqual(['Old topic', 'Topic without references']);
    expect(coverage.urls).toEqual(['https://example.com/old']);
  });
});
