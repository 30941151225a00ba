// A rate-limited work queue in the client-go sense: keys (namespace/name), never objects; a key
// queued twice is processed once; a key being processed is never processed by two workers at
// once (a change meanwhile queues it again for after); failures come back with per-key
// exponential backoff; a bounded number of workers. Optionally a priority per key: workers take
// the highest first (work further along before new work), equal priorities in the order added.
import { backoffDelay } from '../backoff/backoff.ts';
import { OrderedKeys } from './ordered-keys.ts';

export interface WorkQueueOptions {
  name: string;
  workers: number;
  /** First retry delay after a failure, doubled per consecutive failure of the key. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Called with each key's wait in the queue and its processing time. */
  onProcessed?: (outcome: { key: string; waitMs: number; durationMs: number; error?: unknown }) => void;
  onDepth?: (depth: number) => void;
  /**
   * A key's priority, asked each time the key is added (higher goes first; adding a waiting key
   * again may move it up, never down). Without it every key is equal: first in, first out.
   */
  priority?: (key: string) => number;
}

export class WorkQueue {
  private readonly queue = new OrderedKeys();
  /** Keys in the queue, with when they were added (for the latency metric). */
  private readonly queued = new Map<string, number>();
  private readonly processing = new Set<string>();
  /** Keys that changed while being processed: queued again when the worker is done. */
  private readonly dirty = new Set<string>();
  private readonly delayed = new Map<string, { timer: NodeJS.Timeout; at: number }>();
  private readonly failures = new Map<string, number>();
  private readonly options: Required<Omit<WorkQueueOptions, 'onProcessed' | 'onDepth' | 'priority'>> & WorkQueueOptions;
  private handler?: (key: string) => Promise<void>;
  private active = 0;
  private shuttingDown = false;
  private idleWaiters: (() => void)[] = [];

  constructor(options: WorkQueueOptions) {
    this.options = { baseDelayMs: 200, maxDelayMs: 300_000, ...options };
  }

  get depth(): number {
    return this.queue.size;
  }

  /**
   * Queues a key now; a key already queued keeps its place, or moves up when its priority rose.
   * A key being processed is queued again once its worker is done (never two workers on one key).
   */
  add(key: string): void {
    if (this.shuttingDown) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    const added = this.queue.add(key, this.options.priority?.(key) ?? 0);
    if (!added) return;
    this.queued.set(key, Date.now());
    this.options.onDepth?.(this.queue.size);
    this.pump();
  }

  /** Queues a key after a delay; an earlier pending delay for it wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) return this.add(key);
    const at = Date.now() + delayMs;
    const pending = this.delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.delayed.set(key, { timer, at });
  }

  /** Queues a key after its backoff: the delay doubles with each consecutive failure. */
  addRateLimited(key: string): void {
    const failures = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, failures);
    this.addAfter(
      key,
      backoffDelay(failures, { baseDelayMs: this.options.baseDelayMs, maxDelayMs: this.options.maxDelayMs, random: () => 1 }),
    );
  }

  /** Clears a key's failure count after it succeeded. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  failureCount(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  start(handler: (key: string) => Promise<void>): void {
    this.handler = handler;
    this.pump();
  }

  /** Stops taking work; resolves when the workers are done with what they hold. */
  async shutDown(): Promise<void> {
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    this.queue.clear();
    this.queued.clear();
    if (this.active === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Resolves when nothing is queued or being processed (for tests and benchmarks). */
  async idle(): Promise<void> {
    if (this.active === 0 && this.queue.size === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    if (!this.handler) return;
    while (this.active < this.options.workers && this.queue.size > 0) {
      const key = this.queue.shift()!;
      const queuedAt = this.queued.get(key)!;
      this.queued.delete(key);
      this.options.onDepth?.(this.queue.size);
      this.processing.add(key);
      this.active++;
      void this.process(key, queuedAt);
    }
  }

  private async process(key: string, queuedAt: number): Promise<void> {
    const started = Date.now();
    let failure: unknown;
    try {
      await this.handler!(key);
    } catch (error) {
      failure = error;
    }
    this.options.onProcessed?.({ key, waitMs: started - queuedAt, durationMs: Date.now() - started, error: failure });
    this.processing.delete(key);
    this.active--;
    if (failure !== undefined) this.addRateLimited(key);
    if (this.dirty.delete(key)) this.add(key);
    this.pump();
    if (this.active === 0 && this.queue.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
