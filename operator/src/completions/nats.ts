// The fast path of stage completions (DESIGN.md, "How a stage runs"): the ACOG_EVENTS stream,
// created when absent, and a durable pull consumer. A message is acknowledged only after the
// status it causes is stored; until then JetStream redelivers it. NATS being down only slows the
// operator down to the Job watch: this keeps reconnecting in the background.
//
// Whoever can publish on the subjects can send anything, so an event is only ever a hint: it is
// bounded (MAX_EVENT_BYTES, and fields of bounded length), refused when malformed or published on
// another Episode's subject, and its message is cut to one short line before it can reach status.
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  ensureStream,
  EVENTS_STREAM,
  EVENTS_STREAM_DEFINITION,
  EVENTS_SUBJECTS,
  isStageName,
  natsAuth,
  stageEventSubject,
  type StageEvent,
} from '@acog/api';

export const OPERATOR_CONSUMER = 'acog-operator';

export interface CompletionMessage {
  event: StageEvent;
  ack(): void;
  /** Asks for the message again later, e.g. when the status could not be stored. */
  nak(delayMs?: number): void;
  /** Never again: the event can never be used (malformed, of an attempt that cannot come, evicted). */
  term(): void;
}

/** The largest stage event read; a runner's is well under 1 KiB. */
export const MAX_EVENT_BYTES = 16 * 1024;
/** An event's failure message is cut to this before anything else sees it. */
export const MAX_EVENT_MESSAGE = 1000;

/** Longest value of each string field (Kubernetes names, uids, hashes, URIs, times). */
const FIELD_LIMITS = { namespace: 63, episode: 253, uid: 128, inputHash: 128 } as const;

/** A message in one line of at most `max` characters. */
export function boundMessage(message: string, max = MAX_EVENT_MESSAGE): string {
  const line = message.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Checks an event's shape and bounds; a malformed one is terminated and dropped, with the reason logged. */
export function parseStageEvent(data: unknown): StageEvent {
  const event = data as Partial<StageEvent> | null;
  const problems: string[] = [];
  if (!event || typeof event !== 'object' || Array.isArray(event)) throw new Error('not a JSON object');
  for (const [field, max] of Object.entries(FIELD_LIMITS) as [keyof typeof FIELD_LIMITS, number][]) {
    if (typeof event[field] !== 'string' || !event[field]) problems.push(`${field}: missing`);
    else if (event[field].length > max) problems.push(`${field}: longer than ${max} characters`);
  }
  if (typeof event.stage !== 'string' || !isStageName(event.stage))
    problems.push(`stage: ${JSON.stringify(event.stage)?.slice(0, 40)} is not a stage`);
  if (!Number.isSafeInteger(event.attempt) || (event.attempt as number) < 1) problems.push('attempt: must be a whole number from 1');
  if (event.outcome !== 'Succeeded' && event.outcome !== 'Failed') problems.push('outcome: must be Succeeded or Failed');
  if (event.message !== undefined && typeof event.message !== 'string') problems.push('message: must be a string');
  if (event.result !== undefined && (typeof event.result !== 'string' || event.result.length > 2048))
    problems.push('result: must be a URI of at most 2048 characters');
  if (event.at !== undefined && (typeof event.at !== 'string' || event.at.length > 64)) problems.push('at: must be a time');
  if (problems.length) throw new Error(problems.join('; '));
  // Only the known fields go on, the message cut short.
  return {
    namespace: event.namespace!,
    episode: event.episode!,
    uid: event.uid!,
    stage: event.stage!,
    attempt: event.attempt!,
    inputHash: event.inputHash!,
    outcome: event.outcome!,
    ...(event.message !== undefined && { message: boundMessage(event.message) }),
    ...(event.result !== undefined && { result: event.result }),
    at: event.at ?? '',
  };
}

/**
 * The event of a message, or why it is refused: too large, not JSON, malformed, or published on a
 * subject that is not its Episode's (NATS permissions are per subject: an event must not speak
 * for another namespace than the one its subject names).
 */
export function readStageEvent(subject: string, data: Uint8Array): StageEvent {
  if (data.byteLength > MAX_EVENT_BYTES) throw new Error(`${data.byteLength} bytes, more than ${MAX_EVENT_BYTES}`);
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data));
  } catch {
    throw new Error('not JSON');
  }
  const event = parseStageEvent(raw);
  const expected = stageEventSubject(event.namespace, event.episode, event.stage);
  if (subject !== expected) throw new Error(`published on ${subject.slice(0, 300)}, not on its episode's subject ${expected}`);
  return event;
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
          ...natsAuth(process.env),
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
      event = readStageEvent(message.subject, message.data);
    } catch (error) {
      this.options.log('warn', 'dropped a malformed stage event', {
        subject: message.subject.slice(0, 300),
        seq: message.seq,
        error: (error as Error).message,
      });
      // Without a reason: "+TERM <reason>" is understood from nats-server 2.10 only.
      message.term();
      return;
    }
    this.options.onMessage({
      event,
      ack: () => message.ack(),
      nak: (delayMs) => message.nak(delayMs),
      term: () => message.term(),
    });
  }
}
