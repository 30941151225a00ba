import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { VoiceProvider } from '@acog/api';
import type { RefinedScript } from '../../contract/documents.ts';
import { startOpenAiServer, type OpenAiServer } from '../../../../test/provider-servers/openai.ts';
import { createOfflineWriter } from '../writer/offline/index.ts';
import { testContext } from '../writer/test-fixtures.ts';
import { readWavInfo } from './audio.ts';
import { wordSpans } from './timings.ts';
import { createOpenAiVoice, marksFromTranscript, openAiVoiceCostUSD, type OpenAiVoiceOptions } from './openai.ts';

let server: OpenAiServer;
let script: RefinedScript;
beforeAll(async () => {
  server = await startOpenAiServer();
  const ctx = await testContext();
  const writer = createOfflineWriter();
  const plan = await writer.plan(ctx);
  script = (await writer.refine(ctx, (await writer.script(ctx, plan.value)).value)).value;
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.reset();
});

const spec: VoiceProvider = { provider: 'openai', secretRef: { name: 'engineering-explained-openai' } };
const fast: OpenAiVoiceOptions = { retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 40 } };

function contextFor(key = server.apiKey!) {
  return testContext({ env: { OPENAI_API_KEY: key, ACOG_OPENAI_BASE_URL: server.url } });
}

const requestsTo = (path: string) => server.requests.filter((request) => request.path === path);

describe('OpenAI voice against an OpenAI-compatible server', () => {
  it('speaks every beat, times every word from the transcription and places the beats', async () => {
    const ctx = await contextFor();
    const narration = await createOpenAiVoice(spec, fast).synthesize(ctx, script);
    const value = narration.value;

    const info = await readWavInfo(join(ctx.workdir, value.audio));
    expect(value.audio).toBe('narration.wav');
    expect(info.sampleRate).toBe(48_000);
    expect(info.durationSeconds).toBeCloseTo(value.durationSeconds, 3);
    expect(value.durationSeconds).toBeGreaterThan(30);
    expect(value.timing).toBe('word');
    expect(await readdir(ctx.workdir)).toEqual(['narration.wav']);

    const scriptWords = script.beats.flatMap((beat) => wordSpans(beat.narration).map((span) => span.text));
    expect(value.words.map((word) => word.text)).toEqual(scriptWords);
    for (const [index, word] of value.words.entries()) {
      expect(word.end).toBeGreaterThanOrEqual(word.start);
      expect(word.end).toBeLessThanOrEqual(value.durationSeconds);
      if (index > 0) expect(word.start).toBeGreaterThanOrEqual(value.words[index - 1]!.end);
    }

    expect(value.beats.map((beat) => beat.id)).toEqual(script.beats.map((beat) => beat.id));
    expect(value.beats[0]!.start).toBe(0);
    expect(value.beats.at(-1)!.end).toBe(value.durationSeconds);
    let wordIndex = 0;
    for (const [index, beat] of value.beats.entries()) {
      if (index > 0) expect(beat.start).toBe(value.beats[index - 1]!.end);
      const count = wordSpans(script.beats[index]!.narration).length;
      const words = value.words.slice(wordIndex, wordIndex + count);
      wordIndex += count;
      expect(words[0]!.start).toBeGreaterThanOrEqual(beat.start);
      expect(words.at(-1)!.end).toBeLessThanOrEqual(beat.end);
      // Speech fills the beat: its words start within a second of it and end within one second of its end.
      expect(words[0]!.start - beat.start).toBeLessThan(1);
      expect(beat.end - words.at(-1)!.end).toBeLessThan(1);
    }

    const speech = requestsTo('/v1/audio/speech').map((request) => request.body as Record<string, unknown>);
    expect(speech.map((body) => body.input)).toEqual(script.beats.map((beat) => beat.narration));
    for (const body of speech) {
      expect(body).toMatchObject({ model: 'gpt-4o-mini-tts', voice: 'alloy', response_format: 'wav' });
      expect(body.speed).toBeUndefined();
      expect(body.instructions).toBe('Speak as Ada. Tone: warm, precise and lightly humorous; short sentences; no hype.');
    }
    const transcriptions = requestsTo('/v1/audio/transcriptions').map((request) => request.body as Record<string, unknown[]>);
    expect(transcriptions).toHaveLength(script.beats.length);
    expect(transcriptions[0]).toMatchObject({
      model: ['whisper-1'],
      response_format: ['verbose_json'],
      'timestamp_granularities[]': ['word'],
      language: ['en'],
      file: [{ filename: 'narration-001.wav', type: 'audio/wav' }],
    });

    const characters = script.beats.reduce((sum, beat) => sum + [...beat.narration].length, 0);
    expect(narration.usage.characters).toBe(characters);
    expect(narration.usage.requests).toBe(script.beats.length);
    expect(narration.usage.transcribedSeconds).toBeGreaterThan(30);
    expect(narration.costUSD).toBeCloseTo((characters * 15) / 1e6 + (narration.usage.transcribedSeconds! / 60) * 0.006, 6);
  });

  it('asks for MP3 when told to, with the model, voice and speed of the spec', async () => {
    const ctx = await contextFor();
    const short: RefinedScript = { ...script, beats: script.beats.slice(0, 2) };
    const narration = await createOpenAiVoice(
      { ...spec, model: 'tts-1', voiceId: 'nova', speed: 1.25 },
      { ...fast, format: 'mp3' },
    ).synthesize(ctx, short);
    const speech = requestsTo('/v1/audio/speech').map((request) => request.body as Record<string, unknown>);
    expect(speech[0]).toMatchObject({ model: 'tts-1', voice: 'nova', speed: 1.25, response_format: 'mp3' });
    expect(speech[0]!.instructions).toBeUndefined();
    expect((requestsTo('/v1/audio/transcriptions')[0]!.body as Record<string, unknown[]>).file).toEqual([
      expect.objectContaining({ type: 'audio/mpeg' }),
    ]);
    expect(narration.value.words.length).toBe(short.beats.reduce((sum, beat) => sum + wordSpans(beat.narration).length, 0));
    expect((await readWavInfo(join(ctx.workdir, 'narration.wav'))).sampleRate).toBe(48_000);
    expect(narration.costUSD).toBeCloseTo(
      openAiVoiceCostUSD('tts-1', narration.usage.characters!, narration.usage.transcribedSeconds!)!,
      9,
    );
  });

  it('splits a long beat under the input limit and still places the beats right', async () => {
    const ctx = await contextFor();
    const short: RefinedScript = { ...script, beats: script.beats.slice(0, 2) };
    const narration = await createOpenAiVoice(spec, { ...fast, maxCharactersPerRequest: 80 }).synthesize(ctx, short);
    expect(requestsTo('/v1/audio/speech').length).toBeGreaterThan(short.beats.length);
    for (const body of requestsTo('/v1/audio/speech').map((request) => request.body as { input: string }))
      expect(body.input.length).toBeLessThanOrEqual(80);
    expect(narration.value.beats.map((beat) => beat.id)).toEqual(short.beats.map((beat) => beat.id));
    const secondBeatWords = wordSpans(short.beats[0]!.narration).length;
    expect(narration.value.words[secondBeatWords]!.start).toBeGreaterThanOrEqual(narration.value.beats[1]!.start);
  });

  it('retries a rate-limited speech request and a failed transcription', async () => {
    const ctx = await contextFor();
    const short: RefinedScript = { ...script, beats: script.beats.slice(0, 1) };
    server.failNext(429, { path: '/v1/audio/speech', retryAfterMs: 50 });
    server.failNext(500, { path: '/v1/audio/transcriptions' });
    const narration = await createOpenAiVoice(spec, fast).synthesize(ctx, short);
    expect(narration.value.words.length).toBeGreaterThan(3);
    expect(server.requests.map((request) => `${request.path} ${request.status}`)).toEqual([
      '/v1/audio/speech 429',
      '/v1/audio/speech 200',
      '/v1/audio/transcriptions 500',
      '/v1/audio/transcriptions 200',
    ]);
  });

  it('names OPENAI_API_KEY and its Secret on 401 and leaves no narration behind', async () => {
    const ctx = await contextFor('sk-not-the-right-one');
    await expect(createOpenAiVoice(spec, fast).synthesize(ctx, script)).rejects.toThrow(
      /OpenAI refused the credentials \(401\) for audio\.speech \(gpt-4o-mini-tts, piece 1 of 6\): Incorrect API key provided.*check OPENAI_API_KEY \(key OPENAI_API_KEY of Secret engineering-explained-openai\)/,
    );
    expect(await readdir(ctx.workdir)).toEqual([]);
  });
});

