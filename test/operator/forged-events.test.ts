// Whoever can publish on the stage-event subjects can send anything. With a NATS server of its own
// (so that its consumer's counts are this file's alone) and the node played by hand, the real
// operator shows that an event is only a hint: a forged Failed does not fail a running attempt, a
// 1 MiB message does not break status writes (and a long message is cut short), and 1000 events
// of attempts that will never come are terminated rather than held unacknowledged.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { EVENTS_STREAM, stageEventMessageId, stageEventSubject, type SkipStages, type StageEvent, type StageName } from '@acog/api';
import { startNats, type NatsService } from '@acog/hack/local-env/services/nats';
import { localEnv, uniqueName } from '../support/env.ts';
import {
  getEpisode,
  prepareNamespace,
  runnerConfig,
  startOperatorProcess,
  stageOf,
  waitForEpisode,
  type OperatorProcess,
} from '../support/operator.ts';
import { apply, testChannel, testEpisode } from '../support/pipeline-objects.ts';
import {
  completeJob,
  failJob,
  inputOf,
  jobExists,
  soundResult,
  startJob,
  waitForJob,
  writeResult,
  type StageJobObject,
} from './by-hand.ts';

const CONSUMER = 'acog-operator';
const LIGHT: SkipStages = ['avatar', 'broll', 'assemble', 'upload'];
const namespace = uniqueName('op-forged');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let nats: NatsService;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;
let operator: OperatorProcess;

beforeAll(async () => {
  nats = await startNats(localEnv().binaries.natsServer, await mkdtemp(join(tmpdir(), 'acog-nats-')));
  await prepareNamespace(namespace);
  operator = await startOperatorProcess({ namespace, natsUrl: nats.url, runner: runnerConfig(nats.url) });
  nc = await connect({ servers: nats.url });
  js = jetstream(nc);
  jsm = await jetstreamManager(nc);
  // The operator makes the stream and its durable consumer once it leads.
  const deadline = Date.now() + 30_000;
  while (!(await jsm.consumers.info(EVENTS_STREAM, CONSUMER).catch(() => undefined))) {
    if (Date.now() > deadline) throw new Error(`the operator made no consumer:\n${await operator.logs(40)}`);
    await sleep(200);
  }
  await apply(namespace, await testChannel('forged'));
});

afterAll(async () => {
  await nc?.close();
  await operator?.stop();
  await nats?.process.stop();
});

