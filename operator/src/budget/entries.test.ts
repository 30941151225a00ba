import { describe, expect, it } from 'vitest';
import type { Channel, Episode, EpisodeStatus } from '@acog/api';
import { attemptKey, ledgerPlan } from './entries.ts';

const channel = {
  metadata: { name: 'tech', namespace: 'ns' },
  spec: {
    persona: { name: 'A', tone: 't', audience: 'a' },
    format: { aspectRatio: '16:9', targetDurationSeconds: 60 },
    providers: { llm: { provider: 'openai', model: 'gpt-4o-mini', planModel: 'gpt-4o', secretRef: { name: 'k' } } },
  },
} as unknown as Channel;
const episode = {
  metadata: { name: 'ep', namespace: 'ns', uid: 'u1', creationTimestamp: '2026-12-01T00:00:00Z' },
  spec: { channelRef: { name: 'tech' }, topic: 'T' },
} as unknown as Episode;

describe('ledgerPlan', () => {
  const status: EpisodeStatus = {
    stages: [
      {
        name: 'plan',
        phase: 'Succeeded',
        attempt: 1,
        provider: 'openai',
        usage: { promptTokens: 10 },
        costUSD: 0.5,
        finishedAt: '2026-12-31T23:30:00Z',
      },
      { name: 'script', phase: 'Running', attempt: 3 },
      { name: 'voice', phase: 'Pending', attempt: 1, nextAttemptAt: '2026-12-07T10:00:00Z', finishedAt: '2026-12-07T09:59:00Z' },
    ],
  };

  it("fills in from status what the ledger lacks; earlier and failed attempts are left to result.json; months in the Channel's timezone", () => {
    const plan = ledgerPlan({ episode, channel, timezone: 'Europe/Berlin', status, outcomes: [], recorded: new Set() });
    expect(plan.entries).toEqual([
      {
        namespace: 'ns',
        channel: 'tech',
        episode: 'ep',
        episodeUid: 'u1',
        stage: 'plan',
        attempt: 1,
        finishedAt: new Date('2026-12-31T23:30:00Z'),
        month: '2027-01',
        outcome: 'Succeeded',
        provider: 'openai',
        model: 'gpt-4o',
        usage: { promptTokens: 10 },
        costUSD: 0.5,
      },
    ]);
    expect(plan.unresolved).toEqual([
      { stage: 'script', attempt: 1 },
      { stage: 'script', attempt: 2 },
      { stage: 'voice', attempt: 1 },
    ]);
  });

  it("takes this reconcile's outcomes first and leaves out what is recorded", () => {
    const recorded = new Set([
      attemptKey({ episodeUid: 'u1', stage: 'plan', attempt: 1 }),
      attemptKey({ episodeUid: 'u1', stage: 'script', attempt: 1 }),
    ]);
    const plan = ledgerPlan({
      episode,
      channel,
      timezone: 'UTC',
      status,
      outcomes: [{ stage: 'script', attempt: 2, failure: 'the stage Job failed', at: new Date('2026-12-07T09:00:00Z') }],
      recorded,
    });
    expect(plan.entries).toEqual([
      expect.objectContaining({
        stage: 'script',
        attempt: 2,
        outcome: 'Failed',
        provider: 'openai',
        model: 'gpt-4o-mini',
        costUSD: 0,
        month: '2026-12',
      }),
    ]);
    expect(plan.unresolved).toEqual([{ stage: 'voice', attempt: 1 }]);
  });
});
