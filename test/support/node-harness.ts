// Plays the kubelet of a Node for the operator's tests (docs/adr/0027). The local control plane runs
// the real kube-controller-manager (Job controller, garbage collector, TTL, namespaces) and
// kube-scheduler but no kubelet. The harness registers a Node for its namespace, Ready with the
// capacity of `slots` Pods, and runs each Pod the scheduler binds to it: the container (the real
// runner, in Docker with its image or as a local process) with the Pod's environment, secretKeyRefs
// and mounts, and reports the Pod's status — phase, container state, exit code and termination
// message — as a kubelet does. Job status, retries, deadlines, TTL and cascades are Kubernetes' own.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1Container,
  type V1Pod,
  type V1Volume,
} from '@kubernetes/client-node';
import { LABELS, type StageName, type StageResult } from '@acog/api';
import { readStageInput, type EventPublisher } from '@acog/runners';
import type { ArtifactStore } from '@acog/store';
import { repoRoot } from '@acog/hack/paths';
import { Informer, objectKey, type ListPage } from '@acog/kube';

/**
 * docker: the runner image, as a node would run it; process: the runner as a local process;
 * instant: no runner — the "container" writes a minimal result.json, announces it and exits 0 at
 * once, for the benchmark, which measures the operator and not the stages.
 */
export type HarnessMode = 'docker' | 'process' | 'instant';

export interface JobRun {
  job: string;
  pod: string;
  namespace: string;
  episode: string;
  stage: StageName;
  attempt: number;
  startedAt: number;
  finishedAt?: number;
  exitCode?: number;
  output: string;
  /** When the harness first saw the Job (the operator's hand-off ends there; the Job controller and scheduler follow). */
  jobSeenAt?: number;
  /** When the harness wrote the Pod's terminal status (as the kubelet's status manager would). */
  reportedAt?: number;
  /** When the harness saw the Job Complete or Failed (set by the real Job controller). */
  jobFinishedAt?: number;
}

interface JobObject {
  metadata: { name: string; namespace: string; uid: string; labels?: Record<string, string>; deletionTimestamp?: string };
  status?: { conditions?: { type: string; status: string }[] };
}

export interface NodeHarnessOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  mode: HarnessMode;
  /** The Node's capacity in Pods (status.allocatable.pods); the scheduler keeps the rest Pending. */
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

/** The label and taint of a harness Node; its value is the namespace whose Pods it runs. */
export const HARNESS_NODE_KEY = 'acog.dev/harness';
// Read by the PodNodeSelector and PodTolerationRestriction admission plugins (hack/local-env).
const NODE_SELECTOR_ANNOTATION = 'scheduler.alpha.kubernetes.io/node-selector';
const DEFAULT_TOLERATIONS_ANNOTATION = 'scheduler.alpha.kubernetes.io/defaultTolerations';
/** What the kubelet keeps of a termination message, and of the log when it falls back to it. */
const MAX_TERMINATION_MESSAGE = 4096;
const FALLBACK_LOG_BYTES = 2048;
const FALLBACK_LOG_LINES = 80;

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const strategicPatch = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

const jobFinished = (job: JobObject) =>
  job.status?.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') ?? false;

/** A container's environment as the kubelet resolves it; a missing Secret or key is the kubelet's CreateContainerConfigError. */
class ContainerConfigError extends Error {}

/** The last 80 lines or 2048 bytes of a log, whichever is less: what FallbackToLogsOnError keeps. */
export function logTail(output: string): string {
  const lines = output.replace(/\n+$/, '').split('\n').slice(-FALLBACK_LOG_LINES).join('\n');
  const bytes = Buffer.from(lines);
  return bytes.length > FALLBACK_LOG_BYTES ? bytes.subarray(bytes.length - FALLBACK_LOG_BYTES).toString('utf8') : lines;
}

interface Running {
  child?: ChildProcess;
  /** Docker: the container's name, to stop it as the kubelet would (the CLI's own signal is not enough). */
  container?: string;
  killed: boolean;
}

export class NodeHarness {
  readonly runs: JobRun[] = [];
  readonly nodeName: string;
  private readonly options: NodeHarnessOptions;
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly pods: Informer<V1Pod>;
  private readonly jobs: Informer<JobObject>;
  private readonly runsByJob = new Map<string, JobRun>();
  private readonly handled = new Set<string>();
  private readonly running = new Map<string, Running>();
  private readonly seenJobs = new Map<string, number>();
  private stopped = false;

