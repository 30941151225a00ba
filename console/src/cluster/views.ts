// What the API serves of Channels, Episodes, Jobs and Events: plain views computed from the
// cached objects. Pure, so the list, the detail and the event stream agree. Their types are the
// wire types, inferred from the API's zod schemas (http/schemas.ts).
import { findCondition, jobState, type Job } from '@acog/kube';
import {
  scriptPace,
  APPROVAL_ANNOTATION_PREFIX,
  approvalGates,
  gatesOf,
  LABELS,
  phaseOf,
  STAGE_DEPENDENCIES,
  STAGES,
  upcomingRuns,
  waitingGates,
  type Channel,
  type Episode,
} from '@acog/api';
import type { ChannelDetail, ChannelSummary, EpisodeDetail, EpisodeSummary, EventView, JobView, StageView } from '../http/schemas.ts';

export type { ChannelDetail, ChannelSummary, EpisodeDetail, EpisodeSummary, EventView, JobView, StageView };

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
    phase: phaseOf(episode),
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
    stage: job.metadata.labels?.[LABELS.stage],
    attempt: job.metadata.labels?.[LABELS.attempt],
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
    spendUSD: channel.status?.spend?.actualUSD ?? 0,
    budgetUSD: channel.spec.budget?.monthlyLimitUSD,
  };
}

/**
 * One Episode as its page shows it. `jobs` and `events` are what the user may see of them (none
 * when they may not list them); `artifactsAt` is the URL the final artifacts are served under;
 * the Channel's summary is there only when `channelVisible` (the user may get the Channel).
 */
export function episodeDetail(
  episode: Episode,
  channel: Channel | undefined,
  related: { jobs: readonly Job[]; events: readonly KubeEvent[]; artifactsAt: string; channelVisible?: boolean },
): EpisodeDetail {
  const artifacts = Object.fromEntries(Object.keys(finalArtifacts(episode)).map((key) => [key, `${related.artifactsAt}/${key}`]));
  return {
    summary: episodeSummary(episode),
    spec: episode.spec,
    annotations: episode.metadata.annotations ?? {},
    stages: stageViews(episode, channel),
    waitingGates: waitingGates(episode),
    gates: gatesOf(episode, channel),
    artifacts,
    conditions: episode.status?.conditions ?? [],
    youtube: episode.status?.youtube ?? null,
    // The assemble stage burns captions in unless the Channel says not to (runners: assemble.ts).
    captionsBurnedIn: channel?.spec.format.captions?.burnIn ?? true,
    channel: channel && related.channelVisible !== false ? channelSummary(channel) : null,
    jobs: related.jobs.map(jobView),
    events: related.events.map(eventView),
    resourceVersion: episode.metadata.resourceVersion ?? '',
    pace: channel ? scriptPace(channel.spec, episode.spec) : null,
  };
}

/** How many of a Channel's Episodes its page lists, the newest first. */
export const RECENT_EPISODES = 20;

/** How many upcoming runs of its schedule a Channel's page lists. */
export const UPCOMING_RUNS = 5;

/** The next runs of a Channel's schedule, by @acog/api's upcomingRuns (the operator's own rules). */
export function scheduleView(channel: Channel, now: Date): ChannelDetail['schedule'] {
  const overview = upcomingRuns(channel, now, UPCOMING_RUNS);
  if (!overview) return null;
  return {
    ...overview,
    runs: overview.runs.map((run) => ({ time: run.time.toISOString(), topic: run.topic ?? null, episode: run.episode })),
  };
}

/** One Channel as its page shows it, with what the user may see of its Episodes and Events. */
export function channelDetail(
  channel: Channel,
  related: { episodes: readonly Episode[]; events: readonly KubeEvent[] },
  now: Date = new Date(),
): ChannelDetail {
  const recentEpisodes = related.episodes
    .map(episodeSummary)
    .sort((a, b) => ((a.createdAt ?? '') < (b.createdAt ?? '') ? 1 : -1))
    .slice(0, RECENT_EPISODES);
  return {
    summary: channelSummary(channel),
    spec: channel.spec,
    conditions: channel.status?.conditions ?? [],
    recentEpisodes,
    events: related.events.map(eventView),
    schedule: scheduleView(channel, now),
    resourceVersion: channel.metadata.resourceVersion ?? '',
  };
}
