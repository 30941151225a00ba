// HeyGen presenter through HeyGen's v3 API (v1/v2 video generation ended 2026-10-31):
//   1. the narration is uploaded as an asset: POST /v3/assets (multipart, up to 32 MB), or for a
//      larger file the direct upload (POST /v3/assets/direct-uploads, PUT to the presigned URL,
//      POST /v3/assets/{asset_id}/complete);
//   2. POST /v3/videos {type: "avatar", avatar_id, audio_asset_id, aspect_ratio, resolution} makes
//      the avatar speak it, lip-synced; the answer's video_id is kept in the episode state at
//      once, so that a repeated attempt waits for that video instead of paying for another;
//   3. GET /v3/videos/{video_id} is polled with a growing interval until status is completed or
//      failed (a webhook, handed in as waitForCallback, can end a wait early); the presigned
//      video_url is downloaded at once and conformed to the presenter's frame and exact length.
// The key travels in X-Api-Key; errors come as {error: {code, message, param?, doc_url}}.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, openAsBlob } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { HEYGEN_PRICE_PER_SECOND_USD, type AvatarProvider } from '@acog/api';
import type { Narration } from '../../contract/documents.ts';
import { runFfmpeg } from '../../media/ffmpeg.ts';
import { avatarFrameSize, orientationOf, type FrameSize } from '../../media/frame.ts';
import { ProviderError, ProviderHttp, logRetries, type ProviderHttpOptions } from '../http.ts';
import { ProviderConfigError, requireSecret, type Produced, type ProviderContext } from '../types.ts';
import { conformVideo } from '../visuals/conform.ts';
import { credentialHint, mediaClient, nextPollDelay, waitOrWake } from '../visuals/remote.ts';
import type { Avatar, AvatarVideo } from './types.ts';

const PROVIDER = 'HeyGen';
export const HEYGEN_BASE_URL = 'https://api.heygen.com';
/** POST /v3/assets proxies the bytes and takes at most 32 MB; larger files go through a direct upload. */
export const HEYGEN_PROXY_UPLOAD_LIMIT = 32 * 1024 * 1024;
export { HEYGEN_PRICE_PER_SECOND_USD };
export const HEYGEN_VIDEO_ID_KEY = 'heygen.videoId';
/** Fingerprint of what the stored video was made from: a changed narration needs a new video. */
export const HEYGEN_VIDEO_INPUT_KEY = 'heygen.videoInput';
/** Idempotency-Key of a creation that may have reached HeyGen without its answer reaching us. */
export const HEYGEN_CREATE_KEY = 'heygen.createKey';
export const HEYGEN_AVATAR_FILE = 'avatar.mp4';

export interface HeyGenAvatarOptions {
  /** How long one attempt waits for the render (30 minutes); the next attempt resumes the wait. */
  deadlineMs?: number;
  /** First wait between status polls (10 s); it grows by half each time up to maxPollIntervalMs (60 s). */
  pollIntervalMs?: number;
  maxPollIntervalMs?: number;
  /** Resolves when the operator's webhook hears that the video is done, so the wait ends early. */
  waitForCallback?: (videoId: string) => Promise<void>;
  /** Sent as callback_url: HeyGen POSTs a signed avatar_video.success/fail event there. */
  callbackUrl?: string;
  /** Files above this size use the direct upload (32 MB, HeyGen's limit of POST /v3/assets). */
  directUploadAboveBytes?: number;
  pricePerSecondUSD?: number;
  retry?: ProviderHttpOptions['retry'];
  fetch?: typeof fetch;
}

interface HeyGenAsset {
  asset_id: string;
  url?: string;
  mime_type?: string;
  size_bytes?: number;
}

interface HeyGenDirectUpload {
  asset_id: string;
  upload_url: string;
  upload_headers?: Record<string, string>;
  expires_in_seconds?: number;
}

export interface HeyGenVideo {
  id: string;
  status: 'pending' | 'processing' | 'completed' | 'failed' | string;
  video_url?: string | null;
  duration?: number | null;
  failure_code?: string | null;
  failure_message?: string | null;
}

/** The MIME types HeyGen takes for audio; other files are converted to WAV first. */
export function heygenAudioType(file: string): 'audio/mpeg' | 'audio/wav' | undefined {
  const extension = extname(file).toLowerCase();
  if (extension === '.mp3') return 'audio/mpeg';
  if (extension === '.wav') return 'audio/wav';
  return undefined;
}

