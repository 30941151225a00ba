// The Episode reconciler's decisions, without I/O: from the Episode, its Channel, the Jobs it owns
// and the outcomes of finished attempts, the status it should have, the Jobs to start and delete,
// and the transitions worth an Event. Level-triggered: the same observations give the same plan,
// so a restart at any moment loses nothing and starts nothing twice.
import {
  activeDependencies,
  activeStages,
  approvalGates,
  APPROVAL_ANNOTATION_PREFIX,
  RETRY_REQUESTED_ANNOTATION,
  RETRY_STAGE_ANNOTATION,
  STAGES,
  isStageName,
  stageInputHashes,
  type Channel,
  type Episode,
  type EpisodeStatus,
  type RetryPolicy,
  type StageName,
  type StageResult,
} from '@acog/api';
import { setConditions, type ConditionUpdate } from '@acog/kube';
import { stageJobName } from './job.ts';

export type StageStatus = NonNullable<EpisodeStatus['stages']>[number];
export type EpisodePhase = NonNullable<EpisodeStatus['phase']>;

export interface StageJob {
  name: string;
  stage: StageName;
  attempt: number;
  state: 'Active' | 'Complete' | 'Failed';
}

/** A finished attempt not yet in status: its result (the truth, from S3) or its failure reason. */
export interface AttemptOutcome {
  stage: StageName;
  attempt: number;
  jobName?: string;
  result?: StageResult;
  failure?: string;
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

export const DEFAULT_RETRY_POLICY: Required<RetryPolicy> = { maxAttempts: 3, backoffSeconds: 30, maxBackoffSeconds: 600 };
const FINISHED: readonly EpisodePhase[] = ['Succeeded', 'Failed', 'Cancelled'];

export function retryPolicyOf(channel: Channel | undefined, episode: Episode): Required<RetryPolicy> {
  return { ...DEFAULT_RETRY_POLICY, ...channel?.spec.retryPolicy, ...episode.spec.overrides?.retryPolicy };
}

/** The wait before the attempt after `failures` failed ones: doubled each time, capped. */
export function retryDelaySeconds(policy: Required<RetryPolicy>, failures: number): number {
  return Math.min(policy.maxBackoffSeconds, policy.backoffSeconds * 2 ** Math.max(0, failures - 1));
}

function time(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function seconds(from: string | undefined, to: string | undefined): string {
  if (!from || !to) return '';
  const s = (Date.parse(to) - Date.parse(from)) / 1000;
  return ` in ${s < 10 ? s.toFixed(1) : Math.round(s)}s`;
}

function artifactEndingWith(entry: StageStatus | undefined, name: string): string | undefined {
  return entry?.artifacts?.find((uri) => uri.endsWith(`/${name}`));
}

function fromResult(previous: StageStatus | undefined, result: StageResult, jobName: string | undefined, message: string): StageStatus {
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

export function planEpisode(input: PlanInput): EpisodePlan {
  const { episode, channel, now } = input;
  const annotations = episode.metadata.annotations ?? {};
  const previousStatus: EpisodeStatus = episode.status ?? {};
  const status: EpisodeStatus = structuredClone(previousStatus);
  const transitions: Transition[] = [];
  const start: StageStart[] = [];
  const deleteJobs: string[] = [];
  let requeueAfterMs: number | undefined;
  const entries = new Map<StageName, StageStatus>((status.stages ?? []).map((entry) => [entry.name, entry]));
  const generation = episode.metadata.generation;
  const jobsOf = (stage: StageName) => input.jobs.filter((job) => job.stage === stage);

  // 1. Record the outcomes of finished attempts, whatever else happens.
  const policy = retryPolicyOf(channel, episode);
  for (const outcome of input.outcomes) {
    const entry = entries.get(outcome.stage);
    if (entry && ((entry.attempt ?? 0) > outcome.attempt || (entry.attempt === outcome.attempt && entry.phase !== 'Running'))) continue;
    if (outcome.result) {
      const took = seconds(outcome.result.startedAt, outcome.result.finishedAt);
      const message = outcome.result.message ?? `attempt ${outcome.attempt} succeeded${took} (${outcome.result.provider})`;
      entries.set(outcome.stage, fromResult(entry, outcome.result, outcome.jobName, message));
      transitions.push({ type: 'Normal', reason: 'StageSucceeded', message: `${outcome.stage}: ${message}` });
      if (outcome.stage === 'upload' && outcome.publication?.provider === 'youtube') {
        status.youtube = {
          videoId: outcome.publication.id,
          url: outcome.publication.url,
          ...(outcome.publication.publishAt && { publishAt: outcome.publication.publishAt }),
        };
      }
    } else {
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
      if (failures >= policy.maxAttempts) {
        entries.set(outcome.stage, { ...base, nextAttemptAt: undefined });
        transitions.push({
          type: 'Warning',
          reason: 'StageFailed',
          message: `${outcome.stage} failed after ${failures} attempt(s): ${reason}`,
        });
      } else {
        // Status times have whole seconds: round up, so that the wait is never shorter than the policy's.
        const next = new Date(Math.ceil((now.getTime() + retryDelaySeconds(policy, failures) * 1000) / 1000) * 1000);
        entries.set(outcome.stage, {
          ...base,
          phase: 'Pending',
          nextAttemptAt: time(next),
          message: `attempt ${outcome.attempt} failed: ${reason}; attempt ${outcome.attempt + 1} of up to ${policy.maxAttempts} starts at ${time(next)}`,
        });
        transitions.push({
          type: 'Warning',
          reason: 'StageRetrying',
          message: `${outcome.stage} attempt ${outcome.attempt} failed (${reason}); retrying at ${time(next)}`,
        });
      }
    }
  }

  // 2. Cancellation is for good: running Jobs go, nothing starts again.
  if (episode.spec.cancel) {
    for (const job of input.jobs) if (job.state === 'Active') deleteJobs.push(job.name);
    for (const [stage, entry] of entries)
      if (entry.phase === 'Running' || entry.phase === 'Pending' || entry.phase === 'AwaitingApproval' || entry.phase === 'Blocked')
        entries.set(stage, { ...entry, phase: 'Cancelled', message: 'the episode was cancelled' });
    if (status.phase !== 'Cancelled') {
      status.phase = 'Cancelled';
      status.finishedAt = time(now);
      status.message = 'cancelled (spec.cancel)';
      transitions.push({ type: 'Normal', reason: 'Cancelled', message: 'the episode was cancelled; its running stage Jobs are deleted' });
    }
    return finish();
  }

  const active = channel ? activeStages(channel.spec, episode.spec) : [];
  const hashes = channel ? stageInputHashes(channel.spec, episode.spec) : {};

  // 3. A retry request (kubectl acog retry) the operator has not acted on yet.
  const retryAt = annotations[RETRY_REQUESTED_ANNOTATION];
  let retrying = false;
  if (retryAt && retryAt !== status.lastRetryAt && status.phase !== 'Cancelled' && channel) {
    retrying = true;
    status.lastRetryAt = retryAt;
    const from = annotations[RETRY_STAGE_ANNOTATION];
    const rerun = new Set<StageName>();
    if (from && isStageName(from) && active.includes(from)) {
      // The stage and everything downstream of it run again, even with unchanged inputs.
      rerun.add(from);
      for (const stage of active) if (activeDependencies(stage, active).some((dependency) => rerun.has(dependency))) rerun.add(stage);
    }
    for (const [stage, entry] of entries) {
      if (rerun.has(stage) || entry.phase === 'Failed' || entry.phase === 'Cancelled')
        entries.set(stage, { ...entry, phase: 'Pending', failures: 0, nextAttemptAt: undefined, message: `retry requested at ${retryAt}` });
    }
    status.finishedAt = undefined;
    transitions.push({
      type: 'Normal',
      reason: 'RetryRequested',
      message: from ? `retrying from ${from} (requested at ${retryAt})` : `retrying the failed stages (requested at ${retryAt})`,
    });
  }

  // 4. Walk the DAG. A finished episode only records late outcomes, until a retry.
  const finishedBefore = FINISHED.includes(status.phase as EpisodePhase) && !retrying;
  const gates = channel ? approvalGates(channel.spec, episode.spec) : new Set<StageName>();
  const done = (stage: StageName) => entries.get(stage)?.phase === 'Succeeded' && entries.get(stage)?.inputHash === hashes[stage];
  for (const stage of STAGES) {
    if (channel && !active.includes(stage)) {
      entries.set(stage, { name: stage, phase: 'Skipped', message: 'skipped by the Channel or the Episode' });
      continue;
    }
    if (!channel || finishedBefore) continue;
    const hash = hashes[stage]!;
    let entry = entries.get(stage);
    if (entry?.phase === 'Running') {
      // Still running: a Job for its attempt exists, or is made again (same name; creating twice is harmless).
      const job = jobsOf(stage).find((j) => j.attempt === entry!.attempt);
      if (!job && entry.inputHash && entry.attempt)
        start.push({
          stage,
          attempt: entry.attempt,
          inputHash: entry.inputHash,
          jobName: entry.jobName ?? stageJobName(jobIdentity(), stage, entry.attempt, entry.inputHash),
        });
      continue;
    }
    if (entry?.phase === 'Succeeded' && entry.inputHash === hash) continue;
    if (entry?.phase === 'Failed') continue;
    const dependencies = activeDependencies(stage, active);
    const waitingFor = dependencies.filter((dependency) => !done(dependency));
    if (waitingFor.length) {
      if (entry?.phase === 'Succeeded') {
        // Its result stays until it runs again: if the inputs change back, it is current once more.
        entries.set(stage, { ...entry, message: `inputs changed upstream: runs again after ${waitingFor.join(', ')}` });
        continue;
      }
      const failedDependency = waitingFor.find((dependency) => entries.get(dependency)?.phase === 'Failed');
      entry = {
        ...entry,
        name: stage,
        phase: failedDependency ? 'Blocked' : 'Pending',
        message: failedDependency ? `blocked: ${failedDependency} failed` : `waiting for ${waitingFor.join(', ')}`,
      };
      entries.set(stage, entry);
      continue;
    }
    // Inputs back to those of an earlier attempt (a spec edit undone): that attempt's result stands.
    const reuse = input.reusable[stage];
    if (reuse && reuse.inputHash === hash) {
      const message = `reused attempt ${reuse.attempt}: its inputs are the current ones`;
      entries.set(stage, fromResult(entry, reuse, reuse.jobName, message));
      transitions.push({ type: 'Normal', reason: 'StageReused', message: `${stage}: ${message}` });
      continue;
    }
    if (gates.has(stage) && !annotations[`${APPROVAL_ANNOTATION_PREFIX}${stage}`]) {
      if (entry?.phase !== 'AwaitingApproval')
        transitions.push({
          type: 'Normal',
          reason: 'AwaitingApproval',
          message: `${stage} waits for approval: kubectl acog approve ${episode.metadata.name} --stage ${stage}`,
        });
      entries.set(stage, {
        ...entry,
        name: stage,
        phase: 'AwaitingApproval',
        message: `waiting for approval: kubectl acog approve ${episode.metadata.name} --stage ${stage} (annotation ${APPROVAL_ANNOTATION_PREFIX}${stage})`,
      });
      continue;
    }
    if (episode.spec.suspend) {
      entries.set(stage, {
        ...entry,
        name: stage,
        phase: 'Pending',
        message: 'suspended: set spec.suspend to false (kubectl acog resume) to continue',
      });
      continue;
    }
    if (input.channelProblem) {
      entries.set(stage, { ...entry, name: stage, phase: 'Pending', message: input.channelProblem.message });
      continue;
    }
    if (entry?.nextAttemptAt && Date.parse(entry.nextAttemptAt) > now.getTime()) {
      const wait = Date.parse(entry.nextAttemptAt) - now.getTime();
      requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, wait);
      continue;
    }
    const attempt = Math.max(entry?.attempt ?? 0, ...jobsOf(stage).map((job) => job.attempt)) + 1;
    const jobName = stageJobName(jobIdentity(), stage, attempt, hash);
    start.push({ stage, attempt, inputHash: hash, jobName });
    entries.set(stage, {
      name: stage,
      phase: 'Running',
      attempt,
      failures: entry?.failures ?? 0,
      jobName,
      inputHash: hash,
      startedAt: time(now),
      message: `attempt ${attempt} running (job ${jobName})`,
    });
    transitions.push({ type: 'Normal', reason: 'StageStarted', message: `${stage} attempt ${attempt} started: job ${jobName}` });
  }

  return finish();

  function jobIdentity() {
    return { name: episode.metadata.name!, uid: episode.metadata.uid! };
  }

  function finish(): EpisodePlan {
    status.stages = STAGES.filter((stage) => entries.has(stage)).map((stage) => prune(entries.get(stage)!));
    if (!episode.spec.cancel) summarise();
    status.observedGeneration = generation;
    status.conditions = setConditions(status.conditions, conditionsOf(), generation, now);
    return { status, start, deleteJobs, transitions, requeueAfterMs };
  }

  function summarise(): void {
    const stages = status.stages!.filter((entry) => entry.phase !== 'Skipped');
    const failed = stages.find((entry) => entry.phase === 'Failed');
    const succeeded = stages.filter((entry) => entry.phase === 'Succeeded' && (!channel || entry.inputHash === hashes[entry.name]));
    const running = stages.filter((entry) => entry.phase === 'Running');
    const awaiting = stages.filter((entry) => entry.phase === 'AwaitingApproval');
    const before = status.phase;
    if (!channel) {
      status.phase = status.phase ?? 'Pending';
      status.message = input.channelProblem?.message ?? 'the Channel is missing';
    } else if (failed) {
      status.phase = 'Failed';
      status.message = `${failed.name} failed after ${failed.failures ?? 1} attempt(s): ${failed.message ?? ''}`.trim();
    } else if (stages.length > 0 && succeeded.length === stages.length) {
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
      status.message = episode.spec.suspend
        ? 'suspended: no stage starts until spec.suspend is false'
        : (input.channelProblem?.message ??
          stages.find((entry) => entry.nextAttemptAt)?.message ??
          (started ? 'waiting for the next stage' : 'waiting for the first stage'));
    }
    if (status.phase !== before && FINISHED.includes(status.phase)) {
      status.finishedAt = time(now);
      transitions.push(
        status.phase === 'Succeeded'
          ? { type: 'Normal', reason: 'Succeeded', message: status.message! }
          : { type: 'Warning', reason: 'Failed', message: status.message! },
      );
    }
    if (!FINISHED.includes(status.phase)) status.finishedAt = undefined;
    if (!status.startedAt && stages.some((entry) => entry.startedAt)) status.startedAt = time(now);
    const current = [...running, ...awaiting].map((entry) => entry.name);
    status.currentStage = current.length ? current.join(',') : undefined;
    status.progress = channel ? `${succeeded.length}/${stages.length}` : undefined;
    const cost = stages.reduce((sum, entry) => sum + (entry.costUSD ?? 0), 0);
    status.totalCostUSD = Math.round(cost * 1e6) / 1e6;
    const assemble = entries.get('assemble');
    if (assemble?.phase === 'Succeeded') {
      status.artifacts = {
        video: artifactEndingWith(assemble, 'video.mp4'),
        thumbnail: artifactEndingWith(assemble, 'thumbnail.jpg'),
        captionsSrt: artifactEndingWith(assemble, 'captions.srt'),
        captionsVtt: artifactEndingWith(assemble, 'captions.vtt'),
        metadata: artifactEndingWith(entries.get('metadata'), 'metadata.json'),
        script: artifactEndingWith(entries.get('refine'), 'refined.json'),
      };
    }
  }

  function conditionsOf(): ConditionUpdate[] {
    const phase = status.phase ?? 'Pending';
    const message = status.message ?? '';
    const awaiting = status.stages?.filter((entry) => entry.phase === 'AwaitingApproval').map((entry) => entry.name) ?? [];
    const progressingReason =
      phase === 'Running'
        ? episode.spec.suspend
          ? 'Suspended'
          : 'StagesRunning'
        : phase === 'Pending'
          ? (input.channelProblem?.reason ?? (episode.spec.suspend ? 'Suspended' : 'Waiting'))
          : phase;
    return [
      { type: 'Ready', status: phase === 'Succeeded' ? 'True' : 'False', reason: phase, message },
      {
        type: 'Progressing',
        status: phase === 'Running' && !episode.spec.suspend ? 'True' : 'False',
        reason: progressingReason,
        message,
      },
      {
        type: 'AwaitingApproval',
        status: awaiting.length ? 'True' : 'False',
        reason: awaiting.length ? 'ApprovalGate' : 'NoGateWaiting',
        message: awaiting.length ? `waiting for approval of ${awaiting.join(', ')}` : 'no stage waits for approval',
      },
      {
        type: 'Succeeded',
        status: phase === 'Succeeded' ? 'True' : FINISHED.includes(phase) ? 'False' : 'Unknown',
        reason: phase,
        message,
      },
      { type: 'Failed', status: phase === 'Failed' ? 'True' : 'False', reason: phase, message },
    ];
  }
}

/** Drops empty fields so that status stays small and comparisons are exact. */
function prune(entry: StageStatus): StageStatus {
  return Object.fromEntries(Object.entries(entry).filter(([, value]) => value !== undefined)) as StageStatus;
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
