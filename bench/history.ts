// The history route under an archive of 100 000 finished Episodes, against the real PostgreSQL and
// API server of a local control plane it starts; the gateway runs as its own process
// (console/src/main.ts). Prints, with a baseline measured in the same run: each history query
// through the gateway (authentication and the per-namespace SubjectAccessReview are cached, as in
// use), p50 and p99, against the same SQL sent straight to PostgreSQL from this process.
// Target: p99 < 50 ms through the gateway.
// Run: node bench/history.ts [--episodes 100000] [--requests 500]
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { migrate, openDatabase } from '@acog/db';
import { archiveEpisodes, historyQuery, type ArchiveRecord, type HistoryQuery } from '@acog/db/archive';
import { parseLabelSelector } from '@acog/kube';
import { startLocalEnv } from '@acog/hack/local-env';
import { freePort, startProcess } from '@acog/hack/local-env/process';

const { values } = parseArgs({
  options: { episodes: { type: 'string', default: '100000' }, requests: { type: 'string', default: '500' } },
});
const TOTAL = Number(values.episodes);
const REQUESTS = Number(values.requests);
const namespace = 'bench';
const CHANNELS = 20;
const PHASES = ['Succeeded', 'Succeeded', 'Succeeded', 'Failed', 'Cancelled'] as const;
const WORDS = ['index', 'b-tree', 'cache', 'kernel', 'compiler', 'network', 'garbage', 'collector', 'lock', 'queue', 'hash', 'vector'];

