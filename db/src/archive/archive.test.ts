import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/postgres.ts';
import { openDatabase, type Database } from '../database.ts';
import { migrate } from '../migrate.ts';
import { archivedEpisode, archivedVersions, archiveEpisodes, deleteArchivedBefore, historyPage, type ArchiveRecord } from './index.ts';

let db: Database;

function record(n: number, overrides: Partial<ArchiveRecord> = {}): ArchiveRecord {
  const uid = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const name = overrides.name ?? `episode-${n}`;
  return {
    uid,
    namespace: 'team-a',
    channel: 'engineering',
    name,
    phase: 'Succeeded',
    topic: `Topic number ${n}`,
    labels: {},
    object: { metadata: { name, uid }, spec: { topic: `Topic number ${n}`, brief: 'plain brief' } },
    totalCostUSD: 0.25,
    resourceVersion: '1',
    createdAt: '2026-11-01T00:00:00.000Z',
    finishedAt: new Date(Date.UTC(2026, 10, 1) + n * 3_600_000).toISOString(),
    ...overrides,
  };
}

beforeAll(async () => {
  db = openDatabase({ url: await createTestDatabase('archive') });
  expect(await migrate(db)).toContain('0002_archive');
});

afterAll(async () => {
  await db?.close();
});

describe('the archive', () => {
  it('upserts by uid: the same record twice is one row, a new resourceVersion replaces it', async () => {
    const first = record(1, { namespace: 'upsert' });
    await archiveEpisodes(db.pool, [first]);
    await archiveEpisodes(db.pool, [first]);
    const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM archived_episodes WHERE namespace = 'upsert'`);
    expect(rows[0].n).toBe(1);
    await archiveEpisodes(db.pool, [{ ...first, phase: 'Failed', resourceVersion: '2', videoUrl: 'https://youtu.be/x' }]);
    const stored = await archivedEpisode(db.pool, 'upsert', first.uid);
    expect(stored).toMatchObject({ phase: 'Failed', resourceVersion: '2', videoUrl: 'https://youtu.be/x', totalCostUSD: 0.25 });
    expect(stored!.object).toEqual(first.object);
    expect(await archivedVersions(db.pool, [first.uid, 'missing'])).toEqual(new Map([[first.uid, '2']]));
    // Another namespace never sees it.
    expect(await archivedEpisode(db.pool, 'team-b', first.uid)).toBeUndefined();
  });

  it('pages newest first with a keyset that neither skips nor repeats', async () => {
    await archiveEpisodes(
      db.pool,
      Array.from({ length: 25 }, (_, i) => record(100 + i, { namespace: 'pages' })),
    );
    const seen: string[] = [];
    let after;
    for (let page = 0; page < 10; page++) {
      const result = await historyPage(db.pool, { namespace: 'pages', limit: 10, after });
      seen.push(...result.items.map((item) => item.name));
      after = result.next;
      if (!after) break;
    }
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `episode-${124 - i}`));
  });

  it('filters by channel, phase, time, labels and words of name, topic and brief', async () => {
    const ns = 'filters';
    await archiveEpisodes(db.pool, [
      record(200, { namespace: ns, name: 'how-indexes-work', topic: 'How database indexes work', labels: { tier: 'gold', series: 'db' } }),
      record(201, { namespace: ns, channel: 'shorts', phase: 'Failed', topic: 'Rust lifetimes', labels: { tier: 'silver' } }),
      record(202, {
        namespace: ns,
        phase: 'Cancelled',
        topic: 'Garbage collectors',
        labels: { series: 'runtime' },
        object: { spec: { topic: 'Garbage collectors', brief: 'Why a B-tree beats a hash for ranges' } },
      }),
    ]);
    const names = async (query: Partial<Parameters<typeof historyPage>[1]>) =>
      (await historyPage(db.pool, { namespace: ns, limit: 50, ...query })).items.map((item) => item.name);
    expect(await names({})).toEqual(['episode-202', 'episode-201', 'how-indexes-work']);
    expect(await names({ channel: 'shorts' })).toEqual(['episode-201']);
    expect(await names({ phase: 'Cancelled' })).toEqual(['episode-202']);
    expect(await names({ since: new Date(Date.UTC(2026, 10, 1) + 201 * 3_600_000) })).toEqual(['episode-202', 'episode-201']);
    expect(await names({ labels: [{ key: 'tier', operator: 'in', values: ['gold'] }] })).toEqual(['how-indexes-work']);
    expect(await names({ labels: [{ key: 'tier', operator: 'in', values: ['gold', 'silver'] }] })).toEqual([
      'episode-201',
      'how-indexes-work',
    ]);
    expect(await names({ labels: [{ key: 'tier', operator: 'notin', values: ['gold'] }] })).toEqual(['episode-202', 'episode-201']);
    expect(await names({ labels: [{ key: 'series', operator: 'exists', values: [] }] })).toEqual(['episode-202', 'how-indexes-work']);
    expect(await names({ labels: [{ key: 'series', operator: '!', values: [] }] })).toEqual(['episode-201']);
    // Stemmed words: "index" finds the topic's "indexes"; the brief is searched too.
    expect(await names({ search: 'index' })).toEqual(['how-indexes-work']);
    expect(await names({ search: 'b-tree ranges' })).toEqual(['episode-202']);
    expect(await names({ search: 'lifetimes -rust' })).toEqual([]);
    expect(await names({ search: 'rust', phase: 'Succeeded' })).toEqual([]);
  });

  it('deletes only the rows of one Channel that finished before the cutoff, in batches', async () => {
    const ns = 'retention';
    await archiveEpisodes(db.pool, [
      ...Array.from({ length: 7 }, (_, i) => record(300 + i, { namespace: ns, finishedAt: '2026-01-01T00:00:00.000Z' })),
      record(310, { namespace: ns, finishedAt: '2026-12-01T00:00:00.000Z' }),
      record(311, { namespace: ns, channel: 'other', finishedAt: '2026-01-01T00:00:00.000Z' }),
    ]);
    const deleted = await deleteArchivedBefore(db.pool, {
      namespace: ns,
      channel: 'engineering',
      before: new Date('2026-06-01T00:00:00Z'),
      batchSize: 3,
    });
    expect(deleted).toBe(7);
    const left = await historyPage(db.pool, { namespace: ns, limit: 50 });
    expect(left.items.map((item) => item.name).sort()).toEqual(['episode-310', 'episode-311']);
  });
});