  constructor(options: NodeHarnessOptions) {
    this.options = options;
    this.nodeName = `acog-harness-${options.namespace}`;
    this.custom = options.kubeConfig.makeApiClient(CustomObjectsApi);
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
    const namespace = options.namespace;
    this.pods = new Informer<V1Pod>(options.kubeConfig, {
      name: 'harness-pods',
      path: `/api/v1/namespaces/${namespace}/pods`,
      list: async (continueToken): Promise<ListPage<V1Pod>> => {
        const page = await this.core.listNamespacedPod({ namespace, _continue: continueToken });
        return { items: page.items, resourceVersion: page.metadata!.resourceVersion!, continue: page.metadata?._continue };
      },
    });
    this.pods.on((event, pod) => this.podChanged(event, pod));
    // Only observed, never acted on: the benchmark's clock and the Job controller's answer.
    this.jobs = new Informer<JobObject>(options.kubeConfig, {
      name: 'harness-jobs',
      path: `/apis/batch/v1/namespaces/${namespace}/jobs`,
      labelSelector: LABELS.stage,
      list: async (continueToken): Promise<ListPage<JobObject>> => {
        const page = (await this.custom.listNamespacedCustomObject({
          group: 'batch',
          version: 'v1',
          plural: 'jobs',
          namespace,
          labelSelector: LABELS.stage,
          _continue: continueToken,
        })) as { items: JobObject[]; metadata: { resourceVersion: string; continue?: string } };
        return { items: page.items, resourceVersion: page.metadata.resourceVersion, continue: page.metadata.continue };
      },
    });
    this.jobs.on((event, job) => {
      if (event === 'delete') return;
      const key = objectKey(job);
      if (!this.seenJobs.has(key) && !jobFinished(job)) {
        this.seenJobs.set(key, Date.now());
        const labels = job.metadata.labels ?? {};
        this.options.onJobSeen?.({
          episode: labels[LABELS.episode],
          stage: labels[LABELS.stage] as StageName,
          attempt: Number(labels[LABELS.attempt]),
          at: Date.now(),
        });
      }
      const run = this.runsByJob.get(job.metadata.name);
      if (run && run.jobFinishedAt === undefined && jobFinished(job)) run.jobFinishedAt = Date.now();
    });
  }

  /** Registers the Node and points the namespace's Pods at it, then starts watching them. */
  async start(): Promise<void> {
    const { namespace } = this.options;
    const node = this.nodeName;
    await this.core.patchNamespace(
      {
        name: namespace,
        body: {
          metadata: {
            annotations: {
              [NODE_SELECTOR_ANNOTATION]: `${HARNESS_NODE_KEY}=${namespace}`,
              [DEFAULT_TOLERATIONS_ANNOTATION]: JSON.stringify([
                { key: HARNESS_NODE_KEY, operator: 'Equal', value: namespace, effect: 'NoSchedule' },
              ]),
            },
          },
        },
      },
      mergePatch,
    );
    await this.core.deleteNode({ name: node, gracePeriodSeconds: 0 }).catch(() => undefined);
    await this.core.createNode({
      body: {
        metadata: { name: node, labels: { 'kubernetes.io/hostname': node, 'kubernetes.io/os': 'linux', [HARNESS_NODE_KEY]: namespace } },
        spec: { taints: [{ key: HARNESS_NODE_KEY, value: namespace, effect: 'NoSchedule' }] },
      },
    });
    // Pods are the only capacity that binds: CPU and memory are the machine's, shared by every test.
    const capacity = { cpu: '1000', memory: '4Ti', 'ephemeral-storage': '1Ti', pods: String(this.options.slots ?? 2) };
    const now = new Date().toISOString();
    await this.core.patchNodeStatus(
      {
        name: node,
        body: {
          status: {
            capacity,
            allocatable: capacity,
            addresses: [
              { type: 'InternalIP', address: '127.0.0.1' },
              { type: 'Hostname', address: hostname() },
            ],
            conditions: [
              {
                type: 'Ready',
                status: 'True',
                reason: 'KubeletReady',
                message: 'the ACOG node harness is running Pods',
                lastHeartbeatTime: now,
                lastTransitionTime: now,
              },
            ],
            nodeInfo: {
              architecture: process.arch === 'x64' ? 'amd64' : process.arch,
              operatingSystem: 'linux',
              osImage: 'acog node harness',
              kernelVersion: '',
              kubeletVersion: 'acog-node-harness',
              kubeProxyVersion: '',
              containerRuntimeVersion: this.options.mode === 'docker' ? 'docker' : 'process',
              machineID: '',
              systemUUID: '',
              bootID: '',
            },
          },
        },
      },
      mergePatch,
    );
    this.jobs.start();
    this.pods.start();
    await Promise.all([this.pods.waitForSync(), this.jobs.waitForSync()]);
  }

