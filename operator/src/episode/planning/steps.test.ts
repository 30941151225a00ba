import { describe, expect, it } from 'vitest';
import { validateChannel, validateEpisode, type Channel, type Episode, type EpisodeStatus, type StageName } from '@acog/api';
import type { PlanInput, StageStatus } from '../planner.ts';
import { recordOutcomes } from './outcomes.ts';
import { handleRetryRequest } from './requests.ts';
import {
  awaitDependencies,
  eachStage,
  holdAtGate,
  holdForSlot,
  keepRunning,
  leaveFinished,
  startAttempt,
  waitForBackoff,
} from './stages.ts';
import { planEpisode } from '../planner.ts';
import { planState, type PlanState } from './state.ts';
import { derivePhase, listStages, recordFinish, writeConditions } from './summary.ts';

const NOW = new Date('2026-11-26T10:00:00Z');

function channel(): Channel {
  return validateChannel({
    apiVersion: 'acog.dev/v1alpha1',
    kind: 'Channel',
    metadata: { name: 'ch', namespace: 'ns', generation: 1 },
    spec: { persona: { name: 'Ada', tone: 'warm', audience: 'developers' }, format: { aspectRatio: '16:9', targetDurationSeconds: 60 } },
  }).value;
}

function episode(edit?: (e: Episode) => void): Episode {
  const e = validateEpisode({
    apiVersion: 'acog.dev/v1alpha1',
    kind: 'Episode',
    metadata: { name: 'ep', namespace: 'ns', uid: 'uid-1', generation: 1 },
    spec: { channelRef: { name: 'ch' }, topic: 'How indexes work' },
  }).value;
  edit?.(e);
  return e;
}

/** A state whose status has these stage entries; `current` stages get the current input hash. */
function state(
  options: Partial<PlanInput> & { stages?: StageStatus[]; current?: StageName[]; status?: EpisodeStatus; edit?: (e: Episode) => void } = {},
): PlanState {
  const { stages = [], current = [], status, edit, ...input } = options;
  const e = episode(edit);
  const probe = planState({ episode: e, channel: channel(), jobs: [], outcomes: [], reusable: {}, now: NOW });
  const entries = stages.map((entry) => (current.includes(entry.name) ? { ...entry, inputHash: probe.hashes[entry.name] } : entry));
  e.status = { ...status, stages: entries };
  return planState({ episode: e, channel: channel(), jobs: [], outcomes: [], reusable: {}, now: NOW, ...input });
}

const succeeded = (name: StageName): StageStatus => ({ name, phase: 'Succeeded', attempt: 1 });

describe('eachStage', () => {
  it('asks the rules about each stage in pipeline order and stops at the first that decides', () => {
    const asked: string[] = [];
    const step = eachStage([
      (_s, stage) => (asked.push(`first ${stage}`), stage === 'script'),
      (_s, stage) => (asked.push(`second ${stage}`), true),
    ]);
    step(state());
    expect(asked.slice(0, 5)).toEqual(['first plan', 'second plan', 'first script', 'first refine', 'second refine']);
  });
});

describe('recordOutcomes', () => {
  it('ignores an outcome the status has gone past: an older attempt, or one already ended', () => {
    const s = state({
      stages: [{ name: 'plan', phase: 'Running', attempt: 2 }, succeeded('script')],
      outcomes: [
        { stage: 'plan', attempt: 1, failure: 'late', at: NOW },
        { stage: 'script', attempt: 1, failure: 'late', at: NOW },
      ],
    });
    recordOutcomes(s);
    expect(s.transitions).toEqual([]);
    expect(s.stages.get('plan')?.phase).toBe('Running');
    expect(s.stages.get('script')?.phase).toBe('Succeeded');
  });

  it('rounds the next attempt up to a whole second, so the wait is never shorter than the backoff', () => {
    const s = state({
      stages: [{ name: 'plan', phase: 'Running', attempt: 1 }],
      outcomes: [{ stage: 'plan', attempt: 1, failure: 'boom', at: NOW }],
      now: new Date('2026-11-26T10:00:00.400Z'),
    });
    recordOutcomes(s);
    expect(s.stages.get('plan')).toMatchObject({ phase: 'Pending', failures: 1, nextAttemptAt: '2026-11-26T10:00:31Z' });
    expect(s.transitions.map((t) => t.reason)).toEqual(['StageRetrying']);
  });

  it('fails the stage, with no next attempt, once the attempts are used up', () => {
    const s = state({
      stages: [{ name: 'plan', phase: 'Running', attempt: 3, failures: 2, nextAttemptAt: '2026-11-26T09:59:00Z' }],
      outcomes: [{ stage: 'plan', attempt: 3, at: NOW }],
    });
    recordOutcomes(s);
    expect(s.stages.get('plan')).toMatchObject({ phase: 'Failed', failures: 3, message: 'the runner failed without a message' });
    expect(s.stages.get('plan')?.nextAttemptAt).toBeUndefined();
    expect(s.transitions.map((t) => t.reason)).toEqual(['StageFailed']);
  });

  it('records a YouTube publication of the upload stage, and no other', () => {
    const published = (provider: string) => {
      const s = state({
        stages: [{ name: 'upload', phase: 'Running', attempt: 1 }],
        outcomes: [
          {
            stage: 'upload',
            attempt: 1,
            result: {
              stage: 'upload',
              attempt: 1,
              inputHash: 'sha256:u',
              provider,
              artifacts: {},
              usage: {},
              costUSD: 0,
              startedAt: '',
              finishedAt: '',
            },
            publication: { provider, id: 'v1', url: `https://${provider}/v1` },
            at: NOW,
          },
        ],
      });
      recordOutcomes(s);
      return s.status.youtube;
    };
    expect(published('youtube')).toEqual({ videoId: 'v1', url: 'https://youtube/v1' });
    expect(published('vimeo')).toBeUndefined();
  });
});

