// For the read commands' tests: the CLI in-process with captured streams, against the local
// control plane's API server, and Channels/Episodes with the status the operator would write.
import { Writable } from 'node:stream';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { GROUP, VERSION, type Channel, type Episode, type EpisodeStatus } from '@acog/api';
import { kubeConfig, localEnv, uniqueName } from '../../../../test/support/env.ts';
import { createNamespace, createObject, example } from '../../../../test/support/kube.ts';
import { main } from '../../cli.ts';

export type Role = 'admin' | 'editor' | 'viewer';

/** A stream that keeps what is written to it. */
export class Capture extends Writable {
  text = '';
  isTTY = false;
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

export interface Running {
  stdout: Capture;
  stderr: Capture;
  done: Promise<number>;
}

/** Starts `kubectl acog ARGS` as a user of the local control plane; `done` resolves with the exit code. */
export function start(args: string[], role: Role = 'admin', env: Record<string, string | undefined> = {}): Running {
  const stdout = new Capture();
  const stderr = new Capture();
  const done = main(['--kubeconfig', localEnv().kubernetes.kubeconfig, '--context', role, ...args], {
    stdout,
    stderr: stderr as unknown as NodeJS.WriteStream,
    env,
  });
  return { stdout, stderr, done };
}

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export async function acog(args: string[], role: Role = 'admin'): Promise<Result> {
  const running = start(args, role);
  const code = await running.done;
  return { code, stdout: running.stdout.text, stderr: running.stderr.text };
}

/** Waits until a condition holds (output appeared, say), polling. */
export async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const admin = (): KubeConfig => kubeConfig('admin');

export async function freshNamespace(prefix: string): Promise<string> {
  const namespace = uniqueName(prefix);
  await createNamespace(admin(), namespace);
  return namespace;
}

export async function createChannel(
  namespace: string,
  name = 'engineering-explained',
  edit?: (channel: Channel) => void,
): Promise<Channel> {
  const channel = await example<Channel>('channel.yaml');
  channel.metadata = { name };
  edit?.(channel);
  return (await createObject(admin(), namespace, 'channels', channel)) as unknown as Channel;
}

export async function createEpisode(
  namespace: string,
  name: string,
  channel = 'engineering-explained',
  edit?: (episode: Episode) => void,
): Promise<Episode> {
  const episode = await example<Episode>('episode.yaml');
  episode.metadata = { name };
  episode.spec.channelRef.name = channel;
  edit?.(episode);
  return (await createObject(admin(), namespace, 'episodes', episode)) as unknown as Episode;
}

/** Writes status through the status subresource, as the operator does. */
export async function setStatus<T extends Channel | Episode>(
  namespace: string,
  plural: 'channels' | 'episodes',
  name: string,
  status: T['status'],
): Promise<T> {
  const api = admin().makeApiClient(CustomObjectsApi);
  const object = (await api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural, name })) as T;
  object.status = status;
  return (await api.replaceNamespacedCustomObjectStatus({ group: GROUP, version: VERSION, namespace, plural, name, body: object })) as T;
}

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