  /** Kills what runs and removes the Node; the pod garbage collector deletes the Pods left on it. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.pods.stop();
    this.jobs.stop();
    for (const running of this.running.values()) {
      running.killed = true;
      if (running.container) spawn('docker', ['rm', '--force', running.container], { stdio: 'ignore' });
      running.child?.kill('SIGKILL');
    }
    await this.core.deleteNode({ name: this.nodeName, gracePeriodSeconds: 0 }).catch(() => undefined);
  }

  private podChanged(event: 'add' | 'update' | 'delete', pod: V1Pod): void {
    if (this.stopped || pod.spec?.nodeName !== this.nodeName) return;
    const uid = pod.metadata!.uid!;
    const running = this.running.get(uid);
    if (event === 'delete') {
      if (running) this.kill(running, 0);
      return;
    }
    if (pod.metadata?.deletionTimestamp) {
      // Graceful deletion (the Job controller at activeDeadlineSeconds, the garbage collector):
      // stop the container within the grace period; the exit is reported, then the Pod removed.
      if (running) this.kill(running, pod.metadata.deletionGracePeriodSeconds ?? 30);
      else if (!this.handled.has(uid) || ['Succeeded', 'Failed'].includes(pod.status?.phase ?? '')) void this.remove(pod);
      return;
    }
    if (this.handled.has(uid) || ['Succeeded', 'Failed'].includes(pod.status?.phase ?? '')) return;
    this.handled.add(uid);
    void this.runPod(pod).catch((error: Error) => console.error(`[node-harness] ${objectKey(pod)}: ${error.message}`));
  }

  private kill(running: Running, graceSeconds: number): void {
    if (running.killed) return;
    running.killed = true;
    this.terminate(running, graceSeconds);
  }

  /** SIGTERM, then SIGKILL after the grace period, as the kubelet stops a container. */
  private terminate(running: Running, graceSeconds: number): void {
    if (running.container) spawn('docker', ['stop', `--time=${graceSeconds}`, running.container], { stdio: 'ignore' });
    else if (running.child) {
      running.child.kill(graceSeconds ? 'SIGTERM' : 'SIGKILL');
      if (graceSeconds) setTimeout(() => running.child?.kill('SIGKILL'), graceSeconds * 1000).unref();
    }
  }

  /** What the kubelet does once a deleted Pod's containers are gone: the deletion is made final. */
  private async remove(pod: V1Pod): Promise<void> {
    await this.core
      .deleteNamespacedPod({ namespace: pod.metadata!.namespace!, name: pod.metadata!.name!, gracePeriodSeconds: 0 })
      .catch(() => undefined);
  }

