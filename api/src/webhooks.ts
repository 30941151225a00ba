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

// Pulse (trend) deliveries: the sender signs "<timestamp>.<raw body>" with HMAC-SHA256 under its
// source's shared secret and sends X-ACOG-Timestamp (Unix seconds) and X-ACOG-Signature
// (v1=<hex>). The timestamp is inside the signed text, so a captured delivery cannot be replayed
// with a fresh timestamp, and the skew limit bounds how long a captured one stays usable at all.
export const PULSE_SIGNATURE_HEADER = 'x-acog-signature';
export const PULSE_TIMESTAMP_HEADER = 'x-acog-timestamp';
/** How far X-ACOG-Timestamp may be from the receiver's clock, either way. */
export const PULSE_TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;
const PULSE_SIGNATURE_VERSION = 'v1';

/** The X-ACOG-Signature value for a body sent at `timestamp` (Unix seconds): `v1=<hex>`. */
export function signPulseBody(secret: string, timestamp: number | string, body: string | Buffer): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
  return `${PULSE_SIGNATURE_VERSION}=${mac}`;
}

export type PulseSignatureVerdict =
  | { ok: true }
  | {
      ok: false;
      reason: 'MissingTimestamp' | 'MalformedTimestamp' | 'TimestampSkew' | 'MissingSignature' | 'MalformedSignature' | 'BadSignature';
      message: string;
    };

/**
 * Whether a pulse delivery is signed by `secret` and recent. The timestamp and signature are the
 * raw header values; `body` the exact bytes received. The message says what the sender should fix
 * and never repeats the secret or the expected signature.
 */
export function verifyPulseSignature(
  secret: string,
  timestamp: string | undefined,
  body: string | Buffer,
  signature: string | undefined,
  now = Date.now(),
): PulseSignatureVerdict {
  if (timestamp === undefined || timestamp.trim() === '')
    return { ok: false, reason: 'MissingTimestamp', message: `the ${PULSE_TIMESTAMP_HEADER} header (Unix seconds) is required` };
  if (!/^\d{1,12}$/.test(timestamp.trim()))
    return { ok: false, reason: 'MalformedTimestamp', message: `${PULSE_TIMESTAMP_HEADER} must be the Unix time in whole seconds` };
  const skewSeconds = Math.abs(now / 1000 - Number(timestamp.trim()));
  if (skewSeconds > PULSE_TIMESTAMP_TOLERANCE_SECONDS)
    return {
      ok: false,
      reason: 'TimestampSkew',
      message: `${PULSE_TIMESTAMP_HEADER} is ${Math.round(skewSeconds)}s away from the receiver's clock (at most ${PULSE_TIMESTAMP_TOLERANCE_SECONDS}s): sign each delivery when it is sent, and check the sender's clock`,
    };
  if (signature === undefined || signature.trim() === '')
    return {
      ok: false,
      reason: 'MissingSignature',
      message: `the ${PULSE_SIGNATURE_HEADER} header (v1=<hex HMAC-SHA256 of "timestamp.body">) is required`,
    };
  const match = /^v1=([0-9a-f]{64})$/i.exec(signature.trim());
  if (!match)
    return { ok: false, reason: 'MalformedSignature', message: `${PULSE_SIGNATURE_HEADER} must be v1= followed by 64 hex digits` };
  const expected = Buffer.from(signPulseBody(secret, timestamp.trim(), body).slice(PULSE_SIGNATURE_VERSION.length + 1), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(match[1]!, 'hex')))
    return {
      ok: false,
      reason: 'BadSignature',
      message: `${PULSE_SIGNATURE_HEADER} does not match: sign "<timestamp>.<raw body>" with HMAC-SHA256 under the source's secret, over the exact bytes sent`,
    };
  return { ok: true };
}
