import { describe, expect, it } from 'vitest';
import { createWriter } from './index.ts';

describe('createWriter', () => {
  it('chooses the offline writer unless the spec names openai', () => {
    expect(createWriter(undefined).name).toBe('offline');
    expect(createWriter({ provider: 'offline' }).name).toBe('offline');
    expect(createWriter({ provider: 'openai', model: 'gpt-6-luna' }).name).toBe('openai');
  });

  it('refuses a provider it does not know', () => {
    expect(() => createWriter({ provider: 'claude' as 'openai' })).toThrow('Unknown writer provider "claude": use offline or openai');
  });
});
