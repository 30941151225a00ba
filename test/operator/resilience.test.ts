// The operator is safe to kill at any moment, and two replicas never act at once: with the real
// runner as local processes, every Episode converges and no stage attempt ever gets a second Job.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { LABELS, stageBucket, stageKeyPrefix, type SkipStages } from '@acog/api';
import { kubeConfig, uniqueName } from '../support/env.ts';
import { s3Store } from '../support/episode.ts';
import { freePort } from '@acog/hack/local-env/process';
import { NodeHarness } from '../support/node-harness.ts';
import { getEpisode, prepareNamespace, startOperatorProcess, stageOf, waitForEpisode, type OperatorProcess } from '../support/operator.ts';
import { apply, testChannel, testEpisode } from '../support/pipeline-objects.ts';

// plan → script → refine → (metadata ∥ voice): the DAG's fork, without the long media stages.
const LIGHT: SkipStages = ['avatar', 'broll', 'assemble', 'upload'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface JobItem {
  metadata: { name: string; labels: Record<string, string>; ownerReferences?: { uid: string }[] };
}

async function allJobs(namespace: string): Promise<JobItem[]> {
  const list = (await kubeConfig()
    .makeApiClient(CustomObjectsApi)
    .listNamespacedCustomObject({ group: 'batch', version: 'v1', plural: 'jobs', namespace })) as { items: JobItem[] };
  return list.items;
}

function duplicateAttempts(jobs: JobItem[]): string[] {
  const byAttempt = new Map<string, string[]>();
  for (const job of jobs) {
    const labels = job.metadata.labels;
    const key = `${labels[LABELS.episode]}/${labels[LABELS.stage]}/${labels[LABELS.attempt]}`;
    byAttempt.set(key, [...(byAttempt.get(key) ?? []), job.metadata.name]);
  }
  return [...byAttempt].filter(([, names]) => names.length > 1).map(([key, names]) => `${key}: ${names.join(', ')}`);
}

describe('killing the operator at random moments', () => {
  const namespace = uniqueName('op-kill');
  let harness: NodeHarness;
  let operator: OperatorProcess | undefined;

  beforeAll(async () => {
    await prepareNamespace(namespace);
    harness = new NodeHarness({ kubeConfig: kubeConfig(), namespace, mode: 'process', slots: 4 });
    await harness.start();
  });
  afterAll(async () => {
    await harness?.stop();
    await operator?.stop();
  });

  it('20 concurrent episodes all converge, and no (episode, stage, attempt) ever gets a second Job', async () => {
    await apply(namespace, await testChannel('chaos'));
    const names = Array.from({ length: 20 }, (_, i) => `chaos-${i}`);
    await Promise.all(
      names.map(async (name) => apply(namespace, await testEpisode(name, 'chaos', (e) => (e.spec.overrides = { skipStages: LIGHT })))),
    );

    let kills = 0;
    const deadline = Date.now() + 400_000;
    const converged = async () => {
      const phases = await Promise.all(names.map(async (name) => (await getEpisode(namespace, name)).status?.phase));
      return phases.every((phase) => phase === 'Succeeded' || phase === 'Failed');
    };
    // The same identity comes back, as a restarted container in the same pod does, and takes its lease again.
    operator = await startOperatorProcess({ namespace, identity: 'chaos' });
    while (!(await converged())) {
      expect(Date.now(), `not converged after ${kills} kills; log:\n${await operator.logs(40)}`).toBeLessThan(deadline);
      await sleep(300 + Math.random() * 2500);
      if (await converged()) break;
      operator.kill();
      await operator.stop();
      kills++;
      operator = await startOperatorProcess({ namespace, identity: 'chaos' });
    }
    expect(kills).toBeGreaterThanOrEqual(3);
    for (const name of names) {
      const episode = await getEpisode(namespace, name);
      expect(episode.status?.phase, `${name}: ${episode.status?.message}`).toBe('Succeeded');
      expect(episode.status?.progress).toBe('5/5');
    }
    const jobs = await allJobs(namespace);
    expect(duplicateAttempts(jobs)).toEqual([]);
    // Each attempt ran once on the "nodes", and each stage needed one attempt.
    const runs = new Set(harness.runs.map((run) => `${run.episode}/${run.stage}/${run.attempt}`));
    expect(runs.size).toBe(harness.runs.length);
    expect(jobs).toHaveLength(names.length * 5);
  }, 480_000);
});

describe('two operator replicas', () => {
  const namespace = uniqueName('op-ha');
  let harness: NodeHarness;
  const replicas: OperatorProcess[] = [];

  beforeAll(async () => {
    await prepareNamespace(namespace);
    harness = new NodeHarness({ kubeConfig: kubeConfig(), namespace, mode: 'process', slots: 2 });
    await harness.start();
  });
  afterAll(async () => {
    await harness?.stop();
    for (const replica of replicas) await replica.stop();
  });

  const leaderOf = async (replica: OperatorProcess) => {
    try {
      return /^acog_leader 1$/m.test(await (await fetch(`${replica.metricsUrl}/metrics`)).text());
    } catch {
      return false;
    }
  };
  const lease = async () =>
    (await kubeConfig()
      .makeApiClient(CustomObjectsApi)
      .getNamespacedCustomObject({ group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespace, name: 'acog-operator' })) as {
      spec: { holderIdentity: string; leaseTransitions: number };
    };

  it('one leads at a time; when it dies, the other takes over within the lease time and finishes the work', async () => {
    replicas.push(await startOperatorProcess({ namespace, identity: 'replica-a', leaseSeconds: 3 }));
    replicas.push(await startOperatorProcess({ namespace, identity: 'replica-b', leaseSeconds: 3 }));
    await sleep(2000);
    const leading = await Promise.all(replicas.map(leaderOf));
    expect(leading.filter(Boolean)).toHaveLength(1);
    const leader = replicas[leading.indexOf(true)];
    const standby = replicas[leading.indexOf(false)];
    expect((await lease()).spec.holderIdentity).toBe(leader.identity);
    // The standby is ready (its caches are warm) but does not act.
    expect(await (await fetch(`${standby.metricsUrl}/readyz`)).text()).toContain('standby');

    await apply(namespace, await testChannel('ha'));
    await apply(namespace, await testEpisode('ha-1', 'ha', (e) => (e.spec.overrides = { skipStages: LIGHT })));
    await waitForEpisode(
      namespace,
      'ha-1',
      (e) => stageOf(e, 'script')?.phase === 'Running' || stageOf(e, 'script')?.phase === 'Succeeded',
      {
        operator: leader,
      },
    );

    const killedAt = Date.now();
    leader.kill();
    while (!(await leaderOf(standby))) {
      expect(Date.now() - killedAt, 'the standby did not take over').toBeLessThan(10_000);
      await sleep(100);
    }
    const tookOver = Date.now() - killedAt;
    // Lease 3 s, checked every 0.5 s: the standby leads within the lease time plus a renewal period.
    expect(tookOver).toBeLessThan(3000 + 1500);
    expect((await lease()).spec.holderIdentity).toBe(standby.identity);
    expect((await lease()).spec.leaseTransitions).toBeGreaterThanOrEqual(1);

    const done = await waitForEpisode(namespace, 'ha-1', (e) => e.status?.phase === 'Succeeded', { operator: standby });
    expect(done.status?.progress).toBe('5/5');
    expect(duplicateAttempts(await allJobs(namespace))).toEqual([]);
  }, 120_000);
});

describe('a running Job whose input.json is missing (an operator died between the two legs of a hand-off)', () => {
  const namespace = uniqueName('op-input');
  let operator: OperatorProcess | undefined;

  beforeAll(() => prepareNamespace(namespace));
  afterAll(async () => {
    await operator?.stop();
  });

  it('gets its input written again by the next operator, for the same Job, while its runner still waits', async () => {
    await apply(namespace, await testChannel('lost'));
    await apply(namespace, await testEpisode('lost-input', 'lost', (e) => (e.spec.overrides = { skipStages: LIGHT })));
    // No nodes here: the plan Job stays active, as a Job whose pod has not started yet.
    operator = await startOperatorProcess({ namespace, identity: 'lost' });
    const running = await waitForEpisode(namespace, 'lost-input', (e) => stageOf(e, 'plan')?.phase === 'Running', { operator });
    const store = s3Store();
    const key = stageKeyPrefix({ namespace, episode: 'lost-input', uid: running.metadata.uid!, stage: 'plan', attempt: 1 });
    const input = store.uri(stageBucket('plan'), `${key}input.json`);
    for (let i = 0; !(await store.exists(input)); i++) {
      expect(i, 'the input of the plan attempt was never written').toBeLessThan(100);
      await sleep(100);
    }
    await operator.stop();
    // What a replica killed after its Job create and before its upload leaves behind.
    expect(await store.deletePrefix(input)).toBe(1);
    expect(await store.exists(input)).toBe(false);

    operator = await startOperatorProcess({ namespace, identity: 'lost' });
    for (let i = 0; !(await store.exists(input)); i++) {
      expect(i, `the input was not written again; log:\n${await operator.logs(30)}`).toBeLessThan(150);
      await sleep(100);
    }
    expect(await operator.logs(200)).toContain('the running attempt had no input; writing it again');
    const written = JSON.parse((await store.getBytes(input)).toString('utf8')) as { stage: string; attempt: number; inputHash: string };
    expect(written).toMatchObject({ stage: 'plan', attempt: 1, inputHash: stageOf(running, 'plan')!.inputHash });
    // The same attempt and Job: nothing was started again.
    expect((await allJobs(namespace)).map((job) => job.metadata.name)).toEqual([stageOf(running, 'plan')!.jobName]);
    expect(stageOf(await getEpisode(namespace, 'lost-input'), 'plan')).toMatchObject({ phase: 'Running', attempt: 1 });
  }, 90_000);
});

describe('an input.json upload that fails beside its Job create', () => {
  const namespace = uniqueName('op-upload');
  let operator: OperatorProcess | undefined;

  beforeAll(() => prepareNamespace(namespace));
  afterAll(async () => {
    await operator?.stop();
  });

  it('deletes the Job it raced with, and the next operator that can reach S3 makes both', async () => {
    await apply(namespace, await testChannel('unreachable'));
    await apply(namespace, await testEpisode('no-store', 'unreachable', (e) => (e.spec.overrides = { skipStages: LIGHT })));
    // An S3 endpoint where nothing listens: every upload fails, while the API server takes the Job.
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    operator = await startOperatorProcess({ namespace, identity: 'upload', extraArgs: ['--s3-endpoint', nowhere] });
    for (let i = 0; !(await operator.logs(200)).includes('cannot write the input of plan'); i++) {
      expect(i, `no failed upload seen; log:\n${await operator.logs(30)}`).toBeLessThan(300);
      await sleep(100);
    }
    // The Job was made, beside the upload, and deleted again (the operator's own request counts).
    const metrics = await (await fetch(`${operator.metricsUrl}/metrics`)).text();
    const requests = (verb: string) =>
      Number(new RegExp(`^acog_kube_api_requests_total\\{verb="${verb}",resource="jobs"\\} (\\d+)`, 'm').exec(metrics)?.[1] ?? 0);
    expect(requests('create')).toBeGreaterThanOrEqual(1);
    expect(requests('delete')).toBeGreaterThanOrEqual(1);
    // A graceful stop lets the reconcile under way finish, its Job delete included.
    await operator.stop();
    expect(await allJobs(namespace)).toEqual([]);

    operator = await startOperatorProcess({ namespace, identity: 'upload' });
    const running = await waitForEpisode(namespace, 'no-store', (e) => stageOf(e, 'plan')?.phase === 'Running', { operator });
    const plan = stageOf(running, 'plan')!;
    for (let i = 0; (await allJobs(namespace)).length === 0; i++) {
      expect(i, 'the plan Job was not made again').toBeLessThan(100);
      await sleep(100);
    }
    expect((await allJobs(namespace)).map((job) => job.metadata.name)).toEqual([plan.jobName]);
    const key = stageKeyPrefix({ namespace, episode: 'no-store', uid: running.metadata.uid!, stage: 'plan', attempt: plan.attempt! });
    const store = s3Store();
    for (let i = 0; !(await store.exists(store.uri(stageBucket('plan'), `${key}input.json`))); i++) {
      expect(i, 'the input of the plan Job was not written').toBeLessThan(100);
      await sleep(100);
    }
  }, 90_000);
});
