// Stage hand-offs with the cost ledger and budget gate on vs off, in one run against one local
// control plane: N Episodes of a Channel whose writer is a paid provider (so every writing stage
// passes the gate and every attempt gets a ledger row), Jobs completed at once by the node
// harness, the operator in this process, once without a database (off) and once with PostgreSQL
// (on). Prints the throughput of each (Episodes finished per second) and their ratio.
// Target: on/off >= 0.9.   Run: node bench/ledger.ts [--episodes 1000]
import { parseArgs } from 'node:util';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { GROUP, VERSION } from '@acog/api';
import { migrate, openDatabase } from '@acog/db';
import { startLocalEnv } from '@acog/hack/local-env';
import { reuseConnections } from '@acog/kube';
import { createLogger } from '@acog/kube/logger';
import { checkRunnerConfig, startOperator } from '@acog/operator';
import { NatsEventPublisher } from '@acog/runners';
import { S3ArtifactStore } from '@acog/store/s3';

const { values } = parseArgs({ options: { episodes: { type: 'string', default: '1000' }, workers: { type: 'string', default: '4' } } });
const EPISODES = Number(values.episodes);
const env = await startLocalEnv({ log: () => undefined });
const kc = new KubeConfig();
kc.loadFromFile(env.kubernetes.kubeconfig);
kc.setCurrentContext('admin');
reuseConnections(kc);
const { NodeHarness } = await import('../test/support/node-harness.ts');
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const store = new S3ArtifactStore({
  endpoint: env.s3.endpoint,
  region: env.s3.region,
  forcePathStyle: true,
  credentials: { accessKeyId: env.s3.accessKeyId, secretAccessKey: env.s3.secretAccessKey },
});
const database = openDatabase({ url: env.postgres.url, maxConnections: 10 });
await migrate(database);
const events = await NatsEventPublisher.connect(env.nats.url, { name: 'bench-ledger' });

async function run(mode: 'off' | 'on'): Promise<number> {
  const namespace = `ledger-${mode}`;
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  await core.createNamespacedSecret({ namespace, body: { metadata: { name: 'openai' }, stringData: { OPENAI_API_KEY: 'sk-bench' } } });
  const harness = new NodeHarness({ kubeConfig: kc, namespace, mode: 'instant', slots: 32, store, events });
  await harness.start();
  const operator = await startOperator({
    kubeConfig: kc,
    namespaces: [namespace],
    runner: checkRunnerConfig({ image: 'acog/runner:dev', env: { ACOG_NATS_URL: env.nats.url } }),
    natsUrl: env.nats.url,
    store,
    workers: Number(values.workers),
    resyncMs: 600_000,
    log: createLogger('error'),
    ...(mode === 'on' && { database }),
  });
  await operator.databaseReady();
  await custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    plural: 'channels',
    namespace,
    body: {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'Channel',
      metadata: { name: 'bench' },
      spec: {
        persona: { name: 'Ada', tone: 'warm', audience: 'developers' },
        format: { aspectRatio: '16:9', targetDurationSeconds: 60 },
        providers: { llm: { provider: 'openai', secretRef: { name: 'openai' } } },
        budget: { monthlyLimitUSD: 1_000_000, onExceeded: 'Pause' },
      },
    },
  });
  await sleep(2_000);
  const started = Date.now();
  const names = Array.from({ length: EPISODES }, (_, i) => `ep-${i}`);
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < names.length) {
        const name = names[next++];
        await custom.createNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          plural: 'episodes',
          namespace,
          body: {
            apiVersion: `${GROUP}/${VERSION}`,
            kind: 'Episode',
            metadata: { name },
            spec: { channelRef: { name: 'bench' }, topic: `Episode ${name}` },
          },
        });
      }
    }),
  );
  let finished = 0;
  while (finished < EPISODES) {
    await sleep(500);
    const list = (await custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, plural: 'episodes', namespace })) as {
      items: { status?: { phase?: string } }[];
    };
    finished = list.items.filter((item) => item.status?.phase === 'Succeeded' || item.status?.phase === 'Failed').length;
    if (Date.now() - started > 30 * 60_000) throw new Error(`${mode}: only ${finished} of ${EPISODES} finished in 30 minutes`);
  }
  const seconds = (Date.now() - started) / 1000;
  await operator.stop();
  await harness.stop();
  if (mode === 'on') {
    const { rows } = await database.pool.query<{ count: string }>('SELECT count(*) FROM ledger WHERE namespace = $1', [namespace]);
    console.log(`ledger rows: ${rows[0].count} (one per finished attempt)`);
  }
  return EPISODES / seconds;
}

try {
  const off = await run('off');
  const on = await run('on');
  console.log(`episodes: ${EPISODES}`);
  console.log(`ledger and budget off: ${off.toFixed(1)} episodes/s (baseline, same run)`);
  console.log(`ledger and budget on:  ${on.toFixed(1)} episodes/s`);
  console.log(`ratio on/off: ${(on / off).toFixed(3)} (target >= 0.9)`);
} finally {
  await events.close?.();
  await database.close();
  await env.stop();
}
