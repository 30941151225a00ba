// Helpers for the chart's tests: helm and kube-score (built from the Go module proxy on first use,
// docs/adr/0007), rendering the chart with a value set, and kubectl with its exit code.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { repoRoot } from '@acog/hack/paths';
import { findChartTools, type ChartTools } from '../../hack/local-env/binaries.ts';
import { localEnv, uniqueName } from '../support/env.ts';

/** Time for the first build of helm and kube-score on a new machine (about 2 minutes on 2 cores). */
export const TOOLS_BUILD_TIMEOUT = 900_000;

let tools: Promise<ChartTools> | undefined;
export function chartTools(): Promise<ChartTools> {
  tools ??= findChartTools((line) => console.error(`[chart tools] ${line}`));
  return tools;
}

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end; never rejects on a non-zero exit (the caller asserts the code). */
export function exec(
  command: string,
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? repoRoot, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    // A program may exit before reading its input (a refusal, or no input wanted): the exit code says
    // what happened, and the broken pipe is not an error of the test.
    child.stdin.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') reject(error);
    });
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** Fails with the program's output when it did not exit 0. */
export function succeeded(result: Result, what: string): string {
  if (result.code !== 0) throw new Error(`${what} exited with ${result.code}:\n${result.stderr}\n${result.stdout}`.slice(0, 8000));
  return result.stdout;
}

export async function helm(args: string[], input?: string): Promise<Result> {
  const { helm: binary } = await chartTools();
  // A private home for helm's caches and repositories: the tests never touch the developer's.
  const home = join(tmpdir(), 'acog-helm-home');
  const env = {
    ...process.env,
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
  };
  return exec(binary, args, { input, env });
}

/** kubectl of the local control plane as a user, with its exit code. */
export function kubectlResult(args: string[], options: { user?: 'admin' | 'editor' | 'viewer'; input?: string } = {}): Promise<Result> {
  const env = localEnv();
  return exec(env.binaries.kubectl, ['--kubeconfig', env.kubernetes.kubeconfig, '--context', options.user ?? 'admin', ...args], {
    input: options.input,
  });
}

/** Helm's arguments that point it at the local API server as admin. */
export function helmKubeArgs(): string[] {
  const env = localEnv();
  return ['--kubeconfig', env.kubernetes.kubeconfig, '--kube-context', 'admin'];
}

export type Values = Record<string, unknown>;

