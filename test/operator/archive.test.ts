// The archive with the real operator process, API server, runners (node harness) and PostgreSQL:
// finished Episodes are archived whole; Channel.spec.archive's TTL deletes the Episode object and
// keeps the row; with PostgreSQL unreachable the delete waits and nothing is lost; rows past
// retentionDays are collected.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiException, CustomObjectsApi } from '@kubernetes/client-node';
import { openDatabase, type Database } from '@acog/db';
import { archiveEpisodes, archivedEpisode, type ArchiveRecord } from '@acog/db/archive';
import { GROUP, VERSION, type Episode, type SkipStages } from '@acog/api';
import { kubeConfig, uniqueName } from '../support/env.ts';
import { NodeHarness } from '../support/node-harness.ts';
import { getEpisode, prepareNamespace, startOperatorProcess, waitForEpisode, type OperatorProcess } from '../support/operator.ts';
import { apply, testChannel, testEpisode } from '../support/pipeline-objects.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

const namespace = uniqueName('op-archive');
const WRITING_ONLY: SkipStages = ['metadata', 'voice', 'avatar', 'broll', 'assemble', 'upload'];
let operator: OperatorProcess;
let harness: NodeHarness;
let proxy: TcpProxy;
let db: Database;

/** The row of an Episode, read straight from PostgreSQL (not through the proxy). */
const row = (uid: string) => archivedEpisode(db.pool, namespace, uid);

async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; operator log:\n${await operator.logs(40)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Whether the Episode object is gone from the API server. */
async function gone(name: string): Promise<boolean> {
  try {
    await getEpisode(namespace, name);
    return false;
  } catch (error) {
    if (error instanceof ApiException && error.code === 404) return true;
    throw error;
  }
}

beforeAll(async () => {
  const url = new URL(await createTestDatabase('op-archive'));
  db = openDatabase({ url: url.toString() });
  proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port) });
  const proxied = new URL(url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(proxy.port);
  await prepareNamespace(namespace);
  operator = await startOperatorProcess({ namespace, databaseUrl: proxied.toString(), extraArgs: ['--archive-collect-interval', '1'] });
  harness = new NodeHarness({ kubeConfig: kubeConfig(), namespace, mode: 'process', slots: 2 });
  await harness.start();
  await apply(namespace, await testChannel('ttl', (c) => (c.spec.archive = { ttlSecondsAfterFinished: 2, retentionDays: 30 })));
  await apply(namespace, await testChannel('forever'));
});

afterAll(async () => {
  await harness?.stop();
  await operator?.stop();
  await proxy?.close();
  await db?.close();
});

