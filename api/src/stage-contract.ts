// The contract between the operator and the runners (DESIGN.md, "How a stage runs"):
// where a stage's input and result live, and the completion event on NATS JetStream.
import type { ChannelSpec, EpisodeSpec, StageName } from './generated/types.ts';

/** What a runner is given: written by the operator (or render) before the stage starts. */
export interface StageInput {
  stage: StageName;
  attempt: number;
  episode: { namespace: string; name: string; uid: string; spec: EpisodeSpec };
  /** The Channel's spec as it was when the stage was planned, defaults applied. */
  channel: { name: string; spec: ChannelSpec };
  /** Results of the finished upstream stages. */
  upstream: Partial<Record<StageName, StageResult>>;
  /** Hash of the stage's inputs; a finished attempt with the same hash is reused. */
  inputHash: string;
}

export interface StageResult {
  stage: StageName;
  attempt: number;
  inputHash: string;
  provider: string;
  /** Artifact name → URI; e.g. plan → s3://acog-scripts/ns/ep/uid/plan/1/plan.json. */
  artifacts: Record<string, string>;
  /** What the provider consumed: tokens, characters, seconds. */
  usage: Record<string, number>;
  costUSD: number;
  startedAt: string;
  finishedAt: string;
  message?: string;
}

/** Published on NATS when a stage attempt ends; result.json is the truth, this is the fast path. */
export interface StageEvent {
  namespace: string;
  episode: string;
  uid: string;
  stage: StageName;
  attempt: number;
  inputHash: string;
  outcome: 'Succeeded' | 'Failed';
  /** The one-line reason of a failure. */
  message?: string;
  /** URI of result.json, for a success. */
  result?: string;
  at: string;
}

/**
 * The runner's exit code when another attempt with the same input would fail the same way (the
 * provider refused the credential, the account's quota or the request itself). The stage Job's
 * pod failure policy turns it into the Job condition reason `PodFailurePolicy`, and the operator
 * fails the stage at once instead of spending the retry policy on it. Other failures exit 1.
 */
export const PERMANENT_FAILURE_EXIT_CODE = 3;

/** The JetStream stream that carries stage events. */
export const EVENTS_STREAM = 'ACOG_EVENTS';
export const EVENTS_SUBJECTS = 'acog.events.>';

/** Kubernetes names may hold dots, which separate NATS subject tokens; underscores they cannot hold. */
function subjectToken(name: string): string {
  return name.replace(/\./g, '_');
}

export function stageEventSubject(namespace: string, episode: string, stage: StageName): string {
  return `acog.events.${subjectToken(namespace)}.${subjectToken(episode)}.${stage}`;
}

/** The de-duplicating message id: one event per attempt, however often it is published. */
export function stageEventMessageId(uid: string, stage: StageName, attempt: number): string {
  return `${uid}/${stage}/${attempt}`;
}

/** Media go to the assets bucket, documents to the scripts bucket (the original design's names). */
export const BUCKETS = { assets: 'acog-assets', scripts: 'acog-scripts' } as const;
const DOCUMENT_STAGES: readonly StageName[] = ['plan', 'script', 'refine', 'metadata'];

export function stageBucket(stage: StageName): string {
  return DOCUMENT_STAGES.includes(stage) ? BUCKETS.scripts : BUCKETS.assets;
}

/** <namespace>/<episode>/<uid>/<stage>/<attempt>/ — where an attempt keeps its artifacts. */
export function stageKeyPrefix(input: { namespace: string; episode: string; uid: string; stage: StageName; attempt: number }): string {
  return `${input.namespace}/${input.episode}/${input.uid}/${input.stage}/${input.attempt}/`;
}

/** <namespace>/<episode>/<uid>/ — everything of one episode. */
export function episodeKeyPrefix(input: { namespace: string; episode: string; uid: string }): string {
  return `${input.namespace}/${input.episode}/${input.uid}/`;
}

/** Provider callbacks (HeyGen's) that the console's gateway verified, for the runner that waits on them. */
export const WEBHOOKS_STREAM = 'ACOG_WEBHOOKS';
export const WEBHOOKS_SUBJECTS = 'acog.webhooks.>';

/**
 * The subject of one HeyGen video's completion: acog.webhooks.<namespace>.heygen.<video_id>. The
 * namespace comes first so that NATS permissions can give each tenant's runners its own webhooks only.
 */
export function heygenWebhookSubject(namespace: string, videoId: string): string {
  return `acog.webhooks.${subjectToken(namespace)}.heygen.${videoId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/** The callback URL HeyGen is given: the gateway's webhook, with the namespace whose runner waits on it. */
export function heygenCallbackUrl(base: string | undefined, namespace: string): string | undefined {
  if (!base) return undefined;
  const url = new URL(base);
  url.searchParams.set('namespace', namespace);
  return url.toString();
}

/** The inbox prefix of a namespace's runners: NATS lets them read replies under it, and nobody else's. */
export function natsInboxPrefix(namespace: string): string {
  return `_INBOX_${subjectToken(namespace)}`;
}

/** The NATS user a process connects as, from ACOG_NATS_USER and ACOG_NATS_PASSWORD (Secrets by reference); none when unset. */
export function natsAuth(env: Record<string, string | undefined>): { user?: string; pass?: string } {
  return env.ACOG_NATS_USER ? { user: env.ACOG_NATS_USER, pass: env.ACOG_NATS_PASSWORD ?? '' } : {};
}
