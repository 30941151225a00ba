import { describe, expect, it } from 'vitest';
import type { StageEvent, StageName } from '@acog/api';
import { CompletionHints } from './hints.ts';
import type { CompletionMessage } from './nats.ts';

function message(stage: StageName, attempt: number, uid = 'uid-1') {
  const calls: string[] = [];
  const event: StageEvent = { namespace: 'ns', episode: 'ep', uid, stage, attempt, inputHash: 'h', outcome: 'Succeeded', at: '' };
  const msg: CompletionMessage = {
    event,
    ack: () => calls.push('ack'),
    nak: () => calls.push('nak'),
    term: () => calls.push('term'),
  };
  return { msg, calls };
}

describe('CompletionHints', () => {
  it('keeps the newest message per attempt, acknowledging the older duplicate', () => {
    const hints = new CompletionHints();
    const first = message('plan', 1);
    const again = message('plan', 1);
    hints.add('ns/ep', first.msg);
    hints.add('ns/ep', again.msg);
    expect(first.calls).toEqual(['ack']);
    expect(hints.size).toBe(1);
    expect(hints.settle('ns/ep', () => true)).toBe(1);
    expect(again.calls).toEqual(['ack']);
    expect(hints.size).toBe(0);
  });

  it('terminates what can never be recorded and keeps the rest; a Failed beside a Succeeded displaces nothing', () => {
    const hints = new CompletionHints();
    const current = message('voice', 2);
    const future = message('voice', 9);
    const foreign = message('voice', 2, 'uid-old');
    const forged = message('voice', 2);
    forged.msg.event.outcome = 'Failed';
    for (const m of [current, future, foreign, forged]) hints.add('ns/ep', m.msg);
    const discarded = hints.discard('ns/ep', (event) => event.uid !== 'uid-1' || event.attempt > 3);
    expect(discarded.map((e) => `${e.uid}/${e.attempt}`).sort()).toEqual(['uid-1/9', 'uid-old/2']);
    expect(future.calls).toEqual(['term']);
    expect(foreign.calls).toEqual(['term']);
    expect(current.calls).toEqual([]);
    expect(hints.events('ns/ep').map((e) => `${e.attempt} ${e.outcome}`)).toEqual(['2 Succeeded', '2 Failed']);
    expect(hints.size).toBe(2);
  });

  it('holds at most maxPending hints: beyond, the oldest are terminated', () => {
    const hints = new CompletionHints({ maxPending: 100 });
    const all = Array.from({ length: 1000 }, (_, i) => message('plan', i + 1));
    all.forEach((m, i) => hints.add(`ns/ep-${i % 7}`, m.msg));
    expect(hints.size).toBe(100);
    expect(hints.evicted).toBe(900);
    expect(all.slice(0, 900).every((m) => m.calls.join() === 'term')).toBe(true);
    expect(all.slice(900).every((m) => m.calls.length === 0)).toBe(true);
    // What is left is still settled and dropped as usual, and the count follows.
    hints.drop('ns/ep-0');
    const left = [...Array(7).keys()].reduce((n, i) => n + hints.events(`ns/ep-${i}`).length, 0);
    expect(hints.size).toBe(left);
  });

  it('a repeated delivery moves a hint to the newest end, so it is not the one evicted', () => {
    const hints = new CompletionHints({ maxPending: 2 });
    const a = message('plan', 1);
    const b = message('script', 1);
    hints.add('ns/ep', a.msg);
    hints.add('ns/ep', b.msg);
    const aAgain = message('plan', 1);
    hints.add('ns/ep', aAgain.msg);
    hints.add('ns/ep', message('refine', 1).msg);
    expect(b.calls).toEqual(['term']);
    expect(aAgain.calls).toEqual([]);
    expect(
      hints
        .events('ns/ep')
        .map((e) => e.stage)
        .sort(),
    ).toEqual(['plan', 'refine']);
  });
});
