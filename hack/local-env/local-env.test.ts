// Every service of the local control plane answers, and does the real thing.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  AuthenticationV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
} from '@kubernetes/client-node';
import { jetstream, jetstreamManager, AckPolicy } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { GenericContainer, Wait } from 'testcontainers';
import { GROUP, VERSION } from '@acog/api';
import { kubeConfig, localEnv, s3Client, uniqueName } from '../../test/support/env.ts';
import { apiFailure, createNamespace, example } from '../../test/support/kube.ts';

describe('S3 (MinIO)', () => {
  it('stores a 50 MB object in acog-assets and serves it whole and by byte range', async () => {
    const s3 = s3Client();
    const body = randomBytes(50 * 1024 * 1024);
    const key = `${uniqueName('it')}/big.bin`;
    await s3.send(new PutObjectCommand({ Bucket: 'acog-assets', Key: key, Body: body }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'acog-assets', Key: key }));
    expect(head.ContentLength).toBe(body.length);

    const whole = Buffer.from(
      await (await s3.send(new GetObjectCommand({ Bucket: 'acog-assets', Key: key }))).Body!.transformToByteArray(),
    );
    expect(createHash('sha256').update(whole).digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));

    const start = 31_457_280 - 17;
    const ranged = await s3.send(new GetObjectCommand({ Bucket: 'acog-assets', Key: key, Range: `bytes=${start}-${start + 65_535}` }));
    expect(ranged.ContentRange).toBe(`bytes ${start}-${start + 65_535}/${body.length}`);
    expect(Buffer.from(await ranged.Body!.transformToByteArray()).equals(body.subarray(start, start + 65_536))).toBe(true);
    s3.destroy();
  });

  it('has the buckets of the original design', () => {
    expect(localEnv().s3.buckets).toEqual(['acog-assets', 'acog-scripts']);
  });
});

describe('NATS JetStream', () => {
  it('publishes with de-duplication and delivers to a durable consumer that resumes after reconnecting', async () => {
    const stream = uniqueName('events').replace(/-/g, '_').toUpperCase();
    const subject = `acog.test.${stream}.plan`;
    const nc = await connect({ servers: localEnv().nats.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [`acog.test.${stream}.>`], duplicate_window: 60_000_000_000 });
    await jsm.consumers.add(stream, { durable_name: 'operator', ack_policy: AckPolicy.Explicit });
    const js = jetstream(nc);
    const first = await js.publish(subject, JSON.stringify({ stage: 'plan', attempt: 1 }), { msgID: 'uid/plan/1' });
    const again = await js.publish(subject, JSON.stringify({ stage: 'plan', attempt: 1 }), { msgID: 'uid/plan/1' });
    expect(first.duplicate).toBe(false);
    expect(again.duplicate).toBe(true);
    await nc.close();

    // A new connection finds the durable consumer and the one message still unacknowledged.
    const nc2 = await connect({ servers: localEnv().nats.url });
    const consumer = await jetstream(nc2).consumers.get(stream, 'operator');
    const message = await consumer.next({ expires: 5000 });
    expect(message?.json()).toEqual({ stage: 'plan', attempt: 1 });
    expect(message?.headers?.get('Nats-Msg-Id')).toBe('uid/plan/1');
    message?.ack();
    expect(await consumer.next({ expires: 1000 })).toBeNull();
    await nc2.close();
  });
});

describe('PostgreSQL', () => {
  it('answers queries in its own database with password authentication', async () => {
    const url = localEnv().postgres.url;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query<{ db: string; version: string }>('select current_database() as db, version()');
    expect(rows[0].db).toBe('acog');
    expect(rows[0].version).toMatch(/^PostgreSQL \d+/);
    await client.query('create temporary table ledger (stage text, cost numeric(12,6))');
    await client.query("insert into ledger values ('plan', 0.0123), ('voice', 0.25)");
    expect((await client.query('select sum(cost)::text as total from ledger')).rows[0].total).toBe('0.262300');
    await client.end();

    const wrong = new pg.Client({ connectionString: url.replace(/:[^:@/]+@/, ':wrong@') });
    await expect(wrong.connect()).rejects.toThrow(/password authentication failed/);
  });
});

