// A local stand-in for the parts of Google's APIs the YouTube publisher uses, speaking their documented
// shapes: the OAuth 2.0 token endpoint (refresh_token grant), the YouTube Data API v3 resumable upload
// protocol (session URI in Location, chunked PUTs answered with 308 and Range, status query with
// `Content-Range: bytes */N`, 201 with the video resource), videos.list/update, thumbnails.set,
// captions.insert (multipart/related), playlistItems.insert, and Google's error body
// {error: {code, message, errors: [{message, domain, reason}], status}}. As YouTube is now: custom
// thumbnails up to 50 MB (since 2026-09-14), and videos.insert drawing on a daily bucket of its own
// (100 uploads a day by default, since 2026-06-01), answered 403 quotaExceeded once spent.
// Switches let a test fail the next requests, drop the connection mid-upload or keep only part of a chunk.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const UPLOAD_SCOPE = 'https://www.googleapis.com/auth/youtube.upload';
export const FORCE_SSL_SCOPE = 'https://www.googleapis.com/auth/youtube.force-ssl';
const CHUNK_GRANULARITY = 256 * 1024;
const THUMBNAIL_MAX_BYTES = 50 * 1024 * 1024;

export interface YouTubeServerOptions {
  clientId?: string;
  clientSecret?: string;
  /** The refresh tokens the token endpoint accepts; any other one is answered with invalid_grant. */
  refreshTokens?: string[];
  /** Scopes granted to the refresh tokens. */
  scopes?: string[];
  /** Videos uploaded through an unaudited API project are locked private; updates to public/unlisted are refused. */
  unauditedProject?: boolean;
  channelId?: string;
  channelTitle?: string;
  /** videos.insert's own daily bucket: uploads started before 403 quotaExceeded (100). */
  dailyUploads?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /** Bytes of the request body that reached the server. */
  bodyBytes: number;
}

export interface UploadSession {
  id: string;
  /** The video resource sent when the session was created. */
  resource: VideoResource;
  part: string;
  totalBytes: number;
  contentType: string;
  received: Buffer[];
  receivedBytes: number;
  videoId?: string;
}

export interface VideoResource {
  kind?: string;
  etag?: string;
  id?: string;
  snippet?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [part: string]: unknown;
}

export interface StoredVideo {
  id: string;
  resource: VideoResource;
  /** The uploaded file, assembled from the chunks the server kept. */
  bytes: Buffer;
  sessionId: string;
  thumbnail?: { contentType: string; bytes: Buffer };
  captions: { id: string; snippet: Record<string, unknown>; contentType: string; body: string }[];
}

export interface PlaylistItem {
  id: string;
  snippet: Record<string, unknown>;
}

export interface Failure {
  /** Only requests with this method, e.g. PUT. */
  method?: string;
  /** Only requests whose path equals this string or matches this expression. */
  path?: string | RegExp;
  status: number;
  /** Google's error reason, e.g. quotaExceeded; a reason that fits the status when unset. */
  reason?: string;
  message?: string;
  domain?: string;
  /** How many matching requests fail (1 when unset). */
  times?: number;
  retryAfterSeconds?: number;
}

export interface YouTubeServer {
  /** Root URL of the APIs (rootUrl of googleapis), with a trailing slash. */
  url: string;
  /** The OAuth 2.0 token endpoint. */
  tokenUrl: string;
  requests: RecordedRequest[];
  sessions: Map<string, UploadSession>;
  videos: Map<string, StoredVideo>;
  playlistItems: PlaylistItem[];
  /** Access tokens issued so far. */
  accessTokens: Set<string>;
  /** The next matching requests are answered with Google's error body instead. */
  failNext(failure: Failure): void;
  /** Drops the connection of the upload PUT that brings a session to this many received bytes. */
  interruptUploadAfter(bytes: number): void;
  /** The next upload chunk is read whole but only its first `bytes` are kept (answered with 308 and Range). */
  keepOnlyOfNextChunk(bytes: number): void;
  close(): Promise<void>;
}

