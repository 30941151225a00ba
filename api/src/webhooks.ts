// HeyGen's webhook deliveries, shared by the gateway that relays them and the avatar runner that
// judges them. Two kinds arrive at the same URL: the per-video callback_url deliveries, which HeyGen
// does not sign, and those of an endpoint registered with POST /v3/webhooks/endpoints, signed with
// the endpoint's whsec_ secret: Heygen-Signature is the hex HMAC-SHA256 of the raw body,
// Heygen-Timestamp the Unix time of the delivery, Heygen-Event-Id the delivery's id. Neither kind is
// trusted for a result: each is only a wake-up after which the runner reads the video's status with
// its own key. The gateway cannot know the secrets (one per Channel key, held by the runners), so it
// relays the delivery as it came and the runner checks the signature.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const HEYGEN_SIGNATURE_HEADER = 'heygen-signature';
export const HEYGEN_TIMESTAMP_HEADER = 'heygen-timestamp';
export const HEYGEN_EVENT_ID_HEADER = 'heygen-event-id';
/** The events an ACOG endpoint subscribes to. */
export const HEYGEN_WEBHOOK_EVENTS = ['avatar_video.success', 'avatar_video.fail'] as const;
/** How far a signed delivery's Heygen-Timestamp may be from now. */
export const HEYGEN_TIMESTAMP_TOLERANCE_MS = 5 * 60_000;

export function verifyHeyGenSignature(rawBody: string | Buffer, signature: string | undefined, secret: string): boolean {
  if (!signature || !/^[0-9a-f]{64}$/i.test(signature.trim())) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(signature.trim(), 'hex'));
}

/** What the gateway puts on acog.webhooks.<namespace>.heygen.<video_id> for the runner that waits. */
export interface HeyGenWakeUp {
  provider: 'heygen';
  videoId: string;
  eventType: string;
  /** The body as it arrived, base64: a signature is checked over exactly these bytes. */
  body: string;
  signature?: string;
  timestamp?: string;
  eventId?: string;
  receivedAt: string;
}

/**
 * How the runner takes a wake-up: `signed` (the signature verifies under the endpoint's secret and
 * the timestamp is recent), `unsigned` (a per-video callback, or nobody), `unverifiable` (signed,
 * but this runner knows no secret), `forged` (a signature that does not verify, or a stale one).
 * Only a forged one is ignored; the others make the runner read the status, which alone decides.
 */
export type HeyGenWakeUpKind = 'signed' | 'unsigned' | 'unverifiable' | 'forged';

export function judgeHeyGenWakeUp(wakeUp: HeyGenWakeUp, secret: string | undefined, now = Date.now()): HeyGenWakeUpKind {
  if (!wakeUp.signature) return 'unsigned';
  if (!secret) return 'unverifiable';
  if (!verifyHeyGenSignature(Buffer.from(wakeUp.body, 'base64'), wakeUp.signature, secret)) return 'forged';
  const sentAt = Number(wakeUp.timestamp);
  if (wakeUp.timestamp !== undefined && (!Number.isFinite(sentAt) || Math.abs(now - sentAt * 1000) > HEYGEN_TIMESTAMP_TOLERANCE_MS))
    return 'forged';
  return 'signed';
}
