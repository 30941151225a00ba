import { describe, expect, it } from 'vitest';
import { ChangeLog } from './changes.ts';

const change = (name: string) => ({ kind: 'Episode' as const, type: 'update' as const, namespace: 'ns', name, data: {} });

describe('ChangeLog', () => {
  it('replays what came after a Last-Event-ID, and resets for an unknown epoch or a lost history', () => {
    const log = new ChangeLog({ capacity: 3, epoch: 'e1' });
    const first = log.append(change('a'));
    log.append(change('b'));
    log.append(change('c'));
    expect((log.since(first.id) as { name: string }[]).map((c) => c.name)).toEqual(['b', 'c']);
    expect(log.since(log.lastId)).toEqual([]);
    log.append(change('d'));
    log.append(change('e'));
    expect(log.since(first.id)).toBe('reset');
    expect(log.since('e2.1')).toBe('reset');
    expect(log.since('e1.99')).toBe('reset');
    expect(log.since('garbage')).toBe('reset');
  });
});
