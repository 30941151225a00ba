// A local server that speaks the part of OpenAI's API the runners use, for tests of the real
// `openai` client against it:
//   POST /v1/chat/completions     structured outputs: the schema is checked as strict mode does,
//                                 the answer is JSON generated from it with text from the prompt
//   POST /v1/audio/speech         real audio: espeak-ng, converted by ffmpeg to the format asked for
//   POST /v1/audio/transcriptions verbose_json with word timestamps for audio this server spoke,
//                                 spread over the real speech by the characters of each word
// Errors have OpenAI's shape, {error: {message, type, param, code}}, and status. Models follow
// OpenAI's deprecations page: from its shutdown day a model answers 404 model_not_found, and the
// reasoning models (GPT-5 and later, o-series) refuse a temperature other than 1 as OpenAI does.
// Tests can set the server's clock (now), make the next requests fail (failNext, also with
// insufficient_quota), make the next completion say something else (answerNext) and read every
// request (requests).
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBody, runCommand } from './harness.ts';

export interface OpenAiServerOptions {
  /** The key clients must send as `Authorization: Bearer …`; null accepts any request, with or without one. */
  apiKey?: string | null;
  espeakPath?: string;
  ffmpegPath?: string;
  /** The server's clock, for the shutdown dates of models; the real one by default. */
  now?: () => Date;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON, or the fields of a multipart form (files as {filename, type, size}). */
  body: unknown;
  /** The status the server answered with. */
  status?: number;
}

export interface FailOptions {
  /** How many requests in a row fail (default 1). */
  times?: number;
  /** Sent as Retry-After, in seconds. */
  retryAfter?: number;
  /** Sent as retry-after-ms. */
  retryAfterMs?: number;
  /** Only requests to this path fail, e.g. /v1/audio/speech. */
  path?: string;
  message?: string;
  /** 429 only: the error code; insufficient_quota is OpenAI's answer when the account's credit is spent. */
  code?: 'rate_limit_exceeded' | 'insufficient_quota';
}

