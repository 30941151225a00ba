// The stage contract (DESIGN.md, "How a stage runs"): read the input, run the stage, upload every
// artifact, write result.json last, announce the outcome on NATS. A half-finished attempt never
// looks finished: without result.json it did not happen.
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  activeAncestors,
  activeStages,
  artifactScopeDecision,
  BUCKETS,
  MEDIA_MAX_BYTES,
  episodeKeyPrefix,
  isStageName,
  stageBucket,
  stageKeyPrefix,
  validateChannel,
  validateEpisode,
  API_VERSION,
  type StageEvent,
  type StageInput,
  type StageName,
  type ArtifactScope,
  type ArtifactUse,
  type StageResult,
} from '@acog/api';
import type { EventPublisher } from '../events/types.ts';
import { MediaRefusedError, probe } from '../media/ffmpeg.ts';
import { saveBody } from '../providers/http.ts';
import { guardedFetch, networkPolicy, NetworkPolicyError } from '../providers/network-policy.ts';
import type { EpisodeState } from '../providers/types.ts';
import type { ArtifactStore } from '@acog/store';

/** A stage failed for a reason worth one line; the runner exits non-zero with it. */
export class StageFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StageFailure';
  }
}

export interface StageOutput {
  provider: string;
  /** Artifact name → local file to upload (e.g. plan.json → /scratch/plan/1/plan.json). */
  files: Record<string, string>;
  usage?: Record<string, number>;
  costUSD?: number;
  message?: string;
}

export interface StageContext {
  input: StageInput;
  /** Scratch folder of this attempt. */
  workdir: string;
  env: Record<string, string | undefined>;
  log: (line: string) => void;
  signal?: AbortSignal;
  state: EpisodeState;
  namespaceState: EpisodeState;
  /** Downloads an upstream stage's artifact into the workdir; fails clearly when it is missing. */
  fetch(stage: StageName, artifact: string): Promise<string>;
  readJson<T>(stage: StageName, artifact: string): Promise<T>;
  /** Writes a JSON document into the workdir and returns its path. */
  writeJson(name: string, value: unknown): Promise<string>;
  /**
   * Copies a media file a spec names at `field` (e.g. "spec.format.music.uri") into the workdir as
   * `name`: s3:// under the namespace's prefix, https:// to a public address, file:// in a local
   * render only (artifactScopeDecision and the network policy); then probes it, refusing anything
   * that is not a plain media file (a playlist named .mp3, say). Refusals name the field.
   */
  download(uri: string, name: string, field: string): Promise<string>;
  /** Stores a file at a URI of the runtime's store that a spec names at `field` (a folder publisher's destination); only under the namespace's prefix. */
  putFile(uri: string, path: string, field: string): Promise<void>;
  /** Fails the stage, naming `field`, unless `uri` is one this episode may use as `use` (artifactScopeDecision). */
  checkUri(use: ArtifactUse, field: string, uri: string): void;
}

export type StageImplementation = (ctx: StageContext) => Promise<StageOutput>;

export interface StageRuntime {
  store: ArtifactStore;
  /** Absent, or failing, publishing only delays the operator: result.json is the truth. */
  events?: EventPublisher;
  scratch: string;
  env?: Record<string, string | undefined>;
  log?: (line: string) => void;
  signal?: AbortSignal;
  now?: () => Date;
}

function resultUri(store: ArtifactStore, input: StageInput): string {
  const key = stageKeyPrefix({
    namespace: input.episode.namespace,
    episode: input.episode.name,
    uid: input.episode.uid,
    stage: input.stage,
    attempt: input.attempt,
  });
  return store.uri(stageBucket(input.stage), `${key}result.json`);
}

/**
 * Names a stage may give its artifacts: one plain path segment, so that every artifact lands in the
 * attempt's own folder. Names such as __proto__ or constructor are fine: artifacts are kept in maps
 * built with Object.fromEntries and looked up with Object.hasOwn, never through a prototype.
 */
