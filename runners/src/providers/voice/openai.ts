// OpenAI narration: audio.speech.create once per sentence (a sentence over the input limit is
// split between words), streamed to a file in the workdir, decoded to 48 kHz PCM and written in
// order into narration.wav with a pause between beats. Text-to-speech returns no timestamps, and
// no OpenAI transcription model that outlives whisper-1 (shut down 2027-02-26) documents word
// timestamps, so the timings are derived (docs/adr/0011-derived-word-timings.md): a sentence spoken
// on its own starts and ends where its audio is voiced (louder than about -40 dBFS), and inside it
// each word gets time in proportion to its characters, a space counting as one.
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import type { VoiceProvider } from '@acog/api';
import { defaultModel, modelCostUSD, modelSupports } from '@acog/api/catalog';
import type { Narration, RefinedScript } from '../../contract/documents.ts';
import { saveBody } from '../http.ts';
import type { Produced, ProviderContext } from '../types.ts';
import { callOpenAi, connectOpenAi, type OpenAiClientOptions } from '../openai-client.ts';
import { NARRATION_SAMPLE_RATE, decodeToPcm, narratePieces, voicedRange } from './audio.ts';
import { distributeByCharacters, sentencePieces, wordSpans } from './timings.ts';
import type { WordTiming } from '../../contract/documents.ts';
import type { Voice } from './types.ts';

export const OPENAI_DEFAULT_TTS_MODEL = defaultModel('openai', 'speech')!;
export const OPENAI_DEFAULT_VOICE = 'alloy';
/** audio.speech.create takes at most 4096 characters of input. */
export const OPENAI_TTS_MAX_CHARACTERS = 4096;
const NARRATION_FILE = 'narration.wav';

export interface OpenAiVoiceOptions extends OpenAiClientOptions {
  /** What audio.speech.create is asked for; either way the narration is a 48 kHz WAV. Default wav. */
  format?: 'wav' | 'mp3';
  /** Characters per speech request; a longer sentence is split between words. */
  maxCharactersPerRequest?: number;
}

/**
 * Word timings of a sentence spoken on its own: its words spread over the voiced part of its
 * audio by their characters (distributeByCharacters), times in seconds from the audio's start.
 */
export function sentenceWordTimings(text: string, samples: Int16Array, sampleRate: number): WordTiming[] {
  const voiced = voicedRange(samples);
  return distributeByCharacters(wordSpans(text), voiced.start / sampleRate, voiced.end / sampleRate);
}

export function createOpenAiVoice(spec: VoiceProvider, options: OpenAiVoiceOptions = {}): Voice {
  const model = spec.model ?? OPENAI_DEFAULT_TTS_MODEL;
  const voice = spec.voiceId ?? OPENAI_DEFAULT_VOICE;
  const format = options.format ?? 'wav';
  return {
    name: 'openai',
    async synthesize(ctx: ProviderContext, script: RefinedScript): Promise<Produced<Narration>> {
      const connection = connectOpenAi(ctx, { secretRef: spec.secretRef }, { timeoutMs: 300_000, ...options });
      const pieces = sentencePieces(script, options.maxCharactersPerRequest ?? OPENAI_TTS_MAX_CHARACTERS);
      if (pieces.length === 0) throw new Error('the script has no narration to speak');

      // gpt-4o-mini-tts takes instructions on how to speak; tts-1 and tts-1-hd do not.
      const instructions =
        modelSupports('openai', model, 'instructions') === false
          ? undefined
          : `Speak as ${ctx.channel.persona.name}. Tone: ${ctx.channel.persona.tone}.`;

      /** One piece spoken into its own file and decoded. */
      const speakPiece = async (pieceFile: string, text: string, which: string) => {
        await callOpenAi(connection, ctx, `audio.speech (${model}, ${which})`, async (signal) => {
          const response = await connection.client.audio.speech.create(
            {
              model,
              voice,
              input: text,
              response_format: format,
              ...(spec.speed === undefined ? {} : { speed: spec.speed }),
              ...(instructions ? { instructions } : {}),
            },
            { signal },
          );
          await saveBody(response, pieceFile, 'OpenAI');
        });
        return decodeToPcm(pieceFile, NARRATION_SAMPLE_RATE, ctx.signal);
      };

      const { durationSeconds, words, beats } = await narratePieces(
        join(ctx.workdir, NARRATION_FILE),
        script.beats.map((beat) => beat.id),
        pieces,
        async (piece, index) => {
          const pieceFile = join(ctx.workdir, `narration-${String(index + 1).padStart(3, '0')}.${format}`);
          const samples = await speakPiece(pieceFile, piece.text, `piece ${index + 1} of ${pieces.length}`).finally(() =>
            rm(pieceFile, { force: true }),
          );
          return { samples, words: sentenceWordTimings(piece.text, samples, NARRATION_SAMPLE_RATE) };
        },
      );
      const characters = pieces.reduce((sum, piece) => sum + [...piece.text].length, 0);
      const cost = modelCostUSD('openai', model, { characters });
      if (cost === undefined) ctx.log(`OpenAI voice: no price known for model ${model}; its cost is recorded as 0`);
      ctx.log(
        `OpenAI (${model}, voice ${voice}) spoke ${characters} characters in ${pieces.length} requests: ${durationSeconds.toFixed(2)} s`,
      );
      return {
        value: { audio: NARRATION_FILE, durationSeconds, words, beats, timing: 'word' },
        usage: {
          characters,
          requests: pieces.length,
          seconds: durationSeconds,
        },
        costUSD: cost ?? 0,
      };
    },
  };
}
