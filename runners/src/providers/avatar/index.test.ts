import { describe, expect, it } from 'vitest';
import { ProviderConfigError } from '../types.ts';
import { createAvatar } from './index.ts';

describe('createAvatar', () => {
  it('makes the audiogram unless HeyGen is asked for', () => {
    expect(createAvatar(undefined).name).toBe('audiogram');
    expect(createAvatar({ provider: 'audiogram' }).name).toBe('audiogram');
    expect(createAvatar({ provider: 'heygen', avatarId: 'a' }).name).toBe('heygen');
  });

  it('refuses a provider it does not know', () => {
    expect(() => createAvatar({ provider: 'synthesia' as 'heygen' })).toThrow(ProviderConfigError);
  });
});
