import { describe, expect, it } from 'vitest';
import {
  andList,
  decideAction,
  decideApprove,
  decideCancel,
  decideResume,
  decideRetry,
  decideSuspend,
  EPISODE_ACTIONS,
  gatesOf,
  inStageOrder,
  phaseOf,
  stagesRun,
  waitingGates,
  withDownstream,
  type Channel,
  type Episode,
  type EpisodeSpec,
  type EpisodeStatus,
} from './index.ts';

const NOW = new Date('2026-12-04T10:00:00.000Z');

function episode(spec: Partial<EpisodeSpec> = {}, status?: EpisodeStatus, annotations?: Record<string, string>): Episode {
  return {
    apiVersion: 'acog.dev/v1alpha1',
    kind: 'Episode',
    metadata: { name: 'ep', namespace: 'team-a', ...(annotations ? { annotations } : {}) },
    spec: { channelRef: { name: 'chan' }, topic: 'A topic', ...spec },
    ...(status ? { status } : {}),
  };
}

function channel(spec: Partial<Channel['spec']> = {}): Channel {
  return {
    apiVersion: 'acog.dev/v1alpha1',
    kind: 'Channel',
    metadata: { name: 'chan', namespace: 'team-a' },
    spec: { persona: { name: 'P', tone: 't', audience: 'a' }, format: { aspectRatio: '16:9', targetDurationSeconds: 60 }, ...spec },
  };
}

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

describe('helpers', () => {
  it('phaseOf: Pending until the operator writes a status', () => {
    expect(phaseOf(episode())).toBe('Pending');
    expect(phaseOf(episode({}, { phase: 'Running' }))).toBe('Running');
  });

  it('inStageOrder: pipeline order, each stage once', () => {
    expect(inStageOrder(['upload', 'plan', 'voice', 'plan'])).toEqual(['plan', 'voice', 'upload']);
    expect(inStageOrder([])).toEqual([]);
  });

  it('withDownstream: a stage and everything that depends on it', () => {
    expect(withDownstream('voice')).toEqual(['voice', 'avatar', 'assemble', 'upload']);
    expect(withDownstream('refine')).toEqual(['refine', 'metadata', 'voice', 'avatar', 'broll', 'assemble', 'upload']);
    expect(withDownstream('upload')).toEqual(['upload']);
  });

  it('stagesRun: the status when it lists stages, else all but the skipped of channel and episode', () => {
    expect(
      stagesRun(
        episode(
          {},
          {
            stages: [
              { name: 'voice', phase: 'Running' },
              { name: 'plan', phase: 'Succeeded' },
            ],
          },
        ),
      ),
    ).toEqual(['plan', 'voice']);
    const skipping = episode({ overrides: { skipStages: ['avatar'] } });
    expect(stagesRun(skipping)).toEqual(['plan', 'script', 'refine', 'metadata', 'voice', 'broll', 'assemble', 'upload']);
    expect(stagesRun(skipping, channel({ skipStages: ['broll'] }))).toEqual([
      'plan',
      'script',
      'refine',
      'metadata',
      'voice',
      'assemble',
      'upload',
    ]);
    expect(stagesRun(episode({}, { stages: [] }))).toHaveLength(9);
  });

  it("gatesOf: the channel's gates and the episode's, in stage order", () => {
    expect(gatesOf(episode({ approvalGates: ['voice'] }), channel({ approvalGates: ['upload', 'plan'] }))).toEqual([
      'plan',
      'voice',
      'upload',
    ]);
    expect(gatesOf(episode({ approvalGates: ['voice'] }), undefined)).toEqual(['voice']);
    expect(gatesOf(episode(), channel())).toEqual([]);
  });

  it('waitingGates: stages awaiting approval, else the current stage(s) of an AwaitingApproval episode', () => {
    expect(waitingGates(episode({}, waitingAtVoice))).toEqual(['voice']);
    expect(
      waitingGates(
        episode(
          {},
          {
            stages: [
              { name: 'upload', phase: 'AwaitingApproval' },
              { name: 'voice', phase: 'AwaitingApproval' },
            ],
          },
        ),
      ),
    ).toEqual(['voice', 'upload']);
    expect(waitingGates(episode({}, { phase: 'AwaitingApproval', currentStage: 'broll, voice, nonsense' }))).toEqual(['voice', 'broll']);
    expect(waitingGates(episode({}, { phase: 'AwaitingApproval' }))).toEqual([]);
    expect(waitingGates(episode({}, { phase: 'Running', currentStage: 'voice' }))).toEqual([]);
    expect(waitingGates(episode())).toEqual([]);
  });

  it('andList: "a, b and c"', () => {
    expect(andList([])).toBe('');
    expect(andList(['a'])).toBe('a');
    expect(andList(['a', 'b'])).toBe('a and b');
    expect(andList(['a', 'b', 'c'])).toBe('a, b and c');
  });
});

