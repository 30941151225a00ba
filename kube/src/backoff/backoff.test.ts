import { describe, expect, it } from 'vitest';
import { backoffDelay, withRetry } from './backoff.ts';

const fast = { baseDelayMs: 100, maxDelayMs: 1000, random: () => 1 };

describe('backoffDelay', () => {
  it('doubles up to the maximum', () => {
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(a, fast))).toEqual([100, 200, 400, 800, 1000]);
  });
  it('jitters below the ceiling', () => {
    expect(backoffDelay(3, { ...fast, random: () => 0.25 })).toBe(100);
  });
  it('waits at least as long as Retry-After asks', () => {
    expect(backoffDelay(1, fast, { retryAfterMs: 5000 })).toBe(5000);
  });
});

describe('withRetry', () => {
  it('retries retryable errors until success', async () => {
    const waits: number[] = [];
    let calls = 0;
    const value = await withRetry(
      async () => {
        if (++calls < 3) throw new Error('busy');
        return 'ok';
      },
      { ...fast, attempts: 5, retryable: () => true, sleep: async (ms) => void waits.push(ms) },
    );
    expect(value).toBe('ok');
    expect(waits).toEqual([100, 200]);
  });

  it('gives up after the bounded number of attempts with the last error', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          throw new Error(`failure ${++calls}`);
        },
        { ...fast, attempts: 3, retryable: () => true, sleep: async () => undefined },
      ),
    ).rejects.toThrow('failure 3');
    expect(calls).toBe(3);
  });

  it('does not retry what is not retryable', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new Error('401');
        },
        { ...fast, attempts: 3, retryable: () => false, sleep: async () => undefined },
      ),
    ).rejects.toThrow('401');
    expect(calls).toBe(1);
  });

  it('does not wait longer than maxRetryAfterMs for a server', async () => {
    let calls = 0;
    const error = Object.assign(new Error('quota'), { retryAfterMs: 3_600_000 });
    await expect(
      withRetry(
        async () => {
          calls++;
          throw error;
        },
        { ...fast, attempts: 3, retryable: () => true, maxRetryAfterMs: 60_000, sleep: async () => undefined },
      ),
    ).rejects.toBe(error);
    expect(calls).toBe(1);
  });
});
