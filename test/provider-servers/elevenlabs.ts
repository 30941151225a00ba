// A local stand-in for ElevenLabs' text-to-speech API, as documented: POST
// /v1/text-to-speech/{voice_id}/with-timestamps with the key in xi-api-key, the output format in the
// query string, and JSON back with the audio in base64 and a per-character alignment. The audio is
// real speech (espeak-ng, encoded by ffmpeg in the requested format), and the alignment spreads the
// characters over the part of it that is not silence. Errors have ElevenLabs' shapes: {detail:
// {status, message}} for 401/400/404/429/5xx and FastAPI's {detail: [{loc, msg, type}]} for 422.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody, runCommand } from './harness.ts';

export const ELEVENLABS_TEST_KEY = 'sk_test_local_elevenlabs';

export interface ElevenLabsServerOptions {
  /** The key xi-api-key must carry. */
  apiKey?: string;
  /** Voice ids that exist; any id made of letters and digits when unset. */
  voices?: string[];
  /** Characters one request may have (Multilingual v2 allows 10,000). */
  maxCharacters?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  voiceId?: string;
  query: Record<string, string>;
  /** Whether xi-api-key was sent (never its value). */
  apiKeySent: boolean;
  body: unknown;
  status: number;
  at: number;
}

export interface FailureOptions {
  /** How many requests in a row fail this way (1). */
  times?: number;
  /** Retry-After header: seconds or an HTTP date. */
  retryAfter?: number | string;
  /** The error body; ElevenLabs' usual one for the status when unset. */
  body?: unknown;
}

export interface ElevenLabsServer {
  url: string;
  apiKey: string;
  requests: RecordedRequest[];
  /** The next requests fail with this status (after it, requests are served again). */
  failNext(status: number, options?: FailureOptions): void;
  close(): Promise<void>;
}

/** ElevenLabs' two kinds of 429. */
export const TOO_MANY_CONCURRENT_REQUESTS = {
  detail: {
    status: 'too_many_concurrent_requests',
    code: 'concurrent_limit_exceeded',
    message: 'Your plan allows 2 concurrent requests and you have exceeded it. Wait for a request to finish before sending another.',
  },
};
export const SYSTEM_BUSY = {
  detail: {
    status: 'system_busy',
    code: 'system_busy',
    message: 'We are experiencing a large volume of requests and could not process yours. Please try again shortly.',
  },
};

const MODELS = new Set([
  'eleven_v3',
  'eleven_multilingual_v2',
  'eleven_flash_v2_5',
  'eleven_flash_v2',
  'eleven_turbo_v2_5',
  'eleven_turbo_v2',
  'eleven_multilingual_v1',
  'eleven_monolingual_v1',
]);

const OUTPUT_FORMATS = [
  'mp3_22050_32',
  'mp3_44100_32',
  'mp3_44100_64',
  'mp3_44100_96',
  'mp3_44100_128',
  'mp3_44100_192',
  'pcm_8000',
  'pcm_16000',
  'pcm_22050',
  'pcm_24000',
  'pcm_44100',
  'pcm_48000',
  'wav_16000',
  'wav_22050',
  'wav_24000',
  'wav_44100',
  'wav_48000',
  'ulaw_8000',
  'alaw_8000',
  'opus_48000_32',
  'opus_48000_64',
  'opus_48000_96',
  'opus_48000_128',
  'opus_48000_192',
];

interface ValidationIssue {
  type: string;
  loc: (string | number)[];
  msg: string;
  input?: unknown;
  ctx?: Record<string, unknown>;
}

interface SpeechRequest {
  text: string;
  model_id?: string;
  voice_settings?: { stability?: number; similarity_boost?: number; style?: number; use_speaker_boost?: boolean; speed?: number } | null;
  previous_text?: string | null;
  next_text?: string | null;
}