describe('approve', () => {
  const gated = (status?: EpisodeStatus, annotations?: Record<string, string>) =>
    episode({ approvalGates: ['voice'] }, status, annotations);
  const chan = channel({ approvalGates: ['upload'] });

  it('passes the gate the episode waits at, with the time as the annotation', () => {
    expect(decideApprove(gated(waitingAtVoice), chan, {}, NOW)).toEqual({
      outcome: 'patch',
      action: 'approve',
      stage: 'voice',
      patch: { metadata: { annotations: { 'approve.acog.dev/voice': '2026-12-04T10:00:00.000Z' } } },
      message: 'approved (voice)',
    });
  });

  it("approves a later gate ahead of time, including the channel's", () => {
    const decision = decideApprove(gated(waitingAtVoice), chan, { stage: 'upload' }, NOW);
    expect(decision).toMatchObject({
      outcome: 'patch',
      stage: 'upload',
      message: 'approved (upload)',
      patch: { metadata: { annotations: { 'approve.acog.dev/upload': NOW.toISOString() } } },
    });
  });

  it('has nothing to do when the gate is approved already', () => {
    const approved = gated(waitingAtVoice, { 'approve.acog.dev/voice': '2026-12-01T00:00:00Z' });
    expect(decideApprove(approved, chan, {}, NOW)).toEqual({
      outcome: 'unchanged',
      action: 'approve',
      stage: 'voice',
      message: 'already approved (voice) at 2026-12-01T00:00:00Z',
    });
    expect(decideApprove(approved, chan, { stage: 'voice' }, NOW).outcome).toBe('unchanged');
  });

  it('refuses a Succeeded or Cancelled episode', () => {
    for (const phase of ['Succeeded', 'Cancelled'] as const) {
      expect(decideApprove(gated({ phase }), chan, { stage: 'voice' }, NOW)).toEqual({
        outcome: 'refused',
        action: 'approve',
        reason: 'Finished',
        message: `episode ep is ${phase}; there is nothing to approve`,
        gates: ['voice', 'upload'],
      });
    }
    // A Failed episode may still be approved ahead of a retry.
    expect(decideApprove(gated({ phase: 'Failed' }), chan, { stage: 'voice' }, NOW).outcome).toBe('patch');
  });

  it('refuses what is not a stage, naming the stages and the gates', () => {
    expect(decideApprove(gated(waitingAtVoice), chan, { stage: 'voices' }, NOW)).toMatchObject({
      outcome: 'refused',
      reason: 'NotAStage',
      message:
        '"voices" is not a stage (stages: plan, script, refine, metadata, voice, avatar, broll, assemble, upload); for episode ep its gates are voice (waiting) and upload',
    });
    expect(decideApprove(gated(waitingAtVoice), chan, { stage: '' }, NOW)).toMatchObject({ reason: 'NotAStage' });
  });

  it('refuses a stage without a gate, describing the gates', () => {
    const approvedUpload = gated({ phase: 'Running' }, { 'approve.acog.dev/upload': '2026-12-02T00:00:00Z' });
    expect(decideApprove(approvedUpload, chan, { stage: 'script' }, NOW)).toMatchObject({
      outcome: 'refused',
      reason: 'NotAGate',
      message: 'episode ep has no approval gate before script: its gates are voice and upload (approved 2026-12-02T00:00:00Z)',
    });
    expect(decideApprove(episode({ approvalGates: ['voice'] }), undefined, { stage: 'upload' }, NOW)).toMatchObject({
      reason: 'NotAGate',
      message: 'episode ep has no approval gate before upload: its gate is voice',
    });
    expect(decideApprove(episode(), channel(), { stage: 'voice' }, NOW)).toMatchObject({
      reason: 'NotAGate',
      message:
        'episode ep has no approval gate before voice: it has no approval gates (spec.approvalGates of the episode and of its channel are empty)',
      gates: [],
    });
  });

  it('refuses when nothing waits, naming the gates so a client can offer one ahead of time', () => {
    const running = gated({ phase: 'Running', currentStage: 'script' });
    expect(decideApprove(running, chan, {}, NOW)).toEqual({
      outcome: 'refused',
      action: 'approve',
      reason: 'NotWaiting',
      message: 'episode ep is not waiting for an approval (phase Running); its gates are voice and upload',
      gates: ['voice', 'upload'],
    });
    expect(decideApprove(episode(), undefined, {}, NOW)).toMatchObject({
      reason: 'NotWaiting',
      message:
        'episode ep is not waiting for an approval (phase Pending); it has no approval gates (spec.approvalGates of the episode and of its channel are empty)',
    });
  });

  it('refuses to guess when the episode waits at several gates', () => {
    const two = episode(
      { approvalGates: ['voice', 'broll'] },
      {
        phase: 'AwaitingApproval',
        stages: [
          { name: 'voice', phase: 'AwaitingApproval' },
          { name: 'broll', phase: 'AwaitingApproval' },
        ],
      },
    );
    expect(decideApprove(two, chan, {}, NOW)).toMatchObject({
      outcome: 'refused',
      reason: 'WaitingAtSeveral',
      message: 'episode ep waits at 2 gates (voice and broll)',
    });
    expect(decideApprove(two, chan, { stage: 'broll' }, NOW)).toMatchObject({ outcome: 'patch', message: 'approved (broll)' });
  });
});

