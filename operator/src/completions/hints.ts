// Stage events waiting to be reflected in an Episode's stored status. The reconciler reads them as
// hints (the truth is the Job and result.json) and acknowledges each once the status that records
// it is stored. A hint that can never be recorded (an older attempt's, one of an attempt that has
// no Job, one of another Episode of the same name) is terminated when the reconciler sees it, and
// at most `maxPending` wait at once: beyond that the oldest are terminated, and their attempts go
// by the Job watch, as when NATS is down. So unacknowledged messages never pile up until the
// consumer's max_ack_pending stalls it, whatever is published.
import type { StageEvent } from '@acog/api';
import type { CompletionMessage } from './nats.ts';

/** Hints held at once by default; far more than the stage attempts a replica runs at a time. */
export const MAX_PENDING_HINTS = 4096;

export class CompletionHints {
  private readonly byEpisode = new Map<string, Map<string, CompletionMessage>>();
  /** Every held hint, oldest first (a Map keeps insertion order): `${key} ${uid}/${stage}/${attempt}/${outcome}`. */
  private readonly order = new Map<string, { key: string; id: string }>();
  private readonly maxPending: number;
  private evictedCount = 0;

  constructor(options: { maxPending?: number } = {}) {
    this.maxPending = Math.max(1, options.maxPending ?? MAX_PENDING_HINTS);
  }

  /**
   * Keeps the newest message per stage attempt and outcome; an older duplicate is acknowledged at
   * once. (Per outcome, so that a forged Failed cannot push out the runner's Succeeded, nor an
   * event of another uid the current one.)
   */
  add(key: string, message: CompletionMessage): void {
    const attempts = this.byEpisode.get(key) ?? new Map<string, CompletionMessage>();
    this.byEpisode.set(key, attempts);
    const { uid, stage, attempt, outcome } = message.event;
    const id = `${uid}/${stage}/${attempt}/${outcome}`;
    attempts.get(id)?.ack();
    attempts.set(id, message);
    const slot = `${key} ${id}`;
    this.order.delete(slot);
    this.order.set(slot, { key, id });
    while (this.order.size > this.maxPending) {
      const [oldest, where] = this.order.entries().next().value!;
      this.remove(where.key, where.id)?.term();
      this.order.delete(oldest);
      this.evictedCount++;
    }
  }

  events(key: string): StageEvent[] {
    return [...(this.byEpisode.get(key)?.values() ?? [])].map((message) => message.event);
  }

  /** Acknowledges the hints `isStored` says are reflected in the stored status. */
  settle(key: string, isStored: (event: StageEvent) => boolean): number {
    return this.release(key, isStored, (message) => message.ack());
  }

  /** Terminates the hints `isUseless` says can never be recorded; returns their events. */
  discard(key: string, isUseless: (event: StageEvent) => boolean): StageEvent[] {
    const discarded: StageEvent[] = [];
    this.release(key, isUseless, (message) => {
      discarded.push(message.event);
      message.term();
    });
    return discarded;
  }

  /** The Episode is gone: nothing will ever record these. */
  drop(key: string): void {
    this.release(
      key,
      () => true,
      (message) => message.ack(),
    );
  }

  get size(): number {
    return this.order.size;
  }

  /** Hints terminated because too many were pending. */
  get evicted(): number {
    return this.evictedCount;
  }

  private release(key: string, matches: (event: StageEvent) => boolean, finish: (message: CompletionMessage) => void): number {
    const attempts = this.byEpisode.get(key);
    if (!attempts) return 0;
    let released = 0;
    for (const [id, message] of [...attempts]) {
      if (!matches(message.event)) continue;
      this.remove(key, id);
      this.order.delete(`${key} ${id}`);
      finish(message);
      released++;
    }
    return released;
  }

  private remove(key: string, id: string): CompletionMessage | undefined {
    const attempts = this.byEpisode.get(key);
    const message = attempts?.get(id);
    attempts?.delete(id);
    if (attempts?.size === 0) this.byEpisode.delete(key);
    return message;
  }
}
