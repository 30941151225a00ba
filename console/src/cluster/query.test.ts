import { describe, expect, it } from 'vitest';
import { decodeContinue, queryPage } from './query.ts';

const items = ['b', 'a', 'c', 'd'].map((name, i) => ({
  namespace: i % 2 ? 'x' : 'y',
  name,
  createdAt: `2026-01-0${i + 1}`,
  phase: i ? 'Running' : 'Failed',
  topic: `Topic ${name}`,
}));

describe('queryPage', () => {
  it('filters, sorts and pages with a continue token', () => {
    const first = queryPage(items, { sort: 'name', limit: 2 });
    expect(first.items.map((i) => i.name)).toEqual(['a', 'b']);
    expect(first.total).toBe(4);
    expect(queryPage(items, { sort: 'name', limit: 2, continue: first.continue }).items.map((i) => i.name)).toEqual(['c', 'd']);
    expect(queryPage(items, { sort: '-created' }).items[0].name).toBe('d');
    expect(queryPage(items, { phase: 'Failed' }).items.map((i) => i.name)).toEqual(['b']);
    expect(queryPage(items, { namespace: 'x', q: 'TOPIC' }).total).toBe(2);
    expect(() => decodeContinue('nonsense')).toThrow(/^continue:/);
  });
});