/** HeyGen's aspect_ratio and resolution for a frame: 720x720 → 1:1 at 720p, 1920x1080 → 16:9 at 1080p. */
export function heygenCanvas(size: FrameSize): { aspect_ratio: '16:9' | '9:16' | '1:1'; resolution: '720p' | '1080p' } {
  const orientation = orientationOf(size);
  const aspect_ratio = orientation === 'square' ? '1:1' : orientation === 'landscape' ? '16:9' : '9:16';
  return { aspect_ratio, resolution: Math.max(size.width, size.height) > 1280 ? '1080p' : '720p' };
}

/** The body of POST /v3/videos for an avatar speaking an uploaded audio asset. */
export function heygenVideoRequest(params: {
  avatarId: string;
  audioAssetId: string;
  size: FrameSize;
  title: string;
  background?: string;
  callbackUrl?: string;
  callbackId?: string;
}): Record<string, unknown> {
  return {
    type: 'avatar',
    avatar_id: params.avatarId,
    audio_asset_id: params.audioAssetId,
    title: params.title.slice(0, 200),
    ...heygenCanvas(params.size),
    ...(params.background ? { background: { type: 'color', value: params.background } } : {}),
    ...(params.callbackUrl ? { callback_url: params.callbackUrl, callback_id: params.callbackId } : {}),
  };
}

/** One line for a failed render: HeyGen's failure_message and failure_code. */
export function heygenFailureReason(video: Pick<HeyGenVideo, 'failure_code' | 'failure_message'>): string {
  const message = video.failure_message?.trim() || 'no reason given';
  return video.failure_code ? `${message} (${video.failure_code})` : message;
}

async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A key HeyGen accepts: 1–255 of [A-Za-z0-9_:.-]. */
export function idempotencyKey(...parts: string[]): string {
  return parts
    .join(':')
    .replace(/[^A-Za-z0-9_:.-]/g, '-')
    .slice(0, 255);
}

