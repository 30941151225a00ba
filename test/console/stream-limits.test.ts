// The limits of the event stream, against the real servers: a client that stops reading is closed
// (the gateway keeps no queue for it), streams are capped per user and in all (429 with
// Retry-After), and a stream ends when its token stops being accepted.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '@acog/console';
import { uniqueName } from '../support/env.ts';
import { eventually, serviceAccountUser, startTestGateway, token } from './support.ts';

let gateway: Gateway;
const prefix = uniqueName('lim');

beforeAll(async () => {
  gateway = await startTestGateway({
    heartbeatMs: 200,
    streams: { maxStreams: 3, maxStreamsPerUser: 2, maxLag: 50, reviewMs: 300, retryAfterSeconds: 7 },
  });
});

afterAll(async () => {
  await gateway?.stop();
});

const metric = async (name: string, labels = '') =>
  Number(new RegExp(`^${name}${labels.replace(/[{}]/g, '\\$&')} (\\d+)`, 'm').exec(await gateway.metrics.registry.metrics())?.[1] ?? 0);

/** A stream opened over a plain socket, which the test can stop reading. */
async function rawStream(bearer: string): Promise<{ socket: Socket; received: () => string }> {
  const url = new URL(gateway.url);
  const socket = connect(Number(url.port), url.hostname);
  let text = '';
  socket.on('data', (chunk) => (text += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  socket.write(
    `GET /api/v1/stream?namespace=team-a HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${bearer}\r\nAccept: text/event-stream\r\n\r\n`,
  );
  await eventually('the ready event', () => text.includes('event: ready'));
  return { socket, received: () => text };
}

/** A stream opened with fetch; `events` fills as they come. */
async function openStream(bearer: string) {
  const controller = new AbortController();
  const response = await fetch(`${gateway.url}/api/v1/stream?namespace=team-a`, {
    headers: { authorization: `Bearer ${bearer}` },
    signal: controller.signal,
  });
  const state = { text: '', ended: false };
  const done = (async () => {
    if (!response.body || response.status !== 200) return;
    try {
      for await (const chunk of response.body) state.text += new TextDecoder().decode(chunk as Uint8Array);
    } catch {
      // aborted
    }
    state.ended = true;
  })();
  return { response, state, done, close: () => controller.abort() };
}

const burst = (count: number, size: number) => {
  const filler = 'x'.repeat(size);
  for (let i = 0; i < count; i++)
    gateway.cache.changes.append({ kind: 'Episode', type: 'update', namespace: 'team-a', name: `${prefix}-${i}`, data: { filler } });
};

describe('event stream limits', () => {
  it('closes a client that stops reading, instead of queueing for it', async () => {
    const listeners = gateway.cache.changes.subscribers;
    const slowBefore = await metric('acog_console_event_streams_closed_total', '{reason="slow"}');
    const { socket } = await rawStream(token('admin'));
    expect(gateway.cache.changes.subscribers).toBe(listeners + 1);
    socket.pause();
    // Far more than the socket buffers hold, in steps: the client falls more than 50 changes behind.
    for (let round = 0; round < 40 && gateway.cache.changes.subscribers > listeners; round++) {
      burst(20, 64 * 1024);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await eventually('the slow stream closed', () => gateway.cache.changes.subscribers === listeners, 10_000);
    expect(await metric('acog_console_event_streams_closed_total', '{reason="slow"}')).toBe(slowBefore + 1);
    socket.destroy();
  });

  it('keeps a client that reads, however many changes come, as long as it keeps up', async () => {
    const stream = await openStream(token('admin'));
    await eventually('the ready event', () => stream.state.text.includes('event: ready'));
    for (let round = 0; round < 10; round++) {
      burst(20, 1024);
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    await eventually(
      'every change',
      () => stream.state.text.includes(`"name":"${prefix}-19"`) && stream.state.text.split('event: episode').length > 200,
    );
    expect(stream.state.ended).toBe(false);
    stream.close();
    await stream.done;
  });

  it('caps streams per user and in all with 429 and Retry-After', async () => {
    await eventually('no streams left open', () => gateway.cache.changes.subscribers === 0, 5_000);
    const editor = [await openStream(token('editor')), await openStream(token('editor'))];
    expect(editor.map((stream) => stream.response.status)).toEqual([200, 200]);
    const third = await openStream(token('editor'));
    expect(third.response.status).toBe(429);
    expect(third.response.headers.get('retry-after')).toBe('7');
    expect(((await third.response.json()) as { error: { message: string } }).error.message).toMatch(/acog-editor.*per user/);
    const viewer = await openStream(token('viewer'));
    expect(viewer.response.status).toBe(200);
    const admin = await openStream(token('admin'));
    expect(admin.response.status).toBe(429);
    expect(((await admin.response.json()) as { error: { message: string } }).error.message).toMatch(/3 event streams open, its limit/);
    editor[0].close();
    await eventually('a slot free again', async () => {
      const again = await openStream(token('admin'));
      if (again.response.status !== 200) {
        await again.response.arrayBuffer();
        return false;
      }
      again.close();
      return true;
    });
    for (const stream of [editor[1], viewer]) stream.close();
  });

  it('ends a stream when its token is no longer accepted', { timeout: 60_000 }, async () => {
    await eventually('no streams left open', () => gateway.cache.changes.subscribers === 0, 5_000);
    const account = await serviceAccountUser('team-a', `${prefix}-watcher`, [
      { apiGroups: ['acog.dev'], resources: ['episodes', 'channels'], verbs: ['get', 'list'] },
    ]);
    const stream = await openStream(account.token);
    expect(stream.response.status).toBe(200);
    await eventually('the ready event', () => stream.state.text.includes('event: ready'));
    // Reviewed again and again while it is valid: the stream stays.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(stream.state.ended).toBe(false);
    await account.revoke();
    // The API server itself keeps a token it accepted for 10 s (its token cache): then the review fails.
    await eventually('the stream ended', () => stream.state.ended, 30_000);
    expect(stream.state.text).toMatch(/event: unauthorized\ndata: \{"reason":"unauthorized"/);
    expect(await metric('acog_console_event_streams_closed_total', '{reason="unauthorized"}')).toBe(1);
    const again = await fetch(`${gateway.url}/api/v1/stream?namespace=team-a`, { headers: { authorization: `Bearer ${account.token}` } });
    expect(again.status).toBe(401);
  });
});
