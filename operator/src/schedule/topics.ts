// Where a scheduled Episode's topic comes from. Today: the next unused entry of schedule.topics.
// Pulse proposals (trending topics waiting for a Channel) are meant to come after them; a source
// is one function, and the sources are asked in order.
import { unusedTopics, type Channel } from '@acog/api';

/** The topic a Channel's next scheduled Episode takes from this source, or undefined when it has none. */
export type TopicSource = (channel: Channel, used: ReadonlySet<string>) => string | undefined;

/** The first entry of spec.schedule.topics not used yet. */
export const scheduleTopics: TopicSource = (channel, used) =>
  channel.spec.schedule ? unusedTopics(channel.spec.schedule, used)[0] : undefined;

/** Asks each source in turn; the first topic found wins. */
export function firstTopic(...sources: TopicSource[]): TopicSource {
  return (channel, used) => {
    for (const source of sources) {
      const topic = source(channel, used);
      if (topic) return topic;
    }
    return undefined;
  };
}