export interface OpenAiServer {
  /** Base URL including /v1, as the client's baseURL. */
  url: string;
  apiKey: string | null;
  requests: RecordedRequest[];
  failNext(status: number, options?: FailOptions): void;
  /** The next chat completions answer with this message instead of generated JSON. */
  answerNext(message: { content?: string | null; refusal?: string | null }, options?: { times?: number }): void;
  /** Forgets the requests and drops the failures and answers still queued. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * The models OpenAI serves, with the first day each no longer answers (https://developers.openai.com/api/docs/deprecations,
 * checked 2026-12-07) and, for chat, whether it takes a temperature other than its default: the
 * reasoning models (GPT-5 and later, the o-series) do not.
 */
interface ServedModel {
  shutdown?: string;
  temperature?: boolean;
}
const CHAT_MODELS: Record<string, ServedModel> = {
  'gpt-6-astra': { temperature: false },
  'gpt-6.1-sol': { temperature: false },
  'gpt-6.1-terra': { temperature: false },
  'gpt-6-sol': { temperature: false },
  'gpt-6-luna': { temperature: false },
  'gpt-5.6-sol': { temperature: false },
  'gpt-5.6-terra': { temperature: false },
  'gpt-5.6-luna': { temperature: false },
  'gpt-5.5': { temperature: false },
  'gpt-5.4': { temperature: false },
  'gpt-5.4-mini': { temperature: false },
  'gpt-5.4-nano': { temperature: false, shutdown: '2027-04-01' },
  'gpt-5.2': { temperature: false },
  'gpt-5.1': { temperature: false, shutdown: '2027-04-01' },
  'gpt-4o': { temperature: true, shutdown: '2027-01-14' },
  'gpt-4o-mini': { temperature: true, shutdown: '2027-01-14' },
  'gpt-4.1': { temperature: true, shutdown: '2027-01-14' },
  'gpt-4.1-mini': { temperature: true, shutdown: '2027-01-14' },
  'gpt-5': { temperature: false, shutdown: '2026-12-11' },
  'gpt-5-mini': { temperature: false, shutdown: '2026-12-11' },
  'gpt-5-nano': { temperature: false, shutdown: '2026-12-11' },
  o3: { temperature: false, shutdown: '2026-12-11' },
  'o4-mini': { temperature: false, shutdown: '2026-10-23' },
  'gpt-4.1-nano': { temperature: true, shutdown: '2026-10-23' },
};
const SPEECH_MODELS: Record<string, ServedModel> = {
  'tts-1': { shutdown: '2027-01-06' },
  'tts-1-hd': { shutdown: '2027-01-06' },
  'gpt-4o-mini-tts': { shutdown: '2027-01-06' },
};
const TRANSCRIPTION_MODELS: Record<string, ServedModel> = {
  'gpt-transcribe': {},
  'whisper-1': { shutdown: '2027-02-26' },
  'gpt-4o-transcribe': { shutdown: '2027-02-26' },
  'gpt-4o-mini-transcribe': { shutdown: '2027-02-26' },
};
const SPEECH_FORMATS: Record<string, { type: string; ffmpeg: string[] }> = {
  wav: { type: 'audio/wav', ffmpeg: ['-c:a', 'pcm_s16le', '-f', 'wav'] },
  mp3: { type: 'audio/mpeg', ffmpeg: ['-c:a', 'libmp3lame', '-b:a', '64k', '-f', 'mp3'] },
  flac: { type: 'audio/flac', ffmpeg: ['-c:a', 'flac', '-f', 'flac'] },
  opus: { type: 'audio/ogg', ffmpeg: ['-c:a', 'libopus', '-f', 'ogg'] },
  aac: { type: 'audio/aac', ffmpeg: ['-c:a', 'aac', '-f', 'adts'] },
  pcm: { type: 'audio/pcm', ffmpeg: ['-c:a', 'pcm_s16le', '-f', 's16le'] },
};
/** OpenAI's speech is 24 kHz mono. */
const SPEECH_SAMPLE_RATE = 24_000;
const LANGUAGE_NAMES: Record<string, string> = {
  en: 'english',
  de: 'german',
  fr: 'french',
  es: 'spanish',
  it: 'italian',
  nl: 'dutch',
  pt: 'portuguese',
};

class HttpFailure extends Error {
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  readonly code: string | null;
  constructor(status: number, message: string, details: { type?: string; param?: string | null; code?: string | null } = {}) {
    super(message);
    this.status = status;
    this.type = details.type ?? 'invalid_request_error';
    this.param = details.param ?? null;
    this.code = details.code ?? null;
  }
}

const invalid = (message: string, param: string | null = null, code: string | null = null) =>
  new HttpFailure(400, message, { param, code });

/** The message OpenAI gives for a status, for failures a test asks for. */
function cannedFailure(status: number, message?: string, code?: FailOptions['code']): HttpFailure {
  switch (status) {
    case 401:
      return new HttpFailure(401, message ?? 'Incorrect API key provided.', { code: 'invalid_api_key' });
    case 403:
      return new HttpFailure(403, message ?? 'Country, region, or territory not supported', {
        code: 'unsupported_country_region_territory',
      });
    case 404:
      return new HttpFailure(404, message ?? 'The requested resource does not exist.', { code: 'not_found' });
    case 429:
      if (code === 'insufficient_quota')
        return new HttpFailure(
          429,
          message ??
            'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
          { type: 'insufficient_quota', code: 'insufficient_quota' },
        );
      return new HttpFailure(429, message ?? 'Rate limit reached for requests. Please try again later.', {
        type: 'requests',
        code: 'rate_limit_exceeded',
      });
    case 503:
      return new HttpFailure(503, message ?? 'The engine is currently overloaded, please try again later.', { type: 'server_error' });
    default:
      if (status >= 500)
        return new HttpFailure(status, message ?? 'The server had an error while processing your request. Sorry about that!', {
          type: 'server_error',
        });
      return new HttpFailure(status, message ?? 'The request was refused.');
  }
}

/** The served model a name is (exact, or a dated snapshot of it), or undefined. */
function servedModel(model: string, served: Record<string, ServedModel>): ServedModel | undefined {
  if (served[model]) return served[model];
  const family = Object.keys(served)
    .filter((name) => model.startsWith(`${name}-`))
    .sort((a, b) => b.length - a.length)[0];
  return family ? served[family] : undefined;
}

// ---------------------------------------------------------------------------------------------
// Strict structured outputs

const STRICT_KEYWORDS = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'const',
  'description',
  'title',
  'anyOf',
  '$ref',
  '$defs',
  'definitions',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minItems',
  'maxItems',
]);

