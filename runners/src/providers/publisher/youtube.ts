// Publishes the finished video to YouTube. OAuth2 and the metadata calls go through googleapis; the
// upload itself speaks the resumable protocol by hand (googleapis would send one multipart request):
// a session URI kept in the episode's state, 256 KiB-aligned chunks streamed from disk, 308 + Range to
// continue, a status query after an interruption. A video id, once known, is kept too, so a repeated
// stage finds its video again and never uploads a second one.
import { createHash } from 'node:crypto';
import { createReadStream, openAsBlob } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Auth, GoogleApis, youtube_v3 } from 'googleapis';
import type { EpisodeSpec, PublisherProvider } from '@acog/api';
import type { Publication } from '../../contract/documents.ts';
import { DEFAULT_RETRY, withRetry, type RetryOptions } from '@acog/kube/backoff';
import { ProviderError, ProviderHttp, isRetryable, parseRetryAfter, type ProviderErrorKind } from '../http.ts';
import { ProviderConfigError, requireSecret, type Produced, type ProviderContext } from '../types.ts';
import { requestDescription, youtubeTags, youtubeTitle } from './description.ts';
import type { PublishRequest, Publisher } from './types.ts';

export const STATE_UPLOAD = 'youtube.upload';
export const STATE_VIDEO_ID = 'youtube.videoId';
/** What happened after the upload (thumbnail, captions, playlists), so a repeated stage does not do it twice. */
export const STATE_FINISHING = 'youtube.finishing';

export const UPLOAD_CHUNK_GRANULARITY = 256 * 1024;
export const DEFAULT_CHUNK_BYTES = 32 * UPLOAD_CHUNK_GRANULARITY;
export const THUMBNAIL_MAX_BYTES = 2 * 1024 * 1024;

/**
 * Quota units per call, from the Data API's quota table. An upload cost 1600 units until the
 * revision of 4 December 2025 lowered it to about 100.
 */
export const QUOTA_UNITS = {
  videosInsert: 100,
  videosList: 1,
  videosUpdate: 50,
  thumbnailsSet: 50,
  captionsInsert: 400,
  playlistItemsInsert: 50,
} as const;

const DEFAULT_UPLOAD_BASE_URL = 'https://www.googleapis.com/';
const PACIFIC_TIME = 'America/Los_Angeles';
const AUDIT_FORM = 'https://support.google.com/youtube/contact/yt_api_form';
const CAPTION_TRACK_NAME = 'Narration';
/** Every status the hand-written upload requests interpret themselves rather than failing on. */
const ANSWERED_STATUSES = Array.from({ length: 300 }, (_, index) => 300 + index);

export interface YouTubePublisherOptions {
  /** Bytes per upload request; a multiple of 256 KiB. 8 MiB when unset. */
  chunkBytes?: number;
  retry?: Partial<Omit<RetryOptions, 'retryable'>>;
  /** Timeout of one chunk request. */
  chunkTimeoutMs?: number;
  now?: () => Date;
}

interface StoredUpload {
  uri: string;
  size: number;
  contentType: string;
}

interface FinishingState {
  thumbnailSha256?: string;
  captionId?: string;
  /** Playlist id → playlist item id. */
  playlistItems?: Record<string, string>;
}

type VideoResource = youtube_v3.Schema$Video;
type UploadProgress = { video: VideoResource } | { received: number } | { expired: true };

/** A YouTube error with Google's reason (quotaExceeded, forbiddenPrivacySetting, invalid_grant…). */
export class YouTubeError extends ProviderError {
  readonly reason?: string;
  constructor(
    kind: ProviderErrorKind,
    message: string,
    options: { status?: number; retryAfterMs?: number; reason?: string; cause?: unknown } = {},
  ) {
    super('YouTube', kind, message, options);
    this.name = 'YouTubeError';
    this.reason = options.reason;
  }
}

export interface GoogleErrorInfo {
  status: number;
  reason?: string;
  message: string;
}

