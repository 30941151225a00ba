// Pulse intake through the gateway into PostgreSQL against a bare INSERT loop into the same
// database, in one run: the same events, the same number of senders at once. The gateway path is
// an HTTP POST /webhooks/pulse per delivery (signature checked, fields checked, one INSERT ... ON
// CONFLICT statement per delivery); the baseline is one plain INSERT per event from this process's
// pool. Prints events per second and the p50/p99 latency of each, and their ratios, with the load
// average before and after (the machine is shared: compare the ratios).
// Run: node bench/pulse.ts [--events 4000] [--senders 8] [--batch 1]
import { mkdtemp, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import pg from 'pg';
import { PULSE_SIGNATURE_HEADER, PULSE_TIMESTAMP_HEADER, signPulseBody, type PulseEvent } from '@acog/api';
import { startGateway } from '@acog/console';
import { migrate, openDatabase } from '@acog/db';
import { startLocalEnv } from '@acog/hack/local-env';
import { createLogger } from '@acog/kube/logger';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '4000' },
    senders: { type: 'string', default: '8' },
    batch: { type: 'string', default: '1' },
  },
});
const EVENTS = Number(values.events);
const SENDERS = Number(values.senders);
const BATCH = Number(values.batch);
const SECRET = 'bench-secret';
const load = () =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
const loadBefore = load();

const env = await startLocalEnv({ log: () => undefined });
const kc = new KubeConfig();
kc.loadFromFile(env.kubernetes.kubeconfig);
kc.setCurrentContext('admin');

// A database of its own, so that the runs start from the same empty tables.
const admin = new pg.Client({ connectionString: env.postgres.url });
await admin.connect();
const dbName = `bench_pulse_${Date.now()}`;
await admin.query(`CREATE DATABASE ${dbName}`);
await admin.end();
const url = new URL(env.postgres.url);
url.pathname = `/${dbName}`;
const database = openDatabase({ url: url.toString(), maxConnections: SENDERS });
await migrate(database);

const secretsDir = await mkdtemp(join(tmpdir(), 'bench-pulse-'));
await writeFile(join(secretsDir, 'bench'), SECRET);
const gateway = await startGateway({
  kubeConfig: kc,
  address: '127.0.0.1:0',
  databaseUrl: url.toString(),
  pulseSecretsDir: secretsDir,
  log: createLogger('silent'),
  processMetrics: false,
});
await gateway.cache.waitForSync();

const event = (run: string, n: number): PulseEvent => ({
  source: 'bench',
  id: `${run}-${n}`,
  title: `Benchmark story number ${n} of run ${run}`,
  url: `https://bench.example.com/${run}/${n}`,
  summary: 'A summary of the story, about as long as a feed gives one.',
  score: (n % 100) / 100,
  keywords: ['bench', `k${n % 50}`],
  publishedAt: new Date(Date.UTC(2026, 11, 7, 9) + n * 1000).toISOString(),
});

/** Runs `count` units over SENDERS concurrent senders; returns wall ms and each unit's latency. */
async function drive(count: number, unit: (i: number) => Promise<void>): Promise<{ wallMs: number; latencies: number[] }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: SENDERS }, async () => {
      while (next < count) {
        const i = next++;
        const t = performance.now();
        await unit(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { wallMs: performance.now() - started, latencies: latencies.sort((a, b) => a - b) };
}
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

async function throughGateway(run: string) {
  const deliveries = Math.ceil(EVENTS / BATCH);
  return drive(deliveries, async (d) => {
    const events = Array.from({ length: BATCH }, (_, k) => event(run, d * BATCH + k));
    const body = JSON.stringify(BATCH === 1 ? events[0] : events);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const response = await fetch(`${gateway.url}/webhooks/pulse`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [PULSE_TIMESTAMP_HEADER]: timestamp,
        [PULSE_SIGNATURE_HEADER]: signPulseBody(SECRET, timestamp, body),
      },
      body,
    });
    if (response.status !== 202) throw new Error(`delivery ${d}: ${response.status} ${await response.text()}`);
    await response.arrayBuffer();
  });
}

async function bareInserts(run: string) {
  return drive(EVENTS, async (n) => {
    const e = event(run, n);
    await database.pool.query(
      `INSERT INTO pulse_events (source, id, title, url, summary, score, keywords, published_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [e.source, e.id, e.title, e.url, e.summary, e.score, e.keywords, e.publishedAt],
    );
  });
}

// A warm-up of each (connections, JIT), not counted.
const warm = EVENTS / 10;
await drive(warm, async (n) => void (await database.pool.query(`SELECT $1::int`, [n])));
const baseline = await bareInserts('bare');
const intake = await throughGateway('gateway');
const stored = Number((await database.pool.query(`SELECT count(*) AS n FROM pulse_events`)).rows[0].n);
if (stored !== 2 * EVENTS) throw new Error(`expected ${2 * EVENTS} stored events, found ${stored}`);

const rate = (wallMs: number) => EVENTS / (wallMs / 1000);
const row = (name: string, r: { wallMs: number; latencies: number[] }, unit: string) =>
  `| ${name} | ${rate(r.wallMs).toFixed(0)} | ${quantile(r.latencies, 0.5).toFixed(2)} ms | ${quantile(r.latencies, 0.99).toFixed(2)} ms | ${unit} |`;
console.log(`pulse intake: ${EVENTS} events, ${SENDERS} senders at once, ${BATCH} event(s) per delivery`);
console.log('| path | events/s | p50 | p99 | latency of |');
console.log('| --- | --- | --- | --- | --- |');
console.log(row('bare INSERT loop', baseline, 'one INSERT'));
console.log(row('POST /webhooks/pulse', intake, `one delivery (${BATCH} event(s))`));
console.log(
  `gateway/bare: throughput ${(rate(intake.wallMs) / rate(baseline.wallMs)).toFixed(2)}x, p99 ${(quantile(intake.latencies, 0.99) / quantile(baseline.latencies, 0.99)).toFixed(2)}x`,
);
console.log(`load average (1, 5, 15 min): before ${loadBefore}, after ${load()}`);

await gateway.stop();
await database.close();
await env.stop();
