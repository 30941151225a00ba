// What a person may do to an Episode — approve, retry, suspend, resume, cancel — decided once for
// every client: `kubectl acog` and the console's gateway ask the same function, then send the
// JSON merge patch (RFC 7386) it returns, or say why there is nothing to do, or refuse. Pure: no
// I/O, the time comes in as `now`.
import type { Channel, Episode, StageName } from './generated/types.ts';
import { isStageName, STAGE_DEPENDENCIES, STAGES } from './pipeline.ts';
import { APPROVAL_ANNOTATION_PREFIX, FINISHED_PHASES, RETRY_REQUESTED_ANNOTATION, RETRY_STAGE_ANNOTATION } from './resources.ts';
import { activeStages, approvalGates } from './stage-inputs.ts';

export const EPISODE_ACTIONS = ['approve', 'retry', 'suspend', 'resume', 'cancel'] as const;
export type EpisodeAction = (typeof EPISODE_ACTIONS)[number];

/** What the person asked for besides the action: the stage, for approve and retry. */
export interface ActionRequest {
  stage?: string;
}

/** A JSON merge patch of an Episode: null removes an annotation. */
export interface EpisodePatch {
  metadata?: { annotations: Record<string, string | null> };
  spec?: { suspend?: boolean; cancel?: boolean };
}

/** Why an action is refused, for a client that words its own advice (kubectl's flags) around the message. */
export type RefusalReason =
  /** Approve or suspend a Succeeded or Cancelled episode; cancel a finished one. */
  | 'Finished'
  /** The requested stage is not a stage of the pipeline. */
  | 'NotAStage'
  /** Approve: the requested stage has no approval gate. */
  | 'NotAGate'
  /** Approve without a stage: the episode waits at no gate. */
  | 'NotWaiting'
  /** Approve without a stage: the episode waits at more than one gate. */
  | 'WaitingAtSeveral'
  /** Retry a cancelled (or cancelling) episode. */
  | 'Cancelled'
  /** Retry a stage the episode does not run. */
  | 'StageNotRun'
  /** Retry without a stage: the episode has not failed. */
  | 'NotFailed'
  /** Cancel an episode that is being cancelled already. */
  | 'AlreadyCancelling';

/** Send this patch; `message` is the outcome in a few words, e.g. "approved (voice)". */
export interface PatchDecision {
  outcome: 'patch';
  action: EpisodeAction;
  patch: EpisodePatch;
  message: string;
  /** Approve: the gate passed. Retry: the stage asked for, absent when the failed stages run again. */
  stage?: StageName;
  /** Retry: what the operator does next, as a sentence. */
  plan?: string;
}

/** Nothing to send: the episode is as asked already; `message` says so, e.g. "already suspended". */
export interface UnchangedDecision {
  outcome: 'unchanged';
  action: EpisodeAction;
  message: string;
  stage?: StageName;
}

/** The action does not apply to the episode as it is. */
export interface Refusal {
  outcome: 'refused';
  action: EpisodeAction;
  reason: RefusalReason;
  message: string;
  /** Approve: the episode's gates in stage order. */
  gates?: StageName[];
}

export type ActionDecision = PatchDecision | UnchangedDecision | Refusal;

export type DecideAction = (episode: Episode, channel: Channel | undefined, request: ActionRequest, now: Date) => ActionDecision;

// ---------------------------------------------------------------------------------------------
// Helpers on Episodes and stages, shared by the decisions and by what displays them.

/** The episode's phase; an Episode the operator has not seen yet is Pending. */
export function phaseOf(episode: Episode): string {
  return episode.status?.phase ?? 'Pending';
}

/** Stages in pipeline order, each once. */
export function inStageOrder(stages: Iterable<StageName>): StageName[] {
  const set = new Set(stages);
  return STAGES.filter((stage) => set.has(stage));
}

/** A stage and every stage that (transitively) depends on it, in pipeline order. */
export function withDownstream(stage: StageName): StageName[] {
  const found = new Set<StageName>([stage]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const candidate of STAGES) {
      if (!found.has(candidate) && STAGE_DEPENDENCIES[candidate].some((dependency) => found.has(dependency))) {
        found.add(candidate);
        grew = true;
      }
    }
  }
  return inStageOrder(found);
}

/** The stages an Episode runs: its status when the operator wrote one, else all but the skipped. */
export function stagesRun(episode: Episode, channel?: Channel): StageName[] {
  const listed = episode.status?.stages?.map((stage) => stage.name);
  if (listed?.length) return inStageOrder(listed);
  return activeStages(channel?.spec, episode.spec);
}

