// The harness of the kubectl acog tests: the CLI in-process (`main`) against the local control
// plane, with captured streams that can pass for a terminal, and Channels, Episodes, their status
// and Events as the operator would leave them.
import { PassThrough, Writable } from 'node:stream';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { GROUP, VERSION, type Channel, type Episode, type EpisodeStatus } from '@acog/api';
import type { KubeContext } from '@acog/hack/local-env';
import { kubeConfig, localEnv, serviceEnv, uniqueName } from '../../test/support/env.ts';
import { createNamespace, createObject, example, type ResourcePlural } from '../../test/support/kube.ts';
import { main } from './cli.ts';
import type { CommandIO } from './commands/types.ts';

// ---- Running the CLI ----

/** A stream that keeps what is written to it; it passes for a terminal while `isTTY` is true. */
export class Capture extends Writable {
  text = '';
  isTTY: boolean;

  constructor(tty = false) {
    super();
    this.isTTY = tty;
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

export interface RunOptions {
  /** The local user to run as (the kubeconfig context of that name: ROLE with a token, ROLE-cert with a client certificate); admin by default. */
  user?: KubeContext;
  /** The command's environment; by default the local S3 and NATS (serviceEnv()). */
  env?: Record<string, string | undefined>;
  /** Lines typed on a terminal: stdin is a TTY that gives them, and stderr, where questions go, is a TTY too. */
  typed?: string;
  /** stdout is a terminal (for live displays). */
  stdoutTTY?: boolean;
  /** The command's clock. */
  now?: () => Date;
}

export interface Running {
  stdout: Capture;
  stderr: Capture;
  /** Resolves with the exit code. */
  done: Promise<number>;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Starts `kubectl acog ARGS` as a user of the local control plane; `done` resolves with the exit code. */
export function start(args: string[], options: RunOptions = {}): Running {
  const stdout = new Capture(options.stdoutTTY);
  const stderr = new Capture(options.typed !== undefined);
  const io: Omit<CommandIO, 'connection'> = {
    stdout,
    stderr: stderr as unknown as NodeJS.WriteStream,
    env: options.env ?? serviceEnv(),
    ...(options.now ? { now: options.now } : {}),
  };
  if (options.typed !== undefined) io.stdin = typedStdin(options.typed);
  const done = main(['--kubeconfig', localEnv().kubernetes.kubeconfig, '--context', options.user ?? 'admin', ...args], io);
  return { stdout, stderr, done };
}

/** Runs `kubectl acog ARGS` as a user of the local control plane; resolves with the exit code and what was printed. */
export async function acog(args: string[], options: RunOptions = {}): Promise<RunResult> {
  const running = start(args, options);
  const code = await running.done;
  return { code, stdout: running.stdout.text, stderr: running.stderr.text };
}

function typedStdin(typed: string): PassThrough & { isTTY: boolean } {
  const stdin = Object.assign(new PassThrough(), { isTTY: true });
  stdin.end(typed);
  return stdin;
}

/** Waits until a condition holds (output appeared, say), polling. */
export async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// ---- Objects in the cluster ----

/** A KubeConfig of the local admin, who sets the fixtures up. */
export const admin = (): KubeConfig => kubeConfig('admin');

/** A namespace of a test file's own, so tests never see each other's objects. */
export async function freshNamespace(prefix: string): Promise<string> {
  const namespace = uniqueName(prefix);
  await createNamespace(admin(), namespace);
  return namespace;
}

/** Changes a fixture before it is created. */
export type Edit<T> = (object: T) => void;

/** examples/channel.yaml under another name; `edit` changes it before it is created. */
export async function createChannel(namespace: string, name = 'engineering-explained', edit?: Edit<Channel>): Promise<Channel> {
  const channel = await example<Channel>('channel.yaml');
  channel.metadata = { name };
  edit?.(channel);
  return (await createObject(admin(), namespace, 'channels', channel)) as unknown as Channel;
}

/** For createChannel: the example's spec without its schedule, and with these fields instead of the example's. */
export function unscheduled(spec: Partial<Channel['spec']> = {}): Edit<Channel> {
  return (channel) => {
    channel.spec = { ...channel.spec, ...spec };
    delete channel.spec.schedule;
  };
}

/** examples/episode.yaml under another name, of a channel; `edit` changes it before it is created. */
export async function createEpisode(
  namespace: string,
  name: string,
  channel = 'engineering-explained',
  edit?: Edit<Episode>,
): Promise<Episode> {
  const episode = await example<Episode>('episode.yaml');
  episode.metadata = { name };
  episode.spec.channelRef.name = channel;
  edit?.(episode);
  return (await createObject(admin(), namespace, 'episodes', episode)) as unknown as Episode;
}

/** For createEpisode: a spec of only the channel, a topic and these fields, none of the example's. */
export function minimal(spec: Partial<Episode['spec']> = {}): Edit<Episode> {
  return (episode) => {
    episode.spec = { channelRef: episode.spec.channelRef, topic: `Topic of ${episode.metadata.name}`, ...spec };
  };
}

function getObject<T>(plural: ResourcePlural, namespace: string, name: string): Promise<T> {
  return admin()
    .makeApiClient(CustomObjectsApi)
    .getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural, name }) as Promise<T>;
}

export function getChannel(namespace: string, name: string): Promise<Channel> {
  return getObject<Channel>('channels', namespace, name);
}

export function getEpisode(namespace: string, name: string): Promise<Episode> {
  return getObject<Episode>('episodes', namespace, name);
}

export async function episodeExists(namespace: string, name: string): Promise<boolean> {
  return getEpisode(namespace, name).then(
    () => true,
    (error: { code?: number }) => {
      if (error.code === 404) return false;
      throw error;
    },
  );
}

/** Replaces an object's status through the status subresource, as the operator does. */
async function replaceStatus<T extends Channel | Episode>(
  plural: ResourcePlural,
  namespace: string,
  name: string,
  status: T['status'],
): Promise<T> {
  const api = admin().makeApiClient(CustomObjectsApi);
  const object = await getObject<T>(plural, namespace, name);
  object.status = status;
  return (await api.replaceNamespacedCustomObjectStatus({ group: GROUP, version: VERSION, namespace, plural, name, body: object })) as T;
}

export function setChannelStatus(namespace: string, name: string, status: Channel['status']): Promise<Channel> {
  return replaceStatus<Channel>('channels', namespace, name, status);
}

export function setEpisodeStatus(namespace: string, name: string, status: Episode['status']): Promise<Episode> {
  return replaceStatus<Episode>('episodes', namespace, name, status);
}

/** Creates an Event about an object, as the operator records them. */
export async function createEvent(
  namespace: string,
  object: { kind: string; name: string; uid: string },
  reason: string,
  message: string,
  minutes: number,
  type: 'Normal' | 'Warning' = 'Normal',
): Promise<void> {
  const time = new Date(Date.now() - minutes * 60_000);
  await admin()
    .makeApiClient(CoreV1Api)
    .createNamespacedEvent({
      namespace,
      body: {
        metadata: { name: `${object.name}.${uniqueName(reason.toLowerCase())}`, namespace },
        involvedObject: { apiVersion: `${GROUP}/${VERSION}`, kind: object.kind, name: object.name, namespace, uid: object.uid },
        reason,
        message,
        type,
        firstTimestamp: time,
        lastTimestamp: time,
        count: 1,
        source: { component: 'acog-operator' },
      },
    });
}

// ---- Status as the operator reports it ----

export function minutesAgo(minutes: number): string {
  return new Date(Date.now() - minutes * 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
}

function s3(namespace: string, episode: string, stage: string, file: string): string {
  return `s3://acog-assets/${namespace}/${episode}/0b9e3c1e/${stage}/1/${file}`;
}

/** An episode part-way: writing stages done, voice waiting at its approval gate, as the operator reports it. */
export function awaitingVoiceStatus(namespace: string, episode: string): EpisodeStatus {
  const done = (name: 'plan' | 'script' | 'refine' | 'metadata', start: number, end: number, cost: number) => ({
    name,
    phase: 'Succeeded' as const,
    attempt: 1,
    jobName: `${episode}-${name}-1-4f2a9c`,
    inputHash: 'sha256-4f2a9c',
    startedAt: minutesAgo(start),
    finishedAt: minutesAgo(end),
    provider: 'openai',
    message: 'done',
    artifacts: [s3(namespace, episode, name, `${name}.json`)],
    usage: { promptTokens: 1200, completionTokens: 800 },
    costUSD: cost,
  });
  return {
    observedGeneration: 1,
    phase: 'AwaitingApproval',
    currentStage: 'voice',
    progress: '4/9',
    message: 'waiting for approval before voice',
    startedAt: minutesAgo(10),
    conditions: [
      {
        type: 'Succeeded',
        status: 'Unknown',
        observedGeneration: 1,
        lastTransitionTime: minutesAgo(10),
        reason: 'AwaitingApproval',
        message: 'stage voice waits for approval',
      },
    ],
    stages: [
      done('plan', 10, 9, 0.12),
      done('script', 9, 7, 0.2),
      done('refine', 7, 6, 0.06),
      done('metadata', 6, 5, 0.04),
      { name: 'voice', phase: 'AwaitingApproval' },
      { name: 'avatar', phase: 'Pending' },
      { name: 'broll', phase: 'Pending' },
      { name: 'assemble', phase: 'Pending' },
      { name: 'upload', phase: 'Pending' },
    ],
    totalCostUSD: 0.42,
  };
}
