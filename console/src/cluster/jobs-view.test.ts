import { describe, expect, it } from 'vitest';
import type { Episode } from '@acog/api';
import type { Job } from '@acog/kube';
import { episodeJobRows, jobRow, RECENT_FAILURE_MS, sortJobRows, waitingRow } from './jobs-view.ts';

const now = new Date('2026-12-07T12:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();

function episode(status: Episode['status'], spec: Partial<Episode['spec']> = {}): Episode {
  return {
    apiVersion: 'acog.dev/v1alpha1',
    kind: 'Episode',
    metadata: { name: 'ep', namespace: 'team-a', uid: 'u1' },
    spec: { channelRef: { name: 'science' }, topic: 'A topic', ...spec },
    status,
  } as Episode;
}

function job(
  stage: string,
  attempt: number,
  conditions: { type: string; status: string; message?: string; lastTransitionTime?: string }[],
): Job {
  return {
    metadata: {
      name: `ep-${stage}-${attempt}`,
      namespace: 'team-a',
      labels: { 'acog.dev/episode': 'ep', 'acog.dev/stage': stage, 'acog.dev/attempt': String(attempt) },
    },
    status: { startTime: ago(120_000), conditions: conditions as never },
  };
}

describe('the Jobs view', () => {
  it('says why a stage waits: gate, suspended, backoff, budget, or another hold; not when it only waits for its inputs', () => {
    const gate = episode({ phase: 'AwaitingApproval', stages: [{ name: 'voice', phase: 'AwaitingApproval' }] });
    expect(waitingRow(gate, gate.status!.stages![0]!, now)).toMatchObject({
      waitingFor: 'Approval',
      message: expect.stringMatching(/--stage voice/),
    });
    const stage = { name: 'script' as const, phase: 'Pending' as const, message: 'openai: 429' };
    expect(waitingRow(episode({ stages: [stage] }, { suspend: true }), stage, now)).toMatchObject({ waitingFor: 'Suspended' });
    const backoff = { ...stage, nextAttemptAt: new Date(now.getTime() + 30_000).toISOString() };
    expect(waitingRow(episode({ stages: [backoff] }), backoff, now)).toMatchObject({ waitingFor: 'Backoff', until: backoff.nextAttemptAt });
    const over = { name: 'voice' as const, phase: 'Pending' as const, message: 'budget exceeded: voice (elevenlabs): over' };
    const budget = episode({
      stages: [over],
      conditions: [
        { type: 'BudgetExceeded', status: 'True', reason: 'MonthlyLimitReached', message: over.message, lastTransitionTime: ago(60_000) },
      ],
    });
    expect(waitingRow(budget, over, now)).toMatchObject({ waitingFor: 'Budget', since: ago(60_000) });
    const held = { name: 'plan' as const, phase: 'Pending' as const, message: 'Secret "openai" not found' };
    expect(waitingRow(episode({ stages: [held] }), held, now)).toMatchObject({ waitingFor: 'Held', message: held.message });
    const inputs = { name: 'assemble' as const, phase: 'Pending' as const };
    expect(waitingRow(episode({ stages: [inputs] }), inputs, now)).toBeUndefined();
    const elapsed = { ...stage, nextAttemptAt: ago(1_000), message: undefined };
    expect(waitingRow(episode({ stages: [elapsed] }), elapsed, now)).toBeUndefined();
  });

  it('shows active Jobs as running and failed ones for a day, with the stage message of that attempt', () => {
    const ep = episode({
      phase: 'Running',
      stages: [{ name: 'script', phase: 'Pending', jobName: 'ep-script-2', message: 'openai: 429' }],
    });
    expect(jobRow(ep, job('script', 3, []), now)).toMatchObject({ state: 'Running', attempt: 3, since: ago(120_000) });
    const failed = (attempt: number, at: string) =>
      job('script', attempt, [{ type: 'Failed', status: 'True', message: 'BackoffLimitExceeded', lastTransitionTime: at }]);
    expect(jobRow(ep, failed(2, ago(60_000)), now)).toMatchObject({ state: 'Failed', message: 'openai: 429' });
    expect(jobRow(ep, failed(1, ago(60_000)), now)).toMatchObject({ state: 'Failed', message: 'BackoffLimitExceeded' });
    expect(jobRow(ep, failed(1, ago(RECENT_FAILURE_MS + 1_000)), now)).toBeUndefined();
    expect(jobRow(ep, job('script', 1, [{ type: 'Complete', status: 'True' }]), now)).toBeUndefined();
  });

  it('lists no waiting stage of a finished or cancelled Episode, hides Jobs the user may not list, and sorts running, waiting, failed', () => {
    const stages = [{ name: 'voice' as const, phase: 'AwaitingApproval' as const }];
    expect(episodeJobRows(episode({ phase: 'Failed', stages }), [], now, true)).toEqual([]);
    expect(episodeJobRows(episode({ phase: 'AwaitingApproval', stages }, { cancel: true }), [], now, true)).toEqual([]);
    const running = job('plan', 1, []);
    expect(episodeJobRows(episode({ phase: 'Running', stages }), [running], now, false).map((row) => row.state)).toEqual(['Waiting']);
    const rows = episodeJobRows(
      episode({ phase: 'Running', stages }),
      [job('script', 1, [{ type: 'Failed', status: 'True', lastTransitionTime: ago(1_000) }]), running],
      now,
      true,
    );
    expect(sortJobRows(rows).map((row) => row.state)).toEqual(['Running', 'Waiting', 'Failed']);
  });
});