const percentile = (list: number[], p: number) => {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ms = (value: number) => `${value.toFixed(1)} ms`;
const row = (what: string, figure: string) => console.log(`${what.padEnd(58)} ${figure}`);

/** An archived Episode shaped like a finished one: nine stages, artifacts, usage, about 4 KB of JSON. */
function archived(i: number, now: number): ArchiveRecord {
  const uid = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
  const name = `episode-${String(i).padStart(6, '0')}`;
  const channel = `channel-${i % CHANNELS}`;
  const topic = `How ${WORDS[i % WORDS.length]} and ${WORDS[(i * 7) % WORDS.length]} really work, part ${i}`;
  const finishedAt = new Date(now - (i / TOTAL) * 365 * 86_400_000).toISOString();
  const stages = ['plan', 'script', 'refine', 'metadata', 'voice', 'avatar', 'broll', 'assemble', 'upload'].map((stage) => ({
    name: stage,
    phase: 'Succeeded',
    attempt: 1,
    jobName: `${name}-${stage}-1-abcdef12`,
    startedAt: finishedAt,
    finishedAt,
    provider: 'offline',
    artifacts: [`s3://acog-assets/${namespace}/${name}/${uid}/${stage}/1/output.json`],
    usage: { tokens: 1200, characters: 5400 },
    costUSD: 0.01,
  }));
  return {
    uid,
    namespace,
    channel,
    name,
    phase: PHASES[i % PHASES.length],
    topic,
    labels: { tier: i % 10 === 0 ? 'gold' : 'standard', 'acog.dev/origin': i % 3 ? 'manual' : 'schedule' },
    object: {
      apiVersion: 'acog.dev/v1alpha1',
      kind: 'Episode',
      metadata: { name, namespace, uid },
      spec: { channelRef: { name: channel }, topic, brief: `A brief about ${WORDS[(i * 3) % WORDS.length]} for episode ${i}.` },
      status: { phase: PHASES[i % PHASES.length], finishedAt, stages, totalCostUSD: 0.09 },
    },
    totalCostUSD: 0.09,
    resourceVersion: String(i + 1),
    createdAt: finishedAt,
    finishedAt,
  };
}

console.log(
  `load average before: ${loadavg()
    .map((n) => n.toFixed(2))
    .join(' ')}`,
);
const env = await startLocalEnv({ log: () => undefined });
const dir = await mkdtemp(join(tmpdir(), 'acog-bench-history-'));
let gateway: Awaited<ReturnType<typeof startProcess>> | undefined;
const url = new URL(env.postgres.url);
const admin = new pg.Client({ connectionString: url.toString() });
try {
  await admin.connect();
  await admin.query('CREATE DATABASE acog_bench_history');
  await admin.end();
  url.pathname = '/acog_bench_history';
  const db = openDatabase({ url: url.toString() });
  await migrate(db);

  // --- The archive: TOTAL finished Episodes in one namespace. ---------------------------------
  let started = performance.now();
  const now = Date.now();
  for (let from = 0; from < TOTAL; from += 1000)
    await archiveEpisodes(
      db.pool,
      Array.from({ length: Math.min(1000, TOTAL - from) }, (_, i) => archived(from + i, now)),
    );
  await db.pool.query('ANALYZE archived_episodes');
  const size = (await db.pool.query(`SELECT pg_size_pretty(pg_total_relation_size('archived_episodes')) AS size`)).rows[0].size;
  row(`${TOTAL} archived episodes written (${size} with indexes)`, `${((performance.now() - started) / 1000).toFixed(1)} s`);

  // --- The gateway, as its own process. -------------------------------------------------------
  const port = await freePort();
  const gatewayUrl = `http://127.0.0.1:${port}`;
  gateway = startProcess(
    'console',
    process.execPath,
    [
      new URL('../console/src/main.ts', import.meta.url).pathname,
      '--kubeconfig',
      env.kubernetes.kubeconfig,
      '--http-address',
      `127.0.0.1:${port}`,
      '--no-artifacts',
      '--log-level',
      'warn',
    ],
    join(dir, 'console.log'),
    { env: { ...process.env, ACOG_DATABASE_URL: url.toString() } },
  );
  started = performance.now();
  for (;;) {
    const ready = await fetch(`${gatewayUrl}/readyz`).catch(() => undefined);
    if (ready?.status === 200) break;
    if (performance.now() - started > 120_000)
      throw new Error(`the gateway was not ready in 120 s: ${await readFile(join(dir, 'console.log'), 'utf8')}`);
    await sleep(50);
  }
  const auth = { authorization: `Bearer ${env.kubernetes.tokens.admin}` };

  // A second page's token, for the keyset case.
  const first = (await (await fetch(`${gatewayUrl}/api/v1/namespaces/${namespace}/history?limit=50`, { headers: auth })).json()) as {
    items: unknown[];
    continue?: string;
  };
  if (first.items.length !== 50 || !first.continue)
    throw new Error(`the first page is not 50 items with a continue: ${JSON.stringify(first).slice(0, 300)}`);
  const deep = (await (
    await fetch(`${gatewayUrl}/api/v1/namespaces/${namespace}/history?limit=500&since=365d`, { headers: auth })
  ).json()) as { continue?: string };

  const cases: { what: string; query: string; sql: HistoryQuery }[] = [
    { what: 'newest 50 (the first page)', query: 'limit=50', sql: { namespace, limit: 50 } },
    {
      what: 'next page (continue)',
      query: `limit=50&continue=${first.continue}`,
      sql: { namespace, limit: 50, after: JSON.parse(Buffer.from(first.continue, 'base64url').toString()) as never },
    },
    {
      what: 'page after 500 (continue)',
      query: `limit=50&continue=${deep.continue}`,
      sql: { namespace, limit: 50, after: JSON.parse(Buffer.from(deep.continue!, 'base64url').toString()) as never },
    },
    {
      what: 'one channel, Failed',
      query: 'limit=50&channel=channel-7&phase=Failed',
      sql: { namespace, limit: 50, channel: 'channel-7', phase: 'Failed' },
    },
    {
      what: 'label selector tier=gold',
      query: 'limit=50&labelSelector=tier%3Dgold',
      sql: { namespace, limit: 50, labels: parseLabelSelector('tier=gold') },
    },
    {
      what: 'search "kernel compiler"',
      query: 'limit=50&search=kernel%20compiler',
      sql: { namespace, limit: 50, search: 'kernel compiler' },
    },
    { what: 'since 30d', query: 'limit=50&since=30d', sql: { namespace, limit: 50, since: new Date(Date.now() - 30 * 86_400_000) } },
  ];

  const timeGateway = async (query: string) => {
    const times: number[] = [];
    for (let i = 0; i < REQUESTS + 50; i++) {
      const t = performance.now();
      const response = await fetch(`${gatewayUrl}/api/v1/namespaces/${namespace}/history?${query}`, { headers: auth });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`${query}: ${response.status}`);
      if (i >= 50) times.push(performance.now() - t);
    }
    return times;
  };
  const timeSql = async (sql: HistoryQuery) => {
    const { text, values: params } = historyQuery(sql);
    const times: number[] = [];
    for (let i = 0; i < REQUESTS + 50; i++) {
      const t = performance.now();
      await db.pool.query(text, params);
      if (i >= 50) times.push(performance.now() - t);
    }
    return times;
  };

  console.log();
  row(`history query, ${REQUESTS} requests each (after 50 warm-up)`, 'p50        p99');
  let worst = 0;
  for (const { what, query, sql } of cases) {
    const through = await timeGateway(query);
    const bare = await timeSql(sql);
    worst = Math.max(worst, percentile(through, 99));
    row(`${what}: gateway`, `${ms(percentile(through, 50)).padEnd(10)} ${ms(percentile(through, 99))}`);
    row(`  baseline: the same SQL straight to PostgreSQL`, `${ms(percentile(bare, 50)).padEnd(10)} ${ms(percentile(bare, 99))}`);
  }
  console.log();
  row('target: p99 < 50 ms through the gateway', worst < 50 ? `met (worst p99 ${ms(worst)})` : `NOT met (worst p99 ${ms(worst)})`);
  console.log(
    `load average after: ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')}`,
  );
  await db.close();
} finally {
  await gateway?.stop();
  await env.stop();
  await rm(dir, { recursive: true, force: true });
}
