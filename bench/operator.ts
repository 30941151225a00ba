// The operator's speed, the way it matters, against the real API server, NATS, MinIO and PostgreSQL
// of a local control plane it starts, with the operator as a process and the node harness playing
// the nodes (instant mode: a minimal result.json and its NATS event per Job, at once or after a
// set run time). Every figure is printed beside a baseline measured in the same run:
//   0. the floor: a Job created by the bench itself → seen through a watch;
//   1. reaction time: event published → next Job seen, for one Episode at a time, and for ten
//      whose stage Jobs each last 2 s (target p50 < 100 ms, p99 < 300 ms);
//   2. reconcile cost: ten Episodes at once, Jobs completed at once: hand-off p50 (target < 150 ms)
//      and where a reconcile's time goes (the operator's acog_reconcile_phase_seconds and queue wait);
//   3. capacity: in a burst of 1000, stage Jobs started per second against what the API server
//      takes of the same writes (the bench creating a Job, replacing a status and creating an Event
//      per hand-off, at the operator's concurrency; target ≥ 0.8);
//   4. who finishes first: time until the first, the 10th percentile and the median Episode of the
//      burst Succeeded, as fractions of the burst (targets 10 % and 60 %), in the operator's
//      progress order and, as the baseline, in arrival order (the last no later than arrival's);
//   5. API writes per stage transition and resident memory at 1000 and 10 000 Episodes.
//   The operator runs with its per-namespace cap on running stage Jobs (--stage-slots, ADR 0030);
//   the bench prints the cap and how long stages waited for a slot. The arrival-order baseline runs
//   without a cap: every Episode advancing together, as before ADR 0020 and 0030.
// Run: node bench/operator.ts [--episodes 1000] [--total 10000] [--workers 8] [--singles 5]
//        [--stage-slots 20] [--skip-arrival] (see bench/README.md)
import { readFile, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { GROUP, VERSION, activeDependencies, STAGES } from '@acog/api';
import { startLocalEnv } from '@acog/hack/local-env';
import { NatsEventPublisher } from '@acog/runners';
import { S3ArtifactStore } from '@acog/store/s3';
import { Informer, type KubeObject, reuseConnections, statusCode } from '@acog/kube';
import { DEFAULT_RETRY, withRetry } from '@acog/kube/backoff';
import { DEFAULT_STAGE_SLOTS } from '@acog/operator';

const { values } = parseArgs({
  options: {
    episodes: { type: 'string', default: '1000' },
    total: { type: 'string', default: '10000' },
    workers: { type: 'string', default: '8' },
    singles: { type: 'string', default: '5' },
    'stage-slots': { type: 'string', default: String(DEFAULT_STAGE_SLOTS) },
    'skip-arrival': { type: 'boolean', default: false },
    'skip-burst': { type: 'boolean', default: false },
    'ten-rounds': { type: 'string', default: '1' },
  },
});
const EPISODES = Number(values.episodes);
const TOTAL = Math.max(EPISODES, Number(values.total));
const WORKERS = Number(values.workers);
const SINGLES = Number(values.singles);
const STAGE_SLOTS = Number(values['stage-slots']);
const TEN_ROUNDS = Number(values['ten-rounds']);
if (!Number.isInteger(TEN_ROUNDS) || TEN_ROUNDS < 1)
  throw new Error(`--ten-rounds must be a whole number from 1, not ${values['ten-rounds']}`);
if (!Number.isInteger(STAGE_SLOTS) || STAGE_SLOTS < 0)
  throw new Error(`--stage-slots must be a whole number from 0, not ${values['stage-slots']}`);
// Another checkout's operator (its operator/src/main.ts), to compare old and new code in one window.
const OPERATOR_MAIN = process.env.BENCH_OPERATOR_MAIN ?? new URL('../operator/src/main.ts', import.meta.url).pathname;
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
const store = new S3ArtifactStore({
  endpoint: env.s3.endpoint,
  region: env.s3.region,
  credentials: { accessKeyId: env.s3.accessKeyId, secretAccessKey: env.s3.secretAccessKey },
});
const events = await NatsEventPublisher.connect(env.nats.url, { name: 'bench' });
const dir = await mkdtemp(join(tmpdir(), 'acog-bench-operator-'));
await writeFile(join(dir, 'runner.yaml'), JSON.stringify({ image: 'acog/runner:dev', env: { ACOG_NATS_URL: env.nats.url } }));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (samples: number[], p: number) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const ms = (value: number) => `${Math.round(value)} ms`;
const load = async () => (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
const row = (label: string, value: string) => console.log(`${label.padEnd(50)} ${value}`);
async function pool<T>(items: T[], size: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: size }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}
const listOf = (group: string, version: string, plural: string, namespace: string) => async (continueToken?: string) => {
  const page = (await custom.listNamespacedCustomObject({ group, version, plural, namespace, _continue: continueToken, limit: 500 })) as {
    items: KubeObject[];
    metadata: { resourceVersion: string; continue?: string };
  };
  return { items: page.items, resourceVersion: page.metadata.resourceVersion, continue: page.metadata.continue };
};
/**
 * The bench's own writes, tried again when an overloaded API server answers 429 or 5xx (such as
 * "resource quota evaluation timed out"): a run must not die of the load it measures. A create
 * whose first try went through though its answer was lost meets 409 on the retry: `existing`
 * fetches what is there.
 */
function write<T>(operation: () => Promise<T>, existing: () => Promise<T>): Promise<T> {
  return withRetry(
    async (attempt) => {
      try {
        return await operation();
      } catch (error) {
        if (attempt > 1 && statusCode(error) === 409) return existing();
        throw error;
      }
    },
    {
      ...DEFAULT_RETRY,
      attempts: 6,
      baseDelayMs: 200,
      retryable: (error) => {
        const code = statusCode(error);
        return code === 429 || (code !== undefined && code >= 500);
      },
    },
  );
}
const getEpisode = (namespace: string, name: string) =>
  custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: 'episodes', namespace, name }) as Promise<KubeObject>;