/** Reads Google's error bodies: {error: {code, message, errors: [{reason}]}} and OAuth's {error, error_description}. */
export function googleErrorInfo(status: number, body: unknown): GoogleErrorInfo {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return { status, message: body.slice(0, 500) || `HTTP ${status}` };
    }
  }
  const record = (parsed ?? {}) as Record<string, unknown>;
  const error = record.error;
  if (typeof error === 'string') {
    return { status, reason: error, message: typeof record.error_description === 'string' ? record.error_description : error };
  }
  if (error && typeof error === 'object') {
    const detail = error as { message?: string; status?: string; errors?: { reason?: string; message?: string }[] };
    return {
      status,
      reason: detail.errors?.[0]?.reason ?? detail.status,
      message: detail.message ?? detail.errors?.[0]?.message ?? `HTTP ${status}`,
    };
  }
  return { status, message: `HTTP ${status}` };
}

function zoneOffsetMs(at: Date, timeZone: string): number {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  const parts = Object.fromEntries(format.formatToParts(at).map((part) => [part.type, Number(part.value)]));
  const wallClockAsUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return wallClockAsUtc - Math.floor(at.getTime() / 1000) * 1000;
}

/** YouTube's daily quotas reset at midnight Pacific time: the next such midnight after `now`. */
export function nextQuotaReset(now: Date): Date {
  const offset = zoneOffsetMs(now, PACIFIC_TIME);
  const wallClock = new Date(now.getTime() + offset);
  const nextMidnight = Date.UTC(wallClock.getUTCFullYear(), wallClock.getUTCMonth(), wallClock.getUTCDate() + 1);
  // The offset at midnight differs from now's on the days daylight saving time begins or ends.
  return new Date(nextMidnight - zoneOffsetMs(new Date(nextMidnight - offset), PACIFIC_TIME));
}

