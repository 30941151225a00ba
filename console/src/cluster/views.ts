// What the API serves of Channels, Episodes, Jobs and Events: plain views computed from the
// cached objects. Pure, so the list, the detail and the event stream agree.
import { findCondition, jobState, type Job } from '@acog/kube';
import {
  APPROVAL_ANNOTATION_PREFIX,
  approvalGates,
  STAGE_DEPENDENCIES,
  STAGES,
  type Channel,
  type Episode,
  type StageName,
} from '@acog/api';

export type EpisodeStatusStage = NonNullable<NonNullable<Episode['status']>['stages']>[number];

export interface StageView {
  name: StageName;
  phase: EpisodeStatusStage['phase'];
  dependsOn: StageName[];
  attempt?: number;
  startedAt?: string;
  finishedAt?: string;
  nextAttemptAt?: string;
  message?: string;
  provider?: string;
  costUSD?: number;
  usage?: Record<string, number | undefined>;
  jobName?: string;
  /** Artifact file names of the stage, each served under .../artifacts/<stage>/<file>. */
  artifacts: string[];
  gate: boolean;
  approvedAt?: string;
}

export interface EpisodeSummary {
  namespace: string;
  name: string;
  uid: string;
  channel: string;
  topic: string;
  phase: string;
  progress?: string;
  /** Finished stages out of all, 0..1, for a progress bar. */
  progressRatio: number;
  currentStage?: string;
  message?: string;
  createdAt?: string;
  startedAt?: string;
  finishedAt?: string;
  totalCostUSD: number;
  suspended: boolean;
  cancelled: boolean;
  resourceVersion?: string;
  stages: { name: StageName; phase: string; attempt?: number }[];
}

export interface JobView {
  name: string;
  stage?: string;
  attempt?: string;
  state: 'Active' | 'Complete' | 'Failed';
  startTime?: string;
  completionTime?: string;
}

export interface EventView {
  type?: string;
  reason?: string;
  message?: string;
  count: number;
  firstSeen?: string;
  lastSeen?: string;
  source?: string;
  involved: { kind?: string; name?: string; namespace?: string };
}

export interface KubeEvent {
  metadata: { name: string; namespace?: string; resourceVersion?: string; creationTimestamp?: string };
  regarding?: { kind?: string; name?: string; namespace?: string; uid?: string };
  note?: string;
  reason?: string;
  type?: string;
  eventTime?: string | null;
  deprecatedFirstTimestamp?: string;
  deprecatedLastTimestamp?: string;
  deprecatedCount?: number;
  series?: { count?: number; lastObservedTime?: string };
  reportingController?: string;
}

const FINISHED_STAGE = new Set(['Succeeded', 'Skipped']);

function iso(value: string | Date | undefined): string | undefined {
  return value instanceof Date ? value.toISOString() : value;
}

export function episodeSummary(episode: Episode): EpisodeSummary {
  const status = episode.status ?? {};
  const stages = (status.stages ?? []).map((stage) => ({ name: stage.name, phase: stage.phase, attempt: stage.attempt }));
  const done = stages.filter((stage) => FINISHED_STAGE.has(stage.phase)).length;
  return {
    namespace: episode.metadata.namespace ?? '',
    name: episode.metadata.name ?? '',
    uid: episode.metadata.uid ?? '',
    channel: episode.spec.channelRef.name,
    topic: episode.spec.topic,
    phase: status.phase ?? 'Pending',
    progress: status.progress,
    progressRatio: stages.length ? done / stages.length : 0,
    currentStage: status.currentStage,
    message: status.message,
    createdAt: iso(episode.metadata.creationTimestamp as string | Date | undefined),
    startedAt: status.startedAt,
    finishedAt: status.finishedAt,
    totalCostUSD: status.totalCostUSD ?? 0,
    suspended: Boolean(episode.spec.suspend),
    cancelled: Boolean(episode.spec.cancel),
    resourceVersion: episode.metadata.resourceVersion,
    stages,
  };
}

