import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS_STREAM, EVENTS_SUBJECTS } from '@acog/api';
import { freePort, httpOk, startProcess, waitUntil, type ManagedProcess } from '@acog/hack/local-env/process';
import { startNats } from '@acog/hack/local-env/services/nats';
import { localEnv, serviceEnv } from '../../../../test/support/env.ts';
import { acog, admin, createChannel, freshNamespace, unscheduled } from '../../testing.ts';

const core = admin().makeApiClient(CoreV1Api);
const apps = admin().makeApiClient(AppsV1Api);
let ns: string;
/** NATS servers of this file's own, so the stream's absence is certain: one with JetStream, one without. */
let nats: { url: string; process: ManagedProcess };
let plainNats: { url: string; process: ManagedProcess };
const SECRET_VALUE = 'sk-never-printed-4f1c9b';

function env(): Record<string, string> {
  return { ...serviceEnv(), ACOG_NATS_URL: nats.url };
}

async function createSecret(name: string, data: Record<string, string>): Promise<void> {
  await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name }, stringData: data } });
}

beforeAll(async () => {
  ns = await freshNamespace('wr-doctor');
  await createChannel(ns, 'offline', unscheduled());
  await createChannel(
    ns,
    'paid',
    unscheduled({
      providers: {
        llm: { provider: 'openai', secretRef: { name: 'paid-openai' } },
        voice: { provider: 'elevenlabs', voiceId: 'v1', secretRef: { name: 'paid-voice', key: 'VOICE_KEY' } },
        publisher: { provider: 'youtube', secretRef: { name: 'paid-youtube' } },
      },
    }),
  );
  const dir = await mkdtemp(join(tmpdir(), 'acog-doctor-'));
  nats = await startNats(localEnv().binaries.natsServer, dir);
  const port = await freePort();
  const monitor = await freePort();
  const plain = startProcess(
    'nats-server-plain',
    localEnv().binaries.natsServer,
    ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitor)],
    join(dir, 'plain.log'),
  );
  await waitUntil('nats-server-plain', () => httpOk(`http://127.0.0.1:${monitor}/healthz`), { process: plain, timeoutMs: 30_000 });
  plainNats = { url: `nats://127.0.0.1:${port}`, process: plain };
});

afterAll(async () => {
  await nats?.process.stop();
  await plainNats?.process.stop();
});

