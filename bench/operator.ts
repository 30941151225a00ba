// The operator under load, against the real API server of a local control plane it starts:
// 1000 Episodes applied at once, the node harness completing every Job at once (a minimal
// result.json and its NATS event), then 9000 more (suspended) to reach 10 000.
// Prints: time until every first-stage Job exists; stage hand-off latency (event published → next
// Job seen) p50 and p99, against a baseline measured in the same run (a Job created by the bench
// itself → seen through a watch); API writes per stage transition; operator resident memory.
// Targets: hand-off p50 < 100 ms, p99 < 500 ms; <= 3 API writes per transition; < 256 MiB at 10 000.
// Run: node bench/operator.ts [--episodes 1000] [--total 10000]
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { GROUP, VERSION, activeDependencies, STAGES } from '@acog/api';
import { startLocalEnv } from '@acog/hack/local-env';
import { NatsEventPublisher } from '@acog/runners';
import { S3ArtifactStore } from '@acog/store/s3';
import { Informer, type KubeObject, reuseConnections } from '@acog/kube';

const { values } = parseArgs({
  options: {
    episodes: { type: 'string', default: '1000' },
    total: { type: 'string', default: '10000' },
    workers: { type: 'string', default: '4' },
  },
});
const EPISODES = Number(values.episodes);
const TOTAL = Number(values.total);
const namespace = 'bench';
const OPERATOR_NODE_OPTIONS = process.env.OPERATOR_NODE_OPTIONS ?? '--max-old-space-size=128 --max-semi-space-size=2';

const env = await startLocalEnv({ log: () => undefined });
// The control plane's own kubeconfig, as the admin user (its current context).
const kc = new KubeConfig();
kc.loadFromFile(env.kubernetes.kubeconfig);
kc.setCurrentContext('admin');
reuseConnections(kc);
const { NodeHarness } = await import('../test/support/node-harness.ts');
const { freePort, startProcess } = await import('@acog/hack/local-env/process');

const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function pool<T>(items: T[], size: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: size }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

/**
 * What the real Job controller and scheduler (hack/local-env, docs/adr/0020) add around a hand-off:
 * Job seen → its Pod started on the harness's Node, and the Pod reported Succeeded → the Job Complete.
 */
function controllerLatencies(runs: { startedAt: number; jobSeenAt?: number; reportedAt?: number; jobFinishedAt?: number }[]) {
  const figure = (lags: number[]) => `p50 ${percentile(lags, 50)} ms, p99 ${percentile(lags, 99)} ms over ${lags.length} Jobs`;
  const started = runs.filter((run) => run.jobSeenAt !== undefined).map((run) => run.startedAt - run.jobSeenAt!);
  const finished = runs.filter((run) => run.reportedAt && run.jobFinishedAt).map((run) => run.jobFinishedAt! - run.reportedAt!);
  return [
    ['Job seen → its Pod started (Job ctrl + scheduler)', figure(started)],
    ['Pod Succeeded → Job Complete (Job controller)', figure(finished)],
  ] as const;
}

