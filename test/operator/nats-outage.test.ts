// NATS is the fast path, not the truth: with its server stopped in the middle of the work, every
// Episode still converges through the Job watch and result.json. A NATS server of its own, so that
// stopping it disturbs no other test.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SkipStages } from '@acog/api';
import { startNats, type NatsService } from '@acog/hack/local-env/services/nats';
import { kubeConfig, localEnv, uniqueName } from '../support/env.ts';
import { NodeHarness } from '../support/node-harness.ts';
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

const LIGHT: SkipStages = ['avatar', 'broll', 'assemble', 'upload'];
const namespace = uniqueName('op-nats');
let nats: NatsService;
let operator: OperatorProcess;
let harness: NodeHarness;

beforeAll(async () => {
  nats = await startNats(localEnv().binaries.natsServer, await mkdtemp(join(tmpdir(), 'acog-nats-')));
  await prepareNamespace(namespace);
  operator = await startOperatorProcess({ namespace, natsUrl: nats.url, runner: runnerConfig(nats.url) });
  harness = new NodeHarness({ kubeConfig: kubeConfig(), namespace, mode: 'process', slots: 3 });
  await harness.start();
});

afterAll(async () => {
  await harness?.stop();
  await operator?.stop();
  await nats?.process.stop();
});

const completionEvents = async () => {
  const text = await (await fetch(`${operator.metricsUrl}/metrics`)).text();
  return [...text.matchAll(/^acog_completion_events_total\{outcome="Succeeded"\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
};

describe('NATS stopped in the middle', () => {
  it('every episode still converges through the Job watch', async () => {
    await apply(namespace, await testChannel('quiet'));
    const names = ['quiet-1', 'quiet-2', 'quiet-3', 'quiet-4'];
    await Promise.all(
      names.map(async (name) => apply(namespace, await testEpisode(name, 'quiet', (e) => (e.spec.overrides = { skipStages: LIGHT })))),
    );
    // The fast path works while NATS is up.
    await waitForEpisode(namespace, 'quiet-1', (e) => stageOf(e, 'plan')?.phase === 'Succeeded', { operator });
    expect(await completionEvents()).toBeGreaterThan(0);

    await nats.process.stop();
    const eventsAtStop = await completionEvents();
    const succeededAtStop = (await Promise.all(names.map((name) => getEpisode(namespace, name)))).flatMap(
      (e) => e.status?.stages?.filter((s) => s.phase === 'Succeeded') ?? [],
    ).length;

    for (const name of names) {
      const done = await waitForEpisode(namespace, name, (e) => ['Succeeded', 'Failed'].includes(e.status?.phase ?? ''), {
        operator,
        timeoutMs: 180_000,
      });
      expect(done.status?.phase, done.status?.message).toBe('Succeeded');
    }
    // Work finished after the stop, with no event arriving: the Job watch carried it.
    expect(succeededAtStop).toBeLessThan(names.length * 5);
    expect(await completionEvents()).toBe(eventsAtStop);
    expect(await operator.logs(400)).toContain('NATS disconnected');
    // The runners said why they could not announce, and went on.
    expect(harness.runs.some((run) => /NATS unreachable|could not publish/.test(run.output))).toBe(true);
  }, 240_000);
});
