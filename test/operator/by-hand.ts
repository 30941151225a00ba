// Plays the node by hand for the tests of untrusted input (result.json, NATS events): no runner
// runs, a test writes what a runner (or an attacker) would write and sets the Job's status as the
// Job controller would, so that each test decides exactly what the operator finds.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { LABELS, type StageInput, type StageName, type StageResult } from '@acog/api';
import { kubeConfig } from '../support/env.ts';
import { s3Store } from '../support/episode.ts';

export interface StageJobObject {
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: { template: { spec: { containers: { args?: string[] }[] } } };
  status?: Record<string, unknown>;
}

const jobsApi = () => kubeConfig().makeApiClient(CustomObjectsApi);
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for the operator's Job of one stage attempt. */
export async function waitForJob(namespace: string, episode: string, stage: StageName, attempt: number, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  const labelSelector = `${LABELS.episode}=${episode},${LABELS.stage}=${stage},${LABELS.attempt}=${attempt}`;
  while (Date.now() < deadline) {
    const list = (await jobsApi().listNamespacedCustomObject({
      group: 'batch',
      version: 'v1',
      plural: 'jobs',
      namespace,
      labelSelector,
    })) as {
      items: StageJobObject[];
    };
    if (list.items[0]) return list.items[0];
    await sleep(200);
  }
  throw new Error(`no Job for ${namespace}/${episode} ${stage} attempt ${attempt}`);
}

export async function jobExists(namespace: string, name: string): Promise<boolean> {
  try {
    await jobsApi().getNamespacedCustomObject({ group: 'batch', version: 'v1', plural: 'jobs', namespace, name });
    return true;
  } catch {
    return false;
  }
}

/** The stage input the operator wrote for a Job, and where its result.json goes. */
export async function inputOf(job: StageJobObject): Promise<{ input: StageInput; inputUri: string; resultUri: string }> {
  const inputUri = job.spec.template.spec.containers[0].args![2];
  const input = JSON.parse((await s3Store().getBytes(inputUri)).toString('utf8')) as StageInput;
  return { input, inputUri, resultUri: inputUri.replace(/input\.json$/, 'result.json') };
}

/** A sound result.json for the Job's attempt, with an artifact inside its own prefix. */
export async function soundResult(job: StageJobObject): Promise<StageResult> {
  const { input, resultUri } = await inputOf(job);
  const now = new Date().toISOString();
  const prefix = resultUri.replace(/result\.json$/, '');
  await s3Store().putBytes(`${prefix}plan.json`, JSON.stringify({ title: 'by hand' }), 'application/json');
  return {
    stage: input.stage,
    attempt: input.attempt,
    inputHash: input.inputHash,
    provider: 'by-hand',
    artifacts: { 'plan.json': `${prefix}plan.json` },
    usage: { tokens: 10 },
    costUSD: 0.01,
    startedAt: now,
    finishedAt: now,
  };
}

export async function writeResult(job: StageJobObject, body: string | Uint8Array): Promise<void> {
  const { resultUri } = await inputOf(job);
  await s3Store().putBytes(resultUri, body, 'application/json');
}

async function setStatus(job: StageJobObject, status: Record<string, unknown>): Promise<void> {
  // startTime is immutable once set (by startJob); a finished Job has no active pods.
  const current = (await jobsApi().getNamespacedCustomObject({
    group: 'batch',
    version: 'v1',
    plural: 'jobs',
    namespace: job.metadata.namespace,
    name: job.metadata.name,
  })) as StageJobObject;
  if (current.status?.startTime) delete status.startTime;
  if (current.status?.active && status.active === undefined) status.active = 0;
  await jobsApi().patchNamespacedCustomObjectStatus(
    { group: 'batch', version: 'v1', plural: 'jobs', namespace: job.metadata.namespace, name: job.metadata.name, body: { status } },
    mergePatch,
  );
}

const condition = (type: string, reason: string, message: string, time: string) => ({
  type,
  status: 'True',
  reason,
  message,
  lastProbeTime: time,
  lastTransitionTime: time,
});
const seconds = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The Job succeeded, as the Job controller records it. */
export async function completeJob(job: StageJobObject): Promise<void> {
  const time = seconds();
  await setStatus(job, {
    startTime: time,
    succeeded: 1,
    completionTime: time,
    conditions: [
      condition('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods', time),
      condition('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods', time),
    ],
  });
}

/** The Job failed (no pod is left to tell why). */
export async function failJob(job: StageJobObject): Promise<void> {
  const time = seconds();
  await setStatus(job, {
    startTime: time,
    failed: 1,
    conditions: [
      condition('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', time),
      condition('Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', time),
    ],
  });
}

/** The Job is running, as a node that has started its pod. */
export async function startJob(job: StageJobObject): Promise<void> {
  await setStatus(job, { startTime: seconds(), active: 1 });
}
