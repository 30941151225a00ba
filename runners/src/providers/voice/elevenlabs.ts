// ElevenLabs narration: POST /v1/text-to-speech/{voice_id}/with-timestamps, one request per beat
// (or per piece of a beat under the character limit), each told the text around it (previous_text,
// next_text) so that the pieces sound like one reading. The answers' MP3 is decoded to 48 kHz PCM
// and written in order into narration.wav, a pause between beats; the per-character alignment
// becomes word timings, offset by where each piece lands.
import { join } from 'node:path';
import { ELEVENLABS_DEFAULT_MODEL, elevenLabsCostUSD, type VoiceProvider } from '@acog/api';
import type { Narration, RefinedScript } from '../../contract/documents.ts';
import { ProviderError, ProviderHttp, logRetries, type ProviderHttpOptions } from '../http.ts';
import { requireSecret, type Produced, type ProviderContext } from '../types.ts';
import { NARRATION_SAMPLE_RATE, decodeToPcm, narratePieces } from './audio.ts';
import { speechPieces, wordsFromCharacterAlignment, type CharacterAlignment } from './timings.ts';
import type { Voice } from './types.ts';

const PROVIDER = 'ElevenLabs';
export const ELEVENLABS_BASE_URL = 'https://api.elevenlabs.io';
export { ELEVENLABS_DEFAULT_MODEL };
/** "George", a default voice of every ElevenLabs account (the voice of ElevenLabs' own API examples). */
export const ELEVENLABS_DEFAULT_VOICE = 'JBFqnCBsd6RMkjVDRZzb';
/** Available on every plan (PCM at 44.1 kHz needs Pro); decoded to PCM here anyway. */
export const ELEVENLABS_OUTPUT_FORMAT = 'mp3_44100_128';
/** Below every model's limit per request (Eleven v3 has the smallest). */
export const ELEVENLABS_MAX_CHARACTERS = 3_000;
const NARRATION_FILE = 'narration.wav';

export { elevenLabsCostUSD } from '@acog/api';

/** voice_settings.speed: ElevenLabs takes 0.7 to 1.2; undefined keeps the voice's own. */
export function elevenLabsSpeed(speed: number | undefined): number | undefined {
  return speed === undefined ? undefined : Math.min(1.2, Math.max(0.7, speed));
}

/** ElevenLabs' 422 body, {detail: [{loc, msg}]} (FastAPI) or {detail: {message}}, as one line. */
export function validationMessage(body: unknown): string {
  const detail = (body as { detail?: unknown } | undefined)?.detail;
  if (Array.isArray(detail)) {
    const issues = detail.map((issue: { loc?: unknown[]; msg?: string }) => {
      const where = Array.isArray(issue.loc) ? issue.loc.join('.') : undefined;
      return where ? `${where}: ${issue.msg ?? 'invalid'}` : (issue.msg ?? JSON.stringify(issue));
    });
    if (issues.length > 0) return issues.join('; ');
  }
  if (detail && typeof detail === 'object') {
    const { message, param } = detail as { message?: string; param?: string };
    if (message) return param ? `${param}: ${message}` : message;
  }
  if (typeof detail === 'string') return detail;
  return JSON.stringify(body)?.slice(0, 500) ?? 'no details';
}

export interface ElevenLabsOptions {
  /** Characters per request; a longer beat is split at sentence ends. */
  maxCharactersPerRequest?: number;
  /** Overrides of the provider HTTP layer's retry policy (attempts, delays). */
  retry?: ProviderHttpOptions['retry'];
}

interface WithTimestampsResponse {
  audio_base64?: string;
  alignment?: CharacterAlignment | null;
  normalized_alignment?: CharacterAlignment | null;
}

