// The walk over the DAG: for each stage in pipeline order, the first rule that decides.
import { activeDependencies, APPROVAL_ANNOTATION_PREFIX, STAGES } from '@acog/api';
import { findCondition } from '@acog/kube';
import { stageJobName } from '../job.ts';
import { fromResult, isCurrent, isFinished, jobIdentity, jobsOf, time, type PlanStep, type StageRule } from './state.ts';

/** Asks the rules, in order, about each stage in pipeline order; the first that decides wins. */
export function eachStage(rules: readonly StageRule[]): PlanStep {
  return function planStages(state) {
    for (const stage of STAGES) rules.some((rule) => rule(state, stage));
  };
}

/** A stage the Channel or the Episode skips is Skipped. */
export const skipInactive: StageRule = (state, stage) => {
  if (!state.channel || state.active.includes(stage)) return false;
  state.stages.set(stage, { name: stage, phase: 'Skipped', message: 'skipped by the Channel or the Episode' });
  return true;
};

/** Without a Channel no stage changes. */
export const waitForChannel: StageRule = (state) => !state.channel;

/** A finished episode only records late outcomes, until a retry. */
export const leaveFinished: StageRule = (state) => isFinished(state.status.phase) && !state.retrying;

/** A running attempt keeps running, and gets its Job again if the Job is gone. */
export const keepRunning: StageRule = (state, stage) => {
  const entry = state.stages.get(stage);
  if (entry?.phase !== 'Running') return false;
  // Made again under the same name: creating twice is harmless.
  const job = jobsOf(state, stage).find((j) => j.attempt === entry.attempt);
  if (!job && entry.inputHash && entry.attempt)
    state.start.push({
      stage,
      attempt: entry.attempt,
      inputHash: entry.inputHash,
      jobName: entry.jobName ?? stageJobName(jobIdentity(state), stage, entry.attempt, entry.inputHash),
    });
  return true;
};

/** A result for the current inputs stands. */
export const keepCurrentResult: StageRule = (state, stage) => isCurrent(state, stage);

/** A failed stage stays failed until a retry request. */
export const keepFailure: StageRule = (state, stage) => state.stages.get(stage)?.phase === 'Failed';

/** A stage waits until every stage it depends on succeeded with its current inputs, and is Blocked once one failed. */
export const awaitDependencies: StageRule = (state, stage) => {
  const waitingFor = activeDependencies(stage, state.active).filter((dependency) => !isCurrent(state, dependency));
  if (!waitingFor.length) return false;
  const entry = state.stages.get(stage);
  if (entry?.phase === 'Succeeded') {
    // Its result stays until it runs again: if the inputs change back, it is current once more.
    state.stages.set(stage, { ...entry, message: `inputs changed upstream: runs again after ${waitingFor.join(', ')}` });
    return true;
  }
  const failedDependency = waitingFor.find((dependency) => state.stages.get(dependency)?.phase === 'Failed');
  state.stages.set(stage, {
    ...entry,
    name: stage,
    phase: failedDependency ? 'Blocked' : 'Pending',
    message: failedDependency ? `blocked: ${failedDependency} failed` : `waiting for ${waitingFor.join(', ')}`,
  });
  return true;
};

/** Inputs back to those of an earlier attempt (a spec edit undone): that attempt's result stands. */
export const reuseMatchingAttempt: StageRule = (state, stage) => {
  const reuse = state.reusable[stage];
  if (!reuse || reuse.inputHash !== state.hashes[stage]) return false;
  const message = `reused attempt ${reuse.attempt}: its inputs are the current ones`;
  state.stages.set(stage, fromResult(state.stages.get(stage), reuse, reuse.jobName, message));
  state.transitions.push({ type: 'Normal', reason: 'StageReused', message: `${stage}: ${message}` });
  return true;
};

/** A gated stage waits for its approval annotation. */
export const holdAtGate: StageRule = (state, stage) => {
  const annotation = `${APPROVAL_ANNOTATION_PREFIX}${stage}`;
  if (!state.gates.has(stage) || state.annotations[annotation]) return false;
  const entry = state.stages.get(stage);
  const approve = `kubectl acog approve ${state.episode.metadata.name} --stage ${stage}`;
  if (entry?.phase !== 'AwaitingApproval')
    state.transitions.push({ type: 'Normal', reason: 'AwaitingApproval', message: `${stage} waits for approval: ${approve}` });
  state.stages.set(stage, {
    ...entry,
    name: stage,
    phase: 'AwaitingApproval',
    message: `waiting for approval: ${approve} (annotation ${annotation})`,
  });
  return true;
};