function untilReset(now: Date): { at: Date; text: string; ms: number } {
  const at = nextQuotaReset(now);
  const ms = at.getTime() - now.getTime();
  const minutes = Math.ceil(ms / 60_000);
  const text = minutes >= 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${minutes} min`;
  return { at, text, ms };
}

export interface FailureContext {
  /** e.g. "videos.insert" or "POST /token". */
  where: string;
  /** The Secret that holds the YouTube credentials, for messages. */
  secretName?: string;
  now: Date;
  retryAfterMs?: number;
}

/** Turns Google's answer into an error that says what happened and what to do. */
export function youtubeFailure(info: GoogleErrorInfo, context: FailureContext): YouTubeError {
  const { status, reason, message } = info;
  const secret = context.secretName ? `Secret ${context.secretName}` : "the Secret named in the Channel's publisher.secretRef";
  const options = { status, reason, retryAfterMs: context.retryAfterMs };
  const at = `${reason ? `${reason}, ` : ''}${status} on ${context.where}`;
  switch (reason) {
    case 'invalid_grant':
      return new YouTubeError(
        'auth',
        `Google refused the YouTube refresh token (${at}: ${message}): it has expired or been revoked. ` +
          `Refresh tokens of an OAuth app whose publishing status is "Testing" expire after 7 days. ` +
          `Re-authorise the channel (scopes youtube.upload and youtube.force-ssl) and store the new YOUTUBE_REFRESH_TOKEN in ${secret}.`,
        options,
      );
    case 'invalid_client':
    case 'unauthorized_client':
      return new YouTubeError(
        'auth',
        `Google does not accept the OAuth client (${at}: ${message}); check YOUTUBE_CLIENT_ID and YOUTUBE_CLIENT_SECRET in ${secret}.`,
        options,
      );
    case 'quotaExceeded':
    case 'dailyLimitExceeded': {
      const reset = untilReset(context.now);
      return new YouTubeError(
        'rate-limit',
        `The daily YouTube Data API quota of the Google Cloud project is used up (${at}: ${message}). ` +
          `It resets at midnight Pacific time, ${reset.at.toISOString()} (in ${reset.text}); retry the upload after that, or ask Google for a higher quota.`,
        { ...options, retryAfterMs: reset.ms },
      );
    }
    case 'uploadLimitExceeded': {
      const reset = untilReset(context.now);
      return new YouTubeError(
        'rate-limit',
        `The channel has used up its daily YouTube upload limit (${at}: ${message}). YouTube lifts it within 24 hours; ` +
          `daily limits reset at midnight Pacific time, next at ${reset.at.toISOString()} (in ${reset.text}). Retry the upload after that.`,
        { ...options, retryAfterMs: Math.max(reset.ms, 24 * 3600_000) },
      );
    }
    case 'forbiddenPrivacySetting':
      return new YouTubeError(
        'client',
        `YouTube refused the privacy setting (${at}: ${message}). Videos uploaded through an API project that has not passed ` +
          `YouTube's API audit stay private: the video was uploaded private because the API project is unaudited. ` +
          `Request an audit (${AUDIT_FORM}) or publish with privacy private.`,
        options,
      );
    case 'insufficientPermissions':
    case 'ACCESS_TOKEN_SCOPE_INSUFFICIENT':
      return new YouTubeError(
        'auth',
        `The YouTube refresh token lacks a scope (${at}: ${message}): uploads need youtube.upload and captions youtube.force-ssl. ` +
          `Re-authorise the channel with both scopes and store the new YOUTUBE_REFRESH_TOKEN in ${secret}.`,
        options,
      );
    case 'rateLimitExceeded':
    case 'userRateLimitExceeded':
      return new YouTubeError('rate-limit', `YouTube is rate-limiting (${at}: ${message})`, options);
  }
  if (status === 401) {
    return new YouTubeError(
      'auth',
      `YouTube refused the credentials (${at}: ${message}); check YOUTUBE_CLIENT_ID, YOUTUBE_CLIENT_SECRET and YOUTUBE_REFRESH_TOKEN in ${secret}.`,
      options,
    );
  }
  if (status === 403) return new YouTubeError('auth', `YouTube refused the request (${at}: ${message})`, options);
  if (status === 429) return new YouTubeError('rate-limit', `YouTube is rate-limiting (${at}: ${message})`, options);
  if (status >= 500) return new YouTubeError('server', `YouTube failed (${at}: ${message})`, options);
  if (status === 404) return new YouTubeError('not-found', `YouTube found nothing (${at}: ${message})`, options);
  return new YouTubeError('client', `YouTube refused the request (${at}: ${message})`, options);
}

