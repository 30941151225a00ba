import { describe, expect, it } from 'vitest';
import type { EpisodeStatus, StageEvent, StageName } from '@acog/api';
import { isRecorded, isUsableEvent } from './reconciler.ts';

const status: EpisodeStatus = {
  phase: 'Running',
  stages: [
    { name: 'plan', phase: 'Succeeded', attempt: 1 },
    { name: 'script', phase: 'Running', attempt: 2 },
    { name: 'refine', phase: 'Pending' },
  ],
};
const event = (stage: StageName, attempt: number, uid = 'uid-1'): StageEvent => ({
  namespace: 'ns',
  episode: 'ep',
  uid,
  stage,
  attempt,
  inputHash: 'h',
  outcome: 'Failed',
  at: '',
});
const jobs = [{ name: 'ep-script-3-abcdef', stage: 'script' as const, attempt: 3, state: 'Active' as const }];

describe('isUsableEvent', () => {
  it('keeps events of the running attempt, of attempts with a Job, and those already recorded (to acknowledge)', () => {
    expect(isUsableEvent(status, [], 'uid-1', event('script', 2))).toBe(true);
    expect(isUsableEvent(status, jobs, 'uid-1', event('script', 3))).toBe(true);
    expect(isUsableEvent(status, [], 'uid-1', event('plan', 1))).toBe(true);
    expect(isRecorded(status, event('plan', 1))).toBe(true);
  });

  it('refuses events of another uid, of attempts far ahead, and of stages that run no attempt', () => {
    expect(isUsableEvent(status, jobs, 'uid-1', event('script', 2, 'uid-0'))).toBe(false);
    expect(isUsableEvent(status, jobs, 'uid-1', event('script', 4))).toBe(false);
    expect(isUsableEvent(status, jobs, 'uid-1', event('script', 1000))).toBe(false);
    expect(isUsableEvent(status, jobs, 'uid-1', event('refine', 1))).toBe(false);
    expect(isUsableEvent(status, jobs, 'uid-1', event('upload', 1))).toBe(false);
    expect(isUsableEvent(status, jobs, 'uid-1', event('plan', 2))).toBe(false);
  });
});