describe('Docker', () => {
  it('builds an image from the locally made Debian base and runs it (testcontainers)', async () => {
    const context = await mkdtemp(join(tmpdir(), 'acog-image-'));
    await writeFile(
      join(context, 'Dockerfile'),
      [
        'FROM acog/debian:bookworm',
        'RUN echo "built $(cat /etc/debian_version)" > /built',
        'USER 65534:65534',
        'CMD ["sh", "-c", "cat /built; echo uid=$(id -u)"]',
      ].join('\n'),
    );
    const image = await GenericContainer.fromDockerfile(context).build('acog-local-test:latest', { deleteOnExit: false });
    const container = await image.withWaitStrategy(Wait.forOneShotStartup()).withStartupTimeout(60_000).start();
    const logs = await new Promise<string>((resolve, reject) => {
      let out = '';
      container.logs().then((stream) => {
        stream.on('data', (chunk: Buffer | string) => (out += chunk.toString()));
        stream.on('end', () => resolve(out));
        stream.on('error', reject);
      }, reject);
    });
    expect(logs).toMatch(/^built 12\.\d+/m);
    expect(logs).toMatch(/^uid=65534$/m);
    await container.stop();
  });
});

describe('kube-apiserver', () => {
  it('issues service-account tokens that authenticate as the service account', async () => {
    const admin = kubeConfig('admin');
    const namespace = uniqueName('sa');
    await createNamespace(admin, namespace);
    const core = admin.makeApiClient(CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'runner' } } });
    const request = await core.createNamespacedServiceAccountToken({
      namespace,
      name: 'runner',
      body: { spec: { audiences: [localEnv().kubernetes.serviceAccountIssuer], expirationSeconds: 600 } },
    });
    const token = request.status?.token;
    expect(token).toMatch(/^ey/);
    const review = await kubeConfig({ token: token! }).makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    expect(review.status?.userInfo?.username).toBe(`system:serviceaccount:${namespace}:runner`);
    // No role is bound to it: it can read nothing.
    const denied = await apiFailure(kubeConfig({ token: token! }).makeApiClient(CoreV1Api).listNamespacedPod({ namespace }));
    expect(denied.code).toBe(403);
  });

  it('authenticates the three users and enforces their RBAC', async () => {
    const whoami = async (role: 'admin' | 'editor' | 'viewer') =>
      (await kubeConfig(role).makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} })).status?.userInfo?.username;
    expect(await whoami('admin')).toBe('acog-admin');
    expect(await whoami('editor')).toBe('acog-editor');
    expect(await whoami('viewer')).toBe('acog-viewer');

    const channel = await example<{ metadata: { name: string } }>('channel.yaml');
    const create = (role: 'editor' | 'viewer', namespace: string) => {
      const body = structuredClone(channel);
      body.metadata.name = uniqueName('rbac');
      return kubeConfig(role)
        .makeApiClient(CustomObjectsApi)
        .createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: 'channels', body });
    };
    await expect(create('editor', 'team-a')).resolves.toBeDefined();
    const otherNamespace = await apiFailure(create('editor', 'team-b'));
    expect(otherNamespace.code).toBe(403);
    expect(otherNamespace.message).toMatch(
      /acog-editor.*cannot create resource "channels" in API group "acog.dev" in the namespace "team-b"/,
    );
    const viewer = await apiFailure(create('viewer', 'team-a'));
    expect(viewer.code).toBe(403);
    expect(viewer.message).toMatch(/acog-viewer.*cannot create resource "channels"/);
    const list = await kubeConfig('viewer')
      .makeApiClient(CustomObjectsApi)
      .listClusterCustomObject({ group: GROUP, version: VERSION, plural: 'channels' });
    expect((list as { items: unknown[] }).items.length).toBeGreaterThan(0);
  });

  it('refuses anonymous requests', async () => {
    const failure = await apiFailure(kubeConfig({ token: 'not-a-token' }).makeApiClient(CoreV1Api).listNamespace());
    expect(failure.code).toBe(401);
  });
});

