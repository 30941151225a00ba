// Generated B-roll from Runway's API (docs.dev.runwayml.com): every request carries
// Authorization: Bearer <key> and X-Runway-Version; POST /v1/text_to_video (or /v1/image_to_video
// for the image-only models, from a channel image: a data URI under 5 MB, or a larger image through
// Runway's ephemeral upload, POST /v1/uploads and a presigned form POST, as a runway:// URI) starts
// a task, GET /v1/tasks/{id} is polled no
// more often than every 5 s through PENDING / THROTTLED / RUNNING to SUCCEEDED (output: URLs that
// expire within a day or two, so they are downloaded at once) or FAILED (failure, failureCode).
// Each clip's task id is kept in the episode state, so that a repeated attempt collects what it
// already paid for. Downloads are conformed to the frame, 30 fps and the clip's exact length.
import { createHash } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { RUNWAY_DEFAULT_MODEL, runwayCostUSD, type BrollProvider } from '@acog/api';
import { modelLifecycle, modelSupports } from '@acog/api/catalog';
import type { BrollClip, BrollManifest } from '../../contract/documents.ts';
import { frameSize, orientationOf, type FrameSize } from '../../media/frame.ts';
import { ProviderError, ProviderHttp, logRetries, type ProviderHttpOptions } from '../http.ts';
import { ProviderConfigError, requireSecret, type Produced, type ProviderContext } from '../types.ts';
import { conformVideo } from '../visuals/conform.ts';
import { channelImagePaths } from '../visuals/images.ts';
import { sleep } from '@acog/kube/backoff';
import { credentialHint, mediaClient, nextPollDelay } from '../visuals/remote.ts';
import { planBrollClips, type PlannedClip } from './plan.ts';
import { narrationWordsPerMinute } from '../writer/rules.ts';
import type { BrollScript, BrollSource } from './types.ts';

const PROVIDER = 'Runway';
export const RUNWAY_BASE_URL = 'https://api.dev.runwayml.com';
export const RUNWAY_API_VERSION = '2024-11-06';
export { RUNWAY_DEFAULT_MODEL };
/** Runway: "Consumers of this API should not expect updates more frequent than once every five seconds for a given task." */
export const RUNWAY_POLL_INTERVAL_MS = 5_000;
/** promptText takes at most 1000 characters, counting whatever the client adds (a final "."). */
export const RUNWAY_PROMPT_LIMIT = 1000;
/** A promptImage data URI must be under 5 MB (the whole URI); a larger image goes through an upload. */
export const RUNWAY_DATA_URI_LIMIT = 5 * 1024 * 1024;
/** Images up to 200 MB may be uploaded (docs.dev.runwayml.com/assets/uploads). */
export const RUNWAY_UPLOAD_LIMIT = 200 * 1024 * 1024;

/**
 * Refuses a model Runway no longer serves (the catalog's shutdown date), saying what to choose
 * instead. A model the catalog does not know is left for Runway to judge.
 */
export function checkRunwayModel(model: string, now = new Date()): void {
  const lifecycle = modelLifecycle('runway', model, now);
  if (lifecycle.state === 'retired') {
    throw new ProviderConfigError(
      `providers.broll.model: Runway retired ${model} on ${lifecycle.shutdown} (its requests are refused); choose ${lifecycle.replacement}${lifecycle.advice ? ` (${lifecycle.advice})` : ''}`,
    );
  }
}

export type RunwayTaskStatus = 'PENDING' | 'THROTTLED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export interface RunwayTask {
  id: string;
  createdAt?: string;
  status: RunwayTaskStatus | string;
  progress?: number;
  output?: string[];
  failure?: string;
  failureCode?: string;
}

/** The output resolution a model takes, in the frame's orientation. */
export function runwayRatio(model: string, size: FrameSize): string {
  const portrait = orientationOf(size) === 'portrait';
  if (model === 'veo3.1' || model === 'veo3.1_fast') return portrait ? '1080:1920' : '1920:1080';
  if (orientationOf(size) === 'square' && model === 'gen4_turbo') return '960:960';
  return portrait ? '720:1280' : '1280:720';
}

/** A duration the model accepts that is at least the clip's (or its longest). */
export function runwayDuration(model: string, seconds: number): number {
  const whole = Math.ceil(seconds - 1e-6);
  if (model === 'gen4_turbo') return whole <= 5 ? 5 : 10;
  if (model === 'veo3') return 8;
  if (model === 'veo3.1' || model === 'veo3.1_fast') return [4, 6, 8].find((allowed) => allowed >= whole) ?? 8;
  return Math.min(10, Math.max(2, whole));
}

