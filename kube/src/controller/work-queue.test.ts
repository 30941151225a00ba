import { describe, expect, it } from 'vitest';
import { WorkQueue } from './work-queue.ts';

const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

describe('WorkQueue', () => {
  it('processes a key queued many times once', async () => {
    const queue = new WorkQueue({ name: 't', workers: 2 });
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) queue.add('a');
    queue.add('b');
    queue.start(async (key) => void seen.push(key));
    await queue.idle();
    expect(seen.sort()).toEqual(['a', 'b']);
  });

  it('never gives one key to two workers; a change meanwhile runs it again after', async () => {
    const queue = new WorkQueue({ name: 't', workers: 4 });
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    queue.start(async () => {
      active++;
      runs++;
      maxActive = Math.max(maxActive, active);
      await tick(20);
      active--;
    });
    queue.add('a');
    await tick();
    queue.add('a');
    queue.add('a');
    await tick(100);
    await queue.idle();
    expect(maxActive).toBe(1);
    expect(runs).toBe(2);
  });

  it('bounds the workers', async () => {
    const queue = new WorkQueue({ name: 't', workers: 3 });
    let active = 0;
    let maxActive = 0;
    queue.start(async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await tick(10);
      active--;
    });
    for (let i = 0; i < 20; i++) queue.add(`k${i}`);
    await queue.idle();
    expect(maxActive).toBe(3);
  });

  it('retries a failing key with growing delays, and forgets them after a success', async () => {
    const queue = new WorkQueue({ name: 't', workers: 1, baseDelayMs: 20, maxDelayMs: 1000 });
    const times: number[] = [];
    queue.start(async (key) => {
      times.push(Date.now());
      if (times.length < 4) throw new Error('not yet');
      queue.forget(key);
    });
    queue.add('a');
    while (times.length < 4) await tick(10);
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    expect(gaps[0]).toBeGreaterThanOrEqual(18);
    expect(gaps[1]).toBeGreaterThanOrEqual(38);
    expect(gaps[2]).toBeGreaterThanOrEqual(78);
    expect(queue.failureCount('a')).toBe(0);
  });

  it('addAfter keeps the earliest pending delay', async () => {
    const queue = new WorkQueue({ name: 't', workers: 1 });
    const seen: number[] = [];
    const start = Date.now();
    queue.start(async () => void seen.push(Date.now() - start));
    queue.addAfter('a', 200);
    queue.addAfter('a', 30);
    queue.addAfter('a', 500);
    await tick(300);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeLessThan(150);
  });

  it('reports depth and how long keys waited', async () => {
    const depths: number[] = [];
    const waits: number[] = [];
    const queue = new WorkQueue({ name: 't', workers: 1, onDepth: (d) => depths.push(d), onProcessed: ({ waitMs }) => waits.push(waitMs) });
    queue.add('a');
    queue.add('b');
    await tick(20);
    queue.start(async () => undefined);
    await queue.idle();
    expect(Math.max(...depths)).toBe(2);
    expect(waits[0]).toBeGreaterThanOrEqual(15);
  });
});

describe('WorkQueue with priorities', () => {
  it('gives workers the key of highest priority first, equal ones in the order added', async () => {
    const priorities: Record<string, number> = { new1: 0, new2: 0, far: 6, mid: 3 };
    const queue = new WorkQueue({ name: 't', workers: 1, priority: (key) => priorities[key] });
    for (const key of ['new1', 'mid', 'new2', 'far']) queue.add(key);
    const seen: string[] = [];
    queue.start(async (key) => void seen.push(key));
    await queue.idle();
    expect(seen).toEqual(['far', 'mid', 'new1', 'new2']);
  });

  it('moves a waiting key up when its priority rose, and still processes it once', async () => {
    const priorities: Record<string, number> = { a: 0, b: 0, c: 0 };
    const queue = new WorkQueue({ name: 't', workers: 1, priority: (key) => priorities[key] });
    for (const key of ['a', 'b', 'c']) queue.add(key);
    priorities.c = 2;
    queue.add('c');
    expect(queue.depth).toBe(3);
    const seen: string[] = [];
    queue.start(async (key) => void seen.push(key));
    await queue.idle();
    expect(seen).toEqual(['c', 'a', 'b']);
  });

  it('keeps per-key ordering: a key added while processed runs again after, never beside itself', async () => {
    const priorities: Record<string, number> = { hot: 5, cold: 0 };
    const queue = new WorkQueue({ name: 't', workers: 2, priority: (key) => priorities[key] });
    const log: string[] = [];
    let active = 0;
    let maxActiveHot = 0;
    queue.start(async (key) => {
      if (key === 'hot') maxActiveHot = Math.max(maxActiveHot, ++active);
      log.push(`start ${key}`);
      await tick(20);
      log.push(`end ${key}`);
      if (key === 'hot') active--;
    });
    queue.add('hot');
    await tick();
    queue.add('hot');
    queue.add('hot');
    queue.add('cold');
    await queue.idle();
    expect(maxActiveHot).toBe(1);
    expect(log.filter((line) => line.endsWith('hot'))).toEqual(['start hot', 'end hot', 'start hot', 'end hot']);
    expect(log).toContain('start cold');
  });

  it('reports the wait from the first add even when a raise moved the key up', async () => {
    const waits: Record<string, number> = {};
    const priorities: Record<string, number> = { a: 0 };
    const queue = new WorkQueue({
      name: 't',
      workers: 1,
      priority: (key) => priorities[key],
      onProcessed: ({ key, waitMs }) => (waits[key] = waitMs),
    });
    queue.add('a');
    await tick(30);
    priorities.a = 1;
    queue.add('a');
    queue.start(async () => undefined);
    await queue.idle();
    expect(waits.a).toBeGreaterThanOrEqual(25);
  });
});
