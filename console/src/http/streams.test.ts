import { describe, expect, it } from 'vitest';
import { StreamSlots } from './streams.ts';

describe('StreamSlots', () => {
  it('gives slots up to the limits in all and per user, and takes them back once', () => {
    const slots = new StreamSlots({ maxStreams: 3, maxStreamsPerUser: 2 });
    const a1 = slots.acquire('a');
    const a2 = slots.acquire('a');
    expect(slots.acquire('a')).toEqual({ refused: expect.stringMatching(/user "a" has 2 event streams open/) });
    const b1 = slots.acquire('b');
    expect(slots.acquire('c')).toEqual({ refused: expect.stringMatching(/3 event streams open, its limit/) });
    if ('release' in a1) {
      a1.release();
      a1.release();
    }
    expect(slots.open).toBe(2);
    expect('release' in slots.acquire('a')).toBe(true);
    expect([a2, b1].every((slot) => 'release' in slot)).toBe(true);
  });
});
