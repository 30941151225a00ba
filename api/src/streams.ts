// The JetStream streams ACOG uses, defined once beside their subjects (stage-contract.ts), and the
// one way every part makes sure a stream exists. The manager is typed by what this needs of
// @nats-io/jetstream's JetStreamManager, so @acog/api does not depend on the NATS client.
import { EVENTS_STREAM, EVENTS_SUBJECTS, WEBHOOKS_STREAM, WEBHOOKS_SUBJECTS } from './stage-contract.ts';

const SECOND_NS = 1_000_000_000;
const DAY_NS = 24 * 3600 * SECOND_NS;

export interface StreamDefinition {
  name: string;
  subjects: string[];
  /** Nanoseconds within which a repeated message id is refused. */
  duplicate_window: number;
  /** Nanoseconds a message is kept. */
  max_age: number;
}

/** Stage events: one per attempt (message id <uid>/<stage>/<attempt>), deduplicated over two minutes, kept a day. */
export const EVENTS_STREAM_DEFINITION: StreamDefinition = {
  name: EVENTS_STREAM,
  subjects: [EVENTS_SUBJECTS],
  duplicate_window: 120 * SECOND_NS,
  max_age: DAY_NS,
};

/** Verified provider callbacks: kept a week so that a runner that subscribes late still finds its
 * video's event; the day-long duplicate window refuses replays. */
export const WEBHOOKS_STREAM_DEFINITION: StreamDefinition = {
  name: WEBHOOKS_STREAM,
  subjects: [WEBHOOKS_SUBJECTS],
  duplicate_window: DAY_NS,
  max_age: 7 * DAY_NS,
};

export interface StreamManager {
  streams: {
    info(name: string): Promise<unknown>;
    add(config: StreamDefinition): Promise<unknown>;
    update(name: string, config: Omit<StreamDefinition, 'name'>): Promise<unknown>;
  };
}

/**
 * Creates the stream when it is absent, and brings its limits to the definition when it exists
 * (a stream made by an older version). Two processes creating it at once is harmless.
 */
export async function ensureStream(manager: StreamManager, definition: StreamDefinition): Promise<void> {
  const { name, ...config } = definition;
  try {
    await manager.streams.info(name);
  } catch (error) {
    if (!/not found/i.test((error as Error).message)) throw error;
    await manager.streams.add(definition).catch((added: Error) => {
      if (!/already in use|already exists/i.test(added.message)) throw added;
    });
    return;
  }
  await manager.streams.update(name, config);
}
