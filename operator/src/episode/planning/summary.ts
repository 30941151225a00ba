// The Episode-wide status that follows from the stage entries: phase, times, progress, cost,
// artifacts and conditions.
import { STAGES, type EpisodeStatus } from '@acog/api';
import { setConditions, type ConditionUpdate } from '@acog/kube';
import type { StageStatus } from '../planner.ts';
import { isFinished, time, type PlanState } from './state.ts';

/** Writes the stage entries to status in pipeline order, without empty fields. */
export function listStages(state: PlanState): void {
  state.status.stages = STAGES.filter((stage) => state.stages.has(stage)).map((stage) => prune(state.stages.get(stage)!));
}

/** The episode's phase and one-line message: no Channel, a failed stage, all succeeded, running, at a gate, or waiting. */
export function derivePhase(state: PlanState): void {
  const { status, channel, channelProblem } = state;
  const stages = counted(state);
  const failed = stages.find((entry) => entry.phase === 'Failed');
  const running = inPhase(state, 'Running');
  const awaiting = inPhase(state, 'AwaitingApproval');
  if (!channel) {
    status.phase = status.phase ?? 'Pending';
    status.message = channelProblem?.message ?? 'the Channel is missing';
  } else if (failed) {
    status.phase = 'Failed';
    // failures 0: the budget failed the stage before any attempt (onExceeded Fail).
    status.message =
      failed.failures === 0
        ? `${failed.name} failed: ${failed.message ?? ''}`.trim()
        : `${failed.name} failed after ${failed.failures ?? 1} attempt(s): ${failed.message ?? ''}`.trim();
  } else if (stages.length > 0 && succeeded(state).length === stages.length) {
    status.phase = 'Succeeded';
    status.message = `all ${stages.length} stages succeeded`;
  } else if (running.length) {
    status.phase = 'Running';
    status.message = `running ${running.map((entry) => entry.name).join(', ')}`;
  } else if (awaiting.length) {
    status.phase = 'AwaitingApproval';
    status.message = awaiting[0].message;
  } else {
    const started = stages.some((entry) => entry.attempt);
    status.phase = started ? 'Running' : 'Pending';
    status.message = state.episode.spec.suspend
      ? 'suspended: no stage starts until spec.suspend is false'
      : (channelProblem?.message ??
        stages.find((entry) => state.holds[entry.name])?.message ??
        stages.find((entry) => entry.nextAttemptAt)?.message ??
        (started ? 'waiting for the next stage' : 'waiting for the first stage'));
  }
}

/** An episode that has just finished gets its finishedAt and a Succeeded or Failed event; one not finished has no finishedAt. */
export function recordFinish(state: PlanState): void {
  const { status } = state;
  if (status.phase !== state.observed.phase && isFinished(status.phase)) {
    status.finishedAt = time(state.now);
    state.transitions.push(
      status.phase === 'Succeeded'
        ? { type: 'Normal', reason: 'Succeeded', message: status.message! }
        : { type: 'Warning', reason: 'Failed', message: status.message! },
    );
  }
  if (!isFinished(status.phase)) status.finishedAt = undefined;
}

/** The episode started when a plan first sees a stage with a start time. */
export function recordStart(state: PlanState): void {
  if (!state.status.startedAt && counted(state).some((entry) => entry.startedAt)) state.status.startedAt = time(state.now);
}

/** The current stages are those running or at a gate. */
export function markCurrentStages(state: PlanState): void {
  const current = [...inPhase(state, 'Running'), ...inPhase(state, 'AwaitingApproval')].map((entry) => entry.name);
  state.status.currentStage = current.length ? current.join(',') : undefined;
}

/** Progress counts the stages succeeded with their current inputs among those that run. */
export function countProgress(state: PlanState): void {
  state.status.progress = state.channel ? `${succeeded(state).length}/${counted(state).length}` : undefined;
}

/** The total cost sums every stage's, to the micro-dollar. */
export function totalCost(state: PlanState): void {
  const cost = counted(state).reduce((sum, entry) => sum + (entry.costUSD ?? 0), 0);
  state.status.totalCostUSD = Math.round(cost * 1e6) / 1e6;
}

