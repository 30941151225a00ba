// The console gateway under load, against the real API server of a local control plane it starts:
// 10 000 Episodes in one namespace, the gateway as its own process (console/src/main.ts).
// Prints, with baselines measured in the same run:
//  - a list page (50 Episodes, the console's first page) from the gateway, p50 and p99, against the
//    same page straight from the API server and against the gateway's trivial /healthz;
//  - 200 server-sent event streams open on the gateway: the time from one status change (a PATCH
//    of the status subresource) until it reached every one of them, against the time until the
//    same change reaches one plain watch on the API server.
// Targets: list p99 < 50 ms; every stream within 250 ms.
// Run: node bench/console.ts [--episodes 10000] [--clients 200] [--requests 500] [--rounds 10]
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent, get as httpsGet } from 'node:https';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions, Watch } from '@kubernetes/client-node';
import { EPISODES, GROUP, VERSION } from '@acog/api';
import { startLocalEnv } from '@acog/hack/local-env';
import { freePort, startProcess } from '@acog/hack/local-env/process';
import { reuseConnections } from '@acog/kube';

const { values } = parseArgs({
  options: {
    episodes: { type: 'string', default: '10000' },
    clients: { type: 'string', default: '200' },
    requests: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '10' },
  },
});
const TOTAL = Number(values.episodes);
const CLIENTS = Number(values.clients);
const REQUESTS = Number(values.requests);
const ROUNDS = Number(values.rounds);
const namespace = 'bench';

const percentile = (list: number[], p: number) => {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ms = (value: number) => `${value.toFixed(1)} ms`;
const row = (what: string, figure: string) => console.log(`${what.padEnd(52)} ${figure}`);
async function pool<T>(items: T[], size: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: size }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}
/** Times `request` `count` times in a row (after a warm-up of 50), in milliseconds. */
async function timeRequests(count: number, request: () => Promise<Response>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count + 50; i++) {
    const started = performance.now();
    const response = await request();
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`${response.url}: ${response.status}`);
    if (i >= 50) times.push(performance.now() - started);
  }
  return times;
}

/** An open text/event-stream (or watch) whose lines are searched for a marker. */
class Listener {
  private text = '';
  private waiting?: { marker: string; resolve: (at: number) => void };
  readonly done: Promise<void>;
  constructor(response: Response) {
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    this.done = (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        this.text += value;
        if (this.waiting && this.text.includes(this.waiting.marker)) {
          this.waiting.resolve(performance.now());
          this.waiting = undefined;
        }
        if (this.text.length > 1 << 16) this.text = this.text.slice(-4096);
      }
    })();
  }
  /** Resolves with the time the marker arrived (already there: now). */
  until(marker: string): Promise<number> {
    if (this.text.includes(marker)) return Promise.resolve(performance.now());
    return new Promise((resolve) => (this.waiting = { marker, resolve }));
  }
  reset(): void {
    this.text = '';
  }
}

