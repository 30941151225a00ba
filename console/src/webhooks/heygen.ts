// HeyGen's completion webhook (avatar_video.success / avatar_video.fail). The signature is the hex
// HMAC-SHA256 of the raw body under the endpoint's secret, checked in constant time by the same
// function the avatar provider documents (verifyHeyGenSignature, @acog/api). Then: a timestamp in the signed
// body, when there is one, must be recent; the same delivery twice is a replay (JetStream refuses
// a duplicate message id: the body's digest); and the event goes on NATS, on the subject the
// runner of the avatar stage waits on, so it stops polling.
import { createHash } from 'node:crypto';
import { HttpError } from '../http/errors.ts';

import { verifyHeyGenSignature } from '@acog/api';

export interface HeyGenWebhookEvent {
  provider: 'heygen';
  eventType: 'avatar_video.success' | 'avatar_video.fail' | string;
  videoId: string;
  callbackId?: string;
  url?: string;
  message?: string;
  /** The body's timestamp, when it has one (RFC 3339). */
  sentAt?: string;
  receivedAt: string;
}

export interface VerifyOptions {
  secret: string;
  now?: number;
  /** How far a body's timestamp may be from now. */
  toleranceMs?: number;
  maxBytes?: number;
}

export const MAX_WEBHOOK_BYTES = 64 * 1024;

function timestampOf(body: Record<string, unknown>): number | undefined {
  const data = (body.event_data ?? {}) as Record<string, unknown>;
  const raw = body.timestamp ?? data.timestamp ?? body.created_at ?? data.created_at;
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'number') return raw > 1e12 ? raw : raw * 1000;
  if (typeof raw === 'string') {
    if (/^\d+(\.\d+)?$/.test(raw)) return Number(raw) > 1e12 ? Number(raw) : Number(raw) * 1000;
    const parsed = Date.parse(raw);
    if (!Number.isNaN(parsed)) return parsed;
  }
  throw new HttpError(400, 'BadRequest', 'timestamp: not a Unix time or an RFC 3339 time');
}

/**
 * Checks one delivery and turns it into the event to publish; an HttpError says why not:
 * 413 too large, 401 bad or missing signature, 400 malformed body or stale timestamp, 422 no video id.
 */
export function verifyHeyGenDelivery(raw: Buffer, signature: string | undefined, options: VerifyOptions): HeyGenWebhookEvent {
  if (raw.length > (options.maxBytes ?? MAX_WEBHOOK_BYTES)) throw new HttpError(413, 'PayloadTooLarge', 'the webhook body is too large');
  if (!signature) throw new HttpError(401, 'Unauthorized', 'signature: the header is missing');
  if (!verifyHeyGenSignature(raw, signature, options.secret))
    throw new HttpError(401, 'Unauthorized', 'signature: does not match the body (HMAC-SHA256 under the webhook secret)');
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new HttpError(400, 'BadRequest', 'body: not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'BadRequest', 'body: not a JSON object');
  const now = options.now ?? Date.now();
  const sentAt = timestampOf(body);
  const tolerance = options.toleranceMs ?? 5 * 60_000;
  if (sentAt !== undefined && Math.abs(now - sentAt) > tolerance) {
    throw new HttpError(400, 'StaleTimestamp', `timestamp: ${new Date(sentAt).toISOString()} is more than ${tolerance / 1000} s from now`);
  }
  const eventType = body.event_type;
  const data = body.event_data as Record<string, unknown> | undefined;
  if (typeof eventType !== 'string' || !eventType) throw new HttpError(422, 'Invalid', 'event_type: required, a string');
  if (typeof data !== 'object' || data === null) throw new HttpError(422, 'Invalid', 'event_data: required, an object');
  const videoId = data.video_id;
  if (typeof videoId !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(videoId))
    throw new HttpError(422, 'Invalid', 'event_data.video_id: required, 1-128 of [A-Za-z0-9_-]');
  return {
    provider: 'heygen',
    eventType,
    videoId,
    callbackId: typeof data.callback_id === 'string' ? data.callback_id : undefined,
    url: typeof data.url === 'string' ? data.url : undefined,
    message: typeof data.msg === 'string' ? data.msg : undefined,
    sentAt: sentAt === undefined ? undefined : new Date(sentAt).toISOString(),
    receivedAt: new Date(now).toISOString(),
  };
}

/** The message id that makes a second delivery of the same body a duplicate. */
export function deliveryId(raw: Buffer): string {
  return `heygen/${createHash('sha256').update(raw).digest('hex')}`;
}
