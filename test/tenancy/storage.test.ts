// Storage isolation of the episode namespaces (DESIGN.md "Tenancy", docs/storage-isolation.md): the
// chart gives each episode namespace an S3 key of its own in the runners' Secret <fullname>-s3-runner,
// a MinIO user whose policy reaches only <bucket>/<namespace>/, and keeps the root key alone in
// <fullname>-s3 of the release namespace; the release namespace, when it is an episode namespace too
// (the default), is a tenant like any other. Rendered with helm template, then applied to the local
// control plane's real MinIO as the chart's buckets Job would (its mc steps, through
// hack/tools/minio-admin), and tried with one tenant's key against the other's prefix and its own.
// Every attempt is printed with its outcome.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { S3ArtifactStore } from '@acog/store/s3';
import { findMinioAdmin } from '../../hack/local-env/binaries.ts';
import {
  chartTools,
  exec,
  find,
  helm,
  helmKubeArgs,
  kubectlResult,
  podTemplates,
  render,
  succeeded,
  TOOLS_BUILD_TIMEOUT,
  VALUE_SETS,
  namespaces,
  type Container,
  type Manifest,
  type Values,
} from '../helm/support.ts';
import { localEnv, s3Client, uniqueName } from '../support/env.ts';

const RELEASE = 'acog';
const RELEASE_NAMESPACE = 'acog-system';
const TENANTS = ['team-a', 'team-b'] as const;
const BUCKETS = ['acog-assets', 'acog-scripts'];
const VALUES: Values = { global: { episodeNamespaces: [...TENANTS] } };
/** The root key's Secret (release namespace only) and the runners' (each episode namespace), for a release `release`. */
const rootSecret = (release: string) => `${release}-s3`;
const runnerSecret = (release: string) => `${release}-s3-runner`;

type SecretData = Record<string, string>;

const b64 = (text: string) => Buffer.from(text).toString('base64');

function secretData(manifests: Manifest[], name: string, namespace: string): SecretData {
  const data = find(manifests, 'Secret', name, namespace).data as SecretData;
  return Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
}

interface Key {
  accessKeyId: string;
  secretAccessKey: string;
}

function keyIn(manifests: Manifest[], name: string, namespace: string): Key {
  const data = secretData(manifests, name, namespace);
  return { accessKeyId: data.AWS_ACCESS_KEY_ID, secretAccessKey: data.AWS_SECRET_ACCESS_KEY };
}

/** The runners' key in `namespace`: the Secret the runner config names. */
const keyOf = (manifests: Manifest[], namespace: string): Key => keyIn(manifests, runnerSecret(RELEASE), namespace);

/** The root key, in the release namespace. */
const rootOf = (manifests: Manifest[]): Key => keyIn(manifests, rootSecret(RELEASE), RELEASE_NAMESPACE);

const runnerConfig = (manifests: Manifest[]) =>
  parse((find(manifests, 'ConfigMap', `${RELEASE}-runner-config`).data as Record<string, string>)['runner.yaml']) as {
    storageCredentials?: unknown;
  };

const secretsNamed = (manifests: Manifest[], name: string) =>
  manifests.filter((m) => m.kind === 'Secret' && m.metadata.name === name).map((m) => m.metadata.namespace);

function bucketsJob(manifests: Manifest[]): { initContainers: Container[]; containers: Container[]; volumes: unknown[] } {
  const job = podTemplates(manifests).find((p) => p.source === `Job/${RELEASE}-minio-buckets`);
  if (!job) throw new Error('no buckets Job rendered');
  return { initContainers: job.spec.initContainers ?? [], containers: job.spec.containers, volumes: (job.spec.volumes ?? []) as unknown[] };
}

/** What the chart must render as a tenant's policy: its objects and its listing in each bucket, and the buckets' location. */
function expectedPolicy(namespace: string): unknown {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'TenantObjects',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        Resource: BUCKETS.map((bucket) => `arn:aws:s3:::${bucket}/${namespace}/*`),
      },
      {
        Sid: 'TenantListing',
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: BUCKETS.map((bucket) => `arn:aws:s3:::${bucket}`),
        Condition: { StringLike: { 's3:prefix': [`${namespace}/*`, `${namespace}/`] } },
      },
      {
        Sid: 'BucketLocation',
        Effect: 'Allow',
        Action: ['s3:GetBucketLocation'],
        Resource: BUCKETS.map((bucket) => `arn:aws:s3:::${bucket}`),
      },
    ],
  };
}

const tenantObjects = (manifests: Manifest[]) =>
  manifests.filter(
    (m) =>
      (m.kind === 'Secret' && m.metadata.name === `${RELEASE}-s3-tenants`) ||
      (m.kind === 'ConfigMap' && m.metadata.name === `${RELEASE}-minio-tenant-policies`),
  );

beforeAll(() => chartTools(), TOOLS_BUILD_TIMEOUT);

