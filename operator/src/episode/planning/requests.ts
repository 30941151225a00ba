// What a user asked for through the Episode: cancellation (spec.cancel) and a retry (kubectl acog retry).
import { activeDependencies, isStageName, RETRY_REQUESTED_ANNOTATION, RETRY_STAGE_ANNOTATION, type StageName } from '@acog/api';
import { time, type PlanState } from './state.ts';

/** Cancellation is for good: active Jobs go, unfinished stages are Cancelled, nothing starts again. */
export function cancelEpisode(state: PlanState): void {
  const { status } = state;
  for (const job of state.jobs) if (job.state === 'Active') state.deleteJobs.push(job.name);
  for (const [stage, entry] of state.stages)
    if (entry.phase === 'Running' || entry.phase === 'Pending' || entry.phase === 'AwaitingApproval' || entry.phase === 'Blocked')
      state.stages.set(stage, { ...entry, phase: 'Cancelled', message: 'the episode was cancelled' });
  if (status.phase !== 'Cancelled') {
    status.phase = 'Cancelled';
    status.finishedAt = time(state.now);
    status.message = 'cancelled (spec.cancel)';
    state.transitions.push({
      type: 'Normal',
      reason: 'Cancelled',
      message: 'the episode was cancelled; its running stage Jobs are deleted',
    });
  }
}

/** Acts once on a new retry request: failed and cancelled stages, and any from the requested stage on, are Pending again. */
export function handleRetryRequest(state: PlanState): void {
  const { status, annotations } = state;
  const retryAt = annotations[RETRY_REQUESTED_ANNOTATION];
  if (!retryAt || retryAt === status.lastRetryAt || status.phase === 'Cancelled' || !state.channel) return;
  state.retrying = true;
  status.lastRetryAt = retryAt;
  const from = annotations[RETRY_STAGE_ANNOTATION];
  const rerun = rerunFrom(state, from);
  for (const [stage, entry] of state.stages) {
    if (rerun.has(stage) || entry.phase === 'Failed' || entry.phase === 'Cancelled')
      state.stages.set(stage, {
        ...entry,
        phase: 'Pending',
        failures: 0,
        nextAttemptAt: undefined,
        message: `retry requested at ${retryAt}`,
      });
  }
  status.finishedAt = undefined;
  state.transitions.push({
    type: 'Normal',
    reason: 'RetryRequested',
    message: from ? `retrying from ${from} (requested at ${retryAt})` : `retrying the failed stages (requested at ${retryAt})`,
  });
}

/** The stage and everything downstream of it run again, even with unchanged inputs. */
function rerunFrom(state: PlanState, from: string | undefined): Set<StageName> {
  const rerun = new Set<StageName>();
  if (!from || !isStageName(from) || !state.active.includes(from)) return rerun;
  rerun.add(from);
  for (const stage of state.active)
    if (activeDependencies(stage, state.active).some((dependency) => rerun.has(dependency))) rerun.add(stage);
  return rerun;
}