/** What the clip should show, for a video model: the cue, its keywords and a house style. */
export function runwayPrompt(clip: Pick<PlannedClip, 'cue' | 'heading'>): string {
  const description = clip.cue?.description?.trim() || clip.heading;
  const keywords = (clip.cue?.keywords ?? []).map((keyword) => keyword.trim()).filter(Boolean);
  const prompt = [
    description.replace(/[.\s]+$/, ''),
    keywords.length > 0 ? `Focus on ${keywords.join(', ')}` : '',
    'Cinematic B-roll, smooth camera movement, natural light, no on-screen text, no logos',
  ]
    .filter(Boolean)
    .join('. ');
  const finished = `${prompt}.`;
  if (finished.length <= RUNWAY_PROMPT_LIMIT) return finished;
  // Cut at a whole character (never half a surrogate pair), leaving room for the ellipsis.
  const characters = [...prompt];
  let cut = '';
  for (const character of characters) {
    if (cut.length + character.length > RUNWAY_PROMPT_LIMIT - 1) break;
    cut += character;
  }
  return `${cut}…`;
}

/** The endpoint and body that start a clip's task. */
export function runwayTaskRequest(params: { model: string; prompt: string; seconds: number; size: FrameSize; image?: string }): {
  path: '/v1/text_to_video' | '/v1/image_to_video';
  body: Record<string, unknown>;
} {
  const common = {
    model: params.model,
    promptText: params.prompt,
    ratio: runwayRatio(params.model, params.size),
    duration: runwayDuration(params.model, params.seconds),
  };
  if (runwayNeedsImage(params.model)) return { path: '/v1/image_to_video', body: { ...common, promptImage: params.image } };
  return { path: '/v1/text_to_video', body: common };
}

/** A model that only animates an image (the catalog says it takes no text alone). */
export function runwayNeedsImage(model: string): boolean {
  return modelSupports('runway', model, 'textToVideo') === false;
}

export function runwayFailureReason(task: Pick<RunwayTask, 'failure' | 'failureCode' | 'status'>): string {
  const reason = task.failure?.trim() || (task.status === 'CANCELLED' ? 'the task was cancelled' : 'no reason given');
  return task.failureCode ? `${reason} (${task.failureCode})` : reason;
}

export { runwayCostUSD } from '@acog/api';

const IMAGE_TYPES: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp' };

/** The length of the data URI of `bytes` bytes of `type`. */
export function dataUriLength(type: string, bytes: number): number {
  return `data:${type};base64,`.length + 4 * Math.ceil(bytes / 3);
}

/**
 * promptImage for a channel image: a data URI when it stays under Runway's 5 MB, else the
 * runway:// URI of an ephemeral upload (POST /v1/uploads, then the presigned form POST of the file).
 */
async function promptImage(http: ProviderHttp, media: ProviderHttp, file: string, signal?: AbortSignal): Promise<string> {
  const type = IMAGE_TYPES[extname(file).toLowerCase()] ?? 'image/png';
  const bytes = (await stat(file)).size;
  if (dataUriLength(type, bytes) < RUNWAY_DATA_URI_LIMIT) return `data:${type};base64,${(await readFile(file)).toString('base64')}`;
  if (bytes > RUNWAY_UPLOAD_LIMIT) {
    throw new ProviderConfigError(
      `spec.format.images: ${basename(file)} is ${(bytes / 1024 / 1024).toFixed(0)} MB, more than the 200 MB Runway takes; use a smaller image`,
    );
  }
  const slot = await http.json<{ uploadUrl?: string; fields?: Record<string, string>; runwayUri?: string }>('POST', '/v1/uploads', {
    json: { filename: basename(file), type: 'ephemeral' },
    signal,
  });
  if (!slot.uploadUrl || !slot.runwayUri)
    throw new ProviderError(PROVIDER, 'bad-response', `${PROVIDER} answered POST /v1/uploads without uploadUrl and runwayUri`);
  // The presigned form is storage, not the API: its fields, then the file; never the key.
  const form = new FormData();
  for (const [name, value] of Object.entries(slot.fields ?? {})) form.append(name, value);
  form.append('file', await openAsBlob(file, { type }), basename(file));
  await media.request('POST', slot.uploadUrl, { body: form, timeoutMs: 10 * 60_000, signal });
  return slot.runwayUri;
}

export interface RunwayOptions {
  /** Between status polls of a task: 5 s, Runway's floor; only a test server may be polled faster. */
  pollIntervalMs?: number;
  /** The interval grows towards this while a task runs long (20 s). */
  maxPollIntervalMs?: number;
  /** How long one attempt waits for a task (20 minutes); the next attempt resumes it. */
  deadlineMs?: number;
  /** The clock a retired model is judged by (now). */
  now?: () => Date;
  /** Tasks in flight at once (2): more only queue as THROTTLED. */
  concurrency?: number;
  /** Local copies of remote channel images, for the image-to-video models. */
  imagePaths?: string[];
  pricePerSecondUSD?: number;
  retry?: ProviderHttpOptions['retry'];
  fetch?: typeof fetch;
}

