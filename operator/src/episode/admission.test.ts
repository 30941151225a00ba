import { describe, expect, it } from 'vitest';
import { RESERVATION_MS, StageAdmission, waitingForSlotMessage } from './admission.ts';

function admission(slots: number, clock = { ms: 0 }) {
  const woken: string[] = [];
  const gate = new StageAdmission({ slots, wake: (key) => woken.push(key), now: () => clock.ms });
  return { gate, woken, clock };
}

describe('StageAdmission', () => {
  it('admits everything with no cap (0) and keeps no line', () => {
    const { gate } = admission(0);
    expect(gate.admit('a/e1', 0, ['j1', 'j2', 'j3']).admitted).toEqual(['j1', 'j2', 'j3']);
    gate.running('a', 'j4');
    expect(gate.holding('a')).toBe(0);
    expect(gate.isWaiting('a/e1')).toBe(false);
  });

  it('admits up to the cap, then puts the Episode in line with what it could not start', () => {
    const { gate } = admission(2);
    expect(gate.admit('a/e1', 0, ['e1-plan'])).toEqual({ admitted: ['e1-plan'], waiting: [] });
    expect(gate.admit('a/e2', 0, ['e2-plan'])).toEqual({ admitted: ['e2-plan'], waiting: [] });
    expect(gate.admit('a/e3', 0, ['e3-plan'])).toEqual({ admitted: [], waiting: ['e3-plan'] });
    expect(gate.holding('a')).toBe(2);
    expect(gate.isWaiting('a/e3')).toBe(true);
    expect(gate.waitingIn('a')).toBe(1);
  });

  it('counts each parallel stage of one Episode, and admits part of them when that is all there is', () => {
    const { gate } = admission(3);
    gate.running('a', 'other');
    expect(gate.admit('a/e1', 3, ['meta', 'voice', 'broll'])).toEqual({ admitted: ['meta', 'voice'], waiting: ['broll'] });
    expect(gate.isWaiting('a/e1')).toBe(true);
    // Asked again with the two now running: they are its own, and broll still waits.
    expect(gate.admit('a/e1', 3, ['broll'])).toEqual({ admitted: [], waiting: ['broll'] });
    gate.release('a', 'other');
    expect(gate.admit('a/e1', 3, ['broll'])).toEqual({ admitted: ['broll'], waiting: [] });
    expect(gate.isWaiting('a/e1')).toBe(false);
  });

  it('a Job asked for again (its create is retried) keeps its one slot', () => {
    const { gate } = admission(1);
    expect(gate.admit('a/e1', 0, ['j1']).admitted).toEqual(['j1']);
    gate.running('a', 'j1');
    expect(gate.admit('a/e1', 0, ['j1']).admitted).toEqual(['j1']);
    expect(gate.holding('a')).toBe(1);
  });

  it('wakes the Episode furthest along when a slot frees, then equal progress first come first served', () => {
    const { gate, woken } = admission(1);
    gate.admit('a/running', 0, ['r']);
    gate.admit('a/new-early', 0, ['x1']);
    gate.admit('a/new-late', 0, ['x2']);
    gate.admit('a/far-along', 5, ['x3']);
    gate.admit('a/middle', 2, ['x4']);
    expect(woken).toEqual([]);
    gate.release('a', 'r');
    expect(woken).toEqual(['a/far-along']);
    // Someone else asks before the woken one: the slot is kept for the one that goes first.
    expect(gate.admit('a/new-early', 0, ['x1']).admitted).toEqual([]);
    expect(gate.admit('a/far-along', 5, ['x3']).admitted).toEqual(['x3']);
    gate.release('a', 'x3');
    expect(woken.at(-1)).toBe('a/middle');
    expect(gate.admit('a/middle', 2, ['x4']).admitted).toEqual(['x4']);
    gate.release('a', 'x4');
    expect(woken.at(-1)).toBe('a/new-early');
    expect(gate.admit('a/new-late', 0, ['x2']).admitted).toEqual([]);
    expect(gate.admit('a/new-early', 0, ['x1']).admitted).toEqual(['x1']);
  });

  it('an Episode not in line that ties with one waiting goes after it; a further one goes before', () => {
    const { gate } = admission(1);
    gate.admit('a/holder', 0, ['h']);
    gate.admit('a/waiting', 1, ['w']);
    gate.release('a', 'h');
    // A hand-off of equal progress came later: the waiter first.
    expect(gate.admit('a/handoff', 1, ['n']).admitted).toEqual([]);
    // One further along goes first even though it came last.
    expect(gate.admit('a/ahead', 4, ['z']).admitted).toEqual(['z']);
  });

  it('a hand-off takes the slot of its own finished stage before the line, and a slot it leaves goes to the line', () => {
    const { gate, woken } = admission(2);
    gate.admit('a/e1', 0, ['e1-plan']);
    gate.admit('a/e2', 0, ['e2-plan']);
    gate.admit('a/e3', 0, ['e3-plan']);
    expect(gate.admit('a/e1', 1, ['e1-script'], ['e1-plan']).admitted).toEqual(['e1-script']);
    expect(woken).toEqual([]);
    // Its last stage finished: nothing more to start, the slot goes to the one first in line.
    expect(gate.admit('a/e2', 1, [], ['e2-plan'])).toEqual({ admitted: [], waiting: [] });
    expect(woken).toEqual(['a/e3']);
  });

  it('gives each namespace its own slots: a burst in one never holds back another', () => {
    const { gate } = admission(2);
    for (let i = 0; i < 1000; i++) gate.admit(`burst/e${i}`, 0, [`b${i}`]);
    expect(gate.holding('burst')).toBe(2);
    expect(gate.waitingIn('burst')).toBe(998);
    expect(gate.admit('single/only', 0, ['s1']).admitted).toEqual(['s1']);
    expect(gate.waitingIn('single')).toBe(0);
  });

  it('wakes as many waiters as slots freed, first in line first', () => {
    const { gate, woken } = admission(3);
    for (const job of ['r1', 'r2', 'r3']) gate.admit(`a/${job}`, 0, [job]);
    gate.admit('a/w1', 1, ['w1']);
    gate.admit('a/w2', 0, ['w2']);
    gate.admit('a/w3', 2, ['w3']);
    gate.release('a', 'r1');
    gate.release('a', 'r2');
    expect(woken).toEqual(['a/w3', 'a/w3', 'a/w1']);
    // Woken out of order (two workers): the second in line still gets the second free slot.
    expect(gate.admit('a/w1', 1, ['w1']).admitted).toEqual(['w1']);
    expect(gate.admit('a/w3', 2, ['w3']).admitted).toEqual(['w3']);
    expect(gate.admit('a/w2', 0, ['w2']).admitted).toEqual([]);
  });

  it('a waiter that leaves (suspended, deleted, failed) gives its claim to the next, who is woken', () => {
    const { gate, woken } = admission(1);
    gate.admit('a/holder', 0, ['h']);
    gate.admit('a/first', 3, ['f']);
    gate.admit('a/second', 1, ['s']);
    gate.release('a', 'h');
    expect(woken).toEqual(['a/first']);
    gate.leave('a/first');
    expect(woken).toEqual(['a/first', 'a/second']);
    expect(gate.admit('a/second', 1, ['s']).admitted).toEqual(['s']);
    // An Episode that wants nothing now leaves the line too.
    gate.admit('a/third', 0, ['t']);
    expect(gate.isWaiting('a/third')).toBe(true);
    gate.admit('a/third', 0, []);
    expect(gate.isWaiting('a/third')).toBe(false);
  });

  it('a denied Episode wakes those ahead of it when slots are free for them', () => {
    const { gate, woken } = admission(1);
    gate.admit('a/holder', 0, ['h']);
    gate.admit('a/waiter', 2, ['w']);
    gate.running('a', 'h');
    // The Job's finish was missed (e.g. a reservation expired); a later ask notices the free slot.
    gate.release('a', 'h');
    woken.length = 0;
    expect(gate.admit('a/late', 0, ['l']).admitted).toEqual([]);
    expect(woken).toEqual(['a/waiter']);
  });

  it('gives back a reservation never seen in the cache after a minute', () => {
    const { gate, woken, clock } = admission(1);
    gate.admit('a/e1', 0, ['j1']);
    gate.admit('a/e2', 0, ['j2']);
    clock.ms = RESERVATION_MS - 1;
    expect(gate.holding('a')).toBe(1);
    clock.ms = RESERVATION_MS + 1;
    expect(gate.holding('a')).toBe(0);
    expect(woken).toEqual(['a/e2']);
    // A Job seen in the cache holds its slot however long it runs.
    expect(gate.admit('a/e2', 0, ['j2']).admitted).toEqual(['j2']);
    gate.running('a', 'j2');
    clock.ms += 10 * RESERVATION_MS;
    expect(gate.holding('a')).toBe(1);
  });

  it('counts Jobs that run without having been admitted here (another replica, before a restart)', () => {
    const { gate } = admission(2);
    gate.running('a', 'old1');
    gate.running('a', 'old2');
    expect(gate.admit('a/e1', 0, ['j1']).admitted).toEqual([]);
    gate.release('a', 'old1');
    expect(gate.admit('a/e1', 0, ['j1']).admitted).toEqual(['j1']);
  });

  it('refuses a negative or fractional cap', () => {
    expect(() => admission(-1)).toThrow(/stage slots must be a whole number from 0/);
    expect(() => admission(1.5)).toThrow(/stage slots must be a whole number from 0/);
  });

  it('words the wait the same for as long as it lasts', () => {
    expect(waitingForSlotMessage('team-a', 20)).toBe(
      "waiting for a stage slot: 20 of 20 running in namespace team-a; it starts when one finishes, Episodes furthest along first (the operator's --stage-slots)",
    );
  });
});