/** spec.suspend holds every stage that could start. */
export const holdWhileSuspended: StageRule = (state, stage) => {
  if (!state.episode.spec.suspend) return false;
  state.stages.set(stage, {
    ...state.stages.get(stage),
    name: stage,
    phase: 'Pending',
    message: 'suspended: set spec.suspend to false (kubectl acog resume) to continue',
  });
  return true;
};

/** A Channel that cannot be used now (not Ready) holds every stage that could start, with its reason. */
export const holdForChannel: StageRule = (state, stage) => {
  if (!state.channelProblem) return false;
  state.stages.set(stage, { ...state.stages.get(stage), name: stage, phase: 'Pending', message: state.channelProblem.message });
  return true;
};

/** A retry waits out its backoff; the plan asks to be looked at again when the first backoff ends. */
export const waitForBackoff: StageRule = (state, stage) => {
  const nextAttemptAt = state.stages.get(stage)?.nextAttemptAt;
  const wait = nextAttemptAt ? Date.parse(nextAttemptAt) - state.now.getTime() : NaN;
  if (!(wait > 0)) return false;
  state.requeueAfterMs = Math.min(state.requeueAfterMs ?? Infinity, wait);
  return true;
};

/**
 * A stage that admission holds (its namespace's stage slots are taken, ADR 0030) waits, Pending,
 * with a message that stays the same while it waits: no status write while its place in line
 * moves. No Event: in a burst every new Episode would add one API write for it; the status (the
 * message, and Progressing's reason WaitingForSlot) says it.
 */
export const holdForSlot: StageRule = (state, stage) => {
  const hold = state.holds[stage];
  if (hold?.reason !== 'WaitingForSlot') return false;
  const entry = state.stages.get(stage);
  state.stages.set(stage, { ...entry, name: stage, phase: 'Pending', nextAttemptAt: undefined, message: hold.message });
  return true;
};

/**
 * A paid stage the budget gate holds waits with the gate's message (Pause, or the ledger is down),
 * or fails with it (onExceeded Fail). An Event is sent when the hold begins or its reason changes.
 */
export const holdForBudget: StageRule = (state, stage) => {
  const hold = state.holds[stage];
  if (!hold) return false;
  const entry = state.stages.get(stage);
  if (hold.fail) {
    state.stages.set(stage, {
      ...entry,
      name: stage,
      phase: 'Failed',
      failures: entry?.failures ?? 0,
      finishedAt: time(state.now),
      nextAttemptAt: undefined,
      message: hold.message,
    });
    state.transitions.push({ type: 'Warning', reason: hold.reason, message: `${stage} failed: ${hold.message}` });
    return true;
  }
  if (findCondition(state.observed.conditions, hold.reason)?.status !== 'True')
    state.transitions.push({ type: 'Warning', reason: hold.reason, message: `${stage} waits: ${hold.message}` });
  state.stages.set(stage, { ...entry, name: stage, phase: 'Pending', nextAttemptAt: undefined, message: hold.message });
  return true;
};

/** Whatever is left starts its next attempt, after the highest one in status or among the Jobs. */
export const startAttempt: StageRule = (state, stage) => {
  const entry = state.stages.get(stage);
  const hash = state.hashes[stage]!;
  const attempt = Math.max(entry?.attempt ?? 0, ...jobsOf(state, stage).map((job) => job.attempt)) + 1;
  const jobName = stageJobName(jobIdentity(state), stage, attempt, hash);
  state.start.push({ stage, attempt, inputHash: hash, jobName });
  state.stages.set(stage, {
    name: stage,
    phase: 'Running',
    attempt,
    failures: entry?.failures ?? 0,
    jobName,
    inputHash: hash,
    startedAt: time(state.now),
    message: `attempt ${attempt} running (job ${jobName})`,
  });
  state.transitions.push({ type: 'Normal', reason: 'StageStarted', message: `${stage} attempt ${attempt} started: job ${jobName}` });
  return true;
};