const createNamespace = (name: string) => core.createNamespace({ body: { metadata: { name } } });
const episodeBody = (name: string, suspend = false) => ({
  apiVersion: `${GROUP}/${VERSION}`,
  kind: 'Episode',
  metadata: { name },
  spec: { channelRef: { name: 'bench' }, topic: `Episode ${name}`, suspend },
});
const createEpisode = (namespace: string, name: string, suspend = false) =>
  write(
    () =>
      custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: 'episodes',
        namespace,
        body: episodeBody(name, suspend),
      }) as Promise<KubeObject>,
    () => getEpisode(namespace, name),
  );

// --- The operator as a process -----------------------------------------------------------------

/** The operator's metrics as samples: name, labels, value. */
type Sample = { name: string; labels: Record<string, string>; value: number };

class OperatorProcess {
  readonly port: number;
  private readonly process: ReturnType<typeof startProcess>;

  private constructor(port: number, process_: ReturnType<typeof startProcess>) {
    this.port = port;
    this.process = process_;
  }

  static async start(namespaces: string[], order: 'progress' | 'arrival', stageSlots: number): Promise<OperatorProcess> {
    const port = await freePort();
    const process_ = startProcess(
      `operator-${order}`,
      process.execPath,
      [
        ...(process.env.BENCH_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`] : []),
        // The heap settings the chart gives the operator (charts/operator: NODE_OPTIONS).
        ...OPERATOR_NODE_OPTIONS.split(' '),
        OPERATOR_MAIN,
        ...['--kubeconfig', env.kubernetes.kubeconfig, '--namespaces', namespaces.join(',')],
        ...['--runner-config', join(dir, 'runner.yaml'), '--nats-url', env.nats.url, '--http-address', `127.0.0.1:${port}`],
        ...['--no-leader-elect', '--log-level', 'warn', '--workers', String(WORKERS), '--episode-order', order],
        ...['--stage-slots', String(stageSlots)],
      ],
      join(dir, `operator-${order}.log`),
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
    const operator = new OperatorProcess(port, process_);
    for (let i = 0; ; i++) {
      if (process_.child.exitCode !== null) throw new Error(`the operator exited; see ${join(dir, `operator-${order}.log`)}`);
      if (
        await fetch(`http://127.0.0.1:${port}/readyz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      await sleep(200);
    }
    return operator;
  }

  /** CPU seconds (user + system) the operator process has used. */
  async cpuSeconds(): Promise<number> {
    const fields = (await readFile(`/proc/${this.process.child.pid}/stat`, 'utf8')).split(') ')[1].split(' ');
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 a second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  }

  async rssMiB(): Promise<number> {
    const status = await readFile(`/proc/${this.process.child.pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
  }

  async metrics(): Promise<Sample[]> {
    const text = await (await fetch(`http://127.0.0.1:${this.port}/metrics`)).text();
    const samples: Sample[] = [];
    for (const m of text.matchAll(/^(\w+)(?:\{([^}]*)\})? ([\d.e+-]+|NaN)$/gm)) {
      const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
      samples.push({ name: m[1], labels, value: Number(m[3]) });
    }
    return samples;
  }

  stop(): Promise<void> {
    return this.process.stop();
  }
}

/** The sum of the samples named so whose labels include `labels`. */
const total = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);

// --- A namespace of Episodes, its Channel and its "nodes" ----------------------------------------

/** One namespace under test: its harness records when each Job is seen and each event published. */
class Lane {
  readonly published = new Map<string, number>();
  readonly seen = new Map<string, number>();
  /** When each Episode was first seen Succeeded (ms since the epoch). */
  readonly succeeded = new Map<string, number>();
  /** When a stage (episode/stage) was first seen waiting for a stage slot (ms since the epoch). */
  readonly slotWaitFrom = new Map<string, number>();
  private harness!: InstanceType<typeof NodeHarness>;
  private episodes!: Informer<KubeObject>;

