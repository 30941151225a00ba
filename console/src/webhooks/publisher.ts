// Publishes verified webhook events on NATS JetStream. The stream keeps them a day so that a runner
// that subscribes late still finds its video's event; its duplicate window refuses replays.
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { WEBHOOKS_STREAM, WEBHOOKS_SUBJECTS } from './heygen.ts';

const DAY_NS = 24 * 3600 * 1e9;

export interface PublishResult {
  duplicate: boolean;
  seq: number;
}

export class WebhookPublisher {
  private connection?: NatsConnection;
  private js?: JetStreamClient;
  private readonly url: string;

  constructor(url: string) {
    this.url = url;
  }

  async start(): Promise<void> {
    this.connection = await connect({ servers: this.url, name: 'acog-console', maxReconnectAttempts: -1 });
    const manager = await jetstreamManager(this.connection);
    const config = { subjects: [WEBHOOKS_SUBJECTS], duplicate_window: DAY_NS, max_age: 7 * DAY_NS };
    try {
      await manager.streams.info(WEBHOOKS_STREAM);
      await manager.streams.update(WEBHOOKS_STREAM, config);
    } catch (error) {
      if (!/not found/i.test((error as Error).message)) throw error;
      await manager.streams.add({ name: WEBHOOKS_STREAM, ...config });
    }
    this.js = jetstream(this.connection);
  }

  get connected(): boolean {
    return Boolean(this.connection && !this.connection.isClosed());
  }

  async publish(subject: string, payload: unknown, messageId: string): Promise<PublishResult> {
    if (!this.js) throw new Error('the webhook publisher is not started');
    const ack = await this.js.publish(subject, JSON.stringify(payload), { msgID: messageId });
    return { duplicate: ack.duplicate, seq: ack.seq };
  }

  async stop(): Promise<void> {
    await this.connection?.drain().catch(() => undefined);
  }
}