describe('the chart: a key per episode namespace (helm template)', () => {
  let manifests: Manifest[];
  beforeAll(async () => {
    manifests = await render(RELEASE, RELEASE_NAMESPACE, VALUES);
  });

  it('keeps the root key in the release namespace, for MinIO, the operator and the console', () => {
    const root = rootOf(manifests);
    expect(root.accessKeyId).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(secretsNamed(manifests, rootSecret(RELEASE))).toEqual([RELEASE_NAMESPACE]);
    const readers = podTemplates(manifests)
      .filter(({ spec }) =>
        [...spec.containers, ...(spec.initContainers ?? [])].some((c) =>
          c.env?.some((e) => e.valueFrom?.secretKeyRef?.name === `${RELEASE}-s3` && e.valueFrom.secretKeyRef.key === 'AWS_ACCESS_KEY_ID'),
        ),
      )
      .map((p) => p.source)
      .sort();
    expect(readers).toEqual([
      `Deployment/${RELEASE}-console`,
      `Deployment/${RELEASE}-operator`,
      `Job/${RELEASE}-minio-buckets`,
      `StatefulSet/${RELEASE}-minio`,
    ]);
    for (const source of readers)
      expect(find(manifests, source.split('/')[0], source.split('/')[1]).metadata.namespace).toBe(RELEASE_NAMESPACE);
  });

  it('gives each episode namespace a key of its own, in the Secret the runner config names; none holds the root key', () => {
    const root = rootOf(manifests);
    expect(runnerConfig(manifests).storageCredentials).toEqual({
      secretName: runnerSecret(RELEASE),
      accessKeyIdKey: 'AWS_ACCESS_KEY_ID',
      secretAccessKeyKey: 'AWS_SECRET_ACCESS_KEY',
    });
    const keys = TENANTS.map((namespace) => keyOf(manifests, namespace));
    for (const key of keys) {
      expect(key.accessKeyId).toMatch(/^[A-Za-z0-9]{20}$/);
      expect(key.secretAccessKey).toMatch(/^[A-Za-z0-9]{40}$/);
      expect(key.accessKeyId).not.toBe(root.accessKeyId);
      expect(key.secretAccessKey).not.toBe(root.secretAccessKey);
    }
    expect(keys[0].accessKeyId).not.toBe(keys[1].accessKeyId);
    expect(keys[0].secretAccessKey).not.toBe(keys[1].secretAccessKey);
    // The root secret is written once, in its own Secret; no other object holds it, in clear or in base64.
    const rootObject = find(manifests, 'Secret', rootSecret(RELEASE), RELEASE_NAMESPACE);
    const elsewhere = JSON.stringify(manifests.filter((m) => m !== rootObject));
    expect(elsewhere).not.toContain(root.secretAccessKey);
    expect(elsewhere).not.toContain(b64(root.secretAccessKey));
    // A runner Secret in each episode namespace and nowhere else (the release namespace is none here).
    expect(secretsNamed(manifests, runnerSecret(RELEASE))).toEqual([...TENANTS]);
  });

  it('puts every tenant key into a release-namespace Secret for the buckets Job, and each policy into a ConfigMap', () => {
    const tenants = secretData(manifests, `${RELEASE}-s3-tenants`, RELEASE_NAMESPACE);
    expect(Object.keys(tenants).sort()).toEqual(TENANTS.flatMap((ns) => [`${ns}.accessKey`, `${ns}.secretKey`]));
    for (const namespace of TENANTS) {
      expect(tenants[`${namespace}.accessKey`]).toBe(keyOf(manifests, namespace).accessKeyId);
      expect(tenants[`${namespace}.secretKey`]).toBe(keyOf(manifests, namespace).secretAccessKey);
    }
    const policies = find(manifests, 'ConfigMap', `${RELEASE}-minio-tenant-policies`, RELEASE_NAMESPACE).data as Record<string, string>;
    expect(Object.keys(policies).sort()).toEqual(TENANTS.map((ns) => `${ns}.json`));
    for (const namespace of TENANTS) expect(JSON.parse(policies[`${namespace}.json`])).toEqual(expectedPolicy(namespace));
  });

  it('has the buckets Job make each tenant its user, policy and attachment, then the buckets, one mc call per container', () => {
    const job = bucketsJob(manifests);
    expect(job.initContainers.map((c) => c.args?.join(' '))).toEqual(
      TENANTS.flatMap((ns) => [
        'admin user add local $(TENANT_ACCESS_KEY) $(TENANT_SECRET_KEY)',
        `admin policy create local acog-tenant-${ns} /policies/${ns}.json`,
        `admin policy attach local acog-tenant-${ns} --user $(TENANT_ACCESS_KEY)`,
      ]),
    );
    expect(job.containers.map((c) => c.args?.join(' '))).toEqual(['mb --ignore-existing local/acog-assets local/acog-scripts']);
    for (const [i, container] of job.initContainers.entries()) {
      const namespace = TENANTS[Math.floor(i / 3)];
      const refs = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.valueFrom?.secretKeyRef ?? e.value]));
      expect(refs.ACCESS_KEY, container.name).toEqual({ name: `${RELEASE}-s3`, key: 'AWS_ACCESS_KEY_ID' });
      if (container.args?.includes('$(TENANT_ACCESS_KEY)'))
        expect(refs.TENANT_ACCESS_KEY, container.name).toEqual({ name: `${RELEASE}-s3-tenants`, key: `${namespace}.accessKey` });
      expect(container.securityContext, container.name).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
      expect(container.image, container.name).toBe(job.containers[0].image);
    }
    expect(job.volumes).toContainEqual({ name: 'policies', configMap: { name: `${RELEASE}-minio-tenant-policies` } });
  });

  it('by default (the release namespace is the episode namespace): its runners get a tenant key, not the root key, limited to its prefix', async () => {
    const defaults = await render(RELEASE, RELEASE_NAMESPACE, {});
    const root = rootOf(defaults);
    const runner = keyOf(defaults, RELEASE_NAMESPACE);
    expect(runner.accessKeyId).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(runner.secretAccessKey).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(runner.accessKeyId).not.toBe(root.accessKeyId);
    expect(runner.secretAccessKey).not.toBe(root.secretAccessKey);
    // Both Secrets in the release namespace, under two names; the runner config names the runners'.
    expect(secretsNamed(defaults, rootSecret(RELEASE))).toEqual([RELEASE_NAMESPACE]);
    expect(secretsNamed(defaults, runnerSecret(RELEASE))).toEqual([RELEASE_NAMESPACE]);
    expect(runnerConfig(defaults).storageCredentials).toEqual({
      secretName: runnerSecret(RELEASE),
      accessKeyIdKey: 'AWS_ACCESS_KEY_ID',
      secretAccessKeyKey: 'AWS_SECRET_ACCESS_KEY',
    });
    const rootObject = find(defaults, 'Secret', rootSecret(RELEASE), RELEASE_NAMESPACE);
    const elsewhere = JSON.stringify(defaults.filter((m) => m !== rootObject));
    expect(elsewhere).not.toContain(root.secretAccessKey);
    expect(elsewhere).not.toContain(b64(root.secretAccessKey));
    // A tenant like any other: its key for the buckets Job, its policy (its own prefix only), its MinIO user.
    const tenants = secretData(defaults, `${RELEASE}-s3-tenants`, RELEASE_NAMESPACE);
    expect(tenants).toEqual({
      [`${RELEASE_NAMESPACE}.accessKey`]: runner.accessKeyId,
      [`${RELEASE_NAMESPACE}.secretKey`]: runner.secretAccessKey,
    });
    const policies = find(defaults, 'ConfigMap', `${RELEASE}-minio-tenant-policies`, RELEASE_NAMESPACE).data as Record<string, string>;
    expect(Object.keys(policies)).toEqual([`${RELEASE_NAMESPACE}.json`]);
    expect(JSON.parse(policies[`${RELEASE_NAMESPACE}.json`])).toEqual(expectedPolicy(RELEASE_NAMESPACE));
    expect(bucketsJob(defaults).initContainers.map((c) => c.args?.join(' '))).toEqual([
      'admin user add local $(TENANT_ACCESS_KEY) $(TENANT_SECRET_KEY)',
      `admin policy create local acog-tenant-${RELEASE_NAMESPACE} /policies/${RELEASE_NAMESPACE}.json`,
      `admin policy attach local acog-tenant-${RELEASE_NAMESPACE} --user $(TENANT_ACCESS_KEY)`,
    ]);

    // Named among others, the release namespace is a tenant too, each key different.
    const both = await render(RELEASE, RELEASE_NAMESPACE, { global: { episodeNamespaces: [RELEASE_NAMESPACE, 'team-a'] } });
    expect(Object.keys(secretData(both, `${RELEASE}-s3-tenants`, RELEASE_NAMESPACE)).sort()).toEqual(
      [RELEASE_NAMESPACE, 'team-a'].flatMap((ns) => [`${ns}.accessKey`, `${ns}.secretKey`]).sort(),
    );
    const keys = [rootOf(both), keyOf(both, RELEASE_NAMESPACE), keyOf(both, 'team-a')];
    expect(new Set(keys.map((key) => key.accessKeyId)).size).toBe(3);
    expect(new Set(keys.map((key) => key.secretAccessKey)).size).toBe(3);
  });

  it('renders nothing of this with your own S3 or your own key (existingSecret)', async () => {
    const ns = namespaces('acog');
    for (const name of [
      'bundled services off (AWS S3 with ambient credentials, your NATS and PostgreSQL)',
      'external S3 and NATS with network ranges',
      'existing secrets for the bundled services and private images',
    ]) {
      const rendered = await render(RELEASE, ns.release, VALUE_SETS[name](ns));
      expect(tenantObjects(rendered), name).toEqual([]);
      expect(
        rendered.filter((m) => m.kind === 'Secret' && m.metadata.name.startsWith(`${RELEASE}-s3`)),
        name,
      ).toEqual([]);
      // The runners read your Secret (existingSecret), or none (ambient credentials).
      const existing = (VALUE_SETS[name](ns).global as { s3: { credentials?: { existingSecret?: string } } }).s3.credentials
        ?.existingSecret;
      expect((runnerConfig(rendered).storageCredentials as { secretName?: string } | undefined)?.secretName, name).toBe(existing);
      const job = podTemplates(rendered).find((p) => p.source === `Job/${RELEASE}-minio-buckets`);
      expect(job?.spec.initContainers, name).toBeUndefined();
    }
  });
});

