// result.json is what a runner says of its attempt, and the runner is not trusted: the real
// operator, against the local API server and MinIO, fails an attempt whose result.json is
// malformed, of another attempt, too large, or names artifacts outside the attempt's own prefix,
// with the reason in the stage's message, and goes on (the next attempt starts); it never loops
// on such a file nor records a foreign URI. The node is played by hand (by-hand.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_RESULT_BYTES, type Episode, type SkipStages } from '@acog/api';
import { uniqueName } from '../support/env.ts';
import { prepareNamespace, startOperatorProcess, stageOf, waitForEpisode, type OperatorProcess } from '../support/operator.ts';
import { apply, testChannel, testEpisode } from '../support/pipeline-objects.ts';
import { completeJob, inputOf, soundResult, waitForJob, writeResult } from './by-hand.ts';

const LIGHT: SkipStages = ['avatar', 'broll', 'assemble', 'upload'];
const namespace = uniqueName('op-results');
let operator: OperatorProcess;

beforeAll(async () => {
  await prepareNamespace(namespace);
  operator = await startOperatorProcess({ namespace });
  await apply(namespace, await testChannel('untrusted'));
});

afterAll(async () => {
  await operator?.stop();
});

/** Starts an Episode, gives its plan attempt 1 the result.json `bad` makes, and completes the Job. */
async function planAttemptWith(name: string, bad: (sound: Record<string, unknown>) => string | Uint8Array): Promise<Episode> {
  await apply(namespace, await testEpisode(name, 'untrusted', (e) => (e.spec.overrides = { skipStages: LIGHT })));
  const job = await waitForJob(namespace, name, 'plan', 1);
  await writeResult(job, bad((await soundResult(job)) as unknown as Record<string, unknown>));
  await completeJob(job);
  return waitForEpisode(namespace, name, (e) => (stageOf(e, 'plan')?.failures ?? 0) >= 1, { operator, timeoutMs: 30_000 });
}

function planMessage(episode: Episode): string {
  return stageOf(episode, 'plan')?.message ?? '';
}

describe('a result.json that is not to be trusted fails its attempt', () => {
  it('a missing field: the attempt fails naming it, and the next attempt runs (no endless reconcile)', async () => {
    const episode = await planAttemptWith('missing-field', (sound) => {
      delete sound.artifacts;
      return JSON.stringify(sound);
    });
    expect(planMessage(episode)).toContain('attempt 1 failed: result.json of plan attempt 1 is invalid: artifacts: missing');
    // The retry goes on as for any failure: attempt 2 gets its Job, and a sound result finishes it.
    const second = await waitForJob(namespace, 'missing-field', 'plan', 2);
    await writeResult(second, JSON.stringify(await soundResult(second)));
    await completeJob(second);
    const done = await waitForEpisode(namespace, 'missing-field', (e) => stageOf(e, 'plan')?.phase === 'Succeeded', { operator });
    expect(stageOf(done, 'plan')).toMatchObject({ attempt: 2, provider: 'by-hand', costUSD: 0.01 });
    await waitForJob(namespace, 'missing-field', 'script', 1);
  });

  it('a negative cost is refused', async () => {
    const episode = await planAttemptWith('negative-cost', (sound) => JSON.stringify({ ...sound, costUSD: -25 }));
    expect(planMessage(episode)).toContain('result.json of plan attempt 1 is invalid: costUSD: must be >= 0');
    expect(stageOf(episode, 'plan')?.costUSD).toBeUndefined();
    expect(episode.status?.totalCostUSD ?? 0).toBe(0);
  });

  it('a result of another attempt does not move the attempt counter', async () => {
    const episode = await planAttemptWith('foreign-attempt', (sound) => JSON.stringify({ ...sound, attempt: 7 }));
    expect(planMessage(episode)).toContain('result.json of plan attempt 1 is invalid: attempt: is 7, not 1');
    expect(stageOf(episode, 'plan')?.attempt).toBe(1);
    const later = await waitForEpisode(namespace, 'foreign-attempt', (e) => stageOf(e, 'plan')?.phase === 'Running', { operator });
    expect(stageOf(later, 'plan')?.attempt).toBe(2);
  });

  it('a result of other inputs is refused', async () => {
    const episode = await planAttemptWith('other-inputs', (sound) => JSON.stringify({ ...sound, inputHash: 'sha256:0000' }));
    expect(planMessage(episode)).toMatch(/result\.json of plan attempt 1 is invalid: inputHash: is sha256:0000, not the attempt's sha256:/);
  });

  it(`a file larger than ${MAX_RESULT_BYTES} bytes is refused without being read whole`, async () => {
    const episode = await planAttemptWith('huge-result', (sound) =>
      JSON.stringify({ ...sound, padding: 'x'.repeat(2 * MAX_RESULT_BYTES) }),
    );
    expect(planMessage(episode)).toContain(`result.json of plan attempt 1 is invalid: larger than ${MAX_RESULT_BYTES} bytes`);
  });

  it("artifact URIs outside the episode's own prefix are refused, named, and never recorded", async () => {
    await apply(namespace, await testEpisode('foreign-uris', 'untrusted', (e) => (e.spec.overrides = { skipStages: LIGHT })));
    const job = await waitForJob(namespace, 'foreign-uris', 'plan', 1);
    const { input } = await inputOf(job);
    const sound = await soundResult(job);
    const otherTenant = `s3://acog-scripts/team-b/victim/${input.episode.uid}/plan/1/plan.json`;
    const wrongBucket = `s3://acog-assets/${namespace}/foreign-uris/${input.episode.uid}/plan/1/plan.json`;
    const escaping = `${sound.artifacts['plan.json'].replace(/plan\.json$/, '')}../../../../../team-b/victim/plan.json`;
    await writeResult(
      job,
      JSON.stringify({ ...sound, artifacts: { 'plan.json': otherTenant, 'copy.json': wrongBucket, 'up.json': escaping } }),
    );
    await completeJob(job);
    const episode = await waitForEpisode(namespace, 'foreign-uris', (e) => (stageOf(e, 'plan')?.failures ?? 0) >= 1, {
      operator,
      timeoutMs: 30_000,
    });
    const message = planMessage(episode);
    expect(message).toContain('result.json of plan attempt 1 is invalid');
    for (const uri of [otherTenant, wrongBucket, escaping]) expect(message).toContain(JSON.stringify(uri));
    // Named in the message, recorded nowhere as an artifact.
    const recorded = [
      ...(episode.status?.stages ?? []).flatMap((s) => s.artifacts ?? []),
      ...Object.values(episode.status?.artifacts ?? {}),
    ];
    expect(recorded).toEqual([]);
  });
});
