import { beforeAll, describe, expect, it } from 'vitest';
import { acog, createChannel, createEpisode, freshNamespace, getEpisode, minimal, setEpisodeStatus, unscheduled } from '../../testing.ts';

let ns: string;

beforeAll(async () => {
  ns = await freshNamespace('wr-suspend');
  await createChannel(ns, 'chan', unscheduled());
});

describe('suspend and resume', () => {
  it('set spec.suspend and nothing else', async () => {
    const before = await createEpisode(ns, 'ep', 'chan', minimal({ brief: 'A brief.' }));
    await setEpisodeStatus(ns, 'ep', { phase: 'Running', currentStage: 'voice' });
    const suspended = await acog(['suspend', 'ep', '-n', ns]);
    expect(suspended).toEqual({
      code: 0,
      stdout: 'episode.acog.dev/ep suspended\n  running stages finish; no new stage starts until kubectl acog resume ep\n',
      stderr: '',
    });
    expect((await getEpisode(ns, 'ep')).spec).toEqual({ ...before.spec, suspend: true });
    expect((await acog(['suspend', 'ep', '-n', ns])).stdout).toBe('episode.acog.dev/ep already suspended\n');

    expect((await acog(['resume', 'ep', '-n', ns])).stdout).toBe('episode.acog.dev/ep resumed\n');
    expect((await getEpisode(ns, 'ep')).spec).toEqual({ ...before.spec, suspend: false });
    expect((await acog(['resume', 'ep', '-n', ns])).stdout).toBe('episode.acog.dev/ep already running (not suspended)\n');
  });

  it('change nothing in a dry run', async () => {
    expect((await acog(['suspend', 'ep', '--dry-run=server', '-n', ns])).stdout).toBe('episode.acog.dev/ep suspended (server dry run)\n');
    expect((await acog(['suspend', 'ep', '--dry-run=client', '-n', ns])).stdout).toContain('episode.acog.dev/ep suspended (dry run)\n');
    expect((await getEpisode(ns, 'ep')).spec.suspend).toBe(false);
  });

  it('refuse to suspend a finished episode', async () => {
    await createEpisode(ns, 'ep-done', 'chan', minimal());
    await setEpisodeStatus(ns, 'ep-done', { phase: 'Succeeded' });
    const result = await acog(['suspend', 'ep-done', '-n', ns]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('error: episode ep-done is Succeeded; there is nothing to suspend\n');
  });

  it('are forbidden for the viewer, naming the missing permission', async () => {
    const result = await acog(['suspend', 'ep', '-n', ns], { user: 'viewer' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot patch resource "episodes" in API group "acog.dev"');
    expect((await getEpisode(ns, 'ep')).spec.suspend).toBe(false);
  });

  it('say an unknown episode is not found, and exit 2 on wrong usage', async () => {
    for (const verb of ['suspend', 'resume', 'cancel']) {
      const result = await acog([verb, 'nope', '-n', ns, '--yes'].filter((arg) => verb === 'cancel' || arg !== '--yes'));
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`episode "nope" in namespace "${ns}" not found`);
      expect((await acog([verb, '-n', ns])).code).toBe(2);
      expect((await acog([verb, 'ep', 'other', '-n', ns])).code).toBe(2);
    }
  });
});

describe('cancel', () => {
  it('sets spec.cancel without asking when not on a terminal', async () => {
    const before = await createEpisode(ns, 'ep-cancel', 'chan', minimal());
    await setEpisodeStatus(ns, 'ep-cancel', { phase: 'Running' });
    const result = await acog(['cancel', 'ep-cancel', '-n', ns]);
    expect(result).toEqual({ code: 0, stdout: 'episode.acog.dev/ep-cancel cancelled\n', stderr: '' });
    expect((await getEpisode(ns, 'ep-cancel')).spec).toEqual({ ...before.spec, cancel: true });
    const again = await acog(['cancel', 'ep-cancel', '-n', ns]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('episode ep-cancel is already being cancelled');
  });

  it('asks on a terminal, and does nothing unless told yes', async () => {
    await createEpisode(ns, 'ep-ask', 'chan', minimal());
    await setEpisodeStatus(ns, 'ep-ask', { phase: 'Running', currentStage: 'voice' });
    const no = await acog(['cancel', 'ep-ask', '-n', ns], { typed: 'n\n' });
    expect(no.code).toBe(1);
    expect(no.stderr).toContain(`Cancel episode ep-ask in namespace ${ns} (Running, at voice)? It cannot be resumed. [y/N]`);
    expect(no.stderr).toContain('episode ep-ask was not cancelled');
    expect((await getEpisode(ns, 'ep-ask')).spec.cancel).toBe(false);

    const yes = await acog(['cancel', 'ep-ask', '-n', ns], { typed: 'y\n' });
    expect(yes.code).toBe(0);
    expect(yes.stdout).toBe('episode.acog.dev/ep-ask cancelled\n');
    expect((await getEpisode(ns, 'ep-ask')).spec.cancel).toBe(true);
  });

  it('does not ask with --yes', async () => {
    await createEpisode(ns, 'ep-yes', 'chan', minimal());
    const result = await acog(['cancel', 'ep-yes', '--yes', '-n', ns], { typed: '' });
    expect(result).toEqual({ code: 0, stdout: 'episode.acog.dev/ep-yes cancelled\n', stderr: '' });
  });

  it('refuses a finished episode', async () => {
    for (const phase of ['Succeeded', 'Failed', 'Cancelled'] as const) {
      const name = `ep-${phase.toLowerCase()}`;
      await createEpisode(ns, name, 'chan', minimal());
      await setEpisodeStatus(ns, name, { phase });
      const result = await acog(['cancel', name, '-n', ns]);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`error: episode ${name} already finished (${phase}); there is nothing to cancel\n`);
      expect((await getEpisode(ns, name)).spec.cancel).toBe(false);
    }
  });

  it('changes nothing in a dry run, and is forbidden for the viewer', async () => {
    await createEpisode(ns, 'ep-keep', 'chan', minimal());
    expect((await acog(['cancel', 'ep-keep', '--dry-run=server', '-n', ns])).stdout).toBe(
      'episode.acog.dev/ep-keep cancelled (server dry run)\n',
    );
    expect((await acog(['cancel', 'ep-keep', '--dry-run=client', '-n', ns], { typed: '' })).stdout).toBe(
      'episode.acog.dev/ep-keep cancelled (dry run)\n',
    );
    const viewer = await acog(['cancel', 'ep-keep', '--yes', '-n', ns], { user: 'viewer' });
    expect(viewer.code).toBe(1);
    expect(viewer.stderr).toContain('cannot patch resource "episodes"');
    expect((await getEpisode(ns, 'ep-keep')).spec.cancel).toBe(false);
  });
});
