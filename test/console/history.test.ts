// The gateway's history and spend routes over a real PostgreSQL (the archive and the ledger), with
// the local users' tokens: filters, search and pages; the archived detail with only the artifacts
// still kept; spend per Channel and month and per stage and provider; per-namespace authorization;
// bad parameters as 400s naming the parameter; no database as a 503.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { BUCKETS, GROUP, VERSION, type Channel, type Episode } from '@acog/api';
import { migrate, openDatabase, type Database } from '@acog/db';
import { archiveEpisodes, type ArchiveRecord } from '@acog/db/archive';
import { Ledger } from '@acog/db/ledger';
import type { ArchivedEpisodeDetail, Gateway, HistoryPage, SpendReport } from '@acog/console';
import { kubeConfig, s3Client, uniqueName } from '../support/env.ts';
import { createObject, example } from '../support/kube.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { call, eventually, startTestGateway } from './support.ts';

let gateway: Gateway;
let bare: Gateway;
let db: Database;
const ns = 'team-a';
const channelName = uniqueName('hist');
const other = uniqueName('hist-other');

function archived(n: number, overrides: Partial<ArchiveRecord> & { status?: Episode['status'] } = {}): ArchiveRecord {
  const uid = `22222222-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const name = overrides.name ?? `${channelName}-${n}`;
  const topic = overrides.topic ?? `Episode number ${n}`;
  const status: Episode['status'] = overrides.status ?? { phase: overrides.phase ?? 'Succeeded', finishedAt: '2026-11-01T00:00:00Z' };
  return {
    uid,
    namespace: ns,
    channel: channelName,
    name,
    phase: 'Succeeded',
    topic,
    labels: {},
    object: {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'Episode',
      metadata: { name, namespace: ns, uid, labels: overrides.labels ?? {} },
      spec: { channelRef: { name: overrides.channel ?? channelName }, topic, brief: 'A plain brief' },
      status,
    },
    totalCostUSD: 0.5,
    resourceVersion: '7',
    createdAt: '2026-10-31T00:00:00.000Z',
    finishedAt: new Date(Date.UTC(2026, 10, 1) + n * 60_000).toISOString(),
    ...overrides,
  };
}

const videoKey = (name: string, uid: string) => `${ns}/${name}/${uid}/assemble/1/video.mp4`;

beforeAll(async () => {
  const url = await createTestDatabase('gateway-history');
  db = openDatabase({ url });
  await migrate(db);
  const channel = await example<Channel>('channel.yaml');
  channel.metadata = { name: channelName };
  channel.spec.budget = { monthlyLimitUSD: 25, onExceeded: 'Pause' };
  await createObject(kubeConfig('admin'), ns, 'channels', channel);

  const kept = archived(1, {
    name: `${channelName}-kept`,
    topic: 'How database indexes work',
    labels: { tier: 'gold' },
    status: {
      phase: 'Succeeded',
      finishedAt: '2026-11-01T00:01:00Z',
      artifacts: {
        video: `s3://${BUCKETS.assets}/${videoKey(`${channelName}-kept`, '22222222-0000-4000-8000-000000000001')}`,
        thumbnail: `s3://${BUCKETS.assets}/${ns}/${channelName}-kept/22222222-0000-4000-8000-000000000001/assemble/1/thumbnail.jpg`,
      },
    },
  });
  await s3Client().send(
    new PutObjectCommand({
      Bucket: BUCKETS.assets,
      Key: videoKey(kept.name, kept.uid),
      Body: Buffer.from('not really an mp4'),
      ContentType: 'video/mp4',
    }),
  );
  await archiveEpisodes(db.pool, [
    kept,
    archived(2, { phase: 'Failed', topic: 'Rust lifetimes', labels: { tier: 'silver' } }),
    archived(3, { phase: 'Cancelled', topic: 'Garbage collectors' }),
    ...Array.from({ length: 7 }, (_, i) => archived(10 + i, { channel: other })),
    { ...archived(99), namespace: 'team-b', channel: 'elsewhere', topic: 'Team B only' },
  ]);
  const entry = (stage: string, provider: string, cost: number, month: string, attempt = 1, channel = channelName) => ({
    namespace: ns,
    channel,
    episode: 'ep',
    episodeUid: `uid-${stage}-${month}-${channel}`,
    stage,
    attempt,
    outcome: 'Succeeded' as const,
    provider,
    usage: {},
    costUSD: cost,
    finishedAt: new Date(`${month}-15T12:00:00Z`),
    month,
  });
  await new Ledger(db).record([
    entry('plan', 'openai', 0.25, '2026-12'),
    entry('voice', 'elevenlabs', 1.5, '2026-12'),
    entry('voice', 'elevenlabs', 0.5, '2026-12', 2),
    entry('plan', 'openai', 2, '2026-11'),
    entry('plan', 'openai', 4, '2026-12', 1, other),
  ]);
  gateway = await startTestGateway({ databaseUrl: url });
  bare = await startTestGateway();
  await eventually('the channel in the cache', () => gateway.cache.channel(ns, channelName));
});