type Schema = Record<string, unknown>;

/** The first rule of strict mode a schema breaks, in OpenAI's words; undefined when it keeps them all. */
export function strictSchemaProblem(schema: Schema, context: string[] = []): string | undefined {
  const where = `In context=(${context.map((part) => `'${part}'`).join(', ')})`;
  for (const key of Object.keys(schema)) if (!STRICT_KEYWORDS.has(key)) return `${where}, '${key}' is not permitted.`;
  if (context.length === 0 && (schema.type !== 'object' || 'anyOf' in schema))
    return `${where}, the root schema must be of type 'object' and not use 'anyOf'.`;
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.includes('object')) {
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    if (schema.additionalProperties !== false) return `${where}, 'additionalProperties' is required to be supplied and to be false.`;
    const required = Array.isArray(schema.required) ? (schema.required as string[]) : undefined;
    const missing = Object.keys(properties).find((key) => !required?.includes(key));
    if (!required || missing !== undefined) {
      return `${where}, 'required' is required to be supplied and to be an array including every key in properties.${missing !== undefined ? ` Missing '${missing}'.` : ''}`;
    }
    for (const [key, property] of Object.entries(properties)) {
      const problem = strictSchemaProblem(property, [...context, 'properties', key]);
      if (problem) return problem;
    }
  }
  if (types.includes('array')) {
    if (!schema.items || typeof schema.items !== 'object') return `${where}, an array schema must have 'items'.`;
    const problem = strictSchemaProblem(schema.items as Schema, [...context, 'items']);
    if (problem) return problem;
  }
  for (const [index, option] of ((schema.anyOf ?? []) as Schema[]).entries()) {
    const problem = strictSchemaProblem(option, [...context, 'anyOf', String(index)]);
    if (problem) return problem;
  }
  return undefined;
}