/** The approval gates of an Episode, its Channel's and its own, in stage order (its own alone without the Channel). */
export function gatesOf(episode: Episode, channel: Channel | undefined): StageName[] {
  return inStageOrder(approvalGates(channel?.spec, episode.spec));
}

/** The stages the episode waits at for an approval, according to its status. */
export function waitingGates(episode: Episode): StageName[] {
  const waiting = (episode.status?.stages ?? []).filter((stage) => stage.phase === 'AwaitingApproval').map((stage) => stage.name);
  if (!waiting.length && episode.status?.phase === 'AwaitingApproval') {
    waiting.push(
      ...(episode.status.currentStage ?? '')
        .split(',')
        .map((stage) => stage.trim())
        .filter(isStageName),
    );
  }
  return inStageOrder(waiting);
}

/** "a", "a and b", "a, b and c". */
export function andList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

// ---------------------------------------------------------------------------------------------
// The decisions.

function nameOf(episode: Episode): string {
  return episode.metadata.name ?? '';
}

/** "its gates are voice (waiting) and upload (approved …)", or that it has none. */
function describeGates(episode: Episode, gates: readonly StageName[]): string {
  if (!gates.length) return 'it has no approval gates (spec.approvalGates of the episode and of its channel are empty)';
  const annotations = episode.metadata.annotations ?? {};
  const states = new Map((episode.status?.stages ?? []).map((stage) => [stage.name, stage.phase]));
  const described = gates.map((gate) => {
    const approved = annotations[APPROVAL_ANNOTATION_PREFIX + gate];
    if (approved) return `${gate} (approved ${approved})`;
    return states.get(gate) === 'AwaitingApproval' ? `${gate} (waiting)` : gate;
  });
  return `its gate${gates.length > 1 ? 's are' : ' is'} ${andList(described)}`;
}

const STAGE_LIST = `(stages: ${STAGES.join(', ')})`;

/**
 * Approve: pass the gate before `request.stage`, or the one gate the episode waits at, by setting
 * the annotation approve.acog.dev/<stage> to the time of the approval. A later gate may be
 * approved ahead of time.
 */
export const decideApprove: DecideAction = (episode, channel, request, now) => {
  const name = nameOf(episode);
  const phase = phaseOf(episode);
  const gates = gatesOf(episode, channel);
  const refuse = (reason: RefusalReason, message: string): Refusal => ({ outcome: 'refused', action: 'approve', reason, message, gates });
  if (phase === 'Succeeded' || phase === 'Cancelled') return refuse('Finished', `episode ${name} is ${phase}; there is nothing to approve`);

  let stage: StageName;
  if (request.stage !== undefined) {
    if (!isStageName(request.stage))
      return refuse('NotAStage', `"${request.stage}" is not a stage ${STAGE_LIST}; for episode ${name} ${describeGates(episode, gates)}`);
    if (!gates.includes(request.stage))
      return refuse('NotAGate', `episode ${name} has no approval gate before ${request.stage}: ${describeGates(episode, gates)}`);
    stage = request.stage;
  } else {
    const waiting = waitingGates(episode);
    if (!waiting.length)
      return refuse('NotWaiting', `episode ${name} is not waiting for an approval (phase ${phase}); ${describeGates(episode, gates)}`);
    if (waiting.length > 1) return refuse('WaitingAtSeveral', `episode ${name} waits at ${waiting.length} gates (${andList(waiting)})`);
    stage = waiting[0];
  }

  const key = APPROVAL_ANNOTATION_PREFIX + stage;
  const already = episode.metadata.annotations?.[key];
  if (already) return { outcome: 'unchanged', action: 'approve', stage, message: `already approved (${stage}) at ${already}` };
  return {
    outcome: 'patch',
    action: 'approve',
    stage,
    patch: { metadata: { annotations: { [key]: now.toISOString() } } },
    message: `approved (${stage})`,
  };
};

/**
 * Retry: ask the operator to run the failed stages of a Failed episode again, or `request.stage`
 * and everything downstream of it in any phase but Cancelled. The Channel is needed only for an
 * Episode whose status lists no stages yet (to know which it runs).
 */