/** A Secret as the API server has it, its data decoded; undefined when there is none. */
async function liveSecret(name: string, namespace: string): Promise<SecretData | undefined> {
  const result = await kubectlResult(['get', 'secret', name, '-n', namespace, '-o', 'json']);
  if (result.code !== 0 && /NotFound/.test(result.stderr)) return undefined;
  const data = (JSON.parse(succeeded(result, `kubectl get secret ${name}`)) as Manifest).data as SecretData;
  return Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
}

async function secret(name: string, namespace: string): Promise<SecretData> {
  const data = await liveSecret(name, namespace);
  if (!data) throw new Error(`no Secret ${name} in ${namespace}`);
  return data;
}

/**
 * Puts a Secret where an earlier chart left one: written by helm (which applies server-side as the
 * field manager "helm"), with the labels and annotations of `like`, a Secret of the same release.
 */
async function leaveAsEarlierChart(name: string, namespace: string, key: SecretData, like: { name: string; namespace: string }) {
  const live = JSON.parse(
    succeeded(await kubectlResult(['get', 'secret', like.name, '-n', like.namespace, '-o', 'json']), 'kubectl get secret'),
  ) as Manifest;
  const { labels, annotations } = live.metadata;
  const old = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, labels, annotations },
    type: 'Opaque',
    data: { AWS_ACCESS_KEY_ID: b64(key.AWS_ACCESS_KEY_ID), AWS_SECRET_ACCESS_KEY: b64(key.AWS_SECRET_ACCESS_KEY) },
  };
  succeeded(
    await kubectlResult(['apply', '--server-side', '--field-manager=helm', '-f', '-'], { input: JSON.stringify(old) }),
    'kubectl apply',
  );
}

async function deleteSecret(name: string, namespace: string): Promise<void> {
  succeeded(await kubectlResult(['delete', 'secret', name, '-n', namespace]), `kubectl delete secret ${name}`);
}