/** FastAPI/pydantic checks of the request body, in ElevenLabs' 422 detail shape. */
export function validateSpeechRequest(body: unknown, outputFormat: string | undefined): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (outputFormat !== undefined && !OUTPUT_FORMATS.includes(outputFormat)) {
    issues.push({
      type: 'enum',
      loc: ['query', 'output_format'],
      msg: `Input should be ${OUTPUT_FORMATS.map((format) => `'${format}'`).join(', ')}`,
      input: outputFormat,
    });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    issues.push({
      type: 'model_attributes_type',
      loc: ['body'],
      msg: 'Input should be a valid dictionary or object to extract fields from',
      input: body,
    });
    return issues;
  }
  const record = body as Record<string, unknown>;
  if (!('text' in record)) issues.push({ type: 'missing', loc: ['body', 'text'], msg: 'Field required', input: body });
  else if (typeof record.text !== 'string')
    issues.push({ type: 'string_type', loc: ['body', 'text'], msg: 'Input should be a valid string', input: record.text });
  for (const field of ['model_id', 'previous_text', 'next_text', 'language_code'] as const) {
    const value = record[field];
    if (value !== undefined && value !== null && typeof value !== 'string') {
      issues.push({ type: 'string_type', loc: ['body', field], msg: 'Input should be a valid string', input: value });
    }
  }
  if (
    record.seed !== undefined &&
    record.seed !== null &&
    (!Number.isInteger(record.seed) || (record.seed as number) < 0 || (record.seed as number) > 4294967295)
  ) {
    issues.push({
      type: 'int_type',
      loc: ['body', 'seed'],
      msg: 'Input should be a valid integer between 0 and 4294967295',
      input: record.seed,
    });
  }
  const settings = record.voice_settings;
  if (settings !== undefined && settings !== null) {
    if (typeof settings !== 'object' || Array.isArray(settings)) {
      issues.push({
        type: 'model_type',
        loc: ['body', 'voice_settings'],
        msg: 'Input should be a valid dictionary or instance of VoiceSettingsResponseModel',
        input: settings,
      });
    } else {
      const ranges: Record<string, [number, number]> = { stability: [0, 1], similarity_boost: [0, 1], style: [0, 1], speed: [0.7, 1.2] };
      for (const [field, [min, max]] of Object.entries(ranges)) {
        const value = (settings as Record<string, unknown>)[field];
        if (value === undefined || value === null) continue;
        const loc = ['body', 'voice_settings', field];
        if (typeof value !== 'number' || !Number.isFinite(value))
          issues.push({ type: 'float_type', loc, msg: 'Input should be a valid number', input: value });
        else if (value < min)
          issues.push({
            type: 'greater_than_equal',
            loc,
            msg: `Input should be greater than or equal to ${min}`,
            input: value,
            ctx: { ge: min },
          });
        else if (value > max)
          issues.push({
            type: 'less_than_equal',
            loc,
            msg: `Input should be less than or equal to ${max}`,
            input: value,
            ctx: { le: max },
          });
      }
      const boost = (settings as Record<string, unknown>).use_speaker_boost;
      if (boost !== undefined && boost !== null && typeof boost !== 'boolean') {
        issues.push({
          type: 'bool_type',
          loc: ['body', 'voice_settings', 'use_speaker_boost'],
          msg: 'Input should be a valid boolean',
          input: boost,
        });
      }
    }
  }
  return issues;
}

/** Samples of espeak-ng's WAV on standard output (whose header cannot know the data's size). */
function wavPcm(wav: Buffer): { sampleRate: number; samples: Int16Array } {
  let offset = 12;
  let sampleRate = 22050;
  while (offset + 8 <= wav.length) {
    const id = wav.toString('ascii', offset, offset + 4);
    const size = wav.readUInt32LE(offset + 4);
    if (id === 'fmt ') sampleRate = wav.readUInt32LE(offset + 12);
    if (id === 'data') {
      const data = wav.subarray(offset + 8, Math.min(wav.length, offset + 8 + size));
      const samples = new Int16Array(Math.floor(data.length / 2));
      new Uint8Array(samples.buffer).set(data.subarray(0, samples.length * 2));
      return { sampleRate, samples };
    }
    offset += 8 + size + (size % 2);
  }
  throw new Error('espeak-ng wrote no WAV data');
}

function ffmpegArgs(format: string): string[] {
  const [codec, rate, bitrate] = format.split('_');
  switch (codec) {
    case 'mp3':
      return ['-ar', rate, '-c:a', 'libmp3lame', '-b:a', `${bitrate}k`, '-f', 'mp3'];
    case 'pcm':
      return ['-ar', rate, '-c:a', 'pcm_s16le', '-f', 's16le'];
    case 'wav':
      return ['-ar', rate, '-c:a', 'pcm_s16le', '-f', 'wav'];
    case 'ulaw':
      return ['-ar', rate, '-c:a', 'pcm_mulaw', '-f', 'mulaw'];
    case 'alaw':
      return ['-ar', rate, '-c:a', 'pcm_alaw', '-f', 'alaw'];
    default:
      return ['-ar', rate, '-c:a', 'libopus', '-b:a', `${bitrate}k`, '-f', 'ogg'];
  }
}

/** Real speech for the text, and an alignment that spreads its characters over the voiced part of it. */
async function speak(request: SpeechRequest, outputFormat: string) {
  const wordsPerMinute = Math.round(175 * (request.voice_settings?.speed ?? 1));
  const wav = await runCommand('espeak-ng', ['-v', 'en-us', '-s', String(wordsPerMinute), '-b', '1', '--stdout'], request.text);
  const { sampleRate, samples } = wavPcm(wav);
  let first = 0;
  while (first < samples.length && Math.abs(samples[first]) < 328) first++;
  let last = samples.length;
  while (last > first && Math.abs(samples[last - 1]) < 328) last--;
  const audio = await runCommand(
    'ffmpeg',
    ['-nostdin', '-v', 'error', '-f', 'wav', '-i', 'pipe:0', '-ac', '1', ...ffmpegArgs(outputFormat), 'pipe:1'],
    wav,
  );
  const characters = Array.from(request.text);
  const start = first / sampleRate;
  const step = characters.length > 0 ? (Math.max(last, first) / sampleRate - start) / characters.length : 0;
  const round = (seconds: number) => Math.round(seconds * 1000) / 1000;
  const alignment = {
    characters,
    character_start_times_seconds: characters.map((_, index) => round(start + index * step)),
    character_end_times_seconds: characters.map((_, index) => round(start + (index + 1) * step)),
  };
  return { audio_base64: audio.toString('base64'), alignment, normalized_alignment: alignment };
}

