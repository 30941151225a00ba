import { describe, expect, it } from 'vitest';
import type { Channel, Episode } from '@acog/api';
import { archiveRecord, finishedAt, retentionCutoff, ttlDecision } from './policy.ts';

const episode = (status: Episode['status'], extra: Partial<Episode['metadata']> = {}): Episode =>
  ({
    apiVersion: 'acog.dev/v1alpha1',
    kind: 'Episode',
    metadata: {
      name: 'how-indexes-work',
      namespace: 'studio',
      uid: 'u-1',
      resourceVersion: '42',
      creationTimestamp: '2026-12-01T08:00:00Z',
      labels: { tier: 'gold' },
      managedFields: [{ manager: 'kubectl' }],
      ...extra,
    },
    spec: { channelRef: { name: 'engineering' }, topic: 'How database indexes work' },
    status,
  }) as unknown as Episode;
const channel = (archive?: Channel['spec']['archive']): Channel =>
  ({ metadata: { name: 'engineering' }, spec: { archive } }) as unknown as Channel;

describe('archiveRecord', () => {
  it('keeps the whole Episode but the API server bookkeeping, and the columns history filters on', () => {
    const record = archiveRecord(
      episode({
        phase: 'Succeeded',
        finishedAt: '2026-12-01T09:00:00Z',
        totalCostUSD: 1.5,
        youtube: { videoId: 'abc', url: 'https://youtu.be/abc' },
      }),
    );
    expect(record).toMatchObject({
      uid: 'u-1',
      namespace: 'studio',
      channel: 'engineering',
      phase: 'Succeeded',
      labels: { tier: 'gold' },
      totalCostUSD: 1.5,
      videoId: 'abc',
      resourceVersion: '42',
      finishedAt: '2026-12-01T09:00:00.000Z',
      createdAt: '2026-12-01T08:00:00.000Z',
    });
    expect((record.object as Episode).metadata).not.toHaveProperty('managedFields');
    expect((record.object as Episode).spec.topic).toBe('How database indexes work');
    expect(() => archiveRecord(episode({ phase: 'Running' }))).toThrow(/has not finished/);
  });

  it('takes the last stage finish when status.finishedAt is missing', () => {
    const stages = [
      { name: 'plan', phase: 'Succeeded', finishedAt: '2026-12-01T08:10:00Z' },
      { name: 'script', phase: 'Failed', finishedAt: '2026-12-01T08:20:00Z' },
    ] as NonNullable<Episode['status']>['stages'];
    expect(finishedAt(episode({ phase: 'Failed', stages })).toISOString()).toBe('2026-12-01T08:20:00.000Z');
    expect(finishedAt(episode({ phase: 'Cancelled' })).toISOString()).toBe('2026-12-01T08:00:00.000Z');
  });
});

describe('ttlDecision', () => {
  const finished = episode({ phase: 'Failed', finishedAt: '2026-12-01T09:00:00Z' });
  it('keeps Episodes without a TTL, or unfinished ones', () => {
    expect(ttlDecision(finished, channel(), new Date('2027-01-01T00:00:00Z'))).toEqual({ action: 'keep' });
    expect(ttlDecision(finished, undefined, new Date('2027-01-01T00:00:00Z'))).toEqual({ action: 'keep' });
    expect(ttlDecision(episode({ phase: 'Running' }), channel({ ttlSecondsAfterFinished: 0 }), new Date())).toEqual({ action: 'keep' });
  });
  it('waits until finishedAt + TTL, then deletes', () => {
    const ttl = channel({ ttlSecondsAfterFinished: 3600 });
    expect(ttlDecision(finished, ttl, new Date('2026-12-01T09:59:00Z'))).toEqual({ action: 'wait', delayMs: 60_000 });
    expect(ttlDecision(finished, ttl, new Date('2026-12-01T10:00:00Z'))).toEqual({ action: 'delete' });
    expect(ttlDecision(finished, channel({ ttlSecondsAfterFinished: 0 }), new Date('2026-12-01T09:00:00Z'))).toEqual({ action: 'delete' });
  });
});

describe('retentionCutoff', () => {
  it('is retentionDays before now, and none without it', () => {
    expect(retentionCutoff(channel({ retentionDays: 30 }), new Date('2026-12-31T00:00:00Z'))?.toISOString()).toBe(
      '2026-12-01T00:00:00.000Z',
    );
    expect(retentionCutoff(channel({ ttlSecondsAfterFinished: 10 }), new Date())).toBeUndefined();
  });
});
