// The installed chart works with the real operator: `helm install`, then the operator image runs
// as the chart's Deployment would run it (its environment, its runner configuration, a token of
// its ServiceAccount and so exactly the chart's RBAC, a read-only root filesystem, uid 65532)
// against the local control plane's API server, NATS, S3 and PostgreSQL. It must take its Lease,
// report ready, and turn an Episode into the first stage's Job as the runner settings say: under
// the runner ServiceAccount with no token, labelled so that the runner NetworkPolicy selects it.
// By default (no ClusterRole) it watches exactly its two episode namespaces, with a Role in each.
// (Nothing runs the Pod itself here: the real Job controller makes it, but no harness Node serves
// these namespaces, so the scheduler leaves it Pending: docs/adr/0027.)
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { freePort } from '@acog/hack/local-env/process';
import { localEnv, uniqueName } from '../support/env.ts';
import {
  chartTools,
  exec,
  find,
  helm,
  helmKubeArgs,
  kubectlResult,
  parseManifests,
  repoRoot,
  succeeded,
  TOOLS_BUILD_TIMEOUT,
  type Manifest,
  type PodSpec,
} from './support.ts';

const IMAGE = 'acog/operator:dev';
const release = uniqueName('acog');
const system = `${release}-system`;
const studio = `${release}-studio`;
const shorts = `${release}-shorts`;
const podName = `${release}-operator-0`;
const cleanups: (() => Promise<unknown>)[] = [];
let dir: string;
let container = '';
let port = 0;
let manifests: Manifest[];

async function logs(): Promise<string> {
  if (!container) return '';
  const result = await exec('docker', ['logs', container]);
  return result.stdout + result.stderr;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs / 1000}s; the operator's log:\n${(await logs()).slice(-6000)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

beforeAll(async () => {
  await chartTools();
  succeeded(await exec('bash', ['hack/images/build.sh', 'operator'], { cwd: repoRoot }), 'hack/images/build.sh operator');
  const env = localEnv();
  dir = await mkdtemp(join(tmpdir(), 'acog-operator-install-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));

  for (const namespace of [system, studio, shorts]) {
    succeeded(await kubectlResult(['create', 'namespace', namespace]), `kubectl create namespace ${namespace}`);
    cleanups.push(() => kubectlResult(['delete', 'namespace', namespace, '--wait=false']));
    // The S3 key, in the release namespace for the operator and in the episode namespace for runners.
    succeeded(
      await kubectlResult([
        'create',
        'secret',
        'generic',
        'local-s3',
        '-n',
        namespace,
        `--from-literal=AWS_ACCESS_KEY_ID=${env.s3.accessKeyId}`,
        `--from-literal=AWS_SECRET_ACCESS_KEY=${env.s3.secretAccessKey}`,
      ]),
      'kubectl create secret local-s3',
    );
  }
  succeeded(
    await kubectlResult(['create', 'secret', 'generic', 'local-db', '-n', system, `--from-literal=url=${env.postgres.url}`]),
    'kubectl create secret local-db',
  );

  // The control plane's own services stand in for yours; the default watch (the episode namespaces
  // only), so that this operator leaves the other tests' Episodes alone.
  const values = {
    global: {
      episodeNamespaces: [studio, shorts],
      nats: { bundled: false, url: env.nats.url },
      s3: { bundled: false, endpoint: env.s3.endpoint, region: env.s3.region, credentials: { existingSecret: 'local-s3' } },
      postgres: { bundled: false, existingSecret: 'local-db' },
    },
    operator: { replicas: 1, logLevel: 'debug' },
  };
  const valuesFile = join(dir, 'values.yaml');
  await writeFile(valuesFile, stringify(values));
  succeeded(
    await helm(['install', release, '.', '--namespace', system, '--values', valuesFile, '--no-hooks', ...helmKubeArgs()]),
    'helm install',
  );
  cleanups.push(() => helm(['uninstall', release, '--namespace', system, '--wait=false', ...helmKubeArgs()]));
  manifests = parseManifests(
    succeeded(await helm(['get', 'manifest', release, '--namespace', system, ...helmKubeArgs()]), 'helm get manifest'),
  );

  // What the kubelet would give the Pod: the runner configuration, a token of the operator's ServiceAccount.
  const configMap = find(manifests, 'ConfigMap', `${release}-runner-config`, system);
  await writeFile(join(dir, 'runner.yaml'), (configMap.data as Record<string, string>)['runner.yaml']);
  const token = succeeded(
    await kubectlResult(['create', 'token', `${release}-operator`, '-n', system, '--duration=1h']),
    'kubectl create token',
  ).trim();
  await writeFile(
    join(dir, 'kubeconfig'),
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'local',
          cluster: { server: env.kubernetes.server, 'certificate-authority-data': Buffer.from(env.kubernetes.caData).toString('base64') },
        },
      ],
      users: [{ name: 'operator', user: { token } }],
      contexts: [{ name: 'operator', context: { cluster: 'local', user: 'operator' } }],
      'current-context': 'operator',
    }),
  );

  const deployment = find(manifests, 'Deployment', `${release}-operator`, system);
  const operator = (deployment.spec as { template: { spec: PodSpec } }).template.spec.containers[0];
  const secrets: Record<string, Record<string, string>> = {
    'local-s3': { AWS_ACCESS_KEY_ID: env.s3.accessKeyId, AWS_SECRET_ACCESS_KEY: env.s3.secretAccessKey },
    'local-db': { url: env.postgres.url },
  };
  port = await freePort();
  const variables = (operator.env ?? []).map(({ name, value, valueFrom }) => {
    if (valueFrom?.fieldRef) return `${name}=${valueFrom.fieldRef.fieldPath === 'metadata.name' ? podName : system}`;
    if (valueFrom?.secretKeyRef) return `${name}=${secrets[valueFrom.secretKeyRef.name][valueFrom.secretKeyRef.key]}`;
    // The Pod's port 8080 is taken on this host: the same server, on a free port.
    if (name === 'ACOG_HTTP_ADDRESS') return `${name}=127.0.0.1:${port}`;
    return `${name}=${value}`;
  });
  const mounts = (operator.volumeMounts ?? []).find((m) => m.name === 'runner-config')!;
  const run = await exec('docker', [
    'run',
    '--detach',
    '--network=host',
    '--read-only',
    '--tmpfs=/tmp',
    '--user=65532:65532',
    '--cap-drop=ALL',
    '--security-opt=no-new-privileges',
    `--volume=${join(dir, 'runner.yaml')}:${mounts.mountPath}/runner.yaml:ro`,
    `--volume=${join(dir, 'kubeconfig')}:/var/run/acog/kubeconfig:ro`,
    '--env=KUBECONFIG=/var/run/acog/kubeconfig',
    ...variables.map((variable) => `--env=${variable}`),
    IMAGE,
  ]);
  container = succeeded(run, 'docker run the operator').trim();
  cleanups.push(() => exec('docker', ['rm', '--force', container]));
}, TOOLS_BUILD_TIMEOUT);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

