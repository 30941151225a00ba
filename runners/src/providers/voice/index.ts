// The voice a Channel asks for: espeak-ng on the runner unless a paid service is configured.
import type { VoiceProvider } from '@acog/api';
import { ProviderConfigError } from '../types.ts';
import { createElevenLabsVoice } from './elevenlabs.ts';
import { createEspeakVoice } from './espeak.ts';
import { createOpenAiVoice } from './openai.ts';
import type { Voice } from './types.ts';

export function createVoice(spec: VoiceProvider | undefined): Voice {
  const provider = spec?.provider ?? 'espeak';
  if (!spec || provider === 'espeak') return createEspeakVoice(spec);
  if (provider === 'elevenlabs') return createElevenLabsVoice(spec);
  if (provider === 'openai') return createOpenAiVoice(spec);
  throw new ProviderConfigError(`unknown voice provider '${String(provider)}': choose espeak, elevenlabs or openai`);
}
