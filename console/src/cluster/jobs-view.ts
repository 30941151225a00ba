// The Jobs view (issue #17): every stage of every live Episode that is running, waiting or recently
// failed. Running and failed come from the stage Jobs (the truth of what runs); waiting comes from
// the Episode's status, since a stage that waits has no Job yet: at an approval gate, for the
// budget, out a retry's backoff, suspended, or held by its Channel. Pure, over the cached objects.
import { findCondition, jobState, type Job } from '@acog/kube';
import { LABELS, isStageName, type Episode, type StageName } from '@acog/api';
import type { JobRow } from '../http/schemas.ts';

/** How long a failed Job stays in the view after it failed. */
export const RECENT_FAILURE_MS = 24 * 3_600_000;

const BUDGET_CONDITIONS = ['BudgetExceeded', 'LedgerUnavailable'];

type StageStatus = NonNullable<NonNullable<Episode['status']>['stages']>[number];

/** Why a stage of a live Episode waits, or undefined when it does not (it runs, is done, or waits only for its inputs). */
export function waitingRow(episode: Episode, stage: StageStatus, now: Date): JobRow | undefined {
  const base = {
    namespace: episode.metadata.namespace ?? '',
    episode: episode.metadata.name ?? '',
    channel: episode.spec.channelRef.name,
    stage: stage.name,
    attempt: stage.attempt,
    state: 'Waiting' as const,
  };
  if (stage.phase === 'AwaitingApproval')
    return {
      ...base,
      waitingFor: 'Approval',
      message: stage.message ?? `waits for approval of ${stage.name}: kubectl acog approve ${base.episode} --stage ${stage.name}`,
      since: findCondition(episode.status?.conditions, 'AwaitingApproval')?.lastTransitionTime as string | undefined,
    };
  if (stage.phase !== 'Pending') return undefined;
  if (episode.spec.suspend)
    return {
      ...base,
      waitingFor: 'Suspended',
      message: stage.message ?? 'suspended: set spec.suspend to false (kubectl acog resume) to continue',
    };
  if (stage.nextAttemptAt && Date.parse(stage.nextAttemptAt) > now.getTime())
    return {
      ...base,
      waitingFor: 'Backoff',
      message: stage.message ? `retrying after: ${stage.message}` : 'waits for its retry backoff',
      since: stage.finishedAt,
      until: stage.nextAttemptAt,
    };
  if (!stage.message) return undefined;
  for (const type of BUDGET_CONDITIONS) {
    const condition = findCondition(episode.status?.conditions, type);
    if (condition?.status === 'True' && (condition.message ?? '').includes(stage.message))
      return { ...base, waitingFor: 'Budget', message: stage.message, since: condition.lastTransitionTime as string | undefined };
  }
  return { ...base, waitingFor: 'Held', message: stage.message };
}

function failedAt(job: Job): string | undefined {
  const condition = (job.status?.conditions ?? []).find(
    (candidate) => (candidate.type === 'Failed' || candidate.type === 'FailureTarget') && candidate.status === 'True',
  ) as { lastTransitionTime?: string } | undefined;
  return condition?.lastTransitionTime ?? job.status?.completionTime ?? job.status?.startTime;
}

/** A stage Job's row: Running while active, Failed when it failed recently (message from the stage's status when it is that attempt). */
export function jobRow(episode: Episode, job: Job, now: Date): JobRow | undefined {
  const stage = job.metadata.labels?.[LABELS.stage];
  if (!stage || !isStageName(stage)) return undefined;
  const attempt = Number(job.metadata.labels?.[LABELS.attempt]);
  const status = episode.status?.stages?.find((entry) => entry.name === stage);
  const base = {
    namespace: job.metadata.namespace,
    episode: episode.metadata.name ?? '',
    channel: episode.spec.channelRef.name,
    stage: stage as StageName,
    attempt: Number.isInteger(attempt) ? attempt : undefined,
    jobName: job.metadata.name,
  };
  const state = jobState(job);
  if (state === 'Active') return { ...base, state: 'Running', since: job.status?.startTime };
  if (state !== 'Failed') return undefined;
  const at = failedAt(job);
  if (at && now.getTime() - Date.parse(at) > RECENT_FAILURE_MS) return undefined;
  const condition = job.status?.conditions?.find((candidate) => candidate.type === 'Failed' && candidate.status === 'True');
  const message = status?.jobName === job.metadata.name && status.message ? status.message : (condition?.message ?? condition?.reason);
  return { ...base, state: 'Failed', message, since: at };
}

const STATE_ORDER = { Running: 0, Waiting: 1, Failed: 2 } as const;

/** The rows of one Episode: its Jobs (running, recently failed) and its waiting stages. */
export function episodeJobRows(episode: Episode, jobs: readonly Job[], now: Date, jobsVisible: boolean): JobRow[] {
  const rows: JobRow[] = [];
  if (jobsVisible)
    for (const job of jobs) {
      const row = jobRow(episode, job, now);
      if (row) rows.push(row);
    }
  if (!episode.spec.cancel && !['Succeeded', 'Failed', 'Cancelled'].includes(episode.status?.phase ?? ''))
    for (const stage of episode.status?.stages ?? []) {
      const row = waitingRow(episode, stage, now);
      if (row) rows.push(row);
    }
  return rows;
}

/** Newest activity first within each state: running, then waiting, then failed. */
export function sortJobRows(rows: JobRow[]): JobRow[] {
  return rows.sort(
    (a, b) =>
      STATE_ORDER[a.state] - STATE_ORDER[b.state] ||
      (b.since ?? '').localeCompare(a.since ?? '') ||
      a.namespace.localeCompare(b.namespace) ||
      a.episode.localeCompare(b.episode) ||
      a.stage.localeCompare(b.stage),
  );
}