export function createElevenLabsVoice(spec: VoiceProvider, options: ElevenLabsOptions = {}): Voice {
  const model = spec.model ?? ELEVENLABS_DEFAULT_MODEL;
  const voiceId = spec.voiceId ?? ELEVENLABS_DEFAULT_VOICE;
  const speed = elevenLabsSpeed(spec.speed);
  return {
    name: 'elevenlabs',
    async synthesize(ctx: ProviderContext, script: RefinedScript): Promise<Produced<Narration>> {
      const apiKey = requireSecret(ctx, 'ELEVENLABS_API_KEY', spec.secretRef);
      const secret = spec.secretRef ? ` (key ${spec.secretRef.key ?? 'ELEVENLABS_API_KEY'} of Secret ${spec.secretRef.name})` : '';
      const http = new ProviderHttp({
        provider: PROVIDER,
        baseUrl: ctx.env.ACOG_ELEVENLABS_BASE_URL ?? process.env.ACOG_ELEVENLABS_BASE_URL ?? ELEVENLABS_BASE_URL,
        credential: `ELEVENLABS_API_KEY${secret}`,
        headers: { 'xi-api-key': apiKey, accept: 'application/json' },
        // A long piece takes a while to speak: a minute is not enough for 3,000 characters.
        timeoutMs: 180_000,
        retry: options.retry,
        onRetry: logRetries(ctx.log),
      });
      const pieces = speechPieces(script, options.maxCharactersPerRequest ?? ELEVENLABS_MAX_CHARACTERS);
      if (pieces.length === 0) throw new Error('the script has no narration to speak');

      const { durationSeconds, words, beats } = await narratePieces(
        join(ctx.workdir, NARRATION_FILE),
        script.beats.map((beat) => beat.id),
        pieces,
        async (piece, index) => {
          const answer = await requestSpeech(
            http,
            voiceId,
            {
              text: piece.text,
              model_id: model,
              ...(speed === undefined ? {} : { voice_settings: { speed } }),
              ...(index > 0 ? { previous_text: pieces[index - 1].text } : {}),
              ...(index + 1 < pieces.length ? { next_text: pieces[index + 1].text } : {}),
            },
            ctx.signal,
          );
          const samples = await decodeToPcm(Buffer.from(answer.audio, 'base64'), NARRATION_SAMPLE_RATE, ctx.signal);
          return { samples, words: wordsFromCharacterAlignment(answer.alignment) };
        },
      );
      const characters = pieces.reduce((sum, piece) => sum + [...piece.text].length, 0);
      ctx.log(
        `ElevenLabs (${model}, voice ${voiceId}) spoke ${characters} characters in ${pieces.length} requests: ${durationSeconds.toFixed(2)} s`,
      );
      return {
        value: { audio: NARRATION_FILE, durationSeconds, words, beats, timing: 'word' },
        usage: { characters, requests: pieces.length, seconds: durationSeconds },
        costUSD: elevenLabsCostUSD(characters, model),
      };
    },
  };
}

async function requestSpeech(
  http: ProviderHttp,
  voiceId: string,
  body: Record<string, unknown>,
  signal: AbortSignal | undefined,
): Promise<{ audio: string; alignment: CharacterAlignment }> {
  const path = `/v1/text-to-speech/${encodeURIComponent(voiceId)}/with-timestamps`;
  // 422 is answered here rather than by the HTTP layer: its detail is a list it would print raw.
  const response = await http.request('POST', path, {
    query: { output_format: ELEVENLABS_OUTPUT_FORMAT },
    json: body,
    accept: [422],
    signal,
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new ProviderError(
      PROVIDER,
      'bad-response',
      `${PROVIDER} answered POST ${path} with something that is not JSON: ${text.slice(0, 200)}`,
      { cause },
    );
  }
  if (response.status === 422) {
    throw new ProviderError(PROVIDER, 'client', `${PROVIDER} refused the request (422) on POST ${path}: ${validationMessage(parsed)}`, {
      status: 422,
    });
  }
  const answer = parsed as WithTimestampsResponse;
  const alignment = answer.alignment ?? answer.normalized_alignment;
  if (!answer.audio_base64 || !alignment || !Array.isArray(alignment.characters)) {
    throw new ProviderError(PROVIDER, 'bad-response', `${PROVIDER} answered POST ${path} without audio_base64 and alignment`);
  }
  return { audio: answer.audio_base64, alignment };
}