  readonly namespace: string;
  private readonly runMs: number;

  constructor(namespace: string, runMs = 0) {
    this.namespace = namespace;
    this.runMs = runMs;
  }

  async start(): Promise<void> {
    await createNamespace(this.namespace);
    this.harness = new NodeHarness({
      kubeConfig: kc,
      namespace: this.namespace,
      mode: 'instant',
      slots: 32,
      runMs: this.runMs,
      store,
      events,
      onJobSeen: ({ episode, stage, at }) => this.seen.set(`${episode}/${stage}`, at),
      onPublished: ({ episode, stage, at }) => this.published.set(`${episode}/${stage}`, at),
    });
    await this.harness.start();
    // Progress is read from one watch, as any client should, not by listing Episodes in a loop.
    this.episodes = new Informer(kc, {
      name: `episodes-${this.namespace}`,
      path: `/apis/${GROUP}/${VERSION}/namespaces/${this.namespace}/episodes`,
      list: listOf(GROUP, VERSION, 'episodes', this.namespace),
    });
    this.episodes.on((_event, episode) => {
      const status = (episode as { status?: { phase?: string; stages?: { name: string; phase: string; message?: string }[] } }).status;
      const name = episode.metadata!.name!;
      if (status?.phase === 'Succeeded' && !this.succeeded.has(name)) this.succeeded.set(name, Date.now());
      for (const stage of status?.stages ?? [])
        if (
          stage.phase === 'Pending' &&
          stage.message?.startsWith('waiting for a stage slot') &&
          !this.slotWaitFrom.has(`${name}/${stage.name}`)
        )
          this.slotWaitFrom.set(`${name}/${stage.name}`, Date.now());
    });
    this.episodes.start();
    await this.episodes.waitForSync();
    await custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: 'channels',
      namespace: this.namespace,
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'Channel',
        metadata: { name: 'bench' },
        spec: {
          persona: { name: 'Ada', tone: 'warm', audience: 'developers' },
          format: { aspectRatio: '16:9', targetDurationSeconds: 60 },
        },
      },
    });
  }

  /** Waits until the operator found the Channel Ready (else the first Episodes would wait for it). */
  async channelReady(): Promise<void> {
    for (;;) {
      const channel = (await custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: 'channels',
        namespace: this.namespace,
        name: 'bench',
      })) as { status?: { conditions?: { type: string; status: string }[] } };
      if (channel.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return;
      await sleep(100);
    }
  }

  /** Applies Episodes `names` (64 requests at a time) and waits until all succeeded; returns the apply time. */
  async run(names: string[]): Promise<number> {
    const started = Date.now();
    await pool(names, 64, (name) => createEpisode(this.namespace, name));
    while (names.some((name) => !this.succeeded.has(name))) await sleep(50);
    return started;
  }

  /** Hand-offs of these Episodes: each stage's Job seen after the last of its upstream events. */
  handoffs(names: string[]): number[] {
    const out: number[] = [];
    for (const name of names)
      for (const stage of STAGES) {
        const dependencies = activeDependencies(stage, STAGES);
        if (!dependencies.length) continue;
        const trigger = Math.max(...dependencies.map((d) => this.published.get(`${name}/${d}`) ?? NaN));
        const seen = this.seen.get(`${name}/${stage}`);
        if (seen !== undefined && Number.isFinite(trigger)) out.push(seen - trigger);
      }
    return out;
  }

  /** How long these Episodes' stages waited for a slot: from the status saying so to the Job seen. */
  slotWaits(names: string[]): number[] {
    const out: number[] = [];
    for (const name of names)
      for (const stage of STAGES) {
        const from = this.slotWaitFrom.get(`${name}/${stage}`);
        const seen = this.seen.get(`${name}/${stage}`);
        if (from !== undefined && seen !== undefined) out.push(Math.max(0, seen - from));
      }
    return out;
  }

  get jobs(): number {
    return this.harness.runs.length;
  }

  get runs() {
    return this.harness.runs;
  }

  get size(): number {
    return this.episodes.size;
  }

  async stop(): Promise<void> {
    this.episodes.stop();
    await this.harness.stop();
  }
}

