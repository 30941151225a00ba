// The fast path of stage completions (DESIGN.md, "How a stage runs"): the ACOG_EVENTS stream,
// created when absent, and a durable pull consumer. A message is acknowledged only after the
// status it causes is stored; until then JetStream redelivers it. NATS being down only slows the
// operator down to the Job watch: this keeps reconnecting in the background.
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ensureStream, EVENTS_STREAM, EVENTS_STREAM_DEFINITION, EVENTS_SUBJECTS, isStageName, type StageEvent } from '@acog/api';

export const OPERATOR_CONSUMER = 'acog-operator';

export interface CompletionMessage {
  event: StageEvent;
  ack(): void;
  /** Asks for the message again later, e.g. when the status could not be stored. */
  nak(delayMs?: number): void;
}

/** Checks an event's shape; a malformed one is acknowledged and dropped, with the reason logged. */
export function parseStageEvent(data: unknown): StageEvent {
  const event = data as Partial<StageEvent> | null;
  const problems: string[] = [];
  if (!event || typeof event !== 'object') throw new Error('not a JSON object');
  for (const field of ['namespace', 'episode', 'uid', 'inputHash'] as const)
    if (typeof event[field] !== 'string' || !event[field]) problems.push(`${field}: missing`);
  if (typeof event.stage !== 'string' || !isStageName(event.stage)) problems.push(`stage: ${JSON.stringify(event.stage)} is not a stage`);
  if (!Number.isInteger(event.attempt) || (event.attempt as number) < 1) problems.push('attempt: must be a whole number from 1');
  if (event.outcome !== 'Succeeded' && event.outcome !== 'Failed') problems.push('outcome: must be Succeeded or Failed');
  if (problems.length) throw new Error(problems.join('; '));
  return event as StageEvent;
}

export interface CompletionConsumerOptions {
  url: string;
  onMessage: (message: CompletionMessage) => void;
  log: (level: 'info' | 'warn', message: string, fields?: Record<string, unknown>) => void;
}

export class CompletionConsumer {
  private readonly options: CompletionConsumerOptions;
  private connection?: NatsConnection;
  private stopped = false;
  private connected = false;

  constructor(options: CompletionConsumerOptions) {
    this.options = options;
  }

  isConnected(): boolean {
    return this.connected;
  }

  /** Starts in the background; never throws for an unreachable server. */
  start(): void {
    void this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.connection?.close().catch(() => undefined);
  }

  private async run(): Promise<void> {
    const { log } = this.options;
    while (!this.stopped) {
      try {
        this.connection = await connect({
          servers: this.options.url,
          name: 'acog-operator',
          waitOnFirstConnect: true,
          maxReconnectAttempts: -1,
          reconnectTimeWait: 1000,
          pingInterval: 10_000,
        });
        void (async () => {
          for await (const status of this.connection!.status()) {
            if (status.type === 'disconnect') {
              this.connected = false;
              log('warn', 'NATS disconnected; completions come through the Job watch until it is back');
            } else if (status.type === 'reconnect') {
              this.connected = true;
              log('info', 'NATS reconnected');
            }
          }
        })();
        const jsm = await jetstreamManager(this.connection, { timeout: 10_000 });
        await ensureStream(jsm, EVENTS_STREAM_DEFINITION);
        await jsm.consumers
          .add(EVENTS_STREAM, {
            durable_name: OPERATOR_CONSUMER,
            ack_policy: AckPolicy.Explicit,
            deliver_policy: DeliverPolicy.New,
            filter_subject: EVENTS_SUBJECTS,
            ack_wait: 30_000_000_000,
            max_ack_pending: 10_000,
          })
          .catch((error: Error) => {
            if (!/already exists|already in use/i.test(error.message)) throw error;
          });
        const consumer = await jetstream(this.connection).consumers.get(EVENTS_STREAM, OPERATOR_CONSUMER);
        this.connected = true;
        log('info', 'consuming stage events', { url: this.options.url, stream: EVENTS_STREAM, consumer: OPERATOR_CONSUMER });
        const messages = await consumer.consume({ max_messages: 512 });
        for await (const message of messages) this.deliver(message);
      } catch (error) {
        if (this.stopped) return;
        this.connected = false;
        log('warn', 'NATS consumer failed; trying again', { error: (error as Error).message });
        await this.connection?.close().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
    }
  }

  private deliver(message: JsMsg): void {
    let event: StageEvent;
    try {
      event = parseStageEvent(message.json());
    } catch (error) {
      this.options.log('warn', 'dropped a malformed stage event', { subject: message.subject, error: (error as Error).message });
      message.term();
      return;
    }
    this.options.onMessage({ event, ack: () => message.ack(), nak: (delayMs) => message.nak(delayMs) });
  }
}