describe('retry', () => {
  const failed: EpisodeStatus = {
    phase: 'Failed',
    stages: [
      { name: 'plan', phase: 'Succeeded', attempt: 1 },
      { name: 'voice', phase: 'Failed', attempt: 3, message: 'ElevenLabs refused the key' },
      { name: 'broll', phase: 'Failed', attempt: 3 },
    ],
  };

  it('runs the failed stages of a Failed episode again, removing a stage of an earlier request', () => {
    expect(decideRetry(episode({}, failed), undefined, {}, NOW)).toEqual({
      outcome: 'patch',
      action: 'retry',
      stage: undefined,
      patch: { metadata: { annotations: { 'retry.acog.dev/requested-at': NOW.toISOString(), 'retry.acog.dev/stage': null } } },
      message: 'retry requested for the failed stages',
      plan: 'the operator runs voice (ElevenLabs refused the key) and broll again, with fresh attempts; finished stages are kept',
    });
    expect(decideRetry(episode({}, { phase: 'Failed' }), undefined, {}, NOW)).toMatchObject({
      plan: 'the operator runs the failed stages again, with fresh attempts; finished stages are kept',
    });
  });

  it('runs a stage and what is downstream of it again, in any phase but Cancelled', () => {
    expect(decideRetry(episode({}, { phase: 'Running', currentStage: 'avatar' }), channel(), { stage: 'voice' }, NOW)).toEqual({
      outcome: 'patch',
      action: 'retry',
      stage: 'voice',
      patch: { metadata: { annotations: { 'retry.acog.dev/requested-at': NOW.toISOString(), 'retry.acog.dev/stage': 'voice' } } },
      message: 'retry requested from voice, then avatar, assemble and upload',
      plan: 'the operator runs voice again, then avatar, assemble and upload (downstream of it); the stages before it are kept',
    });
    expect(decideRetry(episode({}, { phase: 'Succeeded' }), undefined, { stage: 'upload' }, NOW)).toMatchObject({
      message: 'retry requested from upload',
      plan: 'the operator runs upload again; the stages before it are kept',
    });
  });

  it('leaves out downstream stages the episode skips', () => {
    const skipping = episode({ overrides: { skipStages: ['avatar'] } }, { phase: 'Running' });
    expect(decideRetry(skipping, channel({ skipStages: ['broll'] }), { stage: 'voice' }, NOW)).toMatchObject({
      message: 'retry requested from voice, then assemble and upload',
    });
  });

  it('refuses a cancelled or cancelling episode', () => {
    const message = 'episode ep is cancelled; a cancelled episode cannot run again: create a new Episode';
    expect(decideRetry(episode({}, { phase: 'Cancelled' }), undefined, { stage: 'plan' }, NOW)).toEqual({
      outcome: 'refused',
      action: 'retry',
      reason: 'Cancelled',
      message,
    });
    expect(decideRetry(episode({ cancel: true }, failed), undefined, {}, NOW)).toMatchObject({ reason: 'Cancelled', message });
  });

  it('refuses what is not a stage', () => {
    expect(decideRetry(episode({}, failed), undefined, { stage: 'mix' }, NOW)).toMatchObject({
      outcome: 'refused',
      reason: 'NotAStage',
      message: '"mix" is not a stage (stages: plan, script, refine, metadata, voice, avatar, broll, assemble, upload)',
    });
  });

  it('refuses a stage the episode does not run', () => {
    expect(decideRetry(episode({ overrides: { skipStages: ['avatar'] } }), channel(), { stage: 'avatar' }, NOW)).toMatchObject({
      outcome: 'refused',
      reason: 'StageNotRun',
      message: 'episode ep does not run the avatar stage (it runs plan, script, refine, metadata, voice, broll, assemble and upload)',
    });
    // The status, when it lists stages, says what runs.
    expect(decideRetry(episode({}, failed), undefined, { stage: 'upload' }, NOW)).toMatchObject({
      reason: 'StageNotRun',
      message: 'episode ep does not run the upload stage (it runs plan, voice and broll)',
    });
  });

  it('refuses without a stage unless the episode failed', () => {
    for (const status of [undefined, { phase: 'Running' as const }, { phase: 'Succeeded' as const }]) {
      const decision = decideRetry(episode({}, status), undefined, {}, NOW);
      expect(decision).toEqual({
        outcome: 'refused',
        action: 'retry',
        reason: 'NotFailed',
        message: `episode ep is ${status?.phase ?? 'Pending'}; nothing to retry`,
      });
    }
  });
});

