// Plays the nodes of a cluster for the operator's tests: the local control plane has no
// controller-manager and no kubelet. It watches the Jobs the operator creates, runs each Job's
// container (the real runner: in Docker with the runner image, or as a local process) with that
// Job's environment, secretKeyRefs resolved as the kubelet would, and then sets the Job's status as
// the Job controller would. A failed runner also gets a Pod carrying its termination message.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { LABELS, type StageName, type StageResult } from '@acog/api';
import { readStageInput, type EventPublisher } from '@acog/runners';
import type { ArtifactStore } from '@acog/store';
import { repoRoot } from '@acog/hack/paths';
import { Informer, objectKey, type ListPage } from '@acog/kube';

/**
 * docker: the runner image, as a node would run it; process: the runner as a local process;
 * instant: no runner — the harness writes a minimal result.json and announces it at once, for the
 * benchmark, which measures the operator and not the stages.
 */
export type HarnessMode = 'docker' | 'process' | 'instant';

export interface JobRun {
  job: string;
  namespace: string;
  episode: string;
  stage: StageName;
  attempt: number;
  startedAt: number;
  finishedAt?: number;
  exitCode?: number;
  output: string;
}

interface JobObject {
  metadata: { name: string; namespace: string; uid: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec: {
    template: {
      metadata?: { labels?: Record<string, string> };
      spec: {
        containers: {
          name: string;
          image: string;
          args?: string[];
          env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
        }[];
      };
    };
  };
  status?: { conditions?: { type: string; status: string }[]; startTime?: string };
}

export interface NodeHarnessOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  mode: HarnessMode;
  /** Jobs running at once, as a node's capacity; the rest wait (Pending). */
  slots?: number;
  /** Extra environment for every container, e.g. to make a stage fail in a test. */
  env?: (job: { stage: StageName; attempt: number; episode: string }) => Record<string, string>;
  /** instant mode: where results go, and where they are announced. */
  store?: ArtifactStore;
  events?: EventPublisher;
  /** instant mode: how long each Job runs before its result is written (default 0: at once). */
  runMs?: number;
  /** Called when a Job is first seen, with the time (for the benchmark's hand-off latency). */
  onJobSeen?: (job: { episode: string; stage: StageName; attempt: number; at: number }) => void;
  onPublished?: (event: { episode: string; stage: StageName; attempt: number; at: number }) => void;
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export class NodeHarness {
  readonly runs: JobRun[] = [];
  private readonly options: NodeHarnessOptions;
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly informer: Informer<JobObject>;
  private readonly seen = new Set<string>();
  private readonly children = new Map<string, ChildProcess>();
  private readonly waiting: JobObject[] = [];
  private running = 0;
  private stopped = false;

  constructor(options: NodeHarnessOptions) {
    this.options = options;
    this.custom = options.kubeConfig.makeApiClient(CustomObjectsApi);
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.informer = new Informer<JobObject>(options.kubeConfig, {
      name: 'harness-jobs',
      path: `/apis/batch/v1/namespaces/${options.namespace}/jobs`,
      labelSelector: LABELS.stage,
      list: async (continueToken): Promise<ListPage<JobObject>> => {
        const page = (await this.custom.listNamespacedCustomObject({
          group: 'batch',
          version: 'v1',
          plural: 'jobs',
          namespace: options.namespace,
          labelSelector: LABELS.stage,
          _continue: continueToken,
        })) as { items: JobObject[]; metadata: { resourceVersion: string; continue?: string } };
        return { items: page.items, resourceVersion: page.metadata.resourceVersion, continue: page.metadata.continue };
      },
      transform: (job) => job,
    });
    this.informer.on((event, job) => {
      const key = objectKey(job);
      if (event === 'delete' || job.metadata.deletionTimestamp) {
        // A deleted Job's pod is killed, as the garbage collector and the kubelet would.
        this.children.get(key)?.kill('SIGTERM');
        return;
      }
      const finished = job.status?.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
      if (finished || this.seen.has(key)) return;
      this.seen.add(key);
      const labels = job.metadata.labels ?? {};
      this.options.onJobSeen?.({
        episode: labels[LABELS.episode],
        stage: labels[LABELS.stage] as StageName,
        attempt: Number(labels[LABELS.attempt]),
        at: Date.now(),
      });
      this.waiting.push(job);
      this.pump();
    });
  }

  async start(): Promise<void> {
    this.informer.start();
    await this.informer.waitForSync();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.informer.stop();
    for (const child of this.children.values()) child.kill('SIGKILL');
  }

  /** Jobs the operator created, by name. */
  jobNames(): string[] {
    return this.informer.list().map((job) => job.metadata.name);
  }

  private pump(): void {
    const slots = this.options.slots ?? 2;
    while (!this.stopped && this.running < slots && this.waiting.length) {
      const job = this.waiting.shift()!;
      this.running++;
      void this.execute(job)
        .catch((error: Error) => console.error(`[node-harness] ${job.metadata.name}: ${error.message}`))
        .finally(() => {
          this.running--;
          this.pump();
        });
    }
  }

  private async resolveEnv(job: JobObject): Promise<Record<string, string>> {
    const env: Record<string, string> = {};
    const secrets = new Map<string, Record<string, string>>();
    for (const variable of job.spec.template.spec.containers[0].env ?? []) {
      if (variable.value !== undefined) env[variable.name] = variable.value;
      else if (variable.valueFrom?.secretKeyRef) {
        const { name, key } = variable.valueFrom.secretKeyRef;
        if (!secrets.has(name)) {
          const secret = await this.core.readNamespacedSecret({ namespace: job.metadata.namespace, name });
          secrets.set(
            name,
            Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])),
          );
        }
        const value = secrets.get(name)![key];
        if (value === undefined) throw new Error(`secret ${name} has no key ${key} (the kubelet would refuse to start the pod)`);
        env[variable.name] = value;
      }
    }
    return env;
  }

  private async setJobStatus(job: JobObject, status: Record<string, unknown>): Promise<void> {
    await this.custom.patchNamespacedCustomObjectStatus(
      { group: 'batch', version: 'v1', plural: 'jobs', namespace: job.metadata.namespace, name: job.metadata.name, body: { status } },
      mergePatch,
    );
  }

  private async execute(job: JobObject): Promise<void> {
    const labels = job.metadata.labels ?? {};
    const run: JobRun = {
      job: job.metadata.name,
      namespace: job.metadata.namespace,
      episode: labels[LABELS.episode],
      stage: labels[LABELS.stage] as StageName,
      attempt: Number(labels[LABELS.attempt]),
      startedAt: Date.now(),
      output: '',
    };
    this.runs.push(run);
    if (this.options.mode === 'instant') return this.completeAtOnce(job, run);
    const startTime = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    await this.setJobStatus(job, { startTime, active: 1 }).catch(() => undefined);
    const container = job.spec.template.spec.containers[0];
    const env = {
      ...(await this.resolveEnv(job)),
      ...this.options.env?.({ stage: run.stage, attempt: run.attempt, episode: run.episode }),
    };
    const scratch = await mkdtemp(join(tmpdir(), 'acog-node-'));
    const terminationLog = join(scratch, 'termination-log');
    const args = container.args ?? [];
    const child =
      this.options.mode === 'docker'
        ? spawn(
            'docker',
            [
              'run',
              '--rm',
              '--network=host',
              '--read-only',
              '--user=65532:65532',
              '--cap-drop=ALL',
              '--security-opt=no-new-privileges',
              '--tmpfs=/scratch:uid=65532,gid=65532',
              '--tmpfs=/tmp:uid=65532,gid=65532',
              `--name=acog-${job.metadata.uid}`,
              ...Object.keys(env).flatMap((name) => ['-e', name]),
              container.image,
              ...args,
            ],
            { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
          )
        : spawn(process.execPath, [join(repoRoot, 'runners', 'src', 'cli.ts'), ...args], {
            env: { PATH: process.env.PATH, HOME: scratch, ACOG_SCRATCH: scratch, ACOG_TERMINATION_LOG: terminationLog, ...env },
            stdio: ['ignore', 'pipe', 'pipe'],
          });
    const key = objectKey(job);
    this.children.set(key, child);
    child.stdout?.on('data', (chunk) => (run.output += chunk));
    child.stderr?.on('data', (chunk) => (run.output += chunk));
    const exitCode = await new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 137)));
    this.children.delete(key);
    run.exitCode = exitCode;
    run.finishedAt = Date.now();
    const message =
      (await readFile(terminationLog, 'utf8').catch(() => '')) ||
      run.output
        .trim()
        .split('\n')
        .filter((line) => line.startsWith('acog-runner:'))
        .pop()
        ?.replace(/^acog-runner: /, '') ||
      `exit code ${exitCode}`;
    await rm(scratch, { recursive: true, force: true });
    if (this.stopped || !this.informer.get(key)) return;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    if (exitCode === 0) {
      await this.setJobStatus(job, {
        active: 0,
        succeeded: 1,
        completionTime: now,
        conditions: [
          {
            type: 'SuccessCriteriaMet',
            status: 'True',
            reason: 'CompletionsReached',
            message: 'Reached expected number of succeeded pods',
            lastProbeTime: now,
            lastTransitionTime: now,
          },
          {
            type: 'Complete',
            status: 'True',
            reason: 'CompletionsReached',
            message: 'Reached expected number of succeeded pods',
            lastProbeTime: now,
            lastTransitionTime: now,
          },
        ],
      });
    } else {
      await this.createFailedPod(job, message, exitCode);
      await this.setJobStatus(job, {
        active: 0,
        failed: 1,
        conditions: [
          {
            type: 'FailureTarget',
            status: 'True',
            reason: 'BackoffLimitExceeded',
            message: 'Job has reached the specified backoff limit',
            lastProbeTime: now,
            lastTransitionTime: now,
          },
          {
            type: 'Failed',
            status: 'True',
            reason: 'BackoffLimitExceeded',
            message: 'Job has reached the specified backoff limit',
            lastProbeTime: now,
            lastTransitionTime: now,
          },
        ],
      });
    }
  }

  private async completeAtOnce(job: JobObject, run: JobRun): Promise<void> {
    const { store, events } = this.options;
    if (!store) throw new Error('the instant mode needs a store');
    const inputUri = job.spec.template.spec.containers[0].args?.[2];
    if (!inputUri) throw new Error(`job ${job.metadata.name} has no --input`);
    if (this.options.runMs) await new Promise((resolve) => setTimeout(resolve, this.options.runMs));
    // As the runner does: the operator uploads the input beside the Job create, so it may lag the Job.
    const input = await readStageInput(store, inputUri);
    const now = new Date().toISOString();
    const result: StageResult = {
      stage: input.stage,
      attempt: input.attempt,
      inputHash: input.inputHash,
      provider: 'instant',
      artifacts: {},
      usage: {},
      costUSD: 0,
      startedAt: now,
      finishedAt: now,
    };
    const resultUri = inputUri.replace(/input\.json$/, 'result.json');
    await store.putBytes(resultUri, JSON.stringify(result), 'application/json');
    await events?.publish({
      namespace: input.episode.namespace,
      episode: input.episode.name,
      uid: input.episode.uid,
      stage: input.stage,
      attempt: input.attempt,
      inputHash: input.inputHash,
      outcome: 'Succeeded',
      result: resultUri,
      at: now,
    });
    this.options.onPublished?.({ episode: run.episode, stage: run.stage, attempt: run.attempt, at: Date.now() });
    run.exitCode = 0;
    run.finishedAt = Date.now();
    const time = now.replace(/\.\d{3}Z$/, 'Z');
    await this.setJobStatus(job, {
      startTime: time,
      succeeded: 1,
      completionTime: time,
      conditions: [
        {
          type: 'SuccessCriteriaMet',
          status: 'True',
          reason: 'CompletionsReached',
          message: 'Reached expected number of succeeded pods',
          lastProbeTime: time,
          lastTransitionTime: time,
        },
        {
          type: 'Complete',
          status: 'True',
          reason: 'CompletionsReached',
          message: 'Reached expected number of succeeded pods',
          lastProbeTime: time,
          lastTransitionTime: time,
        },
      ],
    });
  }

  /** The pod the Job controller would have made, with the termination message the kubelet would record. */
  private async createFailedPod(job: JobObject, message: string, exitCode: number): Promise<void> {
    const name = `${job.metadata.name}-${Math.random().toString(36).slice(2, 7)}`;
    const namespace = job.metadata.namespace;
    const template = job.spec.template;
    await this.core.createNamespacedPod({
      namespace,
      body: {
        metadata: {
          name,
          labels: { ...template.metadata?.labels, 'batch.kubernetes.io/job-name': job.metadata.name, 'job-name': job.metadata.name },
          ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, uid: job.metadata.uid, controller: true }],
        },
        spec: { ...(template.spec as object), nodeName: 'harness-node' } as never,
      },
    });
    const now = new Date();
    await this.core.patchNamespacedPodStatus(
      {
        namespace,
        name,
        body: {
          status: {
            phase: 'Failed',
            containerStatuses: [
              {
                name: template.spec.containers[0].name,
                image: template.spec.containers[0].image,
                imageID: '',
                ready: false,
                restartCount: 0,
                state: { terminated: { exitCode, reason: 'Error', message, startedAt: now, finishedAt: now } },
              },
            ],
          },
        },
      },
      mergePatch,
    );
  }
}