/** A release installed for real (no hooks: the buckets Job would wait for a MinIO that nothing runs here), upgraded with its values. */
function installed(values: (release: string, releaseNamespace: string) => Values, episodeNamespaces: (release: string) => string[]) {
  const release = uniqueName('acog');
  const releaseNamespace = `${release}-system`;
  const episodes = episodeNamespaces(release);
  let dir: string;
  beforeAll(async () => {
    for (const namespace of new Set([releaseNamespace, ...episodes]))
      succeeded(await kubectlResult(['create', 'namespace', namespace]), `kubectl create namespace ${namespace}`);
    dir = await mkdtemp(join(tmpdir(), 'acog-tenancy-'));
    await writeFile(join(dir, 'values.yaml'), stringify(values(release, releaseNamespace)));
    succeeded(
      await helm(['install', release, '.', '-n', releaseNamespace, '--values', join(dir, 'values.yaml'), '--no-hooks', ...helmKubeArgs()]),
      'helm install',
    );
  }, 180_000);
  afterAll(async () => {
    await helm(['uninstall', release, '-n', releaseNamespace, '--wait=false', ...helmKubeArgs()]);
    for (const namespace of new Set([releaseNamespace, ...episodes]))
      await kubectlResult(['delete', 'namespace', namespace, '--wait=false']);
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return {
    release,
    releaseNamespace,
    episodes,
    async upgrade(): Promise<void> {
      succeeded(
        await helm(['upgrade', release, '.', '-n', releaseNamespace, '--reuse-values', '--no-hooks', ...helmKubeArgs()]),
        'helm upgrade',
      );
    },
    /** The tenants Secret, the root key (release namespace) and each episode namespace's runner key. */
    async keys(): Promise<{ tenants: SecretData; root: SecretData; runners: Record<string, SecretData> }> {
      const runners: Record<string, SecretData> = {};
      for (const namespace of episodes) runners[namespace] = await secret(runnerSecret(release), namespace);
      return {
        tenants: await secret(`${release}-s3-tenants`, releaseNamespace),
        root: await secret(rootSecret(release), releaseNamespace),
        runners,
      };
    },
  };
}

describe('the keys are kept across helm upgrade (lookup, on the API server)', () => {
  const it$ = installed(
    (release) => ({ global: { episodeNamespaces: [`${release}-a`, `${release}-b`] } }),
    (release) => [`${release}-a`, `${release}-b`],
  );
  const tenant = (i: number) => it$.episodes[i];

  it("reads every key back instead of making new ones; no episode namespace has the root key's Secret", async () => {
    const before = await it$.keys();
    for (const namespace of it$.episodes) {
      expect(before.runners[namespace].AWS_ACCESS_KEY_ID).not.toBe(before.root.AWS_ACCESS_KEY_ID);
      expect(before.runners[namespace].AWS_SECRET_ACCESS_KEY).not.toBe(before.root.AWS_SECRET_ACCESS_KEY);
      expect(before.tenants[`${namespace}.accessKey`]).toBe(before.runners[namespace].AWS_ACCESS_KEY_ID);
      expect(before.tenants[`${namespace}.secretKey`]).toBe(before.runners[namespace].AWS_SECRET_ACCESS_KEY);
      expect(await liveSecret(rootSecret(it$.release), namespace), namespace).toBeUndefined();
    }
    expect(before.runners[tenant(0)].AWS_ACCESS_KEY_ID).not.toBe(before.runners[tenant(1)].AWS_ACCESS_KEY_ID);
    await it$.upgrade();
    expect(await it$.keys()).toEqual(before);
  });

  it('replaces the root key that the chart before tenants copied into each episode namespace', async () => {
    const before = await it$.keys();
    const { root } = before;
    // As the chart left an episode namespace before tenants: the root key in its <fullname>-s3, no
    // runner Secret, and no tenants Secret.
    await leaveAsEarlierChart(rootSecret(it$.release), tenant(0), root, { name: runnerSecret(it$.release), namespace: tenant(0) });
    await deleteSecret(runnerSecret(it$.release), tenant(0));
    await deleteSecret(`${it$.release}-s3-tenants`, it$.releaseNamespace);
    expect((await secret(rootSecret(it$.release), tenant(0))).AWS_ACCESS_KEY_ID).toBe(root.AWS_ACCESS_KEY_ID);
    await it$.upgrade();
    const after = await it$.keys();
    expect(after.root).toEqual(root);
    expect(after.runners[tenant(0)].AWS_ACCESS_KEY_ID).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(after.runners[tenant(0)].AWS_ACCESS_KEY_ID).not.toBe(root.AWS_ACCESS_KEY_ID);
    expect(after.runners[tenant(0)].AWS_SECRET_ACCESS_KEY).not.toBe(root.AWS_SECRET_ACCESS_KEY);
    expect(after.tenants[`${tenant(0)}.accessKey`]).toBe(after.runners[tenant(0)].AWS_ACCESS_KEY_ID);
    // The other tenant's key, still in its runner Secret, is kept.
    expect(after.runners[tenant(1)]).toEqual(before.runners[tenant(1)]);
    expect(after.tenants[`${tenant(1)}.accessKey`]).toBe(before.runners[tenant(1)].AWS_ACCESS_KEY_ID);
    // A real upgrade deletes that Secret with the old release's objects; this one was never helm's.
    await deleteSecret(rootSecret(it$.release), tenant(0));
  });

  it("keeps the tenant key that the chart kept in an episode namespace's <fullname>-s3 before runners had a Secret of their own", async () => {
    const before = await it$.keys();
    const key = before.runners[tenant(1)];
    await leaveAsEarlierChart(rootSecret(it$.release), tenant(1), key, { name: runnerSecret(it$.release), namespace: tenant(1) });
    await deleteSecret(runnerSecret(it$.release), tenant(1));
    await deleteSecret(`${it$.release}-s3-tenants`, it$.releaseNamespace);
    await it$.upgrade();
    const after = await it$.keys();
    expect(after.runners[tenant(1)]).toEqual(key);
    expect(after.tenants[`${tenant(1)}.accessKey`]).toBe(key.AWS_ACCESS_KEY_ID);
    expect(after.tenants[`${tenant(1)}.secretKey`]).toBe(key.AWS_SECRET_ACCESS_KEY);
    expect(after.runners[tenant(0)]).toEqual(before.runners[tenant(0)]);
    expect(after.root).toEqual(before.root);
    await deleteSecret(rootSecret(it$.release), tenant(1));
  });
});

describe('by default (the release namespace is the episode namespace), across helm upgrade', () => {
  const it$ = installed(
    () => ({}),
    () => [],
  );

  it("gives the release namespace's runners a key of their own, never the root key, kept across upgrades", async () => {
    const read = async () => ({
      root: await secret(rootSecret(it$.release), it$.releaseNamespace),
      runner: await secret(runnerSecret(it$.release), it$.releaseNamespace),
      tenants: await secret(`${it$.release}-s3-tenants`, it$.releaseNamespace),
    });
    const before = await read();
    expect(before.runner.AWS_ACCESS_KEY_ID).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(before.runner.AWS_ACCESS_KEY_ID).not.toBe(before.root.AWS_ACCESS_KEY_ID);
    expect(before.runner.AWS_SECRET_ACCESS_KEY).not.toBe(before.root.AWS_SECRET_ACCESS_KEY);
    expect(before.tenants).toEqual({
      [`${it$.releaseNamespace}.accessKey`]: before.runner.AWS_ACCESS_KEY_ID,
      [`${it$.releaseNamespace}.secretKey`]: before.runner.AWS_SECRET_ACCESS_KEY,
    });
    await it$.upgrade();
    expect(await read()).toEqual(before);

    // Upgrading from a chart that left the release namespace's runners the root key (<fullname>-s3
    // alone, no runner Secret, no tenants Secret): a new key of their own, the root key untouched.
    await deleteSecret(runnerSecret(it$.release), it$.releaseNamespace);
    await deleteSecret(`${it$.release}-s3-tenants`, it$.releaseNamespace);
    await it$.upgrade();
    const after = await read();
    expect(after.root).toEqual(before.root);
    expect(after.runner.AWS_ACCESS_KEY_ID).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(after.runner.AWS_ACCESS_KEY_ID).not.toBe(before.root.AWS_ACCESS_KEY_ID);
    expect(after.runner.AWS_SECRET_ACCESS_KEY).not.toBe(before.root.AWS_SECRET_ACCESS_KEY);
    expect(after.tenants[`${it$.releaseNamespace}.accessKey`]).toBe(after.runner.AWS_ACCESS_KEY_ID);
  });
});

/** Runs hack/tools/minio-admin with the local MinIO's root key. */
async function minioAdmin(admin: string, args: string[], input?: string): Promise<void> {
  const { s3 } = localEnv();
  const env = { ...process.env, MINIO_ENDPOINT: s3.endpoint, MINIO_ACCESS_KEY: s3.accessKeyId, MINIO_SECRET_KEY: s3.secretAccessKey };
  succeeded(await exec(admin, args, { env, input }), `minio-admin ${args[0]}`);
}

/**
 * The buckets Job's tenant steps, as its mc would run them against alias "local": each $(VAR) of an
 * argument from the container's env (a secretKeyRef into the rendered release-namespace Secrets),
 * each /policies/ file from the rendered ConfigMap. "local" is the control plane's MinIO and its root
 * key, not the rendered one (which no MinIO here has). The users and policies made go into `made`,
 * for the cleanup.
 */
async function runTenantSteps(admin: string, manifests: Manifest[], made: { users: Set<string>; policies: Set<string> }): Promise<void> {
  const policies = find(manifests, 'ConfigMap', `${RELEASE}-minio-tenant-policies`, RELEASE_NAMESPACE).data as Record<string, string>;
  for (const container of bucketsJob(manifests).initContainers) {
    const vars = new Map<string, string>();
    for (const e of container.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      if (ref) vars.set(e.name, secretData(manifests, ref.name, RELEASE_NAMESPACE)[ref.key]);
    }
    const args = (container.args ?? []).map((arg) =>
      arg.replace(/\$\((\w+)\)/g, (_, name: string) => {
        const value = vars.get(name);
        if (value === undefined) throw new Error(`${container.name}: $(${name}) is not in its env`);
        return value;
      }),
    );
    const [admin_, noun, verb, alias, ...rest] = args;
    expect([admin_, alias], container.name).toEqual(['admin', 'local']);
    if (`${noun} ${verb}` === 'user add') {
      const [accessKey, secretKey] = rest;
      await minioAdmin(admin, ['add-user', accessKey], secretKey);
      made.users.add(accessKey);
    } else if (`${noun} ${verb}` === 'policy create') {
      const [name, path] = rest;
      const file = /^\/policies\/(.+)$/.exec(path)?.[1];
      if (!file || !(file in policies)) throw new Error(`${container.name}: ${path} is not in the policies ConfigMap`);
      await minioAdmin(admin, ['add-policy', name, '-'], policies[file]);
      made.policies.add(name);
    } else if (`${noun} ${verb}` === 'policy attach') {
      const [name, flag, user] = rest;
      expect(flag).toBe('--user');
      await minioAdmin(admin, ['attach-policy', name, user]);
    } else throw new Error(`${container.name}: mc ${args.join(' ')} is not a step this test knows`);
  }
}

async function removeMade(admin: string, made: { users: Set<string>; policies: Set<string> }): Promise<void> {
  for (const user of made.users) await minioAdmin(admin, ['remove-user', user]).catch(() => undefined);
  for (const policy of made.policies) await minioAdmin(admin, ['remove-policy', policy]).catch(() => undefined);
}

function clientFor(key: Key): S3Client {
  const { s3 } = localEnv();
  return new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: key, maxAttempts: 1 });
}