describe('suspend and resume', () => {
  it('suspend sets spec.suspend', () => {
    expect(decideSuspend(episode({}, { phase: 'Running' }), undefined, {}, NOW)).toEqual({
      outcome: 'patch',
      action: 'suspend',
      patch: { spec: { suspend: true } },
      message: 'suspended',
    });
    expect(decideSuspend(episode({ suspend: false }, { phase: 'Failed' }), undefined, {}, NOW).outcome).toBe('patch');
  });

  it('suspend has nothing to do when suspended already', () => {
    expect(decideSuspend(episode({ suspend: true }), undefined, {}, NOW)).toEqual({
      outcome: 'unchanged',
      action: 'suspend',
      message: 'already suspended',
    });
  });

  it('suspend refuses a Succeeded or Cancelled episode', () => {
    for (const phase of ['Succeeded', 'Cancelled'] as const) {
      expect(decideSuspend(episode({ suspend: true }, { phase }), undefined, {}, NOW)).toEqual({
        outcome: 'refused',
        action: 'suspend',
        reason: 'Finished',
        message: `episode ep is ${phase}; there is nothing to suspend`,
      });
    }
  });

  it('resume clears spec.suspend, or has nothing to do', () => {
    expect(decideResume(episode({ suspend: true }, { phase: 'Succeeded' }), undefined, {}, NOW)).toEqual({
      outcome: 'patch',
      action: 'resume',
      patch: { spec: { suspend: false } },
      message: 'resumed',
    });
    for (const spec of [{}, { suspend: false }]) {
      expect(decideResume(episode(spec), undefined, {}, NOW)).toEqual({
        outcome: 'unchanged',
        action: 'resume',
        message: 'already running (not suspended)',
      });
    }
  });
});

describe('cancel', () => {
  it('sets spec.cancel on an episode that has not finished', () => {
    for (const status of [undefined, { phase: 'Running' as const }, { phase: 'AwaitingApproval' as const }]) {
      expect(decideCancel(episode({}, status), undefined, {}, NOW)).toEqual({
        outcome: 'patch',
        action: 'cancel',
        patch: { spec: { cancel: true } },
        message: 'cancelled',
      });
    }
  });

  it('refuses a finished episode', () => {
    for (const phase of ['Succeeded', 'Failed', 'Cancelled'] as const) {
      expect(decideCancel(episode({}, { phase }), undefined, {}, NOW)).toEqual({
        outcome: 'refused',
        action: 'cancel',
        reason: 'Finished',
        message: `episode ep already finished (${phase}); there is nothing to cancel`,
      });
    }
  });

  it('refuses an episode being cancelled already', () => {
    expect(decideCancel(episode({ cancel: true }, { phase: 'Running' }), undefined, {}, NOW)).toEqual({
      outcome: 'refused',
      action: 'cancel',
      reason: 'AlreadyCancelling',
      message: 'episode ep is already being cancelled (phase Running)',
    });
  });
});

describe('decideAction', () => {
  it('dispatches every action, with no request and the current time by default', () => {
    const ep = episode({ approvalGates: ['voice'] }, waitingAtVoice);
    const before = Date.now();
    const approved = decideAction('approve', ep, undefined);
    const at = approved.outcome === 'patch' ? approved.patch.metadata?.annotations['approve.acog.dev/voice'] : undefined;
    expect(Date.parse(at!)).toBeGreaterThanOrEqual(before);
    expect(EPISODE_ACTIONS.map((action) => decideAction(action, ep, undefined, {}, NOW).message)).toEqual([
      'approved (voice)',
      'episode ep is AwaitingApproval; nothing to retry',
      'suspended',
      'already running (not suspended)',
      'cancelled',
    ]);
  });

  it('does not change the episode it decides on', () => {
    const ep = episode({ approvalGates: ['voice'] }, waitingAtVoice);
    const copy = structuredClone(ep);
    for (const action of EPISODE_ACTIONS) decideAction(action, ep, channel(), { stage: 'voice' }, NOW);
    expect(ep).toEqual(copy);
  });
});