const REASON_BY_STATUS: Record<number, { reason: string; domain: string; message: string; status: string }> = {
  400: { reason: 'badRequest', domain: 'global', message: 'Bad Request', status: 'INVALID_ARGUMENT' },
  401: {
    reason: 'authError',
    domain: 'global',
    message:
      'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
    status: 'UNAUTHENTICATED',
  },
  403: { reason: 'forbidden', domain: 'global', message: 'The request is not properly authorized.', status: 'PERMISSION_DENIED' },
  404: { reason: 'notFound', domain: 'global', message: 'Not Found', status: 'NOT_FOUND' },
  429: { reason: 'rateLimitExceeded', domain: 'usageLimits', message: 'Too many requests.', status: 'RESOURCE_EXHAUSTED' },
  500: { reason: 'backendError', domain: 'global', message: 'Backend Error', status: 'INTERNAL' },
  503: { reason: 'backendError', domain: 'global', message: 'The service is currently unavailable.', status: 'UNAVAILABLE' },
};

const KNOWN_REASONS: Record<string, { domain: string; message: string }> = {
  quotaExceeded: {
    domain: 'youtube.quota',
    message: 'The request cannot be completed because you have exceeded your <a href="/youtube/v3/getting-started#quota">quota</a>.',
  },
  uploadLimitExceeded: { domain: 'youtube.video', message: 'The user has exceeded the number of videos they may upload.' },
  forbiddenPrivacySetting: { domain: 'youtube.video', message: 'The request attempts to set an invalid privacy setting for the video.' },
  insufficientPermissions: { domain: 'global', message: 'Request had insufficient authentication scopes.' },
};

export function googleErrorBody(status: number, reason?: string, message?: string, domain?: string) {
  const byStatus = REASON_BY_STATUS[status] ?? REASON_BY_STATUS[status >= 500 ? 500 : 400];
  const known = reason ? KNOWN_REASONS[reason] : undefined;
  const text = message ?? known?.message ?? byStatus.message;
  return {
    error: {
      code: status,
      message: text,
      errors: [{ message: text, domain: domain ?? known?.domain ?? byStatus.domain, reason: reason ?? byStatus.reason }],
      status: byStatus.status,
    },
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, reason?: string, message?: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, googleErrorBody(status, reason, message), headers);
}

const recordOf = new WeakMap<IncomingMessage, RecordedRequest>();

function countArrived(req: IncomingMessage, bytes: number): void {
  const record = recordOf.get(req);
  if (record) record.bodyBytes += bytes;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    chunks.push(chunk as Buffer);
    countArrived(req, (chunk as Buffer).length);
  }
  return Buffer.concat(chunks);
}

/** googleapis repeats array parameters (part=snippet&part=status); Google also accepts part=snippet,status. */
function parts(query: URLSearchParams, fallback: string): string[] {
  const values = query.getAll('part').flatMap((value) => value.split(','));
  return values.length ? values.map((value) => value.trim()).filter(Boolean) : fallback.split(',');
}

function videoId(): string {
  return randomBytes(8).toString('base64url').slice(0, 11);
}

function etag(): string {
  return randomBytes(12).toString('base64url');
}

