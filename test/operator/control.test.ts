// Failures, retries, cancellation, Channel readiness and artifact retention, with the real runner
// run as a local process by the node harness and the real kubectl acog plugin acting as the user.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api } from '@kubernetes/client-node';
import { PERMANENT_FAILURE_EXIT_CODE, stageKeyPrefix, type Episode, type SkipStages } from '@acog/api';
import { acog } from '@acog/kubectl-plugin/testing';
import { kubeConfig, kubectl, uniqueName } from '../support/env.ts';
import { example } from '../support/kube.ts';
import { s3Store } from '../support/episode.ts';
import { NodeHarness } from '../support/node-harness.ts';
import { startOpenAiServer, type OpenAiServer } from '../provider-servers/openai.ts';
import {
  getChannel,
  getEpisode,
  prepareNamespace,
  startOperatorProcess,
  stageOf,
  waitForEpisode,
  type OperatorProcess,
} from '../support/operator.ts';
import { apply, patchEpisode, testChannel, testEpisode } from '../support/pipeline-objects.ts';

const namespace = uniqueName('op-ctl');
let operator: OperatorProcess;
let harness: NodeHarness;
const WRITING_ONLY: SkipStages = ['metadata', 'voice', 'avatar', 'broll', 'assemble', 'upload'];

beforeAll(async () => {
  await prepareNamespace(namespace);
  operator = await startOperatorProcess({ namespace });
  harness = new NodeHarness({ kubeConfig: kubeConfig(), namespace, mode: 'process', slots: 2 });
  await harness.start();
  await apply(namespace, await testChannel('ctl'));
});

afterAll(async () => {
  await harness?.stop();
  await operator?.stop();
});

const finished = (e: Episode) => ['Succeeded', 'Failed', 'Cancelled'].includes(e.status?.phase ?? '');

describe('a stage that fails', () => {
  it('is retried with backoff, then fails the Episode with the stage message; kubectl acog retry resumes it', async () => {
    const keyPoints = (await example<Episode>('episode.yaml')).spec.keyPoints;
    await apply(
      namespace,
      await testEpisode('too-short', 'ctl', (e) => {
        e.spec.keyPoints = keyPoints;
        e.spec.overrides = { targetDurationSeconds: 15, skipStages: WRITING_ONLY };
      }),
    );
    const failed = await waitForEpisode(namespace, 'too-short', finished, { operator });
    expect(failed.status?.phase).toBe('Failed');
    const script = stageOf(failed, 'script')!;
    expect(script).toMatchObject({ phase: 'Failed', attempt: 2, failures: 2 });
    expect(script.message).toMatch(/cannot fit the script to the target length/);
    expect(failed.status?.message).toMatch(/^script failed after 2 attempt\(s\): .*cannot fit the script/);
    expect(stageOf(failed, 'refine')?.phase).toBe('Blocked');
    const conditions = Object.fromEntries((failed.status?.conditions ?? []).map((c) => [c.type, c.status]));
    expect(conditions).toMatchObject({ Failed: 'True', Succeeded: 'False', Ready: 'False' });

    // The second attempt waited for the backoff (1 s) after the first failed.
    const attempts = harness.runs.filter((run) => run.episode === 'too-short' && run.stage === 'script');
    expect(attempts.map((run) => [run.attempt, run.exitCode])).toEqual([
      [1, 1],
      [2, 1],
    ]);
    expect(attempts[1].startedAt - attempts[0].finishedAt!).toBeGreaterThanOrEqual(900);
    const events = JSON.parse(
      await kubectl(['get', 'events', '-n', namespace, '--field-selector', 'involvedObject.name=too-short', '-o', 'json']),
    ) as { items: { reason: string; type: string; message: string }[] };
    expect(events.items.find((e) => e.reason === 'StageRetrying')).toMatchObject({
      type: 'Warning',
      message: expect.stringMatching(/^script attempt 1 failed/),
    });
    expect(events.items.find((e) => e.reason === 'Failed')).toMatchObject({
      type: 'Warning',
      message: expect.stringContaining('script failed after 2 attempt(s)'),
    });

    // The user fixes the spec and asks for a retry, as the plugin's message says.
    await patchEpisode(namespace, 'too-short', { spec: { overrides: { targetDurationSeconds: 60 } } });
    const retry = await acog(['retry', 'too-short', '-n', namespace]);
    expect(retry.code, retry.stderr).toBe(0);
    const done = await waitForEpisode(namespace, 'too-short', (e) => e.status?.phase === 'Succeeded', { operator });
    // plan's inputs changed (the duration), so it ran again; script got fresh attempts.
    expect(stageOf(done, 'plan')).toMatchObject({ phase: 'Succeeded', attempt: 2 });
    expect(stageOf(done, 'script')).toMatchObject({ phase: 'Succeeded', attempt: 3, failures: 0 });
    expect(stageOf(done, 'refine')).toMatchObject({ phase: 'Succeeded', attempt: 1 });
    expect(stageOf(done, 'upload')?.phase).toBe('Skipped');
    expect(done.status?.lastRetryAt).toBe(done.metadata.annotations?.['retry.acog.dev/requested-at']);
  }, 120_000);
});