describe('doctor', () => {
  it('reports each check, with what to do, and fails on a missing operator and Secret', async () => {
    const result = await acog(['doctor', '-n', ns], { env: env() });
    expect(result.code).toBe(1);
    const out = result.stdout;
    expect(out).toContain('✓ CRD channels.acog.dev installed, Established, serves v1alpha1\n');
    expect(out).toContain('✓ CRD episodes.acog.dev installed, Established, serves v1alpha1\n');
    expect(out).toContain(
      '✗ the operator is not installed: helm install acog .\n      → no Deployment acog-system/acog-operator and none labelled app.kubernetes.io/name=acog-operator\n',
    );
    expect(out).toContain(`✓ NATS ${nats.url} reachable, JetStream enabled\n`);
    expect(out).toContain('! stream ACOG_EVENTS does not exist yet\n      → the operator creates it when it starts');
    expect(out).toContain(`✓ bucket acog-assets exists at ${localEnv().s3.endpoint}\n`);
    expect(out).toContain(`✓ bucket acog-scripts exists at ${localEnv().s3.endpoint}\n`);
    expect(out).toContain(`Channels in namespace ${ns}\n`);
    expect(out).toContain('✓ channel offline: offline providers only, no Secret needed\n');
    expect(out).toContain(
      `✗ channel paid: Secret paid-openai not found (providers.llm openai needs key OPENAI_API_KEY)\n      → kubectl -n ${ns} create secret generic paid-openai --from-literal=OPENAI_API_KEY=<value>\n`,
    );
    expect(out).toContain('✗ channel paid: Secret paid-voice not found (providers.voice elevenlabs needs key VOICE_KEY)');
    expect(out).toContain(
      '✗ channel paid: Secret paid-youtube not found (providers.publisher youtube needs keys YOUTUBE_CLIENT_ID, YOUTUBE_CLIENT_SECRET and YOUTUBE_REFRESH_TOKEN)',
    );
    expect(result.stderr).toBe('error: 4 checks failed, 1 warning\n');
  });

  it('sees a Secret once it exists, names a missing key, and never prints a value', async () => {
    await createSecret('paid-openai', { OPENAI_API_KEY: SECRET_VALUE });
    await createSecret('paid-voice', { ELEVENLABS_API_KEY: SECRET_VALUE });
    await createSecret('paid-youtube', { YOUTUBE_CLIENT_ID: SECRET_VALUE });
    const result = await acog(['doctor', '-n', ns], { env: env() });
    expect(result.stdout).toContain('✓ channel paid: Secret paid-openai holds OPENAI_API_KEY (providers.llm openai)\n');
    expect(result.stdout).toContain(
      `✗ channel paid: Secret paid-voice has no key VOICE_KEY (providers.voice elevenlabs)\n      → kubectl -n ${ns} patch secret paid-voice --type merge -p '{"stringData":{"VOICE_KEY":"<value>"}}'\n`,
    );
    expect(result.stdout).toContain(
      '✗ channel paid: Secret paid-youtube has no key YOUTUBE_CLIENT_SECRET and YOUTUBE_REFRESH_TOKEN (providers.publisher youtube)',
    );
    expect(result.stdout + result.stderr).not.toContain(SECRET_VALUE);
    expect(result.stdout + result.stderr).not.toContain(Buffer.from(SECRET_VALUE).toString('base64'));

    await core.patchNamespacedSecret(
      { name: 'paid-voice', namespace: ns, body: { stringData: { VOICE_KEY: SECRET_VALUE } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await core.patchNamespacedSecret(
      {
        name: 'paid-youtube',
        namespace: ns,
        body: { stringData: { YOUTUBE_CLIENT_SECRET: SECRET_VALUE, YOUTUBE_REFRESH_TOKEN: SECRET_VALUE } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const fixed = await acog(['doctor', '-n', ns], { env: env() });
    expect(fixed.stdout).toContain('✓ channel paid: Secret paid-voice holds VOICE_KEY (providers.voice elevenlabs)\n');
    expect(fixed.stdout).toContain(
      '✓ channel paid: Secret paid-youtube holds YOUTUBE_CLIENT_ID, YOUTUBE_CLIENT_SECRET and YOUTUBE_REFRESH_TOKEN (providers.publisher youtube)\n',
    );
    expect(fixed.stdout + fixed.stderr).not.toContain(SECRET_VALUE);
    // Only the operator is left.
    expect(fixed.stderr).toBe('error: 1 check failed, 1 warning\n');
  });

  it('checks a named operator Deployment, and passes when everything is in place', async () => {
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'op' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'op' } },
          template: {
            metadata: { labels: { app: 'op' } },
            spec: { containers: [{ name: 'operator', image: 'ghcr.io/acog/operator:test' }] },
          },
        },
      },
    });
    const flags = ['doctor', '--operator-namespace', ns, '--operator-deployment', 'op', '-n', ns];
    const starting = await acog(flags, { env: env() });
    expect(starting.stdout).toContain(
      `✗ operator ${ns}/op is not available (0/1 replicas available)\n      → kubectl -n ${ns} describe deployment op; kubectl -n ${ns} logs deployment/op\n`,
    );

    const now = new Date().toISOString();
    await apps.patchNamespacedDeploymentStatus(
      {
        name: 'op',
        namespace: ns,
        body: {
          status: {
            replicas: 1,
            readyReplicas: 1,
            availableReplicas: 1,
            conditions: [
              {
                type: 'Available',
                status: 'True',
                reason: 'MinimumReplicasAvailable',
                message: 'up',
                lastUpdateTime: now,
                lastTransitionTime: now,
              },
            ],
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const nc = await connect({ servers: nats.url });
    await (await jetstreamManager(nc)).streams.add({ name: EVENTS_STREAM, subjects: [EVENTS_SUBJECTS] });
    await nc.close();

    const healthy = await acog(flags, { env: env() });
    expect(healthy.stdout).toContain(`✓ operator ${ns}/op is available (1/1 replicas, ghcr.io/acog/operator:test)\n`);
    expect(healthy.stdout).toContain(`✓ stream ${EVENTS_STREAM} exists (0 messages on ${EVENTS_SUBJECTS})\n`);
    expect(healthy.stdout).toContain('\nAll checks passed.\n');
    expect(healthy.stdout).not.toContain('✗');
    expect(healthy).toMatchObject({ code: 0, stderr: '' });

    const missing = await acog(['doctor', '--operator-namespace', ns, '--operator-deployment', 'nope', '-n', ns], { env: env() });
    expect(missing.stdout).toContain(`✗ the operator is not installed: helm install acog .\n      → no Deployment ${ns}/nope\n`);
  });

  it('says what it may not read instead of failing, for a user without access to Secrets and Deployments', async () => {
    const result = await acog(['doctor', '-n', ns], { env: env(), user: 'viewer' });
    expect(result.stdout).toContain(
      '✓ CRD channels.acog.dev serves v1alpha1 (your user may not read CRDs, so only discovery was checked)\n',
    );
    expect(result.stdout).toContain('! cannot check the operator: your user may not read Deployments in acog-system');
    expect(result.stdout).toContain(
      `! channel paid: cannot check Secret paid-openai for OPENAI_API_KEY (providers.llm openai): your user may not read Secrets in ${ns}\n      → the operator reports a missing Secret in the Channel's Ready condition: kubectl acog describe channel paid\n`,
    );
    expect(result.stdout).toContain('\nAll checks passed, 4 warnings.\n');
    expect(result.code).toBe(0);
  });

  it('reports NATS without JetStream, unreachable services, and refused credentials', async () => {
    const plain = await acog(['doctor', '--nats', plainNats.url, '-n', ns], { env: env() });
    expect(plain.stdout).toContain(`✗ NATS ${plainNats.url} is reachable but JetStream is not enabled\n      → run nats-server with -js`);

    const down = await acog(['doctor', '--nats', 'nats://127.0.0.1:1', '--s3-endpoint', 'http://127.0.0.1:1', '-n', ns], { env: env() });
    expect(down.code).toBe(1);
    expect(down.stdout).toContain('✗ cannot reach NATS at nats://127.0.0.1:1');
    expect(down.stdout).toContain('✗ cannot reach S3 at http://127.0.0.1:1 (ECONNREFUSED)');
    expect(down.stdout).not.toContain('bucket acog-scripts');

    const wrongKey = await acog(['doctor', '-n', ns], { env: { ...env(), AWS_SECRET_ACCESS_KEY: 'wrong-secret-value' } });
    expect(wrongKey.stdout).toMatch(/✗ (bucket acog-assets at .*: access denied \(403\)|S3 at .* did not accept the credentials)/);
    expect(wrongKey.stdout + wrongKey.stderr).not.toContain('wrong-secret-value');

    const unset = await acog(['doctor', '-n', ns], { env: { ...env(), ACOG_NATS_URL: undefined } });
    expect(unset.stdout).toContain('! NATS not checked: no address\n      → pass --nats nats://HOST:4222 or set ACOG_NATS_URL');
  });

  it('checks the Channels of every namespace with -A', async () => {
    const result = await acog(['doctor', '-A'], { env: env() });
    expect(result.stdout).toContain('Channels in all namespaces\n');
    expect(result.stdout).toContain(`✓ channel ${ns}/offline: offline providers only, no Secret needed\n`);
    expect(result.stdout).toContain(`✓ channel ${ns}/paid: Secret paid-openai holds OPENAI_API_KEY`);
  });

  it('warns about a model within 60 days of its shutdown and fails on one past it, saying what to set', async () => {
    const own = await freshNamespace('wr-doctor-models');
    await createChannel(
      own,
      'aging',
      unscheduled({
        providers: {
          llm: { provider: 'openai', planModel: 'o4-mini', model: 'gpt-4o-mini', secretRef: { name: 'aging-openai' } },
          voice: { provider: 'openai', secretRef: { name: 'aging-openai' } },
        },
      }),
    );
    await core.createNamespacedSecret({
      namespace: own,
      body: { metadata: { name: 'aging-openai' }, stringData: { OPENAI_API_KEY: SECRET_VALUE } },
    });
    const result = await acog(['doctor', '-n', own], { env: env(), now: () => new Date('2026-12-07T12:00:00Z') });
    expect(result.stdout).toContain(
      `✗ channel aging: providers.llm.planModel o4-mini was shut down on 2026-10-23; its stages fail\n      → kubectl -n ${own} patch channel aging --type merge -p '{"spec":{"providers":{"llm":{"planModel":"gpt-5.6-terra"}}}}'\n`,
    );
    expect(result.stdout).toContain(
      `! channel aging: providers.llm.model gpt-4o-mini shuts down on 2027-01-14; use gpt-6-luna\n      → kubectl -n ${own} patch channel aging --type merge -p '{"spec":{"providers":{"llm":{"model":"gpt-6-luna"}}}}'\n`,
    );
    expect(result.stdout).toContain(
      "! channel aging: providers.voice.model (unset: the default gpt-4o-mini-tts) shuts down on 2027-01-06; no drop-in replacement\n      → it speaks only through OpenAI's Realtime API, which ACOG does not call; set providers.voice.provider to elevenlabs (or espeak)\n",
    );
    expect(result.stdout).toContain('✓ channel aging: Secret aging-openai holds OPENAI_API_KEY');
    expect(result.code).toBe(1);
  });

  it('exits 2 on wrong usage', async () => {
    expect((await acog(['doctor', 'extra'], { env: env() })).code).toBe(2);
    expect((await acog(['doctor', '--nats'], { env: env() })).code).toBe(2);
    expect((await acog(['doctor', '--bogus'], { env: env() })).code).toBe(2);
  });
});
