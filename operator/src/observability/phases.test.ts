import { describe, expect, it } from 'vitest';
import { PhaseTimer, unionLength } from './phases.ts';

describe('unionLength', () => {
  it('adds disjoint spans and counts overlapping ones once', () => {
    expect(unionLength([])).toBe(0);
    expect(unionLength([[0, 10]])).toBe(10);
    expect(
      unionLength([
        [20, 30],
        [0, 10],
      ]),
    ).toBe(20);
    expect(
      unionLength([
        [0, 10],
        [5, 15],
        [12, 14],
        [30, 31],
      ]),
    ).toBe(16);
    expect(
      unionLength([
        [0, 10],
        [10, 20],
      ]),
    ).toBe(20);
  });
});

describe('PhaseTimer', () => {
  it('times each phase by the wall time its work was in flight, also when the work fails', async () => {
    let clock = 0;
    const timer = new PhaseTimer(() => clock);
    const step = (ms: number) => () => {
      clock += ms;
      return Promise.resolve();
    };
    await timer.time('s3_read', step(7));
    timer.timeSync('planning', () => (clock += 3));
    await expect(
      timer.time('api_write', () => {
        clock += 4;
        return Promise.reject(new Error('conflict'));
      }),
    ).rejects.toThrow('conflict');
    await timer.time('s3_read', step(5));
    expect(timer.totals()).toEqual({ s3_read: 12, planning: 3, api_write: 4 });
  });

  it('counts overlapping work of one phase once', async () => {
    const timer = new PhaseTimer();
    const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const started = performance.now();
    await Promise.all([timer.time('api_write', () => wait(40)), timer.time('api_write', () => wait(40))]);
    const wall = performance.now() - started;
    const total = timer.totals().api_write!;
    expect(total).toBeGreaterThanOrEqual(38);
    expect(total).toBeLessThanOrEqual(wall + 1);
  });
});