describe('a provider that refuses the request itself', () => {
  let openai: OpenAiServer;
  beforeAll(async () => {
    openai = await startOpenAiServer({ apiKey: 'sk-the-right-key' });
  });
  afterAll(async () => {
    await openai?.close();
  });

  it('fails the stage after one attempt: the runner exits with the permanent code and the Job fails by its pod failure policy', async () => {
    const core = kubeConfig().makeApiClient(CoreV1Api);
    await core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'wrong-openai' }, stringData: { OPENAI_API_KEY: 'sk-wrong' } },
    });
    await apply(
      namespace,
      await testChannel('refused', (c) => {
        c.spec.providers!.llm = { provider: 'openai', model: 'gpt-4o-mini', secretRef: { name: 'wrong-openai' }, baseURL: openai.url };
      }),
    );
    await apply(namespace, await testEpisode('wrong-key', 'refused', (e) => (e.spec.overrides = { skipStages: WRITING_ONLY })));
    const failed = await waitForEpisode(namespace, 'wrong-key', finished, { operator });
    expect(failed.status?.phase).toBe('Failed');
    // The Channel allows two attempts; the refusal took one.
    expect(stageOf(failed, 'plan')).toMatchObject({ phase: 'Failed', attempt: 1, failures: 1 });
    expect(stageOf(failed, 'plan')?.message).toMatch(/401/);
    expect(failed.status?.message).toMatch(/not retried: the provider refuses this request itself.*kubectl acog retry wrong-key\)$/);
    const runs = harness.runs.filter((run) => run.episode === 'wrong-key' && run.stage === 'plan');
    expect(runs.map((run) => [run.attempt, run.exitCode])).toEqual([[1, PERMANENT_FAILURE_EXIT_CODE]]);
    const job = JSON.parse(await kubectl(['get', 'job', stageOf(failed, 'plan')!.jobName!, '-n', namespace, '-o', 'json'])) as {
      status: { conditions: { type: string; status: string; reason: string }[] };
    };
    expect(job.status.conditions.find((c) => c.type === 'Failed')).toMatchObject({ status: 'True', reason: 'PodFailurePolicy' });
    // The runner's own retries leave a 401 alone too: the provider saw the key once.
    expect(openai.requests.filter((r) => r.status === 401)).toHaveLength(1);
  }, 120_000);
});

describe('cancel', () => {
  it('deletes the running Job and ends the Episode as Cancelled, for good', async () => {
    await apply(namespace, await testEpisode('cancel-me', 'ctl', (e) => (e.spec.overrides = { skipStages: WRITING_ONLY })));
    await waitForEpisode(namespace, 'cancel-me', (e) => stageOf(e, 'plan')?.phase === 'Running', { operator });
    const jobName = stageOf(await getEpisode(namespace, 'cancel-me'), 'plan')!.jobName!;
    const result = await acog(['cancel', 'cancel-me', '-n', namespace, '--yes']);
    expect(result.code, result.stderr).toBe(0);
    const cancelled = await waitForEpisode(namespace, 'cancel-me', (e) => e.status?.phase === 'Cancelled', { operator });
    expect(cancelled.status?.message).toMatch(/cancelled/);
    const jobs = await kubectl(['get', 'jobs', '-n', namespace, '-o', 'name']);
    // The plan Job either finished before the cancel reached it, or was deleted.
    if (jobs.includes(jobName)) expect(stageOf(cancelled, 'plan')?.phase).toBe('Succeeded');
    expect(['Cancelled', 'Succeeded']).toContain(stageOf(cancelled, 'plan')?.phase);
    expect(stageOf(cancelled, 'script')?.phase).toBe('Cancelled');
  }, 60_000);
});

