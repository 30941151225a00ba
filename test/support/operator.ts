// Runs the real operator (node operator/src/main.ts) against the local control plane, watching one
// test namespace, as a child process that a test can kill at any moment.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { GROUP, VERSION, type Channel, type Episode } from '@acog/api';
import { repoRoot } from '@acog/hack/paths';
import { freePort, startProcess, tail, waitUntil, type ManagedProcess } from '@acog/hack/local-env/process';
import type { RunnerConfig } from '@acog/operator';
import { kubeConfig, localEnv, serviceEnv } from './env.ts';

export const STORAGE_SECRET = 'acog-runner-storage';

/** A namespace for one test file, with the Secret that gives runners their S3 keys. */
export async function prepareNamespace(namespace: string): Promise<void> {
  const core = kubeConfig().makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  const { s3 } = localEnv();
  await core.createNamespacedSecret({
    namespace,
    body: {
      metadata: { name: STORAGE_SECRET },
      stringData: { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey },
    },
  });
}

export function runnerConfig(natsUrl = localEnv().nats.url, extra: Partial<RunnerConfig> = {}): Record<string, unknown> {
  const { s3 } = localEnv();
  return {
    image: 'acog/runner:dev',
    imagePullPolicy: 'Never',
    activeDeadlineSeconds: 900,
    ttlSecondsAfterFinished: 3600,
    env: { ACOG_S3_ENDPOINT: s3.endpoint, AWS_REGION: s3.region, ACOG_NATS_URL: natsUrl },
    storageCredentials: { secretName: STORAGE_SECRET },
    defaults: { resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '1Gi' } } },
    stages: { assemble: { resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '3Gi' } }, activeDeadlineSeconds: 1800 } },
    ...extra,
  };
}

export interface OperatorProcess {
  process: ManagedProcess;
  metricsUrl: string;
  identity: string;
  stop(): Promise<void>;
  kill(): void;
  logs(lines?: number): Promise<string>;
}

export interface OperatorProcessOptions {
  namespace: string;
  identity?: string;
  natsUrl?: string;
  leaderElect?: boolean;
  leaseSeconds?: number;
  extraArgs?: string[];
  runner?: Record<string, unknown>;
  /** Wait until /readyz answers (false for a standby that has not synced yet, or a bad flag). */
  waitReady?: boolean;
  /** The PostgreSQL of the ledger (default: the local control plane's, ACOG_DATABASE_URL). */
  databaseUrl?: string;
}

let counter = 0;

export async function startOperatorProcess(options: OperatorProcessOptions): Promise<OperatorProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'acog-operator-'));
  const configFile = join(dir, 'runner.yaml');
  await writeFile(configFile, stringify(options.runner ?? runnerConfig(options.natsUrl)));
  const port = await freePort();
  const identity = options.identity ?? `operator-${++counter}`;
  const env = localEnv();
  const args = [
    join(repoRoot, 'operator', 'src', 'main.ts'),
    '--kubeconfig',
    env.kubernetes.kubeconfig,
    '--namespace',
    options.namespace,
    '--runner-config',
    configFile,
    '--nats-url',
    options.natsUrl ?? env.nats.url,
    '--http-address',
    `127.0.0.1:${port}`,
    '--identity',
    identity,
    '--lease-namespace',
    options.namespace,
    '--lease-duration',
    String(options.leaseSeconds ?? 4),
    '--workers',
    '4',
    '--log-level',
    'debug',
    ...(options.leaderElect === false ? ['--no-leader-elect'] : []),
    ...(options.extraArgs ?? []),
  ];
  const process_ = startProcess(`operator ${identity}`, process.execPath, args, join(dir, `${identity}.log`), {
    env: {
      ...process.env,
      ...serviceEnv(),
      KUBECONFIG: env.kubernetes.kubeconfig,
      ACOG_DATABASE_URL: options.databaseUrl ?? process.env.ACOG_DATABASE_URL ?? env.postgres.url,
    },
  });
  const metricsUrl = `http://127.0.0.1:${port}`;
  if (options.waitReady !== false) {
    await waitUntil(`operator ${identity}`, async () => (await fetch(`${metricsUrl}/readyz`)).ok, { process: process_, timeoutMs: 30_000 });
  }
  return {
    process: process_,
    metricsUrl,
    identity,
    stop: () => process_.stop(),
    kill: () => process_.child.kill('SIGKILL'),
    logs: (lines = 60) => tail(process_.logFile, lines),
  };
}

export function customApi(kc: KubeConfig = kubeConfig()): CustomObjectsApi {
  return kc.makeApiClient(CustomObjectsApi);
}

export async function getEpisode(namespace: string, name: string): Promise<Episode> {
  return (await customApi().getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: 'episodes', namespace, name })) as Episode;
}

export async function getChannel(namespace: string, name: string): Promise<Channel> {
  return (await customApi().getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: 'channels', namespace, name })) as Channel;
}

/** Polls an Episode until `done` says so; the error names the phase and stages it was stuck in. */
export async function waitForEpisode(
  namespace: string,
  name: string,
  done: (episode: Episode) => boolean,
  options: { timeoutMs?: number; operator?: OperatorProcess } = {},
): Promise<Episode> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let last: Episode | undefined;
  while (Date.now() < deadline) {
    last = await getEpisode(namespace, name);
    if (done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const stages = (last?.status?.stages ?? []).map((s) => `${s.name}=${s.phase}#${s.attempt ?? 0}`).join(' ');
  const logs = options.operator ? `\noperator log:\n${await options.operator.logs(40)}` : '';
  throw new Error(
    `episode ${namespace}/${name} did not get there: phase ${last?.status?.phase}, ${last?.status?.message}; stages ${stages}${logs}`,
  );
}

export function stageOf(episode: Episode, stage: string) {
  return episode.status?.stages?.find((s) => s.name === stage);
}
