// Admission of stage Jobs (docs/adr/0030): with --stage-slots 2 the operator keeps at most two stage
// Jobs running per namespace, lets the Episode furthest along go first, never holds back another
// namespace's Episode, says why an Episode waits (in its status), lets a suspended or deleted waiter leave
// the line, and counts the running Jobs again after a restart. Against the real control plane: the
// Job controller and scheduler make and place the Pods; the node harness plays the kubelet and, in
// its instant mode, the runner (a result.json and its NATS event after 1.5 s).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { GROUP, VERSION, type Episode, type SkipStages } from '@acog/api';
import { NatsEventPublisher } from '@acog/runners';
import { kubeConfig, localEnv, uniqueName } from '../support/env.ts';
import { s3Store } from '../support/episode.ts';
import { NodeHarness, type JobRun } from '../support/node-harness.ts';
import { prepareNamespace, startOperatorProcess, stageOf, waitForEpisode, type OperatorProcess } from '../support/operator.ts';
import { apply, patchEpisode, testChannel, testEpisode } from '../support/pipeline-objects.ts';

const WRITING_ONLY: SkipStages = ['metadata', 'voice', 'avatar', 'broll', 'assemble', 'upload'];
const SLOTS = 2;
const burst = uniqueName('adm-burst');
const other = uniqueName('adm-other');
const waitingMessage = (namespace: string) =>
  `waiting for a stage slot: ${SLOTS} of ${SLOTS} running in namespace ${namespace}; it starts when one finishes, Episodes furthest along first (the operator's --stage-slots)`;

let events: NatsEventPublisher;
let operator: OperatorProcess;
const harnesses = new Map<string, NodeHarness>();

const startOperator = () => startOperatorProcess({ namespace: burst, extraArgs: ['--namespaces', other, '--stage-slots', String(SLOTS)] });

beforeAll(async () => {
  events = await NatsEventPublisher.connect(localEnv().nats.url, { name: 'admission-test' });
  for (const namespace of [burst, other]) {
    await prepareNamespace(namespace);
    const harness = new NodeHarness({
      kubeConfig: kubeConfig(),
      namespace,
      mode: 'instant',
      slots: 8,
      runMs: 1500,
      store: s3Store(),
      events,
    });
    await harness.start();
    harnesses.set(namespace, harness);
    await apply(namespace, await testChannel('adm'));
  }
  operator = await startOperator();
});

afterAll(async () => {
  for (const harness of harnesses.values()) await harness.stop();
  await operator?.stop();
  await events?.close();
});

const succeeded = (e: Episode) => e.status?.phase === 'Succeeded';
const runsOf = (namespace: string, episode?: string): JobRun[] =>
  harnesses.get(namespace)!.runs.filter((run) => episode === undefined || run.episode === episode);

async function applyEpisodes(namespace: string, names: string[]): Promise<void> {
  for (const name of names)
    await apply(namespace, await testEpisode(name, 'adm', (e) => (e.spec.overrides = { skipStages: WRITING_ONLY })));
}

/** The most stage Pods that ran at the same moment in a namespace. */
function mostAtOnce(runs: JobRun[]): number {
  const edges = runs.flatMap((run) => [
    [run.startedAt, 1],
    [run.finishedAt ?? Infinity, -1],
  ]);
  // At equal times an end goes before a start: a Pod that ended as another began did not overlap it.
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, change] of edges) most = Math.max(most, (now += change));
  return most;
}

async function eventsOf(namespace: string, name: string, reason: string): Promise<{ message: string; count?: number }[]> {
  const list = await kubeConfig()
    .makeApiClient(CoreV1Api)
    .listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name},reason=${reason}` });
  return list.items.map((event) => ({ message: event.message ?? '', count: event.count }));
}

describe('stage slots per namespace', () => {
  it('a burst runs two stage Jobs at a time, furthest along first, and another namespace’s Episode does not wait for it', async () => {
    const names = Array.from({ length: 6 }, (_, i) => `b${i}`);
    await applyEpisodes(burst, names);
    // The last one applied waits for its first stage, and says why.
    const waiting = await waitForEpisode(burst, 'b5', (e) => stageOf(e, 'plan')?.message === waitingMessage(burst), { operator });
    expect(stageOf(waiting, 'plan')?.phase).toBe('Pending');
    expect(waiting.status?.message).toBe(waitingMessage(burst));
    expect(waiting.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'False', reason: 'WaitingForSlot' });

    // Another namespace (another tenant) has slots of its own: its one Episode goes through at once.
    await applyEpisodes(other, ['solo']);
    await waitForEpisode(other, 'solo', succeeded, { operator, timeoutMs: 60_000 });
    const burstNow = await Promise.all(
      names.map(
        async (name) =>
          (await kubeConfig()
            .makeApiClient(CustomObjectsApi)
            .getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: 'episodes', namespace: burst, name })) as Episode,
      ),
    );
    expect(burstNow.filter(succeeded).length).toBeLessThan(names.length);

    for (const name of names) await waitForEpisode(burst, name, succeeded, { operator, timeoutMs: 180_000 });
    const runs = runsOf(burst);
    expect(runs).toHaveLength(names.length * 3);
    expect(mostAtOnce(runs)).toBeLessThanOrEqual(SLOTS);
    // Work already started goes first: an Episode finished before the last one began.
    const firstFinished = Math.min(...names.map((name) => runsOf(burst, name).find((run) => run.stage === 'refine')!.finishedAt!));
    const lastBegun = Math.max(...names.map((name) => runsOf(burst, name).find((run) => run.stage === 'plan')!.startedAt));
    expect(firstFinished).toBeLessThan(lastBegun);

    // The wait is said in the status, not with an Event per waiting Episode (a burst's API writes).
    expect(await eventsOf(burst, 'b5', 'WaitingForSlot')).toEqual([]);
  });

  it('a suspended or deleted waiter leaves the line, and after a restart the running Jobs still count', async () => {
    const names = ['w0', 'w1', 'w2', 'w3', 'w4'];
    const from = runsOf(burst).length;
    await applyEpisodes(burst, names);
    for (const name of ['w3', 'w4'])
      await waitForEpisode(burst, name, (e) => stageOf(e, 'plan')?.message === waitingMessage(burst), { operator });
    await patchEpisode(burst, 'w3', { spec: { suspend: true } });
    await kubeConfig()
      .makeApiClient(CustomObjectsApi)
      .deleteNamespacedCustomObject({ group: GROUP, version: VERSION, plural: 'episodes', namespace: burst, name: 'w4' });
    // The operator dies with two Jobs running; the next one finds them in its cache.
    operator.kill();
    await operator.stop();
    operator = await startOperator();

    for (const name of ['w0', 'w1', 'w2']) await waitForEpisode(burst, name, succeeded, { operator, timeoutMs: 180_000 });
    const suspended = await waitForEpisode(burst, 'w3', (e) => stageOf(e, 'plan')?.message?.startsWith('suspended') ?? false, {
      operator,
    });
    expect(stageOf(suspended, 'plan')?.phase).toBe('Pending');
    expect(runsOf(burst, 'w3')).toEqual([]);
    expect(runsOf(burst, 'w4')).toEqual([]);
    expect(mostAtOnce(runsOf(burst).slice(from))).toBeLessThanOrEqual(SLOTS);

    await patchEpisode(burst, 'w3', { spec: { suspend: false } });
    await waitForEpisode(burst, 'w3', succeeded, { operator, timeoutMs: 60_000 });
    expect(mostAtOnce(runsOf(burst))).toBeLessThanOrEqual(SLOTS);
  });
});