try {
  for (const name of [namespace, 'baseline']) await core.createNamespace({ body: { metadata: { name } } });

  // --- Baseline: a Job created by us, seen through a watch (the floor of any hand-off). --------
  const baselineSeen = new Map<string, number>();
  const baselineInformer = new Informer(kc, {
    name: 'baseline',
    path: '/apis/batch/v1/namespaces/baseline/jobs',
    list: async () => {
      const page = (await custom.listNamespacedCustomObject({ group: 'batch', version: 'v1', plural: 'jobs', namespace: 'baseline' })) as {
        items: KubeObject[];
        metadata: { resourceVersion: string };
      };
      return { items: page.items, resourceVersion: page.metadata.resourceVersion };
    },
  });
  baselineInformer.on((event, job) => event === 'add' && baselineSeen.set(job.metadata!.name!, Date.now()));
  baselineInformer.start();
  await baselineInformer.waitForSync();
  const baseline: number[] = [];
  for (let i = 0; i < 200; i++) {
    const name = `baseline-${i}`;
    const started = Date.now();
    await custom.createNamespacedCustomObject({
      group: 'batch',
      version: 'v1',
      plural: 'jobs',
      namespace: 'baseline',
      body: {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name },
        spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'acog/runner:dev' }] } } },
      },
    });
    while (!baselineSeen.has(name)) await sleep(1);
    baseline.push(baselineSeen.get(name)! - started);
  }
  baselineInformer.stop();

  // --- The operator, as a process, watching the bench namespace. ----------------------------
  const store = new S3ArtifactStore({
    endpoint: env.s3.endpoint,
    region: env.s3.region,
    credentials: { accessKeyId: env.s3.accessKeyId, secretAccessKey: env.s3.secretAccessKey },
  });
  const { mkdtemp, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = await mkdtemp(join(tmpdir(), 'acog-bench-operator-'));
  const port = await freePort();
  await writeFile(join(dir, 'runner.yaml'), JSON.stringify({ image: 'acog/runner:dev', env: { ACOG_NATS_URL: env.nats.url } }));
  const operator = startProcess(
    'operator',
    process.execPath,
    [
      ...(process.env.BENCH_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`] : []),
      // The heap settings the chart gives the operator (charts/operator: NODE_OPTIONS).
      ...OPERATOR_NODE_OPTIONS.split(' '),
      new URL('../operator/src/main.ts', import.meta.url).pathname,
      '--kubeconfig',
      env.kubernetes.kubeconfig,
      '--namespace',
      namespace,
      '--runner-config',
      join(dir, 'runner.yaml'),
      '--nats-url',
      env.nats.url,
      '--http-address',
      `127.0.0.1:${port}`,
      '--no-leader-elect',
      '--log-level',
      'warn',
      '--workers',
      values.workers!,
    ],
    join(dir, 'operator.log'),
    {
      env: {
        ...process.env,
        ACOG_S3_ENDPOINT: env.s3.endpoint,
        AWS_REGION: env.s3.region,
        AWS_ACCESS_KEY_ID: env.s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: env.s3.secretAccessKey,
        ACOG_DATABASE_URL: env.postgres.url,
        // As the chart runs it: fewer malloc arenas keep the resident size close to the heap.
        MALLOC_ARENA_MAX: '2',
      },
    },
  );
  // The operator answers /readyz once its caches are synced; on a loaded machine that takes seconds.
  while (
    !(await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (operator.child.exitCode !== null) throw new Error(`the operator exited; see ${join(dir, 'operator.log')}`);
    await sleep(200);
  }
  const rssMiB = async () => {
    const status = await readFile(`/proc/${operator.child.pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
  };
  const writes = async () => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const counts: Record<string, number> = {};
    for (const m of text.matchAll(/^acog_kube_api_requests_total\{verb="(\w+)",resource="([\w.]+)"\} (\d+)/gm))
      counts[`${m[1]} ${m[2]}`] = (counts[`${m[1]} ${m[2]}`] ?? 0) + Number(m[3]);
    return counts;
  };

  // --- The harness completes every Job at once. ---------------------------------------------
  const events = await NatsEventPublisher.connect(env.nats.url, { name: 'bench' });
  const published = new Map<string, number>();
  const seen = new Map<string, number>();
  const harness = new NodeHarness({
    kubeConfig: kc,
    namespace,
    mode: 'instant',
    slots: 32,
    store,
    events,
    onJobSeen: ({ episode, stage, at }) => seen.set(`${episode}/${stage}`, at),
    onPublished: ({ episode, stage, at }) => published.set(`${episode}/${stage}`, at),
  });
  await harness.start();
  await sleep(3000);

  const channel = JSON.parse(
    JSON.stringify({
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'Channel',
      metadata: { name: 'bench' },
      spec: { persona: { name: 'Ada', tone: 'warm', audience: 'developers' }, format: { aspectRatio: '16:9', targetDurationSeconds: 60 } },
    }),
  );
  await custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, plural: 'channels', namespace, body: channel });
  await sleep(2000);
  const writesBefore = await writes();

  const episode = (i: number, suspend = false) => ({
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'Episode',
    metadata: { name: `ep-${i}` },
    spec: { channelRef: { name: 'bench' }, topic: `Episode number ${i}`, suspend },
  });
  // Progress is read from one watch, as any client should, not by listing 10 000 objects in a loop.
  const episodes = new Informer(kc, {
    name: 'episodes',
    path: `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/episodes`,
    list: async (continueToken) => {
      const page = (await custom.listNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: 'episodes',
        namespace,
        _continue: continueToken,
        limit: 500,
      })) as {
        items: KubeObject[];
        metadata: { resourceVersion: string; continue?: string };
      };
      return { items: page.items, resourceVersion: page.metadata.resourceVersion, continue: page.metadata.continue };
    },
  });
  episodes.start();
  await episodes.waitForSync();
  const applyStarted = Date.now();
  await pool(
    Array.from({ length: EPISODES }, (_, i) => i),
    64,
    (i) => custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, plural: 'episodes', namespace, body: episode(i) }),
  );
  const applied = Date.now() - applyStarted;
  while ([...seen.keys()].filter((key) => key.endsWith('/plan')).length < EPISODES) await sleep(20);
  const firstJobs = Date.now() - applyStarted;

  const phases = () => episodes.list().map((item) => (item as { status?: { phase?: string } }).status?.phase);
  while (phases().filter((phase) => phase === 'Succeeded').length < EPISODES) await sleep(200);
  const allDone = Date.now() - applyStarted;
  await sleep(3000);
  const writesAfter = await writes();
  const rss1000 = await rssMiB();

  const handoffs: number[] = [];
  for (let i = 0; i < EPISODES; i++) {
    for (const stage of STAGES) {
      const dependencies = activeDependencies(stage, STAGES);
      if (!dependencies.length) continue;
      const trigger = Math.max(...dependencies.map((d) => published.get(`ep-${i}/${d}`) ?? NaN));
      const started = seen.get(`ep-${i}/${stage}`);
      if (started !== undefined && Number.isFinite(trigger)) handoffs.push(started - trigger);
    }
  }
  const transitions = harness.runs.length;
  const writeVerbs = ['create', 'update', 'patch', 'delete'];
  const diff: Record<string, number> = {};
  for (const [key, count] of Object.entries(writesAfter)) diff[key] = count - (writesBefore[key] ?? 0);
  const totalWrites = Object.entries(diff)
    .filter(([key]) => writeVerbs.includes(key.split(' ')[0]))
    .reduce((sum, [, count]) => sum + count, 0);

  // --- To 10 000: the rest suspended (they are cached and reconciled once each). ------------
  await pool(
    Array.from({ length: TOTAL - EPISODES }, (_, i) => i + EPISODES),
    64,
    (i) => custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, plural: 'episodes', namespace, body: episode(i, true) }),
  );
  while (phases().filter(Boolean).length < TOTAL) await sleep(500);
  await sleep(3000);
  const rssTotal = await rssMiB();

  const row = (label: string, value: string) => console.log(`${label.padEnd(46)} ${value}`);
  const p50 = percentile(handoffs, 50);
  const p99 = percentile(handoffs, 99);
  const b50 = percentile(baseline, 50);
  const b99 = percentile(baseline, 99);
  console.log(`\nacog-operator (${values.workers} workers), ${EPISODES} Episodes applied at once, Jobs completed at once (2 cores)`);
  row('baseline: Job create → seen by a watch', `p50 ${b50} ms, p99 ${b99} ms (200 samples)`);
  row('applying the Episodes (64 at a time)', `${(applied / 1000).toFixed(1)} s`);
  row('until every first-stage Job exists', `${(firstJobs / 1000).toFixed(1)} s after the first apply`);
  row('until every Episode Succeeded', `${(allDone / 1000).toFixed(1)} s (${transitions} stage Jobs)`);
  row('hand-off: event published → next Job seen', `p50 ${p50} ms (${(p50 / Math.max(1, b50)).toFixed(1)}x baseline; target < 100 ms)`);
  row('', `p99 ${p99} ms (${(p99 / Math.max(1, b99)).toFixed(1)}x baseline; target < 500 ms) over ${handoffs.length} hand-offs`);
  row('API writes per stage transition', `${(totalWrites / transitions).toFixed(2)} (target <= 3)`);
  row(
    '',
    Object.entries(diff)
      .filter(([key]) => writeVerbs.includes(key.split(' ')[0]))
      .map(([key, n]) => `${key} ${n}`)
      .join(', '),
  );
  const histogram = async (name: string, controller: string) => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const buckets = [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)",controller="${controller}"\\} (\\d+)`, 'gm'))].map(
      (m) => [m[1], Number(m[2])] as const,
    );
    const count = buckets.at(-1)?.[1] ?? 0;
    const le = (q: number) => buckets.find(([, n]) => n >= q * count)?.[0];
    return `p50 <= ${le(0.5)} s, p99 <= ${le(0.99)} s (${count} reconciles)`;
  };
  for (const [label, value] of controllerLatencies(harness.runs)) row(label, value);
  row('episode reconcile duration', await histogram('acog_reconcile_duration_seconds', 'episode'));
  row('episode queue wait', await histogram('acog_workqueue_queue_duration_seconds', 'episode'));
  row(`operator resident memory at ${EPISODES}`, `${rss1000.toFixed(0)} MiB`);
  row(`operator resident memory at ${TOTAL}`, `${rssTotal.toFixed(0)} MiB (target < 256 MiB; ${TOTAL - EPISODES} of them suspended)`);

  episodes.stop();
  await harness.stop();
  await events.close();
  await operator.stop();
} finally {
  await env.stop();
}
