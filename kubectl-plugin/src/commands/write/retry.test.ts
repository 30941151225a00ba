import { beforeAll, describe, expect, it } from 'vitest';
import { acog, createChannel, createEpisode, freshNamespace, getEpisode, minimal, setEpisodeStatus, unscheduled } from '../../testing.ts';

let ns: string;
const REQUESTED = 'retry.acog.dev/requested-at';
const STAGE = 'retry.acog.dev/stage';

beforeAll(async () => {
  ns = await freshNamespace('wr-retry');
  await createChannel(ns, 'chan', unscheduled());
});

describe('retry', () => {
  it('asks the operator to run the failed stages of a Failed episode again, and says so', async () => {
    const before = await createEpisode(ns, 'ep-failed', 'chan', minimal());
    await setEpisodeStatus(ns, 'ep-failed', {
      phase: 'Failed',
      message: 'voice failed',
      stages: [
        { name: 'plan', phase: 'Succeeded', attempt: 1 },
        { name: 'voice', phase: 'Failed', attempt: 3, message: 'ElevenLabs refused the key' },
      ],
    });
    const result = await acog(['retry', 'ep-failed', '-n', ns]);
    expect(result).toEqual({
      code: 0,
      stdout:
        'episode.acog.dev/ep-failed retry requested\n  the operator runs voice (ElevenLabs refused the key) again, with fresh attempts; finished stages are kept\n',
      stderr: '',
    });
    const after = await getEpisode(ns, 'ep-failed');
    const requested = after.metadata.annotations?.[REQUESTED];
    expect(Math.abs(Date.now() - Date.parse(requested!))).toBeLessThan(60_000);
    expect(after.metadata.annotations?.[STAGE]).toBeUndefined();
    expect(after.spec).toEqual(before.spec);
  });

  it('with --stage, runs that stage and everything downstream again, also while Running', async () => {
    await createEpisode(ns, 'ep-stage', 'chan', minimal());
    await setEpisodeStatus(ns, 'ep-stage', { phase: 'Running', currentStage: 'avatar' });
    const result = await acog(['retry', 'ep-stage', '--stage', 'voice', '-n', ns]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      'episode.acog.dev/ep-stage retry requested (from voice)\n  the operator runs voice again, then avatar, assemble and upload (downstream of it); the stages before it are kept\n',
    );
    const annotations = (await getEpisode(ns, 'ep-stage')).metadata.annotations ?? {};
    expect(annotations[STAGE]).toBe('voice');
    expect(annotations[REQUESTED]).toBeDefined();
  });

  it('a later retry without --stage removes the stage of an earlier one', async () => {
    await setEpisodeStatus(ns, 'ep-stage', { phase: 'Failed', stages: [{ name: 'voice', phase: 'Failed' }] });
    const first = (await getEpisode(ns, 'ep-stage')).metadata.annotations?.[REQUESTED];
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await acog(['retry', 'ep-stage', '-n', ns])).code).toBe(0);
    const annotations = (await getEpisode(ns, 'ep-stage')).metadata.annotations ?? {};
    expect(annotations[STAGE]).toBeUndefined();
    expect(annotations[REQUESTED]).not.toBe(first);
  });

  it('refuses when the episode has not failed and no --stage is given', async () => {
    await createEpisode(ns, 'ep-running', 'chan', minimal());
    await setEpisodeStatus(ns, 'ep-running', { phase: 'Running' });
    const running = await acog(['retry', 'ep-running', '-n', ns]);
    expect(running.code).toBe(1);
    expect(running.stderr).toContain('error: episode ep-running is Running; nothing to retry');
    await createEpisode(ns, 'ep-new', 'chan', minimal());
    expect((await acog(['retry', 'ep-new', '-n', ns])).stderr).toContain('episode ep-new is Pending; nothing to retry');
    expect((await getEpisode(ns, 'ep-running')).metadata.annotations).toBeUndefined();
  });

  it('refuses a stage that is not one, or that the episode does not run', async () => {
    const notStage = await acog(['retry', 'ep-running', '--stage', 'mix', '-n', ns]);
    expect(notStage.code).toBe(1);
    expect(notStage.stderr).toContain('"mix" is not a stage');
    await createEpisode(ns, 'ep-skip', 'chan', minimal({ overrides: { skipStages: ['avatar'] } }));
    const skipped = await acog(['retry', 'ep-skip', '--stage', 'avatar', '-n', ns]);
    expect(skipped.code).toBe(1);
    expect(skipped.stderr).toContain(
      'episode ep-skip does not run the avatar stage (it runs plan, script, refine, metadata, voice, broll, assemble and upload)',
    );
  });

  it('refuses a cancelled episode', async () => {
    await createEpisode(ns, 'ep-cancelled', 'chan', minimal({ cancel: true }));
    await setEpisodeStatus(ns, 'ep-cancelled', { phase: 'Cancelled' });
    const result = await acog(['retry', 'ep-cancelled', '--stage', 'plan', '-n', ns]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cancelled episode cannot run again');
  });

  it('mentions a suspension, and changes nothing in a dry run', async () => {
    await createEpisode(ns, 'ep-dry', 'chan', minimal({ suspend: true }));
    await setEpisodeStatus(ns, 'ep-dry', { phase: 'Failed' });
    const client = await acog(['retry', 'ep-dry', '--dry-run=client', '-n', ns]);
    expect(client.stdout).toContain('episode.acog.dev/ep-dry retry requested (dry run)\n');
    expect(client.stdout).toContain('the episode is suspended: nothing starts until kubectl acog resume ep-dry');
    expect((await acog(['retry', 'ep-dry', '--dry-run=server', '-n', ns])).stdout).toContain('retry requested (server dry run)');
    expect((await getEpisode(ns, 'ep-dry')).metadata.annotations).toBeUndefined();
  });

  it('is forbidden for the viewer; an unknown episode is not found; wrong usage exits 2', async () => {
    const viewer = await acog(['retry', 'ep-failed', '-n', ns], { user: 'viewer' });
    expect(viewer.code).toBe(1);
    expect(viewer.stderr).toContain('cannot patch resource "episodes"');
    const unknown = await acog(['retry', 'nope', '-n', ns]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`episode "nope" in namespace "${ns}" not found`);
    expect((await acog(['retry', '-n', ns])).code).toBe(2);
    expect((await acog(['retry', 'ep-failed', '--dry-run=yes', '-n', ns])).code).toBe(2);
  });
});