interface StoredTask {
  id: string;
  /** Fingerprint of the request that made it. */
  input: string;
}

export const runwayTaskKey = (clip: Pick<PlannedClip, 'file'>) => `runway.task.${clip.file}`;

export function createRunwayBroll(spec: BrollProvider, options: RunwayOptions = {}): BrollSource {
  const model = spec.model ?? RUNWAY_DEFAULT_MODEL;
  const pollIntervalMs = options.pollIntervalMs ?? RUNWAY_POLL_INTERVAL_MS;
  const maxPollIntervalMs = Math.max(pollIntervalMs, options.maxPollIntervalMs ?? 20_000);
  const deadlineMs = options.deadlineMs ?? 20 * 60_000;
  return {
    name: 'runway',
    async clips(ctx: ProviderContext, script: BrollScript): Promise<Produced<BrollManifest>> {
      checkRunwayModel(model, options.now?.());
      const apiKey = requireSecret(ctx, 'RUNWAY_API_KEY', spec.secretRef);
      const http = new ProviderHttp({
        provider: PROVIDER,
        baseUrl: ctx.env.ACOG_RUNWAY_BASE_URL ?? RUNWAY_BASE_URL,
        credential: credentialHint('RUNWAY_API_KEY', spec.secretRef),
        headers: { authorization: `Bearer ${apiKey}`, 'x-runway-version': RUNWAY_API_VERSION, accept: 'application/json' },
        retry: options.retry,
        fetch: options.fetch,
        onRetry: logRetries(ctx.log),
      });
      const media = mediaClient(PROVIDER, ctx.env, { fetch: options.fetch, retry: options.retry });
      const format = ctx.channel.format;
      const size = frameSize(format.aspectRatio);
      const plan = planBrollClips(script, {
        clipSeconds: spec.clipSeconds,
        wordsPerMinute: narrationWordsPerMinute(ctx.channel, ctx.episode.spec),
      });
      let images: string[] = [];
      if (runwayNeedsImage(model)) {
        images = await channelImagePaths(format.images, options.imagePaths);
        if (images.length === 0) {
          throw new ProviderConfigError(
            `Runway's ${model} animates an image: give the Channel a local image (format.images) or choose a text-to-video model such as gen4.5`,
          );
        }
      }
      const downloads = join(ctx.workdir, 'runway');
      await mkdir(downloads, { recursive: true });

      let generatedSeconds = 0;
      let tasksCreated = 0;
      // One promptImage per image, shared by its clips (an upload's runway:// URI lasts 24 h).
      const prompted = new Map<string, Promise<string>>();
      const imageFor = (file: string) => {
        let uri = prompted.get(file);
        if (!uri) {
          uri = promptImage(http, media, file, ctx.signal);
          prompted.set(file, uri);
        }
        return uri;
      };
      const makeClip = async (clip: PlannedClip): Promise<BrollClip> => {
        const imageFile = images.length > 0 ? images[(clip.beatIndex + clip.index) % images.length] : undefined;
        // The fingerprint names the image by its content: an upload's runway:// URI differs each time.
        const imageDigest = imageFile
          ? `sha256:${createHash('sha256')
              .update(await readFile(imageFile))
              .digest('hex')}`
          : undefined;
        const request = runwayTaskRequest({ model, prompt: runwayPrompt(clip), seconds: clip.seconds, size, image: imageDigest });
        const input = createHash('sha256').update(JSON.stringify(request)).digest('hex');
        const withImage = async () =>
          imageFile ? { ...request, body: { ...request.body, promptImage: await imageFor(imageFile) } } : request;
        const download = join(downloads, clip.file);
        for (let round = 1; ; round++) {
          const { task, created } = await startOrResume(ctx, http, clip, withImage, input);
          // A task resumed from an earlier attempt was paid for too; that attempt reported no cost.
          if (created) tasksCreated += 1;
          generatedSeconds += request.body.duration as number;
          const done = await waitForTask(ctx, http, task, clip, { pollIntervalMs, maxPollIntervalMs, deadlineMs });
          try {
            await media.download((done.output as string[])[0], download, { signal: ctx.signal });
            break;
          } catch (error) {
            // An output URL that no longer answers has expired: the task must be run again.
            const expired = error instanceof ProviderError && (error.kind === 'not-found' || error.kind === 'auth');
            if (!expired || round > 1) throw error;
            ctx.log(`Runway: the output of task ${task.id} has expired; generating ${clip.file} again`);
            await ctx.state.put(runwayTaskKey(clip), null);
          }
        }
        await conformVideo(
          {
            input: download,
            output: join(ctx.workdir, clip.file),
            width: size.width,
            height: size.height,
            seconds: clip.seconds,
            loopShortInput: true,
          },
          ctx.signal,
        );
        await rm(download, { force: true });
        await ctx.state.put(runwayTaskKey(clip), null);
        return { beatId: clip.beatId, file: clip.file, durationSeconds: clip.seconds };
      };

      const clips = await inBatches(plan, Math.max(1, options.concurrency ?? 2), makeClip);
      ctx.log(`Runway (${model}): ${clips.length} clips, ${tasksCreated} new tasks, ${generatedSeconds} s generated`);
      return {
        value: { clips },
        usage: {
          tasks: tasksCreated,
          clips: clips.length,
          seconds: clips.reduce((sum, clip) => sum + clip.durationSeconds, 0),
          generatedSeconds,
        },
        costUSD: runwayCostUSD(model, generatedSeconds, options.pricePerSecondUSD),
      };
    },
  };
}

