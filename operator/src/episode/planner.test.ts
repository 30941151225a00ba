import { describe, expect, it } from 'vitest';
import {
  stageInputHashes,
  validateChannel,
  validateEpisode,
  type Channel,
  type Episode,
  type StageName,
  type StageResult,
} from '@acog/api';
import { adoptJobs, planEpisode, retryDelaySeconds, DEFAULT_RETRY_POLICY, type AttemptOutcome, type PlanInput } from './planner.ts';

const NOW = new Date('2026-11-26T10:00:00Z');

function channel(edit?: (c: Channel) => void): Channel {
  const c = validateChannel({
    apiVersion: 'acog.dev/v1alpha1',
    kind: 'Channel',
    metadata: { name: 'ch', namespace: 'ns', generation: 1 },
    spec: { persona: { name: 'Ada', tone: 'warm', audience: 'developers' }, format: { aspectRatio: '16:9', targetDurationSeconds: 60 } },
  }).value;
  c.status = {
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'ProvidersReady',
        message: '',
        lastTransitionTime: '2026-01-01T00:00:00Z',
        observedGeneration: 1,
      },
    ],
  };
  edit?.(c);
  return c;
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

function plan(input: Partial<PlanInput> & { episode: Episode }) {
  return planEpisode({ channel: channel(), jobs: [], outcomes: [], reusable: {}, now: NOW, ...input });
}

function result(e: Episode, c: Channel, stage: StageName, attempt = 1, extra: Partial<StageResult> = {}): StageResult {
  return {
    stage,
    attempt,
    inputHash: stageInputHashes(c.spec, e.spec)[stage]!,
    provider: 'offline',
    artifacts: { [`${stage}.json`]: `s3://acog-scripts/ns/ep/uid-1/${stage}/${attempt}/${stage}.json` },
    usage: {},
    costUSD: 0.01,
    startedAt: '2026-11-26T09:59:00.000Z',
    finishedAt: '2026-11-26T09:59:30.000Z',
    ...extra,
  };
}

/** Runs the planner as the operator would: each started stage succeeds, until nothing starts. */
function runToEnd(e: Episode, c: Channel, until?: (started: StageName[]) => boolean): { episode: Episode; started: StageName[][] } {
  const rounds: StageName[][] = [];
  let current = e;
  let outcomes: AttemptOutcome[] = [];
  for (let i = 0; i < 20; i++) {
    const p = planEpisode({ episode: current, channel: c, jobs: [], outcomes, reusable: {}, now: NOW });
    current = { ...current, status: p.status };
    if (p.start.length === 0 && outcomes.length === 0) break;
    rounds.push(p.start.map((s) => s.stage));
    if (until?.(p.start.map((s) => s.stage))) break;
    outcomes = p.start.map((s) => ({
      stage: s.stage,
      attempt: s.attempt,
      jobName: s.jobName,
      result: result(current, c, s.stage, s.attempt),
      at: NOW,
    }));
  }
  return { episode: current, started: rounds.filter((r) => r.length) };
}