describe('the archive', () => {
  it('stores a finished Episode whole, and its TTL deletes the object but keeps the row', async () => {
    await apply(namespace, await testEpisode('written', 'ttl', (e) => (e.spec.overrides = { skipStages: WRITING_ONLY })));
    const finished = await waitForEpisode(namespace, 'written', (e) => e.status?.phase === 'Succeeded', { operator });
    const uid = finished.metadata.uid!;
    const archived = await eventually('the archived row', () => row(uid));
    expect(archived).toMatchObject({ name: 'written', channel: 'ttl', phase: 'Succeeded', uid });
    const object = archived.object as Episode;
    expect(object.spec.topic).toBe(finished.spec.topic);
    expect(object.status?.stages?.find((stage) => stage.name === 'script')?.artifacts?.length).toBeGreaterThan(0);
    expect(object.metadata).not.toHaveProperty('managedFields');
    // Deleted after its TTL (2 s after status.finishedAt), never before.
    await eventually('the TTL to delete the Episode', () => gone('written'), 30_000);
    expect(Date.now() - Date.parse(finished.status!.finishedAt!)).toBeGreaterThanOrEqual(2_000);
    const kept = await row(uid);
    expect(kept?.phase).toBe('Succeeded');
    expect((kept?.object as Episode).status?.phase).toBe('Succeeded');
  });

  it('archives a Channel without a TTL too, and leaves its Episode in the cluster', async () => {
    await apply(namespace, await testEpisode('stopped', 'forever', (e) => (e.spec.cancel = true)));
    const cancelled = await waitForEpisode(namespace, 'stopped', (e) => e.status?.phase === 'Cancelled', { operator });
    expect((await eventually('the archived row', () => row(cancelled.metadata.uid!))).phase).toBe('Cancelled');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect((await getEpisode(namespace, 'stopped')).metadata.uid).toBe(cancelled.metadata.uid);
  });

  it('with PostgreSQL unreachable, keeps the finished Episode past its TTL; archives and deletes it once it is back', async () => {
    proxy.cut();
    try {
      await apply(namespace, await testEpisode('while-down', 'ttl', (e) => (e.spec.cancel = true)));
      const cancelled = await waitForEpisode(namespace, 'while-down', (e) => e.status?.phase === 'Cancelled', { operator });
      // Well past the TTL: the Episode is still there, and nothing reached the archive.
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      expect((await getEpisode(namespace, 'while-down')).status?.phase).toBe('Cancelled');
      expect(await row(cancelled.metadata.uid!)).toBeUndefined();
      proxy.restore();
      await eventually('the archived row after PostgreSQL is back', () => row(cancelled.metadata.uid!));
      await eventually('the TTL to delete the Episode', () => gone('while-down'), 60_000);
      expect((await row(cancelled.metadata.uid!))?.phase).toBe('Cancelled');
    } finally {
      proxy.restore();
    }
  });

  it('a finished Episode deleted by hand before it was archived waits for its row, then goes', async () => {
    // Running: the operator holds acog.dev/archive on it from its first reconcile.
    await apply(namespace, await testEpisode('by-hand', 'forever', (e) => (e.spec.overrides = { skipStages: WRITING_ONLY })));
    await eventually('the archive finalizer', async () =>
      (await getEpisode(namespace, 'by-hand')).metadata.finalizers?.includes('acog.dev/archive'),
    );
    proxy.cut();
    try {
      const finished = await waitForEpisode(namespace, 'by-hand', (e) => e.status?.phase === 'Succeeded', { operator });
      const uid = finished.metadata.uid!;
      // A person deletes it while PostgreSQL is unreachable: it is not archived yet, so it stays.
      await kubeConfig('admin')
        .makeApiClient(CustomObjectsApi)
        .deleteNamespacedCustomObject({ group: GROUP, version: VERSION, plural: 'episodes', namespace, name: 'by-hand' });
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const held = await getEpisode(namespace, 'by-hand');
      expect(held.metadata.deletionTimestamp).toBeDefined();
      expect(held.metadata.finalizers).toContain('acog.dev/archive');
      expect(await row(uid)).toBeUndefined();
      proxy.restore();
      await eventually('the Episode to go once archived', () => gone('by-hand'), 60_000);
      const archived = await row(uid);
      expect(archived).toMatchObject({ name: 'by-hand', phase: 'Succeeded' });
      expect((archived?.object as Episode).status?.stages?.find((stage) => stage.name === 'script')?.phase).toBe('Succeeded');
    } finally {
      proxy.restore();
    }
  });

  it('an Episode deleted before it finished is not held: nothing to archive', async () => {
    await apply(namespace, await testEpisode('early', 'forever', (e) => (e.spec.suspend = true)));
    await eventually('the archive finalizer', async () =>
      (await getEpisode(namespace, 'early')).metadata.finalizers?.includes('acog.dev/archive'),
    );
    const uid = (await getEpisode(namespace, 'early')).metadata.uid!;
    await kubeConfig('admin')
      .makeApiClient(CustomObjectsApi)
      .deleteNamespacedCustomObject({ group: GROUP, version: VERSION, plural: 'episodes', namespace, name: 'early' });
    await eventually('the unfinished Episode to go', () => gone('early'), 30_000);
    expect(await row(uid)).toBeUndefined();
  });

  it("collects rows past a Channel's retentionDays, and only those", async () => {
    const old = (n: number, channel: string, finishedAt: string): ArchiveRecord => ({
      uid: `11111111-0000-4000-8000-${String(n).padStart(12, '0')}`,
      namespace,
      channel,
      name: `old-${n}`,
      phase: 'Succeeded',
      topic: 'An old episode',
      labels: {},
      object: { spec: { topic: 'An old episode' } },
      totalCostUSD: 0,
      resourceVersion: '1',
      finishedAt,
    });
    const tooOld = new Date(Date.now() - 31 * 86_400_000).toISOString();
    const recent = new Date(Date.now() - 29 * 86_400_000).toISOString();
    await archiveEpisodes(db.pool, [old(1, 'ttl', tooOld), old(2, 'ttl', recent), old(3, 'forever', tooOld)]);
    await eventually('the collection of the row past 30 days', async () => !(await row(old(1, 'ttl', tooOld).uid)), 30_000);
    expect(await row(old(2, 'ttl', recent).uid)).toBeDefined();
    // A Channel without retentionDays keeps its rows forever.
    expect(await row(old(3, 'forever', tooOld).uid)).toBeDefined();
  });
});