const distribution = (samples: number[]) =>
  `p50 ${ms(percentile(samples, 50))}, p99 ${ms(percentile(samples, 99))} (${samples.length} hand-offs)`;

// --- 0. The floor: a Job created by us, seen through a watch ------------------------------------

async function watchFloor(samples: number): Promise<number[]> {
  const namespace = 'floor';
  await createNamespace(namespace);
  const seen = new Map<string, number>();
  const informer = new Informer(kc, {
    name: 'floor',
    path: `/apis/batch/v1/namespaces/${namespace}/jobs`,
    list: listOf('batch', 'v1', 'jobs', namespace),
  });
  informer.on((event, job) => event === 'add' && seen.set(job.metadata!.name!, Date.now()));
  informer.start();
  await informer.waitForSync();
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const name = `floor-${i}`;
    const started = Date.now();
    await custom.createNamespacedCustomObject({ group: 'batch', version: 'v1', plural: 'jobs', namespace, body: benchJob(name) });
    while (!seen.has(name)) await sleep(1);
    out.push(seen.get(name)! - started);
  }
  informer.stop();
  return out;
}

/**
 * A Job of the size and shape the operator makes (labels, one container, its arguments). With
 * `managedBy` the Job controller leaves it alone (no Pod): the bare API writes.
 */
function benchJob(name: string, managedBy?: string) {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels: { 'acog.dev/bench': 'true' } },
    spec: {
      ...(managedBy && { managedBy }),
      backoffLimit: 0,
      ttlSecondsAfterFinished: 3600,
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [
            { name: 'runner', image: 'acog/runner:dev', args: ['run', '--input', `s3://acog-scripts/bench/${name}/input.json`] },
          ],
        },
      },
    },
  };
}

// --- 1. Reaction time ----------------------------------------------------------------------------

async function reactionTime(single: Lane, ten: Lane): Promise<{ single: number[]; ten: number[] }> {
  const singles: string[] = [];
  for (let i = 0; i < SINGLES; i++) {
    singles.push(`one-${i}`);
    await single.run([`one-${i}`]);
  }
  const names = Array.from({ length: 10 }, (_, i) => `slow-${i}`);
  await ten.run(names);
  return { single: single.handoffs(singles), ten: ten.handoffs(names) };
}

// --- 2. Reconcile cost: ten instant Episodes at once ---------------------------------------------

interface Cost {
  handoffs: number[];
  /** Stages that waited for a stage slot. */
  slotWaits: number;
  reconciles: number;
  /** Seconds per phase, summed over the run's reconciles. */
  phases: Record<string, number>;
  queueWait: number;
  reconcileTime: number;
  /** The hand-off's critical path in the operator (acog_handoff_step_seconds): seconds summed, and how many. */
  steps: Record<string, { sum: number; count: number }>;
}