/** Splits a multipart/related body into its parts (headers and bytes). */
function parseMultipart(body: Buffer, contentType: string): { headers: Record<string, string>; body: Buffer }[] {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!boundary) throw new Error('multipart body without a boundary');
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: { headers: Record<string, string>; body: Buffer }[] = [];
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const afterDelimiter = start + delimiter.length;
    if (body.subarray(afterDelimiter, afterDelimiter + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, afterDelimiter);
    if (next === -1) break;
    const part = body.subarray(afterDelimiter, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    const headerText = part.subarray(0, headerEnd).toString('utf8');
    let content = part.subarray(headerEnd + 4);
    if (content.subarray(-2).toString() === '\r\n') content = content.subarray(0, -2);
    const headers: Record<string, string> = {};
    for (const line of headerText.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    parts.push({ headers, body: content });
    start = next;
  }
  return parts;
}

export async function startYouTubeServer(options: YouTubeServerOptions = {}): Promise<YouTubeServer> {
  const clientId = options.clientId ?? 'test-client-id.apps.googleusercontent.com';
  const clientSecret = options.clientSecret ?? 'test-client-secret';
  const refreshTokens = new Set(options.refreshTokens ?? ['test-refresh-token']);
  const scopes = options.scopes ?? [UPLOAD_SCOPE, FORCE_SSL_SCOPE];
  const channelId = options.channelId ?? 'UCacogTestChannel000000';
  const channelTitle = options.channelTitle ?? 'ACOG test channel';

  const requests: RecordedRequest[] = [];
  const sessions = new Map<string, UploadSession>();
  const videos = new Map<string, StoredVideo>();
  const playlistItems: PlaylistItem[] = [];
  const accessTokens = new Set<string>();
  let uploadsToday = 0;
  const failures: Failure[] = [];
  let interruptAt: number | undefined;
  let keepOnly: number | undefined;
  let baseUrl = '';

  function takeFailure(method: string, path: string): Failure | undefined {
    const index = failures.findIndex(
      (failure) =>
        (!failure.method || failure.method === method) &&
        (!failure.path || (typeof failure.path === 'string' ? failure.path === path : failure.path.test(path))),
    );
    if (index === -1) return undefined;
    const failure = failures[index];
    failure.times = (failure.times ?? 1) - 1;
    if (failure.times <= 0) failures.splice(index, 1);
    return failure;
  }

  function authorised(req: IncomingMessage, res: ServerResponse, scope?: string): boolean {
    const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!token || !accessTokens.has(token)) {
      sendError(res, 401, 'authError', undefined, { 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' });
      return false;
    }
    if (scope && !scopes.includes(scope)) {
      sendError(res, 403, 'insufficientPermissions');
      return false;
    }
    return true;
  }

  function publicResource(video: StoredVideo): VideoResource {
    return structuredClone(video.resource);
  }

  async function token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams((await readBody(req)).toString('utf8'));
    if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret) {
      sendJson(res, 401, { error: 'invalid_client', error_description: 'The OAuth client was not found.' });
      return;
    }
    if (form.get('grant_type') !== 'refresh_token') {
      sendJson(res, 400, { error: 'unsupported_grant_type', error_description: `Invalid grant_type: ${form.get('grant_type')}` });
      return;
    }
    if (!refreshTokens.has(form.get('refresh_token') ?? '')) {
      sendJson(res, 400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
      return;
    }
    const accessToken = `ya29.test-${randomBytes(12).toString('base64url')}`;
    accessTokens.add(accessToken);
    sendJson(res, 200, { access_token: accessToken, expires_in: 3599, scope: scopes.join(' '), token_type: 'Bearer' });
  }

  async function createSession(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
    if (uploadsToday >= (options.dailyUploads ?? 100)) return sendError(res, 403, 'quotaExceeded');
    if (query.get('uploadType') !== 'resumable')
      return sendError(res, 400, 'badRequest', 'This stand-in only speaks uploadType=resumable for videos.');
    const total = Number(req.headers['x-upload-content-length']);
    if (!Number.isInteger(total) || total <= 0) return sendError(res, 400, 'badRequest', 'X-Upload-Content-Length is missing or invalid.');
    const contentType = String(req.headers['x-upload-content-type'] ?? 'application/octet-stream');
    if (!/^(video\/|application\/octet-stream)/.test(contentType))
      return sendError(res, 400, 'badRequest', `Media type '${contentType}' is not supported.`);
    let resource: VideoResource;
    try {
      resource = JSON.parse((await readBody(req)).toString('utf8')) as VideoResource;
    } catch {
      return sendError(res, 400, 'parseError', 'Parse Error');
    }
    const snippet = resource.snippet ?? {};
    if (!snippet.title) return sendError(res, 400, 'invalidTitle', 'The request metadata specifies an invalid or empty video title.');
    const status = resource.status ?? {};
    if (status.publishAt && status.privacyStatus !== 'private') {
      return sendError(res, 400, 'invalidPublishAt', 'The request metadata specifies an invalid scheduled publishing time.');
    }
    const id = randomBytes(16).toString('hex');
    const part = parts(query, 'snippet,status').join(',');
    sessions.set(id, { id, resource, part, totalBytes: total, contentType, received: [], receivedBytes: 0 });
    uploadsToday += 1;
    const location = new URL('upload/youtube/v3/videos', baseUrl);
    location.search = new URLSearchParams({ uploadType: 'resumable', upload_id: id, part }).toString();
    res.writeHead(200, { location: location.href, 'x-guploader-uploadid': id, 'content-length': 0 });
    res.end();
  }

  function finishUpload(session: UploadSession): StoredVideo {
    const id = videoId();
    const requested = session.resource.status ?? {};
    const lockedPrivate = options.unauditedProject && requested.privacyStatus !== 'private';
    const resource: VideoResource = {
      kind: 'youtube#video',
      etag: etag(),
      id,
      snippet: {
        publishedAt: new Date().toISOString(),
        channelId,
        title: '',
        description: '',
        thumbnails: {},
        channelTitle,
        categoryId: '22',
        liveBroadcastContent: 'none',
        ...session.resource.snippet,
        localized: { title: session.resource.snippet?.title, description: session.resource.snippet?.description ?? '' },
      },
      status: {
        uploadStatus: 'uploaded',
        privacyStatus: 'public',
        license: 'youtube',
        embeddable: true,
        publicStatsViewable: true,
        selfDeclaredMadeForKids: false,
        madeForKids: false,
        ...requested,
        ...(lockedPrivate ? { privacyStatus: 'private' } : {}),
        ...('selfDeclaredMadeForKids' in requested ? { madeForKids: requested.selfDeclaredMadeForKids } : {}),
      },
    };
    const video: StoredVideo = { id, resource, bytes: Buffer.concat(session.received), sessionId: session.id, captions: [] };
    videos.set(id, video);
    session.videoId = id;
    return video;
  }

  function sendUploadProgress(res: ServerResponse, session: UploadSession): void {
    const headers: Record<string, string | number> = { 'content-length': 0, 'x-guploader-uploadid': session.id };
    if (session.receivedBytes > 0) headers.range = `bytes=0-${session.receivedBytes - 1}`;
    res.writeHead(308, 'Resume Incomplete', headers);
    res.end();
  }

  async function uploadBytes(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
    const session = sessions.get(query.get('upload_id') ?? '');
    if (!session) return sendError(res, 404, 'notFound', 'The upload session was not found or has expired.');
    const contentRange = String(req.headers['content-range'] ?? '');
    const statusQuery = /^bytes \*\/(\d+|\*)$/.exec(contentRange);
    if (statusQuery) {
      await readBody(req);
      if (session.videoId) return sendJson(res, 200, publicResource(videos.get(session.videoId)!));
      return sendUploadProgress(res, session);
    }
    if (session.videoId) {
      await readBody(req);
      return sendJson(res, 200, publicResource(videos.get(session.videoId)!));
    }
    const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(contentRange);
    const first = range ? Number(range[1]) : 0;
    const last = range ? Number(range[2]) : session.totalBytes - 1;
    const total = range ? Number(range[3]) : session.totalBytes;
    if (total !== session.totalBytes)
      return sendError(res, 400, 'badRequest', `Content-Range total ${total} differs from X-Upload-Content-Length ${session.totalBytes}.`);
    if (first !== session.receivedBytes) {
      await readBody(req);
      return sendError(res, 400, 'badRequest', `Content-Range starts at ${first} but the server holds ${session.receivedBytes} bytes.`);
    }
    const length = last - first + 1;
    const final = last + 1 === session.totalBytes;
    if (length <= 0 || last >= session.totalBytes) return sendError(res, 400, 'badRequest', `Invalid Content-Range ${contentRange}.`);
    if (!final && length % CHUNK_GRANULARITY !== 0) {
      await readBody(req);
      return sendError(
        res,
        400,
        'badRequest',
        `A chunk that is not the last must be a multiple of ${CHUNK_GRANULARITY} bytes; got ${length}.`,
      );
    }

    const keepLimit = keepOnly;
    keepOnly = undefined;
    let kept = 0;
    let arrived = 0;
    for await (const piece of req) {
      const buffer = piece as Buffer;
      arrived += buffer.length;
      countArrived(req, buffer.length);
      let usable = buffer.subarray(0, Math.max(0, Math.min(buffer.length, length - kept, (keepLimit ?? Infinity) - kept)));
      if (interruptAt !== undefined && session.receivedBytes + usable.length >= interruptAt) {
        usable = usable.subarray(0, Math.max(0, interruptAt - session.receivedBytes));
        session.received.push(Buffer.from(usable));
        session.receivedBytes += usable.length;
        interruptAt = undefined;
        req.socket.destroy();
        return;
      }
      if (usable.length) {
        session.received.push(Buffer.from(usable));
        session.receivedBytes += usable.length;
        kept += usable.length;
      }
    }
    if (arrived !== length && keepLimit === undefined) {
      return sendError(res, 400, 'badRequest', `Content-Range announced ${length} bytes but ${arrived} arrived.`);
    }
    if (session.receivedBytes === session.totalBytes) return sendJson(res, 201, publicResource(finishUpload(session)));
    sendUploadProgress(res, session);
  }

  function listVideos(res: ServerResponse, query: URLSearchParams): void {
    const ids = (query.get('id') ?? '').split(',').filter(Boolean);
    const wanted = parts(query, 'snippet');
    const items = ids
      .map((id) => videos.get(id))
      .filter((video): video is StoredVideo => Boolean(video))
      .map((video) => {
        const resource = publicResource(video);
        const item: VideoResource = { kind: resource.kind, etag: resource.etag, id: resource.id };
        for (const part of wanted) if (part in resource) item[part] = resource[part];
        return item;
      });
    sendJson(res, 200, {
      kind: 'youtube#videoListResponse',
      etag: etag(),
      items,
      pageInfo: { totalResults: items.length, resultsPerPage: items.length },
    });
  }

  async function updateVideo(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
    const body = JSON.parse((await readBody(req)).toString('utf8')) as VideoResource;
    const video = videos.get(body.id ?? '');
    if (!video) return sendError(res, 404, 'videoNotFound', 'The video that you are trying to update cannot be found.');
    const updated = parts(query, '');
    if (updated.includes('snippet') && (!body.snippet?.title || !body.snippet?.categoryId)) {
      return sendError(
        res,
        400,
        'invalidVideoMetadata',
        'The request metadata is invalid: snippet.title and snippet.categoryId are required.',
      );
    }
    const wanted = body.status?.privacyStatus;
    if (updated.includes('status') && options.unauditedProject && wanted && wanted !== 'private') {
      return sendError(res, 403, 'forbiddenPrivacySetting');
    }
    for (const part of updated) {
      if (part === 'snippet') video.resource.snippet = { ...video.resource.snippet, ...body.snippet };
      if (part === 'status') {
        const status = { ...body.status };
        video.resource.status = {
          uploadStatus: video.resource.status?.uploadStatus,
          license: 'youtube',
          embeddable: true,
          publicStatsViewable: true,
          ...status,
        };
      }
    }
    video.resource.etag = etag();
    sendJson(res, 200, publicResource(video));
  }

  async function setThumbnail(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
    const bytes = await readBody(req);
    const video = videos.get(query.get('videoId') ?? '');
    if (!video)
      return sendError(res, 404, 'videoNotFound', 'The video that you are trying to insert a thumbnail image for cannot be found.');
    const contentType = String(req.headers['content-type'] ?? '');
    if (!/^(image\/jpeg|image\/png|application\/octet-stream)/.test(contentType))
      return sendError(res, 400, 'invalidImage', 'The provided image content is invalid.');
    if (bytes.length > THUMBNAIL_MAX_BYTES)
      return sendError(res, 413, 'mediaBodyTooLarge', `Media larger than ${THUMBNAIL_MAX_BYTES} bytes.`);
    video.thumbnail = { contentType, bytes };
    const url = (size: string) => `${baseUrl}vi/${video.id}/${size}.jpg`;
    sendJson(res, 200, {
      kind: 'youtube#thumbnailSetResponse',
      etag: etag(),
      items: [
        {
          default: { url: url('default'), width: 120, height: 90 },
          medium: { url: url('mqdefault'), width: 320, height: 180 },
          high: { url: url('hqdefault'), width: 480, height: 360 },
        },
      ],
    });
  }

  async function insertCaption(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
    if (query.get('uploadType') !== 'multipart') return sendError(res, 400, 'badRequest', 'captions.insert needs a multipart upload here.');
    const parts = parseMultipart(await readBody(req), String(req.headers['content-type'] ?? ''));
    if (parts.length !== 2)
      return sendError(res, 400, 'badRequest', `Expected a metadata part and a media part, got ${parts.length} parts.`);
    const resource = JSON.parse(parts[0].body.toString('utf8')) as { snippet?: Record<string, unknown> };
    const snippet = resource.snippet ?? {};
    const video = videos.get(String(snippet.videoId ?? ''));
    if (!video) return sendError(res, 404, 'videoNotFound', 'The video identified by the videoId parameter could not be found.');
    if (!snippet.language)
      return sendError(res, 400, 'invalidMetadata', 'The request contains invalid metadata values: snippet.language is required.');
    if (typeof snippet.name !== 'string')
      return sendError(res, 400, 'invalidMetadata', 'The request contains invalid metadata values: snippet.name is required.');
    const caption = {
      id: `AUieDa${randomBytes(18).toString('base64url')}`,
      snippet: {
        videoId: video.id,
        lastUpdated: new Date().toISOString(),
        trackKind: 'standard',
        language: snippet.language,
        name: snippet.name,
        audioTrackType: 'unknown',
        isCC: false,
        isLarge: false,
        isEasyReader: false,
        isDraft: snippet.isDraft ?? false,
        isAutoSynced: false,
        status: 'serving',
      },
      contentType: parts[1].headers['content-type'] ?? '',
      body: parts[1].body.toString('utf8'),
    };
    video.captions.push(caption);
    sendJson(res, 200, { kind: 'youtube#caption', etag: etag(), id: caption.id, snippet: caption.snippet });
  }

  async function insertPlaylistItem(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = JSON.parse((await readBody(req)).toString('utf8')) as {
      snippet?: { playlistId?: string; resourceId?: { kind?: string; videoId?: string } };
    };
    const playlistId = body.snippet?.playlistId;
    const videoIdValue = body.snippet?.resourceId?.videoId;
    if (!playlistId) return sendError(res, 400, 'playlistIdRequired', 'The request does not specify a playlist.');
    if (body.snippet?.resourceId?.kind !== 'youtube#video')
      return sendError(res, 400, 'invalidResourceType', 'The type ID specified in the resource ID is not supported.');
    const video = videos.get(videoIdValue ?? '');
    if (!video) return sendError(res, 404, 'videoNotFound', 'The video that you are trying to add to the playlist cannot be found.');
    const position = playlistItems.filter((item) => item.snippet.playlistId === playlistId).length;
    const item: PlaylistItem = {
      id: randomBytes(24).toString('base64url'),
      snippet: {
        publishedAt: new Date().toISOString(),
        channelId,
        title: video.resource.snippet?.title,
        description: video.resource.snippet?.description,
        thumbnails: {},
        channelTitle,
        playlistId,
        position,
        resourceId: { kind: 'youtube#video', videoId: video.id },
        videoOwnerChannelTitle: channelTitle,
        videoOwnerChannelId: channelId,
      },
    };
    playlistItems.push(item);
    sendJson(res, 200, { kind: 'youtube#playlistItem', etag: etag(), id: item.id, snippet: item.snippet });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', baseUrl);
    const method = req.method ?? 'GET';
    const path = url.pathname;
    const record: RecordedRequest = {
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      headers: { ...req.headers },
      bodyBytes: 0,
    };
    requests.push(record);
    recordOf.set(req, record);

    const failure = takeFailure(method, path);
    if (failure) {
      await readBody(req);
      const headers: Record<string, string> =
        failure.retryAfterSeconds !== undefined ? { 'retry-after': String(failure.retryAfterSeconds) } : {};
      sendJson(res, failure.status, googleErrorBody(failure.status, failure.reason, failure.message, failure.domain), headers);
      return;
    }

    if (method === 'POST' && path === '/token') return token(req, res);
    if (path === '/upload/youtube/v3/videos') {
      if (!authorised(req, res, UPLOAD_SCOPE)) return;
      if (method === 'POST') return createSession(req, res, url.searchParams);
      if (method === 'PUT') return uploadBytes(req, res, url.searchParams);
    }
    if (path === '/youtube/v3/videos') {
      if (!authorised(req, res)) return;
      if (method === 'GET') return listVideos(res, url.searchParams);
      if (method === 'PUT') return updateVideo(req, res, url.searchParams);
    }
    if (method === 'POST' && path === '/upload/youtube/v3/thumbnails/set') {
      if (!authorised(req, res)) return;
      return setThumbnail(req, res, url.searchParams);
    }
    if (method === 'POST' && path === '/upload/youtube/v3/captions') {
      if (!authorised(req, res, FORCE_SSL_SCOPE)) return;
      return insertCaption(req, res, url.searchParams);
    }
    if (method === 'POST' && path === '/youtube/v3/playlistItems') {
      if (!authorised(req, res)) return;
      return insertPlaylistItem(req, res);
    }
    await readBody(req);
    sendError(res, 404, 'notFound', `${method} ${path} is not part of this stand-in.`);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, 'backendError', (error as Error).message);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}/`;

  return {
    url: baseUrl,
    tokenUrl: `${baseUrl}token`,
    requests,
    sessions,
    videos,
    playlistItems,
    accessTokens,
    failNext(failure) {
      failures.push({ ...failure });
    },
    interruptUploadAfter(bytes) {
      interruptAt = bytes;
    },
    keepOnlyOfNextChunk(bytes) {
      keepOnly = bytes;
    },
    close() {
      return new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      });
    },
  };
}
