import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { judgeHeyGenWakeUp, type HeyGenWakeUp } from './webhooks.ts';

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
