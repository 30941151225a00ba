// Publishes verified webhook events on NATS JetStream, on the stream @acog/api defines.
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ensureStream, natsAuth, WEBHOOKS_STREAM_DEFINITION } from '@acog/api';

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
    this.connection = await connect({ servers: this.url, name: 'acog-console', maxReconnectAttempts: -1, ...natsAuth(process.env) });
    await ensureStream(await jetstreamManager(this.connection), WEBHOOKS_STREAM_DEFINITION);
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
