// The runner image, run as Kubernetes would run it (non-root, read-only root filesystem, a scratch
// volume), completes a stage against the local S3 and NATS.
import { describe, expect, it, beforeAll } from 'vitest';
import { GenericContainer, getContainerRuntimeClient, Wait } from 'testcontainers';
import { stageBucket, stageKeyPrefix, type StageName, type StageResult } from '@acog/api';
import { serviceEnv } from '../support/env.ts';
import { exampleEpisode, s3Store, stageInput } from '../support/episode.ts';
import { ensureEventsStream, stageEvents } from '../support/nats.ts';

const IMAGE = process.env.ACOG_RUNNER_IMAGE ?? 'acog/runner:dev';

/** GenericContainer with the read-only root filesystem a runner Pod has. */
class ReadOnlyRootContainer extends GenericContainer {
  constructor(image: string) {
    super(image);
    this.hostConfig.ReadonlyRootfs = true;
  }
}

async function runRunner(args: string[], env: Record<string, string>): Promise<{ exitCode: number; output: string }> {
  let output = '';
  const container = await new ReadOnlyRootContainer(IMAGE)
    .withCommand(args)
    .withEnvironment(env)
    .withNetworkMode('host')
    .withUser('65532:65532')
    .withTmpFs({ '/scratch': 'rw,size=512m,uid=65532,gid=65532' })
    .withLogConsumer((stream) => stream.on('data', (chunk: Buffer) => (output += chunk.toString())))
    // The runner's last line says how the stage ended; the exit code is read once it has exited.
    .withWaitStrategy(Wait.forLogMessage(/acog-runner: \w+ (succeeded in|failed:)/))
    .withStartupTimeout(120_000)
    .start();
  const client = await getContainerRuntimeClient();
  const handle = client.container.getById(container.getId());
  let state = (await client.container.inspect(handle)).State;
  for (let waited = 0; state.Running && waited < 30_000; waited += 200) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    state = (await client.container.inspect(handle)).State;
  }
  const exitCode = state.Running ? -1 : state.ExitCode;
  await container.stop({ remove: true }).catch(() => undefined);
  return { exitCode, output };
}

describe(`runner image ${IMAGE}`, () => {
  beforeAll(ensureEventsStream);

  it('completes the plan stage with the offline writer, stores result.json and announces it', async () => {
    const example = exampleEpisode();
    const input = stageInput(example, 'plan');
    const store = s3Store();
    const prefix = stageKeyPrefix({
      namespace: 'team-a',
      episode: example.episode.metadata.name!,
      uid: example.uid,
      stage: 'plan',
      attempt: 1,
    });
    const inputUri = store.uri(stageBucket('plan'), `${prefix}input.json`);
    await store.putBytes(inputUri, JSON.stringify(input));

    const { exitCode, output } = await runRunner(['plan', '--input', inputUri], serviceEnv());
    expect(output).toMatch(/plan succeeded in/);
    expect(exitCode).toBe(0);
    const result = JSON.parse((await store.getBytes(store.uri('acog-scripts', `${prefix}result.json`))).toString());
    expect(result).toMatchObject({ stage: 'plan', provider: 'offline', inputHash: input.inputHash });
    const plan = JSON.parse((await store.getBytes(result.artifacts['plan.json'])).toString());
    expect(plan.beats.length).toBeGreaterThan(2);
    expect((await stageEvents(example.uid)).map((e) => e.event.outcome)).toEqual(['Succeeded']);
  });

  it('fails with a one-line reason and no result.json on a malformed input', async () => {
    const example = exampleEpisode();
    const store = s3Store();
    const prefix = stageKeyPrefix({
      namespace: 'team-a',
      episode: example.episode.metadata.name!,
      uid: example.uid,
      stage: 'script',
      attempt: 1,
    });
    const inputUri = store.uri('acog-scripts', `${prefix}input.json`);
    await store.putBytes(inputUri, JSON.stringify(stageInput(example, 'script')));
    const { exitCode, output } = await runRunner(['script', '--input', inputUri], serviceEnv());
    expect(exitCode).toBe(1);
    expect(output.trim().split('\n').at(-1)).toBe(
      'acog-runner: script failed: missing upstream result of plan: script needs it finished first',
    );
    expect(await store.exists(store.uri('acog-scripts', `${prefix}result.json`))).toBe(false);
  });

  it('speaks the narration with Piper inside the image (read-only root), timed by word', async () => {
    const example = exampleEpisode();
    const store = s3Store();
    const upstream: Partial<Record<StageName, StageResult>> = {};
    let voiceOutput = '';
    for (const stage of ['plan', 'script', 'refine', 'voice'] as const) {
      const prefix = stageKeyPrefix({ namespace: 'team-a', episode: example.episode.metadata.name!, uid: example.uid, stage, attempt: 1 });
      const inputUri = store.uri(stageBucket(stage), `${prefix}input.json`);
      await store.putBytes(inputUri, JSON.stringify(stageInput(example, stage, { ...upstream })));
      const { exitCode, output } = await runRunner([stage, '--input', inputUri], serviceEnv());
      expect(output, output).toMatch(new RegExp(`${stage} succeeded in`));
      expect(exitCode).toBe(0);
      upstream[stage] = JSON.parse((await store.getBytes(store.uri(stageBucket(stage), `${prefix}result.json`))).toString()) as StageResult;
      if (stage === 'voice') voiceOutput = output;
    }
    expect(upstream.voice).toMatchObject({ provider: 'piper' });
    expect(voiceOutput).toMatch(/Piper \(en_US-joe-medium, length scale [\d.]+\) spoke \d+ words/);
    expect(voiceOutput).not.toMatch(/speaking with espeak-ng/);
    const narration = JSON.parse((await store.getBytes(upstream.voice!.artifacts['narration.json'])).toString()) as {
      timing: string;
      durationSeconds: number;
      words: { text: string; start: number; end: number }[];
    };
    expect(narration.timing).toBe('word');
    expect(narration.words.length).toBeGreaterThan(50);
    expect(narration.words.at(-1)!.end).toBeLessThanOrEqual(narration.durationSeconds);
    expect(narration.durationSeconds).toBeGreaterThan(20);
  }, 600_000);
});