/** Once assemble succeeded, the episode's final artifacts are its video, thumbnail, captions, metadata and script. */
export function collectArtifacts(state: PlanState): void {
  const assemble = state.stages.get('assemble');
  if (assemble?.phase !== 'Succeeded') return;
  state.status.artifacts = {
    video: artifactEndingWith(assemble, 'video.mp4'),
    thumbnail: artifactEndingWith(assemble, 'thumbnail.jpg'),
    captionsSrt: artifactEndingWith(assemble, 'captions.srt'),
    captionsVtt: artifactEndingWith(assemble, 'captions.vtt'),
    metadata: artifactEndingWith(state.stages.get('metadata'), 'metadata.json'),
    script: artifactEndingWith(state.stages.get('refine'), 'refined.json'),
  };
}

/** The status describes the Episode's current generation. */
export function stampObservedGeneration(state: PlanState): void {
  state.status.observedGeneration = state.episode.metadata.generation;
}

/** The conditions follow the phase; each keeps its lastTransitionTime while it holds. */
export function writeConditions(state: PlanState): void {
  const { status } = state;
  status.conditions = setConditions(status.conditions, conditionsOf(state, status), state.episode.metadata.generation, state.now);
}

function conditionsOf(state: PlanState, status: EpisodeStatus): ConditionUpdate[] {
  const { suspend } = state.episode.spec;
  const phase = status.phase ?? 'Pending';
  const message = status.message ?? '';
  const awaiting = status.stages?.filter((entry) => entry.phase === 'AwaitingApproval').map((entry) => entry.name) ?? [];
  const progressingReason =
    phase === 'Running'
      ? suspend
        ? 'Suspended'
        : 'StagesRunning'
      : phase === 'Pending'
        ? (state.channelProblem?.reason ?? (suspend ? 'Suspended' : (Object.values(state.holds)[0]?.reason ?? 'Waiting')))
        : phase;
  return [
    { type: 'Ready', status: phase === 'Succeeded' ? 'True' : 'False', reason: phase, message },
    { type: 'Progressing', status: phase === 'Running' && !suspend ? 'True' : 'False', reason: progressingReason, message },
    {
      type: 'AwaitingApproval',
      status: awaiting.length ? 'True' : 'False',
      reason: awaiting.length ? 'ApprovalGate' : 'NoGateWaiting',
      message: awaiting.length ? `waiting for approval of ${awaiting.join(', ')}` : 'no stage waits for approval',
    },
    { type: 'Succeeded', status: phase === 'Succeeded' ? 'True' : isFinished(phase) ? 'False' : 'Unknown', reason: phase, message },
    { type: 'Failed', status: phase === 'Failed' ? 'True' : 'False', reason: phase, message },
    ...budgetConditions(state, status),
  ];
}

/**
 * BudgetExceeded and LedgerUnavailable: True with the gate's message while a stage is held for that
 * reason; False once none is (only when the condition was there: Episodes never held carry neither).
 */
function budgetConditions(state: PlanState, status: EpisodeStatus): ConditionUpdate[] {
  const updates: ConditionUpdate[] = [];
  const reasons = { BudgetExceeded: 'MonthlyLimitReached', LedgerUnavailable: 'DatabaseUnreachable' } as const;
  for (const type of ['BudgetExceeded', 'LedgerUnavailable'] as const) {
    const held = (status.stages ?? []).filter((entry) => state.holds[entry.name]?.reason === type);
    if (held.length) {
      const message = held.map((entry) => state.holds[entry.name]!.message).join('; ');
      updates.push({ type, status: 'True', reason: reasons[type], message });
    } else if (status.conditions?.some((condition) => condition.type === type)) {
      const message = type === 'BudgetExceeded' ? 'no stage waits for the budget' : 'the cost ledger is reachable';
      updates.push({ type, status: 'False', reason: type === 'BudgetExceeded' ? 'WithinBudget' : 'DatabaseReachable', message });
    }
  }
  return updates;
}

/** The stages that run: all but the skipped. */
function counted(state: PlanState): StageStatus[] {
  return state.status.stages!.filter((entry) => entry.phase !== 'Skipped');
}

function inPhase(state: PlanState, phase: StageStatus['phase']): StageStatus[] {
  return counted(state).filter((entry) => entry.phase === phase);
}

function succeeded(state: PlanState): StageStatus[] {
  return counted(state).filter((entry) => entry.phase === 'Succeeded' && (!state.channel || entry.inputHash === state.hashes[entry.name]));
}

function artifactEndingWith(entry: StageStatus | undefined, name: string): string | undefined {
  return entry?.artifacts?.find((uri) => uri.endsWith(`/${name}`));
}

/** Drops empty fields so that status stays small and comparisons are exact. */
function prune(entry: StageStatus): StageStatus {
  return Object.fromEntries(Object.entries(entry).filter(([, value]) => value !== undefined)) as StageStatus;
}
