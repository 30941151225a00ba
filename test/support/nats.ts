import { jetstreamManager, AckPolicy, DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ensureStream, EVENTS_STREAM, EVENTS_STREAM_DEFINITION, type StageEvent } from '@acog/api';
import { localEnv } from './env.ts';

/** The stage-event stream, made from its one definition in @acog/api; idempotent. */
export async function ensureEventsStream(): Promise<void> {
  const nc = await connect({ servers: localEnv().nats.url });
  await ensureStream(await jetstreamManager(nc), EVENTS_STREAM_DEFINITION);
  await nc.close();
}

/** Reads every stage event of one episode uid currently in the stream. */
export async function stageEvents(uid: string): Promise<{ event: StageEvent; msgId: string | undefined }[]> {
  const nc: NatsConnection = await connect({ servers: localEnv().nats.url });
  const jsm = await jetstreamManager(nc);
  const name = `reader-${Math.random().toString(36).slice(2, 10)}`;
  await jsm.consumers.add(EVENTS_STREAM, {
    name,
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.All,
    inactive_threshold: 60_000_000_000,
  });
  const { jetstream } = await import('@nats-io/jetstream');
  const consumer = await jetstream(nc).consumers.get(EVENTS_STREAM, name);
  const out: { event: StageEvent; msgId: string | undefined }[] = [];
  for (;;) {
    const message: JsMsg | null = await consumer.next({ expires: 1000 });
    if (!message) break;
    const event = message.json<StageEvent>();
    if (event.uid === uid) out.push({ event, msgId: message.headers?.get('Nats-Msg-Id') });
  }
  await jsm.consumers.delete(EVENTS_STREAM, name);
  await nc.close();
  return out;
}
