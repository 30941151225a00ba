// The resumable upload protocol, by hand: a session URI kept in the episode's state, 256 KiB-aligned
// chunks streamed from disk, 308 + Range to continue, a status query after an interruption.
import { openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { withRetry, type RetryOptions } from '@acog/kube/backoff';
import { parseRetryAfter, type ProviderHttp } from '../../http.ts';
import type { ProviderContext } from '../../types.ts';
import { googleErrorInfo, UPLOAD_QUOTA, YouTubeError, type GoogleErrorInfo } from './errors.ts';
import type { VideoResource } from './video-resource.ts';

export const STATE_UPLOAD = 'youtube.upload';
export const STATE_VIDEO_ID = 'youtube.videoId';

export const UPLOAD_CHUNK_GRANULARITY = 256 * 1024;
export const DEFAULT_CHUNK_BYTES = 32 * UPLOAD_CHUNK_GRANULARITY;

export const DEFAULT_UPLOAD_BASE_URL = 'https://www.googleapis.com/';
/** Every status the hand-written upload requests interpret themselves rather than failing on. */
const ANSWERED_STATUSES = Array.from({ length: 300 }, (_, index) => 300 + index);

interface StoredUpload {
  uri: string;
  size: number;
  contentType: string;
}

type UploadProgress = { video: VideoResource } | { received: number } | { expired: true };

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

/**
 * Whether a session URI belongs to the upload endpoint this publisher itself uses (Google's, or
 * the configured stand-in's): the same origin, under its upload/ path. Each request to a session
 * carries the OAuth bearer token, so a session URI read back from the episode's state (which lives
 * in S3) or answered in a Location header is used only when it passes this check.
 */
export function isOwnSessionUri(uri: string, uploadBaseUrl: string): boolean {
  if (!URL.canParse(uri)) return false;
  const session = new URL(uri);
  const base = new URL(uploadBaseUrl);
  return session.origin === base.origin && session.pathname.startsWith(new URL('upload/', base).pathname);
}

function originOf(uri: string): string {
  return URL.canParse(uri) ? new URL(uri).origin : JSON.stringify(uri.slice(0, 100));
}

/** "bytes=0-1048575" → 1048576 bytes held by the server; no header means none. */
export function receivedFromRange(range: string | null): number {
  const match = range ? /bytes=0-(\d+)/.exec(range) : null;
  return match ? Number(match[1]) + 1 : 0;
}

/** What an upload uses of its publish run. */
export interface UploadConnection {
  readonly ctx: ProviderContext;
  readonly options: { chunkBytes?: number };
  readonly http: ProviderHttp;
  readonly retry: RetryOptions;
  readonly usage: { uploadBytes: number; quotaUnits: number; uploadQuotaUnits: number };
  authorization(): Promise<Record<string, string>>;
  failure(info: GoogleErrorInfo, where: string, retryAfterMs?: number): YouTubeError;
}

async function readUploadAnswer(run: UploadConnection, response: Response, where: string): Promise<UploadProgress> {
  if (response.status === 200 || response.status === 201) return { video: (await response.json()) as VideoResource };
  const body = await response.text();
  if (response.status === 308) return { received: receivedFromRange(response.headers.get('range')) };
  if (response.status === 404 || response.status === 410) return { expired: true };
  throw run.failure(googleErrorInfo(response.status, body), where, parseRetryAfter(response.headers.get('retry-after')));
}

/** Asks the session how many bytes it holds (`Content-Range: bytes *\/total`). */
async function queryUpload(run: UploadConnection, upload: StoredUpload): Promise<UploadProgress> {
  const response = await run.http.request('PUT', upload.uri, {
    headers: { ...(await run.authorization()), 'content-range': `bytes */${upload.size}` },
    accept: ANSWERED_STATUSES,
    signal: run.ctx.signal,
  });
  return readUploadAnswer(run, response, 'the upload status query');
}

async function startSession(run: UploadConnection, resource: VideoResource, size: number, contentType: string): Promise<string> {
  return withRetry(async () => {
    const response = await run.http.request('POST', 'upload/youtube/v3/videos', {
      query: { uploadType: 'resumable', part: 'snippet,status' },
      headers: {
        ...(await run.authorization()),
        'content-type': 'application/json; charset=UTF-8',
        'x-upload-content-length': String(size),
        'x-upload-content-type': contentType,
      },
      body: JSON.stringify(resource),
      accept: ANSWERED_STATUSES,
      signal: run.ctx.signal,
    });
    const body = await response.text();
    if (!response.ok)
      throw run.failure(googleErrorInfo(response.status, body), 'videos.insert', parseRetryAfter(response.headers.get('retry-after')));
    const location = response.headers.get('location');
    if (!location) throw new YouTubeError('bad-response', 'YouTube started an upload session without a session URI (no Location header)');
    const base = run.http.options.baseUrl;
    if (!isOwnSessionUri(location, base)) {
      throw new YouTubeError(
        'bad-response',
        `YouTube answered with a session URI on ${originOf(location)}, not under ${new URL('upload/', base).href}: the token is not sent there`,
      );
    }
    return location;
  }, run.retry);
}

/** Sends the file from `offset` on, chunk by chunk; after a failure asks the session where to go on. */
async function sendFile(run: UploadConnection, upload: StoredUpload, file: Blob, offset: number): Promise<VideoResource> {
  const chunkBytes = run.options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  let next = offset;
  for (;;) {
    const progress = await withRetry(async (attempt) => {
      if (attempt > 1) {
        const status = await queryUpload(run, upload);
        if (!('received' in status)) return status;
        next = status.received;
      }
      const end = Math.min(next + chunkBytes, upload.size);
      const response = await run.http.request('PUT', upload.uri, {
        headers: {
          ...(await run.authorization()),
          'content-type': upload.contentType,
          'content-range': `bytes ${next}-${end - 1}/${upload.size}`,
        },
        body: file.slice(next, end),
        accept: ANSWERED_STATUSES,
        signal: run.ctx.signal,
      });
      run.usage.uploadBytes += end - next;
      return readUploadAnswer(run, response, 'the video upload');
    }, run.retry);
    if ('video' in progress) return progress.video;
    if ('expired' in progress) {
      await run.ctx.state.put(STATE_UPLOAD, null);
      throw new YouTubeError(
        'server',
        'The YouTube upload session expired before the upload finished; the next attempt starts a new session',
      );
    }
    next = progress.received;
  }
}

/** Uploads the video, resuming the session an earlier attempt stored; stores the video id at once. */
export async function uploadVideo(run: UploadConnection, path: string, resource: VideoResource): Promise<VideoResource> {
  const size = (await stat(path)).size;
  const contentType = videoContentType(path);
  const file = await openAsBlob(path, { type: contentType });
  let upload = (await run.ctx.state.get<StoredUpload | null>(STATE_UPLOAD)) ?? undefined;
  let offset = 0;
  const base = run.http.options.baseUrl;
  if (upload && (typeof upload.uri !== 'string' || !isOwnSessionUri(upload.uri, base))) {
    run.ctx.log(
      `YouTube: the stored upload session is on ${originOf(String(upload.uri))}, not under this publisher's upload endpoint ${new URL('upload/', base).href}; discarding it and starting a new session`,
    );
    await run.ctx.state.put(STATE_UPLOAD, null);
    upload = undefined;
  }
  if (upload) {
    const stored = upload;
    const progress = await withRetry(() => queryUpload(run, stored), run.retry);
    if ('video' in progress) {
      run.ctx.log(`YouTube: the upload session of an earlier attempt had finished: video ${progress.video.id}`);
      await run.ctx.state.put(STATE_VIDEO_ID, progress.video.id);
      return progress.video;
    }
    if ('expired' in progress) {
      run.ctx.log('YouTube: the upload session of an earlier attempt has expired; starting a new one');
      upload = undefined;
    } else if (stored.size !== size) {
      run.ctx.log(
        `YouTube: the video file changed since the earlier attempt (${stored.size} → ${size} bytes); starting a new upload session`,
      );
      upload = undefined;
    } else {
      offset = progress.received;
      run.ctx.log(`YouTube: resuming the earlier upload session at byte ${offset} of ${size}`);
    }
  }
  if (!upload) {
    upload = { uri: await startSession(run, resource, size, contentType), size, contentType };
    await run.ctx.state.put(STATE_UPLOAD, upload);
  }
  const video = await sendFile(run, upload, file, offset);
  if (!video.id) throw new YouTubeError('bad-response', 'YouTube finished the upload without a video id');
  await run.ctx.state.put(STATE_VIDEO_ID, video.id);
  run.usage.uploadQuotaUnits += UPLOAD_QUOTA.unitsPerUpload;
  return video;
}
