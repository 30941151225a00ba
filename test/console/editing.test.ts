// The gateway's editing routes against the real API server: a Channel created and replaced as the
// user, with the API server's dry run and its own refusals (status causes naming the field); an
// Episode's spec replaced, and merge-patched with its script while its gate is approved in the
// same write. No operator: the test writes what it needs of the status.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROVAL_ANNOTATION_PREFIX, GROUP, VERSION, type Channel, type Episode } from '@acog/api';
import type { Gateway } from '@acog/console';
import { kubeConfig, uniqueName } from '../support/env.ts';
import { prepareNamespace } from '../support/operator.ts';
import { apply, testChannel, testEpisode } from '../support/pipeline-objects.ts';
import { call, eventually, startTestGateway } from './support.ts';

const namespace = uniqueName('console-edit');
let gateway: Gateway;
const custom = () => kubeConfig().makeApiClient(CustomObjectsApi);
const stored = async <T>(plural: string, name: string) =>
  (await custom().getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural, name })) as T;
type Fields = { error: { status: number; message: string; fields?: { field: string; message: string }[] } };

beforeAll(async () => {
  await prepareNamespace(namespace);
  await apply(namespace, await testChannel('edited'));
  await apply(namespace, await testEpisode('reviewed', 'edited', (e) => (e.spec.approvalGates = ['voice'])));
  gateway = await startTestGateway();
  await eventually(
    'the objects in the gateway',
    () => gateway.cache.episode(namespace, 'reviewed') && gateway.cache.channel(namespace, 'edited'),
  );
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
});

