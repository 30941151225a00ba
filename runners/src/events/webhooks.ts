// Waits for a provider's delivery that the console's gateway relayed on NATS (HeyGen's
// avatar_video.success/fail, a wake-up: the runner then reads the status itself). The first wait
// counts a delivery that arrived before it began (the stream keeps the last one per subject); a
// later one, after the sequence of the delivery already seen, only newer ones. Anything wrong (no
// NATS, no stream) rejects, and the caller goes on polling; an abort ends the wait quietly.
import { randomBytes } from 'node:crypto';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { WEBHOOKS_STREAM } from '@acog/api';

export interface WebhookWaitOptions {
  auth?: { user?: string; pass?: string };
  inboxPrefix?: string;
  /** Only deliveries after this stream sequence (one already seen). */
  afterSeq?: number;
}

/** One relayed delivery: its stream sequence and its payload, parsed. */
export interface WebhookDelivery {
  seq: number;
  data: unknown;
}

export async function waitForWebhook(
  natsUrl: string,
  subject: string,
  signal: AbortSignal,
  options: WebhookWaitOptions = {},
): Promise<WebhookDelivery | undefined> {
  const connection = await connect({
    servers: natsUrl,
    name: 'acog-runner-webhooks',
    timeout: 10_000,
    maxReconnectAttempts: 3,
    ...options.auth,
    ...(options.inboxPrefix && { inboxPrefix: options.inboxPrefix }),
  });
  const close = () => void connection.close().catch(() => undefined);
  signal.addEventListener('abort', close, { once: true });
  try {
    // An ephemeral consumer with one filter subject (filter_subjects needs NATS 2.10; Debian 12 has 2.9).
    // Named, so that the request's subject carries the filter, which NATS permissions can limit to
    // the runner's own namespace ($JS.API.CONSUMER.CREATE.<stream>.<name>.<filter>).
    const info = await (
      await jetstreamManager(connection)
    ).consumers.add(WEBHOOKS_STREAM, {
      name: `wait-${randomBytes(9).toString('hex')}`,
      filter_subject: subject,
      ...(options.afterSeq === undefined
        ? { deliver_policy: DeliverPolicy.LastPerSubject }
        : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: options.afterSeq + 1 }),
      ack_policy: AckPolicy.None,
      inactive_threshold: 60_000_000_000,
    });
    const consumer = await jetstream(connection).consumers.get(WEBHOOKS_STREAM, info.name);
    // Aborted (the stage is over): nothing more to wait for, and nothing went wrong.
    while (!signal.aborted) {
      const message = await consumer.next({ expires: 5000 }).catch((error: unknown) => {
        if (signal.aborted) return null;
        throw error;
      });
      if (message) {
        let data: unknown;
        try {
          data = message.json();
        } catch {
          data = undefined;
        }
        return { seq: message.seq, data };
      }
    }
    return undefined;
  } finally {
    signal.removeEventListener('abort', close);
    close();
  }
}
