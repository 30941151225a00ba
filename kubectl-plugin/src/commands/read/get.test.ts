import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Episode } from '@acog/api';
import {
  acog,
  awaitingVoiceStatus,
  createChannel,
  createEpisode,
  freshNamespace,
  minutesAgo,
  setChannelStatus,
  setEpisodeStatus,
  start,
  until,
} from '../../testing.ts';

let ns: string;
let other: string;

function succeededStatus(): Episode['status'] {
  const stages = (['plan', 'script', 'refine', 'metadata', 'voice', 'avatar', 'broll', 'assemble', 'upload'] as const).map((name, i) => ({
    name,
    phase: 'Succeeded' as const,
    attempt: name === 'voice' ? 2 : 1,
    startedAt: minutesAgo(30 - i * 3),
    finishedAt: minutesAgo(28 - i * 3),
  }));
  return {
    observedGeneration: 1,
    phase: 'Succeeded',
    progress: '9/9',
    startedAt: minutesAgo(30),
    finishedAt: minutesAgo(2),
    stages,
    youtube: { videoId: 'dQw4w9WgXcQ', url: 'https://youtu.be/dQw4w9WgXcQ' },
    totalCostUSD: 1.5,
  };
}

/** The row of a table that has these cells (the name; with -A, the namespace too). */
function row(table: string, ...cells: string[]): string[] {
  const found = table
    .split('\n')
    .map((line) => line.split(/\s{3,}/))
    .find((row) => cells.every((cell) => row.includes(cell)));
  if (!found) throw new Error(`no row with ${cells.join(', ')} in:\n${table}`);
  return found;
}

beforeAll(async () => {
  ns = await freshNamespace('read-get');
  other = await freshNamespace('read-get-other');
  await createChannel(ns);
  await setChannelStatus(ns, 'engineering-explained', {
    observedGeneration: 1,
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'ProvidersReady',
        message: 'every provider is usable',
        lastTransitionTime: minutesAgo(60),
        observedGeneration: 1,
      },
    ],
    episodes: { total: 2, awaitingApproval: 1, succeeded: 1 },
    spend: { month: '2026-11', actualUSD: 12.3 },
  });
  await createEpisode(ns, 'how-indexes-work', 'engineering-explained', (e) => (e.metadata.labels = { series: 'databases' }));
  await setEpisodeStatus(ns, 'how-indexes-work', awaitingVoiceStatus(ns, 'how-indexes-work'));
  await createEpisode(ns, 'why-caches-slow-you-down');
  await setEpisodeStatus(ns, 'why-caches-slow-you-down', succeededStatus());
  await createChannel(other, 'shorts');
  await createEpisode(other, 'fresh-episode', 'shorts');
});