/** The artifact's file name, the last segment of its URI. */
export function artifactFile(uri: string): string {
  return uri.slice(uri.lastIndexOf('/') + 1);
}

/** Every stage of the pipeline with its state; stages the episode does not run are Skipped. */
export function stageViews(episode: Episode, channel: Channel | undefined): StageView[] {
  const byName = new Map((episode.status?.stages ?? []).map((stage) => [stage.name, stage]));
  const gates = new Set(approvalGates(channel?.spec, episode.spec));
  const annotations = episode.metadata.annotations ?? {};
  return STAGES.map((name) => {
    const stage = byName.get(name);
    const skipped = (episode.status?.stages?.length ?? 0) > 0 && !stage;
    return {
      name,
      phase: stage?.phase ?? (skipped ? 'Skipped' : 'Pending'),
      dependsOn: [...STAGE_DEPENDENCIES[name]],
      attempt: stage?.attempt,
      startedAt: stage?.startedAt,
      finishedAt: stage?.finishedAt,
      nextAttemptAt: stage?.nextAttemptAt,
      message: stage?.message,
      provider: stage?.provider,
      costUSD: stage?.costUSD,
      usage: stage?.usage,
      jobName: stage?.jobName,
      artifacts: (stage?.artifacts ?? []).map(artifactFile),
      gate: gates.has(name),
      approvedAt: annotations[APPROVAL_ANNOTATION_PREFIX + name],
    };
  });
}

/** The final artifacts by name (video, thumbnail, captionsVtt, ...), with the URL the gateway serves them at. */
export function finalArtifacts(episode: Episode): Record<string, string> {
  const artifacts = (episode.status?.artifacts ?? {}) as Record<string, string | undefined>;
  return Object.fromEntries(Object.entries(artifacts).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

export function jobView(job: Job): JobView {
  return {
    name: job.metadata.name,
    stage: job.metadata.labels?.['acog.dev/stage'],
    attempt: job.metadata.labels?.['acog.dev/attempt'],
    state: jobState(job),
    startTime: job.status?.startTime,
    completionTime: job.status?.completionTime,
  };
}

export function eventView(event: KubeEvent): EventView {
  return {
    type: event.type,
    reason: event.reason,
    message: event.note,
    count: event.series?.count ?? event.deprecatedCount ?? 1,
    firstSeen: event.deprecatedFirstTimestamp ?? event.eventTime ?? event.metadata.creationTimestamp,
    lastSeen: event.series?.lastObservedTime ?? event.deprecatedLastTimestamp ?? event.eventTime ?? event.metadata.creationTimestamp,
    source: event.reportingController,
    involved: { kind: event.regarding?.kind, name: event.regarding?.name, namespace: event.regarding?.namespace },
  };
}

export interface ChannelSummary {
  namespace: string;
  name: string;
  persona: string;
  language?: string;
  aspectRatio?: string;
  targetDurationSeconds?: number;
  ready: boolean;
  readyReason?: string;
  readyMessage?: string;
  episodes: NonNullable<NonNullable<Channel['status']>['episodes']>;
  spendUSD: number;
  budgetUSD?: number;
}

export function channelSummary(channel: Channel): ChannelSummary {
  const ready = findCondition(channel.status?.conditions, 'Ready');
  return {
    namespace: channel.metadata.namespace ?? '',
    name: channel.metadata.name ?? '',
    persona: channel.spec.persona.name,
    language: channel.spec.persona.language,
    aspectRatio: channel.spec.format.aspectRatio,
    targetDurationSeconds: channel.spec.format.targetDurationSeconds,
    ready: ready?.status === 'True',
    readyReason: ready?.reason,
    readyMessage: ready?.message,
    episodes: channel.status?.episodes ?? {},
    spendUSD: channel.status?.spend?.amountUSD ?? 0,
    budgetUSD: channel.spec.budget?.monthlyLimitUSD,
  };
}
