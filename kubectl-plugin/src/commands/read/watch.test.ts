import { beforeAll, describe, expect, it } from 'vitest';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { GROUP, STAGES, VERSION, type Episode, type EpisodeStatus } from '@acog/api';
import { connect } from '../../kube/config.ts';
import { localEnv } from '../../../../test/support/env.ts';
import { collectionPath, listObjects } from './common.ts';
import { watchLoop, type WatchEventType } from './watch-loop.ts';
import {
  acog,
  admin,
  awaitingVoiceStatus,
  createChannel,
  createEpisode,
  freshNamespace,
  minutesAgo,
  setEpisodeStatus,
  start,
  until,
  type Running,
} from '../../testing.ts';

let ns: string;

function finished(phase: 'Succeeded' | 'Failed' | 'Cancelled', name: string): EpisodeStatus {
  const status = awaitingVoiceStatus(ns, name);
  status.phase = phase;
  status.currentStage = undefined;
  status.finishedAt = minutesAgo(0);
  if (phase === 'Succeeded') {
    status.progress = '9/9';
    status.message = 'published';
    status.stages = STAGES.map((stage, i) => ({
      name: stage,
      phase: 'Succeeded',
      attempt: 1,
      startedAt: minutesAgo(10 - i),
      finishedAt: minutesAgo(9 - i),
    }));
    status.youtube = { videoId: 'abc123', url: 'https://youtu.be/abc123' };
    status.totalCostUSD = 1.25;
  } else if (phase === 'Failed') {
    status.message = 'stage voice failed after 3 attempts: ElevenLabs answered 401: invalid API key';
    status.stages![4] = {
      name: 'voice',
      phase: 'Failed',
      attempt: 3,
      startedAt: minutesAgo(3),
      finishedAt: minutesAgo(1),
      message: 'ElevenLabs answered 401: invalid API key',
    };
  } else {
    status.message = 'cancelled by spec.cancel';
    status.stages![4] = { name: 'voice', phase: 'Cancelled' };
  }
  return status;
}

function running(name: string): EpisodeStatus {
  const status = awaitingVoiceStatus(ns, name);
  status.phase = 'Running';
  status.message = undefined;
  status.stages![4] = {
    name: 'voice',
    phase: 'Running',
    attempt: 1,
    jobName: `${name}-voice-1-aa`,
    startedAt: minutesAgo(0),
    provider: 'espeak',
  };
  return status;
}

async function awaiting(name: string): Promise<void> {
  await createEpisode(ns, name);
  await setEpisodeStatus(ns, name, awaitingVoiceStatus(ns, name));
}

async function watching(name: string): Promise<Running> {
  const run = start(['watch', name, '-n', ns]);
  await until(() => run.stdout.text.includes(`episode ${name} awaits approval before voice`), 'the first state');
  return run;
}

beforeAll(async () => {
  ns = await freshNamespace('read-watch');
  await createChannel(ns);
});

