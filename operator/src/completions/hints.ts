// Stage events waiting to be reflected in an Episode's stored status. The reconciler reads them as
// hints (the truth is result.json) and acknowledges each once the status that records it is stored.
import type { StageEvent } from '@acog/api';
import type { CompletionMessage } from './nats.ts';

export class CompletionHints {
  private readonly byEpisode = new Map<string, Map<string, CompletionMessage>>();

  /** Keeps the newest message per stage attempt; an older duplicate is acknowledged at once. */
  add(key: string, message: CompletionMessage): void {
    const attempts = this.byEpisode.get(key) ?? new Map<string, CompletionMessage>();
    this.byEpisode.set(key, attempts);
    const id = `${message.event.stage}/${message.event.attempt}`;
    attempts.get(id)?.ack();
    attempts.set(id, message);
  }

  events(key: string): StageEvent[] {
    return [...(this.byEpisode.get(key)?.values() ?? [])].map((message) => message.event);
  }

  /** Acknowledges the hints `isStored` says are reflected in the stored status. */
  settle(key: string, isStored: (event: StageEvent) => boolean): number {
    const attempts = this.byEpisode.get(key);
    if (!attempts) return 0;
    let settled = 0;
    for (const [id, message] of attempts) {
      if (!isStored(message.event)) continue;
      message.ack();
      attempts.delete(id);
      settled++;
    }
    if (attempts.size === 0) this.byEpisode.delete(key);
    return settled;
  }

  /** The Episode is gone: nothing will ever record these. */
  drop(key: string): void {
    for (const message of this.byEpisode.get(key)?.values() ?? []) message.ack();
    this.byEpisode.delete(key);
  }

  get size(): number {
    let n = 0;
    for (const attempts of this.byEpisode.values()) n += attempts.size;
    return n;
  }
}
