// Finished attempts into status, whatever else the plan decides.
import type { AttemptOutcome, StageStatus } from '../planner.ts';
import { retryDelaySeconds } from './retry.ts';
import { fromResult, time, type PlanState } from './state.ts';

/** Records each finished attempt the status does not know of yet: a result, a retry, or the stage's failure. */
export function recordOutcomes(state: PlanState): void {
  for (const outcome of state.outcomes) {
    const entry = state.stages.get(outcome.stage);
    if (isKnown(entry, outcome)) continue;
    if (outcome.result) recordResult(state, outcome, entry);
    else recordFailure(state, outcome, entry);
  }
}

/** The status already has this attempt's end, or a later attempt. */
function isKnown(entry: StageStatus | undefined, outcome: AttemptOutcome): boolean {
  return !!entry && ((entry.attempt ?? 0) > outcome.attempt || (entry.attempt === outcome.attempt && entry.phase !== 'Running'));
}

function recordResult(state: PlanState, outcome: AttemptOutcome, entry: StageStatus | undefined): void {
  const result = outcome.result!;
  const took = seconds(result.startedAt, result.finishedAt);
  const message = result.message ?? `attempt ${outcome.attempt} succeeded${took} (${result.provider})`;
  state.stages.set(outcome.stage, fromResult(entry, result, outcome.jobName, message));
  state.transitions.push({ type: 'Normal', reason: 'StageSucceeded', message: `${outcome.stage}: ${message}` });
  if (outcome.stage === 'upload' && outcome.publication?.provider === 'youtube') {
    state.status.youtube = {
      videoId: outcome.publication.id,
      url: outcome.publication.url,
      ...(outcome.publication.publishAt && { publishAt: outcome.publication.publishAt }),
    };
  }
}

/** A failed attempt is retried after the backoff, or fails the stage once the attempts are used up. */
function recordFailure(state: PlanState, outcome: AttemptOutcome, entry: StageStatus | undefined): void {
  const { policy, now } = state;
  const failures = (entry?.failures ?? 0) + 1;
  const reason = outcome.failure ?? 'the runner failed without a message';
  const base: StageStatus = {
    ...entry,
    name: outcome.stage,
    phase: 'Failed',
    attempt: outcome.attempt,
    failures,
    ...(outcome.jobName && { jobName: outcome.jobName }),
    finishedAt: time(outcome.at),
    message: reason,
  };
  if (outcome.permanent) {
    const message = `${reason} (not retried: the provider refuses this request itself, so another attempt would fail the same way; fix it, then kubectl acog retry ${state.episode.metadata.name})`;
    state.stages.set(outcome.stage, { ...base, message, nextAttemptAt: undefined });
    state.transitions.push({ type: 'Warning', reason: 'StageFailed', message: `${outcome.stage} failed: ${message}` });
    return;
  }
  if (failures >= policy.maxAttempts) {
    state.stages.set(outcome.stage, { ...base, nextAttemptAt: undefined });
    state.transitions.push({
      type: 'Warning',
      reason: 'StageFailed',
      message: `${outcome.stage} failed after ${failures} attempt(s): ${reason}`,
    });
    return;
  }
  // Status times have whole seconds: round up, so that the wait is never shorter than the policy's.
  const next = new Date(Math.ceil((now.getTime() + retryDelaySeconds(policy, failures) * 1000) / 1000) * 1000);
  state.stages.set(outcome.stage, {
    ...base,
    phase: 'Pending',
    nextAttemptAt: time(next),
    message: `attempt ${outcome.attempt} failed: ${reason}; attempt ${outcome.attempt + 1} of up to ${policy.maxAttempts} starts at ${time(next)}`,
  });
  state.transitions.push({
    type: 'Warning',
    reason: 'StageRetrying',
    message: `${outcome.stage} attempt ${outcome.attempt} failed (${reason}); retrying at ${time(next)}`,
  });
}

function seconds(from: string | undefined, to: string | undefined): string {
  if (!from || !to) return '';
  const s = (Date.parse(to) - Date.parse(from)) / 1000;
  return ` in ${s < 10 ? s.toFixed(1) : Math.round(s)}s`;
}