export function videoContentType(file: string): string {
  const types: Record<string, string> = {
    '.mp4': 'video/mp4',
    '.m4v': 'video/mp4',
    '.mov': 'video/quicktime',
    '.webm': 'video/webm',
    '.mkv': 'video/x-matroska',
  };
  return types[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export function imageContentType(file: string): string {
  const extension = extname(file).toLowerCase();
  if (extension === '.png') return 'image/png';
  if (extension === '.jpg' || extension === '.jpeg') return 'image/jpeg';
  return 'application/octet-stream';
}

/** "bytes=0-1048575" → 1048576 bytes held by the server; no header means none. */
export function receivedFromRange(range: string | null): number {
  const match = range ? /bytes=0-(\d+)/.exec(range) : null;
  return match ? Number(match[1]) + 1 : 0;
}

export interface VideoSettings {
  privacyStatus: 'public' | 'unlisted' | 'private';
  publishAt?: string;
}

/** A scheduled release is uploaded private with publishAt; a release time already past publishes at once. */
export function videoSettings(publish: EpisodeSpec['publish'], now: Date): VideoSettings {
  const at = publish?.at ? Date.parse(publish.at) : Number.NaN;
  if (Number.isFinite(at) && at > now.getTime()) return { privacyStatus: 'private', publishAt: new Date(at).toISOString() };
  if (Number.isFinite(at)) return { privacyStatus: publish?.privacy ?? 'public' };
  return { privacyStatus: publish?.privacy ?? 'private' };
}

/** The video resource sent with the upload (and with updates of a video uploaded before). */
export function videoResource(
  spec: PublisherProvider,
  episode: EpisodeSpec,
  request: PublishRequest,
  description: string,
  now: Date,
): VideoResource {
  const settings = videoSettings(episode.publish, now);
  const language = request.metadata.language;
  return {
    snippet: {
      title: youtubeTitle(request.metadata.title),
      description,
      tags: youtubeTags(request.metadata.tags),
      categoryId: spec.categoryId ?? '27',
      defaultLanguage: language,
      defaultAudioLanguage: language,
    },
    status: {
      privacyStatus: settings.privacyStatus,
      ...(settings.publishAt ? { publishAt: settings.publishAt } : {}),
      selfDeclaredMadeForKids: spec.madeForKids ?? false,
      containsSyntheticMedia: spec.containsSyntheticMedia ?? true,
    },
  };
}

function sameStrings(a: string[] | null | undefined, b: string[] | null | undefined): boolean {
  return (a ?? []).join('\u0000') === (b ?? []).join('\u0000');
}

function sameTime(a: string | null | undefined, b: string | null | undefined): boolean {
  return (a ? Date.parse(a) : undefined) === (b ? Date.parse(b) : undefined);
}

/** Whether a video on YouTube already carries the wanted snippet and status. */
export function videoMatches(current: VideoResource, wanted: VideoResource): boolean {
  const [have, want] = [current.snippet ?? {}, wanted.snippet ?? {}];
  const [haveStatus, wantStatus] = [current.status ?? {}, wanted.status ?? {}];
  return (
    have.title === want.title &&
    (have.description ?? '') === (want.description ?? '') &&
    sameStrings(have.tags, want.tags) &&
    have.categoryId === want.categoryId &&
    have.defaultLanguage === want.defaultLanguage &&
    have.defaultAudioLanguage === want.defaultAudioLanguage &&
    haveStatus.privacyStatus === wantStatus.privacyStatus &&
    sameTime(haveStatus.publishAt, wantStatus.publishAt) &&
    Boolean(haveStatus.selfDeclaredMadeForKids) === Boolean(wantStatus.selfDeclaredMadeForKids) &&
    Boolean(haveStatus.containsSyntheticMedia) === Boolean(wantStatus.containsSyntheticMedia)
  );
}

function unauditedNote(wanted: string): string {
  return (
    `YouTube keeps the video private although ${wanted} was asked for: the video was uploaded private because the API project is unaudited ` +
    `(videos uploaded through unaudited API projects stay private). Request an audit (${AUDIT_FORM}), then change the privacy in YouTube Studio.`
  );
}

function isGaxiosError(error: unknown): error is Error & { response?: { status: number; data: unknown; headers?: Headers } } {
  return error instanceof Error && 'config' in error;
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** One publish run: the credentials, the clients and the retry settings it shares. */
class YouTubeRun {
  readonly ctx: ProviderContext;
  readonly spec: PublisherProvider;
  readonly options: YouTubePublisherOptions;
  readonly oauth: Auth.OAuth2Client;
  readonly api: youtube_v3.Youtube;
  readonly http: ProviderHttp;
  readonly retry: RetryOptions;
  /** Per-call options of googleapis: its media uploads take the root URL only from here. */
  readonly callOptions: { signal?: AbortSignal; rootUrl?: string };
  readonly usage = { uploadBytes: 0, quotaUnits: 0 };

  constructor(ctx: ProviderContext, spec: PublisherProvider, options: YouTubePublisherOptions, google: GoogleApis) {
    this.ctx = ctx;
    this.spec = spec;
    this.options = options;
    const secretRef = spec.secretRef ? { name: spec.secretRef.name } : undefined;
    const clientId = requireSecret(ctx, 'YOUTUBE_CLIENT_ID', secretRef);
    const clientSecret = requireSecret(ctx, 'YOUTUBE_CLIENT_SECRET', secretRef);
    const refreshToken = requireSecret(ctx, 'YOUTUBE_REFRESH_TOKEN', secretRef);
    const baseUrl = ctx.env.ACOG_YOUTUBE_BASE_URL?.replace(/\/?$/, '/');
    const tokenUrl = ctx.env.ACOG_GOOGLE_OAUTH_TOKEN_URL;

    this.oauth = new google.auth.OAuth2({ clientId, clientSecret, ...(tokenUrl ? { endpoints: { oauth2TokenUrl: tokenUrl } } : {}) });
    this.oauth.setCredentials({ refresh_token: refreshToken });
    // Retries belong to the runners' one retry helper; gaxios would otherwise retry on its own as well.
    this.oauth.transporter.interceptors.request.add({
      resolved: async (config) =>
        Object.assign(config, { retry: false, retryConfig: { ...config.retryConfig, retry: 0, noResponseRetries: 0 } }),
    });
    this.api = google.youtube({ version: 'v3', auth: this.oauth, retry: false, ...(baseUrl ? { rootUrl: baseUrl } : {}) });
    this.callOptions = { signal: ctx.signal, ...(baseUrl ? { rootUrl: baseUrl } : {}) };
    this.http = new ProviderHttp({
      provider: 'YouTube',
      baseUrl: baseUrl ?? DEFAULT_UPLOAD_BASE_URL,
      retry: { attempts: 1 },
      timeoutMs: options.chunkTimeoutMs ?? 600_000,
    });
    this.retry = {
      ...DEFAULT_RETRY,
      ...options.retry,
      retryable: isRetryable,
      signal: ctx.signal,
      onRetry: (error, attempt, delayMs) => ctx.log(`YouTube: ${(error as Error).message}; attempt ${attempt + 1} in ${delayMs} ms`),
    };
  }

  now(): Date {
    return this.options.now?.() ?? new Date();
  }

  failure(info: GoogleErrorInfo, where: string, retryAfterMs?: number): YouTubeError {
    return youtubeFailure(info, { where, secretName: this.spec.secretRef?.name, now: this.now(), retryAfterMs });
  }

  /** googleapis' errors (and the OAuth endpoint's) as ProviderErrors the retry helper understands. */
  translate(error: unknown, where: string): unknown {
    if (error instanceof ProviderError || this.ctx.signal?.aborted || !isGaxiosError(error)) return error;
    const response = error.response;
    if (!response) return new YouTubeError('network', `YouTube could not be reached on ${where}: ${error.message}`, { cause: error });
    const retryAfter = response.headers && typeof response.headers.get === 'function' ? response.headers.get('retry-after') : null;
    return this.failure(googleErrorInfo(response.status, response.data), where, parseRetryAfter(retryAfter));
  }

  async call<T>(where: string, units: number, operation: () => Promise<{ data: T }>): Promise<T> {
    const data = await withRetry(async () => {
      try {
        return (await operation()).data;
      } catch (error) {
        throw this.translate(error, where);
      }
    }, this.retry);
    this.usage.quotaUnits += units;
    return data;
  }

  async accessToken(): Promise<string> {
    return withRetry(async () => {
      try {
        const { token } = await this.oauth.getAccessToken();
        if (!token) throw new YouTubeError('bad-response', 'Google answered the refresh token without an access token');
        return token;
      } catch (error) {
        throw this.translate(error, 'the OAuth token endpoint');
      }
    }, this.retry);
  }

  async authorization(): Promise<Record<string, string>> {
    return { authorization: `Bearer ${await this.accessToken()}` };
  }

  async readUploadAnswer(response: Response, where: string): Promise<UploadProgress> {
    if (response.status === 200 || response.status === 201) return { video: (await response.json()) as VideoResource };
    const body = await response.text();
    if (response.status === 308) return { received: receivedFromRange(response.headers.get('range')) };
    if (response.status === 404 || response.status === 410) return { expired: true };
    throw this.failure(googleErrorInfo(response.status, body), where, parseRetryAfter(response.headers.get('retry-after')));
  }

  /** Asks the session how many bytes it holds (`Content-Range: bytes *\/total`). */
  async queryUpload(upload: StoredUpload): Promise<UploadProgress> {
    const response = await this.http.request('PUT', upload.uri, {
      headers: { ...(await this.authorization()), 'content-range': `bytes */${upload.size}` },
      accept: ANSWERED_STATUSES,
      signal: this.ctx.signal,
    });
    return this.readUploadAnswer(response, 'the upload status query');
  }

  async startSession(resource: VideoResource, size: number, contentType: string): Promise<string> {
    return withRetry(async () => {
      const response = await this.http.request('POST', 'upload/youtube/v3/videos', {
        query: { uploadType: 'resumable', part: 'snippet,status' },
        headers: {
          ...(await this.authorization()),
          'content-type': 'application/json; charset=UTF-8',
          'x-upload-content-length': String(size),
          'x-upload-content-type': contentType,
        },
        body: JSON.stringify(resource),
        accept: ANSWERED_STATUSES,
        signal: this.ctx.signal,
      });
      const body = await response.text();
      if (!response.ok)
        throw this.failure(googleErrorInfo(response.status, body), 'videos.insert', parseRetryAfter(response.headers.get('retry-after')));
      const location = response.headers.get('location');
      if (!location) throw new YouTubeError('bad-response', 'YouTube started an upload session without a session URI (no Location header)');
      return location;
    }, this.retry);
  }

  /** Sends the file from `offset` on, chunk by chunk; after a failure asks the session where to go on. */
  async sendFile(upload: StoredUpload, file: Blob, offset: number): Promise<VideoResource> {
    const chunkBytes = this.options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    let next = offset;
    for (;;) {
      const progress = await withRetry(async (attempt) => {
        if (attempt > 1) {
          const status = await this.queryUpload(upload);
          if (!('received' in status)) return status;
          next = status.received;
        }
        const end = Math.min(next + chunkBytes, upload.size);
        const response = await this.http.request('PUT', upload.uri, {
          headers: {
            ...(await this.authorization()),
            'content-type': upload.contentType,
            'content-range': `bytes ${next}-${end - 1}/${upload.size}`,
          },
          body: file.slice(next, end),
          accept: ANSWERED_STATUSES,
          signal: this.ctx.signal,
        });
        this.usage.uploadBytes += end - next;
        return this.readUploadAnswer(response, 'the video upload');
      }, this.retry);
      if ('video' in progress) return progress.video;
      if ('expired' in progress) {
        await this.ctx.state.put(STATE_UPLOAD, null);
        throw new YouTubeError(
          'server',
          'The YouTube upload session expired before the upload finished; the next attempt starts a new session',
        );
      }
      next = progress.received;
    }
  }

  /** Uploads the video, resuming the session an earlier attempt stored; stores the video id at once. */
  async upload(path: string, resource: VideoResource): Promise<VideoResource> {
    const size = (await stat(path)).size;
    const contentType = videoContentType(path);
    const file = await openAsBlob(path, { type: contentType });
    let upload = (await this.ctx.state.get<StoredUpload | null>(STATE_UPLOAD)) ?? undefined;
    let offset = 0;
    if (upload) {
      const stored = upload;
      const progress = await withRetry(() => this.queryUpload(stored), this.retry);
      if ('video' in progress) {
        this.ctx.log(`YouTube: the upload session of an earlier attempt had finished: video ${progress.video.id}`);
        await this.ctx.state.put(STATE_VIDEO_ID, progress.video.id);
        return progress.video;
      }
      if ('expired' in progress) {
        this.ctx.log('YouTube: the upload session of an earlier attempt has expired; starting a new one');
        upload = undefined;
      } else if (stored.size !== size) {
        this.ctx.log(
          `YouTube: the video file changed since the earlier attempt (${stored.size} → ${size} bytes); starting a new upload session`,
        );
        upload = undefined;
      } else {
        offset = progress.received;
        this.ctx.log(`YouTube: resuming the earlier upload session at byte ${offset} of ${size}`);
      }
    }
    if (!upload) {
      upload = { uri: await this.startSession(resource, size, contentType), size, contentType };
      await this.ctx.state.put(STATE_UPLOAD, upload);
    }
    const video = await this.sendFile(upload, file, offset);
    if (!video.id) throw new YouTubeError('bad-response', 'YouTube finished the upload without a video id');
    await this.ctx.state.put(STATE_VIDEO_ID, video.id);
    this.usage.quotaUnits += QUOTA_UNITS.videosInsert;
    return video;
  }

  /** Finds the video an earlier attempt uploaded and brings its snippet and status up to date. */
  async revisit(videoId: string, wanted: VideoResource): Promise<VideoResource> {
    const list = await this.call('videos.list', QUOTA_UNITS.videosList, () =>
      this.api.videos.list({ part: ['snippet', 'status'], id: [videoId] }, this.callOptions),
    );
    const current = list.items?.[0];
    if (!current) {
      throw new YouTubeError(
        'not-found',
        `An earlier attempt uploaded video ${videoId} for this episode, but YouTube does not list it (deleted, or the credentials belong to another channel). ` +
          `ACOG never uploads a second video for one episode; to upload again, clear the episode's "${STATE_VIDEO_ID}" state.`,
      );
    }
    this.ctx.log(`YouTube: video ${videoId} was uploaded by an earlier attempt; not uploading again`);
    if (videoMatches(current, wanted)) return current;
    const status = {
      embeddable: current.status?.embeddable,
      license: current.status?.license,
      publicStatsViewable: current.status?.publicStatsViewable,
      ...wanted.status,
    };
    const update = (statusPart: youtube_v3.Schema$VideoStatus) =>
      this.call('videos.update', QUOTA_UNITS.videosUpdate, () =>
        this.api.videos.update(
          { part: ['snippet', 'status'], requestBody: { id: videoId, snippet: wanted.snippet, status: statusPart } },
          this.callOptions,
        ),
      );
    try {
      return await update(status);
    } catch (error) {
      if (!(error instanceof YouTubeError && error.reason === 'forbiddenPrivacySetting')) throw error;
      this.ctx.log(error.message);
      return update({ ...status, privacyStatus: current.status?.privacyStatus, publishAt: current.status?.publishAt });
    }
  }

  async finish(videoId: string, request: PublishRequest, episode: EpisodeSpec): Promise<void> {
    const state: FinishingState = (await this.ctx.state.get<FinishingState>(STATE_FINISHING)) ?? {};
    const save = () => this.ctx.state.put(STATE_FINISHING, state);

    const thumbnail = await readFile(request.files.thumbnail);
    const thumbnailSha256 = sha256(thumbnail);
    if (state.thumbnailSha256 !== thumbnailSha256) {
      if (thumbnail.length > THUMBNAIL_MAX_BYTES) {
        this.ctx.log(
          `YouTube: the thumbnail has ${thumbnail.length} bytes, more than YouTube's 2 MB; the video keeps an automatic thumbnail`,
        );
      } else {
        try {
          await this.call('thumbnails.set', QUOTA_UNITS.thumbnailsSet, () =>
            this.api.thumbnails.set(
              { videoId, media: { mimeType: imageContentType(request.files.thumbnail), body: createReadStream(request.files.thumbnail) } },
              this.callOptions,
            ),
          );
          state.thumbnailSha256 = thumbnailSha256;
          await save();
        } catch (error) {
          if (!(error instanceof YouTubeError && error.status === 403 && error.reason === 'forbidden')) throw error;
          this.ctx.log(
            `YouTube refused the custom thumbnail (${error.message}): custom thumbnails need a verified channel; the video keeps an automatic one`,
          );
        }
      }
    }

    if (!state.captionId) {
      const caption = await this.call('captions.insert', QUOTA_UNITS.captionsInsert, () =>
        this.api.captions.insert(
          {
            part: ['snippet'],
            requestBody: { snippet: { videoId, language: request.metadata.language, name: CAPTION_TRACK_NAME, isDraft: false } },
            media: { mimeType: 'application/octet-stream', body: createReadStream(request.files.captionsSrt) },
          },
          this.callOptions,
        ),
      );
      state.captionId = caption.id ?? undefined;
      await save();
    }

    state.playlistItems ??= {};
    for (const playlistId of episode.publish?.playlistIds ?? []) {
      if (state.playlistItems[playlistId]) continue;
      const item = await this.call('playlistItems.insert', QUOTA_UNITS.playlistItemsInsert, () =>
        this.api.playlistItems.insert(
          { part: ['snippet'], requestBody: { snippet: { playlistId, resourceId: { kind: 'youtube#video', videoId } } } },
          this.callOptions,
        ),
      );
      state.playlistItems[playlistId] = item.id ?? 'added';
      await save();
    }
  }
}

export class YouTubePublisher implements Publisher {
  readonly name = 'youtube';
  readonly spec: PublisherProvider;
  readonly options: YouTubePublisherOptions;

  constructor(spec: PublisherProvider, options: YouTubePublisherOptions = {}) {
    const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    if (chunkBytes <= 0 || chunkBytes % UPLOAD_CHUNK_GRANULARITY !== 0) {
      throw new ProviderConfigError(
        `YouTube upload chunks must be a positive multiple of ${UPLOAD_CHUNK_GRANULARITY} bytes, not ${chunkBytes}`,
      );
    }
    this.spec = spec;
    this.options = options;
  }

  async publish(ctx: ProviderContext, request: PublishRequest): Promise<Produced<Publication>> {
    // googleapis takes a second or two to load: only the YouTube publisher pays for it.
    const { google } = await import('googleapis');
    const run = new YouTubeRun(ctx, this.spec, this.options, google);
    const episode = ctx.episode.spec;
    const description = requestDescription(request, episode.references);
    if (description.chaptersOmitted) ctx.log(`YouTube: no chapters in the description: ${description.chaptersOmitted}`);
    if (description.shortened.length) ctx.log(`YouTube: description shortened to fit 5000 bytes: ${description.shortened.join('; ')}`);
    const wanted = videoResource(this.spec, episode, request, description.text, run.now());

    const storedId = await ctx.state.get<string>(STATE_VIDEO_ID);
    const video = storedId ? await run.revisit(storedId, wanted) : await run.upload(request.files.video, wanted);
    const videoId = video.id ?? storedId;
    if (!videoId) throw new YouTubeError('bad-response', 'YouTube returned a video without an id');
    const privacy = video.status?.privacyStatus ?? wanted.status?.privacyStatus ?? 'private';
    const wantedPrivacy = wanted.status?.privacyStatus;
    if (privacy === 'private' && wantedPrivacy && wantedPrivacy !== 'private') ctx.log(unauditedNote(wantedPrivacy));

    await run.finish(videoId, request, episode);
    const publishAt = video.status?.publishAt ?? wanted.status?.publishAt ?? undefined;
    ctx.log(`YouTube: published https://www.youtube.com/watch?v=${videoId} (${privacy}${publishAt ? `, public at ${publishAt}` : ''})`);
    return {
      value: {
        provider: 'youtube',
        id: videoId,
        url: `https://www.youtube.com/watch?v=${videoId}`,
        privacy,
        ...(publishAt ? { publishAt } : {}),
      },
      usage: { ...run.usage },
      costUSD: 0,
    };
  }
}

export function createYouTubePublisher(spec: PublisherProvider, options: YouTubePublisherOptions = {}): Publisher {
  return new YouTubePublisher(spec, options);
}