async function reconcileCost(lane: Lane, operator: OperatorProcess): Promise<Cost> {
  const before = await operator.metrics();
  // Rounds of ten, one after another: more hand-offs for the same figure, each round ten at once.
  const names: string[] = [];
  for (let round = 0; round < TEN_ROUNDS; round++) {
    const batch = Array.from({ length: 10 }, (_, i) => (round ? `ten-${round}-${i}` : `ten-${i}`));
    await lane.run(batch);
    names.push(...batch);
  }
  await sleep(1000);
  const after = await operator.metrics();
  const delta = (name: string, labels: Record<string, string>) => total(after, name, labels) - total(before, name, labels);
  const phases: Record<string, number> = {};
  for (const phase of ['s3_read', 's3_write', 'api_write', 'ledger', 'planning'])
    phases[phase] = delta('acog_reconcile_phase_seconds_sum', { controller: 'episode', phase });
  return {
    handoffs: lane.handoffs(names),
    slotWaits: lane.slotWaits(names).length,
    reconciles: delta('acog_reconcile_duration_seconds_count', { controller: 'episode' }),
    phases,
    queueWait: delta('acog_workqueue_queue_duration_seconds_sum', { controller: 'episode' }),
    reconcileTime: delta('acog_reconcile_duration_seconds_sum', { controller: 'episode' }),
    steps: Object.fromEntries(
      ['queued', 'to_create', 'create'].map((step) => [
        step,
        { sum: delta('acog_handoff_step_seconds_sum', { step }), count: delta('acog_handoff_step_seconds_count', { step }) },
      ]),
    ),
  };
}

// --- 3. The API server's capacity for a hand-off's writes ----------------------------------------

/**
 * Hand-offs per second the API server takes when the bench makes each one's writes itself, at the
 * operator's concurrency: a Job created beside a status replaced (as a reconcile sends them), then
 * an Event. Each worker has Episodes of its own (no conflicts), in a namespace no operator watches.
 *
 * `run: false` (the issue's definition): the bare writes; the Jobs are `managedBy` the bench, so
 * the Job controller makes no Pods for them. `run: true` (like with like): the same writes, and the
 * Jobs run as the operator's do, through the real Job controller and scheduler onto a node harness
 * whose Pods exit at once; the rate is the Jobs whose Pods finished a second, until the last.
 */
async function apiCapacity(namespace: string, handoffs: number, run = false): Promise<number> {
  await createNamespace(namespace);
  const harness = run ? new NodeHarness({ kubeConfig: kc, namespace, mode: 'instant', slots: 32 }) : undefined;
  await harness?.start();
  const perWorker = 5;
  const owned = await Promise.all(
    Array.from({ length: WORKERS }, (_, worker) =>
      Promise.all(
        Array.from(
          { length: perWorker },
          async (_, i) =>
            (await createEpisode(namespace, `cap-${worker}-${i}`, true)) as { metadata: Record<string, unknown> } & KubeObject,
        ),
      ),
    ),
  );
  let next = 0;
  const started = Date.now();
  await Promise.all(
    owned.map(async (episodes) => {
      for (let round = 0; next < handoffs; round++) {
        const n = next++;
        const episode = episodes[round % episodes.length];
        const stage = STAGES[round % STAGES.length];
        const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
        const [, stored] = await Promise.all([
          write(
            () =>
              custom.createNamespacedCustomObject({
                group: 'batch',
                version: 'v1',
                plural: 'jobs',
                namespace,
                body: benchJob(`cap-${n}`, run ? undefined : 'acog.dev/bench'),
              }),
            () => custom.getNamespacedCustomObject({ group: 'batch', version: 'v1', plural: 'jobs', namespace, name: `cap-${n}` }),
          ),
          // A replace retried after its first try went through meets a conflict: the Episode as it is now.
          write(
            () =>
              custom.replaceNamespacedCustomObjectStatus({
                group: GROUP,
                version: VERSION,
                plural: 'episodes',
                namespace,
                name: episode.metadata!.name!,
                body: {
                  ...episode,
                  status: {
                    phase: 'Running',
                    stages: [{ name: stage, phase: 'Running', attempt: 1, jobName: `cap-${n}`, startedAt: now }],
                  },
                },
              }) as Promise<KubeObject>,
            () => getEpisode(namespace, episode.metadata!.name!),
          ),
        ]);
        episodes[round % episodes.length] = stored as typeof episode;
        const event = {
          namespace,
          body: {
            metadata: { name: `cap-${n}.${started}`, namespace },
            involvedObject: { apiVersion: `${GROUP}/${VERSION}`, kind: 'Episode', name: episode.metadata!.name!, namespace },
            type: 'Normal',
            reason: 'StageStarted',
            message: `stage ${stage} started (Job cap-${n})`,
            source: { component: 'acog-bench' },
            firstTimestamp: new Date(),
            lastTimestamp: new Date(),
            count: 1,
          },
        };
        await write(
          () => core.createNamespacedEvent(event),
          () => core.readNamespacedEvent({ namespace, name: event.body.metadata.name }),
        );
      }
    }),
  );
  if (!harness) return handoffs / ((Date.now() - started) / 1000);
  const finished = () => harness.runs.filter((r) => r.finishedAt !== undefined);
  while (finished().length < handoffs) await sleep(50);
  const last = Math.max(...finished().map((r) => r.finishedAt!));
  await harness.stop();
  return handoffs / ((last - started) / 1000);
}

