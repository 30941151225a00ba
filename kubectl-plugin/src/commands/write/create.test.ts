import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { API_VERSION, validateChannel, validateEpisode, type Channel, type Episode } from '@acog/api';
import { kubeConfig, uniqueName } from '../../../../test/support/env.ts';
import { apiFailure, createObject, example } from '../../../../test/support/kube.ts';
import { acog, createChannel, episodeExists, freshNamespace, getChannel, getEpisode, unscheduled } from '../../testing.ts';

let ns: string;
let dir: string;

/** The spec as the API server stores what was asked: the asked fields plus the schema's defaults. */
function withDefaults(spec: Record<string, unknown>): Episode['spec'] {
  const result = validateEpisode({ apiVersion: API_VERSION, kind: 'Episode', metadata: { name: 'x' }, spec });
  expect(result.errors).toEqual([]);
  return result.value.spec;
}

beforeAll(async () => {
  ns = await freshNamespace('wr-create');
  await createChannel(ns, 'chan', unscheduled());
  dir = await mkdtemp(join(tmpdir(), 'acog-create-'));
});

describe('create episode (flags)', () => {
  it('creates the Episode with exactly the spec asked for', async () => {
    const result = await acog([
      'create',
      'episode',
      'ep-flags',
      '--channel',
      'chan',
      '--topic',
      'How caches work',
      '--brief',
      'Start from a slow page.',
      '--point',
      'Caches trade memory for time',
      '--point',
      'Invalidation is the hard part',
      '--reference',
      'https://example.org/caching',
      '--gate',
      'voice,upload',
      '--duration',
      '90',
      '--publish-at',
      '2030-01-07T09:00:00Z',
      '-n',
      ns,
    ]);
    expect(result).toEqual({ code: 0, stdout: 'episode.acog.dev/ep-flags created\n', stderr: '' });
    const stored = await getEpisode(ns, 'ep-flags');
    expect(stored.spec).toEqual(
      withDefaults({
        channelRef: { name: 'chan' },
        topic: 'How caches work',
        brief: 'Start from a slow page.',
        keyPoints: ['Caches trade memory for time', 'Invalidation is the hard part'],
        references: [{ url: 'https://example.org/caching' }],
        overrides: { targetDurationSeconds: 90 },
        approvalGates: ['voice', 'upload'],
        publish: { privacy: 'public', at: '2030-01-07T09:00:00Z' },
      }),
    );
    expect(stored.metadata.managedFields?.map((field) => field.manager)).toContain('kubectl-acog');
  });

  it('takes --name, and lets the API server pick one with --generate-name', async () => {
    const named = await acog(['create', 'episode', '--name', 'ep-named', '--channel', 'chan', '--topic', 'Test topic', '-n', ns]);
    expect(named.stdout).toBe('episode.acog.dev/ep-named created\n');
    const generated = await acog([
      'create',
      'episode',
      '--generate-name',
      '--channel',
      'chan',
      '--topic',
      'Test topic',
      '-n',
      ns,
      '-o',
      'name',
    ]);
    expect(generated.code).toBe(0);
    const name = /^episode\.acog\.dev\/(chan-[a-z0-9]{5})\n$/.exec(generated.stdout)?.[1];
    expect(name).toBeDefined();
    expect(await episodeExists(ns, name!)).toBe(true);
  });

  it('--dry-run=client prints the object as yaml, json or name and sends nothing', async () => {
    const args = ['create', 'episode', 'ep-client', '--channel', 'chan', '--topic', 'Dry', '--gate', 'voice', '--dry-run=client', '-n', ns];
    const expected = {
      apiVersion: API_VERSION,
      kind: 'Episode',
      metadata: { name: 'ep-client', namespace: ns },
      spec: { channelRef: { name: 'chan' }, topic: 'Dry', approvalGates: ['voice'] },
    };
    const yaml = await acog([...args, '-o', 'yaml']);
    expect(yaml.code).toBe(0);
    expect(parse(yaml.stdout)).toEqual(expected);
    const json = await acog([...args, '-o', 'json']);
    expect(JSON.parse(json.stdout)).toEqual(expected);
    expect((await acog([...args, '-o', 'name'])).stdout).toBe('episode.acog.dev/ep-client\n');
    // Its own output adds the estimate, from the Channel in the cluster.
    const plain = (await acog(args)).stdout.split('\n');
    expect(plain[0]).toBe('episode.acog.dev/ep-client created (dry run)');
    expect(plain[1]).toBe(
      "estimate of episode.acog.dev/ep-client (list prices × the expected usage; the budget reserves each paid stage's estimate before it starts):",
    );
    expect(plain[2]).toMatch(/^ {2}STAGE\s+PROVIDER\s+MODEL\s+USAGE\s+ESTIMATE$/);
    expect(
      plain.filter((line) => /^ {2}(plan|script|refine|metadata|voice|avatar|broll|assemble|upload)\s/.test(line)).length,
    ).toBeGreaterThanOrEqual(5);
    expect(plain.find((line) => line.startsWith('  total'))).toMatch(/^ {2}total\s+\$\d+\.\d{2,4}$/);
    const elsewhere = await acog([
      'create',
      'episode',
      'ep-nowhere',
      '--channel',
      'no-such-channel',
      '--topic',
      'Dry',
      '--dry-run=client',
      '-n',
      ns,
    ]);
    expect(elsewhere.stdout).toBe(
      'episode.acog.dev/ep-nowhere created (dry run)\nestimate of episode.acog.dev/ep-nowhere: unknown (channel no-such-channel is neither in the files nor in the cluster)\n',
    );
    expect(await episodeExists(ns, 'ep-client')).toBe(false);
  });

  it('--dry-run=server has the API server check and default it without storing it', async () => {
    const result = await acog([
      'create',
      'episode',
      'ep-server',
      '--channel',
      'chan',
      '--topic',
      'Server',
      '--dry-run=server',
      '-n',
      ns,
      '-o',
      'json',
    ]);
    expect(result.code).toBe(0);
    const returned = JSON.parse(result.stdout) as Episode;
    expect(returned.metadata.uid).toBeDefined();
    expect(returned.spec).toEqual(withDefaults({ channelRef: { name: 'chan' }, topic: 'Server' }));
    expect(
      (await acog(['create', 'episode', 'ep-server', '--channel', 'chan', '--topic', 'Server', '--dry-run', 'server', '-n', ns])).stdout,
    ).toBe('episode.acog.dev/ep-server created (server dry run)\n');
    expect(await episodeExists(ns, 'ep-server')).toBe(false);
  });

  it('refuses an invalid Episode before sending, naming the field', async () => {
    const badTime = await acog([
      'create',
      'episode',
      'ep-bad',
      '--channel',
      'chan',
      '--topic',
      'Test topic',
      '--publish-at',
      'tomorrow',
      '-n',
      ns,
    ]);
    expect(badTime.code).toBe(1);
    expect(badTime.stderr).toContain('nothing was sent');
    expect(badTime.stderr).toContain('spec.publish.at: Invalid value: "tomorrow"');
    const privateSchedule = await acog([
      'create',
      'episode',
      'ep-bad',
      '--channel',
      'chan',
      '--topic',
      'Test topic',
      '--publish-at',
      '2030-01-01T00:00:00Z',
      '--privacy',
      'private',
      '-n',
      ns,
    ]);
    expect(privateSchedule.code).toBe(1);
    expect(privateSchedule.stderr).toContain('spec.publish.privacy: Invalid value: publish.at schedules a public release');
    const badGate = await acog(['create', 'episode', 'ep-bad', '--channel', 'chan', '--topic', 'Test topic', '--gate', 'voices', '-n', ns]);
    expect(badGate.stderr).toContain('spec.approvalGates[0]: Unsupported value: "voices"');
    const badName = await acog(['create', 'episode', 'Ep_Bad', '--channel', 'chan', '--topic', 'Test topic', '-n', ns]);
    expect(badName.code).toBe(1);
    expect(badName.stderr).toContain('metadata.name: Invalid value: "Ep_Bad"');
    const skipPlan = await acog(['create', 'episode', 'ep-bad', '--channel', 'chan', '--topic', 'Test topic', '--skip', 'plan', '-n', ns]);
    expect(skipPlan.stderr).toContain('spec.overrides.skipStages: Invalid value: plan and script cannot be skipped');
    expect(await episodeExists(ns, 'ep-bad')).toBe(false);
  });

  it('says how to find the channels when the channel does not exist', async () => {
    const result = await acog(['create', 'episode', 'ep-orphan', '--channel', 'nope', '--topic', 'Test topic', '-n', ns]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`error: channel nope not found in namespace ${ns}: kubectl acog get channels\n`);
    expect(await episodeExists(ns, 'ep-orphan')).toBe(false);
  });

  it('says so when the Episode exists already', async () => {
    await acog(['create', 'episode', 'ep-twice', '--channel', 'chan', '--topic', 'Test topic', '-n', ns]);
    const again = await acog(['create', 'episode', 'ep-twice', '--channel', 'chan', '--topic', 'Test topic', '-n', ns]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`episode "ep-twice" in namespace "${ns}" already exists`);
  });

  it('is forbidden for the viewer, naming the missing permission', async () => {
    const result = await acog(['create', 'episode', 'ep-viewer', '--channel', 'chan', '--topic', 'Test topic', '-n', ns], {
      user: 'viewer',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('forbidden');
    expect(result.stderr).toContain('cannot create resource "episodes"');
  });

  it('lets the editor create in team-a only', async () => {
    await createChannel('team-a', 'wr-create-chan', unscheduled()).catch((error: { code?: number }) => {
      if (error.code !== 409) throw error;
    });
    const name = uniqueName('ep-editor');
    const inTeam = await acog(['create', 'episode', name, '--channel', 'wr-create-chan', '--topic', 'Test topic', '-n', 'team-a'], {
      user: 'editor',
    });
    expect(inTeam).toEqual({ code: 0, stdout: `episode.acog.dev/${name} created\n`, stderr: '' });
    const elsewhere = await acog(['create', 'episode', name, '--channel', 'chan', '--topic', 'Test topic', '-n', ns], { user: 'editor' });
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain('forbidden');
  });

  it('exits 2 on wrong usage', async () => {
    const cases = [
      ['create', 'episode', 'x', '--channel', 'chan', '-n', ns],
      ['create', 'episode', 'x', '--topic', 'Test topic', '-n', ns],
      ['create', 'episode', '--channel', 'chan', '--topic', 'Test topic', '-n', ns],
      ['create', 'episode', 'x', '--generate-name', '--channel', 'chan', '--topic', 'Test topic', '-n', ns],
      ['create', 'episode', 'x', '--name', 'y', '--channel', 'chan', '--topic', 'Test topic', '-n', ns],
      ['create', 'episode', 'x', '--channel', 'chan', '--topic', 'Test topic', '--privacy', 'secret', '-n', ns],
      ['create', 'episode', 'x', '--channel', 'chan', '--topic', 'Test topic', '--dry-run=maybe', '-n', ns],
      ['create', 'episode', 'x', '--channel', 'chan', '--topic', 'Test topic', '--duration', 'long', '-n', ns],
      ['create', 'episode', 'x', '--channel', 'chan', '--topic', 'Test topic', '--no-such-flag', '-n', ns],
      ['create', '-n', ns],
      ['create', 'episode', 'x', '--channel', 'chan', '--topic', 'Test topic', '-f', 'file.yaml', '-n', ns],
    ];
    for (const args of cases) {
      const result = await acog(args);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).not.toBe('');
    }
    expect(await episodeExists(ns, 'x')).toBe(false);
  });
});

describe('create -f', () => {
  it('creates the Channels and Episodes of the files, channels first, with their specs as written', async () => {
    const channel = await example<Channel>('channel.yaml');
    channel.metadata = { name: 'from-file' };
    const episode = await example<Episode>('episode.yaml');
    episode.metadata = { name: 'ep-from-file' };
    episode.spec.channelRef.name = 'from-file';
    const file = join(dir, 'both.yaml');
    // The Episode first in the file: the Channel is still created first.
    await writeFile(file, `${stringify(episode)}---\n${stringify(channel)}`);
    const result = await acog(['create', '-f', file, '-n', ns]);
    expect(result).toEqual({ code: 0, stdout: 'channel.acog.dev/from-file created\nepisode.acog.dev/ep-from-file created\n', stderr: '' });
    expect((await getEpisode(ns, 'ep-from-file')).spec).toEqual(validateEpisode(episode).value.spec);
    const stored = await getChannel(ns, 'from-file');
    expect(stored.spec).toEqual(validateChannel(channel).value.spec);
  });

  it('--dry-run=client prints every object as it would be sent (no defaults) and creates none', async () => {
    const episode = await example<Episode>('episode.yaml');
    const file = join(dir, 'dry.yaml');
    episode.metadata = { name: 'ep-file-dry' };
    episode.spec.channelRef.name = 'chan';
    await writeFile(file, stringify(episode));
    const yaml = await acog(['create', '-f', file, '--dry-run=client', '-o', 'yaml', '-n', ns]);
    expect(yaml.code).toBe(0);
    // kubectl prints what it would send; the defaults are the API server's (--dry-run=server shows them).
    expect(parse(yaml.stdout)).toEqual(episode);
    expect(parse(yaml.stdout)).not.toEqual(validateEpisode(episode).value);
    const dryServer = await acog(['create', '-f', file, '--dry-run=server', '-n', ns]);
    expect(dryServer.stdout).toBe('episode.acog.dev/ep-file-dry created (server dry run)\n');
    expect(await episodeExists(ns, 'ep-file-dry')).toBe(false);
  });

  it('reports every error of a manifest, as the API server does, in its wording', async () => {
    const episode = await example<Episode>('episode.yaml');
    episode.metadata = { name: 'ep-file-two' };
    episode.spec.channelRef.name = 'chan';
    episode.spec.topic = 'AI';
    episode.spec.overrides = { skipStages: ['plan'] };
    const file = join(dir, 'two.yaml');
    await writeFile(file, stringify(episode));
    const client = await acog(['create', '-f', file, '-n', ns]);
    expect(client.code).toBe(1);
    const lines = client.stderr.split('\n').filter((line) => line.includes('ep-file-two: spec.'));
    expect(lines).toEqual([
      `error: ${file}: Episode ep-file-two: spec.topic: Invalid value: "AI": spec.topic in body should be at least 3 chars long`,
      `${file}: Episode ep-file-two: spec.overrides.skipStages: Invalid value: plan and script cannot be skipped; every episode is planned and scripted`,
    ]);
    // The API server says the same of the same object, field for field.
    const server = await apiFailure(
      createObject(kubeConfig('admin'), ns, 'episodes', { ...episode, metadata: { name: 'ep-file-two-server' } }),
    );
    for (const line of lines) expect(server.message).toContain(line.replace(/^(error: )?.*?ep-file-two: /, ''));
  });

  it('refuses invalid manifests before sending anything, naming file and field', async () => {
    const episode = await example<Episode>('episode.yaml');
    episode.metadata = { name: 'ep-file-bad' };
    (episode.spec as unknown as Record<string, unknown>).colour = 'blue';
    const file = join(dir, 'bad.yaml');
    await writeFile(file, stringify(episode));
    const result = await acog(['create', '-f', file, '-n', ns]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${file}: Episode ep-file-bad: spec.colour: unknown field "spec.colour"`);
    expect(result.stderr).toContain('nothing was sent');
    expect(await episodeExists(ns, 'ep-file-bad')).toBe(false);
  });

  it('refuses an Episode whose channel is neither in the cluster nor in the files', async () => {
    const episode = await example<Episode>('episode.yaml');
    episode.metadata = { name: 'ep-file-orphan' };
    const file = join(dir, 'orphan.yaml');
    await writeFile(file, stringify(episode));
    const result = await acog(['create', '-f', file, '-n', ns]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`channel engineering-explained not found in namespace ${ns}: kubectl acog get channels`);
  });

  it('refuses an Episode whose overrides name a Secret or server its Channel does not allow, before sending it', async () => {
    const episode = await example<Episode>('episode.yaml');
    episode.metadata = { name: 'ep-file-steal' };
    episode.spec.channelRef = { name: 'chan' };
    episode.spec.overrides = {
      providers: {
        llm: { provider: 'openai', baseURL: 'https://attacker.example/v1', secretRef: { name: 'other-team-keys', key: 'OPENAI_API_KEY' } },
      },
    };
    const file = join(dir, 'steal.yaml');
    await writeFile(file, stringify(episode));
    const result = await acog(['create', '-f', file, '-n', ns]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('episode "ep-file-steal" was not sent: its overrides name what channel chan does not allow:');
    expect(result.stderr).toContain(
      'spec.overrides.providers.llm.secretRef: Secret "other-team-keys" (key OPENAI_API_KEY) is not the Channel\'s own',
    );
    expect(result.stderr).toContain("spec.overrides.providers.llm.baseURL: https://attacker.example/v1 is not the Channel's own base URL");
    expect(await episodeExists(ns, 'ep-file-steal')).toBe(false);

    const channel = await example<Channel>('channel.yaml');
    channel.metadata = { name: 'chan-in-file' };
    episode.spec.channelRef = { name: 'chan-in-file' };
    await writeFile(file, `${stringify(channel)}---\n${stringify(episode)}`);
    const client = await acog(['create', '-f', file, '--dry-run=client', '-n', ns]);
    expect(client.code).toBe(1);
    expect(client.stderr).toContain('its overrides name what channel chan-in-file does not allow');
  });

  it('refuses a file whose namespace differs from -n', async () => {
    const episode = await example<Episode>('episode.yaml');
    episode.metadata = { name: 'ep-file-ns', namespace: 'elsewhere' };
    const file = join(dir, 'ns.yaml');
    await writeFile(file, stringify(episode));
    const result = await acog(['create', '-f', file, '-n', ns]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('does not match -n');
  });
});
