import { describe, expect, it } from 'vitest';
import { OrderedKeys } from './ordered-keys.ts';

const drain = (keys: OrderedKeys) => {
  const out: string[] = [];
  for (let key = keys.shift(); key !== undefined; key = keys.shift()) out.push(key);
  return out;
};

describe('OrderedKeys', () => {
  it('is first in, first out when every key has the same priority', () => {
    const keys = new OrderedKeys();
    for (const key of ['c', 'a', 'd', 'b']) keys.add(key);
    expect(drain(keys)).toEqual(['c', 'a', 'd', 'b']);
  });

  it('gives the highest priority first, equal priorities in the order added', () => {
    const keys = new OrderedKeys();
    keys.add('new-1', 0);
    keys.add('far-1', 5);
    keys.add('mid-1', 2);
    keys.add('new-2', 0);
    keys.add('far-2', 5);
    keys.add('mid-2', 2);
    expect(drain(keys)).toEqual(['far-1', 'far-2', 'mid-1', 'mid-2', 'new-1', 'new-2']);
  });

  it('holds a key once: adding it again at the same or a lower priority changes nothing', () => {
    const keys = new OrderedKeys();
    expect(keys.add('a', 3)).toBe(true);
    expect(keys.add('b', 3)).toBe(true);
    expect(keys.add('a', 3)).toBe(false);
    expect(keys.add('a', 1)).toBe(false);
    expect(keys.size).toBe(2);
    expect(drain(keys)).toEqual(['a', 'b']);
    expect(keys.size).toBe(0);
  });

  it('moves a key up when it is added again with a higher priority, ahead of later peers only', () => {
    const keys = new OrderedKeys();
    keys.add('a', 1);
    keys.add('b', 0);
    keys.add('c', 2);
    keys.add('d', 2);
    // b was added before c and d: raised to their priority it goes first among them.
    expect(keys.add('b', 2)).toBe(false);
    expect(keys.size).toBe(4);
    expect(drain(keys)).toEqual(['b', 'c', 'd', 'a']);
  });

  it('keeps its order through many interleaved adds and shifts', () => {
    const keys = new OrderedKeys();
    const expected: string[] = [];
    const model = new Map<string, { priority: number; order: number }>();
    let order = 0;
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let round = 0; round < 2000; round++) {
      if (random() < 0.6) {
        const key = `k${Math.floor(random() * 50)}`;
        const priority = Math.floor(random() * 4);
        const held = model.get(key);
        keys.add(key, priority);
        if (!held) model.set(key, { priority, order: order++ });
        else if (priority > held.priority) held.priority = priority;
      } else {
        const next = [...model.entries()].sort(([, a], [, b]) => b.priority - a.priority || a.order - b.order)[0]?.[0];
        expected.push(String(next));
        if (next) model.delete(next);
        const got = keys.shift();
        expect(String(got)).toBe(expected.at(-1));
      }
      expect(keys.size).toBe(model.size);
    }
  });
});