// --- 3 and 4. The burst ------------------------------------------------------------------------

interface Burst {
  seconds: number;
  jobs: number;
  handoffs: number[];
  /** The operator's cap on running stage Jobs per namespace (0: none), and each wait for a slot, in ms. */
  stageSlots: number;
  slotWaits: number[];
  /** Seconds from the first apply until each Episode Succeeded, sorted. */
  finished: number[];
  writes: Record<string, number>;
  /** The operator's CPU seconds, and its workers' time reconciling and keys' time queued, in seconds. */
  cpu: number;
  reconciling: number;
  queued: number;
}

async function burst(lane: Lane, operator: OperatorProcess, stageSlots: number): Promise<Burst> {
  const writesOf = (samples: Sample[]) =>
    Object.fromEntries(
      samples
        .filter((s) => s.name === 'acog_kube_api_requests_total' && ['create', 'update', 'patch', 'delete'].includes(s.labels.verb))
        .map((s) => [`${s.labels.verb} ${s.labels.resource}`, s.value]),
    );
  const metricsBefore = await operator.metrics();
  const before = writesOf(metricsBefore);
  const cpuBefore = await operator.cpuSeconds();
  const jobsBefore = lane.jobs;
  const names = Array.from({ length: EPISODES }, (_, i) => `ep-${i}`);
  const started = await lane.run(names);
  const seconds = (Math.max(...names.map((name) => lane.succeeded.get(name)!)) - started) / 1000;
  const cpu = (await operator.cpuSeconds()) - cpuBefore;
  const metricsAfter = await operator.metrics();
  const delta = (name: string) =>
    total(metricsAfter, name, { controller: 'episode' }) - total(metricsBefore, name, { controller: 'episode' });
  const reconciling = delta('acog_reconcile_duration_seconds_sum');
  const queued = delta('acog_workqueue_queue_duration_seconds_sum');
  await sleep(3000);
  const after = writesOf(await operator.metrics());
  const writes: Record<string, number> = {};
  for (const [key, count] of Object.entries(after)) if (count - (before[key] ?? 0)) writes[key] = count - (before[key] ?? 0);
  return {
    seconds,
    jobs: lane.jobs - jobsBefore,
    handoffs: lane.handoffs(names),
    stageSlots,
    slotWaits: lane.slotWaits(names),
    finished: names.map((name) => (lane.succeeded.get(name)! - started) / 1000).sort((a, b) => a - b),
    writes,
    cpu,
    reconciling,
    queued,
  };
}

function printBurst(label: string, result: Burst, capacity: number): void {
  const rate = result.jobs / result.seconds;
  const [first, p10, median, last] = [
    result.finished[0],
    percentile(result.finished, 10),
    percentile(result.finished, 50),
    result.finished.at(-1)!,
  ];
  const share = (s: number) => `${s.toFixed(1)} s (${((100 * s) / last).toFixed(0)} %)`;
  console.log(`\n${label}: ${EPISODES} Episodes applied at once`);
  row('  all Succeeded after', `${result.seconds.toFixed(1)} s, ${result.jobs} stage Jobs`);
  row(
    '  stage Jobs started per second',
    `${rate.toFixed(1)}/s = ${(rate / capacity).toFixed(2)} of the API server's capacity (target >= 0.8)`,
  );
  row('  hand-off: event published → next Job seen', distribution(result.handoffs));
  row('  stage slots per namespace (--stage-slots)', result.stageSlots ? String(result.stageSlots) : '0 (no cap)');
  if (result.stageSlots)
    row(
      '  admission: a stage waiting for a slot',
      result.slotWaits.length
        ? `${result.slotWaits.length} of ${result.jobs} stage Jobs waited: p50 ${ms(percentile(result.slotWaits, 50))}, p99 ${ms(percentile(result.slotWaits, 99))}`
        : `none of ${result.jobs} stage Jobs waited`,
    );
  row(
    '  operator: CPU, workers busy',
    `${((1000 * result.cpu) / result.jobs).toFixed(1)} ms of CPU a stage Job (${((100 * result.cpu) / result.seconds).toFixed(0)} % of a core); ` +
      `workers busy ${((100 * result.reconciling) / (WORKERS * result.seconds)).toFixed(0)} % of the burst; ` +
      `queued ${((1000 * result.queued) / result.jobs).toFixed(0)} ms a stage Job`,
  );
  row('  first Episode Succeeded', `${share(first)} (target within 10 %)`);
  row('  10th percentile Succeeded', share(p10));
  row('  median Episode Succeeded', `${share(median)} (target within 60 %)`);
  const writes = Object.entries(result.writes);
  const sum = writes.reduce((s, [, n]) => s + n, 0);
  row('  API writes per stage Job', `${(sum / result.jobs).toFixed(2)}: ${writes.map(([k, n]) => `${k} ${n}`).join(', ')}`);
}

