// The informer against the real API server of the local control plane.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api } from '@kubernetes/client-node';
import { kubeConfig, localEnv, uniqueName } from '../../../test/support/env.ts';
import { Informer, type InformerEvent, type KubeObject, type ListPage } from './informer.ts';

const namespace = uniqueName('informer');
const core = () => kubeConfig().makeApiClient(CoreV1Api);
const informers: Informer<KubeObject>[] = [];

function configMapInformer(
  options: { resyncMs?: number; list?: (c: string | undefined) => Promise<ListPage<KubeObject>>; labelSelector?: string } = {},
) {
  const lists: (string | undefined)[] = [];
  const informer = new Informer<KubeObject>(kubeConfig(), {
    name: 'configmaps',
    path: `/api/v1/namespaces/${namespace}/configmaps`,
    labelSelector: options.labelSelector,
    resyncMs: options.resyncMs,
    list:
      options.list ??
      (async (continueToken) => {
        lists.push(continueToken);
        const page = await core().listNamespacedConfigMap({
          namespace,
          limit: 2,
          _continue: continueToken,
          labelSelector: options.labelSelector,
        });
        return { items: page.items as KubeObject[], resourceVersion: page.metadata!.resourceVersion!, continue: page.metadata?._continue };
      }),
  });
  informers.push(informer);
  return { informer, lists };
}

const until = async (check: () => boolean, what: string) => {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

// Kubernetes' root-ca-certificate-publisher puts this ConfigMap in every namespace (docs/adr/0027).
const ROOT_CA = 'kube-root-ca.crt';

beforeAll(async () => {
  await core().createNamespace({ body: { metadata: { name: namespace } } });
  // Waited for, so that it is in the first list rather than a watch event in the middle of a test.
  const published = () =>
    core()
      .readNamespacedConfigMap({ namespace, name: ROOT_CA })
      .then(Boolean, () => false);
  const deadline = Date.now() + 30_000;
  while (!(await published())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for the ${ROOT_CA} ConfigMap in ${namespace}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  for (const name of ['a', 'b', 'c', 'd', 'e'])
    await core().createNamespacedConfigMap({
      namespace,
      body: { metadata: { name, labels: { set: name < 'c' ? 'first' : 'second' } }, data: { v: '1' } },
    });
});
afterAll(() => informers.forEach((informer) => informer.stop()));

describe('Informer', () => {
  it('lists page by page, then watches from the list: adds, updates and deletes reach the cache and the handlers', async () => {
    const { informer, lists } = configMapInformer();
    const events: [InformerEvent, string][] = [];
    informer.on((event, object) => events.push([event, object.metadata!.name!]));
    informer.start();
    await informer.waitForSync();
    expect(lists).toHaveLength(3);
    expect(
      informer
        .list()
        .map((o) => o.metadata!.name)
        .sort(),
    ).toEqual(['a', 'b', 'c', 'd', 'e', ROOT_CA]);
    events.length = 0;

    await core().createNamespacedConfigMap({ namespace, body: { metadata: { name: 'f' } } });
    await core().patchNamespacedConfigMap({ namespace, name: 'a', body: [{ op: 'add', path: '/data/w', value: '2' }] });
    await core().deleteNamespacedConfigMap({ namespace, name: 'b' });
    await until(() => events.length >= 3, 'three watch events');
    expect(events).toEqual([
      ['add', 'f'],
      ['update', 'a'],
      ['delete', 'b'],
    ]);
    expect(informer.get(`${namespace}/b`)).toBeUndefined();
    expect((informer.get(`${namespace}/a`) as { data?: Record<string, string> }).data).toEqual({ v: '1', w: '2' });
    // The cache drops the server's bookkeeping.
    expect(informer.get(`${namespace}/a`)?.metadata?.managedFields).toBeUndefined();
  });

  it('keeps indexes current and honours a label selector', async () => {
    const { informer } = configMapInformer({ labelSelector: 'set=second' });
    informer.addIndex('data', (o) => Object.keys((o as { data?: object }).data ?? {}));
    informer.start();
    await informer.waitForSync();
    expect(
      informer
        .list()
        .map((o) => o.metadata!.name)
        .sort(),
    ).toEqual(['c', 'd', 'e']);
    expect(
      informer
        .byIndex('data', 'v')
        .map((o) => o.metadata!.name)
        .sort(),
    ).toEqual(['c', 'd', 'e']);
    await core().patchNamespacedConfigMap({ namespace, name: 'c', body: [{ op: 'replace', path: '/data', value: { x: '1' } }] });
    await until(() => informer.byIndex('data', 'x').length === 1, 'the index to follow the update');
    expect(
      informer
        .byIndex('data', 'v')
        .map((o) => o.metadata!.name)
        .sort(),
    ).toEqual(['d', 'e']);
  });

  it('relists when its resourceVersion was compacted away (410 Gone), and watches on', async () => {
    // A revision, then more history, then etcd compacts everything before now: a watch from that
    // revision can only be answered with 410 Gone.
    const old = (await core().listNamespacedConfigMap({ namespace })).metadata!.resourceVersion!;
    for (let i = 0; i < 3; i++) await core().createNamespacedConfigMap({ namespace, body: { metadata: { name: `history-${i}` } } });
    const now = (await core().listNamespacedConfigMap({ namespace })).metadata!.resourceVersion!;
    const compacted = await fetch(`${localEnv().etcd.url}/v3/kv/compaction`, {
      method: 'POST',
      body: JSON.stringify({ revision: now, physical: true }),
    });
    expect(compacted.status).toBe(200);
    let calls = 0;
    const { informer } = configMapInformer({
      list: async (continueToken) => {
        calls++;
        const page = await core().listNamespacedConfigMap({ namespace, _continue: continueToken });
        return { items: page.items as KubeObject[], resourceVersion: calls === 1 ? old : page.metadata!.resourceVersion! };
      },
    });
    informer.start();
    await informer.waitForSync();
    await until(() => calls >= 2, 'a relist after 410');
    await core().createNamespacedConfigMap({ namespace, body: { metadata: { name: 'after-relist' } } });
    await until(() => informer.get(`${namespace}/after-relist`) !== undefined, 'the watch to resume after the relist');
  });

  it('replays the cache on the resync period', async () => {
    const { informer } = configMapInformer({ resyncMs: 200 });
    const updates: string[] = [];
    informer.on((event, object, previous) => event === 'update' && previous === object && updates.push(object.metadata!.name!));
    informer.start();
    await informer.waitForSync();
    await until(() => updates.length >= informer.size * 2, 'two resyncs');
  });
});