  private async resolveEnv(pod: V1Pod, container: V1Container): Promise<Record<string, string>> {
    const namespace = pod.metadata!.namespace!;
    const env: Record<string, string> = {};
    const secrets = new Map<string, Record<string, string> | undefined>();
    for (const variable of container.env ?? []) {
      if (variable.value !== undefined) env[variable.name] = variable.value;
      else if (variable.valueFrom?.secretKeyRef) {
        const { name, key, optional } = variable.valueFrom.secretKeyRef;
        if (!secrets.has(name!)) {
          const secret = await this.core.readNamespacedSecret({ namespace, name: name! }).catch(() => undefined);
          secrets.set(
            name!,
            secret && Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])),
          );
        }
        const data = secrets.get(name!);
        if (!data) {
          if (optional) continue;
          throw new ContainerConfigError(`secret "${name}" not found`);
        }
        if (data[key] === undefined) {
          if (optional) continue;
          throw new ContainerConfigError(`couldn't find key ${key} in Secret ${namespace}/${name}`);
        }
        env[variable.name] = data[key];
      } else if (variable.valueFrom) {
        throw new ContainerConfigError(`env ${variable.name}: only value and secretKeyRef are supported by the node harness`);
      }
    }
    return env;
  }

  private async patchStatus(pod: V1Pod, status: object): Promise<void> {
    await this.core.patchNamespacedPodStatus(
      { namespace: pod.metadata!.namespace!, name: pod.metadata!.name!, body: { status } },
      strategicPatch,
    );
  }

  private async runPod(pod: V1Pod): Promise<void> {
    const container = pod.spec!.containers[0];
    const labels = pod.metadata?.labels ?? {};
    const run: JobRun = {
      job: labels['batch.kubernetes.io/job-name'] ?? labels['job-name'] ?? '',
      pod: pod.metadata!.name!,
      namespace: pod.metadata!.namespace!,
      episode: labels[LABELS.episode],
      stage: labels[LABELS.stage] as StageName,
      attempt: Number(labels[LABELS.attempt]),
      startedAt: Date.now(),
      output: '',
    };
    run.jobSeenAt = this.seenJobs.get(`${run.namespace}/${run.job}`);

    // As the kubelet: a container whose Secret is missing waits (CreateContainerConfigError) and is retried.
    let env: Record<string, string>;
    for (;;) {
      try {
        env = { ...(await this.resolveEnv(pod, container)), ...this.options.env?.(run) };
        break;
      } catch (error) {
        if (!(error instanceof ContainerConfigError)) throw error;
        await this.patchStatus(pod, {
          phase: 'Pending',
          hostIP: '127.0.0.1',
          containerStatuses: [
            {
              name: container.name,
              image: container.image,
              imageID: '',
              ready: false,
              restartCount: 0,
              state: { waiting: { reason: 'CreateContainerConfigError', message: error.message } },
            },
          ],
        }).catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 2000));
        const current = this.pods.get(objectKey(pod));
        if (this.stopped || !current || current.metadata?.deletionTimestamp) {
          if (current) await this.remove(current);
          return;
        }
      }
    }

    const uid = pod.metadata!.uid!;
    const running: Running = { killed: false };
    this.running.set(uid, running);
    this.runs.push(run);
    this.runsByJob.set(run.job, run);
    const startedAt = new Date();
    const containerID = `${this.options.mode}://${uid}`;
    await this.patchStatus(pod, {
      phase: 'Running',
      hostIP: '127.0.0.1',
      hostIPs: [{ ip: '127.0.0.1' }],
      podIP: '127.0.0.1',
      podIPs: [{ ip: '127.0.0.1' }],
      startTime: startedAt.toISOString(),
      conditions: [
        { type: 'PodReadyToStartContainers', status: 'True', lastTransitionTime: startedAt.toISOString() },
        { type: 'Initialized', status: 'True', lastTransitionTime: startedAt.toISOString() },
        { type: 'ContainersReady', status: 'True', lastTransitionTime: startedAt.toISOString() },
        { type: 'Ready', status: 'True', lastTransitionTime: startedAt.toISOString() },
      ],
      containerStatuses: [
        {
          name: container.name,
          image: container.image,
          imageID: '',
          containerID,
          ready: true,
          started: true,
          restartCount: 0,
          state: { waiting: null, running: { startedAt: startedAt.toISOString() } },
        },
      ],
    });

    const scratch = await mkdtemp(join(tmpdir(), 'acog-node-'));
    let exitCode: number;
    let message = '';
    try {
      if (this.options.mode === 'instant') {
        exitCode = await this.completeAtOnce(container, run);
      } else {
        const terminationLog = join(scratch, 'termination-log');
        await writeFile(terminationLog, '');
        // Writable by the container's user, whoever it is (the umask would take the bits away on create).
        await chmod(terminationLog, 0o666);
        const child =
          this.options.mode === 'docker'
            ? await this.dockerRun(pod, container, env, scratch, terminationLog, running)
            : spawn(process.execPath, [join(repoRoot, 'runners', 'src', 'cli.ts'), ...(container.args ?? [])], {
                env: { PATH: process.env.PATH, HOME: scratch, ACOG_SCRATCH: scratch, ACOG_TERMINATION_LOG: terminationLog, ...env },
                stdio: ['ignore', 'pipe', 'pipe'],
              });
        running.child = child;
        // A deletion that came while the container was being created.
        if (running.killed) this.terminate(running, 0);
        child.stdout?.on('data', (chunk) => (run.output += chunk));
        child.stderr?.on('data', (chunk) => (run.output += chunk));
        exitCode = await new Promise<number>((resolve) =>
          child.on('close', (code, signal) => resolve(code ?? (signal === 'SIGTERM' ? 143 : 137))),
        );
        message = (await readFile(terminationLog, 'utf8').catch(() => '')).slice(0, MAX_TERMINATION_MESSAGE);
        if (!message && exitCode !== 0 && container.terminationMessagePolicy === 'FallbackToLogsOnError') message = logTail(run.output);
      }
    } finally {
      this.running.delete(uid);
      await rm(scratch, { recursive: true, force: true });
    }
    run.exitCode = exitCode;
    run.finishedAt = Date.now();
    if (this.stopped) return;
    const current = this.pods.get(objectKey(pod));
    if (!current) return;
    const finishedAt = new Date().toISOString();
    await this.patchStatus(pod, {
      phase: exitCode === 0 ? 'Succeeded' : 'Failed',
      conditions: [
        { type: 'PodReadyToStartContainers', status: 'False', lastTransitionTime: finishedAt },
        { type: 'ContainersReady', status: 'False', reason: 'PodCompleted', lastTransitionTime: finishedAt },
        { type: 'Ready', status: 'False', reason: 'PodCompleted', lastTransitionTime: finishedAt },
      ],
      containerStatuses: [
        {
          name: container.name,
          image: container.image,
          imageID: '',
          containerID,
          ready: false,
          started: false,
          restartCount: 0,
          state: {
            running: null,
            terminated: {
              exitCode,
              reason: exitCode === 0 ? 'Completed' : 'Error',
              ...(message && { message }),
              startedAt: startedAt.toISOString(),
              finishedAt,
              containerID,
            },
          },
        },
      ],
    });
    run.reportedAt = Date.now();
    if (current.metadata?.deletionTimestamp || running.killed) await this.remove(current);
  }

  /** `docker run` with what the Pod asks for: its security context, its emptyDir mounts, its termination log. */
  private async dockerRun(
    pod: V1Pod,
    container: V1Container,
    env: Record<string, string>,
    scratch: string,
    terminationLog: string,
    running: Running,
  ): Promise<ChildProcess> {
    const podSecurity = pod.spec?.securityContext ?? {};
    const security = container.securityContext ?? {};
    const user = security.runAsUser ?? podSecurity.runAsUser;
    const group = security.runAsGroup ?? podSecurity.runAsGroup ?? (user !== undefined ? 0 : undefined);
    const owner = { uid: user ?? 0, gid: podSecurity.fsGroup ?? group ?? 0 };
    const volumes = new Map<string, V1Volume>((pod.spec?.volumes ?? []).map((volume) => [volume.name, volume]));
    const mounts: string[] = [];
    for (const mount of container.volumeMounts ?? []) {
      const volume = volumes.get(mount.name);
      if (!volume?.emptyDir) throw new Error(`volume ${mount.name}: only emptyDir volumes are supported by the node harness`);
      if (volume.emptyDir.medium === 'Memory') {
        const size = volume.emptyDir.sizeLimit ? `,size=${volume.emptyDir.sizeLimit.replace(/i$/, '').toLowerCase()}` : '';
        mounts.push(`--tmpfs=${mount.mountPath}:uid=${owner.uid},gid=${owner.gid}${size}`);
      } else {
        const dir = join(scratch, 'volumes', mount.name);
        await mkdir(dir, { recursive: true });
        await chown(dir, owner.uid, owner.gid);
        mounts.push(`--volume=${dir}:${mount.mountPath}${mount.readOnly ? ':ro' : ''}`);
      }
    }
    running.container = `acog-${pod.metadata!.uid}`;
    const capabilities = security.capabilities?.drop?.map((cap) => `--cap-drop=${cap}`) ?? [];
    return spawn(
      'docker',
      [
        'run',
        '--rm',
        '--network=host',
        `--name=${running.container}`,
        ...(security.readOnlyRootFilesystem ? ['--read-only'] : []),
        ...(user !== undefined ? [`--user=${user}:${group}`] : []),
        ...capabilities,
        ...(security.allowPrivilegeEscalation === false ? ['--security-opt=no-new-privileges'] : []),
        ...mounts,
        `--volume=${terminationLog}:${container.terminationMessagePath ?? '/dev/termination-log'}`,
        ...Object.keys(env).flatMap((name) => ['-e', name]),
        container.image!,
        ...(container.args ?? []),
      ],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
  }

  /** instant mode: the stage's result at once, announced as the runner would; the container's exit code. */
  private async completeAtOnce(container: V1Container, run: JobRun): Promise<number> {
    const { store, events } = this.options;
    // A Pod that is no stage's (the benchmark's own Jobs, its capacity baseline) just exits 0.
    if (!run.stage) return 0;
    if (!store) throw new Error('the instant mode needs a store');
    const inputUri = container.args?.[2];
    if (!inputUri) throw new Error(`pod ${run.pod} has no --input`);
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
    return 0;
  }
}
