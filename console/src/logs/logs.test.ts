import { describe, expect, it } from 'vitest';
import { labelValue } from '@acog/api';
import { podSelector } from './logs.ts';

describe('podSelector', () => {
  it('selects by the label values the Job builder gives: a long name shortened as labelValue does', () => {
    expect(podSelector({ episode: 'short', stage: 'plan', attempt: 2 })).toBe(
      'acog.dev/episode=short,acog.dev/stage=plan,acog.dev/attempt=2',
    );
    const long = `how-${'database-indexes-'.repeat(5)}work`;
    const selector = podSelector({ episode: long, stage: 'voice', attempt: 1 });
    expect(selector).toBe(`acog.dev/episode=${labelValue(long)},acog.dev/stage=voice,acog.dev/attempt=1`);
    expect(labelValue(long)).toHaveLength(63);
    expect(labelValue(long)).toMatch(/^how-database-indexes-.*-[0-9a-f]{8}$/);
  });
});