describe('get episodes', () => {
  it('prints a table with a progress bar, the cost and the age', async () => {
    const result = await acog(['get', 'episodes', '-n', ns]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0].split(/\s{3,}/)).toEqual(['NAME', 'CHANNEL', 'PHASE', 'STAGE', 'PROGRESS', 'COST', 'AGE']);
    expect(lines).toHaveLength(3);
    expect(row(result.stdout, 'how-indexes-work').slice(0, 6)).toEqual([
      'how-indexes-work',
      'engineering-explained',
      'AwaitingApproval',
      'voice',
      '████░░░░░ 4/9',
      '$0.42',
    ]);
    expect(row(result.stdout, 'why-caches-slow-you-down').slice(2, 6)).toEqual(['Succeeded', '<none>', '█████████ 9/9', '$1.50']);
    expect(row(result.stdout, 'how-indexes-work')[6]).toMatch(/^\d+s$/);
    expect(result.stderr).toBe('');
  });

  it('accepts the short names ep and epi and the singular, and a name', async () => {
    for (const type of ['ep', 'epi', 'episode', 'episodes.acog.dev']) {
      const result = await acog(['get', type, 'how-indexes-work', '-n', ns]);
      expect(result.code, type).toBe(0);
      expect(result.stdout.trimEnd().split('\n')).toHaveLength(2);
    }
  });

  it('-o wide adds attempts, the video and the message', async () => {
    const result = await acog(['get', 'ep', '-n', ns, '-o', 'wide']);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0].split(/\s{3,}/)).toEqual([
      'NAME',
      'CHANNEL',
      'PHASE',
      'STAGE',
      'PROGRESS',
      'COST',
      'ATTEMPTS',
      'VIDEO',
      'MESSAGE',
      'AGE',
    ]);
    expect(row(result.stdout, 'why-caches-slow-you-down').slice(6, 8)).toEqual(['10', 'https://youtu.be/dQw4w9WgXcQ']);
    expect(row(result.stdout, 'how-indexes-work').slice(6, 9)).toEqual(['4', '<none>', 'waiting for approval before voice']);
  });

  it('-o json prints the object for a name and a List otherwise', async () => {
    const one = await acog(['get', 'ep', 'how-indexes-work', '-n', ns, '-o', 'json']);
    expect(one.code).toBe(0);
    const episode = JSON.parse(one.stdout) as Episode;
    expect(episode.kind).toBe('Episode');
    expect(episode.status?.progress).toBe('4/9');
    const all = await acog(['get', 'ep', '-n', ns, '-o', 'json']);
    const list = JSON.parse(all.stdout) as { kind: string; items: Episode[] };
    expect(list.kind).toBe('List');
    expect(list.items.map((item) => item.metadata.name).sort()).toEqual(['how-indexes-work', 'why-caches-slow-you-down']);
  });

  it('-o yaml prints YAML that parses back', async () => {
    const result = await acog(['get', 'ep', 'why-caches-slow-you-down', '-n', ns, '-o', 'yaml']);
    expect(result.code).toBe(0);
    const episode = parse(result.stdout) as Episode;
    expect(episode.metadata.name).toBe('why-caches-slow-you-down');
    expect(episode.status?.youtube?.url).toBe('https://youtu.be/dQw4w9WgXcQ');
    const list = parse((await acog(['get', 'ep', '-n', ns, '-o', 'yaml'])).stdout) as { items: unknown[] };
    expect(list.items).toHaveLength(2);
  });

  it('-o name prints kind.group/name', async () => {
    const result = await acog(['get', 'episodes', '-n', ns, '-o', 'name']);
    expect(result.stdout).toBe('episode.acog.dev/how-indexes-work\nepisode.acog.dev/why-caches-slow-you-down\n');
  });

  it('-l selects by label and --no-headers drops the header', async () => {
    const result = await acog(['get', 'ep', '-n', ns, '-l', 'series=databases', '--no-headers']);
    expect(result.code).toBe(0);
    expect(result.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stdout).toMatch(/^how-indexes-work\s/);
  });

  it('-A lists every namespace with a NAMESPACE column first', async () => {
    const result = await acog(['get', 'ep', '-A']);
    expect(result.code).toBe(0);
    expect(
      result.stdout
        .split('\n')[0]
        .split(/\s{3,}/)
        .slice(0, 3),
    ).toEqual(['NAMESPACE', 'NAME', 'CHANNEL']);
    expect(row(result.stdout, other, 'fresh-episode').slice(0, 5)).toEqual([other, 'fresh-episode', 'shorts', '<none>', '<none>']);
    expect(row(result.stdout, ns, 'how-indexes-work').slice(0, 4)).toEqual([
      ns,
      'how-indexes-work',
      'engineering-explained',
      'AwaitingApproval',
    ]);
  });

  it('says so when a namespace has none', async () => {
    const empty = await freshNamespace('read-get-empty');
    const result = await acog(['get', 'ep', '-n', empty]);
    expect(result).toEqual({ code: 0, stdout: '', stderr: `No resources found in ${empty} namespace.\n` });
    const json = await acog(['get', 'ep', '-n', empty, '-o', 'json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ kind: 'List', items: [] });
  });

  it("fails with kubectl's message for a name that does not exist", async () => {
    const result = await acog(['get', 'episode', 'nope', '-n', ns]);
    expect(result).toEqual({ code: 1, stdout: '', stderr: `error: episode "nope" not found in namespace "${ns}"\n` });
    const some = await acog(['get', 'ep', 'how-indexes-work', 'nope', '-n', ns]);
    expect(some.code).toBe(1);
    expect(some.stdout).toMatch(/^NAME.*\nhow-indexes-work\s/);
    expect(some.stderr).toBe(`error: episode "nope" not found in namespace "${ns}"\n`);
  });

  it('refuses a name with -A', async () => {
    const result = await acog(['get', 'ep', 'how-indexes-work', '-A']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot be retrieved by name across all namespaces');
  });

  it('exits 2 on wrong usage', async () => {
    const flag = await acog(['get', 'ep', '-n', ns, '--bogus']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("unknown option '--bogus'");
    const format = await acog(['get', 'ep', '-n', ns, '-o', 'table']);
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('Allowed choices are wide, json, yaml, name');
    const type = await acog(['get', 'pods', '-n', ns]);
    expect(type.code).toBe(2);
    expect(type.stderr).toContain("'pods' is invalid");
  });
});

describe('get channels', () => {
  it('prints readiness, format, duration, episodes and spend against the budget', async () => {
    const result = await acog(['get', 'channels', '-n', ns]);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0].split(/\s{3,}/)).toEqual([
      'NAME',
      'READY',
      'FORMAT',
      'DURATION',
      'EPISODES',
      'SPEND/BUDGET',
      'AGE',
    ]);
    expect(row(result.stdout, 'engineering-explained').slice(0, 6)).toEqual([
      'engineering-explained',
      'True',
      '16:9',
      '1m',
      '2',
      '$12.30/$50.00',
    ]);
  });

  it('-o wide adds the Ready reason and episode counts; ch and channel work', async () => {
    const result = await acog(['get', 'ch', '-n', ns, '-o', 'wide']);
    expect(result.stdout.split('\n')[0].split(/\s{3,}/)).toEqual([
      'NAME',
      'READY',
      'REASON',
      'FORMAT',
      'DURATION',
      'EPISODES',
      'SPEND/BUDGET',
      'RUNNING',
      'AWAITING',
      'FAILED',
      'AGE',
    ]);
    expect(row(result.stdout, 'engineering-explained').slice(1, 3)).toEqual(['True', 'ProvidersReady']);
    const named = await acog(['get', 'channel', 'shorts', '-n', other, '-o', 'name']);
    expect(named.stdout).toBe('channel.acog.dev/shorts\n');
    const unreported = await acog(['get', 'ch', '-n', other]);
    expect(row(unreported.stdout, 'shorts').slice(1, 6)).toEqual(['Unknown', '16:9', '1m', '0', '$0.00/$50.00']);
  });

  it('says which channel is missing', async () => {
    const result = await acog(['get', 'ch', 'nope', '-n', ns]);
    expect(result).toEqual({ code: 1, stdout: '', stderr: `error: channel "nope" not found in namespace "${ns}"\n` });
  });
});

