import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { stageEventMessageId, stageEventSubject, type StageEvent } from '@acog/api';
import type { EventPublisher } from './types.ts';

/** Publishes stage events on JetStream with the de-duplicating message id of DESIGN.md. */
export class NatsEventPublisher implements EventPublisher {
  private readonly connection: NatsConnection;
  private readonly js: JetStreamClient;

  private constructor(connection: NatsConnection) {
    this.connection = connection;
    this.js = jetstream(connection, { timeout: 10_000 });
  }

  /** `auth` and `inboxPrefix` as the bundled NATS gives a namespace's runners (natsAuth, natsInboxPrefix of @acog/api). */
  static async connect(
    servers: string,
    options: { name?: string; auth?: { user?: string; pass?: string }; inboxPrefix?: string } = {},
  ): Promise<NatsEventPublisher> {
    const connection = await connect({
      servers,
      name: options.name ?? 'acog-runner',
      timeout: 10_000,
      maxReconnectAttempts: 3,
      ...options.auth,
      ...(options.inboxPrefix && { inboxPrefix: options.inboxPrefix }),
    });
    return new NatsEventPublisher(connection);
  }

  async publish(event: StageEvent): Promise<void> {
    await this.js.publish(stageEventSubject(event.namespace, event.episode, event.stage), JSON.stringify(event), {
      msgID: stageEventMessageId(event.uid, event.stage, event.attempt),
    });
  }

  async close(): Promise<void> {
    await this.connection.drain();
  }
}