afterAll(async () => {
  await gateway?.stop();
  await bare?.stop();
  await db?.close();
});

const history = (query: string, user: 'editor' | 'viewer' | 'admin' = 'editor') =>
  call<HistoryPage>(gateway, user, 'GET', `/api/v1/namespaces/${ns}/history?${query}`);
const names = async (query: string) => {
  const answer = await history(query);
  expect(answer.status).toBe(200);
  return answer.body.items.map((item) => item.name);
};

describe('GET /api/v1/namespaces/:ns/history', () => {
  it('lists finished episodes newest first, with every filter', async () => {
    expect(await names(`channel=${channelName}`)).toEqual([`${channelName}-3`, `${channelName}-2`, `${channelName}-kept`]);
    expect(await names(`channel=${channelName}&phase=Failed`)).toEqual([`${channelName}-2`]);
    expect(await names(`channel=${channelName}&labelSelector=${encodeURIComponent('tier in (gold,silver),tier!=silver')}`)).toEqual([
      `${channelName}-kept`,
    ]);
    expect(await names(`channel=${channelName}&search=index`)).toEqual([`${channelName}-kept`]);
    expect(await names(`channel=${channelName}&since=2026-11-01T00:02:00Z`)).toEqual([`${channelName}-3`, `${channelName}-2`]);
    const page = await history(`channel=${channelName}&limit=1`);
    expect(page.body.items[0]).toMatchObject({ phase: 'Cancelled', totalCostUSD: 0.5, inCluster: false, labels: {} });
  });

  it('pages with continue until the last page, which has none', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const answer = await history(`channel=${other}&limit=3${token ? `&continue=${token}` : ''}`);
      expect(answer.status).toBe(200);
      seen.push(...answer.body.items.map((item) => item.name));
      token = answer.body.continue;
    } while (token);
    expect(seen).toEqual(Array.from({ length: 7 }, (_, i) => `${channelName}-${16 - i}`));
  });

  it("refuses another namespace's history to a user who may not list its episodes", async () => {
    const refused = await call(gateway, 'editor', 'GET', '/api/v1/namespaces/team-b/history');
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: { missing: { verb: 'list', resource: 'episodes', namespace: 'team-b' } } });
    expect((await call(gateway, null, 'GET', `/api/v1/namespaces/${ns}/history`)).status).toBe(401);
    // The viewer may list episodes everywhere: team-b's rows, and only those.
    const viewer = await call<HistoryPage>(gateway, 'viewer', 'GET', '/api/v1/namespaces/team-b/history');
    expect(viewer.body.items.map((item) => item.topic)).toEqual(['Team B only']);
    const detail = await call(gateway, 'editor', 'GET', `/api/v1/namespaces/team-b/history/${archived(99).uid}`);
    expect(detail.status).toBe(403);
  });

  it('answers a bad parameter with a 400 that names it', async () => {
    const bad = async (query: string, field: string) => {
      const answer = await call<{ error: { message: string; fields: { field: string }[] } }>(
        gateway,
        'editor',
        'GET',
        `/api/v1/namespaces/${ns}/history?${query}`,
      );
      expect(answer.status, query).toBe(400);
      expect(answer.body.error.fields.map((f) => f.field)).toContain(field);
      expect(answer.body.error.message).toContain(field);
    };
    await bad('limit=0', 'limit');
    await bad('limit=501', 'limit');
    await bad('phase=Running', 'phase');
    await bad('since=yesterday', 'since');
    await bad(`labelSelector=${encodeURIComponent('bad key=x')}`, 'labelSelector');
    await bad('continue=bm9wZQ', 'continue');
    await bad(`search=${'x'.repeat(201)}`, 'search');
    await bad('channel=Not_A_Name', 'channel');
  });
});

