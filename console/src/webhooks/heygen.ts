// HeyGen's webhook deliveries (avatar_video.success / avatar_video.fail), taken as wake-ups. Both
// kinds come here: the per-video callback_url deliveries, which HeyGen does not sign, and those of
// the endpoint the avatar runner registered for its Channel's key, signed with that endpoint's
// secret (Heygen-Signature, Heygen-Timestamp, Heygen-Event-Id). The gateway holds none of those
// secrets, and needs none: it checks the shape, bounds what it relays, and puts the delivery as it
// came (body and headers) on NATS for the runner, which checks the signature and then reads the
// video's status with its own key. Nothing in a delivery is ever taken as the result.
import { createHash } from 'node:crypto';
import { HttpError } from '../http/errors.ts';

import type { HeyGenWakeUp } from '@acog/api';

export interface DeliveryHeaders {
  signature?: string;
  timestamp?: string;
  eventId?: string;
}

export const MAX_WEBHOOK_BYTES = 64 * 1024;

const bounded = (value: string | undefined, max: number): string | undefined =>
  value === undefined || value === '' ? undefined : value.slice(0, max);

/**
 * Checks one delivery's shape and turns it into the wake-up to relay; an HttpError says why not:
 * 413 too large, 400 not a JSON object, 422 no event type or video id.
 */
export function readHeyGenDelivery(raw: Buffer, headers: DeliveryHeaders, now = Date.now(), maxBytes = MAX_WEBHOOK_BYTES): HeyGenWakeUp {
  if (raw.length > maxBytes) throw new HttpError(413, 'PayloadTooLarge', 'the webhook body is too large');
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new HttpError(400, 'BadRequest', 'body: not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'BadRequest', 'body: not a JSON object');
  const { event_type: eventType, event_data: data } = body as { event_type?: unknown; event_data?: unknown };
  if (typeof eventType !== 'string' || !/^[a-z_.]{1,64}$/.test(eventType))
    throw new HttpError(422, 'Invalid', 'event_type: required, a string');
  if (typeof data !== 'object' || data === null) throw new HttpError(422, 'Invalid', 'event_data: required, an object');
  const videoId = (data as { video_id?: unknown }).video_id;
  if (typeof videoId !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(videoId))
    throw new HttpError(422, 'Invalid', 'event_data.video_id: required, 1-128 of [A-Za-z0-9_-]');
  return {
    provider: 'heygen',
    videoId,
    eventType,
    body: raw.toString('base64'),
    ...(bounded(headers.signature, 256) && { signature: bounded(headers.signature, 256) }),
    ...(bounded(headers.timestamp, 32) && { timestamp: bounded(headers.timestamp, 32) }),
    ...(bounded(headers.eventId, 128) && { eventId: bounded(headers.eventId, 128) }),
    receivedAt: new Date(now).toISOString(),
  };
}

/** The message id that makes a second delivery of the same body and headers a duplicate. */
export function deliveryId(raw: Buffer, headers: DeliveryHeaders): string {
  return `heygen/${createHash('sha256')
    .update(raw)
    .update(`\n${headers.signature ?? ''}\n${headers.timestamp ?? ''}\n${headers.eventId ?? ''}`)
    .digest('hex')}`;
}
