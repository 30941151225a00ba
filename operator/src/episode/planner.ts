// The Episode reconciler's decisions, without I/O: from the Episode, its Channel, the Jobs it owns
// and the outcomes of finished attempts, the status it should have, the Jobs to start and delete,
// and the transitions worth an Event. Level-triggered: the same observations give the same plan,
// so a restart at any moment loses nothing and starts nothing twice.
//
// The plan is a chain of small named steps over one PlanState (planning/state.ts), in the manner
// of cert-manager's certificate trigger policies: PLAN below is the whole decision, in order, and
// STAGE_RULES what each stage does.
import type { Channel, Episode, EpisodeStatus, StageName, StageResult } from '@acog/api';
import type { StageHold } from '../budget/holds.ts';
import { recordOutcomes } from './planning/outcomes.ts';
import { cancelEpisode, handleRetryRequest } from './planning/requests.ts';
import {
  awaitDependencies,
  eachStage,
  holdAtGate,
  holdForBudget,
  holdForChannel,
  holdForSlot,
  holdWhileSuspended,
  keepCurrentResult,
  keepFailure,
  keepRunning,
  leaveFinished,
  reuseMatchingAttempt,
  skipInactive,
  startAttempt,
  waitForBackoff,
  waitForChannel,
} from './planning/stages.ts';
import { planState, type PlanStep, type StageRule } from './planning/state.ts';
import {
  collectArtifacts,
  countProgress,
  derivePhase,
  listStages,
  markCurrentStages,
  recordFinish,
  recordStart,
  stampObservedGeneration,
  totalCost,
  writeConditions,
} from './planning/summary.ts';

export { DEFAULT_RETRY_POLICY, retryDelaySeconds, retryPolicyOf } from './planning/retry.ts';

export type StageStatus = NonNullable<EpisodeStatus['stages']>[number];
export type EpisodePhase = NonNullable<EpisodeStatus['phase']>;

export interface StageJob {
  name: string;
  stage: StageName;
  attempt: number;
  state: 'Active' | 'Complete' | 'Failed';
  /** Failed by the runner's PERMANENT_FAILURE_EXIT_CODE: another attempt would fail the same way. */
  permanent?: boolean;
}

/** A finished attempt not yet in status: its result (the truth, from S3) or its failure reason. */
export interface AttemptOutcome {
  stage: StageName;
  attempt: number;
  jobName?: string;
  result?: StageResult;
  failure?: string;
  /** The failure is one another attempt with the same input meets again: the stage fails without a retry. */
  permanent?: boolean;
  /** For the upload stage: what was published. */
  publication?: { provider: string; id: string; url: string; publishAt?: string };
  at: Date;
}

export interface PlanInput {
  episode: Episode;
  channel?: Channel;
  /** Why the Channel cannot be used now (missing, or not Ready); no stage starts meanwhile. */
  channelProblem?: { reason: string; message: string };
  jobs: StageJob[];
  outcomes: AttemptOutcome[];
  /** Finished attempts whose input hash matches a stage's current hash, found in the artifact store. */
  reusable: Partial<Record<StageName, StageResult & { jobName?: string }>>;
  now: Date;
  /**
   * Stages kept from starting now: paid ones by the budget gate (over budget, or the ledger is
   * down), any by admission (no stage slot free in the namespace).
   */
  holds?: Partial<Record<StageName, StageHold>>;
}

export interface StageStart {
  stage: StageName;
  attempt: number;
  inputHash: string;
  jobName: string;
}

export interface Transition {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface EpisodePlan {
  status: EpisodeStatus;
  start: StageStart[];
  deleteJobs: string[];
  transitions: Transition[];
  /** Look again after this long (a retry's backoff ends). */
  requeueAfterMs?: number;
}

/** What each stage does now, in this order: the first rule that decides wins. */
const STAGE_RULES: readonly StageRule[] = [
  skipInactive,
  waitForChannel,
  leaveFinished,
  keepRunning,
  keepCurrentResult,
  keepFailure,
  awaitDependencies,
  reuseMatchingAttempt,
  holdAtGate,
  holdWhileSuspended,
  holdForChannel,
  waitForBackoff,
  holdForSlot,
  holdForBudget,
  startAttempt,
];

/** The plan for an Episode that is not cancelled, step by step. */
const PLAN: readonly PlanStep[] = [
  recordOutcomes,
  handleRetryRequest,
  eachStage(STAGE_RULES),
  listStages,
  derivePhase,
  recordFinish,
  recordStart,
  markCurrentStages,
  countProgress,
  totalCost,
  collectArtifacts,
  stampObservedGeneration,
  writeConditions,
];

/** The plan for a cancelled Episode: late outcomes are still recorded; the phase is Cancelled, the rest of the summary stays. */
const CANCEL_PLAN: readonly PlanStep[] = [recordOutcomes, cancelEpisode, listStages, stampObservedGeneration, writeConditions];

export function planEpisode(input: PlanInput): EpisodePlan {
  const state = planState(input);
  for (const step of input.episode.spec.cancel ? CANCEL_PLAN : PLAN) step(state);
  const { status, start, deleteJobs, transitions, requeueAfterMs } = state;
  return { status, start, deleteJobs, transitions, requeueAfterMs };
}

/**
 * Jobs newer than the status knows of, for the current inputs (the operator stopped between
 * creating a Job and storing the status), are taken as the stage's running attempt, so that no
 * attempt is ever started twice.
 */
export function adoptJobs(
  status: EpisodeStatus | undefined,
  jobs: (StageJob & { inputHash?: string })[],
  hashes: Partial<Record<StageName, string>>,
): EpisodeStatus {
  const out: EpisodeStatus = structuredClone(status ?? {});
  const stages = out.stages ?? [];
  for (const job of jobs) {
    const entry = stages.find((s) => s.name === job.stage);
    if (entry && (entry.attempt ?? 0) >= job.attempt) continue;
    // Only a Job for the current inputs: an older attempt reused after an edit was undone leaves
    // newer Jobs (for the inputs since abandoned) that must not come back.
    if (job.inputHash !== hashes[job.stage]) continue;
    const adopted: StageStatus = {
      ...entry,
      name: job.stage,
      phase: 'Running',
      attempt: job.attempt,
      jobName: job.name,
      ...(job.inputHash && { inputHash: job.inputHash }),
      message: `attempt ${job.attempt} running (job ${job.name})`,
    };
    if (entry) stages[stages.indexOf(entry)] = adopted;
    else stages.push(adopted);
  }
  out.stages = stages;
  return out;
}