const ARTIFACT_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,199}$/;

/** The upstream result's URI of an artifact, or undefined; only the result's own entries count. */
function upstreamUri(input: StageInput, stage: StageName, artifact: string): string | undefined {
  const artifacts = input.upstream[stage]?.artifacts;
  if (!artifacts || !Object.hasOwn(artifacts, artifact)) return undefined;
  const uri = artifacts[artifact];
  return typeof uri === 'string' && uri ? uri : undefined;
}

/** The store works on this machine's disk (kubectl acog render, a local runner): file:// URIs are the user's own. */
function isLocalStore(store: ArtifactStore): boolean {
  return store.uri(BUCKETS.assets, 'x').startsWith('file:');
}

/** Checks what the operator (or render) handed over, before any work; names the bad field. */
export function checkStageInput(raw: unknown, expectedStage?: string): StageInput {
  const problems: string[] = [];
  const input = raw as Partial<StageInput> | null;
  if (!input || typeof input !== 'object') throw new StageFailure('malformed stage input: not a JSON object');
  if (typeof input.stage !== 'string' || !isStageName(input.stage))
    problems.push(`stage: ${JSON.stringify(input.stage)} is not a pipeline stage`);
  else if (expectedStage && input.stage !== expectedStage)
    problems.push(`stage: the input is for ${input.stage}, the runner was started for ${expectedStage}`);
  if (!Number.isInteger(input.attempt) || (input.attempt as number) < 1) problems.push('attempt: must be a whole number from 1');
  if (typeof input.inputHash !== 'string' || !input.inputHash) problems.push('inputHash: missing');
  const episode = input.episode;
  if (!episode || typeof episode !== 'object') problems.push('episode: missing');
  else {
    for (const field of ['namespace', 'name', 'uid'] as const)
      if (typeof episode[field] !== 'string' || !episode[field]) problems.push(`episode.${field}: missing`);
    const checked = validateEpisode({ apiVersion: API_VERSION, kind: 'Episode', metadata: { name: episode.name }, spec: episode.spec });
    problems.push(...checked.errors.map((e) => `episode.${e.field}: ${e.message}`));
  }
  if (!input.channel || typeof input.channel !== 'object') problems.push('channel: missing');
  else {
    const checked = validateChannel({
      apiVersion: API_VERSION,
      kind: 'Channel',
      metadata: { name: input.channel.name },
      spec: input.channel.spec,
    });
    problems.push(...checked.errors.map((e) => `channel.${e.field}: ${e.message}`));
  }
  if (!input.upstream || typeof input.upstream !== 'object') problems.push('upstream: missing');
  if (problems.length) throw new StageFailure(`malformed stage input: ${problems.join('; ')}`);
  const stage = input.stage as StageName;
  const active = activeStages(input.channel!.spec, input.episode!.spec);
  const missing = activeAncestors(stage, active).filter((ancestor) => !input.upstream![ancestor]);
  if (missing.length) throw new StageFailure(`missing upstream result of ${missing.join(', ')}: ${stage} needs it finished first`);
  return input as StageInput;
}

/** Per-episode state kept beside the episode's artifacts, shared by every attempt. */
export function episodeState(store: ArtifactStore, input: StageInput): EpisodeState {
  const prefix = episodeKeyPrefix({ namespace: input.episode.namespace, episode: input.episode.name, uid: input.episode.uid });
  return storeState(store, `${prefix}state/`);
}

/**
 * State shared by a namespace's episodes, inside the namespace's own prefix (its runners' S3 key
 * reaches it, no other namespace's does): <namespace>/_state/. No episode is named with "_".
 */
export function namespaceState(store: ArtifactStore, input: StageInput): EpisodeState {
  return storeState(store, `${input.episode.namespace}/_state/`);
}

