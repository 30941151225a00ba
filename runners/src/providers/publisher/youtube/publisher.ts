// The YouTube publisher: OAuth2 and the metadata calls through googleapis, the upload through the
// resumable protocol; an earlier attempt's video is found again rather than uploaded twice.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Auth, GoogleApis, youtube_v3 } from 'googleapis';
import type { EpisodeSpec, PublisherProvider } from '@acog/api';
import type { Publication } from '../../../contract/documents.ts';
import { DEFAULT_RETRY, withRetry, type RetryOptions } from '@acog/kube/backoff';
import { ProviderError, ProviderHttp, isRetryable, parseRetryAfter } from '../../http.ts';
import { ProviderConfigError, requireSecret, type Produced, type ProviderContext } from '../../types.ts';
import { requestDescription } from '../description.ts';
import type { PublishRequest, Publisher } from '../types.ts';
import { googleErrorInfo, isGaxiosError, QUOTA_UNITS, YouTubeError, youtubeFailure, type GoogleErrorInfo } from './errors.ts';
import {
  DEFAULT_CHUNK_BYTES,
  DEFAULT_UPLOAD_BASE_URL,
  STATE_VIDEO_ID,
  UPLOAD_CHUNK_GRANULARITY,
  uploadVideo,
  type UploadConnection,
} from './resumable-upload.ts';
import { unauditedNote, videoMatches, videoResource, type VideoResource } from './video-resource.ts';

/** What happened after the upload (thumbnail, captions, playlists), so a repeated stage does not do it twice. */
export const STATE_FINISHING = 'youtube.finishing';

/** YouTube takes custom thumbnails up to 50 MB (since 2026-09-14; 2 MB before). */
export const THUMBNAIL_MAX_BYTES = 50 * 1024 * 1024;

const CAPTION_TRACK_NAME = 'Narration';

export interface YouTubePublisherOptions {
  /** Bytes per upload request; a multiple of 256 KiB. 8 MiB when unset. */
  chunkBytes?: number;
  retry?: Partial<Omit<RetryOptions, 'retryable'>>;
  /** Timeout of one chunk request. */
  chunkTimeoutMs?: number;
  now?: () => Date;
}

interface FinishingState {
  thumbnailSha256?: string;
  captionId?: string;
  /** Playlist id → playlist item id. */
  playlistItems?: Record<string, string>;
}

export function imageContentType(file: string): string {
  const extension = extname(file).toLowerCase();
  if (extension === '.png') return 'image/png';
  if (extension === '.jpg' || extension === '.jpeg') return 'image/jpeg';
  return 'application/octet-stream';
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** One publish run: the credentials, the clients and the retry settings it shares. */
class YouTubeRun implements UploadConnection {
  readonly ctx: ProviderContext;
  readonly spec: PublisherProvider;
  readonly options: YouTubePublisherOptions;
  readonly oauth: Auth.OAuth2Client;
  readonly api: youtube_v3.Youtube;
  readonly http: ProviderHttp;
  readonly retry: RetryOptions;
  /** Per-call options of googleapis: its media uploads take the root URL only from here. */
  readonly callOptions: { signal?: AbortSignal; rootUrl?: string };
  /** quotaUnits of the project's daily units; uploadQuotaUnits of videos.insert's own bucket. */
  readonly usage = { uploadBytes: 0, quotaUnits: 0, uploadQuotaUnits: 0 };

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
          `YouTube: the thumbnail has ${thumbnail.length} bytes, more than YouTube's 50 MB; the video keeps an automatic thumbnail`,
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

    // Playlist ids come from the Episode: kept in a map without a prototype, so that "__proto__" or
    // "constructor" are ids like any other, never Object's own members.
    const playlistItems: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, state.playlistItems);
    state.playlistItems = playlistItems;
    for (const playlistId of episode.publish?.playlistIds ?? []) {
      if (playlistItems[playlistId]) continue;
      const item = await this.call('playlistItems.insert', QUOTA_UNITS.playlistItemsInsert, () =>
        this.api.playlistItems.insert(
          { part: ['snippet'], requestBody: { snippet: { playlistId, resourceId: { kind: 'youtube#video', videoId } } } },
          this.callOptions,
        ),
      );
      playlistItems[playlistId] = item.id ?? 'added';
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
    const video = storedId ? await run.revisit(storedId, wanted) : await uploadVideo(run, request.files.video, wanted);
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