export function createHeyGenAvatar(spec: AvatarProvider, options: HeyGenAvatarOptions = {}): Avatar {
  const deadlineMs = options.deadlineMs ?? 30 * 60_000;
  const pollIntervalMs = options.pollIntervalMs ?? 10_000;
  const maxPollIntervalMs = Math.max(pollIntervalMs, options.maxPollIntervalMs ?? 60_000);
  return {
    name: 'heygen',
    async render(ctx: ProviderContext, narration: Narration, audioPath: string): Promise<Produced<AvatarVideo>> {
      const apiKey = requireSecret(ctx, 'HEYGEN_API_KEY', spec.secretRef);
      const avatarId = spec.avatarId;
      if (!avatarId)
        throw new ProviderConfigError('providers.avatar.avatarId is not set: HeyGen needs the id of the avatar (look) that presents');
      const http = new ProviderHttp({
        provider: PROVIDER,
        baseUrl: ctx.env.ACOG_HEYGEN_BASE_URL ?? HEYGEN_BASE_URL,
        credential: credentialHint('HEYGEN_API_KEY', spec.secretRef),
        headers: { 'x-api-key': apiKey, accept: 'application/json' },
        retry: options.retry,
        fetch: options.fetch,
        onRetry: logRetries(ctx.log),
      });
      const media = mediaClient(PROVIDER, ctx.env, { fetch: options.fetch, retry: options.retry });
      const size = avatarFrameSize(ctx.channel.format);
      const assets = join(ctx.workdir, 'heygen');
      await mkdir(assets, { recursive: true });
      const fingerprint = createHash('sha256')
        .update([await fileSha256(audioPath), avatarId, `${size.width}x${size.height}`, spec.background ?? ''].join('\n'))
        .digest('hex');

      let videoId = await storedVideoId(ctx, fingerprint);
      let video: HeyGenVideo | undefined;
      if (videoId) {
        ctx.log(`HeyGen: resuming the wait for video ${videoId} made by an earlier attempt`);
        video = await getVideo(http, videoId, ctx.signal).catch(async (error: unknown) => {
          if (!(error instanceof ProviderError && error.kind === 'not-found')) throw error;
          ctx.log(`HeyGen no longer knows video ${videoId}; making a new one`);
          await forgetVideo(ctx);
          return undefined;
        });
        if (video?.status === 'failed') {
          ctx.log(`HeyGen video ${videoId} had failed (${heygenFailureReason(video)}); making a new one`);
          await forgetVideo(ctx);
          video = undefined;
        }
        if (!video) videoId = undefined;
      }
      if (!videoId) {
        const audio = await heygenReadyAudio(audioPath, assets, ctx.signal);
        const assetId = await uploadAudio(http, media, audio, options.directUploadAboveBytes ?? HEYGEN_PROXY_UPLOAD_LIMIT, ctx.signal);
        // Kept before the request: if its answer is lost, the next attempt sends the same key and
        // HeyGen answers with the video it already made.
        const pendingKey = await ctx.state.get<string>(HEYGEN_CREATE_KEY);
        const createKey = pendingKey?.includes(fingerprint.slice(0, 16))
          ? pendingKey
          : idempotencyKey('acog', ctx.episode.uid, fingerprint.slice(0, 16), randomUUID());
        await ctx.state.put(HEYGEN_CREATE_KEY, createKey);
        const created = await http
          .json<{ data?: { video_id?: string; status?: string } }>('POST', '/v3/videos', {
            json: heygenVideoRequest({
              avatarId,
              audioAssetId: assetId,
              size,
              title: `${ctx.episode.namespace}/${ctx.episode.name}`,
              background: spec.background,
              callbackUrl: options.callbackUrl,
              callbackId: `${ctx.episode.namespace}/${ctx.episode.name}/${ctx.episode.uid}`,
            }),
            headers: { 'idempotency-key': createKey },
            signal: ctx.signal,
          })
          .catch(async (error: unknown) => {
            // A refused request made no video; a key that replays the refusal would block the fix.
            if (error instanceof ProviderError && !error.retryable) await ctx.state.put(HEYGEN_CREATE_KEY, null);
            throw error;
          });
        videoId = created.data?.video_id;
        if (!videoId) throw new ProviderError(PROVIDER, 'bad-response', `${PROVIDER} answered POST /v3/videos without data.video_id`);
        await ctx.state.put(HEYGEN_VIDEO_ID_KEY, videoId);
        await ctx.state.put(HEYGEN_VIDEO_INPUT_KEY, fingerprint);
        await ctx.state.put(HEYGEN_CREATE_KEY, null);
        ctx.log(`HeyGen: video ${videoId} created (avatar ${avatarId}, ${narration.durationSeconds.toFixed(1)} s of narration)`);
      }

      const done = await waitForVideo(ctx, http, videoId, video, {
        deadlineMs,
        pollIntervalMs,
        maxPollIntervalMs,
        waitForCallback: options.waitForCallback,
      });
      const downloaded = join(assets, `${videoId.replace(/[^A-Za-z0-9_-]/g, '-')}.mp4`);
      const bytes = await media.download(done.video_url as string, downloaded, { signal: ctx.signal });
      ctx.log(`HeyGen: downloaded video ${videoId} (${(bytes / 1e6).toFixed(1)} MB)`);
      await conformVideo(
        {
          input: downloaded,
          output: join(ctx.workdir, HEYGEN_AVATAR_FILE),
          width: size.width,
          height: size.height,
          seconds: narration.durationSeconds,
          audio: audioPath,
        },
        ctx.signal,
      );
      await rm(downloaded, { force: true });
      const seconds = done.duration ?? narration.durationSeconds;
      return {
        value: { file: HEYGEN_AVATAR_FILE, width: size.width, height: size.height },
        usage: { seconds },
        costUSD: Math.round(seconds * (options.pricePerSecondUSD ?? HEYGEN_PRICE_PER_SECOND_USD) * 10_000) / 10_000,
      };
    },
  };
}

async function storedVideoId(ctx: ProviderContext, fingerprint: string): Promise<string | undefined> {
  const videoId = await ctx.state.get<string>(HEYGEN_VIDEO_ID_KEY);
  if (!videoId) return undefined;
  const input = await ctx.state.get<string>(HEYGEN_VIDEO_INPUT_KEY);
  if (input && input !== fingerprint) {
    ctx.log(`HeyGen video ${videoId} was made from another narration or avatar; making a new one`);
    await forgetVideo(ctx);
    return undefined;
  }
  return videoId;
}

async function forgetVideo(ctx: ProviderContext): Promise<void> {
  await ctx.state.put(HEYGEN_VIDEO_ID_KEY, null);
  await ctx.state.put(HEYGEN_VIDEO_INPUT_KEY, null);
  await ctx.state.put(HEYGEN_CREATE_KEY, null);
}

/** The narration as MP3 or WAV, the two audio types HeyGen takes. */
async function heygenReadyAudio(audioPath: string, assets: string, signal?: AbortSignal): Promise<{ file: string; type: string }> {
  const type = heygenAudioType(audioPath);
  if (type) return { file: audioPath, type };
  const wav = join(assets, 'narration.wav');
  await runFfmpeg(['-i', audioPath, '-vn', '-c:a', 'pcm_s16le', '-y', wav], {
    signal,
    logLevel: 'error',
    purpose: 'narration to WAV for HeyGen',
  });
  return { file: wav, type: 'audio/wav' };
}

