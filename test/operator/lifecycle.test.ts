// An Episode from Pending to Succeeded through every stage, with the real runner image run by the
// node harness, parallel branches in parallel, Jobs as DESIGN.md specifies, and spec untouched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { STAGES, type Episode } from '@acog/api';
import { kubeConfig, kubectl, uniqueName } from '../support/env.ts';
import { s3Store } from '../support/episode.ts';
import { expectYouTubeReadyVideo } from '../support/media.ts';
import { NodeHarness } from '../support/node-harness.ts';
import { getEpisode, prepareNamespace, startOperatorProcess, stageOf, waitForEpisode, type OperatorProcess } from '../support/operator.ts';
import { apply, testChannel, testEpisode } from '../support/pipeline-objects.ts';

const namespace = uniqueName('op-life');
let operator: OperatorProcess;
let harness: NodeHarness;

beforeAll(async () => {
  await prepareNamespace(namespace);
  operator = await startOperatorProcess({ namespace });
  harness = new NodeHarness({ kubeConfig: kubeConfig(), namespace, mode: 'docker', slots: 3 });
  await harness.start();
});

afterAll(async () => {
  await harness?.stop();
  await operator?.stop();
});

describe('an episode through the whole pipeline', () => {
  let created: Record<string, unknown>;
  let finished: Episode;

  it('goes from Pending to Succeeded through every stage, run in Docker with the runner image', async () => {
    await apply(namespace, await testChannel('life'));
    created = await apply(namespace, await testEpisode('first', 'life'));
    finished = await waitForEpisode(namespace, 'first', (e) => ['Succeeded', 'Failed'].includes(e.status?.phase ?? ''), {
      timeoutMs: 240_000,
      operator,
    });
    expect(finished.status?.message).toBe('all 9 stages succeeded');
    expect(finished.status?.phase).toBe('Succeeded');
    expect(finished.status?.progress).toBe('9/9');
    expect(finished.status?.stages?.map((s) => [s.name, s.phase, s.attempt])).toEqual(STAGES.map((stage) => [stage, 'Succeeded', 1]));
    const conditions = Object.fromEntries((finished.status?.conditions ?? []).map((c) => [c.type, c.status]));
    expect(conditions).toEqual({ Ready: 'True', Progressing: 'False', AwaitingApproval: 'False', Succeeded: 'True', Failed: 'False' });
    for (const condition of finished.status?.conditions ?? []) expect(condition.observedGeneration).toBe(finished.metadata.generation);
    expect(finished.status?.observedGeneration).toBe(finished.metadata.generation);
    expect(harness.runs.map((run) => run.stage).sort()).toEqual([...STAGES].sort());
  }, 300_000);

  it('ran the parallel branches at the same time, each after what it depends on', () => {
    const run = (stage: string) => harness.runs.find((r) => r.stage === stage)!;
    const [voice, broll, metadata] = [run('voice'), run('broll'), run('metadata')];
    // The runner announces its result before its process ends, and the operator acts on the
    // announcement: so "after" is judged by the results' times in status, not by process exits.
    const finishedAt = (stage: string) => Math.floor(Date.parse(stageOf(finished, stage)!.finishedAt!) / 1000) * 1000;
    const startedAt = (stage: string) => Date.parse(stageOf(finished, stage)!.startedAt!);
    for (const branch of ['voice', 'broll', 'metadata']) expect(startedAt(branch)).toBeGreaterThanOrEqual(finishedAt('refine'));
    expect(startedAt('avatar')).toBeGreaterThanOrEqual(finishedAt('voice'));
    for (const input of ['metadata', 'avatar', 'broll']) expect(startedAt('assemble')).toBeGreaterThanOrEqual(finishedAt(input));
    // With three slots, the three branches after refine overlap.
    const latestStart = Math.max(voice.startedAt, broll.startedAt, metadata.startedAt);
    const earliestEnd = Math.min(voice.finishedAt!, broll.finishedAt!, metadata.finishedAt!);
    expect(latestStart).toBeLessThan(earliestEnd);
  });

  it('leaves a video on S3 that YouTube takes, and links it in status', async () => {
    const video = finished.status?.artifacts?.video;
    expect(video).toMatch(new RegExp(`^s3://acog-assets/${namespace}/first/${finished.metadata.uid}/assemble/1/video\\.mp4$`));
    const store = s3Store();
    const { mkdtemp } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(await mkdtemp(join(tmpdir(), 'acog-op-')), 'video.mp4');
    await store.getFile(video!, file);
    await expectYouTubeReadyVideo(file);
    expect(stageOf(finished, 'upload')?.provider).toBe('folder');
    expect(finished.status?.totalCostUSD).toBe(0);
  });

  it('never changed the spec, the labels or the annotations the user wrote', async () => {
    const now = await getEpisode(namespace, 'first');
    const before = created as unknown as Episode;
    expect(now.spec).toEqual(before.spec);
    expect(now.metadata.generation).toBe(before.metadata.generation);
    expect(now.metadata.labels).toEqual(before.metadata.labels);
    expect(now.metadata.annotations).toEqual(before.metadata.annotations);
  });

  it('made each Job as DESIGN.md specifies', async () => {
    const job = (await kubeConfig()
      .makeApiClient(CustomObjectsApi)
      .getNamespacedCustomObject({
        group: 'batch',
        version: 'v1',
        plural: 'jobs',
        namespace,
        name: stageOf(finished, 'voice')!.jobName!,
      })) as {
      metadata: { labels: Record<string, string>; ownerReferences: { uid: string; controller: boolean; kind: string }[] };
      spec: {
        backoffLimit: number;
        activeDeadlineSeconds: number;
        ttlSecondsAfterFinished: number;
        template: { spec: Record<string, unknown> };
      };
    };
    expect(job.metadata.labels).toMatchObject({
      'acog.dev/episode': 'first',
      'acog.dev/stage': 'voice',
      'acog.dev/attempt': '1',
      'acog.dev/channel': 'life',
    });
    expect(job.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Episode', uid: finished.metadata.uid, controller: true }),
    ]);
    expect(job.spec.backoffLimit).toBe(0);
    expect(job.spec.activeDeadlineSeconds).toBe(900);
    expect(job.spec.ttlSecondsAfterFinished).toBe(3600);
    const pod = job.spec.template.spec as {
      automountServiceAccountToken: boolean;
      containers: {
        image: string;
        args: string[];
        securityContext: Record<string, unknown>;
        env: { name: string; value?: string; valueFrom?: unknown }[];
      }[];
    };
    expect(pod.automountServiceAccountToken).toBe(false);
    const [container] = pod.containers;
    expect(container.image).toBe('acog/runner:dev');
    expect(container.args.slice(0, 2)).toEqual(['voice', '--input']);
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    const credentials = container.env.filter((e) => e.name.startsWith('AWS_ACCESS') || e.name.startsWith('AWS_SECRET'));
    expect(credentials.every((e) => e.value === undefined && e.valueFrom)).toBe(true);
  });

  it('recorded Events for the transitions', async () => {
    const events = await kubectl([
      'get',
      'events',
      '-n',
      namespace,
      '--field-selector',
      'involvedObject.name=first',
      '-o',
      'custom-columns=REASON:.reason',
      '--no-headers',
    ]);
    const reasons = new Set(events.trim().split('\n'));
    expect(reasons).toContain('StageStarted');
    expect(reasons).toContain('Succeeded');
  });

  it('answers /metrics with reconcile and stage figures', async () => {
    const text = await (await fetch(`${operator.metricsUrl}/metrics`)).text();
    expect(text).toMatch(/acog_reconcile_total\{controller="episode",result="success"\} [1-9]/);
    expect(text).toMatch(/acog_stage_outcomes_total\{stage="assemble",provider="ffmpeg",outcome="Succeeded"\} 1/);
    expect(text).toMatch(/acog_workqueue_queue_duration_seconds_count\{controller="episode"\} [1-9]/);
    // The runners' stage events started hand-offs, and each step of their critical path was timed.
    for (const step of ['queued', 'to_create', 'create'])
      expect(text).toMatch(new RegExp(`acog_handoff_step_seconds_count\\{step="${step}"\\} [1-9]`));
    expect(text).toContain('acog_leader 1');
    expect((await fetch(`${operator.metricsUrl}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${operator.metricsUrl}/readyz`)).text()).toContain('leader');
  });
});