/** Sends one request as `who` and prints it with its outcome: "ok" or the error's name. */
async function attemptAs(who: string, what: string, send: () => Promise<unknown>): Promise<string> {
  let outcome: string;
  try {
    await send();
    outcome = 'ok';
  } catch (error) {
    const { name, $metadata } = error as Error & { $metadata?: { httpStatusCode?: number } };
    // A HEAD response has no body to name the error: the SDK says "Unknown"; its status says more.
    outcome = name === 'Unknown' && $metadata?.httpStatusCode === 403 ? 'Forbidden (403)' : name;
  }
  console.log(`${who} ${what} → ${outcome}`);
  return outcome;
}

async function findAdmin(): Promise<string> {
  const started = Date.now();
  const admin = await findMinioAdmin((line) => console.error(`[minio-admin] ${line}`));
  console.error(`[minio-admin] ready in ${Math.round((Date.now() - started) / 1000)}s: ${admin}`);
  return admin;
}

describe("against the real MinIO: team-b's key reaches team-b's prefix only", () => {
  const run = uniqueName('run');
  let manifests: Manifest[];
  let admin: string;
  let root: S3Client;
  let teamB: S3Client;
  const made = { users: new Set<string>(), policies: new Set<string>() };
  const attempt = (what: string, send: () => Promise<unknown>) => attemptAs('team-b', what, send);

  beforeAll(async () => {
    admin = await findAdmin();
    manifests = await render(RELEASE, RELEASE_NAMESPACE, VALUES);
    await runTenantSteps(admin, manifests, made);
    // Applied twice, as every upgrade's Job does: each step must be harmless when done already.
    await runTenantSteps(admin, manifests, made);
    root = s3Client();
    teamB = clientFor(keyOf(manifests, 'team-b'));
    for (const bucket of BUCKETS)
      for (const namespace of TENANTS)
        await root.send(new PutObjectCommand({ Bucket: bucket, Key: `${namespace}/${run}/x`, Body: `${namespace}'s object` }));
  }, TOOLS_BUILD_TIMEOUT);

  afterAll(async () => {
    if (!admin) return;
    for (const bucket of BUCKETS)
      for (const namespace of TENANTS) {
        const listed = await root.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${namespace}/${run}/` }));
        for (const object of listed.Contents ?? []) await root.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key }));
      }
    await removeMade(admin, made);
    root?.destroy();
    teamB?.destroy();
  });

  it("is refused every read, listing, write and delete under team-a's prefix, in each bucket", async () => {
    for (const Bucket of BUCKETS) {
      const Key = `team-a/${run}/x`;
      const where = `${Bucket}/${Key}`;
      const outcomes = [
        await attempt(`GetObject ${where}`, () => teamB.send(new GetObjectCommand({ Bucket, Key }))),
        await attempt(`HeadObject ${where}`, () => teamB.send(new HeadObjectCommand({ Bucket, Key }))),
        await attempt(`ListObjectsV2 ${Bucket}/team-a/`, () => teamB.send(new ListObjectsV2Command({ Bucket, Prefix: 'team-a/' }))),
        await attempt(`PutObject ${Bucket}/team-a/${run}/y`, () =>
          teamB.send(new PutObjectCommand({ Bucket, Key: `team-a/${run}/y`, Body: 'not yours' })),
        ),
        await attempt(`PutObject ${where} (overwrite)`, () => teamB.send(new PutObjectCommand({ Bucket, Key, Body: 'not yours' }))),
        await attempt(`DeleteObject ${where}`, () => teamB.send(new DeleteObjectCommand({ Bucket, Key }))),
        await attempt(`CreateMultipartUpload ${Bucket}/team-a/${run}/big`, () =>
          teamB.send(new CreateMultipartUploadCommand({ Bucket, Key: `team-a/${run}/big` })),
        ),
      ];
      expect(outcomes).toEqual([
        'AccessDenied',
        'Forbidden (403)',
        'AccessDenied',
        'AccessDenied',
        'AccessDenied',
        'AccessDenied',
        'AccessDenied',
      ]);
      // team-a's object is as it was.
      const object = await root.send(new GetObjectCommand({ Bucket, Key }));
      expect(await object.Body!.transformToString()).toBe("team-a's object");
      expect((await root.send(new ListObjectsV2Command({ Bucket, Prefix: `team-a/${run}/` }))).KeyCount).toBe(1);
    }
  });

  it('is refused listings beyond its prefix, buckets outside minio.buckets, and making buckets; sees only the names of its buckets', async () => {
    const other = `tenancy-${run}`;
    await root.send(new CreateBucketCommand({ Bucket: other }));
    try {
      await root.send(new PutObjectCommand({ Bucket: other, Key: 'team-b/x', Body: 'elsewhere' }));
      const outcomes = [
        await attempt('ListObjectsV2 acog-assets (no prefix)', () => teamB.send(new ListObjectsV2Command({ Bucket: 'acog-assets' }))),
        await attempt('ListObjectsV2 acog-assets (delimiter /)', () =>
          teamB.send(new ListObjectsV2Command({ Bucket: 'acog-assets', Delimiter: '/' })),
        ),
        // "team-b" without the slash would also match a namespace "team-bb".
        await attempt('ListObjectsV2 acog-assets/team-b (no slash)', () =>
          teamB.send(new ListObjectsV2Command({ Bucket: 'acog-assets', Prefix: 'team-b' })),
        ),
        await attempt('ListObjectsV2 acog-assets/team-a (no slash)', () =>
          teamB.send(new ListObjectsV2Command({ Bucket: 'acog-assets', Prefix: 'team-a' })),
        ),
        await attempt(`ListObjectsV2 ${other}/team-b/`, () => teamB.send(new ListObjectsV2Command({ Bucket: other, Prefix: 'team-b/' }))),
        await attempt(`GetObject ${other}/team-b/x`, () => teamB.send(new GetObjectCommand({ Bucket: other, Key: 'team-b/x' }))),
        await attempt(`PutObject ${other}/team-b/y`, () => teamB.send(new PutObjectCommand({ Bucket: other, Key: 'team-b/y', Body: 'y' }))),
        await attempt(`CreateBucket team-b-${run}`, () => teamB.send(new CreateBucketCommand({ Bucket: `team-b-${run}` }))),
      ];
      expect(outcomes).toEqual(Array(8).fill('AccessDenied'));
      // MinIO answers ListBuckets for any user with the buckets its policies name: names, no contents.
      const listed = await teamB.send(new ListBucketsCommand({}));
      const names = (listed.Buckets ?? []).map((b) => b.Name).sort();
      console.log(`team-b ListBuckets → ok (${names.join(', ')})`);
      expect(names).toEqual(BUCKETS);
    } finally {
      await root.send(new DeleteObjectCommand({ Bucket: other, Key: 'team-b/x' }));
      await root.send(new DeleteBucketCommand({ Bucket: other }));
    }
  });

  it('reads, lists, writes and deletes under its own prefix, in each bucket', async () => {
    for (const Bucket of BUCKETS) {
      const Key = `team-b/${run}/own`;
      const where = `${Bucket}/${Key}`;
      expect(await attempt(`PutObject ${where}`, () => teamB.send(new PutObjectCommand({ Bucket, Key, Body: 'mine' })))).toBe('ok');
      expect(await attempt(`HeadObject ${where}`, () => teamB.send(new HeadObjectCommand({ Bucket, Key })))).toBe('ok');
      const body = await teamB.send(new GetObjectCommand({ Bucket, Key }));
      expect(await body.Body!.transformToString()).toBe('mine');
      console.log(`team-b GetObject ${where} → ok`);
      const listed = await teamB.send(new ListObjectsV2Command({ Bucket, Prefix: `team-b/${run}/` }));
      expect(listed.Contents?.map((o) => o.Key).sort()).toEqual([`team-b/${run}/own`, `team-b/${run}/x`]);
      console.log(`team-b ListObjectsV2 ${Bucket}/team-b/${run}/ → ok (${listed.KeyCount} objects)`);
      expect(
        await attempt(`ListObjectsV2 ${Bucket}/team-b/ (delimiter /)`, () =>
          teamB.send(new ListObjectsV2Command({ Bucket, Prefix: 'team-b/', Delimiter: '/' })),
        ),
      ).toBe('ok');
      expect(await attempt(`GetBucketLocation ${Bucket}`, () => teamB.send(new GetBucketLocationCommand({ Bucket })))).toBe('ok');
      expect(await attempt(`DeleteObject ${where}`, () => teamB.send(new DeleteObjectCommand({ Bucket, Key })))).toBe('ok');
      expect((await root.send(new ListObjectsV2Command({ Bucket, Prefix: `team-b/${run}/` }))).Contents?.map((o) => o.Key)).toEqual([
        `team-b/${run}/x`,
      ]);
    }
  });

  it('uploads in parts under its own prefix, lists the parts, completes one upload and aborts another', async () => {
    const Bucket = 'acog-assets';
    const Key = `team-b/${run}/big.bin`;
    const parts = [randomBytes(5 * 1024 * 1024), randomBytes(1024)];
    const { UploadId } = await teamB.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    console.log(`team-b CreateMultipartUpload ${Bucket}/${Key} → ok`);
    const etags: string[] = [];
    for (const [i, Body] of parts.entries()) {
      const { ETag } = await teamB.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: i + 1, Body }));
      console.log(`team-b UploadPart ${i + 1} ${Bucket}/${Key} → ok`);
      etags.push(ETag!);
    }
    const listedParts = await teamB.send(new ListPartsCommand({ Bucket, Key, UploadId }));
    expect(listedParts.Parts?.map((p) => p.PartNumber)).toEqual([1, 2]);
    console.log(`team-b ListParts ${Bucket}/${Key} → ok`);
    expect(
      await attempt(`CompleteMultipartUpload ${Bucket}/${Key}`, () =>
        teamB.send(
          new CompleteMultipartUploadCommand({
            Bucket,
            Key,
            UploadId,
            MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
          }),
        ),
      ),
    ).toBe('ok');
    const head = await root.send(new HeadObjectCommand({ Bucket, Key }));
    expect(head.ContentLength).toBe(parts[0].length + parts[1].length);

    const other = await teamB.send(new CreateMultipartUploadCommand({ Bucket, Key: `team-b/${run}/aborted.bin` }));
    expect(
      await attempt(`AbortMultipartUpload ${Bucket}/team-b/${run}/aborted.bin`, () =>
        teamB.send(new AbortMultipartUploadCommand({ Bucket, Key: `team-b/${run}/aborted.bin`, UploadId: other.UploadId })),
      ),
    ).toBe('ok');
  });

  it('does what a runner does with its key (the S3 artifact store): multipart put, get, list, delete its prefix', async () => {
    const key = keyOf(manifests, 'team-b');
    const { s3 } = localEnv();
    const store = new S3ArtifactStore({ endpoint: s3.endpoint, region: s3.region, credentials: key, partSizeBytes: 5 * 1024 * 1024 });
    try {
      const prefix = `s3://acog-assets/team-b/${run}/episode/`;
      const video = randomBytes(6 * 1024 * 1024);
      await store.putBytes(`${prefix}voice/1/narration.mp3`, video);
      await store.putBytes(`s3://acog-scripts/team-b/${run}/episode/plan/1/plan.json`, '{}');
      expect((await store.getBytes(`${prefix}voice/1/narration.mp3`)).equals(video)).toBe(true);
      expect(await store.exists(`${prefix}voice/1/narration.mp3`)).toBe(true);
      expect(await store.list(prefix)).toEqual([`${prefix}voice/1/narration.mp3`]);
      expect(await store.deletePrefix(prefix)).toBe(1);
      expect(await store.deletePrefix(`s3://acog-scripts/team-b/${run}/episode/`)).toBe(1);
      console.log(`team-b artifact store put/get/list/deletePrefix ${prefix} → ok`);
      const refused = await store.getBytes(`s3://acog-assets/team-a/${run}/x`).then(
        () => 'ok',
        (error: Error) => error.name,
      );
      console.log(`team-b artifact store getBytes s3://acog-assets/team-a/${run}/x → ${refused}`);
      expect(refused).toBe('AccessDenied');
    } finally {
      store.client.destroy();
    }
  });

  it("team-a's key reaches team-a's prefix and not team-b's (the same policy, the other way)", async () => {
    const teamA = clientFor(keyOf(manifests, 'team-a'));
    try {
      const own = await teamA.send(new GetObjectCommand({ Bucket: 'acog-assets', Key: `team-a/${run}/x` }));
      expect(await own.Body!.transformToString()).toBe("team-a's object");
      const refused = await teamA.send(new GetObjectCommand({ Bucket: 'acog-assets', Key: `team-b/${run}/x` })).then(
        () => 'ok',
        (error: Error) => error.name,
      );
      console.log(`team-a GetObject acog-assets/team-b/${run}/x → ${refused}`);
      expect(refused).toBe('AccessDenied');
    } finally {
      teamA.destroy();
    }
  });
});

