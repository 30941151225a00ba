// A local stand-in for HeyGen's v3 API as documented at developers.heygen.com: the key in
// X-Api-Key (or Authorization: Bearer); POST /v3/assets (multipart, field "file", at most 32 MB,
// type sniffed from the bytes); the direct upload (POST /v3/assets/direct-uploads, PUT to a
// presigned storage URL with the upload headers, POST /v3/assets/{asset_id}/complete);
// POST /v3/videos {type: "avatar", avatar_id, audio_asset_id | audio_url | script, ...} with
// Idempotency-Key replay; GET /v3/videos/{video_id} going pending → processing → completed or
// failed (failure_code, failure_message); a presigned video_url serving a real MP4 of the asked
// aspect ratio. As HeyGen is now: /complete answers "processing" and the asset is usable only once
// GET /v3/assets/{id} says "ready"; webhook endpoints (GET/POST /v3/webhooks/endpoints, POST
// .../{id}/rotate-secret) with a whsec_ secret shown only at creation and rotation; a finished video
// is delivered to every subscribed endpoint signed (Heygen-Signature: hex HMAC-SHA256 of the raw
// body under the endpoint's secret, Heygen-Timestamp, Heygen-Event-Id) and to its callback_url
// unsigned. Errors have HeyGen's v3 shape {error: {code, message, param?, doc_url}}. One liberty:
// endpoint URLs on a loopback address may be http (the tests' gateway); HeyGen takes only https.
import { createHmac, randomBytes } from 'node:crypto';
import { header, multipartFile, SampleVideos, startHarness, type Harness, type IncomingRequest, type Reply } from './harness.ts';

export const HEYGEN_TEST_KEY = 'hg_test_local_heygen';
/** A valid key that lacks permission to create videos: 403. */
export const HEYGEN_FORBIDDEN_KEY = 'hg_test_member_key';
export const HEYGEN_TEST_AVATAR = 'Ada_Studio_Front_public';
const MAX_PROXY_UPLOAD = 32 * 1024 * 1024;

export interface HeyGenOutcome {
  /** Status polls answered pending, then processing, before the outcome (2). */
  pendingPolls?: number;
  /** Or the render finishes this long after creation, and the webhook fires then. */
  renderMs?: number;
  /** The render fails with this code and message. */
  fail?: { code: string; message: string } | null;
}

export interface HeyGenServerOptions extends HeyGenOutcome {
  apiKey?: string;
  forbiddenApiKey?: string;
  avatars?: string[];
  /** GET /v3/assets/{id} answers "processing" this many times after /complete before "ready" (1). */
  assetProcessingPolls?: number;
  /** Length of the MP4 a finished video serves (3 s). */
  videoSeconds?: number;
}

export interface HeyGenTestVideo {
  id: string;
  request: Record<string, unknown>;
  status: 'pending' | 'processing' | 'completed' | 'failed';
  polls: number;
  createdAt: number;
  outcome: Required<Pick<HeyGenOutcome, 'pendingPolls'>> & HeyGenOutcome;
  videoUrl?: string;
}

export interface HeyGenCallbackDelivery {
  url: string;
  body: string;
  /** The Heygen-* headers of a registered endpoint's delivery; none for a per-video callback. */
  headers: Record<string, string>;
  status?: number;
  error?: string;
}

export interface HeyGenTestEndpoint {
  endpoint_id: string;
  url: string;
  events: string[] | null;
  status: 'enabled';
  created_at: string;
  secret: string;
}

export interface HeyGenServer extends Harness {
  apiKey: string;
  videos: Map<string, HeyGenTestVideo>;
  assets: Map<string, { bytes: number; mimeType: string; status: 'processing' | 'ready'; polls: number }>;
  /** Registered webhook endpoints, with their current secrets. */
  endpoints: Map<string, HeyGenTestEndpoint>;
  callbacks: HeyGenCallbackDelivery[];
  /** How videos created from now on behave. */
  setOutcome(outcome: HeyGenOutcome): void;
}