describe('watch', () => {
  it('follows the stages and exits 0 when the episode succeeds', async () => {
    await awaiting('succeeds');
    const run = await watching('succeeds');
    expect(run.stdout.text).toContain('Watching episode succeeds in namespace');
    expect(run.stdout.text).toContain('plan: done in 60.0s, openai, $0.12\n');
    expect(run.stdout.text).toContain(
      `episode succeeds awaits approval before voice: kubectl acog approve succeeds --stage voice -n ${ns}\n`,
    );
    await setEpisodeStatus(ns, 'succeeds', running('succeeds'));
    await until(() => run.stdout.text.includes('voice: running (espeak)\n'), 'voice running');
    await setEpisodeStatus(ns, 'succeeds', finished('Succeeded', 'succeeds'));
    expect(await run.done).toBe(0);
    expect(run.stdout.text).toContain('voice: done in 60.0s\n');
    expect(run.stdout.text).toContain('upload: done in 60.0s\n');
    expect(run.stdout.text).toMatch(/episode succeeds succeeded in 10m, cost \$1\.25: https:\/\/youtu\.be\/abc123\n$/);
    expect(run.stderr.text).toBe('');
  });

  it('exits 1 with the message when the episode fails', async () => {
    await awaiting('fails');
    const run = await watching('fails');
    await setEpisodeStatus(ns, 'fails', finished('Failed', 'fails'));
    expect(await run.done).toBe(1);
    expect(run.stdout.text).toContain('voice: failed after 120.0s: attempt 3: ElevenLabs answered 401: invalid API key\n');
    expect(run.stderr.text).toBe(
      'error: episode fails failed: stage voice failed after 3 attempts: ElevenLabs answered 401: invalid API key\n',
    );
  });

  it('exits 1 when the episode is cancelled', async () => {
    await awaiting('cancelled');
    const run = await watching('cancelled');
    await setEpisodeStatus(ns, 'cancelled', finished('Cancelled', 'cancelled'));
    expect(await run.done).toBe(1);
    expect(run.stderr.text).toBe('error: episode cancelled was cancelled: cancelled by spec.cancel\n');
  });

  it('returns at once for a finished episode', async () => {
    await createEpisode(ns, 'done-already');
    await setEpisodeStatus(ns, 'done-already', finished('Succeeded', 'done-already'));
    const result = await acog(['watch', 'done-already', '-n', ns]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('episode done-already succeeded in 10m, cost $1.25: https://youtu.be/abc123\n');
  });

  it('says when the episode is deleted meanwhile', async () => {
    await awaiting('deleted');
    const run = await watching('deleted');
    await admin()
      .makeApiClient(CustomObjectsApi)
      .deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: 'episodes', name: 'deleted' });
    expect(await run.done).toBe(1);
    expect(run.stderr.text).toBe('error: episode deleted was deleted while being watched (it was AwaitingApproval)\n');
  });

  it('stops on Ctrl-C with exit code 130, leaving the episode alone', async () => {
    await awaiting('interrupted');
    const before = new Set(process.listeners('SIGINT'));
    const run = await watching('interrupted');
    const interrupt = process.listeners('SIGINT').find((listener) => !before.has(listener)) as () => void;
    interrupt();
    expect(await run.done).toBe(130);
    expect(run.stderr.text).toBe('error: interrupted: episode interrupted is AwaitingApproval and goes on without you\n');
    expect(process.listeners('SIGINT')).not.toContain(interrupt);
  });

  it('redraws a line per stage on a terminal', async () => {
    await awaiting('on-a-tty');
    const run = start(['watch', 'on-a-tty', '-n', ns], { stdoutTTY: true });
    await until(() => run.stdout.text.includes('awaiting approval: kubectl acog approve on-a-tty --stage voice'), 'the display');
    await setEpisodeStatus(ns, 'on-a-tty', finished('Succeeded', 'on-a-tty'));
    expect(await run.done).toBe(0);
    const text = run.stdout.text;
    expect(text).toContain('\x1b[9A');
    expect(text).toMatch(/✓ plan {6}█{20} {3}60\.0s {2}succeeded {2}openai, \$0\.12/);
    expect(text).toContain('episode on-a-tty succeeded');
    expect(text).not.toContain('episode on-a-tty awaits approval before');
  });

  it('names a missing episode, and the permission the editor lacks in team-b', async () => {
    expect(await acog(['watch', 'nope', '-n', ns])).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: episode "nope" not found in namespace "${ns}"\n`,
    });
    const forbidden = await acog(['watch', 'x', '-n', 'team-b'], { user: 'editor' });
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toContain('cannot list resource "episodes" in API group "acog.dev" in the namespace "team-b"');
  });
});

describe('watchLoop', () => {
  const connection = () => connect({ kubeconfig: localEnv().kubernetes.kubeconfig, context: 'admin', namespace: ns });

  it('reconnects from the last resourceVersion when the server ends the watch', async () => {
    await awaiting('reconnects');
    const conn = connection();
    const fieldSelector = 'metadata.name=reconnects';
    const initial = await listObjects<Episode>(conn, 'episode', { namespace: ns, fieldSelector });
    const seen: Array<[WatchEventType, string | undefined]> = [];
    const controller = new AbortController();
    const loop = watchLoop<Episode>({
      kc: conn.kc,
      path: collectionPath('episode', ns),
      fieldSelector,
      initial,
      relist: () => listObjects<Episode>(conn, 'episode', { namespace: ns, fieldSelector }),
      onEvent: (type, episode) => {
        seen.push([type, episode.status?.phase]);
        return episode.status?.phase === 'Succeeded';
      },
      signal: controller.signal,
      what: 'the test episode',
      timeoutSeconds: 1,
    });
    // Outlive three server-side ends of the watch, then change the object.
    await new Promise((resolve) => setTimeout(resolve, 3500));
    await setEpisodeStatus(ns, 'reconnects', running('reconnects'));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await setEpisodeStatus(ns, 'reconnects', finished('Succeeded', 'reconnects'));
    expect(await loop).toBe('stopped');
    expect(seen).toEqual([
      ['MODIFIED', 'Running'],
      ['MODIFIED', 'Succeeded'],
    ]);
  });

  it('lists again when its resourceVersion has expired (410 Gone) and reports what changed', async () => {
    await awaiting('relists');
    const conn = connection();
    const fieldSelector = 'metadata.name=relists';
    const current = await listObjects<Episode>(conn, 'episode', { namespace: ns, fieldSelector });
    let relists = 0;
    const seen: Array<[WatchEventType, string | undefined]> = [];
    const result = await watchLoop<Episode>({
      kc: conn.kc,
      path: collectionPath('episode', ns),
      fieldSelector,
      // A resourceVersion from long before the API server's watch window: it answers 410 Expired.
      initial: { items: [{ ...current.items[0], metadata: { ...current.items[0].metadata, resourceVersion: '1' } }], resourceVersion: '1' },
      relist: async () => {
        relists += 1;
        return listObjects<Episode>(conn, 'episode', { namespace: ns, fieldSelector });
      },
      onEvent: (type, episode) => {
        seen.push([type, episode.status?.phase]);
        return true;
      },
      signal: new AbortController().signal,
      what: 'the test episode',
    });
    expect(result).toBe('stopped');
    expect(relists).toBe(1);
    expect(seen).toEqual([['MODIFIED', 'AwaitingApproval']]);
  });

  it('gives up with the reason when the user may not watch', async () => {
    const conn = connect({ kubeconfig: localEnv().kubernetes.kubeconfig, context: 'editor', namespace: 'team-b' });
    const loop = watchLoop<Episode>({
      kc: conn.kc,
      path: collectionPath('episode', 'team-b'),
      initial: { items: [], resourceVersion: '' },
      relist: async () => ({ items: [], resourceVersion: '' }),
      onEvent: () => true,
      signal: new AbortController().signal,
      what: 'episodes in namespace "team-b"',
    });
    await expect(loop).rejects.toThrow('cannot watch episodes in namespace "team-b" (403, forbidden)');
  });
});