describe('marksFromTranscript', () => {
  const text = 'A B-tree keeps 10 keys sorted, see?';
  const heard = (...words: string[]) => words.map((word, index) => ({ word, start: index, end: index + 0.5 }));

  it('matches transcribed words to the text in order', () => {
    const marks = marksFromTranscript(text, heard('A', 'B', 'tree', 'keeps', '10', 'keys', 'sorted', 'see'));
    expect(marks.map((mark) => text.slice(mark.offset, mark.offset + mark.length))).toEqual([
      'A',
      'B-tree',
      'B-tree',
      'keeps',
      '10',
      'keys',
      'sorted,',
      'see?',
    ]);
    expect(marks[1]).toMatchObject({ start: 1, end: 1.5 });
  });

  it('skips what it cannot match without losing its place', () => {
    const marks = marksFromTranscript(text, heard('A', 'bee', 'tree', 'keeps', 'ten', 'keys', 'sorted', 'see'));
    expect(marks.map((mark) => text.slice(mark.offset, mark.offset + mark.length))).toEqual(['A', 'keeps', 'keys', 'sorted,', 'see?']);
  });
});

describe('openAiVoiceCostUSD', () => {
  it('prices known models by characters and transcribed minutes', () => {
    expect(openAiVoiceCostUSD('gpt-4o-mini-tts', 1_000_000, 60)).toBeCloseTo(15.006, 6);
    expect(openAiVoiceCostUSD('tts-1-hd', 1000, 0)).toBeCloseTo(0.03, 6);
    expect(openAiVoiceCostUSD('tts-1', 1000, 0)).toBeCloseTo(0.015, 6);
    expect(openAiVoiceCostUSD('some-other-tts', 1000, 60)).toBeUndefined();
  });
});