function storeState(store: ArtifactStore, prefix: string): EpisodeState {
  const uri = (key: string) => store.uri(stageBucket('plan'), `${prefix}${key.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
  return {
    async get<T>(key: string) {
      return (await store.exists(uri(key))) ? (JSON.parse((await store.getBytes(uri(key))).toString('utf8')) as T) : undefined;
    },
    async put(key, value) {
      await store.putBytes(uri(key), JSON.stringify(value));
    },
  };
}

async function announce(runtime: StageRuntime, event: StageEvent, log: (line: string) => void): Promise<void> {
  if (!runtime.events) return;
  try {
    await runtime.events.publish(event);
  } catch (error) {
    log(`could not publish the ${event.outcome} event (the operator will find the result through the Job): ${(error as Error).message}`);
  }
}

export async function runStage(input: StageInput, implementation: StageImplementation, runtime: StageRuntime): Promise<StageResult> {
  const log = runtime.log ?? ((line: string) => console.error(line));
  const now = runtime.now ?? (() => new Date());
  const { store } = runtime;
  const resultLocation = resultUri(store, input);
  const event = (outcome: StageEvent['outcome'], extra: Partial<StageEvent>): StageEvent => ({
    namespace: input.episode.namespace,
    episode: input.episode.name,
    uid: input.episode.uid,
    stage: input.stage,
    attempt: input.attempt,
    inputHash: input.inputHash,
    outcome,
    at: now().toISOString(),
    ...extra,
  });

  // A Job that runs twice for one attempt finds the first run's result and only re-announces it.
  if (await store.exists(resultLocation)) {
    const existing = JSON.parse((await store.getBytes(resultLocation)).toString('utf8')) as StageResult;
    log(`${input.stage} attempt ${input.attempt} already finished; announcing its result again`);
    await announce(runtime, event('Succeeded', { result: resultLocation }), log);
    return existing;
  }

  const workdir = join(runtime.scratch, `${input.episode.uid}-${input.stage}-${input.attempt}`);
  // An earlier run's late write (a fetch still ending beside its failure) can add a file while the
  // folder is removed (ENOTEMPTY): the retries take it out too.
  await rm(workdir, { recursive: true, force: true, maxRetries: 3 });
  await mkdir(workdir, { recursive: true });
  const keyPrefix = stageKeyPrefix({
    namespace: input.episode.namespace,
    episode: input.episode.name,
    uid: input.episode.uid,
    stage: input.stage,
    attempt: input.attempt,
  });
  const startedAt = now().toISOString();
  const scope: ArtifactScope = {
    namespace: input.episode.namespace,
    episode: { name: input.episode.name, uid: input.episode.uid },
    local: isLocalStore(store),
  };
  const checkUri = (use: ArtifactUse, field: string, uri: string): void => {
    const decision = artifactScopeDecision(scope, use, field, uri);
    if (!decision.allowed) throw new StageFailure(decision.reason);
  };
  const env = runtime.env ?? process.env;

  const ctx: StageContext = {
    input,
    workdir,
    env,
    log,
    signal: runtime.signal,
    state: episodeState(store, input),
    namespaceState: namespaceState(store, input),
    async fetch(stage, artifact) {
      const uri = upstreamUri(input, stage, artifact);
      if (!uri)
        throw new StageFailure(
          `missing upstream artifact ${artifact} of ${stage}: its result lists ${Object.keys(input.upstream[stage]?.artifacts ?? {}).join(', ') || 'nothing'}`,
        );
      checkUri('artifact', `upstream.${stage}.artifacts[${JSON.stringify(artifact)}]`, uri);
      const path = join(workdir, 'upstream', stage, basename(artifact));
      try {
        await store.getFile(uri, path);
      } catch (error) {
        throw new StageFailure(`missing upstream artifact ${artifact} of ${stage} at ${uri}: ${(error as Error).message}`, {
          cause: error,
        });
      }
      return path;
    },
    async readJson<T>(stage: StageName, artifact: string) {
      const path = await ctx.fetch(stage, artifact);
      try {
        return JSON.parse(await readFile(path, 'utf8')) as T;
      } catch (error) {
        throw new StageFailure(`upstream artifact ${artifact} of ${stage} is not valid JSON: ${(error as Error).message}`, {
          cause: error,
        });
      }
    },
    async writeJson(name, value) {
      const path = join(workdir, name);
      await writeFile(path, JSON.stringify(value, null, 2));
      return path;
    },
    async download(uri, name, field) {
      checkUri('media', field, uri);
      const path = join(workdir, 'inputs', basename(name));
      await mkdir(dirname(path), { recursive: true });
      try {
        if (uri.startsWith('file://')) await copyFile(fileURLToPath(uri), path);
        else if (uri.startsWith('s3://')) await store.getFile(uri, path);
        else
          await saveBody(await fetchOk(uri, guardedFetch(networkPolicy(env), field), ctx.signal), path, new URL(uri).host, {
            maxBytes: MEDIA_MAX_BYTES,
          });
      } catch (error) {
        if (error instanceof NetworkPolicyError) throw new StageFailure(error.message, { cause: error });
        throw new StageFailure(`${field}: cannot read ${uri}: ${(error as Error).message}`, { cause: error });
      }
      try {
        await probe(path, { signal: ctx.signal });
      } catch (error) {
        if (ctx.signal?.aborted) throw error;
        const why = error instanceof MediaRefusedError ? error.reason : 'is not a readable media file';
        throw new StageFailure(`${field}: ${uri} ${why}`, { cause: error });
      }
      return path;
    },
    async putFile(uri, path, field) {
      checkUri('destination', field, uri);
      await store.putFile(uri, path);
    },
    checkUri,
  };

  try {
    const output = await implementation(ctx);
    const entries = Object.entries(output.files);
    const badName = entries.find(([name]) => !ARTIFACT_NAME.test(name) || name === 'result.json' || name === 'input.json');
    if (badName)
      throw new StageFailure(
        `${input.stage} produced an artifact named ${JSON.stringify(badName[0])}: artifact names are one plain file name (letters, digits, ".", "_", "-"), not result.json or input.json`,
      );
    const stored = new Map<string, string>();
    for (const [name, path] of entries) {
      const uri = store.uri(stageBucket(input.stage), keyPrefix + name);
      await store.putFile(uri, path);
      stored.set(name, uri);
    }
    const artifacts: Record<string, string> = Object.fromEntries(stored);
    const result: StageResult = {
      stage: input.stage,
      attempt: input.attempt,
      inputHash: input.inputHash,
      provider: output.provider,
      artifacts,
      usage: output.usage ?? {},
      costUSD: output.costUSD ?? 0,
      startedAt,
      finishedAt: now().toISOString(),
      ...(output.message ? { message: output.message } : {}),
    };
    await store.putBytes(resultLocation, JSON.stringify(result, null, 2), 'application/json');
    await announce(runtime, event('Succeeded', { result: resultLocation }), log);
    return result;
  } catch (error) {
    const message = oneLine(error);
    await announce(runtime, event('Failed', { message }), log);
    throw error instanceof StageFailure ? error : new StageFailure(message, { cause: error });
  } finally {
    // A provider's late write (a fetch still ending beside a failed one) must not hide the stage's outcome.
    if (!ctx.env.ACOG_KEEP_SCRATCH)
      await rm(workdir, { recursive: true, force: true, maxRetries: 3 }).catch((error: Error) =>
        log(`could not remove the scratch folder ${workdir}: ${error.message}`),
      );
  }
}

async function fetchOk(url: string, fetchImpl: typeof fetch, signal?: AbortSignal): Promise<Response> {
  const response = await fetchImpl(url, {
    signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(300_000)]) : AbortSignal.timeout(300_000),
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response;
}

/** The reason of a failure in one line, as the Episode's status and the failure event carry it. */
export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s+/g, ' ').trim().slice(0, 1000) || 'the stage failed without a message';
}
