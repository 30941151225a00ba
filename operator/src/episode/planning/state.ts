// The one state the planner's steps read and write: the observations, unchanged, and the plan
// being built from them.
import {
  activeStages,
  approvalGates,
  stageInputHashes,
  type Channel,
  type Episode,
  type EpisodeStatus,
  type RetryPolicy,
  type StageName,
  type StageResult,
} from '@acog/api';
import type { AttemptOutcome, EpisodePhase, PlanInput, StageJob, StageStart, StageStatus, Transition } from '../planner.ts';
import { retryPolicyOf } from './retry.ts';

export interface PlanState {
  readonly episode: Episode;
  readonly channel?: Channel;
  readonly channelProblem?: PlanInput['channelProblem'];
  readonly jobs: readonly StageJob[];
  readonly outcomes: readonly AttemptOutcome[];
  readonly reusable: PlanInput['reusable'];
  readonly now: Date;
  readonly holds: NonNullable<PlanInput['holds']>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly policy: Required<RetryPolicy>;
  /** The stages that run (none without a Channel). */
  readonly active: readonly StageName[];
  /** Each active stage's current input hash. */
  readonly hashes: Partial<Record<StageName, string>>;
  readonly gates: ReadonlySet<StageName>;
  /** The status as observed; `status` is the one being built from it. */
  readonly observed: EpisodeStatus;
  status: EpisodeStatus;
  /** The stage entries being built; written to `status.stages` in pipeline order. */
  stages: Map<StageName, StageStatus>;
  start: StageStart[];
  deleteJobs: string[];
  transitions: Transition[];
  requeueAfterMs?: number;
  /** A retry request is acted on in this plan. */
  retrying: boolean;
}

/** One step of the plan: decides one thing and writes it into the state. */
export type PlanStep = (state: PlanState) => void;

/** One rule for a stage: true when it decided what the stage does now, so later rules are not asked. */
export type StageRule = (state: PlanState, stage: StageName) => boolean;

export const FINISHED: readonly EpisodePhase[] = ['Succeeded', 'Failed', 'Cancelled'];

/** The state before any step: the observations, and a copy of the observed status to build on. */
export function planState(input: PlanInput): PlanState {
  const { episode, channel } = input;
  const observed: EpisodeStatus = episode.status ?? {};
  const status: EpisodeStatus = structuredClone(observed);
  return {
    episode,
    channel,
    channelProblem: input.channelProblem,
    jobs: input.jobs,
    outcomes: input.outcomes,
    reusable: input.reusable,
    now: input.now,
    holds: input.holds ?? {},
    annotations: episode.metadata.annotations ?? {},
    policy: retryPolicyOf(channel, episode),
    active: channel ? activeStages(channel.spec, episode.spec) : [],
    hashes: channel ? stageInputHashes(channel.spec, episode.spec) : {},
    gates: channel ? approvalGates(channel.spec, episode.spec) : new Set<StageName>(),
    observed,
    status,
    stages: new Map((status.stages ?? []).map((entry) => [entry.name, entry])),
    start: [],
    deleteJobs: [],
    transitions: [],
    retrying: false,
  };
}

export function isFinished(phase: EpisodePhase | undefined): boolean {
  return phase !== undefined && FINISHED.includes(phase);
}

/** Succeeded with the stage's current inputs. */
export function isCurrent(state: PlanState, stage: StageName): boolean {
  const entry = state.stages.get(stage);
  return entry?.phase === 'Succeeded' && entry.inputHash === state.hashes[stage];
}

export function jobsOf(state: PlanState, stage: StageName): StageJob[] {
  return state.jobs.filter((job) => job.stage === stage);
}

export function jobIdentity(state: PlanState): { name: string; uid: string } {
  return { name: state.episode.metadata.name!, uid: state.episode.metadata.uid! };
}

export function time(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function fromResult(
  previous: StageStatus | undefined,
  result: StageResult,
  jobName: string | undefined,
  message: string,
): StageStatus {
  return {
    name: result.stage,
    phase: 'Succeeded',
    attempt: result.attempt,
    failures: 0,
    ...((jobName ?? previous?.jobName) && { jobName: jobName ?? previous?.jobName }),
    inputHash: result.inputHash,
    startedAt: result.startedAt,
    finishedAt: result.finishedAt,
    provider: result.provider,
    artifacts: Object.values(result.artifacts).slice(0, 200),
    usage: result.usage,
    costUSD: result.costUSD,
    message,
  };
}
