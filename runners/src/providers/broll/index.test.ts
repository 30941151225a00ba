import { describe, expect, it } from 'vitest';
import { ProviderConfigError } from '../types.ts';
import { createBrollSource } from './index.ts';

describe('createBrollSource', () => {
  it('makes motion graphics unless a stock or generating service is asked for', () => {
    expect(createBrollSource(undefined).name).toBe('motion-graphics');
    expect(createBrollSource({ provider: 'motion-graphics', clipSeconds: 4 }).name).toBe('motion-graphics');
    expect(createBrollSource({ provider: 'pexels' }).name).toBe('pexels');
    expect(createBrollSource({ provider: 'runway', model: 'gen4.5' }).name).toBe('runway');
  });

  it('refuses a provider it does not know', () => {
    expect(() => createBrollSource({ provider: 'pixabay' as 'pexels' })).toThrow(ProviderConfigError);
  });
});
