// The signature scheme of HeyGen's webhook deliveries, shared by the gateway that verifies them and
// the avatar provider that documents it: the hex HMAC-SHA256 of the raw body under the endpoint's
// secret, compared in constant time.
import { createHmac, timingSafeEqual } from 'node:crypto';

export function verifyHeyGenSignature(rawBody: string | Buffer, signature: string | undefined, secret: string): boolean {
  if (!signature || !/^[0-9a-f]{64}$/i.test(signature.trim())) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(signature.trim(), 'hex'));
}