describe('kube-controller-manager and kube-scheduler', () => {
  it('schedule a Job’s Pod onto a Ready Node, judge the Job from the Pod’s status, then collect both after the TTL', async () => {
    const admin = kubeConfig('admin');
    const core = admin.makeApiClient(CoreV1Api);
    const batch = admin.makeApiClient(BatchV1Api);
    const namespace = uniqueName('ctl');
    await createNamespace(admin, namespace);
    // The ServiceAccount admission plugin requires the "default" ServiceAccount the controller makes.
    await until(async () => !!(await core.readNamespacedServiceAccount({ namespace, name: 'default' }).catch(() => undefined)));

    // A tainted Node of this namespace's own, as the node harness registers (PodNodeSelector and
    // PodTolerationRestriction give the namespace's Pods the way to it, and no other Pod).
    const node = `ctl-${namespace}`;
    await core.patchNamespace(
      {
        name: namespace,
        body: {
          metadata: {
            annotations: {
              'scheduler.alpha.kubernetes.io/node-selector': `acog.dev/harness=${namespace}`,
              'scheduler.alpha.kubernetes.io/defaultTolerations': JSON.stringify([
                { key: 'acog.dev/harness', operator: 'Equal', value: namespace, effect: 'NoSchedule' },
              ]),
            },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await core.createNode({
      body: {
        metadata: { name: node, labels: { 'acog.dev/harness': namespace } },
        spec: { taints: [{ key: 'acog.dev/harness', value: namespace, effect: 'NoSchedule' }] },
      },
    });
    const capacity = { cpu: '4', memory: '8Gi', pods: '1' };
    await core.patchNodeStatus(
      { name: node, body: { status: { capacity, allocatable: capacity, conditions: [{ type: 'Ready', status: 'True' }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );

    const job = (name: string, ttl: number) =>
      batch.createNamespacedJob({
        namespace,
        body: {
          metadata: { name },
          spec: {
            backoffLimit: 0,
            ttlSecondsAfterFinished: ttl,
            template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'acog/runner:dev' }] } },
          },
        },
      });
    const podOf = async (name: string) =>
      (await core.listNamespacedPod({ namespace, labelSelector: `batch.kubernetes.io/job-name=${name}` })).items[0];
    const report = async (pod: V1Pod, exitCode: number, message: string) => {
      const now = new Date();
      await core.patchNamespacedPodStatus(
        {
          namespace,
          name: pod.metadata!.name!,
          body: {
            status: {
              phase: exitCode === 0 ? 'Succeeded' : 'Failed',
              containerStatuses: [
                {
                  name: 'main',
                  image: 'acog/runner:dev',
                  imageID: '',
                  ready: false,
                  restartCount: 0,
                  state: { terminated: { exitCode, message, reason: exitCode ? 'Error' : 'Completed', startedAt: now, finishedAt: now } },
                },
              ],
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    };
    const condition = async (name: string) =>
      (await batch.readNamespacedJob({ namespace, name }).catch(() => undefined))?.status?.conditions?.find(
        (c) => ['Complete', 'Failed'].includes(c.type) && c.status === 'True',
      );

    try {
      await job('fails', 3600);
      await until(async () => !!(await podOf('fails'))?.spec?.nodeName);
      const failing = await podOf('fails');
      expect(failing.spec?.nodeName).toBe(node);
      expect(failing.spec?.nodeSelector).toEqual({ 'acog.dev/harness': namespace });

      // The Node holds one Pod: the second Job's Pod waits until the first has ended.
      await job('succeeds', 1);
      await until(async () => (await podOf('succeeds'))?.status?.conditions?.some((c) => c.type === 'PodScheduled') ?? false);
      expect((await podOf('succeeds')).spec?.nodeName).toBeUndefined();

      await report(failing, 3, 'the script was too short');
      await until(async () => !!(await condition('fails')));
      expect(await condition('fails')).toMatchObject({ type: 'Failed', reason: 'BackoffLimitExceeded' });
      expect((await podOf('fails')).status?.containerStatuses?.[0].state?.terminated?.message).toBe('the script was too short');

      await until(async () => (await podOf('succeeds'))?.spec?.nodeName === node);
      await report(await podOf('succeeds'), 0, '');
      await until(async () => (await condition('succeeds'))?.type === 'Complete');
      // ttlSecondsAfterFinished: 1 — the TTL controller deletes the Job, the garbage collector its Pod.
      await until(
        async () => !(await batch.readNamespacedJob({ namespace, name: 'succeeds' }).catch(() => undefined)) && !(await podOf('succeeds')),
        30_000,
      );
    } finally {
      await core.deleteNode({ name: node });
    }
  }, 90_000);
});

async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true after ${timeoutMs / 1000}s: ${check.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
