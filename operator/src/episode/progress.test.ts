import { describe, expect, it } from 'vitest';
import type { EpisodeStatus } from '@acog/api';
import { episodeProgress } from './progress.ts';

describe('episodeProgress', () => {
  it('is 0 for an Episode not yet looked at or with nothing started', () => {
    expect(episodeProgress(undefined)).toBe(0);
    expect(episodeProgress({})).toBe(0);
    expect(
      episodeProgress({
        stages: [
          { name: 'plan', phase: 'Pending' },
          { name: 'script', phase: 'Blocked' },
        ],
      }),
    ).toBe(0);
  });

  it('grows as the Episode moves along its DAG', () => {
    const planRunning: EpisodeStatus = {
      stages: [
        { name: 'plan', phase: 'Running', attempt: 1 },
        { name: 'script', phase: 'Pending' },
      ],
    };
    const scriptRunning: EpisodeStatus = {
      stages: [
        { name: 'plan', phase: 'Succeeded', attempt: 1 },
        { name: 'script', phase: 'Running', attempt: 1 },
        { name: 'refine', phase: 'Pending' },
      ],
    };
    const fannedOut: EpisodeStatus = {
      stages: [
        { name: 'plan', phase: 'Succeeded', attempt: 1 },
        { name: 'script', phase: 'Succeeded', attempt: 1 },
        { name: 'refine', phase: 'Succeeded', attempt: 1 },
        { name: 'metadata', phase: 'Running', attempt: 1 },
        { name: 'voice', phase: 'Failed', attempt: 1 },
        { name: 'avatar', phase: 'Skipped' },
        { name: 'broll', phase: 'AwaitingApproval' },
        { name: 'assemble', phase: 'Pending' },
      ],
    };
    expect(episodeProgress(planRunning)).toBe(1);
    expect(episodeProgress(scriptRunning)).toBe(2);
    expect(episodeProgress(fannedOut)).toBe(6);
  });
});