describe('planEpisode', () => {
  it('starts plan first, with a deterministic Job name, and says Running', () => {
    const p = plan({ episode: episode() });
    expect(p.start).toEqual([
      {
        stage: 'plan',
        attempt: 1,
        inputHash: expect.stringMatching(/^sha256:/),
        jobName: expect.stringMatching(/^ep-plan-1-[0-9a-f]{6}$/),
      },
    ]);
    expect(p.status.phase).toBe('Running');
    expect(p.status.progress).toBe('0/9');
    expect(p.status.stages?.find((s) => s.name === 'script')).toMatchObject({ phase: 'Pending', message: 'waiting for plan' });
    expect(p.transitions).toEqual([expect.objectContaining({ reason: 'StageStarted' })]);
    expect(plan({ episode: episode() }).start[0].jobName).toBe(p.start[0].jobName);
  });

  it('walks the DAG: metadata, voice and broll start together after refine; assemble waits for all three', () => {
    const { episode: done, started } = runToEnd(episode(), channel());
    expect(started).toEqual([['plan'], ['script'], ['refine'], ['metadata', 'voice', 'broll'], ['avatar'], ['assemble'], ['upload']]);
    expect(done.status?.phase).toBe('Succeeded');
    expect(done.status?.progress).toBe('9/9');
    expect(done.status?.totalCostUSD).toBeCloseTo(0.09);
    expect(done.status?.conditions?.find((c) => c.type === 'Succeeded')?.status).toBe('True');
  });

  it('marks skipped stages and hands a skipped dependency on', () => {
    const e = episode((x) => (x.spec.overrides = { skipStages: ['avatar', 'broll'] }));
    const c = channel((x) => (x.spec.format.layout = 'broll-only'));
    const { episode: done, started } = runToEnd(e, c);
    expect(started).toEqual([['plan'], ['script'], ['refine'], ['metadata', 'voice'], ['assemble'], ['upload']]);
    expect(done.status?.stages?.find((s) => s.name === 'avatar')?.phase).toBe('Skipped');
    expect(done.status?.progress).toBe('7/7');
  });

  it('holds a gated stage until its approval annotation, and suspend holds everything', () => {
    const gated = episode((x) => (x.spec.approvalGates = ['voice']));
    const { episode: atGate } = runToEnd(gated, channel(), (s) => s.includes('metadata'));
    const p = plan({ episode: atGate, outcomes: [] });
    expect(p.status.stages?.find((s) => s.name === 'voice')?.phase).toBe('AwaitingApproval');

    const approved = { ...atGate, metadata: { ...atGate.metadata, annotations: { 'approve.acog.dev/voice': '2026-11-26T10:00:00Z' } } };
    const suspended = { ...approved, spec: { ...approved.spec, suspend: true } };
    const running = (['metadata', 'broll'] as const).map((stage) => ({
      name: `ep-${stage}-1`,
      stage,
      attempt: 1,
      state: 'Active' as const,
    }));
    const held = plan({ episode: suspended, jobs: running });
    expect(held.start).toEqual([]);
    expect(held.status.stages?.find((s) => s.name === 'voice')?.message).toMatch(/^suspended/);
    expect(plan({ episode: approved, jobs: running }).start.map((s) => s.stage)).toEqual(['voice']);
  });

  it('retries a failed attempt after the backoff, then fails the episode with the stage message', () => {
    const e = episode((x) => (x.spec.overrides = { retryPolicy: { maxAttempts: 2, backoffSeconds: 10, maxBackoffSeconds: 60 } }));
    const first = plan({ episode: e });
    const running = { ...e, status: first.status };
    const failure = (attempt: number): AttemptOutcome => ({ stage: 'plan', attempt, failure: 'OpenAI said 401', at: NOW });
    const retrying = plan({ episode: running, outcomes: [failure(1)] });
    expect(retrying.start).toEqual([]);
    expect(retrying.status.stages?.[0]).toMatchObject({ phase: 'Pending', failures: 1, nextAttemptAt: '2026-11-26T10:00:10Z' });
    expect(retrying.requeueAfterMs).toBe(10_000);
    const later = planEpisode({
      episode: { ...e, status: retrying.status },
      channel: channel(),
      jobs: [],
      outcomes: [],
      reusable: {},
      now: new Date('2026-11-26T10:00:10Z'),
    });
    expect(later.start).toEqual([expect.objectContaining({ stage: 'plan', attempt: 2 })]);
    const failed = plan({ episode: { ...e, status: later.status }, outcomes: [failure(2)] });
    expect(failed.status.phase).toBe('Failed');
    expect(failed.status.message).toBe('plan failed after 2 attempt(s): OpenAI said 401');
    expect(failed.status.stages?.find((s) => s.name === 'script')?.phase).toBe('Blocked');
    expect(failed.transitions.map((t) => t.reason)).toEqual(['StageFailed', 'Failed']);
  });

  it('fails the stage at once, without spending the retry policy, when another attempt would fail the same way', () => {
    const e = episode((x) => (x.spec.overrides = { retryPolicy: { maxAttempts: 3, backoffSeconds: 10, maxBackoffSeconds: 60 } }));
    const first = plan({ episode: e });
    const refused: AttemptOutcome = { stage: 'plan', attempt: 1, failure: 'OpenAI refused the key (401)', permanent: true, at: NOW };
    const failed = plan({ episode: { ...e, status: first.status }, outcomes: [refused] });
    expect(failed.start).toEqual([]);
    expect(failed.status.stages?.[0]).toMatchObject({ phase: 'Failed', attempt: 1, failures: 1 });
    expect(failed.status.stages?.[0].nextAttemptAt).toBeUndefined();
    expect(failed.status.phase).toBe('Failed');
    expect(failed.status.message).toBe(
      `plan failed after 1 attempt(s): OpenAI refused the key (401) (not retried: the provider refuses this request itself, so another attempt would fail the same way; fix it, then kubectl acog retry ${e.metadata.name})`,
    );
    expect(failed.transitions.map((t) => t.reason)).toEqual(['StageFailed', 'Failed']);
  });

  it('acts once on a retry request: failed stages start again with a fresh count', () => {
    const e = episode((x) => (x.spec.overrides = { retryPolicy: { maxAttempts: 1 } }));
    const first = plan({ episode: e });
    const failed = plan({ episode: { ...e, status: first.status }, outcomes: [{ stage: 'plan', attempt: 1, failure: 'boom', at: NOW }] });
    expect(failed.status.phase).toBe('Failed');
    expect(plan({ episode: { ...e, status: failed.status } }).start).toEqual([]);
    const asked = {
      ...e,
      metadata: { ...e.metadata, annotations: { 'retry.acog.dev/requested-at': '2026-11-26T10:01:00Z' } },
      status: failed.status,
    };
    const retried = plan({ episode: asked });
    expect(retried.start).toEqual([expect.objectContaining({ stage: 'plan', attempt: 2 })]);
    expect(retried.status.lastRetryAt).toBe('2026-11-26T10:01:00Z');
    expect(retried.status.phase).toBe('Running');
    expect(plan({ episode: { ...asked, status: retried.status } }).transitions.map((t) => t.reason)).not.toContain('RetryRequested');
  });

  it('re-runs from the first stage whose inputs changed, and reuses a matching earlier attempt', () => {
    const c = channel();
    const { episode: done } = runToEnd(
      episode((x) => (x.spec.approvalGates = ['upload'])),
      c,
    );
    expect(done.status?.phase).toBe('AwaitingApproval');
    const edited = {
      ...done,
      spec: { ...done.spec, overrides: { providers: { voice: { provider: 'espeak' as const, voiceId: 'en-gb' } } } },
    };
    const p = plan({ episode: edited });
    expect(p.start.map((s) => [s.stage, s.attempt])).toEqual([['voice', 2]]);
    expect(p.status.stages?.find((s) => s.name === 'avatar')).toMatchObject({
      phase: 'Succeeded',
      message: 'inputs changed upstream: runs again after voice',
    });
    expect(p.status.progress).toBe('5/9');
    expect(p.status.stages?.find((s) => s.name === 'broll')?.phase).toBe('Succeeded');

    const back = { ...edited, status: p.status };
    const voiceAttempt1 = result(done, c, 'voice', 1);
    const reused = plan({
      episode: {
        ...back,
        spec: done.spec,
        status: {
          ...p.status,
          stages: p.status.stages?.map((s) => (s.name === 'voice' ? { ...s, phase: 'Succeeded' as const, inputHash: 'sha256:new' } : s)),
        },
      },
      reusable: { voice: voiceAttempt1 },
    });
    expect(reused.status.stages?.find((s) => s.name === 'voice')).toMatchObject({
      phase: 'Succeeded',
      attempt: 1,
      message: expect.stringMatching(/^reused attempt 1/),
    });
    expect(reused.start).toEqual([]);
  });

  it('cancels for good: active Jobs are deleted and nothing starts', () => {
    const first = plan({ episode: episode() });
    const cancelled = episode((x) => (x.spec.cancel = true));
    const p = plan({
      episode: { ...cancelled, status: first.status },
      jobs: [{ name: first.start[0].jobName, stage: 'plan', attempt: 1, state: 'Active' }],
    });
    expect(p.deleteJobs).toEqual([first.start[0].jobName]);
    expect(p.start).toEqual([]);
    expect(p.status.phase).toBe('Cancelled');
    expect(p.status.stages?.find((s) => s.name === 'plan')?.phase).toBe('Cancelled');
  });

  it('waits, with the reason, while the Channel is missing or not ready', () => {
    const missing = plan({
      episode: episode(),
      channel: undefined,
      channelProblem: { reason: 'ChannelNotFound', message: 'channel "ch" not found' },
    });
    expect(missing.start).toEqual([]);
    expect(missing.status).toMatchObject({ phase: 'Pending', message: 'channel "ch" not found' });
    expect(missing.status.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'False', reason: 'ChannelNotFound' });
    const notReady = plan({
      episode: episode(),
      channelProblem: { reason: 'ChannelNotReady', message: 'channel "ch" is not ready: secret' },
    });
    expect(notReady.start).toEqual([]);
  });

  it('keeps lastTransitionTime while a condition holds, and stamps observedGeneration', () => {
    const first = plan({ episode: episode() });
    const later = planEpisode({
      episode: { ...episode(), status: first.status },
      channel: channel(),
      jobs: [{ name: first.start[0].jobName, stage: 'plan', attempt: 1, state: 'Active' }],
      outcomes: [],
      reusable: {},
      now: new Date('2026-11-26T11:00:00Z'),
    });
    const progressing = (s: typeof first.status) => s.conditions?.find((c) => c.type === 'Progressing');
    expect(progressing(later.status)?.lastTransitionTime).toBe(progressing(first.status)?.lastTransitionTime);
    expect(later.status.conditions?.every((c) => c.observedGeneration === 1)).toBe(true);
    expect(later.start).toEqual([]);
  });
});