describe("against the real MinIO, by default: the release namespace's runner key reaches its own prefix only", () => {
  const run = uniqueName('run');
  const own = RELEASE_NAMESPACE;
  let admin: string;
  let root: S3Client;
  let runner: S3Client;
  const made = { users: new Set<string>(), policies: new Set<string>() };
  const attempt = (what: string, send: () => Promise<unknown>) => attemptAs(own, what, send);

  beforeAll(async () => {
    admin = await findAdmin();
    // The default values: no episode namespaces named, so the release namespace is the one.
    const manifests = await render(RELEASE, RELEASE_NAMESPACE, {});
    await runTenantSteps(admin, manifests, made);
    root = s3Client();
    runner = clientFor(keyOf(manifests, RELEASE_NAMESPACE));
    for (const namespace of [own, 'team-a'])
      await root.send(new PutObjectCommand({ Bucket: 'acog-assets', Key: `${namespace}/${run}/x`, Body: `${namespace}'s object` }));
  }, TOOLS_BUILD_TIMEOUT);

  afterAll(async () => {
    if (!admin) return;
    for (const namespace of [own, 'team-a']) {
      const listed = await root.send(new ListObjectsV2Command({ Bucket: 'acog-assets', Prefix: `${namespace}/${run}/` }));
      for (const object of listed.Contents ?? []) await root.send(new DeleteObjectCommand({ Bucket: 'acog-assets', Key: object.Key }));
    }
    await removeMade(admin, made);
    root?.destroy();
    runner?.destroy();
  });

  it('is refused what the root key may do: another prefix, the whole bucket, making buckets', async () => {
    const Bucket = 'acog-assets';
    const other = `team-a/${run}/x`;
    const outcomes = [
      await attempt(`GetObject ${Bucket}/${other}`, () => runner.send(new GetObjectCommand({ Bucket, Key: other }))),
      await attempt(`PutObject ${Bucket}/${other} (overwrite)`, () =>
        runner.send(new PutObjectCommand({ Bucket, Key: other, Body: 'not yours' })),
      ),
      await attempt(`DeleteObject ${Bucket}/${other}`, () => runner.send(new DeleteObjectCommand({ Bucket, Key: other }))),
      await attempt(`ListObjectsV2 ${Bucket} (no prefix)`, () => runner.send(new ListObjectsV2Command({ Bucket }))),
      await attempt(`ListObjectsV2 ${Bucket}/team-a/`, () => runner.send(new ListObjectsV2Command({ Bucket, Prefix: 'team-a/' }))),
      await attempt(`CreateBucket ${own}-${run}`, () => runner.send(new CreateBucketCommand({ Bucket: `${own}-${run}` }))),
    ];
    expect(outcomes).toEqual(Array(6).fill('AccessDenied'));
    const object = await root.send(new GetObjectCommand({ Bucket, Key: other }));
    expect(await object.Body!.transformToString()).toBe("team-a's object");
  });

  it('reads, lists, writes and deletes under its own prefix', async () => {
    const Bucket = 'acog-assets';
    const Key = `${own}/${run}/own`;
    expect(await attempt(`PutObject ${Bucket}/${Key}`, () => runner.send(new PutObjectCommand({ Bucket, Key, Body: 'mine' })))).toBe('ok');
    const body = await runner.send(new GetObjectCommand({ Bucket, Key: `${own}/${run}/x` }));
    expect(await body.Body!.transformToString()).toBe(`${own}'s object`);
    const listed = await runner.send(new ListObjectsV2Command({ Bucket, Prefix: `${own}/${run}/` }));
    expect(listed.Contents?.map((o) => o.Key).sort()).toEqual([`${own}/${run}/own`, `${own}/${run}/x`]);
    expect(await attempt(`DeleteObject ${Bucket}/${Key}`, () => runner.send(new DeleteObjectCommand({ Bucket, Key })))).toBe('ok');
  });
});
