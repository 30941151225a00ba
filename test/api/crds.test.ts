// The CRDs as the API server and kubectl see them: installed, accepting the examples with the
// same defaults the generated validators apply, explained, printed in columns, waitable.
import { beforeAll, describe, expect, it } from 'vitest';
import { ApiextensionsV1Api, CustomObjectsApi, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { GROUP, VERSION, validateChannel, validateEpisode, type Channel, type Episode } from '@acog/api';
import { kubeConfig, kubectl, uniqueName } from '../support/env.ts';
import { apiFailure, createNamespace, createObject, example } from '../support/kube.ts';

const kc = kubeConfig('admin');
const namespace = uniqueName('crds');

beforeAll(async () => {
  await createNamespace(kc, namespace);
});

describe('installed CRDs', () => {
  it.each([
    ['channels.acog.dev', 'Channel', ['ch']],
    ['episodes.acog.dev', 'Episode', ['epi']],
  ])('%s is Established with its names and the acog category', async (name, kind, shortNames) => {
    const crd: V1CustomResourceDefinition = await kc.makeApiClient(ApiextensionsV1Api).readCustomResourceDefinition({ name });
    const established = crd.status?.conditions?.find((c) => c.type === 'Established');
    expect(established?.status).toBe('True');
    expect(crd.status?.conditions?.find((c) => c.type === 'NamesAccepted')?.status).toBe('True');
    expect(crd.spec.names.kind).toBe(kind);
    expect(crd.spec.names.shortNames).toEqual(shortNames);
    expect(crd.spec.names.categories).toEqual(['acog']);
    expect(crd.spec.versions.map((v) => v.name)).toEqual([VERSION]);
    expect(crd.spec.versions[0].subresources?.status).toEqual({});
  });
});

describe('examples/', () => {
  it('are accepted, and the API server stores the same defaults as the generated validators', async () => {
    const channel = await example<Channel>('channel.yaml');
    const episode = await example<Episode>('episode.yaml');
    const storedChannel = (await createObject(kc, namespace, 'channels', channel)) as unknown as Channel;
    const storedEpisode = (await createObject(kc, namespace, 'episodes', episode)) as unknown as Episode;
    expect(storedChannel.spec).toEqual(validateChannel(channel).value.spec);
    expect(storedEpisode.spec).toEqual(validateEpisode(episode).value.spec);
    // Defaults that the examples leave out really were applied, on both sides.
    expect(storedChannel.spec.format.captions?.maxWordsPerCue).toBe(7);
    expect(storedEpisode.spec.suspend).toBe(false);
  });

  it('refuses a change of channelRef after creation (a transition rule)', async () => {
    const episode = await example<Episode>('episode.yaml');
    episode.metadata.name = uniqueName('moved');
    await createObject(kc, namespace, 'episodes', episode);
    const failure = await apiFailure(
      kc.makeApiClient(CustomObjectsApi).patchNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: 'episodes',
        name: episode.metadata.name!,
        body: [{ op: 'replace', path: '/spec/channelRef/name', value: 'another-channel' }],
      }),
    );
    expect(failure.code).toBe(422);
    expect(failure.message).toMatch(/spec.channelRef: Invalid value: .*channelRef.name cannot be changed/);
  });
});

describe('kubectl', () => {
  const episodeName = uniqueName('printed');

  beforeAll(async () => {
    const episode = await example<Episode>('episode.yaml');
    episode.metadata.name = episodeName;
    await createObject(kc, namespace, 'episodes', episode);
  });

  it('explain episode.spec shows every field with its description', async () => {
    const out = await kubectl(['explain', 'episode.spec']);
    expect(out).toMatch(/What the episode is about and how it deviates from its Channel/);
    for (const field of [
      'channelRef',
      'topic',
      'brief',
      'keyPoints',
      'references',
      'overrides',
      'approvalGates',
      'publish',
      'suspend',
      'cancel',
    ]) {
      expect(out).toMatch(new RegExp(`^\\s+${field}\\s`, 'm'));
    }
    const nested = await kubectl(['explain', 'channel.spec.format.aspectRatio']);
    expect(nested).toMatch(/16:9 for regular videos \(1920x1080\), 9:16 for Shorts/);
    expect(nested).toMatch(/"16:9"\s+"9:16"|ENUM:\s+16:9\s+9:16/);
  });

  // `ep` is also the short name of the core Endpoints, which kubectl prefers: `epi` is unambiguous.
  it('get epi prints the printer columns, wide adds cost, video and message', async () => {
    await kc.makeApiClient(CustomObjectsApi).patchNamespacedCustomObjectStatus({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: 'episodes',
      name: episodeName,
      body: [
        {
          op: 'add',
          path: '/status',
          value: { phase: 'Running', currentStage: 'voice', progress: '4/9', totalCostUSD: 0.42, message: 'running voice' },
        },
      ],
    });
    const table = await kubectl(['get', 'epi', episodeName, '-n', namespace]);
    const [header, row] = table.trim().split('\n');
    expect(header.split(/\s{2,}/)).toEqual(['NAME', 'CHANNEL', 'PHASE', 'STAGE', 'PROGRESS', 'AGE']);
    expect(row.split(/\s{2,}/).slice(0, 5)).toEqual([episodeName, 'engineering-explained', 'Running', 'voice', '4/9']);
    const wide = await kubectl(['get', 'episodes', episodeName, '-n', namespace, '-o', 'wide']);
    expect(wide.split('\n')[0].split(/\s{2,}/)).toEqual([
      'NAME',
      'CHANNEL',
      'PHASE',
      'STAGE',
      'PROGRESS',
      'COST',
      'VIDEO',
      'MESSAGE',
      'AGE',
    ]);
    expect(wide).toMatch(/0\.42/);
    expect(wide).toMatch(/running voice/);
  });

  it('get acog lists Channels and Episodes together (the category)', async () => {
    const channel = await example<Channel>('channel.yaml');
    channel.metadata.name = uniqueName('listed');
    await createObject(kc, namespace, 'channels', channel);
    const out = await kubectl(['get', 'acog', '-n', namespace]);
    expect(out).toContain(`channel.acog.dev/${channel.metadata.name}`);
    expect(out).toContain(`episode.acog.dev/${episodeName}`);
  });

  it('wait --for=condition=Succeeded episode/x returns once the condition is true', async () => {
    const waiting = kubectl(['wait', '--for=condition=Succeeded', `episode/${episodeName}`, '-n', namespace, '--timeout=30s']);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await kc.makeApiClient(CustomObjectsApi).patchNamespacedCustomObjectStatus({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: 'episodes',
      name: episodeName,
      body: [
        { op: 'replace', path: '/status/phase', value: 'Succeeded' },
        {
          op: 'add',
          path: '/status/conditions',
          value: [
            {
              type: 'Succeeded',
              status: 'True',
              reason: 'AllStagesSucceeded',
              message: 'published',
              lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
            },
          ],
        },
      ],
    });
    expect(await waiting).toContain(`episode.acog.dev/${episodeName} condition met`);
  });
});