export const decideRetry: DecideAction = (episode, channel, request, now) => {
  const name = nameOf(episode);
  const phase = phaseOf(episode);
  const refuse = (reason: RefusalReason, message: string): Refusal => ({ outcome: 'refused', action: 'retry', reason, message });
  if (phase === 'Cancelled' || episode.spec.cancel)
    return refuse('Cancelled', `episode ${name} is cancelled; a cancelled episode cannot run again: create a new Episode`);

  let stage: StageName | undefined;
  let message: string;
  let plan: string;
  if (request.stage !== undefined) {
    if (!isStageName(request.stage)) return refuse('NotAStage', `"${request.stage}" is not a stage ${STAGE_LIST}`);
    stage = request.stage;
    const runs = stagesRun(episode, channel);
    if (!runs.includes(stage)) return refuse('StageNotRun', `episode ${name} does not run the ${stage} stage (it runs ${andList(runs)})`);
    const downstream = withDownstream(stage).filter((candidate) => candidate !== stage && runs.includes(candidate));
    message = `retry requested from ${stage}${downstream.length ? `, then ${andList(downstream)}` : ''}`;
    plan = `the operator runs ${stage} again${downstream.length ? `, then ${andList(downstream)} (downstream of it)` : ''}; the stages before it are kept`;
  } else {
    if (phase !== 'Failed') return refuse('NotFailed', `episode ${name} is ${phase}; nothing to retry`);
    const failed = (episode.status?.stages ?? []).filter((entry) => entry.phase === 'Failed');
    const which = failed.length
      ? andList(failed.map((entry) => (entry.message ? `${entry.name} (${entry.message})` : entry.name)))
      : 'the failed stages';
    message = 'retry requested for the failed stages';
    plan = `the operator runs ${which} again, with fresh attempts; finished stages are kept`;
  }
  // A stage left over from an earlier request must not apply to this one: null removes it.
  return {
    outcome: 'patch',
    action: 'retry',
    stage,
    patch: { metadata: { annotations: { [RETRY_REQUESTED_ANNOTATION]: now.toISOString(), [RETRY_STAGE_ANNOTATION]: stage ?? null } } },
    message,
    plan,
  };
};

/** Suspend: spec.suspend true, as a Job's; running stages finish, no new one starts. */
export const decideSuspend: DecideAction = (episode) => {
  const phase = phaseOf(episode);
  if (phase === 'Succeeded' || phase === 'Cancelled') {
    const message = `episode ${nameOf(episode)} is ${phase}; there is nothing to suspend`;
    return { outcome: 'refused', action: 'suspend', reason: 'Finished', message };
  }
  if (episode.spec.suspend) return { outcome: 'unchanged', action: 'suspend', message: 'already suspended' };
  return { outcome: 'patch', action: 'suspend', patch: { spec: { suspend: true } }, message: 'suspended' };
};

/** Resume: spec.suspend false. */
export const decideResume: DecideAction = (episode) => {
  if (!episode.spec.suspend) return { outcome: 'unchanged', action: 'resume', message: 'already running (not suspended)' };
  return { outcome: 'patch', action: 'resume', patch: { spec: { suspend: false } }, message: 'resumed' };
};

/** Cancel: spec.cancel true, for good; the operator deletes the running Jobs and the phase becomes Cancelled. */
export const decideCancel: DecideAction = (episode) => {
  const name = nameOf(episode);
  const phase = phaseOf(episode);
  if (FINISHED_PHASES.includes(phase)) {
    const message = `episode ${name} already finished (${phase}); there is nothing to cancel`;
    return { outcome: 'refused', action: 'cancel', reason: 'Finished', message };
  }
  if (episode.spec.cancel) {
    const message = `episode ${name} is already being cancelled (phase ${phase})`;
    return { outcome: 'refused', action: 'cancel', reason: 'AlreadyCancelling', message };
  }
  return { outcome: 'patch', action: 'cancel', patch: { spec: { cancel: true } }, message: 'cancelled' };
};

/** Each action's decision. */
export const DECIDE: Readonly<Record<EpisodeAction, DecideAction>> = {
  approve: decideApprove,
  retry: decideRetry,
  suspend: decideSuspend,
  resume: decideResume,
  cancel: decideCancel,
};

/** Decides `action` for the episode as it is now. */
export function decideAction(
  action: EpisodeAction,
  episode: Episode,
  channel: Channel | undefined,
  request: ActionRequest = {},
  now: Date = new Date(),
): ActionDecision {
  return DECIDE[action](episode, channel, request, now);
}
