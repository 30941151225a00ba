// Chooses the writer a Channel (or an Episode's override) asks for; offline when none is named.
import type { LlmProvider } from '@acog/api';
import { createOfflineWriter } from './offline/index.ts';
import { createOpenAiWriter, type OpenAiWriterOptions } from './openai.ts';
import type { Writer } from './types.ts';

export function createWriter(spec: LlmProvider | undefined, options: OpenAiWriterOptions = {}): Writer {
  const provider = spec?.provider ?? 'offline';
  switch (provider) {
    case 'offline':
      return createOfflineWriter();
    case 'openai':
      return createOpenAiWriter(spec!, options);
    default:
      throw new Error(`Unknown writer provider "${String(provider)}": use offline or openai`);
  }
}

export { createOfflineWriter } from './offline/index.ts';
export { createOpenAiWriter, type OpenAiWriterOptions } from './openai.ts';
export { BannedTopicError } from './rules.ts';
export type { Writer } from './types.ts';
