import { beforeAll, describe, expect, it } from 'vitest';
import type { EpisodeStatus } from '@acog/api';
import { uniqueName } from '../../../../test/support/env.ts';
import { acog, createChannel, createEpisode, freshNamespace, getEpisode, minimal, setEpisodeStatus, unscheduled } from '../../testing.ts';

let ns: string;

const waitingAtVoice: EpisodeStatus = {
  phase: 'AwaitingApproval',
  currentStage: 'voice',
  stages: [
    { name: 'plan', phase: 'Succeeded', attempt: 1 },
    { name: 'script', phase: 'Succeeded', attempt: 1 },
    { name: 'refine', phase: 'Succeeded', attempt: 1 },
    { name: 'metadata', phase: 'Running', attempt: 1 },
    { name: 'voice', phase: 'AwaitingApproval' },
    { name: 'broll', phase: 'Running', attempt: 1 },
  ],
};

function expectRecent(time: string | undefined): void {
  expect(time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  expect(Math.abs(Date.now() - Date.parse(time!))).toBeLessThan(60_000);
}

beforeAll(async () => {
  ns = await freshNamespace('wr-approve');
  // The channel gates upload; the episodes add voice.
  await createChannel(ns, 'chan', unscheduled({ approvalGates: ['upload'] }));
});

describe('approve', () => {
  it('approves the gate the episode waits at, changing nothing else', async () => {
    await createEpisode(ns, 'ep-wait', 'chan', minimal({ approvalGates: ['voice'] }));
    const before = await setEpisodeStatus(ns, 'ep-wait', waitingAtVoice);
    const result = await acog(['approve', 'ep-wait', '-n', ns]);
    expect(result).toEqual({ code: 0, stdout: 'episode.acog.dev/ep-wait approved (voice)\n', stderr: '' });
    const after = await getEpisode(ns, 'ep-wait');
    expectRecent(after.metadata.annotations?.['approve.acog.dev/voice']);
    expect(after.spec).toEqual(before.spec);
    expect(after.metadata.generation).toBe(before.metadata.generation);
    expect(Object.keys(after.metadata.annotations ?? {})).toEqual(['approve.acog.dev/voice']);
  });

  it('says so when the gate is approved already', async () => {
    const result = await acog(['approve', 'ep-wait', '-n', ns]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^episode\.acog\.dev\/ep-wait already approved \(voice\) at \d{4}-/);
  });

  it('approves a later gate ahead of time with --stage, including a gate of the channel', async () => {
    const result = await acog(['approve', 'ep-wait', '--stage', 'upload', '-n', ns]);
    expect(result.stdout).toBe('episode.acog.dev/ep-wait approved (upload)\n');
    expectRecent((await getEpisode(ns, 'ep-wait')).metadata.annotations?.['approve.acog.dev/upload']);
  });

  it('says nothing is waiting, and which gates exist', async () => {
    await createEpisode(ns, 'ep-running', 'chan', minimal({ approvalGates: ['voice'] }));
    await setEpisodeStatus(ns, 'ep-running', {
      phase: 'Running',
      currentStage: 'script',
      stages: [
        { name: 'plan', phase: 'Succeeded' },
        { name: 'script', phase: 'Running' },
      ],
    });
    const result = await acog(['approve', 'ep-running', '-n', ns]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'error: episode ep-running is not waiting for an approval (phase Running); its gates are voice and upload; to approve a gate ahead of time: kubectl acog approve ep-running --stage voice\n',
    );
    expect((await getEpisode(ns, 'ep-running')).metadata.annotations).toBeUndefined();
  });

  it('refuses a stage that is not a gate of the episode, or not a stage, naming the gates', async () => {
    const notGate = await acog(['approve', 'ep-running', '--stage', 'script', '-n', ns]);
    expect(notGate.code).toBe(1);
    expect(notGate.stderr).toBe('error: episode ep-running has no approval gate before script: its gates are voice and upload\n');
    const notStage = await acog(['approve', 'ep-running', '--stage', 'voices', '-n', ns]);
    expect(notStage.code).toBe(1);
    expect(notStage.stderr).toContain(
      '"voices" is not a stage (stages: plan, script, refine, metadata, voice, avatar, broll, assemble, upload)',
    );
    expect(notStage.stderr).toContain('its gates are voice and upload');
    expect((await getEpisode(ns, 'ep-running')).metadata.annotations).toBeUndefined();
  });

  it('asks which gate when the episode waits at several', async () => {
    await createEpisode(ns, 'ep-two', 'chan', minimal({ approvalGates: ['voice', 'broll'] }));
    await setEpisodeStatus(ns, 'ep-two', {
      phase: 'AwaitingApproval',
      stages: [
        { name: 'voice', phase: 'AwaitingApproval' },
        { name: 'broll', phase: 'AwaitingApproval' },
      ],
    });
    const result = await acog(['approve', 'ep-two', '-n', ns]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('waits at 2 gates (voice and broll): pass --stage');
    expect((await acog(['approve', 'ep-two', '--stage', 'broll', '-n', ns])).stdout).toBe('episode.acog.dev/ep-two approved (broll)\n');
  });

  it('refuses a finished episode', async () => {
    await createEpisode(ns, 'ep-done', 'chan', minimal({ approvalGates: ['voice'] }));
    await setEpisodeStatus(ns, 'ep-done', { phase: 'Succeeded' });
    const result = await acog(['approve', 'ep-done', '--stage', 'voice', '-n', ns]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('episode ep-done is Succeeded; there is nothing to approve');
  });

  it('changes nothing with --dry-run=client or --dry-run=server', async () => {
    await createEpisode(ns, 'ep-dry', 'chan', minimal({ approvalGates: ['voice'] }));
    await setEpisodeStatus(ns, 'ep-dry', waitingAtVoice);
    expect((await acog(['approve', 'ep-dry', '--dry-run=client', '-n', ns])).stdout).toBe(
      'episode.acog.dev/ep-dry approved (voice) (dry run)\n',
    );
    expect((await acog(['approve', 'ep-dry', '--dry-run=server', '-n', ns])).stdout).toBe(
      'episode.acog.dev/ep-dry approved (voice) (server dry run)\n',
    );
    expect((await getEpisode(ns, 'ep-dry')).metadata.annotations).toBeUndefined();
  });

  it('is forbidden for the viewer, naming the missing permission', async () => {
    const result = await acog(['approve', 'ep-dry', '-n', ns], { user: 'viewer' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: forbidden: ');
    expect(result.stderr).toContain('User "acog-viewer" cannot patch resource "episodes" in API group "acog.dev"');
    expect((await getEpisode(ns, 'ep-dry')).metadata.annotations).toBeUndefined();
  });

  it('lets the editor approve in team-a', async () => {
    await createChannel('team-a', uniqueName('wr-approve-chan'), unscheduled()).then(async (channel) => {
      const name = uniqueName('ep-editor');
      await createEpisode('team-a', name, channel.metadata.name!, minimal({ approvalGates: ['voice'] }));
      await setEpisodeStatus('team-a', name, waitingAtVoice);
      expect((await acog(['approve', name, '-n', 'team-a'], { user: 'editor' })).stdout).toBe(
        `episode.acog.dev/${name} approved (voice)\n`,
      );
    });
  });

  it('says an unknown episode is not found', async () => {
    const result = await acog(['approve', 'nope', '-n', ns]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`error: episode "nope" in namespace "${ns}" not found: kubectl acog get episodes -n ${ns}\n`);
  });

  it('exits 2 on wrong usage', async () => {
    for (const args of [
      ['approve'],
      ['approve', 'a', 'b'],
      ['approve', 'ep-dry', '--dry-run=maybe'],
      ['approve', 'ep-dry', '--stage'],
      ['approve', 'ep-dry', '--bogus'],
    ]) {
      const result = await acog([...args, '-n', ns]);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
    }
  });
});
