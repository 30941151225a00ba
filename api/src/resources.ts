// Names of the ACOG API, used wherever a part addresses the API server.
export const GROUP = 'acog.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/**
 * The console gateway's aggregated API (an APIService): archived Episodes and spend, read through
 * the API server with any credential it accepts, e.g. <HISTORY_API>/namespaces/NS/history.
 */
export const HISTORY_GROUP = 'history.acog.dev';
export const HISTORY_API = `/apis/${HISTORY_GROUP}/${VERSION}`;

export const CHANNELS = { kind: 'Channel', plural: 'channels', singular: 'channel', shortName: 'ch' } as const;
export const EPISODES = { kind: 'Episode', plural: 'episodes', singular: 'episode', shortName: 'ep' } as const;

/** Phases after which an Episode does nothing more. */
export const FINISHED_PHASES: readonly string[] = ['Succeeded', 'Failed', 'Cancelled'];

/**
 * The annotation that passes an approval gate before a stage, e.g. approve.acog.dev/voice; its
 * value is the RFC 3339 time of the approval. Being an annotation, it can also live in Git.
 */
export const APPROVAL_ANNOTATION_PREFIX = 'approve.acog.dev/';

/**
 * Asks the operator to try a failed Episode again: the value is the RFC 3339 time of the request;
 * the operator acts once on each new value and records it in status.lastRetryAt.
 */
export const RETRY_REQUESTED_ANNOTATION = 'retry.acog.dev/requested-at';
/** With a retry request: the stage to run again from (it and everything downstream); the failed stages when absent. */
export const RETRY_STAGE_ANNOTATION = 'retry.acog.dev/stage';

/** Labels the operator puts on what it owns (Jobs, Pods through the Job template). */
export const LABELS = {
  episode: 'acog.dev/episode',
  stage: 'acog.dev/stage',
  attempt: 'acog.dev/attempt',
  channel: 'acog.dev/channel',
} as const;

/** The index of stage Jobs by the Episode that owns them, as the operator's and the gateway's caches keep it. */
export const JOB_EPISODE_INDEX = 'episode';

/** "<namespace>/<uid>": the key of an Episode in that index. */
export function episodeUidKey(episode: { metadata: { namespace?: string; uid?: string } }): string {
  return `${episode.metadata.namespace}/${episode.metadata.uid}`;
}

/** The index values of a Job: the Episode that owns it, when it is a stage Job. */
export function jobEpisodeIndex(job: {
  metadata: { namespace?: string; labels?: Record<string, string>; ownerReferences?: { uid: string }[] };
}): string[] {
  const episode = job.metadata.labels?.[LABELS.episode];
  const owner = job.metadata.ownerReferences?.[0]?.uid;
  return episode && owner ? [`${job.metadata.namespace}/${owner}`] : [];
}