describe('GET /api/v1/namespaces/:ns/history/:uid', () => {
  it('shows the archived episode, with only the artifacts still kept, and serves them', async () => {
    const uid = archived(1).uid;
    const answer = await call<ArchivedEpisodeDetail>(gateway, 'editor', 'GET', `/api/v1/namespaces/${ns}/history/${uid}`);
    expect(answer.status).toBe(200);
    expect(answer.body.summary).toMatchObject({ uid, name: `${channelName}-kept`, labels: { tier: 'gold' } });
    expect(answer.body.detail.summary.phase).toBe('Succeeded');
    // The thumbnail was never written (or was deleted with its Episode): only the video is offered.
    expect(answer.body.detail.artifacts).toEqual({ video: `/api/v1/namespaces/${ns}/history/${uid}/artifacts/video` });
    expect((answer.body.object as { spec: { topic: string } }).spec.topic).toBe('How database indexes work');
    const video = await call(gateway, 'editor', 'GET', answer.body.detail.artifacts.video);
    expect(video.status).toBe(200);
    expect(video.body).toBe('not really an mp4');
    expect((await call(gateway, 'editor', 'GET', `/api/v1/namespaces/${ns}/history/${uid}/artifacts/thumbnail`)).status).toBe(404);
    const missing = await call(gateway, 'editor', 'GET', `/api/v1/namespaces/${ns}/history/33333333-0000-4000-8000-000000000000`);
    expect(missing.status).toBe(404);
    // A uid of another namespace is not found through this one.
    expect((await call(gateway, 'viewer', 'GET', `/api/v1/namespaces/${ns}/history/${archived(99).uid}`)).status).toBe(404);
  });
});

describe('GET /api/v1/namespaces/:ns/spend', () => {
  it('totals per Channel per month, per stage and provider, against the budget', async () => {
    const answer = await call<SpendReport>(gateway, 'editor', 'GET', `/api/v1/namespaces/${ns}/spend?month=2026-12&months=2`);
    expect(answer.status).toBe(200);
    const report = answer.body;
    expect(report.months).toEqual(['2026-11', '2026-12']);
    const mine = report.channels.find((c) => c.channel === channelName)!;
    expect(mine).toMatchObject({ limitUSD: 25, onExceeded: 'Pause', exists: true, actualUSD: 2.25, reservedUSD: 0 });
    expect(mine.months).toEqual([
      { month: '2026-11', actualUSD: 2, attempts: 1 },
      { month: '2026-12', actualUSD: 2.25, attempts: 3 },
    ]);
    // A Channel that is gone keeps its spend, without a limit.
    const gone = report.channels.find((c) => c.channel === other);
    expect(gone).toMatchObject({ exists: false, actualUSD: 4 });
    expect(gone).not.toHaveProperty('limitUSD');
    expect(report.byStageProvider.filter((row) => row.channel === channelName)).toEqual([
      { channel: channelName, stage: 'plan', provider: 'openai', actualUSD: 0.25, attempts: 1 },
      { channel: channelName, stage: 'voice', provider: 'elevenlabs', actualUSD: 2, attempts: 2 },
    ]);
    const one = await call<SpendReport>(gateway, 'editor', 'GET', `/api/v1/namespaces/${ns}/spend?channel=${channelName}&month=2026-12`);
    expect(one.body.channels.map((c) => c.channel)).toEqual([channelName]);
    expect(one.body.months).toHaveLength(6);
    expect(one.body.totalUSD).toBe(2.25);
  });

  it('refuses another namespace and bad months', async () => {
    expect((await call(gateway, 'editor', 'GET', '/api/v1/namespaces/team-b/spend')).status).toBe(403);
    const bad = await call<{ error: { fields: { field: string }[] } }>(
      gateway,
      'editor',
      'GET',
      `/api/v1/namespaces/${ns}/spend?month=2026-13`,
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields[0].field).toBe('month');
    expect((await call(gateway, 'editor', 'GET', `/api/v1/namespaces/${ns}/spend?months=37`)).status).toBe(400);
  });
});

describe('without a database', () => {
  it('answers 503 and says how to configure one', async () => {
    const answer = await call<{ error: { reason: string; message: string } }>(bare, 'editor', 'GET', `/api/v1/namespaces/${ns}/history`);
    expect(answer.status).toBe(503);
    expect(answer.body.error).toMatchObject({ reason: 'DatabaseNotConfigured' });
    expect(answer.body.error.message).toMatch(/ACOG_DATABASE_URL/);
  });
});