/** Renders the chart at the repository root with `values`; the hooks included, the CRDs not (the control plane has them). */
export async function template(release: string, namespace: string, values: Values, extra: string[] = []): Promise<Result> {
  const dir = await mkdtemp(join(tmpdir(), 'acog-values-'));
  try {
    const file = join(dir, 'values.yaml');
    await writeFile(file, stringify(values));
    return await helm(['template', release, '.', '--namespace', namespace, '--values', file, ...extra]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((document) => {
      if (document.errors.length) throw new Error(`rendered YAML does not parse: ${document.errors[0].message}`);
      return document.toJSON() as Manifest | null;
    })
    .filter((manifest): manifest is Manifest => manifest !== null);
}

export async function render(release: string, namespace: string, values: Values): Promise<Manifest[]> {
  return parseManifests(succeeded(await template(release, namespace, values), `helm template with ${JSON.stringify(values)}`));
}

export function find(manifests: Manifest[], kind: string, name: string, namespace?: string): Manifest {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name && (!namespace || m.metadata.namespace === namespace));
  if (!found)
    throw new Error(
      `no ${kind} ${name}${namespace ? ` in ${namespace}` : ''} among ${manifests.map((m) => `${m.kind}/${m.metadata.name}`).join(', ')}`,
    );
  return found;
}

/** Namespaces of one test: the release's and two episode namespaces. */
export interface Namespaces {
  release: string;
  episodes: [string, string];
}

export function namespaces(prefix: string): Namespaces {
  const release = uniqueName(prefix);
  return { release, episodes: [`${release}-ep1`, `${release}-ep2`] };
}

/**
 * The value sets every chart test renders: the defaults and the ways people install it. Each is a
 * function of the test's namespaces, so that the objects of parallel tests never meet.
 */
export const VALUE_SETS: Record<string, (ns: Namespaces) => Values> = {
  defaults: () => ({}),
  'bundled services off (AWS S3 with ambient credentials, your NATS and PostgreSQL)': (ns) => ({
    global: {
      episodeNamespaces: ns.episodes,
      nats: { bundled: false, url: 'nats://nats.messaging.svc:4222' },
      s3: { bundled: false, region: 'eu-central-1' },
      postgres: { bundled: false, existingSecret: 'acog-database', urlKey: 'DATABASE_URL' },
    },
    operator: {
      serviceAccount: { annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/acog-operator' } },
      runner: { serviceAccount: { annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/acog-runner' } } },
    },
  }),
  'external S3 and NATS with network ranges': (ns) => ({
    global: {
      episodeNamespaces: ns.episodes,
      nats: { bundled: false, url: 'tls://nats.example.internal:4443', egressCIDRs: ['10.20.0.0/16'] },
      s3: {
        bundled: false,
        endpoint: 'https://s3.example.internal:9443',
        credentials: { existingSecret: 'acog-s3-credentials' },
        egressCIDRs: ['10.30.0.0/16', 'fd00:30::/64'],
      },
      networkPolicy: { kubeAPIServer: { cidrs: ['10.0.0.1/32'], ports: [6443] } },
    },
  }),
  'existing secrets for the bundled services and private images': (ns) => ({
    global: {
      episodeNamespaces: ns.episodes,
      imageRegistry: 'registry.example.com/mirror',
      imagePullSecrets: ['regcred'],
      s3: { credentials: { existingSecret: 'acog-minio-root', accessKeyIdKey: 'rootUser', secretAccessKeyKey: 'rootPassword' } },
      postgres: { existingSecret: 'acog-postgres-password', passwordKey: 'postgres-password' },
    },
    operator: {
      image: { digest: `sha256:${'a'.repeat(64)}` },
      runner: { imagePullSecrets: ['runner-regcred'] },
    },
    console: { heygenWebhook: { enabled: true } },
  }),
  'custom resources, scheduling and monitoring': (ns) => ({
    global: { episodeNamespaces: ns.episodes },
    operator: {
      replicas: 3,
      workers: 8,
      logLevel: 'debug',
      resources: { requests: { cpu: '200m', memory: '256Mi' }, limits: { cpu: '2', memory: '1Gi' } },
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'acog', effect: 'NoSchedule' }],
      priorityClassName: 'system-cluster-critical',
      metrics: {
        allowFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
        serviceMonitor: { enabled: true, interval: '15s', labels: { release: 'prometheus' } },
      },
      runner: {
        runtimeClassName: 'gvisor',
        nodeSelector: { 'acog.dev/runners': 'true' },
        tolerations: [{ key: 'acog.dev/runners', operator: 'Exists', effect: 'NoSchedule' }],
        env: { ACOG_OPENAI_BASE_URL: 'https://llm-proxy.example.com/v1' },
        defaults: {
          activeDeadlineSeconds: 1800,
          resources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '2', memory: '2Gi' } },
        },
        stages: { voice: { activeDeadlineSeconds: 900, resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '2Gi' } } } },
      },
    },
    nats: { jetstream: { maxFileStore: '40GB' }, persistence: { size: '50Gi', storageClassName: 'fast-ssd' } },
    minio: { persistence: { size: '500Gi' }, resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '4', memory: '8Gi' } } },
    postgresql: { persistence: { size: '20Gi' } },
    console: {
      replicas: 3,
      logLevel: 'debug',
      ingress: {
        enabled: true,
        className: 'nginx',
        host: 'acog.example.com',
        annotations: { 'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600' },
        tls: { secretName: 'acog-console-tls' },
      },
      authProxy: { userHeader: 'X-Forwarded-User', groupsHeader: 'X-Forwarded-Groups', trustedAddresses: ['127.0.0.1'] },
      allowFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }],
      serviceMonitor: { enabled: true, interval: '15s', labels: { release: 'prometheus' } },
      nodeSelector: { 'kubernetes.io/os': 'linux' },
    },
  }),
  'watching every namespace (operator.watchAllNamespaces=true)': (ns) => ({
    global: { episodeNamespaces: ns.episodes },
    operator: { watchAllNamespaces: true },
  }),
  'one watched namespace, no NetworkPolicies': (ns) => ({
    global: { episodeNamespaces: [ns.episodes[0]], networkPolicy: { enabled: false } },
    operator: { watchAllNamespaces: false, replicas: 1, leaderElection: { enabled: false } },
    console: { replicas: 1, artifacts: { enabled: false } },
  }),
  'no console': (ns) => ({
    global: { episodeNamespaces: ns.episodes },
    console: { enabled: false },
  }),
};

/** The namespaces a value set's objects live in (they must exist for a server-side dry run or an install). */
export function namespacesOf(manifests: Manifest[]): string[] {
  return [...new Set(manifests.map((m) => m.metadata.namespace).filter((n): n is string => Boolean(n)))];
}

/** The Pod templates of the workloads, with where they came from. */
export function podTemplates(manifests: Manifest[]): { source: string; spec: PodSpec; labels: Record<string, string> }[] {
  return manifests.flatMap((m) => {
    if (!['Deployment', 'StatefulSet', 'Job', 'DaemonSet'].includes(m.kind)) return [];
    const template = (m.spec as { template: { metadata?: { labels?: Record<string, string> }; spec: PodSpec } }).template;
    return [{ source: `${m.kind}/${m.metadata.name}`, spec: template.spec, labels: template.metadata?.labels ?? {} }];
  });
}

export interface Container {
  name: string;
  image: string;
  imagePullPolicy?: string;
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } } }[];
  args?: string[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
  livenessProbe?: unknown;
  readinessProbe?: unknown;
  volumeMounts?: { name: string; mountPath: string }[];
}

export interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  securityContext?: Record<string, unknown>;
  containers: Container[];
  initContainers?: Container[];
  imagePullSecrets?: { name: string }[];
  volumes?: { name: string; configMap?: { name: string } }[];
  [field: string]: unknown;
}

export { repoRoot };
