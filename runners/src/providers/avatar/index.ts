// The presenter a Channel asks for: the offline audiogram unless HeyGen is configured.
import type { AvatarProvider } from '@acog/api';
import { ProviderConfigError } from '../types.ts';
import { createAudiogramAvatar, type AudiogramOptions } from './audiogram.ts';
import { createHeyGenAvatar, type HeyGenAvatarOptions } from './heygen.ts';
import type { Avatar } from './types.ts';

/** Options of every avatar provider in one object; each reads its own. */
export type AvatarOptions = AudiogramOptions & HeyGenAvatarOptions;

export function createAvatar(spec: AvatarProvider | undefined, options: AvatarOptions = {}): Avatar {
  const provider = spec?.provider ?? 'audiogram';
  if (provider === 'audiogram') return createAudiogramAvatar(spec, options);
  if (provider === 'heygen') return createHeyGenAvatar(spec as AvatarProvider, options);
  throw new ProviderConfigError(`unknown avatar provider '${String(provider)}': choose audiogram or heygen`);
}
