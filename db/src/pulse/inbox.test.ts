import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/postgres.ts';
import { insertPulseDecision, insertPulseEvent } from '../../../test/support/pulse-rows.ts';
import { openDatabase, type Database } from '../database.ts';
import { migrate } from '../migrate.ts';
import { pulseInboxPage } from './inbox.ts';

let db: Database;

beforeAll(async () => {
  db = openDatabase({ url: await createTestDatabase('pulse-inbox') });
  expect(await migrate(db)).toContain('0003_pulse');
  for (let n = 1; n <= 7; n++)
    await insertPulseEvent(db.pool, {
      source: 'trends',
      id: `e${n}`,
      title: `Event ${n}`,
      url: `https://news.example/${n}`,
      score: n / 10,
      keywords: ['rust', `k${n}`],
      publishedAt: '2026-12-01T08:00:00Z',
    });
  // Decisions in two namespaces; e1..e5 share one decision time to the microsecond, so pages must
  // break the tie by key and neither skip nor repeat a row.
  const sameInstant = '2026-12-01T09:00:00.123456Z';
  for (let n = 1; n <= 5; n++)
    await insertPulseDecision(db.pool, {
      source: 'trends',
      eventId: `e${n}`,
      namespace: 'team-a',
      channel: n % 2 ? 'science' : 'history',
      outcome: n === 1 ? 'created' : 'skipped',
      reason: n === 1 ? 'Created' : 'NoKeywordMatched',
      message: n === 1 ? 'created episode science-e1' : 'no keyword of the rule in the title, summary or keywords',
      episode: n === 1 ? 'science-e1' : undefined,
      decidedAt: sameInstant,
    });
  await insertPulseDecision(db.pool, {
    source: 'trends',
    eventId: 'e6',
    namespace: 'team-a',
    channel: 'science',
    outcome: 'skipped',
    reason: 'BelowMinScore',
    message: 'score 0.6 is below the rule minScore 0.7',
    decidedAt: '2026-12-01T10:00:00Z',
  });
  await insertPulseDecision(db.pool, {
    source: 'trends',
    eventId: 'e7',
    namespace: 'team-b',
    channel: 'science',
    outcome: 'created',
    reason: 'Created',
    message: 'created',
    episode: 'other-tenant',
  });
});

afterAll(async () => {
  await db?.close();
});

describe('the pulse inbox', () => {
  it("reads a namespace's decisions with their events, newest first, and nothing of another namespace", async () => {
    const page = await pulseInboxPage(db.pool, { namespace: 'team-a', limit: 50 });
    expect(page.next).toBeUndefined();
    expect(page.items).toHaveLength(6);
    expect(page.items[0]).toEqual({
      source: 'trends',
      id: 'e6',
      title: 'Event 6',
      url: 'https://news.example/6',
      summary: '',
      score: 0.6,
      keywords: ['rust', 'k6'],
      publishedAt: '2026-12-01T08:00:00.000Z',
      receivedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      namespace: 'team-a',
      channel: 'science',
      outcome: 'skipped',
      reason: 'BelowMinScore',
      message: 'score 0.6 is below the rule minScore 0.7',
      episode: undefined,
      decidedAt: '2026-12-01T10:00:00.000Z',
    });
    expect(page.items.find((item) => item.id === 'e1')).toMatchObject({ outcome: 'created', episode: 'science-e1', reason: 'Created' });
    expect(page.items.some((item) => item.id === 'e7')).toBe(false);
  });

  it('filters by Channel', async () => {
    const page = await pulseInboxPage(db.pool, { namespace: 'team-a', channel: 'history', limit: 50 });
    expect(page.items.map((item) => item.id).sort()).toEqual(['e2', 'e4']);
  });

  it('pages through ties to the microsecond without skipping or repeating', async () => {
    const seen: string[] = [];
    let after;
    do {
      const page = await pulseInboxPage(db.pool, { namespace: 'team-a', limit: 2, after });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((item) => `${item.id}/${item.channel}`));
      after = page.next;
    } while (after);
    expect(seen).toHaveLength(6);
    expect(new Set(seen).size).toBe(6);
    expect(seen[0]).toBe('e6/science');
  });
});