function defaultErrorBody(status: number): unknown {
  if (status === 429) return TOO_MANY_CONCURRENT_REQUESTS;
  if (status === 503) return { detail: { status: 'service_unavailable', message: 'The service is temporarily unavailable.' } };
  return { detail: { status: 'internal_server_error', message: 'An internal error occurred while generating speech.' } };
}

export async function startElevenLabsServer(options: ElevenLabsServerOptions = {}): Promise<ElevenLabsServer> {
  const apiKey = options.apiKey ?? ELEVENLABS_TEST_KEY;
  const maxCharacters = options.maxCharacters ?? 10_000;
  const requests: RecordedRequest[] = [];
  const failures: { status: number; remaining: number; retryAfter?: number | string; body?: unknown }[] = [];

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const route = /^\/v1\/text-to-speech\/([^/]+)\/with-timestamps$/.exec(url.pathname);
    const text = (await readBody(request)).toString('utf8');
    const record: RecordedRequest = {
      method: request.method ?? 'GET',
      path: url.pathname,
      voiceId: route ? decodeURIComponent(route[1]) : undefined,
      query: Object.fromEntries(url.searchParams),
      apiKeySent: typeof request.headers['xi-api-key'] === 'string',
      body: text,
      status: 0,
      at: Date.now(),
    };
    requests.push(record);
    let parsed = true;
    try {
      record.body = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = false;
    }
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      response.writeHead(status, { 'content-type': 'application/json', 'request-id': randomUUID().replaceAll('-', ''), ...headers });
      response.end(JSON.stringify(body));
    };

    if (!route || request.method !== 'POST') return send(404, { detail: 'Not Found' });
    const failure = failures[0];
    if (failure) {
      if (--failure.remaining <= 0) failures.shift();
      return send(
        failure.status,
        failure.body ?? defaultErrorBody(failure.status),
        failure.retryAfter === undefined ? {} : { 'retry-after': String(failure.retryAfter) },
      );
    }
    if (request.headers['xi-api-key'] !== apiKey) {
      return send(401, { detail: { status: 'invalid_api_key', code: 'invalid_api_key', message: 'Invalid API key' } });
    }
    if (!parsed)
      return send(422, {
        detail: [{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', input: {}, ctx: { error: 'Expecting value' } }],
      });
    if (!text) return send(422, { detail: [{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }] });
    const outputFormat = url.searchParams.get('output_format') ?? undefined;
    const issues = validateSpeechRequest(record.body, outputFormat);
    if (issues.length > 0) return send(422, { detail: issues });
    const speech = record.body as SpeechRequest;
    const voiceId = record.voiceId!;
    if (options.voices ? !options.voices.includes(voiceId) : !/^[A-Za-z0-9]+$/.test(voiceId)) {
      return send(404, { detail: { status: 'voice_not_found', message: `A voice with the voice_id ${voiceId} was not found.` } });
    }
    if (speech.model_id !== undefined && !MODELS.has(speech.model_id)) {
      return send(400, { detail: { status: 'model_not_found', message: `A model with model ID ${speech.model_id} does not exist.` } });
    }
    // Request stitching is refused by Eleven v3, outright (HTTP 400), not ignored.
    if (speech.model_id === 'eleven_v3' && (speech.previous_text || speech.next_text)) {
      return send(400, {
        detail: {
          status: 'unsupported_model',
          message: "Providing previous_text or next_text is not yet supported with the 'eleven_v3' model.",
        },
      });
    }
    const length = Array.from(speech.text).length;
    if (length === 0) return send(400, { detail: { status: 'empty_text', message: 'The text must contain at least one character.' } });
    if (length > maxCharacters) {
      return send(400, {
        detail: {
          status: 'max_character_limit_exceeded',
          message: `This request's text has ${length} characters and exceeds the character limit of ${maxCharacters} characters.`,
        },
      });
    }
    send(200, await speak(speech, outputFormat ?? 'mp3_44100_128'), { 'character-cost': String(length) });
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: Error) => {
      if (!response.headersSent) {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ detail: { status: 'internal_server_error', message: error.message } }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    requests,
    failNext(status, { times = 1, retryAfter, body } = {}) {
      failures.push({ status, remaining: times, retryAfter, body });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