describe('get permissions', () => {
  it('lets the viewer read everywhere', async () => {
    const result = await acog(['get', 'ep', '-n', ns], { user: 'viewer' });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('how-indexes-work');
  });

  it('refuses the editor outside team-a with the permission it lacks', async () => {
    const list = await acog(['get', 'ep', '-n', 'team-b'], { user: 'editor' });
    expect(list.code).toBe(1);
    expect(list.stderr).toBe(
      'error: forbidden: episodes.acog.dev is forbidden: User "acog-editor" cannot list resource "episodes" in API group "acog.dev" in the namespace "team-b"\n',
    );
    const one = await acog(['get', 'ch', 'x', '-n', 'team-b'], { user: 'editor' });
    expect(one.code).toBe(1);
    expect(one.stderr).toContain('cannot get resource "channels" in API group "acog.dev" in the namespace "team-b"');
  });
});

describe('get --watch', () => {
  it('prints the table, then a row per change, until Ctrl-C', async () => {
    const before = new Set(process.listeners('SIGINT'));
    const running = start(['get', 'ep', '-n', ns, '-w']);
    await until(() => running.stdout.text.split('\n').length > 3, 'the table');
    const interrupt = process.listeners('SIGINT').find((listener) => !before.has(listener));
    expect(interrupt).toBeDefined();
    expect(running.stdout.text.split('\n')[0]).toMatch(/^NAME\s+CHANNEL/);

    const status = awaitingVoiceStatus(ns, 'how-indexes-work');
    status.phase = 'Running';
    status.stages![4] = { name: 'voice', phase: 'Running', attempt: 1, startedAt: minutesAgo(0) };
    await setEpisodeStatus(ns, 'how-indexes-work', status);
    await until(() => /\nhow-indexes-work\s+engineering-explained\s+Running\s/.test(running.stdout.text), 'the Running row');
    await createEpisode(ns, 'added-while-watching');
    await until(() => running.stdout.text.includes('\nadded-while-watching '), 'the new episode');

    (interrupt as () => void)();
    expect(await running.done).toBe(130);
    expect(running.stderr.text).toBe('error: interrupted\n');
    expect(process.listeners('SIGINT')).not.toContain(interrupt);
  });

  it('-o name streams names', async () => {
    const before = new Set(process.listeners('SIGINT'));
    const running = start(['get', 'ch', '-n', other, '-w', '-o', 'name']);
    await until(() => running.stdout.text === 'channel.acog.dev/shorts\n', 'the first name');
    await setChannelStatus(other, 'shorts', { episodes: { total: 1 } });
    await until(() => running.stdout.text === 'channel.acog.dev/shorts\nchannel.acog.dev/shorts\n', 'the change');
    (process.listeners('SIGINT').find((listener) => !before.has(listener)) as () => void)();
    expect(await running.done).toBe(130);
  });
});
