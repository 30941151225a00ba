// The one retry helper: bounded attempts, exponential backoff with full jitter, and a server's
// Retry-After honoured when it asks for longer. Used by the runners' provider clients and by the
// informers and work queues. No dependencies, so a runner loads it without the Kubernetes client.

export interface RetryOptions {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Backoff before the second attempt, doubled for each further one. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Decides whether an error is worth another attempt. */
  retryable: (error: unknown) => boolean;
  /** Called before each wait, e.g. to log. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  signal?: AbortSignal;
  /** A server that asks for a longer wait than this is not waited for: the error is thrown. */
  maxRetryAfterMs?: number;
  /** For tests: the random source of the jitter. */
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** An error that says how long the server wants us to wait (HTTP 429/503 Retry-After). */
export interface RetryAfter {
  retryAfterMs?: number;
}

export const DEFAULT_RETRY: Omit<RetryOptions, 'retryable'> = { attempts: 5, baseDelayMs: 500, maxDelayMs: 30_000 };

/** Full jitter below an exponential ceiling; at least what the server asked for with Retry-After. */
export function backoffDelay(
  attempt: number,
  options: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'>,
  error?: unknown,
): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  const jittered = Math.round((options.random ?? Math.random)() * ceiling);
  const asked = (error as RetryAfter | undefined)?.retryAfterMs;
  return typeof asked === 'number' ? Math.max(asked, jittered) : jittered;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export async function withRetry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const wait = options.sleep ?? sleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt >= options.attempts || !options.retryable(error) || options.signal?.aborted) throw error;
      const delay = backoffDelay(attempt, options, error);
      if (delay > (options.maxRetryAfterMs ?? 120_000)) throw error;
      options.onRetry?.(error, attempt, delay);
      await wait(delay, options.signal);
    }
  }
}