describe('adoptJobs', () => {
  it('takes a Job newer than the status as the running attempt, so it is not started twice', () => {
    const status = adoptJobs(
      { stages: [{ name: 'plan', phase: 'Pending', attempt: 1 }] },
      [
        { name: 'ep-plan-2-abcdef', stage: 'plan', attempt: 2, state: 'Active', inputHash: 'sha256:x' },
        { name: 'ep-plan-1-aaaaaa', stage: 'plan', attempt: 1, state: 'Failed' },
        { name: 'ep-script-3-bbbbbb', stage: 'script', attempt: 3, state: 'Complete', inputHash: 'sha256:abandoned' },
      ],
      { plan: 'sha256:x', script: 'sha256:current' },
    );
    expect(status.stages).toEqual([
      expect.objectContaining({ name: 'plan', phase: 'Running', attempt: 2, jobName: 'ep-plan-2-abcdef', inputHash: 'sha256:x' }),
    ]);
    const p = plan({ episode: { ...episode(), status }, jobs: [{ name: 'ep-plan-2-abcdef', stage: 'plan', attempt: 2, state: 'Active' }] });
    expect(p.start).toEqual([]);
  });
});

describe('retryDelaySeconds', () => {
  it('doubles from backoffSeconds and stops at maxBackoffSeconds', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => retryDelaySeconds(DEFAULT_RETRY_POLICY, n))).toEqual([30, 60, 120, 240, 480, 600, 600]);
  });
});