/**
 * What the real Job controller and scheduler (hack/local-env, docs/adr/0027) add around a hand-off:
 * Job seen → its Pod started on the harness's Node, and the Pod reported Succeeded → the Job Complete.
 */
function controllerLatencies(runs: { startedAt: number; jobSeenAt?: number; reportedAt?: number; jobFinishedAt?: number }[]) {
  const figure = (lags: number[]) => `p50 ${ms(percentile(lags, 50))}, p99 ${ms(percentile(lags, 99))} over ${lags.length} Jobs`;
  const started = runs.filter((run) => run.jobSeenAt !== undefined).map((run) => run.startedAt - run.jobSeenAt!);
  const finished = runs.filter((run) => run.reportedAt && run.jobFinishedAt).map((run) => run.jobFinishedAt! - run.reportedAt!);
  return [
    ['  Job seen → its Pod started (Job controller + scheduler)', figure(started)],
    ['  Pod Succeeded → Job Complete (Job controller)', figure(finished)],
  ] as const;
}

// --- The run -------------------------------------------------------------------------------------

try {
  console.log(`load average at the start: ${await load()} (2 cores shared with other engineers' work)`);
  const floor = await watchFloor(200);

  const single = new Lane('react-one');
  const slow = new Lane('react-ten', 2000);
  const ten = new Lane('cost-ten');
  const burstLane = new Lane('burst');
  const lanes = [single, slow, ten, burstLane];
  for (const lane of lanes) await lane.start();
  const operator = await OperatorProcess.start(
    lanes.map((lane) => lane.namespace),
    'progress',
    STAGE_SLOTS,
  );
  for (const lane of lanes) await lane.channelReady();

  const reaction = await reactionTime(single, slow);
  const cost = await reconcileCost(ten, operator);

  console.log(
    `\nacog-operator, ${WORKERS} workers, ${STAGE_SLOTS ? `${STAGE_SLOTS} stage slots per namespace` : 'no cap on stage Jobs'}, one process; load average now ${await load()}`,
  );
  row('floor: Job create → seen by a watch', `p50 ${ms(percentile(floor, 50))}, p99 ${ms(percentile(floor, 99))} (200 Jobs)`);
  console.log('\n1. Reaction time: event published → next Job seen (target p50 < 100 ms, p99 < 300 ms)');
  row(`  one Episode at a time (${SINGLES} in turn)`, distribution(reaction.single));
  row('  ten Episodes, stage Jobs of 2 s', distribution(reaction.ten));
  if (STAGE_SLOTS)
    row('  of which stages that waited for a slot', String(slow.slotWaits(Array.from({ length: 10 }, (_, i) => `slow-${i}`)).length));
  console.log('\n2. Reconcile cost: ten Episodes at once, Jobs completed at once (target hand-off p50 < 150 ms)');
  row('  hand-off: event published → next Job seen', distribution(cost.handoffs));
  const perHandoff = (seconds: number) => ms((1000 * seconds) / Math.max(1, cost.handoffs.length));
  const perReconcile = (seconds: number) => ms((1000 * seconds) / Math.max(1, cost.reconciles));
  if (STAGE_SLOTS) row('  of which stages that waited for a slot', String(cost.slotWaits));
  row('  episode reconciles', `${cost.reconciles} for ${cost.handoffs.length} hand-offs`);
  row('  per hand-off: waiting in the queue', `${perHandoff(cost.queueWait)} (${perReconcile(cost.queueWait)} a reconcile)`);
  row('  per hand-off: reconciling', `${perHandoff(cost.reconcileTime)} (${perReconcile(cost.reconcileTime)} a reconcile), of which:`);
  for (const [phase, seconds] of Object.entries(cost.phases))
    row(`    ${phase}`, `${perHandoff(seconds)} (${perReconcile(seconds)} a reconcile)`);
  const step = (name: string) => cost.steps[name] && ms((1000 * cost.steps[name].sum) / Math.max(1, cost.steps[name].count));
  row(
    '  critical path in the operator, means',
    `event received → reconcile started ${step('queued')}, → Job create sent ${step('to_create')}, → answered ${step('create')} ` +
      `(${cost.steps.create?.count ?? 0} creates)`,
  );
  if (values['skip-burst']) {
    await operator.stop();
    for (const lane of lanes) await lane.stop();
  } else {
    // Both baselines just before and just after the burst: the machine is shared, and its load moves.
    const capacityBefore = await apiCapacity('capacity-1', 1000);
    const jobsRunBefore = await apiCapacity('capacity-run-1', 1000, true);
    const progress = await burst(burstLane, operator, STAGE_SLOTS);
    const rss1000 = await operator.rssMiB();
    const capacityAfter = await apiCapacity('capacity-2', 1000);
    const jobsRunAfter = await apiCapacity('capacity-run-2', 1000, true);
    const capacity = (capacityBefore + capacityAfter) / 2;
    const jobsRun = (jobsRunBefore + jobsRunAfter) / 2;
    console.log(`\n3. Capacity; load average now ${await load()}`);
    row(
      "  API server: a hand-off's writes made by the bench",
      `${capacityBefore.toFixed(1)}/s before the burst, ${capacityAfter.toFixed(1)}/s after; mean ${capacity.toFixed(1)}/s (${WORKERS} at a time; the issue's baseline)`,
    );
    row(
      '  the same, each Job run by the Job controller, scheduler and a node',
      `${jobsRunBefore.toFixed(1)}/s before the burst, ${jobsRunAfter.toFixed(1)}/s after; mean ${jobsRun.toFixed(1)}/s (like with like: the writes of the Pods and Job status too)`,
    );
    row(
      '  ceiling: like with like against bare writes, no operator',
      `${(jobsRun / capacity).toFixed(2)} (what any operator could reach of the issue's baseline on this control plane)`,
    );
    printBurst('3 and 4. Burst, progress order (the default)', progress, capacity);
    const rate = progress.jobs / progress.seconds;
    row(
      '  stage Jobs per second against Jobs run by the bench',
      `${(rate / jobsRun).toFixed(2)} of ${jobsRun.toFixed(1)}/s (like with like)`,
    );

    console.log('\n   What the real Job controller and scheduler add to each stage Job (all lanes)');
    for (const [label, value] of controllerLatencies(lanes.flatMap((lane) => lane.runs))) row(label, value);
    row(`  operator resident memory at ${EPISODES}`, `${rss1000.toFixed(0)} MiB`);
    if (TOTAL > EPISODES) {
      // To 10 000: the rest suspended (they are cached and reconciled once each, no Jobs).
      const names = Array.from({ length: TOTAL - EPISODES }, (_, i) => `idle-${i}`);
      await pool(names, 64, (name) => createEpisode(burstLane.namespace, name, true));
      while (burstLane.size < TOTAL) await sleep(500);
      await sleep(5000);
      row(
        `  operator resident memory at ${TOTAL}`,
        `${(await operator.rssMiB()).toFixed(0)} MiB (target < 256 MiB; ${TOTAL - EPISODES} suspended)`,
      );
    }
    await operator.stop();
    for (const lane of lanes) await lane.stop();

    if (!values['skip-arrival']) {
      // The baseline of "who finishes first": the same burst in arrival order, by a fresh operator.
      const arrivalLane = new Lane('burst-arrival');
      await arrivalLane.start();
      const arrival = await OperatorProcess.start([arrivalLane.namespace], 'arrival', 0);
      await arrivalLane.channelReady();
      const fair = await burst(arrivalLane, arrival, 0);
      await arrival.stop();
      await arrivalLane.stop();
      printBurst(`Baseline: the same burst in arrival order, no cap on stage Jobs (load average now ${await load()})`, fair, capacity);
      row(
        '  progress order: last Episode / arrival order',
        `${(progress.finished.at(-1)! / fair.finished.at(-1)!).toFixed(2)} (target <= 1)`,
      );
    }
  }
  console.log(`\nload average at the end: ${await load()}`);
} finally {
  await events.close();
  await env.stop();
}
