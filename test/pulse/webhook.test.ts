// POST /webhooks/pulse on the real gateway, into the real PostgreSQL: each refusal with its status
// and message (and nothing stored), stored events, and replays.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PULSE_SIGNATURE_HEADER, PULSE_TIMESTAMP_HEADER, signPulseBody } from '@acog/api';
import type { Gateway } from '@acog/console';
import { migrate, openDatabase, type Database } from '@acog/db';
import { createTestDatabase } from '../support/postgres.ts';
import { deliver, pulseEvent, startPulseGateway } from './support.ts';

const SECRET = 'trends-shared-secret';
let db: Database;
let gateway: Gateway;

const storedCount = async () => Number((await db.pool.query(`SELECT count(*) AS n FROM pulse_events`)).rows[0].n);

beforeAll(async () => {
  const url = await createTestDatabase('pulse-webhook');
  db = openDatabase({ url });
  await migrate(db);
  gateway = await startPulseGateway(url, { trends: SECRET, news: 'news-secret' });
});
afterAll(async () => {
  await gateway?.stop();
  await db?.close();
});

describe('POST /webhooks/pulse', () => {
  it('stores a signed event before answering 202, and answers a replay 200 duplicate', async () => {
    const event = pulseEvent('first', { summary: 'A summary', keywords: ['Rust', 'compilers'], score: 0.75 });
    expect(await deliver(gateway.url, SECRET, event)).toEqual({ status: 202, body: { accepted: 1, duplicates: 0 } });
    const row = (
      await db.pool.query(`SELECT source, id, title, url, summary, score, keywords, published_at FROM pulse_events WHERE id = 'first'`)
    ).rows[0];
    expect(row).toEqual({
      source: 'trends',
      id: 'first',
      title: event.title,
      url: event.url,
      summary: 'A summary',
      score: 0.75,
      keywords: ['Rust', 'compilers'],
      published_at: new Date(event.publishedAt),
    });
    // The same event again, freshly signed: stored already.
    expect(await deliver(gateway.url, SECRET, event)).toEqual({ status: 200, body: { accepted: 0, duplicates: 1 } });
    // An array, partly new: 202 with both counts.
    expect(await deliver(gateway.url, SECRET, [event, pulseEvent('second'), pulseEvent('third')])).toEqual({
      status: 202,
      body: { accepted: 2, duplicates: 1 },
    });
    // The same id from another source is another event.
    expect(await deliver(gateway.url, 'news-secret', pulseEvent('first', { source: 'news' }))).toEqual({
      status: 202,
      body: { accepted: 1, duplicates: 0 },
    });
    expect(await storedCount()).toBe(4);
  });

  it('refuses each bad delivery with its status and message, and stores nothing', async () => {
    const before = await storedCount();
    const now = Math.floor(Date.now() / 1000);
    const event = pulseEvent('refused');
    const text = JSON.stringify(event);
    const cases: { name: string; answer: Promise<{ status: number; body: unknown }>; status: number; message: RegExp; field?: string }[] = [
      {
        name: 'wrong secret',
        answer: deliver(gateway.url, 'not-the-secret', event),
        status: 401,
        message: /X-ACOG-Signature does not match/i,
      },
      {
        name: 'body changed after signing',
        answer: deliver(gateway.url, undefined, `${text} `, { signature: signPulseBody(SECRET, now, text), timestamp: now }),
        status: 401,
        message: /does not match: sign "<timestamp>.<raw body>"/,
      },
      {
        name: 'no signature',
        answer: deliver(gateway.url, undefined, event),
        status: 401,
        message: /x-acog-signature header .* is required/,
      },
      {
        name: 'signature not v1',
        answer: deliver(gateway.url, undefined, event, { signature: 'sha256=abc' }),
        status: 401,
        message: /must be v1= followed by 64 hex digits/,
      },
      {
        name: 'six minutes old',
        answer: deliver(gateway.url, SECRET, event, { timestamp: now - 360 }),
        status: 401,
        message: /x-acog-timestamp is 36\ds away from the receiver's clock \(at most 300s\)/,
      },
      {
        name: 'six minutes ahead',
        answer: deliver(gateway.url, SECRET, event, { timestamp: now + 360 }),
        status: 401,
        message: /away from the receiver's clock/,
      },
      {
        name: 'timestamp in milliseconds',
        answer: deliver(gateway.url, SECRET, event, { timestamp: Date.now() }),
        status: 401,
        message: /x-acog-timestamp must be the Unix time in whole seconds/,
      },
      {
        name: 'unknown source',
        answer: deliver(gateway.url, SECRET, pulseEvent('x', { source: 'elsewhere' })),
        status: 401,
        message: /no secret is configured for the pulse source "elsewhere": add it to the chart's console.pulse.sources/,
      },
      {
        name: 'not JSON',
        answer: deliver(gateway.url, SECRET, '{"source": "trends",'),
        status: 400,
        message: /^body: not JSON/,
        field: 'body',
      },
      {
        name: 'score above 1',
        answer: deliver(gateway.url, SECRET, [pulseEvent('ok'), pulseEvent('bad', { score: 1.2 })]),
        status: 400,
        message: /^\[1\]\.score: required: a number from 0 to 1$/,
        field: '[1].score',
      },
      {
        name: 'url missing',
        answer: deliver(gateway.url, SECRET, { ...event, url: undefined }),
        status: 400,
        message: /^url: required/,
        field: 'url',
      },
      {
        name: 'two sources in one body',
        answer: deliver(gateway.url, SECRET, [pulseEvent('a'), pulseEvent('b', { source: 'news' })]),
        status: 400,
        message: /all events of one delivery come from one source/,
        field: '[1].source',
      },
      {
        name: '101 events',
        answer: deliver(
          gateway.url,
          SECRET,
          Array.from({ length: 101 }, (_, i) => pulseEvent(`many-${i}`)),
        ),
        status: 400,
        message: /101 events: at most 100 a delivery/,
        field: 'body',
      },
    ];
    for (const { name, answer, status, message, field } of cases) {
      const { status: got, body } = await answer;
      const error = (body as { error: { status: number; message: string; fields?: { field: string }[] } }).error;
      expect({ name, status: got }).toEqual({ name, status });
      expect(error.status, name).toBe(status);
      expect(error.message, name).toMatch(message);
      if (field) expect(error.fields?.[0]?.field, name).toBe(field);
      // A refusal never shows the secret.
      expect(JSON.stringify(body), name).not.toContain(SECRET);
    }
    expect(await storedCount()).toBe(before);
  });

  it('refuses a body over 64 KiB with 413 before reading it whole, declared or streamed', async () => {
    const before = await storedCount();
    const big = JSON.stringify(pulseEvent('big', { summary: 'x'.repeat(70 * 1024) }));
    const declared = await deliver(gateway.url, SECRET, big);
    expect(declared.status).toBe(413);
    expect(declared.body.error?.message).toMatch(/larger than this route takes \(65536 bytes\)/);
    // Chunked, with no Content-Length: refused at the first byte past the limit, while the sender
    // still has most of the body to send (the answer comes before the body ends).
    const url = new URL(`${gateway.url}/webhooks/pulse`);
    const now = String(Math.floor(Date.now() / 1000));
    const streamed = await new Promise<{ status: number; sentWhenAnswered: number }>((resolve, reject) => {
      let sent = 0;
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [PULSE_TIMESTAMP_HEADER]: now,
            [PULSE_SIGNATURE_HEADER]: signPulseBody(SECRET, now, 'x'),
          },
        },
        (response) => {
          resolve({ status: response.statusCode ?? 0, sentWhenAnswered: sent });
          response.resume();
          req.destroy();
        },
      );
      req.on('error', (error) => (sent > 0 ? undefined : reject(error)));
      const chunk = Buffer.alloc(16 * 1024, 'a');
      const pump = () => {
        if (req.destroyed || sent >= 4 * 1024 * 1024) return req.end();
        sent += chunk.length;
        if (req.write(chunk)) setImmediate(pump);
        else req.once('drain', pump);
      };
      pump();
    });
    expect(streamed.status).toBe(413);
    expect(streamed.sentWhenAnswered).toBeLessThan(4 * 1024 * 1024);
    expect(await storedCount()).toBe(before);
  });
});