describe('budget holds', () => {
  const exceeded = { reason: 'BudgetExceeded' as const, message: 'budget exceeded: plan (openai): over the limit', fail: false };

  it('a held stage waits Pending with the gate message, under condition BudgetExceeded, with one Event', () => {
    const first = plan({ episode: episode(), holds: { plan: exceeded } });
    expect(first.start).toEqual([]);
    expect(first.status.stages?.find((s) => s.name === 'plan')).toMatchObject({ phase: 'Pending', message: exceeded.message });
    expect(first.status.phase).toBe('Pending');
    expect(first.status.message).toBe(exceeded.message);
    expect(first.status.conditions?.find((c) => c.type === 'BudgetExceeded')).toMatchObject({
      status: 'True',
      reason: 'MonthlyLimitReached',
      message: exceeded.message,
    });
    expect(first.status.conditions?.find((c) => c.type === 'Progressing')?.reason).toBe('BudgetExceeded');
    expect(first.transitions).toEqual([{ type: 'Warning', reason: 'BudgetExceeded', message: `plan waits: ${exceeded.message}` }]);
    // Still held: no second Event.
    const again = plan({ episode: episode((e) => (e.status = first.status)), holds: { plan: exceeded } });
    expect(again.transitions).toEqual([]);
    // Released: the stage starts and the condition turns False.
    const released = plan({ episode: episode((e) => (e.status = first.status)) });
    expect(released.start.map((s) => s.stage)).toEqual(['plan']);
    expect(released.status.conditions?.find((c) => c.type === 'BudgetExceeded')).toMatchObject({ status: 'False', reason: 'WithinBudget' });
  });

  it('Episodes never held carry no budget conditions', () => {
    const fresh = plan({ episode: episode() });
    expect(fresh.status.conditions?.map((c) => c.type)).not.toContain('BudgetExceeded');
    expect(fresh.status.conditions?.map((c) => c.type)).not.toContain('LedgerUnavailable');
  });

  it('onExceeded Fail fails the stage and the Episode with the message', () => {
    const failed = plan({ episode: episode(), holds: { plan: { ...exceeded, fail: true } } });
    expect(failed.start).toEqual([]);
    expect(failed.status.phase).toBe('Failed');
    expect(failed.status.message).toBe(`plan failed: ${exceeded.message}`);
    expect(failed.transitions.map((t) => t.reason)).toEqual(expect.arrayContaining(['BudgetExceeded', 'Failed']));
  });

  it('a stage held because the ledger is down waits under LedgerUnavailable; other stages go on', () => {
    const unavailable = { reason: 'LedgerUnavailable' as const, message: 'the cost ledger (PostgreSQL) cannot be reached', fail: false };
    const c = channel();
    // plan has finished; script, the next stage, is held.
    const e = episode();
    const done = plan({ episode: e, channel: c });
    const after = plan({
      episode: episode((x) => (x.status = done.status)),
      channel: c,
      outcomes: [{ stage: 'plan', attempt: 1, result: result(e, c, 'plan'), at: NOW }],
      holds: { script: unavailable },
    });
    expect(after.start).toEqual([]);
    expect(after.status.stages?.find((s) => s.name === 'script')).toMatchObject({ phase: 'Pending', message: unavailable.message });
    expect(after.status.conditions?.find((c) => c.type === 'LedgerUnavailable')).toMatchObject({
      status: 'True',
      reason: 'DatabaseUnreachable',
    });
  });
});