async function completionEvents(outcome: 'Succeeded' | 'Failed'): Promise<number> {
  const text = await (await fetch(`${operator.metricsUrl}/metrics`)).text();
  const match = new RegExp(`^acog_completion_events_total\\{outcome="${outcome}"\\} (\\d+)`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

async function consumer() {
  const info = await jsm.consumers.info(EVENTS_STREAM, CONSUMER);
  return { ackPending: info.num_ack_pending, pending: info.num_pending, delivered: info.delivered.stream_seq };
}

async function until<T>(what: string, probe: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await probe();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(last)}\noperator log:\n${await operator.logs(30)}`);
    await sleep(200);
    last = await probe();
  }
  return last;
}

/** A Running plan attempt whose Job is Active: no runner runs, so it stays that way until the test says. */
async function runningPlan(name: string, attempt = 1): Promise<{ job: StageJobObject; uid: string; inputHash: string }> {
  if (attempt === 1) await apply(namespace, await testEpisode(name, 'forged', (e) => (e.spec.overrides = { skipStages: LIGHT })));
  const job = await waitForJob(namespace, name, 'plan', attempt);
  await startJob(job);
  await waitForEpisode(namespace, name, (e) => stageOf(e, 'plan')?.phase === 'Running' && stageOf(e, 'plan')?.attempt === attempt, {
    operator,
  });
  const { input } = await inputOf(job);
  return { job, uid: input.episode.uid, inputHash: input.inputHash };
}

function forged(name: string, uid: string, stage: StageName, attempt: number, extra: Partial<StageEvent> = {}): StageEvent {
  return {
    namespace,
    episode: name,
    uid,
    stage,
    attempt,
    inputHash: 'sha256:forged',
    outcome: 'Failed',
    at: new Date().toISOString(),
    ...extra,
  };
}

async function publish(event: StageEvent, body: string = JSON.stringify(event)): Promise<number> {
  const ack = await js.publish(stageEventSubject(event.namespace, event.episode, event.stage), body, {
    msgID: stageEventMessageId(event.uid, event.stage, event.attempt) + `/${Math.random().toString(36).slice(2)}`,
  });
  return ack.seq;
}

describe('forged stage events', () => {
  it('a forged Failed for a running attempt does not fail it: only the Job decides', async () => {
    const { job, uid } = await runningPlan('forged-failed');
    const before = await completionEvents('Failed');
    await publish(forged('forged-failed', uid, 'plan', 1, { message: 'forged: the provider refused the key' }));
    // The operator received it (and it passed as well-formed) ...
    await until(
      'the forged event received',
      () => completionEvents('Failed'),
      (n) => n > before,
    );
    await sleep(2500);
    // ... and changed nothing: the attempt runs on, its Job is still there.
    const episode = await getEpisode(namespace, 'forged-failed');
    expect(stageOf(episode, 'plan')).toMatchObject({ phase: 'Running', attempt: 1 });
    expect(stageOf(episode, 'plan')?.failures ?? 0).toBe(0);
    expect(JSON.stringify(episode.status)).not.toContain('forged:');
    expect(await jobExists(namespace, job.metadata.name)).toBe(true);

    // The runner's own outcome is what counts: the attempt succeeds, and the hint is acknowledged.
    await writeResult(job, JSON.stringify(await soundResult(job)));
    await completeJob(job);
    const done = await waitForEpisode(namespace, 'forged-failed', (e) => stageOf(e, 'plan')?.phase === 'Succeeded', { operator });
    expect(stageOf(done, 'plan')).toMatchObject({ attempt: 1, failures: 0 });
    await until('the hint acknowledged', consumer, (c) => c.ackPending === 0);
  });

  it('a 1 MiB message does not break status writes, and a long failure message is cut short', async () => {
    const { job, uid } = await runningPlan('huge-message');
    const huge = forged('huge-message', uid, 'plan', 1);
    const body = JSON.stringify({ ...huge, message: 'x'.repeat(1024 * 1024 - 4096) });
    expect(body.length).toBeGreaterThan(1_000_000);
    const seq = await publish(huge, body);
    await until('the 1 MiB event delivered and terminated', consumer, (c) => c.delivered >= seq && c.ackPending === 0);
    const log = await operator.logs(400);
    expect(log).toContain('dropped a malformed stage event');
    expect(log).toMatch(/"error":"\d+ bytes, more than 16384"/);

    // The Job really fails: the failure is stored, with a message of bounded size.
    await failJob(job);
    const failed = await waitForEpisode(namespace, 'huge-message', (e) => (stageOf(e, 'plan')?.failures ?? 0) >= 1, {
      operator,
      timeoutMs: 30_000,
    });
    expect(stageOf(failed, 'plan')?.message).toMatch(/^attempt 1 failed: the stage Job failed; attempt 2 of up to 2 starts at /);

    // Attempt 2: a 12 KiB message (under the size bound) gives the reason, cut to one short line.
    const second = await runningPlan('huge-message', 2);
    const before = await completionEvents('Failed');
    await publish(forged('huge-message', uid, 'plan', 2, { message: `espeak-ng: ${'y'.repeat(12 * 1024)}` }));
    await until(
      'the long event received',
      () => completionEvents('Failed'),
      (n) => n > before,
    );
    await failJob(second.job);
    const final = await waitForEpisode(namespace, 'huge-message', (e) => e.status?.phase === 'Failed', { operator, timeoutMs: 30_000 });
    const message = stageOf(final, 'plan')?.message ?? '';
    expect(message).toContain('espeak-ng: yyy');
    expect(message.length).toBeLessThan(1200);
    expect(final.status?.message?.length ?? 0).toBeLessThan(2000);
  });

  it('1000 events of attempts that will never come are terminated, not held unacknowledged', async () => {
    const { uid } = await runningPlan('future-attempts');
    await until('nothing pending before', consumer, (c) => c.ackPending === 0);
    const started = Date.now();
    let last = 0;
    for (let attempt = 3; attempt < 1003; attempt++)
      last = await publish(forged('future-attempts', uid, 'plan', attempt, { outcome: attempt % 2 ? 'Succeeded' : 'Failed' }));
    // Others: another stage that runs no attempt, and an older uid of the same name.
    last = await publish(forged('future-attempts', uid, 'voice', 1, { outcome: 'Succeeded' }));
    last = await publish(forged('future-attempts', 'uid-of-an-earlier-episode', 'plan', 1));
    const settled = await until('all delivered and none left unacknowledged', consumer, (c) => c.delivered >= last && c.ackPending === 0);
    // Well before ack_wait (30 s) would have redelivered anything.
    expect(Date.now() - started).toBeLessThan(25_000);
    expect(settled.pending).toBe(0);
    // The attempt itself is untouched.
    const episode = await getEpisode(namespace, 'future-attempts');
    expect(stageOf(episode, 'plan')).toMatchObject({ phase: 'Running', attempt: 1 });
    expect(stageOf(episode, 'plan')?.failures ?? 0).toBe(0);
  });
});