describe('handleRetryRequest', () => {
  const requested = (stage?: string) => (e: Episode) =>
    (e.metadata.annotations = { 'retry.acog.dev/requested-at': '2026-11-26T10:01:00Z', ...(stage && { 'retry.acog.dev/stage': stage }) });

  it('from a stage: that stage and everything downstream run again, upstream and side branches keep their results', () => {
    const all: StageName[] = ['plan', 'script', 'refine', 'metadata', 'voice', 'avatar', 'broll', 'assemble', 'upload'];
    const s = state({
      edit: requested('voice'),
      stages: all.map(succeeded),
      status: { phase: 'Succeeded', finishedAt: '2026-11-26T09:00:00Z' },
    });
    handleRetryRequest(s);
    const pending = all.filter((stage) => s.stages.get(stage)?.phase === 'Pending');
    expect(pending).toEqual(['voice', 'avatar', 'assemble', 'upload']);
    expect(s.retrying).toBe(true);
    expect(s.status.finishedAt).toBeUndefined();
  });

  it('does not resume an episode that was cancelled, even once spec.cancel is false again', () => {
    const s = state({ edit: requested(), stages: [{ name: 'plan', phase: 'Cancelled', attempt: 1 }], status: { phase: 'Cancelled' } });
    handleRetryRequest(s);
    expect(s.retrying).toBe(false);
    expect(s.stages.get('plan')?.phase).toBe('Cancelled');
    expect(s.status.lastRetryAt).toBeUndefined();
  });
});