console.log(
  `load average before: ${loadavg()
    .map((n) => n.toFixed(2))
    .join(' ')}`,
);
const env = await startLocalEnv({ log: () => undefined });
const dir = await mkdtemp(join(tmpdir(), 'acog-bench-console-'));
const controller = new AbortController();
let gateway: Awaited<ReturnType<typeof startProcess>> | undefined;
try {
  const token = env.kubernetes.tokens.admin;
  // The control plane's own kubeconfig: its current context is the admin user.
  const kubeconfig = env.kubernetes.kubeconfig;
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  reuseConnections(kc);
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  await core.createNamespace({ body: { metadata: { name: namespace } } });

  // --- 10 000 Episodes (no operator runs: they stay as applied). ------------------------------
  const base = parse(await readFile(new URL('../examples/episode.yaml', import.meta.url), 'utf8'));
  const names = Array.from({ length: TOTAL }, (_, i) => `episode-${String(i).padStart(5, '0')}`);
  let started = performance.now();
  await pool(names, 16, (name) =>
    custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: EPISODES.plural,
      body: { ...base, metadata: { name } },
    }),
  );
  row(`${TOTAL} Episodes created`, `${((performance.now() - started) / 1000).toFixed(1)} s`);

  // --- The gateway, as its own process. -------------------------------------------------------
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  gateway = startProcess(
    'console',
    process.execPath,
    [
      new URL('../console/src/main.ts', import.meta.url).pathname,
      '--kubeconfig',
      kubeconfig,
      '--http-address',
      `127.0.0.1:${port}`,
      '--no-artifacts',
      '--log-level',
      'warn',
    ],
    join(dir, 'console.log'),
  );
  started = performance.now();
  for (;;) {
    const ready = await fetch(`${url}/readyz`).catch(() => undefined);
    if (ready?.status === 200) break;
    if (performance.now() - started > 120_000)
      throw new Error(`the gateway was not ready in 120 s: ${await readFile(join(dir, 'console.log'), 'utf8')}`);
    await sleep(50);
  }
  row(`gateway ready (informers synced over ${TOTAL})`, ms(performance.now() - started));
  const auth = { authorization: `Bearer ${token}` };

  // --- List page latency. ---------------------------------------------------------------------
  const first = (await (await fetch(`${url}/api/v1/episodes?namespace=${namespace}&limit=50`, { headers: auth })).json()) as {
    items: unknown[];
    total: number;
  };
  if (first.items.length !== Math.min(50, TOTAL) || first.total !== TOTAL)
    throw new Error(`the gateway lists ${first.items.length} of ${first.total}, not 50 of ${TOTAL}`);
  // The API server's certificate is signed by the local CA: timed with node:https and a keep-alive
  // agent that trusts it (fetch cannot be given a CA per request).
  const agent = new Agent({ keepAlive: true, ca: env.kubernetes.caData });
  const apiGet = (path: string) =>
    new Promise<void>((resolve, reject) => {
      const request = httpsGet(`${env.kubernetes.server}${path}`, { agent, headers: auth }, (response) => {
        response.resume();
        response.on('end', () => (response.statusCode === 200 ? resolve() : reject(new Error(`${path}: ${response.statusCode}`))));
      });
      request.on('error', reject);
    });
  const direct: number[] = [];
  for (let i = 0; i < REQUESTS + 50; i++) {
    const t = performance.now();
    await apiGet(`/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${EPISODES.plural}?limit=50`);
    if (i >= 50) direct.push(performance.now() - t);
  }
  const health = await timeRequests(REQUESTS, () => fetch(`${url}/healthz`));
  const list = await timeRequests(REQUESTS, () => fetch(`${url}/api/v1/episodes?namespace=${namespace}&limit=50`, { headers: auth }));
  const sorted = await timeRequests(REQUESTS, () =>
    fetch(`${url}/api/v1/episodes?namespace=${namespace}&limit=50&sort=-created`, { headers: auth }),
  );
  console.log();
  row(`list page of 50 (of ${TOTAL})`, 'p50        p99');
  const show = (what: string, times: number[]) => row(what, `${ms(percentile(times, 50)).padEnd(10)} ${ms(percentile(times, 99))}`);
  show('  gateway /api/v1/episodes', list);
  show('  gateway /api/v1/episodes, newest first', sorted);
  show('  baseline: API server, same page (limit=50)', direct);
  show('  baseline: gateway /healthz', health);
  row(
    '  ratio gateway / API server (p50, p99)',
    `${(percentile(list, 50) / percentile(direct, 50)).toFixed(2)}, ${(percentile(list, 99) / percentile(direct, 99)).toFixed(2)}`,
  );
  row('  target: gateway p99 < 50 ms', percentile(list, 99) < 50 ? 'met' : 'NOT met');

  // --- Fan-out of one change to 200 streams. --------------------------------------------------
  const streams: Listener[] = [];
  await pool(
    Array.from({ length: CLIENTS }, (_, i) => i),
    20,
    async () => {
      const response = await fetch(`${url}/api/v1/stream?namespace=${namespace}`, { headers: auth, signal: controller.signal });
      if (response.status !== 200) throw new Error(`stream: ${response.status}`);
      const listener = new Listener(response);
      await listener.until('event: ready');
      streams.push(listener);
    },
  );
  // The baseline: one plain watch of the API server, through the client's own (CA-aware) connection.
  let watchSeen: ((at: number) => void) | undefined;
  let watchMarker = '';
  const watch = await new Watch(kc).watch(
    `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${EPISODES.plural}`,
    { resourceVersion: '0', allowWatchBookmarks: false, fieldSelector: 'metadata.name=episode-00007' },
    (_type, object: { status?: { message?: string } }) => {
      if (watchSeen && object.status?.message === watchMarker) {
        watchSeen(performance.now());
        watchSeen = undefined;
      }
    },
    () => undefined,
  );
  await sleep(500);
  const fanout: number[] = [];
  const single: number[] = [];
  const firstStream: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const marker = `bench round ${round} ${Date.now()}`;
    for (const stream of streams) stream.reset();
    watchMarker = marker;
    const watched = new Promise<number>((resolve) => (watchSeen = resolve));
    const arrivals = streams.map((stream) => stream.until(marker));
    const sent = performance.now();
    await custom.patchNamespacedCustomObjectStatus(
      {
        group: GROUP,
        version: VERSION,
        namespace,
        plural: EPISODES.plural,
        name: 'episode-00007',
        body: { status: { phase: round % 2 ? 'Pending' : 'Running', message: marker } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const times = await Promise.all(arrivals);
    single.push((await watched) - sent);
    fanout.push(Math.max(...times) - sent);
    firstStream.push(Math.min(...times) - sent);
    await sleep(200);
  }
  watch.abort();
  console.log();
  row(`one status change to ${CLIENTS} streams (${ROUNDS} rounds)`, 'p50        max');
  row('  until every stream had it', `${ms(percentile(fanout, 50)).padEnd(10)} ${ms(Math.max(...fanout))}`);
  row('  until the first stream had it', `${ms(percentile(firstStream, 50)).padEnd(10)} ${ms(Math.max(...firstStream))}`);
  row('  baseline: one plain watch of the API server', `${ms(percentile(single, 50)).padEnd(10)} ${ms(Math.max(...single))}`);
  row('  ratio every stream / plain watch (p50)', (percentile(fanout, 50) / percentile(single, 50)).toFixed(2));
  row(`  target: all ${CLIENTS} within 250 ms`, Math.max(...fanout) < 250 ? 'met (every round)' : 'NOT met');
  const status = await readFile(`/proc/${gateway.child.pid}/status`, 'utf8');
  const rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]) / 1024;
  console.log();
  row(`gateway resident memory (${TOTAL} Episodes, ${CLIENTS} streams)`, `${rss.toFixed(0)} MiB`);
  console.log(
    `load average after: ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')}`,
  );
} finally {
  controller.abort();
  await gateway?.stop();
  await env.stop();
  await rm(dir, { recursive: true, force: true });
}