async function uploadAudio(
  http: ProviderHttp,
  media: ProviderHttp,
  audio: { file: string; type: string },
  directAbove: number,
  signal?: AbortSignal,
): Promise<string> {
  const bytes = (await stat(audio.file)).size;
  const name = basename(audio.file);
  if (bytes <= directAbove) {
    const form = new FormData();
    form.append('file', await openAsBlob(audio.file, { type: audio.type }), name);
    const answer = await http.json<{ data?: HeyGenAsset }>('POST', '/v3/assets', { body: form, timeoutMs: 10 * 60_000, signal });
    if (!answer.data?.asset_id)
      throw new ProviderError(PROVIDER, 'bad-response', `${PROVIDER} answered POST /v3/assets without data.asset_id`);
    return answer.data.asset_id;
  }
  const started = await http.json<{ data?: HeyGenDirectUpload }>('POST', '/v3/assets/direct-uploads', {
    json: { filename: name, content_type: audio.type, size_bytes: bytes },
    signal,
  });
  const upload = started.data;
  if (!upload?.asset_id || !upload.upload_url) {
    throw new ProviderError(
      PROVIDER,
      'bad-response',
      `${PROVIDER} answered POST /v3/assets/direct-uploads without asset_id and upload_url`,
    );
  }
  // The presigned URL is storage, not the API: it gets the upload headers, never the key.
  await media.request('PUT', upload.upload_url, {
    body: await openAsBlob(audio.file, { type: audio.type }),
    headers: upload.upload_headers ?? { 'content-type': audio.type },
    timeoutMs: 15 * 60_000,
    signal,
  });
  await http.json('POST', `/v3/assets/${encodeURIComponent(upload.asset_id)}/complete`, { json: {}, signal });
  return upload.asset_id;
}

async function getVideo(http: ProviderHttp, videoId: string, signal?: AbortSignal): Promise<HeyGenVideo> {
  const answer = await http.json<{ data?: HeyGenVideo }>('GET', `/v3/videos/${encodeURIComponent(videoId)}`, { signal });
  if (!answer.data?.status)
    throw new ProviderError(PROVIDER, 'bad-response', `${PROVIDER} answered GET /v3/videos/${videoId} without data.status`);
  return answer.data;
}

async function waitForVideo(
  ctx: ProviderContext,
  http: ProviderHttp,
  videoId: string,
  first: HeyGenVideo | undefined,
  options: { deadlineMs: number; pollIntervalMs: number; maxPollIntervalMs: number; waitForCallback?: (videoId: string) => Promise<void> },
): Promise<HeyGenVideo> {
  const started = Date.now();
  const deadline = started + options.deadlineMs;
  let wake: Promise<void> | undefined;
  if (options.waitForCallback) {
    const callback = options.waitForCallback;
    wake = Promise.resolve().then(() => callback(videoId));
    wake.catch((error: unknown) => ctx.log(`HeyGen: waiting for the webhook failed (${(error as Error).message}); polling only`));
  }
  let delay: number | undefined;
  let video = first;
  let lastStatus = '';
  for (;;) {
    video ??= await getVideo(http, videoId, ctx.signal);
    if (video.status !== lastStatus) {
      ctx.log(`HeyGen: video ${videoId} is ${video.status}`);
      lastStatus = video.status;
    }
    if (video.status === 'completed') {
      if (!video.video_url)
        throw new ProviderError(PROVIDER, 'bad-response', `${PROVIDER} says video ${videoId} is completed but gives no video_url`);
      ctx.log(`HeyGen: video ${videoId} rendered in ${((Date.now() - started) / 1000).toFixed(0)} s of waiting`);
      return video;
    }
    if (video.status === 'failed') {
      await forgetVideo(ctx);
      throw new ProviderError(PROVIDER, 'client', `${PROVIDER} could not render video ${videoId}: ${heygenFailureReason(video)}`);
    }
    if (Date.now() >= deadline) {
      throw new ProviderError(
        PROVIDER,
        'timeout',
        `${PROVIDER} has not finished video ${videoId} after ${Math.round(options.deadlineMs / 60_000)} min (still ${video.status}); the next attempt resumes waiting for it`,
      );
    }
    delay = nextPollDelay(delay, { min: options.pollIntervalMs, max: options.maxPollIntervalMs });
    if (await waitOrWake(delay, { wake, deadline, signal: ctx.signal })) {
      ctx.log(`HeyGen: the webhook says video ${videoId} is done`);
      wake = undefined;
    }
    video = undefined;
  }
}
