import { describe, expect, it } from 'vitest';
import { LabelSelectorError, matchesLabels, parseLabelSelector } from './selector.ts';

describe('parseLabelSelector', () => {
  it('reads equality- and set-based requirements as kubectl -l takes them', () => {
    expect(parseLabelSelector('tier=gold, env==prod,acog.dev/origin!=pulse,team in (a, b),x notin (c),urgent,!draft')).toEqual([
      { key: 'tier', operator: 'in', values: ['gold'] },
      { key: 'env', operator: 'in', values: ['prod'] },
      { key: 'acog.dev/origin', operator: 'notin', values: ['pulse'] },
      { key: 'team', operator: 'in', values: ['a', 'b'] },
      { key: 'x', operator: 'notin', values: ['c'] },
      { key: 'urgent', operator: 'exists', values: [] },
      { key: 'draft', operator: '!', values: [] },
    ]);
    expect(parseLabelSelector('  ')).toEqual([]);
    expect(parseLabelSelector('k=')).toEqual([{ key: 'k', operator: 'in', values: [''] }]);
  });

  it('names the requirement that is wrong', () => {
    expect(() => parseLabelSelector('a=b,,c')).toThrow(LabelSelectorError);
    expect(() => parseLabelSelector('bad key=x')).toThrow(/"bad key=x"/);
    expect(() => parseLabelSelector('k=has space')).toThrow(/"k=has space"/);
    expect(() => parseLabelSelector('k=' + 'v'.repeat(64))).toThrow(/not a label value/);
    expect(() => parseLabelSelector('-k=v')).toThrow(/not a label key/);
  });
});

describe('matchesLabels', () => {
  it('follows Kubernetes: != and notin match an object without the key', () => {
    const labels = { tier: 'gold', env: 'prod' };
    expect(matchesLabels(parseLabelSelector('tier=gold,env in (prod,dev)'), labels)).toBe(true);
    expect(matchesLabels(parseLabelSelector('tier=silver'), labels)).toBe(false);
    expect(matchesLabels(parseLabelSelector('team!=a,team notin (b)'), labels)).toBe(true);
    expect(matchesLabels(parseLabelSelector('tier!=gold'), labels)).toBe(false);
    expect(matchesLabels(parseLabelSelector('!tier'), labels)).toBe(false);
    expect(matchesLabels(parseLabelSelector('!team,env'), labels)).toBe(true);
    expect(matchesLabels(parseLabelSelector('env'), undefined)).toBe(false);
  });
});
