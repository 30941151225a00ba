import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { judgeHeyGenWakeUp, signPulseBody, verifyPulseSignature, type HeyGenWakeUp } from './webhooks.ts';

const body = '{"event_type":"avatar_video.success","event_data":{"video_id":"v1"}}';
const secret = 'whsec_unit';
const now = Date.parse('2026-12-07T12:00:00Z');
const wakeUp = (headers: Partial<HeyGenWakeUp> = {}): HeyGenWakeUp => ({
  provider: 'heygen',
  videoId: 'v1',
  eventType: 'avatar_video.success',
  body: Buffer.from(body).toString('base64'),
  receivedAt: new Date(now).toISOString(),
  ...headers,
});
const sign = (text: string, key = secret) => createHmac('sha256', key).update(text).digest('hex');

describe('judgeHeyGenWakeUp', () => {
  it('takes a per-video callback, which HeyGen does not sign, as unsigned', () => {
    expect(judgeHeyGenWakeUp(wakeUp(), secret, now)).toBe('unsigned');
    expect(judgeHeyGenWakeUp(wakeUp(), undefined, now)).toBe('unsigned');
  });

  it("verifies an endpoint's delivery over the exact bytes, with a recent Heygen-Timestamp", () => {
    const timestamp = String(now / 1000 - 30);
    expect(judgeHeyGenWakeUp(wakeUp({ signature: sign(body), timestamp }), secret, now)).toBe('signed');
    expect(judgeHeyGenWakeUp(wakeUp({ signature: sign(body) }), secret, now)).toBe('signed');
    // Another secret, another body, a stale or unreadable timestamp: forged.
    expect(judgeHeyGenWakeUp(wakeUp({ signature: sign(body, 'whsec_other'), timestamp }), secret, now)).toBe('forged');
    expect(judgeHeyGenWakeUp(wakeUp({ signature: sign(`${body} `), timestamp }), secret, now)).toBe('forged');
    expect(judgeHeyGenWakeUp(wakeUp({ signature: sign(body), timestamp: String(now / 1000 - 3600) }), secret, now)).toBe('forged');
    expect(judgeHeyGenWakeUp(wakeUp({ signature: sign(body), timestamp: 'yesterday' }), secret, now)).toBe('forged');
    expect(judgeHeyGenWakeUp(wakeUp({ signature: 'zz', timestamp }), secret, now)).toBe('forged');
  });

  it('says when a signed delivery cannot be checked (no secret kept)', () => {
    expect(judgeHeyGenWakeUp(wakeUp({ signature: sign(body) }), undefined, now)).toBe('unverifiable');
  });
});

describe('signPulseBody / verifyPulseSignature', () => {
  const pulseBody =
    '{"source":"trends","id":"e1","title":"A","url":"https://example.com/a","score":0.5,"keywords":[],"publishedAt":"2026-12-07T11:00:00Z"}';
  const pulseSecret = 'pulse-secret';
  const ts = String(now / 1000 - 10);

  it('signs "<timestamp>.<body>" with HMAC-SHA256 as v1=<hex>', () => {
    const expected = createHmac('sha256', pulseSecret).update(`${ts}.${pulseBody}`).digest('hex');
    expect(signPulseBody(pulseSecret, ts, pulseBody)).toBe(`v1=${expected}`);
    expect(signPulseBody(pulseSecret, Number(ts), Buffer.from(pulseBody))).toBe(`v1=${expected}`);
  });

  it('accepts its own signature over the exact bytes, inside the skew window either way', () => {
    expect(verifyPulseSignature(pulseSecret, ts, pulseBody, signPulseBody(pulseSecret, ts, pulseBody), now)).toEqual({ ok: true });
    const ahead = String(now / 1000 + 299);
    expect(verifyPulseSignature(pulseSecret, ahead, Buffer.from(pulseBody), signPulseBody(pulseSecret, ahead, pulseBody), now)).toEqual({
      ok: true,
    });
    const upper = signPulseBody(pulseSecret, ts, pulseBody)
      .replace(/[a-f]/g, (c) => c.toUpperCase())
      .replace('V1', 'v1');
    expect(verifyPulseSignature(pulseSecret, ts, pulseBody, upper, now)).toEqual({ ok: true });
  });

  it('refuses each way a delivery can be wrong, with the reason', () => {
    const reason = (timestamp: string | undefined, body: string, signature: string | undefined, key = pulseSecret) => {
      const verdict = verifyPulseSignature(key, timestamp, body, signature, now);
      return verdict.ok ? 'ok' : verdict.reason;
    };
    const good = signPulseBody(pulseSecret, ts, pulseBody);
    expect(reason(undefined, pulseBody, good)).toBe('MissingTimestamp');
    expect(reason('2026-12-07T12:00:00Z', pulseBody, good)).toBe('MalformedTimestamp');
    expect(reason(String(now / 1000 - 301), pulseBody, signPulseBody(pulseSecret, now / 1000 - 301, pulseBody))).toBe('TimestampSkew');
    expect(reason(String(now / 1000 + 301), pulseBody, signPulseBody(pulseSecret, now / 1000 + 301, pulseBody))).toBe('TimestampSkew');
    expect(reason(ts, pulseBody, undefined)).toBe('MissingSignature');
    expect(reason(ts, pulseBody, good.slice(3))).toBe('MalformedSignature');
    expect(reason(ts, pulseBody, 'v2=' + good.slice(3))).toBe('MalformedSignature');
    expect(reason(ts, `${pulseBody} `, good)).toBe('BadSignature');
    expect(reason(ts, pulseBody, good, 'another-secret')).toBe('BadSignature');
    // The timestamp is signed: the same signature with a fresh timestamp does not verify.
    expect(reason(String(now / 1000 - 5), pulseBody, good)).toBe('BadSignature');
  });

  it('never puts the secret or the expected signature in its message', () => {
    const verdict = verifyPulseSignature(pulseSecret, ts, pulseBody, 'v1=' + '0'.repeat(64), now);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) {
      expect(verdict.message).not.toContain(pulseSecret);
      expect(verdict.message).not.toContain(signPulseBody(pulseSecret, ts, pulseBody).slice(3));
    }
  });
});
