// Helpers of the write commands' tests: run the CLI in-process against the local control plane
// with captured streams, and set up Channels, Episodes and their status as the operator would.
import { PassThrough, Writable } from 'node:stream';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { API_VERSION, GROUP, VERSION, type Channel, type Episode, type EpisodeStatus } from '@acog/api';
import type { UserRole } from '@acog/hack/local-env';
import { localEnv } from '../../../../test/support/env.ts';
import { createObject, example } from '../../../../test/support/kube.ts';
import { main } from '../../cli.ts';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  user?: UserRole;
  /** The command's environment; by default the local S3 and NATS. */
  env?: Record<string, string | undefined>;
  /** Lines typed on a terminal; makes stdin and stderr TTYs. */
  typed?: string;
}

/** The environment that points the CLI at the local S3 and NATS. */
export function serviceEnv(): Record<string, string> {
  const { s3, nats } = localEnv();
  return {
    ACOG_S3_ENDPOINT: s3.endpoint,
    AWS_REGION: s3.region,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    ACOG_NATS_URL: nats.url,
  };
}

function capture(tty: boolean): { stream: Writable & { isTTY?: boolean }; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  }) as Writable & { isTTY?: boolean };
  if (tty) stream.isTTY = true;
  return { stream, text: () => chunks.join('') };
}

/** Runs `kubectl acog <args>` as a local user; resolves with the exit code and what was printed. */
export async function acog(args: string[], options: RunOptions = {}): Promise<RunResult> {
  const tty = options.typed !== undefined;
  const stdout = capture(false);
  const stderr = capture(tty);
  const io: Record<string, unknown> = {
    stdout: stdout.stream,
    stderr: stderr.stream as unknown as NodeJS.WriteStream,
    env: options.env ?? serviceEnv(),
  };
  if (tty) {
    const stdin = new PassThrough() as PassThrough & { isTTY?: boolean };
    stdin.isTTY = true;
    stdin.end(options.typed);
    io.stdin = stdin;
  }
  const code = await main([...args, '--kubeconfig', localEnv().kubernetes.kubeconfig, '--context', options.user ?? 'admin'], io as never);
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

export function customObjects(kc: KubeConfig): CustomObjectsApi {
  return kc.makeApiClient(CustomObjectsApi);
}

export async function getEpisodeObject(kc: KubeConfig, namespace: string, name: string): Promise<Episode> {
  return (await customObjects(kc).getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: 'episodes',
    name,
  })) as Episode;
}

export async function episodeExists(kc: KubeConfig, namespace: string, name: string): Promise<boolean> {
  return getEpisodeObject(kc, namespace, name).then(
    () => true,
    (error: { code?: number }) => {
      if (error.code === 404) return false;
      throw error;
    },
  );
}

/** The example Channel under another name, with changes to its spec. */
export async function createChannel(
  kc: KubeConfig,
  namespace: string,
  name: string,
  spec: Partial<Channel['spec']> = {},
): Promise<Channel> {
  const channel = await example<Channel>('channel.yaml');
  channel.metadata = { name };
  channel.spec = { ...channel.spec, ...spec };
  delete channel.spec.schedule;
  return (await createObject(kc, namespace, 'channels', channel)) as unknown as Channel;
}

export async function createEpisode(
  kc: KubeConfig,
  namespace: string,
  name: string,
  channel: string,
  spec: Partial<Episode['spec']> = {},
): Promise<Episode> {
  const episode = {
    apiVersion: API_VERSION,
    kind: 'Episode',
    metadata: { name },
    spec: { channelRef: { name: channel }, topic: `Topic of ${name}`, ...spec },
  };
  return (await createObject(kc, namespace, 'episodes', episode)) as unknown as Episode;
}

/** Writes status through the status subresource, as the operator does. */
export async function setStatus(kc: KubeConfig, namespace: string, name: string, status: EpisodeStatus): Promise<Episode> {
  return (await customObjects(kc).patchNamespacedCustomObjectStatus(
    { group: GROUP, version: VERSION, namespace, plural: 'episodes', name, body: { status } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  )) as Episode;
}