describe('editing a Channel through the gateway', () => {
  it('tells the console who may create and edit Channels and edit Episodes', async () => {
    const perms = async (user: 'admin' | 'viewer') =>
      (
        await call<Record<string, { allowed: boolean; reason?: string }>>(
          gateway,
          user,
          'GET',
          `/api/v1/permissions?namespace=${namespace}&channel=edited&episode=reviewed`,
        )
      ).body;
    const admin = await perms('admin');
    expect([admin.createChannel?.allowed, admin.updateChannel?.allowed, admin.updateEpisode?.allowed]).toEqual([true, true, true]);
    const viewer = await perms('viewer');
    expect(viewer.createChannel).toEqual({ allowed: false, reason: `you may not create channels in namespace ${namespace}` });
    expect(viewer.updateChannel).toEqual({ allowed: false, reason: `you may not update channels in namespace ${namespace}` });
    expect(viewer.updateEpisode?.allowed).toBe(false);
  });

  it('creates one after a dry run that stores nothing, and refuses a bad one with the API server’s fields', async () => {
    const channel = await testChannel('made-in-console');
    const { apiVersion: _a, kind: _k, ...manifest } = channel;
    const dry = await call(gateway, 'admin', 'POST', `/api/v1/namespaces/${namespace}/channels?dryRun=All`, manifest);
    expect(dry.status).toBe(201);
    expect(dry.body).toMatchObject({ dryRun: true, channel: { name: 'made-in-console', namespace } });
    await expect(stored('channels', 'made-in-console')).rejects.toMatchObject({ code: 404 });

    const bad = structuredClone(manifest);
    bad.metadata = { name: 'bad-channel' };
    bad.spec.format.targetDurationSeconds = 5;
    bad.spec.persona.name = '   ';
    const refused = await call<Fields>(gateway, 'admin', 'POST', `/api/v1/namespaces/${namespace}/channels?dryRun=All`, bad);
    expect(refused.status).toBe(422);
    const fields = refused.body.error.fields!;
    expect(fields.find((f) => f.field === 'spec.format.targetDurationSeconds')?.message).toMatch(/greater than or equal to 15/);
    expect(fields.find((f) => f.field === 'spec.persona.name')?.message).toMatch(/persona.name must hold more than spaces/);

    const created = await call(gateway, 'admin', 'POST', `/api/v1/namespaces/${namespace}/channels`, manifest);
    expect(created.status).toBe(201);
    expect((await stored<Channel>('channels', 'made-in-console')).spec.persona.name).toBe(channel.spec.persona.name);
    expect(gateway.cache.channel(namespace, 'made-in-console')).toBeDefined();
    const again = await call<Fields>(gateway, 'admin', 'POST', `/api/v1/namespaces/${namespace}/channels`, manifest);
    expect(again.status).toBe(409);

    const viewer = await call<Fields>(gateway, 'viewer', 'POST', `/api/v1/namespaces/${namespace}/channels?dryRun=All`, manifest);
    expect(viewer.status).toBe(403);
    expect(viewer.body.error.message).toMatch(/may not create channels\.acog\.dev/);
  });

  it('replaces the spec of one, refusing a stale version and a bad field without storing anything', async () => {
    const detail = await call<{ spec: Channel['spec']; resourceVersion: string }>(
      gateway,
      'admin',
      'GET',
      `/api/v1/namespaces/${namespace}/channels/edited`,
    );
    expect(detail.body.resourceVersion).toMatch(/^\d+$/);
    const path = `/api/v1/namespaces/${namespace}/channels/edited`;
    const spec = structuredClone(detail.body.spec);
    spec.format.aspectRatio = '9:16';
    spec.format.targetDurationSeconds = 600;
    const refused = await call<Fields>(gateway, 'admin', 'PUT', `${path}?dryRun=All`, {
      spec,
      resourceVersion: detail.body.resourceVersion,
    });
    expect(refused.status).toBe(422);
    // A CEL rule of the CRD, reported at the field its fieldPath names.
    expect(refused.body.error.fields).toContainEqual({
      field: 'spec.format.targetDurationSeconds',
      message: expect.stringMatching(/9:16 channel makes YouTube Shorts/),
    });

    spec.format.targetDurationSeconds = 60;
    const dry = await call(gateway, 'admin', 'PUT', `${path}?dryRun=All`, { spec, resourceVersion: detail.body.resourceVersion });
    expect(dry.status).toBe(200);
    expect((await stored<Channel>('channels', 'edited')).spec.format.aspectRatio).toBe('16:9');

    const saved = await call(gateway, 'admin', 'PUT', path, { spec, resourceVersion: detail.body.resourceVersion });
    expect(saved.status).toBe(200);
    const after = await stored<Channel>('channels', 'edited');
    expect(after.spec.format).toMatchObject({ aspectRatio: '9:16', targetDurationSeconds: 60 });

    const stale = await call<Fields>(gateway, 'admin', 'PUT', path, { spec, resourceVersion: detail.body.resourceVersion });
    expect(stale.status).toBe(409);
    expect(stale.body.error.message).toMatch(/modified/);

    const unknown = await call<Fields>(gateway, 'admin', 'PUT', path, {
      spec: { ...spec, colour: 'red' },
      resourceVersion: after.metadata.resourceVersion,
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(/unknown field "spec.colour"/);
  });
});

describe('editing an Episode through the gateway', () => {
  const path = `/api/v1/namespaces/${namespace}/episodes/reviewed`;
  const script = {
    title: 'Indexes, by hand',
    beats: [
      { heading: 'Lookups', narration: 'An index turns a scan into a lookup.', broll: 'a library card catalogue' },
      { narration: 'Every write pays for it a little.' },
    ],
  };

  beforeAll(async () => {
    await custom().patchNamespacedCustomObjectStatus(
      {
        group: GROUP,
        version: VERSION,
        namespace,
        plural: 'episodes',
        name: 'reviewed',
        body: {
          status: {
            phase: 'AwaitingApproval',
            stages: [
              { name: 'plan', phase: 'Succeeded', attempt: 1 },
              { name: 'script', phase: 'Succeeded', attempt: 1 },
              { name: 'refine', phase: 'Succeeded', attempt: 1 },
              { name: 'voice', phase: 'AwaitingApproval' },
            ],
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await eventually(
      'the waiting episode in the gateway',
      () => gateway.cache.episode(namespace, 'reviewed')?.status?.phase === 'AwaitingApproval',
    );
  });

  it("refuses a script the API server refuses, naming the beat's field, and writes nothing", async () => {
    const bad = { title: 'x', beats: [{ narration: '   ' }] };
    const refused = await call<Fields>(gateway, 'admin', 'PATCH', path, { spec: { script: bad }, approve: 'voice' });
    expect(refused.status).toBe(422);
    expect(refused.body.error.fields).toContainEqual({
      field: 'spec.script.beats[0].narration',
      message: expect.stringMatching(/narration must hold more than spaces/),
    });
    const episode = await stored<Episode>('episodes', 'reviewed');
    expect(episode.spec.script).toBeUndefined();
    expect(episode.metadata.annotations?.[`${APPROVAL_ANNOTATION_PREFIX}voice`]).toBeUndefined();
  });

  it('saves the script and approves the gate in one write, as the user', async () => {
    const dry = await call(gateway, 'admin', 'PATCH', `${path}?dryRun=All`, { spec: { script }, approve: 'voice' });
    expect(dry.status).toBe(200);
    expect((await stored<Episode>('episodes', 'reviewed')).spec.script).toBeUndefined();

    const saved = await call<{ message: string }>(gateway, 'admin', 'PATCH', path, { spec: { script }, approve: 'voice' });
    expect(saved.status).toBe(200);
    expect(saved.body.message).toBe('saved and approved (voice)');
    const episode = await stored<Episode & { metadata: { managedFields?: { manager: string }[] } }>('episodes', 'reviewed');
    expect(episode.spec.script).toEqual(script);
    expect(episode.metadata.annotations?.[`${APPROVAL_ANNOTATION_PREFIX}voice`]).toMatch(/^\d{4}-/);
    expect(episode.metadata.managedFields?.map((f) => f.manager)).toContain('acog-console');
  });

  it('refuses to approve a stage that has no gate, before writing the script', async () => {
    const refused = await call<Fields>(gateway, 'admin', 'PATCH', path, {
      spec: { script: { ...script, title: 'Not saved' } },
      approve: 'upload',
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/no approval gate before upload/);
    expect((await stored<Episode>('episodes', 'reviewed')).spec.script?.title).toBe(script.title);
  });

  it('appends own media under the version it read, and refuses a stale one', async () => {
    const episode = await stored<Episode>('episodes', 'reviewed');
    const media = [{ beat: 1, uri: `s3://acog-assets/${namespace}/reviewed/own/clip.mp4`, license: 'own footage' }];
    const saved = await call(gateway, 'admin', 'PATCH', path, { spec: { media }, resourceVersion: episode.metadata.resourceVersion });
    expect(saved.status).toBe(200);
    expect((await stored<Episode>('episodes', 'reviewed')).spec.media).toEqual(media);
    const stale = await call<Fields>(gateway, 'admin', 'PATCH', path, {
      spec: { media: [] },
      resourceVersion: episode.metadata.resourceVersion,
    });
    expect(stale.status).toBe(409);
    expect((await stored<Episode>('episodes', 'reviewed')).spec.media).toEqual(media);
  });

  it("replaces the editor's whole spec, refusing an override the Channel does not allow", async () => {
    const episode = await stored<Episode>('episodes', 'reviewed');
    const spec = { ...episode.spec, topic: 'Indexes, edited', brief: null as unknown as string };
    delete (spec as Partial<typeof spec>).brief;
    const saved = await call(gateway, 'admin', 'PUT', path, { spec, resourceVersion: episode.metadata.resourceVersion });
    expect(saved.status).toBe(200);
    const after = await stored<Episode>('episodes', 'reviewed');
    expect(after.spec.topic).toBe('Indexes, edited');
    expect(after.spec.brief).toBeUndefined();
    expect(after.status?.phase).toBe('AwaitingApproval');

    const sneaky = {
      ...after.spec,
      overrides: { providers: { llm: { provider: 'openai', secretRef: { name: 'someone-elses-key' } } } },
    };
    const refused = await call<Fields>(gateway, 'admin', 'PUT', path, { spec: sneaky, resourceVersion: after.metadata.resourceVersion });
    expect(refused.status).toBe(422);
    expect(refused.body.error.fields?.[0]?.field).toMatch(/^spec\.overrides\.providers\.llm/);

    const viewer = await call<Fields>(gateway, 'viewer', 'PUT', path, {
      spec: after.spec,
      resourceVersion: after.metadata.resourceVersion,
    });
    expect(viewer.status).toBe(403);
    expect(viewer.body.error.message).toMatch(/may not update episodes\.acog\.dev "reviewed"/);
  });

  it('takes only spec, approve and resourceVersion in a patch', async () => {
    const refused = await call<Fields>(gateway, 'admin', 'PATCH', path, { metadata: { labels: { a: 'b' } } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/metadata|Unrecognized/);
  });
});