const DOCS = 'https://developers.heygen.com/docs/error-codes';

function errorBody(status: number, code?: string, message?: string, param?: string): { error: Record<string, string> } {
  const defaults: Record<number, [string, string]> = {
    400: ['invalid_parameter', 'The request was malformed or contained invalid parameters.'],
    401: ['unauthorized', 'The API key provided is invalid, expired, or missing.'],
    402: ['insufficient_credit', 'Your account does not have enough credit for this video.'],
    403: ['forbidden', 'The API key is valid but does not have permission to perform the requested action.'],
    404: ['not_found', 'The requested resource does not exist.'],
    409: ['request_in_progress', 'A request with this Idempotency-Key is still in progress.'],
    429: ['rate_limit_exceeded', 'Too many requests hit the API too quickly. Retry after the time in the Retry-After header.'],
    500: ['internal_error', "Something went wrong on HeyGen's end."],
    502: ['service_unavailable', 'HeyGen is temporarily unavailable.'],
    503: ['service_unavailable', 'HeyGen is temporarily unavailable.'],
  };
  const [defaultCode, defaultMessage] = defaults[status] ?? ['internal_error', 'Unexpected error.'];
  const finalCode = code ?? defaultCode;
  return {
    error: {
      code: finalCode,
      message: message ?? defaultMessage,
      ...(param ? { param } : {}),
      doc_url: `${DOCS}#${finalCode.replace(/_/g, '-')}`,
    },
  };
}

const fail = (status: number, code?: string, message?: string, param?: string): Reply => ({
  status,
  json: errorBody(status, code, message, param),
});

/** MIME type from the first bytes, as HeyGen sniffs uploads. */
export function sniffMimeType(bytes: Buffer): string | undefined {
  if (bytes.length >= 12 && bytes.toString('ascii', 0, 4) === 'RIFF' && bytes.toString('ascii', 8, 12) === 'WAVE') return 'audio/wav';
  if (bytes.length >= 3 && bytes.toString('ascii', 0, 3) === 'ID3') return 'audio/mpeg';
  if (bytes.length >= 2 && bytes[0] === 0xff && (bytes[1] & 0xe0) === 0xe0) return 'audio/mpeg';
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 12 && bytes.toString('ascii', 4, 8) === 'ftyp') return 'video/mp4';
  if (bytes.length >= 4 && bytes.toString('ascii', 0, 4) === '%PDF') return 'application/pdf';
  return undefined;
}

/** Small stand-in sizes of HeyGen's canvases, in the asked orientation. */
function sampleSize(aspect: string): [number, number] {
  if (aspect === '9:16') return [180, 320];
  if (aspect === '1:1') return [240, 240];
  return [320, 180];
}