describe('the Channel', () => {
  it('is Ready only when its providers secrets exist with their keys, naming exactly what is missing', async () => {
    await apply(
      namespace,
      await testChannel('paid', (c) => {
        c.spec.providers!.llm = { provider: 'openai', secretRef: { name: 'paid-openai' } };
      }),
    );
    await apply(namespace, await testEpisode('waits-for-channel', 'paid', (e) => (e.spec.overrides = { skipStages: WRITING_ONLY })));
    const notFound = await waitFor(async () => {
      const channel = await getChannel(namespace, 'paid');
      const ready = channel.status?.conditions?.find((c) => c.type === 'Ready');
      return ready?.reason === 'SecretNotFound' ? ready : undefined;
    });
    expect(notFound.status).toBe('False');
    expect(notFound.message).toContain('providers.llm: secret "paid-openai" not found in namespace');
    expect(notFound.message).toContain('kubectl create secret generic paid-openai --from-literal=OPENAI_API_KEY=');

    const waiting = await waitForEpisode(
      namespace,
      'waits-for-channel',
      (e) => e.status?.conditions?.some((c) => c.reason === 'ChannelNotReady') ?? false,
      { operator, timeoutMs: 20_000 },
    );
    expect(waiting.status?.phase).toBe('Pending');
    expect(waiting.status?.message).toContain('channel "paid" is not ready');
    expect(harness.runs.some((run) => run.episode === 'waits-for-channel')).toBe(false);

    const core = kubeConfig().makeApiClient(CoreV1Api);
    await core.createNamespacedSecret({ namespace, body: { metadata: { name: 'paid-openai' }, stringData: { WRONG_KEY: 'x' } } });
    // Secrets are not watched (that would mean reading all of them): a spec change re-checks at once.
    await kubectl(['annotate', 'channel', 'paid', '-n', namespace, 'touched=1']);
    await kubectl(['patch', 'channel', 'paid', '-n', namespace, '--type=merge', '-p', '{"spec":{"persona":{"tone":"calm"}}}']);
    const keyMissing = await waitFor(async () => {
      const ready = (await getChannel(namespace, 'paid')).status?.conditions?.find((c) => c.type === 'Ready');
      return ready?.reason === 'SecretKeyMissing' ? ready : undefined;
    });
    expect(keyMissing.message).toBe('providers.llm: secret "paid-openai" has no key OPENAI_API_KEY');

    const channel = await getChannel(namespace, 'paid');
    expect(channel.status?.episodes).toMatchObject({ total: 1, pending: 1 });
    expect(channel.status?.observedGeneration).toBe(channel.metadata.generation);
  }, 60_000);

  it('is not Ready while a model it names is shut down, saying what to use instead', async () => {
    const core = kubeConfig().makeApiClient(CoreV1Api);
    await core.createNamespacedSecret({ namespace, body: { metadata: { name: 'old-openai' }, stringData: { OPENAI_API_KEY: 'sk-x' } } });
    await apply(
      namespace,
      await testChannel('old-model', (c) => {
        c.spec.providers!.llm = { provider: 'openai', planModel: 'o4-mini', secretRef: { name: 'old-openai' } };
      }),
    );
    const retired = await waitFor(async () => {
      const ready = (await getChannel(namespace, 'old-model')).status?.conditions?.find((c) => c.type === 'Ready');
      return ready?.reason === 'ModelRetired' ? ready : undefined;
    });
    expect(retired.status).toBe('False');
    expect(retired.message).toBe(
      'providers.llm.planModel: OpenAI shut o4-mini down on 2026-10-23; stages that use it fail: set providers.llm.planModel to gpt-5.6-terra',
    );

    await kubectl([
      'patch',
      'channel',
      'old-model',
      '-n',
      namespace,
      '--type=merge',
      '-p',
      '{"spec":{"providers":{"llm":{"planModel":"gpt-6.1-sol"}}}}',
    ]);
    const ready = await waitFor(async () => {
      const condition = (await getChannel(namespace, 'old-model')).status?.conditions?.find((c) => c.type === 'Ready');
      return condition?.status === 'True' ? condition : undefined;
    });
    expect(ready.reason).toBe('ProvidersReady');
  }, 60_000);
});

describe('artifact retention', () => {
  it('DeleteWithEpisode: a finalizer removes the episode artifacts from S3 before the Episode goes', async () => {
    await apply(namespace, await testChannel('tidy', (c) => (c.spec.retention = { artifacts: 'DeleteWithEpisode' })));
    await apply(namespace, await testEpisode('tidy-one', 'tidy', (e) => (e.spec.overrides = { skipStages: WRITING_ONLY })));
    // Finished and archived: the archiver drops its own finalizer (acog.dev/archive) a moment after the end.
    const done = await waitForEpisode(namespace, 'tidy-one', (e) => finished(e) && !e.metadata.finalizers?.includes('acog.dev/archive'), {
      operator,
    });
    expect(done.status?.phase).toBe('Succeeded');
    expect(done.metadata.finalizers).toEqual(['acog.dev/artifacts']);
    const store = s3Store();
    const prefix = store.uri(
      'acog-scripts',
      stageKeyPrefix({ namespace, episode: 'tidy-one', uid: done.metadata.uid!, stage: 'plan', attempt: 1 }),
    );
    expect((await store.list(prefix)).length).toBeGreaterThan(1);

    await kubectl(['delete', 'episode', 'tidy-one', '-n', namespace, '--wait=false']);
    await waitFor(async () =>
      (await kubectl(['get', 'episodes', '-n', namespace, '-o', 'name'])).includes('tidy-one') ? undefined : true,
    );
    expect(await store.list(store.uri('acog-scripts', `${namespace}/tidy-one/${done.metadata.uid}/`))).toEqual([]);
  }, 90_000);

  it('Keep: no finalizer, and the artifacts stay', async () => {
    const done = await getEpisode(namespace, 'too-short');
    expect(done.metadata.finalizers ?? []).toEqual([]);
  });
});

async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not there after ${timeoutMs / 1000}s; operator log:\n${await operator.logs(30)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
