// The voice a Channel asks for: Piper on the runner (espeak-ng for the languages Piper has no voice
// for) unless espeak-ng itself or a paid service is configured.
import type { VoiceProvider } from '@acog/api';
import { ProviderConfigError } from '../types.ts';
import { createElevenLabsVoice } from './elevenlabs.ts';
import { createEspeakVoice } from './espeak.ts';
import { createOpenAiVoice } from './openai.ts';
import { createPiperVoice } from './piper.ts';
import type { Voice } from './types.ts';

export function createVoice(spec: VoiceProvider | undefined): Voice {
  const provider = spec?.provider ?? 'piper';
  if (!spec || provider === 'piper') return createPiperVoice(spec);
  if (provider === 'espeak') return createEspeakVoice(spec);
  if (provider === 'elevenlabs') return createElevenLabsVoice(spec);
  if (provider === 'openai') return createOpenAiVoice(spec);
  throw new ProviderConfigError(`unknown voice provider '${String(provider)}': choose piper, espeak, elevenlabs or openai`);
}
