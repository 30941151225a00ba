// Against the real NATS of the local control plane.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { heygenWebhookSubject, WEBHOOKS_STREAM, WEBHOOKS_SUBJECTS } from '@acog/api';
import { localEnv } from '../../../test/support/env.ts';
import { waitForWebhook } from './webhooks.ts';

let nc: NatsConnection;
const publish = (videoId: string) =>
  jetstream(nc).publish(heygenWebhookSubject('team-a', videoId), JSON.stringify({ provider: 'heygen', videoId }));

beforeAll(async () => {
  nc = await connect({ servers: localEnv().nats.url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: WEBHOOKS_STREAM, subjects: [WEBHOOKS_SUBJECTS] }).catch((error: Error) => {
    if (!/already in use/.test(error.message)) throw error;
  });
});
afterAll(() => nc?.close());

describe('waitForWebhook', () => {
  it('resolves when the callback of that video arrives, not for another video', async () => {
    const videoId = `v-${Math.random().toString(36).slice(2)}`;
    let done = false;
    const waiting = waitForWebhook(localEnv().nats.url, heygenWebhookSubject('team-a', videoId), new AbortController().signal).then(
      () => (done = true),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    await publish(`${videoId}-other`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(done).toBe(false);
    await publish(videoId);
    await waiting;
    expect(done).toBe(true);
  });

  it('counts a callback that came before the wait began, and hands it over with its sequence', async () => {
    const videoId = `early-${Math.random().toString(36).slice(2)}`;
    await publish(videoId);
    const delivery = await waitForWebhook(localEnv().nats.url, heygenWebhookSubject('team-a', videoId), new AbortController().signal);
    expect(delivery?.data).toEqual({ provider: 'heygen', videoId });
    expect(delivery?.seq).toBeGreaterThan(0);
  });

  it('waits after a delivery already seen only for a newer one', async () => {
    const videoId = `again-${Math.random().toString(36).slice(2)}`;
    const subject = heygenWebhookSubject('team-a', videoId);
    await publish(videoId);
    const first = await waitForWebhook(localEnv().nats.url, subject, new AbortController().signal);
    let second: Awaited<ReturnType<typeof waitForWebhook>> | 'pending' = 'pending';
    const waiting = waitForWebhook(localEnv().nats.url, subject, new AbortController().signal, { afterSeq: first!.seq }).then(
      (delivery) => (second = delivery),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(second).toBe('pending');
    await publish(videoId);
    await waiting;
    expect((second as unknown as { seq: number }).seq).toBeGreaterThan(first!.seq);
  });

  it('ends quietly when aborted, and fails when NATS cannot be reached (the provider then polls)', async () => {
    const stop = new AbortController();
    const started = Date.now();
    const waiting = waitForWebhook(localEnv().nats.url, heygenWebhookSubject('team-a', 'never'), stop.signal);
    setTimeout(() => stop.abort(new Error('stage over')), 300);
    await expect(waiting).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(3000);
    await expect(waitForWebhook('nats://127.0.0.1:1', heygenWebhookSubject('team-a', 'x'), new AbortController().signal)).rejects.toThrow();
  });
});