describe('the operator image with the installed chart', () => {
  it('takes its Lease and reports ready, with no request refused', async () => {
    await waitFor('/readyz answered 200', async () => ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok ? true : undefined));
    const holder = await waitFor('the operator took the Lease', async () => {
      const result = await kubectlResult(['get', 'lease', `${release}-operator`, '-n', system, '-o', 'jsonpath={.spec.holderIdentity}']);
      return result.code === 0 && result.stdout ? result.stdout : undefined;
    });
    expect(holder).toBe(podName);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^# (HELP|TYPE) /m);
    expect(await logs()).not.toMatch(/forbidden/i);
  });

  it('turns an Episode into the first stage Job, built from the runner settings, in each episode namespace', async () => {
    const channel = parse(await readFile(join(repoRoot, 'examples/channel.yaml'), 'utf8'));
    const episode = parse(await readFile(join(repoRoot, 'examples/episode.yaml'), 'utf8'));
    for (const namespace of [studio, shorts])
      succeeded(
        await kubectlResult(['apply', '-n', namespace, '-f', '-'], { input: [channel, episode].map((o) => stringify(o)).join('---\n') }),
        `kubectl apply the examples in ${namespace}`,
      );
    const planJob = (namespace: string) =>
      waitFor(
        `a Job for the plan stage in ${namespace}`,
        async () => {
          const result = await kubectlResult([
            'get',
            'jobs',
            '-n',
            namespace,
            '-l',
            'acog.dev/episode=how-indexes-work,acog.dev/stage=plan',
            '-o',
            'json',
          ]);
          const items = (JSON.parse(result.stdout) as { items: Manifest[] }).items;
          return items[0];
        },
        120_000,
      );
    const [job, other] = await Promise.all([planJob(studio), planJob(shorts)]);
    expect(other.metadata.namespace).toBe(shorts);
    const template = (job.spec as { template: { metadata: { labels: Record<string, string> }; spec: PodSpec } }).template;
    // The runner NetworkPolicy selects runner Pods by this label.
    expect(template.metadata.labels['acog.dev/stage']).toBe('plan');
    expect(template.spec.serviceAccountName).toBe(`${release}-runner`);
    expect(template.spec.automountServiceAccountToken).toBe(false);
    const [runner] = template.spec.containers;
    expect(runner.image).toBe('acog/runner:dev');
    expect(runner.imagePullPolicy).toBe('IfNotPresent');
    expect(runner.resources).toEqual({
      requests: { cpu: '250m', memory: '256Mi', 'ephemeral-storage': '1Gi' },
      limits: { cpu: '1', memory: '1Gi', 'ephemeral-storage': '4Gi' },
    });
    expect(runner.env).toEqual(expect.arrayContaining([{ name: 'ACOG_NATS_URL', value: localEnv().nats.url }]));
    expect(runner.env).toEqual(
      expect.arrayContaining([{ name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: 'local-s3', key: 'AWS_ACCESS_KEY_ID' } } }]),
    );
    expect((job.spec as { activeDeadlineSeconds: number }).activeDeadlineSeconds).toBe(3600);
    expect(await logs()).not.toMatch(/forbidden/i);
  }, 150_000);
});