/** Text to fill strings with: the sentences of the user's messages, minus the instructions about the form. */
export function promptSentences(messages: { role: string; content: unknown }[]): string[] {
  const text = messages
    .filter((message) => message.role === 'user')
    .map((message) =>
      typeof message.content === 'string'
        ? message.content
        : Array.isArray(message.content)
          ? message.content.map((part: { text?: string }) => part.text ?? '').join('\n')
          : '',
    )
    .join('\n');
  const pieces = text
    .replace(/"\w+":/g, '\n')
    .replace(/[{}[\]"]/g, '\n')
    .split(/\n+|(?<=[.!?])\s+/)
    .map((piece) =>
      piece
        .replace(/^\s*\d+\.\s+/, '')
        .replace(/^\s*[A-Z][\w ]{0,20}:\s+/, '')
        .replace(/,\s*$/, '')
        .trim(),
    )
    .map((piece) => piece.replace(/\s*\(https?:\/\/[^)]*\)/g, '').replace(/https?:\/\/\S+/g, ''))
    .filter((piece) => piece.split(/\s+/).length >= 4 && !piece.endsWith(':'))
    .filter((piece) => !/\b(beats?|words|seconds|narration|notes|metadata|schema|JSON|Rules)\b/.test(piece))
    .filter((piece) => !/^(Write|Plan|Revise|Give|Keep|Shorten|Lengthen|In notes)\b/.test(piece));
  const sentences = pieces.map((piece) => (/[.!?]$/.test(piece) ? piece : `${piece}.`).replace(/^./, (first) => first.toUpperCase()));
  return sentences.length > 0 ? [...new Set(sentences)] : ['This is a generated answer of the local test server.'];
}

interface Filler {
  sentences: string[];
  next: number;
  /** "about N words" from the prompt: shared by the narrations of one array. */
  targetWords?: number;
  wordsPerNarration?: number;
}

/** The length a prompt asks for ("about 150 spoken words"), from the last user message. */
export function requestedWords(messages: { role: string; content: unknown }[]): number | undefined {
  const last = [...messages].reverse().find((message) => message.role === 'user');
  const match = typeof last?.content === 'string' ? /\babout (\d+) (?:spoken )?words\b/.exec(last.content) : null;
  return match ? Number(match[1]) : undefined;
}

function nextSentence(filler: Filler): string {
  const sentence = filler.sentences[filler.next % filler.sentences.length]!;
  filler.next++;
  return sentence;
}

function shortPhrase(sentence: string, words: number): string {
  return sentence
    .replace(/[.!?]$/, '')
    .split(/[,;:]/)[0]!
    .split(/\s+/)
    .slice(0, words)
    .join(' ')
    .replace(/[,;:]$/, '');
}

/** A value that matches the schema, with strings that read like an answer to the prompt. */
export function generateFromSchema(schema: Schema, filler: Filler, name = '', index = 0): unknown {
  if (Array.isArray(schema.enum)) return schema.enum[index % schema.enum.length];
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.anyOf)) return generateFromSchema(schema.anyOf[0] as Schema, filler, name, index);
  const type = Array.isArray(schema.type) ? schema.type.find((candidate) => candidate !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      return Object.fromEntries(
        Object.entries(properties).map(([key, property]) => [key, generateFromSchema(property, filler, key, index)]),
      );
    }
    case 'array': {
      const items = schema.items as Schema;
      // An item with an enum property (a beat id) gets one item per value of the enum.
      const enumerated = Object.values((items.properties ?? {}) as Record<string, Schema>).find((property) => Array.isArray(property.enum));
      const count = enumerated ? (enumerated.enum as unknown[]).length : /keywords|tags/i.test(name) ? 5 : 3;
      if (enumerated && filler.targetWords) filler.wordsPerNarration = Math.max(5, Math.round(filler.targetWords / count));
      return Array.from({ length: count }, (_, item) => generateFromSchema(items, filler, name.replace(/s$/, ''), item));
    }
    case 'number':
      return /seconds/i.test(name) ? 10 + (index % 3) * 5 : index + 1;
    case 'integer':
      return index + 1;
    case 'boolean':
      return true;
    default: {
      if (/^id$|Id$/.test(name)) return `item-${index + 1}`;
      if (/keyword|tag/i.test(name)) {
        const words = nextSentence(filler)
          .toLowerCase()
          .match(/[a-z][a-z-]{4,}/g) ?? ['topic'];
        return words[index % words.length];
      }
      if (/thumbnail/i.test(name)) return shortPhrase(nextSentence(filler), 4);
      if (/title|heading/i.test(name)) return shortPhrase(nextSentence(filler), 7);
      if (/narration/i.test(name) && filler.wordsPerNarration) {
        const sentences: string[] = [];
        let words = 0;
        while (words < filler.wordsPerNarration - 4 && sentences.length < 200) {
          const sentence = nextSentence(filler);
          sentences.push(sentence);
          words += sentence.split(/\s+/).length;
        }
        return sentences.join(' ');
      }
      if (/narration|description/i.test(name)) return [nextSentence(filler), nextSentence(filler)].join(' ');
      return nextSentence(filler);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Audio

/** Where the speech is in 16-bit mono PCM (about -40 dBFS), in seconds; all of it when silent. */
function voicedSpan(pcm: Buffer, sampleRate: number): { start: number; end: number } {
  const samples = Math.floor(pcm.length / 2);
  const loud = (index: number) => Math.abs(pcm.readInt16LE(index * 2)) >= 328;
  let first = 0;
  while (first < samples && !loud(first)) first++;
  let last = samples;
  while (last > first && !loud(last - 1)) last--;
  return first < last ? { start: first / sampleRate, end: last / sampleRate } : { start: 0, end: samples / sampleRate };
}

/** Word timings as a transcription would give them: each word's share of the characters (pauses after punctuation) of the speech. */
export function wordTimings(text: string, span: { start: number; end: number }): { word: string; start: number; end: number }[] {
  const tokens = text.split(/\s+/).filter((token) => /[\p{L}\p{N}]/u.test(token));
  const weights = tokens.map((token) => [...token].length + 1 + (/[.!?]$/.test(token) ? 4 : /[,;:]$/.test(token) ? 2 : 0));
  const total = weights.reduce((sum, weight) => sum + weight, 0) || 1;
  const perUnit = (span.end - span.start) / total;
  let position = span.start;
  return tokens.map((token, index) => {
    const start = position;
    const spoken = ([...token].length + 1) * perUnit;
    position += weights[index]! * perUnit;
    const round = (seconds: number) => Math.round(seconds * 100) / 100;
    return {
      word: token.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, ''),
      start: round(start),
      end: round(Math.min(start + spoken, span.end)),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// The server

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-request-id': `req_${randomUUID()}`,
    ...headers,
  });
  response.end(text);
}

function sendError(response: ServerResponse, failure: HttpFailure, headers: Record<string, string> = {}): void {
  sendJson(
    response,
    failure.status,
    { error: { message: failure.message, type: failure.type, param: failure.param, code: failure.code } },
    headers,
  );
}

export async function startOpenAiServer(options: OpenAiServerOptions = {}): Promise<OpenAiServer> {
  const apiKey = options.apiKey === undefined ? 'sk-test-acog-local' : options.apiKey;
  const espeak = options.espeakPath ?? '/usr/bin/espeak-ng';
  const ffmpeg = options.ffmpegPath ?? '/usr/bin/ffmpeg';
  const scratch = await mkdtemp(join(tmpdir(), 'acog-openai-server-'));
  const requests: RecordedRequest[] = [];
  const failures: (FailOptions & { status: number; remaining: number })[] = [];
  const answers: { content: string | null; refusal: string | null; remaining: number }[] = [];
  /** What this server said, by the SHA-256 of the audio it sent: what transcriptions look up. */
  const spoken = new Map<string, { text: string; duration: number; voiced: { start: number; end: number } }>();
  const now = options.now ?? (() => new Date());

  /** The model, if OpenAI serves it today; else OpenAI's 404. */
  function served(model: string, catalog: Record<string, ServedModel>): ServedModel {
    const entry = servedModel(model, catalog);
    if (!entry || (entry.shutdown !== undefined && now().getTime() >= Date.parse(`${entry.shutdown}T00:00:00Z`)))
      throw new HttpFailure(404, `The model \`${model}\` does not exist or you do not have access to it.`, { code: 'model_not_found' });
    return entry;
  }

  async function speech(body: Record<string, unknown>, response: ServerResponse): Promise<number> {
    const model = body.model;
    if (typeof model !== 'string') throw invalid("Missing required parameter: 'model'.", 'model');
    served(model, SPEECH_MODELS);
    const input = body.input;
    if (typeof input !== 'string' || !input.trim()) throw invalid("Missing required parameter: 'input'.", 'input');
    if (input.length > 4096)
      throw invalid(
        `[{'type': 'string_too_long', 'loc': ('body', 'input'), 'msg': 'String should have at most 4096 characters'}]`,
        'input',
        'string_above_max_length',
      );
    if (body.voice === undefined || (typeof body.voice !== 'string' && typeof (body.voice as { id?: unknown })?.id !== 'string'))
      throw invalid("Missing required parameter: 'voice'.", 'voice');
    const format = (body.response_format as string | undefined) ?? 'mp3';
    const output = SPEECH_FORMATS[format];
    if (!output)
      throw invalid(
        `Invalid value: '${format}'. Supported values are: 'mp3', 'opus', 'aac', 'flac', 'wav', and 'pcm'.`,
        'response_format',
        'invalid_value',
      );
    const speed = (body.speed as number | undefined) ?? 1;
    if (typeof speed !== 'number' || speed < 0.25 || speed > 4)
      throw invalid(`Invalid 'speed': ${String(speed)}. Expected a value between 0.25 and 4.0.`, 'speed', 'invalid_value');

    const id = randomUUID();
    const spokenWav = join(scratch, `${id}.espeak.wav`);
    try {
      await runCommand(espeak, ['-v', 'en-us', '-s', String(Math.round(175 * speed)), '-w', spokenWav, '--stdin'], input);
      const pcm = await runCommand(ffmpeg, [
        '-nostdin',
        '-v',
        'error',
        '-i',
        spokenWav,
        '-ac',
        '1',
        '-ar',
        String(SPEECH_SAMPLE_RATE),
        '-f',
        's16le',
        'pipe:1',
      ]);
      const duration = pcm.length / 2 / SPEECH_SAMPLE_RATE;
      const audio = await runCommand(
        ffmpeg,
        ['-v', 'error', '-f', 's16le', '-ar', String(SPEECH_SAMPLE_RATE), '-ac', '1', '-i', 'pipe:0', ...output.ffmpeg, 'pipe:1'],
        pcm,
      );
      spoken.set(createHash('sha256').update(audio).digest('hex'), { text: input, duration, voiced: voicedSpan(pcm, SPEECH_SAMPLE_RATE) });
      response.writeHead(200, { 'content-type': output.type, 'content-length': audio.length, 'x-request-id': `req_${id}` });
      response.end(audio);
      return 200;
    } finally {
      await rm(spokenWav, { force: true });
    }
  }

  async function transcription(form: FormData, response: ServerResponse): Promise<number> {
    const file = form.get('file');
    if (!(file instanceof Blob)) throw invalid("Missing required parameter: 'file'.", 'file');
    const model = form.get('model');
    if (typeof model !== 'string') throw invalid("Missing required parameter: 'model'.", 'model');
    served(model, TRANSCRIPTION_MODELS);
    const format = (form.get('response_format') as string | null) ?? 'json';
    if (!['json', 'text', 'srt', 'verbose_json', 'vtt'].includes(format))
      throw invalid(`Invalid value: '${format}'.`, 'response_format', 'invalid_value');
    if (format === 'verbose_json' && model !== 'whisper-1')
      throw invalid(
        `response_format 'verbose_json' is not compatible with model '${model}'. Use 'json' or 'text' instead.`,
        'response_format',
        'unsupported_value',
      );
    const granularities = form.getAll('timestamp_granularities[]').map(String);
    if (granularities.length > 0 && format !== 'verbose_json')
      throw invalid("timestamp_granularities is only supported with response_format 'verbose_json'.", 'timestamp_granularities');
    const bytes = Buffer.from(await file.arrayBuffer());
    if (bytes.length === 0) throw invalid('The audio file could not be decoded or its format is not supported.', 'file');
    const known = spoken.get(createHash('sha256').update(bytes).digest('hex'));
    let duration = known?.duration;
    if (duration === undefined) {
      const path = join(scratch, `${randomUUID()}.upload`);
      await writeFile(path, bytes);
      try {
        const pcm = await runCommand(ffmpeg, ['-nostdin', '-v', 'error', '-i', path, '-ac', '1', '-ar', '16000', '-f', 's16le', 'pipe:1']);
        duration = pcm.length / 2 / 16000;
      } catch {
        throw invalid('The audio file could not be decoded or its format is not supported.', 'file');
      } finally {
        await rm(path, { force: true });
      }
    }
    const text = known?.text.replace(/\s+/g, ' ').trim() ?? '';
    const language = String(form.get('language') ?? 'en');
    const usage = { type: 'duration', seconds: Math.ceil(duration) };
    if (format === 'text') {
      response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(text);
      return 200;
    }
    if (format !== 'verbose_json') {
      sendJson(response, 200, { text, usage });
      return 200;
    }
    const verbose: Record<string, unknown> = {
      task: 'transcribe',
      language: LANGUAGE_NAMES[language] ?? language,
      duration: Math.round(duration * 100) / 100,
      text,
      usage,
    };
    const voiced = known?.voiced ?? { start: 0, end: duration };
    if (granularities.includes('word')) verbose.words = text ? wordTimings(text, voiced) : [];
    if (granularities.length === 0 || granularities.includes('segment')) {
      verbose.segments = text
        ? [
            {
              id: 0,
              seek: 0,
              start: voiced.start,
              end: voiced.end,
              text,
              tokens: [],
              temperature: 0,
              avg_logprob: -0.2,
              compression_ratio: 1.2,
              no_speech_prob: 0.01,
            },
          ]
        : [];
    }
    sendJson(response, 200, verbose);
    return 200;
  }

  function chatCompletion(body: Record<string, unknown>, response: ServerResponse): number {
    const model = body.model;
    if (typeof model !== 'string' || !model) throw invalid('you must provide a model parameter', 'model');
    const chatModel = served(model, CHAT_MODELS);
    const messages = body.messages;
    if (!Array.isArray(messages) || messages.length === 0)
      throw invalid("Invalid 'messages': empty array. Expected an array with minimum length 1.", 'messages', 'empty_array');
    for (const [index, message] of (messages as Record<string, unknown>[]).entries()) {
      if (!['system', 'developer', 'user', 'assistant', 'tool'].includes(String(message?.role))) {
        throw invalid(
          `Invalid value: '${String(message?.role)}'. Supported values are: 'system', 'assistant', 'user', 'tool', and 'developer'.`,
          `messages[${index}].role`,
          'invalid_value',
        );
      }
      if (typeof message.content !== 'string' && !Array.isArray(message.content))
        throw invalid(`Invalid type for 'messages[${index}].content'.`, `messages[${index}].content`, 'invalid_type');
    }
    if (body.temperature !== undefined && (typeof body.temperature !== 'number' || body.temperature < 0 || body.temperature > 2)) {
      throw invalid(
        `Invalid 'temperature': ${String(body.temperature)}. Expected a value between 0 and 2.`,
        'temperature',
        'invalid_value',
      );
    }
    if (body.temperature !== undefined && body.temperature !== 1 && !chatModel.temperature) {
      throw invalid(
        `Unsupported value: 'temperature' does not support ${String(body.temperature)} with this model. Only the default (1) value is supported.`,
        'temperature',
        'unsupported_value',
      );
    }
    const format = body.response_format as
      { type?: string; json_schema?: { name?: unknown; schema?: unknown; strict?: unknown } } | undefined;
    const filler: Filler = {
      sentences: promptSentences(messages as { role: string; content: unknown }[]),
      next: 0,
      targetWords: requestedWords(messages as { role: string; content: unknown }[]),
    };
    let content: string;
    if (format === undefined || format.type === 'text') content = [nextSentence(filler), nextSentence(filler)].join(' ');
    else if (format.type === 'json_object') content = JSON.stringify({ answer: nextSentence(filler) });
    else if (format.type === 'json_schema') {
      const spec = format.json_schema;
      if (!spec || typeof spec.name !== 'string')
        throw invalid("Missing required parameter: 'response_format.json_schema.name'.", 'response_format.json_schema.name');
      if (!/^[a-zA-Z0-9_-]{1,64}$/.test(spec.name))
        throw invalid(
          `Invalid 'response_format.json_schema.name': string does not match pattern.`,
          'response_format.json_schema.name',
          'invalid_value',
        );
      if (!spec.schema || typeof spec.schema !== 'object')
        throw invalid("Missing required parameter: 'response_format.json_schema.schema'.", 'response_format.json_schema.schema');
      if (spec.strict === true) {
        const problem = strictSchemaProblem(spec.schema as Schema);
        if (problem)
          throw invalid(`Invalid schema for response_format '${spec.name}': ${problem}`, 'response_format', 'invalid_json_schema');
      }
      content = JSON.stringify(generateFromSchema(spec.schema as Schema, filler));
    } else
      throw invalid(
        `Invalid value: '${String(format.type)}'. Supported values are: 'text', 'json_object', and 'json_schema'.`,
        'response_format.type',
        'invalid_value',
      );

    const override = answers[0];
    if (override && --override.remaining <= 0) answers.shift();
    const message = override
      ? { role: 'assistant', content: override.content, refusal: override.refusal, annotations: [] }
      : { role: 'assistant', content, refusal: null, annotations: [] };
    const promptTokens = Math.ceil(JSON.stringify(messages).length / 4);
    const completionTokens = Math.ceil((message.content ?? message.refusal ?? '').length / 4);
    sendJson(response, 200, {
      id: `chatcmpl-${randomUUID().replace(/-/g, '')}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
        prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
      },
      service_tier: 'default',
      system_fingerprint: 'fp_acog_local',
    });
    return 200;
  }

  async function handle(request: IncomingMessage, response: ServerResponse, record: RecordedRequest, raw: Buffer): Promise<number> {
    const failure = failures.find((candidate) => !candidate.path || candidate.path === record.path);
    if (failure) {
      if (--failure.remaining <= 0) failures.splice(failures.indexOf(failure), 1);
      const headers: Record<string, string> = {};
      if (failure.retryAfter !== undefined) headers['retry-after'] = String(failure.retryAfter);
      if (failure.retryAfterMs !== undefined) headers['retry-after-ms'] = String(failure.retryAfterMs);
      sendError(response, cannedFailure(failure.status, failure.message, failure.code), headers);
      return failure.status;
    }
    if (apiKey !== null) {
      const authorization = request.headers.authorization;
      if (!authorization?.startsWith('Bearer ')) {
        throw new HttpFailure(
          401,
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username. You can obtain an API key from https://platform.openai.com/account/api-keys.",
        );
      }
      const given = authorization.slice('Bearer '.length);
      if (given !== apiKey) {
        const masked = given.length > 8 ? `${given.slice(0, 3)}${'*'.repeat(Math.min(given.length - 7, 20))}${given.slice(-4)}` : '***';
        throw new HttpFailure(
          401,
          `Incorrect API key provided: ${masked}. You can find your API key at https://platform.openai.com/account/api-keys.`,
          { code: 'invalid_api_key' },
        );
      }
    }
    if (request.method !== 'POST') throw new HttpFailure(404, `Invalid URL (${request.method} ${record.path})`);
    if (record.path === '/v1/audio/transcriptions') {
      const type = request.headers['content-type'] ?? '';
      if (!type.startsWith('multipart/form-data')) throw invalid('Expected a multipart/form-data request.', 'file');
      const form = await new Request('http://local/', {
        method: 'POST',
        headers: { 'content-type': type },
        body: new Uint8Array(raw),
      }).formData();
      record.body = Object.fromEntries(
        [...form.keys()].map((key) => [
          key,
          form
            .getAll(key)
            .map((value) => (value instanceof Blob ? { filename: (value as File).name, type: value.type, size: value.size } : value)),
        ]),
      );
      return transcription(form, response);
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    } catch {
      throw invalid(
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
      );
    }
    record.body = body;
    if (record.path === '/v1/chat/completions') return chatCompletion(body, response);
    if (record.path === '/v1/audio/speech') return speech(body, response);
    throw new HttpFailure(404, `Invalid URL (POST ${record.path})`);
  }

  const server = createServer((request, response) => {
    const record: RecordedRequest = {
      method: request.method ?? 'GET',
      path: new URL(request.url ?? '/', 'http://local').pathname,
      headers: { ...request.headers },
      body: undefined,
    };
    requests.push(record);
    readBody(request)
      .then((raw) => handle(request, response, record, raw))
      .then((status) => (record.status = status))
      .catch((error: unknown) => {
        const failure =
          error instanceof HttpFailure
            ? error
            : new HttpFailure(500, `The server had an error while processing your request: ${(error as Error).message}`, {
                type: 'server_error',
              });
        record.status = failure.status;
        if (!response.headersSent) sendError(response, failure);
        else response.destroy();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    apiKey,
    requests,
    failNext(status, failOptions = {}) {
      failures.push({ ...failOptions, status, remaining: failOptions.times ?? 1 });
    },
    answerNext(message, answerOptions = {}) {
      answers.push({ content: message.content ?? null, refusal: message.refusal ?? null, remaining: answerOptions.times ?? 1 });
    },
    reset() {
      requests.length = 0;
      failures.length = 0;
      answers.length = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(scratch, { recursive: true, force: true });
    },
  };
}