/** Runs `work` over `items` with at most `limit` at once; results in the items' order. A failure stops new work, lets running work end, and is thrown. */
async function inBatches<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < items.length && !failed) {
      const index = next++;
      try {
        results[index] = await work(items[index]);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const outcomes = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const rejection = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (rejection) throw rejection.reason;
  return results;
}

async function getTask(http: ProviderHttp, id: string, signal?: AbortSignal): Promise<RunwayTask> {
  const task = await http.json<RunwayTask>('GET', `/v1/tasks/${encodeURIComponent(id)}`, { signal });
  if (!task?.status) throw new ProviderError(PROVIDER, 'bad-response', `${PROVIDER} answered GET /v1/tasks/${id} without a status`);
  return task;
}

async function startOrResume(
  ctx: ProviderContext,
  http: ProviderHttp,
  clip: PlannedClip,
  build: () => Promise<ReturnType<typeof runwayTaskRequest>>,
  input: string,
): Promise<{ task: RunwayTask; created: boolean }> {
  const stored = await ctx.state.get<StoredTask>(runwayTaskKey(clip));
  if (stored?.id && stored.input === input) {
    try {
      const task = await getTask(http, stored.id, ctx.signal);
      if (task.status !== 'FAILED' && task.status !== 'CANCELLED') {
        ctx.log(`Runway: resuming task ${task.id} for ${clip.file} (${task.status})`);
        return { task, created: false };
      }
      ctx.log(`Runway: task ${task.id} for ${clip.file} had ended ${task.status}: ${runwayFailureReason(task)}; starting a new one`);
    } catch (error) {
      if (!(error instanceof ProviderError && error.kind === 'not-found')) throw error;
      ctx.log(`Runway no longer knows task ${stored.id}; starting a new one for ${clip.file}`);
    }
  }
  const request = await build();
  const answer = await http.json<{ id?: string }>('POST', request.path, { json: request.body, signal: ctx.signal });
  if (!answer.id) throw new ProviderError(PROVIDER, 'bad-response', `${PROVIDER} answered POST ${request.path} without a task id`);
  await ctx.state.put(runwayTaskKey(clip), { id: answer.id, input } satisfies StoredTask);
  ctx.log(`Runway: task ${answer.id} started for ${clip.file} (${request.body.model}, ${request.body.duration} s, ${request.body.ratio})`);
  return { task: { id: answer.id, status: 'PENDING' }, created: true };
}

async function waitForTask(
  ctx: ProviderContext,
  http: ProviderHttp,
  started: RunwayTask,
  clip: PlannedClip,
  options: { pollIntervalMs: number; maxPollIntervalMs: number; deadlineMs: number },
): Promise<RunwayTask> {
  const deadline = Date.now() + options.deadlineMs;
  let delay: number | undefined;
  let task = started;
  for (;;) {
    if (task.status === 'SUCCEEDED') {
      if (!task.output?.length)
        throw new ProviderError(PROVIDER, 'bad-response', `${PROVIDER} says task ${task.id} succeeded but gives no output`);
      return task;
    }
    if (task.status === 'FAILED' || task.status === 'CANCELLED') {
      await ctx.state.put(runwayTaskKey(clip), null);
      throw new ProviderError(
        PROVIDER,
        'client',
        `${PROVIDER} could not generate ${clip.file} for ${clip.beatId} (task ${task.id}): ${runwayFailureReason(task)}`,
      );
    }
    if (Date.now() >= deadline) {
      throw new ProviderError(
        PROVIDER,
        'timeout',
        `${PROVIDER} task ${task.id} for ${clip.file} is still ${task.status} after ${Math.round(options.deadlineMs / 60_000)} min; the next attempt resumes waiting for it`,
      );
    }
    delay = nextPollDelay(delay, { min: options.pollIntervalMs, max: options.maxPollIntervalMs, factor: 1.25 });
    await sleep(delay, ctx.signal);
    task = await getTask(http, task.id, ctx.signal);
  }
}
