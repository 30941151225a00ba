// OpenAI narration: audio.speech.create once per beat (or per piece of a beat under the input
// limit), streamed to a file in the workdir. Text-to-speech returns no timestamps, so each piece
// is transcribed again (whisper-1, verbose_json, word timestamps) and the transcript's words are
// matched to the script's. The pieces are decoded to 48 kHz PCM and written in order into
// narration.wav with a pause between beats, so a beat's start and end are where its pieces are.
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { toFile } from 'openai';
import { OPENAI_DEFAULT_TTS_MODEL, openAiVoiceCostUSD, type VoiceProvider } from '@acog/api';
import type { Narration, RefinedScript } from '../../contract/documents.ts';
import { ProviderError, saveBody } from '../http.ts';
import type { Produced, ProviderContext } from '../types.ts';
import { callOpenAi, connectOpenAi, type OpenAiClientOptions } from '../openai-client.ts';
import { NARRATION_SAMPLE_RATE, decodeToPcm, narratePieces } from './audio.ts';
import { speechPieces, wordSpans, wordsFromMarks, type WordMark } from './timings.ts';
import type { Voice } from './types.ts';

export { OPENAI_DEFAULT_TTS_MODEL };
export const OPENAI_DEFAULT_VOICE = 'alloy';
export const OPENAI_TRANSCRIPTION_MODEL = 'whisper-1';
/** audio.speech.create takes at most 4096 characters of input. */
export const OPENAI_TTS_MAX_CHARACTERS = 4096;
const NARRATION_FILE = 'narration.wav';

export { OPENAI_TTS_PRICES_PER_MILLION_CHARACTERS, OPENAI_WHISPER_PRICE_PER_MINUTE, openAiVoiceCostUSD } from '@acog/api';

export interface OpenAiVoiceOptions extends OpenAiClientOptions {
  /** What audio.speech.create is asked for; either way the narration is a 48 kHz WAV. Default wav. */
  format?: 'wav' | 'mp3';
  /** Characters per speech request; a longer beat is split at sentence ends. */
  maxCharactersPerRequest?: number;
}

interface TranscribedWord {
  word: string;
  start: number;
  end: number;
}

const normalised = (text: string) =>
  text
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]/gu, '');

/**
 * Word marks of a text from a transcript of its audio: each transcribed word is matched, in order,
 * to the text's next words (a few ahead at most, so that a misheard word does not derail the rest).
 * A text word heard as several ("B-tree" as "B", "tree") takes all of them; a text word never heard
 * gets no mark, and wordsFromMarks shares the time around it.
 */
export function marksFromTranscript(text: string, transcript: TranscribedWord[]): WordMark[] {
  const spans = wordSpans(text).map((span) => ({ ...span, spoken: normalised(span.text) }));
  const marks: WordMark[] = [];
  let cursor = 0;
  let rest = spans[0]?.spoken ?? '';
  for (const heard of transcript) {
    const word = normalised(heard.word);
    if (!word) continue;
    for (let index = cursor; index < Math.min(spans.length, cursor + 4); index++) {
      const remaining = index === cursor ? rest : spans[index]!.spoken;
      if (!remaining.startsWith(word)) continue;
      const span = spans[index]!;
      marks.push({ offset: span.start, length: span.end - span.start, start: heard.start, end: heard.end });
      const left = remaining.slice(word.length);
      if (left) {
        cursor = index;
        rest = left;
      } else {
        cursor = index + 1;
        rest = spans[cursor]?.spoken ?? '';
      }
      break;
    }
  }
  return marks;
}

export function createOpenAiVoice(spec: VoiceProvider, options: OpenAiVoiceOptions = {}): Voice {
  const model = spec.model ?? OPENAI_DEFAULT_TTS_MODEL;
  const voice = spec.voiceId ?? OPENAI_DEFAULT_VOICE;
  const format = options.format ?? 'wav';
  return {
    name: 'openai',
    async synthesize(ctx: ProviderContext, script: RefinedScript): Promise<Produced<Narration>> {
      const connection = connectOpenAi(ctx, { secretRef: spec.secretRef }, { timeoutMs: 300_000, ...options });
      const pieces = speechPieces(script, options.maxCharactersPerRequest ?? OPENAI_TTS_MAX_CHARACTERS);
      if (pieces.length === 0) throw new Error('the script has no narration to speak');
      const language = (ctx.channel.persona.language ?? 'en').split('-')[0]!.toLowerCase();

      // gpt-4o-mini-tts takes instructions on how to speak; tts-1 and tts-1-hd do not.
      const instructions = /^tts-1/.test(model) ? undefined : `Speak as ${ctx.channel.persona.name}. Tone: ${ctx.channel.persona.tone}.`;

      /** One piece spoken into its own file, transcribed with word timestamps, and decoded. */
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
        const transcript = await callOpenAi(
          connection,
          ctx,
          `audio.transcriptions (${OPENAI_TRANSCRIPTION_MODEL}, ${which})`,
          async (signal) =>
            connection.client.audio.transcriptions.create(
              {
                file: await toFile(createReadStream(pieceFile), basename(pieceFile), {
                  type: format === 'wav' ? 'audio/wav' : 'audio/mpeg',
                }),
                model: OPENAI_TRANSCRIPTION_MODEL,
                response_format: 'verbose_json',
                timestamp_granularities: ['word'],
                language,
              },
              { signal },
            ),
        );
        if (!Array.isArray(transcript.words)) {
          throw new ProviderError(
            'OpenAI',
            'bad-response',
            `OpenAI's transcription of ${which} has no word timestamps (verbose_json with words)`,
          );
        }
        return {
          transcript: { duration: transcript.duration, words: transcript.words },
          samples: await decodeToPcm(pieceFile, NARRATION_SAMPLE_RATE, ctx.signal),
        };
      };

      let transcribedSeconds = 0;
      const { durationSeconds, words, beats } = await narratePieces(
        join(ctx.workdir, NARRATION_FILE),
        script.beats.map((beat) => beat.id),
        pieces,
        async (piece, index) => {
          const pieceFile = join(ctx.workdir, `narration-${String(index + 1).padStart(3, '0')}.${format}`);
          const { samples, transcript } = await speakPiece(pieceFile, piece.text, `piece ${index + 1} of ${pieces.length}`).finally(() =>
            rm(pieceFile, { force: true }),
          );
          const pieceSeconds = samples.length / NARRATION_SAMPLE_RATE;
          transcribedSeconds += transcript.duration ?? pieceSeconds;
          return { samples, words: wordsFromMarks(piece.text, marksFromTranscript(piece.text, transcript.words), pieceSeconds) };
        },
      );
      const characters = pieces.reduce((sum, piece) => sum + [...piece.text].length, 0);
      const cost = openAiVoiceCostUSD(model, characters, transcribedSeconds);
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
          transcribedSeconds: Math.round(transcribedSeconds * 1000) / 1000,
        },
        costUSD: cost ?? 0,
      };
    },
  };
}
