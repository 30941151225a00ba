// Bad stage input fails the stage with a clear reason and leaves no result.json.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stageBucket, stageKeyPrefix, type StageInput, type StageName } from '@acog/api';
import { runStage, STAGE_IMPLEMENTATIONS } from '@acog/runners';
import { exampleEpisode, s3Store, stageInput } from '../support/episode.ts';

/** Stores a document as an upstream stage's artifact and returns that stage's result. */
async function upstreamDocument(
  example: ReturnType<typeof exampleEpisode>,
  stage: StageName,
  name: string,
  value: unknown,
): Promise<StageInput['upstream']> {
  const store = s3Store();
  const prefix = stageKeyPrefix({ namespace: 'team-a', episode: example.episode.metadata.name!, uid: example.uid, stage, attempt: 1 });
  const uri = store.uri(stageBucket(stage), `${prefix}${name}`);
  await store.putBytes(uri, JSON.stringify(value));
  const now = new Date().toISOString();
  return {
    [stage]: {
      stage,
      attempt: 1,
      inputHash: 'h',
      provider: 'offline',
      artifacts: { [name]: uri },
      usage: {},
      costUSD: 0,
      startedAt: now,
      finishedAt: now,
    },
  };
}

async function expectFailureWithoutResult(input: StageInput, reason: RegExp): Promise<void> {
  const store = s3Store();
  await expect(
    runStage(input, STAGE_IMPLEMENTATIONS[input.stage], { store, scratch: await mkdtemp(join(tmpdir(), 'acog-bad-')) }),
  ).rejects.toThrow(reason);
  const prefix = stageKeyPrefix({
    namespace: 'team-a',
    episode: input.episode.name,
    uid: input.episode.uid,
    stage: input.stage,
    attempt: input.attempt,
  });
  expect(await store.exists(store.uri(stageBucket(input.stage), `${prefix}result.json`))).toBe(false);
}

describe('bad stage input', () => {
  it('an empty script fails refine', async () => {
    const example = exampleEpisode();
    const plan = await upstreamDocument(example, 'plan', 'plan.json', { title: 't', hook: 'h', beats: [], outro: 'o' });
    const script = await upstreamDocument(example, 'script', 'script.json', {
      title: 't',
      beats: [{ id: 'beat-1', heading: 'h', narration: '  ', brollCues: [] }],
      wordCount: 0,
      estimatedSeconds: 0,
    });
    await expectFailureWithoutResult(
      stageInput(example, 'refine', { ...plan, ...script }),
      /empty script: the script stage produced no narration to refine/,
    );
  });

  it('a missing upstream artifact fails the stage naming it', async () => {
    const example = exampleEpisode();
    const plan = await upstreamDocument(example, 'plan', 'plan.json', {});
    plan.plan!.artifacts = { 'outline.json': plan.plan!.artifacts['plan.json'] };
    await expectFailureWithoutResult(
      stageInput(example, 'script', plan),
      /missing upstream artifact plan.json of plan: its result lists outline.json/,
    );
  });

  it('an upstream document that is not JSON fails the stage saying so', async () => {
    const example = exampleEpisode();
    const plan = await upstreamDocument(example, 'plan', 'plan.json', {});
    await s3Store().putBytes(plan.plan!.artifacts['plan.json'], '{ not json');
    await expectFailureWithoutResult(stageInput(example, 'script', plan), /upstream artifact plan.json of plan is not valid JSON/);
  });
});