describe('stage rules', () => {
  it('awaitDependencies: Blocked by a failed dependency, Pending while one is unfinished, a stale result kept', () => {
    const blocked = state({ stages: [{ name: 'plan', phase: 'Failed', attempt: 3 }] });
    expect(awaitDependencies(blocked, 'script')).toBe(true);
    expect(blocked.stages.get('script')).toMatchObject({ phase: 'Blocked', message: 'blocked: plan failed' });

    const stale = state({ stages: [succeeded('plan'), succeeded('script')], current: ['script'] });
    expect(awaitDependencies(stale, 'script')).toBe(true);
    expect(stale.stages.get('script')).toMatchObject({ phase: 'Succeeded', message: 'inputs changed upstream: runs again after plan' });

    const ready = state({ stages: [succeeded('plan')], current: ['plan'] });
    expect(awaitDependencies(ready, 'script')).toBe(false);
  });

  it('keepRunning: a running attempt whose Job is gone gets it again under the same name', () => {
    const entry: StageStatus = { name: 'plan', phase: 'Running', attempt: 2, inputHash: 'sha256:p', jobName: 'ep-plan-2-abcdef' };
    const gone = state({ stages: [entry] });
    expect(keepRunning(gone, 'plan')).toBe(true);
    expect(gone.start).toEqual([{ stage: 'plan', attempt: 2, inputHash: 'sha256:p', jobName: 'ep-plan-2-abcdef' }]);

    const there = state({ stages: [entry], jobs: [{ name: 'ep-plan-2-abcdef', stage: 'plan', attempt: 2, state: 'Active' }] });
    expect(keepRunning(there, 'plan')).toBe(true);
    expect(there.start).toEqual([]);
  });

  it('leaveFinished: a finished episode starts nothing, unless a retry is acted on', () => {
    const done = state({ status: { phase: 'Failed' } });
    expect(leaveFinished(done, 'plan')).toBe(true);
    done.retrying = true;
    expect(leaveFinished(done, 'plan')).toBe(false);
  });

  it('holdAtGate: says AwaitingApproval once, on reaching the gate, and lets an approved stage through', () => {
    const gated = (e: Episode) => (e.spec.approvalGates = ['voice']);
    const first = state({ edit: gated });
    expect(holdAtGate(first, 'voice')).toBe(true);
    expect(first.transitions.map((t) => t.reason)).toEqual(['AwaitingApproval']);

    const again = state({ edit: gated, stages: [{ name: 'voice', phase: 'AwaitingApproval' }] });
    expect(holdAtGate(again, 'voice')).toBe(true);
    expect(again.transitions).toEqual([]);

    const approved = state({
      edit: (e) => (gated(e), (e.metadata.annotations = { 'approve.acog.dev/voice': '2026-11-26T09:00:00Z' })),
    });
    expect(holdAtGate(approved, 'voice')).toBe(false);
  });

  it('waitForBackoff: holds a stage until its next attempt, and the plan looks again after the shortest wait', () => {
    const s = state({
      stages: [
        { name: 'metadata', phase: 'Pending', nextAttemptAt: '2026-11-26T10:01:00Z' },
        { name: 'voice', phase: 'Pending', nextAttemptAt: '2026-11-26T10:00:20Z' },
        { name: 'broll', phase: 'Pending', nextAttemptAt: '2026-11-26T10:00:00Z' },
      ],
    });
    expect(waitForBackoff(s, 'metadata')).toBe(true);
    expect(waitForBackoff(s, 'voice')).toBe(true);
    expect(waitForBackoff(s, 'broll')).toBe(false);
    expect(s.requeueAfterMs).toBe(20_000);
  });

  it('holdForSlot: the stage waits Pending with the same message, and no Event (the status says it)', () => {
    const hold = { reason: 'WaitingForSlot' as const, message: 'waiting for a stage slot: 2 of 2 running in namespace ns', fail: false };
    const first = state({ holds: { script: hold }, stages: [succeeded('plan')], current: ['plan'] });
    expect(holdForSlot(first, 'script')).toBe(true);
    expect(first.start).toEqual([]);
    expect(first.stages.get('script')).toMatchObject({ phase: 'Pending', message: hold.message });
    expect(first.transitions).toEqual([]);
    // A budget hold is the budget rule's.
    const budget = state({ holds: { script: { reason: 'BudgetExceeded', message: 'over', fail: false } } });
    expect(holdForSlot(budget, 'script')).toBe(false);
  });

  it('a plan with a stage waiting for a slot: the Episode says so, and waiting again writes nothing new', () => {
    const hold = { reason: 'WaitingForSlot' as const, message: 'waiting for a stage slot: 2 of 2 running in namespace ns', fail: false };
    const e = episode();
    const input = { episode: e, channel: channel(), jobs: [], outcomes: [], reusable: {}, now: NOW, holds: { plan: hold } };
    const plan = planEpisode(input);
    expect(plan.start).toEqual([]);
    expect(plan.status).toMatchObject({ phase: 'Pending', message: hold.message });
    expect(plan.status.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'False', reason: 'WaitingForSlot' });
    const later = planEpisode({ ...input, episode: { ...e, status: plan.status }, now: new Date(NOW.getTime() + 60_000) });
    expect(later.status).toEqual(plan.status);
    expect(later.transitions).toEqual([]);
  });

  it('startAttempt: numbers the attempt after the highest in status or among the Jobs', () => {
    const s = state({
      stages: [{ name: 'plan', phase: 'Pending', attempt: 1, failures: 1 }],
      jobs: [{ name: 'ep-plan-3-abcdef', stage: 'plan', attempt: 3, state: 'Failed' }],
    });
    expect(startAttempt(s, 'plan')).toBe(true);
    expect(s.start).toEqual([expect.objectContaining({ stage: 'plan', attempt: 4, inputHash: s.hashes.plan })]);
    expect(s.stages.get('plan')).toMatchObject({ phase: 'Running', attempt: 4, failures: 1, startedAt: '2026-11-26T10:00:00Z' });
  });
});

describe('summary', () => {
  const summarised = (s: PlanState) => {
    listStages(s);
    derivePhase(s);
    recordFinish(s);
    return s;
  };

  it('derivePhase: a failed stage fails the episode even while others run', () => {
    const s = summarised(
      state({
        stages: [
          { name: 'voice', phase: 'Failed', failures: 2, message: 'boom' },
          { name: 'broll', phase: 'Running', attempt: 1 },
        ],
      }),
    );
    expect(s.status).toMatchObject({ phase: 'Failed', message: 'voice failed after 2 attempt(s): boom' });
  });

  it('recordFinish: the Failed event only when the episode becomes Failed, and no finishedAt while unfinished', () => {
    const failed: StageStatus = { name: 'plan', phase: 'Failed', failures: 1, message: 'boom' };
    expect(summarised(state({ stages: [failed] })).transitions.map((t) => t.reason)).toEqual(['Failed']);
    expect(summarised(state({ stages: [failed], status: { phase: 'Failed' } })).transitions).toEqual([]);
    const running = summarised(
      state({ stages: [{ name: 'plan', phase: 'Running', attempt: 1 }], status: { finishedAt: '2026-11-26T09:00:00Z' } }),
    );
    expect(running.status.finishedAt).toBeUndefined();
  });

  it('writeConditions: a suspended episode with attempts behind it is Running but not Progressing', () => {
    const s = summarised(
      state({ edit: (e) => (e.spec.suspend = true), stages: [succeeded('plan'), { name: 'script', phase: 'Pending' }], current: ['plan'] }),
    );
    writeConditions(s);
    expect(s.status.phase).toBe('Running');
    expect(s.status.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'False', reason: 'Suspended' });
  });
});