export async function startHeyGenServer(options: HeyGenServerOptions = {}): Promise<HeyGenServer> {
  const apiKey = options.apiKey ?? HEYGEN_TEST_KEY;
  const forbiddenApiKey = options.forbiddenApiKey ?? HEYGEN_FORBIDDEN_KEY;
  const avatars = new Set(options.avatars ?? [HEYGEN_TEST_AVATAR]);
  const assetProcessingPolls = options.assetProcessingPolls ?? 1;
  const endpoints = new Map<string, HeyGenTestEndpoint>();
  const videoSeconds = options.videoSeconds ?? 3;
  let outcome: HeyGenTestVideo['outcome'] = { pendingPolls: options.pendingPolls ?? 2, renderMs: options.renderMs, fail: options.fail };
  const samples = new SampleVideos();
  const videos = new Map<string, HeyGenTestVideo>();
  const assets: HeyGenServer['assets'] = new Map();
  const pendingUploads = new Map<string, { contentType: string; size: number; received?: number }>();
  const idempotent = new Map<string, Reply>();
  const callbacks: HeyGenCallbackDelivery[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let base = '';

  const post = async (delivery: HeyGenCallbackDelivery) => {
    callbacks.push(delivery);
    try {
      const response = await fetch(delivery.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...delivery.headers },
        body: delivery.body,
      });
      delivery.status = response.status;
      await response.arrayBuffer();
    } catch (error) {
      delivery.error = (error as Error).message;
    }
  };

  const deliverCallback = async (video: HeyGenTestVideo) => {
    const eventType = video.status === 'completed' ? 'avatar_video.success' : 'avatar_video.fail';
    const body = JSON.stringify(
      video.status === 'completed'
        ? { event_type: eventType, event_data: { video_id: video.id, url: video.videoUrl, callback_id: video.request.callback_id ?? null } }
        : {
            event_type: eventType,
            event_data: { video_id: video.id, msg: video.outcome.fail?.message, callback_id: video.request.callback_id ?? null },
          },
    );
    const sends: Promise<void>[] = [];
    // The per-video callback: HeyGen does not sign it.
    const callbackUrl = video.request.callback_url;
    if (typeof callbackUrl === 'string') sends.push(post({ url: callbackUrl, body, headers: {} }));
    // Every registered endpoint subscribed to the event: signed with its own secret.
    for (const endpoint of endpoints.values()) {
      if (endpoint.events && !endpoint.events.includes(eventType)) continue;
      sends.push(
        post({
          url: endpoint.url,
          body,
          headers: {
            'heygen-signature': createHmac('sha256', endpoint.secret).update(body).digest('hex'),
            'heygen-timestamp': String(Math.floor(Date.now() / 1000)),
            'heygen-event-id': `evt_${randomBytes(12).toString('hex')}`,
          },
        }),
      );
    }
    await Promise.all(sends);
  };

  const finish = (video: HeyGenTestVideo) => {
    if (video.status === 'completed' || video.status === 'failed') return;
    if (video.outcome.fail) video.status = 'failed';
    else {
      video.status = 'completed';
      video.videoUrl = `${base}/storage/videos/${video.id}.mp4?Expires=${Math.floor(Date.now() / 1000) + 7 * 86400}&Signature=${randomBytes(8).toString('hex')}`;
    }
    void deliverCallback(video);
  };

  const videoJson = (video: HeyGenTestVideo) => ({
    id: video.id,
    title: video.request.title ?? null,
    status: video.status,
    created_at: Math.floor(video.createdAt / 1000),
    completed_at: video.status === 'completed' || video.status === 'failed' ? Math.floor(Date.now() / 1000) : null,
    duration: video.status === 'completed' ? videoSeconds : null,
    video_url: video.status === 'completed' ? video.videoUrl : null,
    thumbnail_url: null,
    gif_url: null,
    captioned_video_url: null,
    subtitle_url: null,
    video_page_url: `https://app.heygen.com/videos/${video.id}`,
    folder_id: null,
    failure_code: video.status === 'failed' ? (video.outcome.fail?.code ?? null) : null,
    failure_message: video.status === 'failed' ? (video.outcome.fail?.message ?? null) : null,
  });

  const createVideo = (request: IncomingRequest): Reply => {
    const body = (() => {
      try {
        return JSON.parse(request.body.toString('utf8')) as Record<string, unknown>;
      } catch {
        return undefined;
      }
    })();
    if (!body || typeof body !== 'object') return fail(400, 'invalid_parameter', 'Request body must be a JSON object.');
    if (body.type !== 'avatar' && body.type !== 'image')
      return fail(400, 'invalid_parameter', "type must be one of 'avatar', 'image', 'cinematic_avatar', 'studio'.", 'type');
    if (body.type === 'avatar' && typeof body.avatar_id !== 'string')
      return fail(400, 'invalid_parameter', 'avatar_id is required.', 'avatar_id');
    if (body.type === 'avatar' && !avatars.has(body.avatar_id as string))
      return fail(404, 'avatar_not_found', `Avatar ${String(body.avatar_id)} not found.`, 'avatar_id');
    const sources = ['script', 'audio_url', 'audio_asset_id'].filter((key) => body[key] !== undefined && body[key] !== null);
    if (sources.length !== 1)
      return fail(400, 'invalid_parameter', 'Provide exactly one of script, audio_url or audio_asset_id.', sources[1] ?? 'script');
    if (body.audio_asset_id !== undefined) {
      const asset = assets.get(String(body.audio_asset_id));
      if (!asset) return fail(400, 'invalid_parameter', `Asset ${String(body.audio_asset_id)} not found.`, 'audio_asset_id');
      if (asset.status !== 'ready')
        return fail(400, 'invalid_parameter', `Asset ${String(body.audio_asset_id)} is still processing.`, 'audio_asset_id');
      if (!asset.mimeType.startsWith('audio/'))
        return fail(400, 'invalid_parameter', 'audio_asset_id must reference an audio file (MP3 or WAV).', 'audio_asset_id');
    }
    if (body.aspect_ratio !== undefined && !['16:9', '9:16', '4:5', '5:4', '1:1', 'auto'].includes(String(body.aspect_ratio))) {
      return fail(400, 'invalid_parameter', "aspect_ratio must be one of '16:9', '9:16', '4:5', '5:4', '1:1', 'auto'.", 'aspect_ratio');
    }
    if (body.resolution !== undefined && !['4k', '1080p', '720p'].includes(String(body.resolution))) {
      return fail(400, 'invalid_parameter', "resolution must be one of '4k', '1080p', '720p'.", 'resolution');
    }
    const id = randomBytes(16).toString('hex');
    const video: HeyGenTestVideo = { id, request: body, status: 'pending', polls: 0, createdAt: Date.now(), outcome: { ...outcome } };
    videos.set(id, video);
    if (video.outcome.renderMs !== undefined) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        finish(video);
      }, video.outcome.renderMs);
      timers.add(timer);
    }
    return { status: 200, json: { data: { video_id: id, status: 'waiting', output_format: body.output_format ?? 'mp4' } } };
  };

  // Idempotency-Key: scoped per route; a repeat within 24 h replays the first answer.
  const idempotencyScope = (request: IncomingRequest) => {
    const key = header(request.headers, 'idempotency-key');
    return key ? `${request.url.pathname} ${key}` : undefined;
  };
  const replayed = (request: IncomingRequest): Reply | undefined => {
    const key = header(request.headers, 'idempotency-key');
    if (key && !/^[A-Za-z0-9_:.-]{1,255}$/.test(key)) return fail(400, 'invalid_parameter', 'Invalid Idempotency-Key.', 'Idempotency-Key');
    const scope = idempotencyScope(request);
    const replay = scope ? idempotent.get(scope) : undefined;
    return replay ? { ...replay, headers: { ...replay.headers, 'idempotent-replayed': 'true' } } : undefined;
  };
  const remember = (request: IncomingRequest, reply: Reply): Reply => {
    const scope = idempotencyScope(request);
    if (scope) idempotent.set(scope, reply);
    return reply;
  };

  const handle = async (request: IncomingRequest): Promise<Reply> => {
    const { method, url } = request;
    const path = url.pathname;

    // Presigned storage: no API key, the signature is in the URL.
    const upload = /^\/storage\/uploads\/([\w-]+)$/.exec(path);
    if (upload && method === 'PUT') {
      const pending = pendingUploads.get(upload[1]);
      if (!pending || !url.searchParams.get('X-Amz-Signature'))
        return { status: 403, body: Buffer.from('<Error><Code>AccessDenied</Code></Error>') };
      if (header(request.headers, 'content-type') !== pending.contentType || request.body.length !== pending.size) {
        return { status: 403, body: Buffer.from('<Error><Code>SignatureDoesNotMatch</Code></Error>') };
      }
      pending.received = request.body.length;
      return { status: 200 };
    }
    const media = /^\/storage\/videos\/(\w+)\.mp4$/.exec(path);
    if (media && method === 'GET') {
      const video = videos.get(media[1]);
      if (!video || video.status !== 'completed') return { status: 404, body: Buffer.from('<Error><Code>NoSuchKey</Code></Error>') };
      const [width, height] = sampleSize(String(video.request.aspect_ratio ?? '16:9'));
      return { status: 200, body: await samples.get(width, height, videoSeconds, true), headers: { 'content-type': 'video/mp4' } };
    }

    const bearer = header(request.headers, 'authorization')?.replace(/^Bearer\s+/i, '');
    const key = header(request.headers, 'x-api-key') ?? bearer;
    if (key === forbiddenApiKey) return fail(403);
    if (key !== apiKey) return fail(401);

    if (path === '/v3/assets' && method === 'POST') {
      const file = multipartFile(header(request.headers, 'content-type'), request.body);
      if (!file || file.data.length === 0)
        return fail(400, 'invalid_parameter', 'asset data must be provided in the "file" field.', 'file');
      if (file.data.length > MAX_PROXY_UPLOAD)
        return fail(400, 'file_too_large', 'Max file size is 32 MB; use the direct upload for larger files.', 'file');
      const mimeType = sniffMimeType(file.data);
      if (!mimeType) return fail(400, 'invalid_parameter', 'Unsupported file type: png, jpeg, mp4, webm, mp3, wav or pdf.', 'file');
      const assetId = `ast_${randomBytes(8).toString('hex')}`;
      assets.set(assetId, { bytes: file.data.length, mimeType, status: 'ready', polls: 0 });
      return {
        status: 200,
        json: { data: { asset_id: assetId, url: `${base}/storage/assets/${assetId}`, mime_type: mimeType, size_bytes: file.data.length } },
      };
    }
    if (path === '/v3/assets/direct-uploads' && method === 'POST') {
      const body = JSON.parse(request.body.toString('utf8') || '{}') as { filename?: string; content_type?: string; size_bytes?: number };
      if (!body.filename || !body.content_type || !Number.isInteger(body.size_bytes)) {
        return fail(
          400,
          'invalid_parameter',
          'filename, content_type and size_bytes are required.',
          !body.filename ? 'filename' : !body.content_type ? 'content_type' : 'size_bytes',
        );
      }
      const assetId = `ast_${randomBytes(8).toString('hex')}`;
      pendingUploads.set(assetId, { contentType: body.content_type, size: body.size_bytes as number });
      return {
        status: 200,
        json: {
          data: {
            asset_id: assetId,
            upload_url: `${base}/storage/uploads/${assetId}?X-Amz-Signature=${randomBytes(8).toString('hex')}`,
            upload_headers: { 'content-type': body.content_type },
            expires_in_seconds: 900,
            max_bytes: body.size_bytes,
            status: 'pending_upload',
          },
        },
      };
    }
    const complete = /^\/v3\/assets\/([\w-]+)\/complete$/.exec(path);
    if (complete && method === 'POST') {
      const pending = pendingUploads.get(complete[1]);
      if (!pending) return fail(404, 'not_found', `Asset ${complete[1]} not found.`);
      if (pending.received === undefined) return fail(400, 'invalid_parameter', 'The upload has not been received yet.', 'asset_id');
      // Idempotent: a repeated /complete answers the same asset.
      if (!assets.has(complete[1]))
        assets.set(complete[1], {
          bytes: pending.size,
          mimeType: pending.contentType,
          status: assetProcessingPolls > 0 ? 'processing' : 'ready',
          polls: 0,
        });
      const asset = assets.get(complete[1])!;
      return {
        status: 200,
        json: {
          data: {
            asset_id: complete[1],
            url: `${base}/storage/assets/${complete[1]}`,
            mime_type: pending.contentType,
            size_bytes: pending.size,
            status: asset.status,
          },
        },
      };
    }
    const assetPath = /^\/v3\/assets\/([\w-]+)$/.exec(path);
    if (assetPath && method === 'GET') {
      const asset = assets.get(assetPath[1]);
      if (!asset) return fail(404, 'not_found', `Asset ${assetPath[1]} not found.`);
      if (asset.status === 'processing') {
        asset.polls += 1;
        if (asset.polls > assetProcessingPolls) asset.status = 'ready';
      }
      return {
        status: 200,
        json: {
          data: {
            asset_id: assetPath[1],
            url: `${base}/storage/assets/${assetPath[1]}`,
            mime_type: asset.mimeType,
            size_bytes: asset.bytes,
            status: asset.status,
          },
        },
      };
    }
    if (path === '/v3/webhooks/endpoints' && method === 'GET') {
      const limit = Math.min(100, Math.max(1, Number(url.searchParams.get('limit') ?? 10)));
      const start = Number(url.searchParams.get('token') ?? 0);
      const all = [...endpoints.values()];
      const page = all.slice(start, start + limit).map((endpoint) => ({ ...endpoint, secret: null }));
      const more = start + limit < all.length;
      return { status: 200, json: { data: page, has_more: more, next_token: more ? String(start + limit) : null } };
    }
    if (path === '/v3/webhooks/endpoints' && method === 'POST') {
      const replay = replayed(request);
      if (replay) return replay;
      const body = JSON.parse(request.body.toString('utf8') || '{}') as { url?: unknown; events?: unknown };
      const target = typeof body.url === 'string' && URL.canParse(body.url) ? new URL(body.url) : undefined;
      const loopback = target?.hostname === '127.0.0.1' || target?.hostname === 'localhost';
      if (!target || (target.protocol !== 'https:' && !(loopback && target.protocol === 'http:')))
        return remember(request, fail(400, 'invalid_parameter', 'url must be a publicly accessible HTTPS URL.', 'url'));
      if (
        body.events !== undefined &&
        body.events !== null &&
        (!Array.isArray(body.events) || body.events.some((event) => typeof event !== 'string'))
      )
        return remember(request, fail(400, 'invalid_parameter', 'events must be a list of event types.', 'events'));
      const endpoint: HeyGenTestEndpoint = {
        endpoint_id: `ep_${randomBytes(8).toString('hex')}`,
        url: body.url as string,
        events: (body.events as string[] | null | undefined) ?? null,
        status: 'enabled',
        created_at: new Date().toISOString(),
        secret: `whsec_${randomBytes(18).toString('base64url')}`,
      };
      endpoints.set(endpoint.endpoint_id, endpoint);
      return remember(request, { status: 200, json: { data: { ...endpoint } } });
    }
    const rotate = /^\/v3\/webhooks\/endpoints\/([\w-]+)\/rotate-secret$/.exec(path);
    if (rotate && method === 'POST') {
      const replay = replayed(request);
      if (replay) return replay;
      const endpoint = endpoints.get(rotate[1]);
      if (!endpoint) return fail(404, 'not_found', `Webhook endpoint ${rotate[1]} not found.`);
      endpoint.secret = `whsec_${randomBytes(18).toString('base64url')}`;
      return remember(request, { status: 200, json: { data: { endpoint_id: endpoint.endpoint_id, secret: endpoint.secret } } });
    }
    if (path === '/v3/videos' && method === 'POST') {
      const replay = replayed(request);
      if (replay) return replay;
      return remember(request, createVideo(request));
    }
    const status = /^\/v3\/videos\/(\w+)$/.exec(path);
    if (status && method === 'GET') {
      const video = videos.get(status[1]);
      if (!video) return fail(404, 'not_found', `Video ${status[1]} not found.`);
      video.polls += 1;
      if (video.status !== 'completed' && video.status !== 'failed') {
        const due = video.outcome.renderMs === undefined ? video.polls > video.outcome.pendingPolls : false;
        if (due) finish(video);
        else video.status = video.polls <= 1 ? 'pending' : 'processing';
      }
      return { status: 200, json: { data: videoJson(video) } };
    }
    return fail(404, 'not_found', `No route for ${method} ${path}.`);
  };

  const harness = await startHarness({ errorBody: (status) => errorBody(status), handle });
  base = harness.url;
  return {
    ...harness,
    apiKey,
    videos,
    assets,
    endpoints,
    callbacks,
    setOutcome(next) {
      outcome = { pendingPolls: next.pendingPolls ?? outcome.pendingPolls, renderMs: next.renderMs, fail: next.fail };
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      await harness.close();
    },
  };
}
