// Approval gates, suspend and resume, and a spec edit mid-way, through the whole pipeline with the
// real runner as a local process, driven by the kubectl acog plugin as a user would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Episode } from '@acog/api';
import { acog } from '@acog/kubectl-plugin/testing';
import { kubeConfig, uniqueName } from '../support/env.ts';
import { NodeHarness } from '../support/node-harness.ts';
import { getEpisode, prepareNamespace, startOperatorProcess, stageOf, waitForEpisode, type OperatorProcess } from '../support/operator.ts';
import { apply, patchEpisode, testChannel, testEpisode } from '../support/pipeline-objects.ts';

const namespace = uniqueName('op-gate');
let operator: OperatorProcess;
let harness: NodeHarness;

beforeAll(async () => {
  await prepareNamespace(namespace);
  operator = await startOperatorProcess({ namespace });
  harness = new NodeHarness({ kubeConfig: kubeConfig(), namespace, mode: 'process', slots: 3 });
  await harness.start();
  await apply(namespace, await testChannel('gated'));
});

afterAll(async () => {
  await harness?.stop();
  await operator?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const runsOf = (episode: string, stage: string) => harness.runs.filter((run) => run.episode === episode && run.stage === stage);
const attempts = (episode: Episode) => Object.fromEntries((episode.status?.stages ?? []).map((s) => [s.name, s.attempt]));

async function plugin(args: string[]): Promise<string> {
  const result = await acog([...args, '-n', namespace]);
  const episode = await getEpisode(namespace, args[1]);
  const stages = episode.status?.stages?.map((s) => `${s.name}=${s.phase}#${s.attempt}: ${s.message}`).join('\n');
  expect(result.code, `${result.stderr}\n${stages}\n${await operator.logs(30)}`).toBe(0);
  return result.stdout;
}

describe('an approval gate, suspend and resume', () => {
  it('holds the gated stage until approved, holds everything while suspended, and continues on resume', async () => {
    await apply(namespace, await testEpisode('gate', 'gated', (e) => (e.spec.approvalGates = ['voice'])));
    const waiting = await waitForEpisode(namespace, 'gate', (e) => e.status?.phase === 'AwaitingApproval', { operator });
    expect(stageOf(waiting, 'voice')).toMatchObject({ phase: 'AwaitingApproval' });
    expect(stageOf(waiting, 'voice')?.message).toContain('kubectl acog approve gate --stage voice');
    expect(stageOf(waiting, 'metadata')?.phase).toBe('Succeeded');
    expect(stageOf(waiting, 'broll')?.phase).toBe('Succeeded');
    expect(waiting.status?.conditions?.find((c) => c.type === 'AwaitingApproval')).toMatchObject({
      status: 'True',
      message: 'waiting for approval of voice',
    });
    await sleep(2000);
    expect(runsOf('gate', 'voice')).toEqual([]);

    await plugin(['suspend', 'gate']);
    await plugin(['approve', 'gate', '--stage', 'voice']);
    const suspended = await waitForEpisode(namespace, 'gate', (e) => stageOf(e, 'voice')?.message?.startsWith('suspended') ?? false, {
      operator,
    });
    expect(suspended.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'False', reason: 'Suspended' });
    await sleep(2000);
    expect(runsOf('gate', 'voice')).toEqual([]);

    await plugin(['resume', 'gate']);
    const done = await waitForEpisode(namespace, 'gate', (e) => ['Succeeded', 'Failed'].includes(e.status?.phase ?? ''), {
      operator,
      timeoutMs: 180_000,
    });
    expect(done.status?.phase).toBe('Succeeded');
    expect(runsOf('gate', 'voice')).toHaveLength(1);
    expect(Object.values(attempts(done))).toEqual(Array(9).fill(1));
  }, 240_000);
});

describe('a spec edit after work began', () => {
  it('re-runs only the stages whose inputs changed, and reuses an earlier attempt when they change back', async () => {
    await apply(namespace, await testEpisode('edit', 'gated', (e) => (e.spec.approvalGates = ['upload'])));
    const first = await waitForEpisode(namespace, 'edit', (e) => e.status?.phase === 'AwaitingApproval', { operator, timeoutMs: 180_000 });
    expect(stageOf(first, 'upload')?.phase).toBe('AwaitingApproval');
    const before = await getEpisode(namespace, 'edit');

    // Another espeak voice: voice, avatar and assemble take it in; the writing and the B-roll do not.
    await patchEpisode(namespace, 'edit', { spec: { overrides: { providers: { voice: { provider: 'espeak', voiceId: 'en-gb' } } } } });
    const edited = await waitForEpisode(
      namespace,
      'edit',
      (e) =>
        e.status?.phase === 'AwaitingApproval' &&
        stageOf(e, 'assemble')?.attempt === 2 &&
        e.status.observedGeneration === e.metadata.generation,
      { operator, timeoutMs: 180_000 },
    );
    expect(attempts(edited)).toMatchObject({ plan: 1, script: 1, refine: 1, metadata: 1, broll: 1, voice: 2, avatar: 2, assemble: 2 });
    for (const stage of ['voice', 'avatar', 'assemble'])
      expect(stageOf(edited, stage)?.inputHash).not.toBe(stageOf(before, stage)?.inputHash);
    for (const stage of ['plan', 'script', 'refine', 'metadata', 'broll'])
      expect(stageOf(edited, stage)?.inputHash).toBe(stageOf(before, stage)?.inputHash);
    expect(runsOf('edit', 'plan')).toHaveLength(1);
    expect(runsOf('edit', 'voice')).toHaveLength(2);

    // Back to the Channel's voice: the first attempts match again and are reused, with no new Job.
    await patchEpisode(namespace, 'edit', { spec: { overrides: null } });
    const reverted = await waitForEpisode(
      namespace,
      'edit',
      (e) => e.status?.observedGeneration === e.metadata.generation && stageOf(e, 'assemble')?.attempt === 1,
      { operator },
    );
    expect(stageOf(reverted, 'voice')).toMatchObject({ phase: 'Succeeded', attempt: 1, inputHash: stageOf(before, 'voice')?.inputHash });
    expect(stageOf(reverted, 'voice')?.message).toMatch(/^reused attempt 1/);
    expect(runsOf('edit', 'voice')).toHaveLength(2);
    expect(runsOf('edit', 'assemble')).toHaveLength(2);
    expect(reverted.status?.phase).toBe('AwaitingApproval');

    await plugin(['approve', 'edit']);
    const done = await waitForEpisode(namespace, 'edit', (e) => e.status?.phase === 'Succeeded', { operator });
    expect(stageOf(done, 'upload')).toMatchObject({ phase: 'Succeeded', attempt: 1 });
  }, 300_000);
});
