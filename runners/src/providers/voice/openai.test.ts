import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { VoiceProvider } from '@acog/api';
import type { RefinedScript } from '../../contract/documents.ts';
import { startOpenAiServer, type OpenAiServer } from '../../../../test/provider-servers/openai.ts';
import { createOfflineWriter } from '../writer/offline/index.ts';
import { testContext } from '../writer/test-fixtures.ts';
import { readWavInfo } from './audio.ts';
import { sentenceSpans, wordSpans } from './timings.ts';
import { createOpenAiVoice, sentenceWordTimings, type OpenAiVoiceOptions } from './openai.ts';

let server: OpenAiServer;
let script: RefinedScript;
beforeAll(async () => {
  // OpenAI as on the day the catalog was checked: its speech models shut down on 2027-01-06.
  server = await startOpenAiServer({ now: () => new Date('2026-12-07T12:00:00Z') });
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
  it('speaks every sentence on its own, times every word inside its sentence and places the beats', async () => {
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
    const sentences = script.beats.flatMap((beat) => sentenceSpans(beat.narration).map((sentence) => sentence.text));
    expect(sentences.length).toBeGreaterThan(script.beats.length);
    expect(speech.map((body) => body.input)).toEqual(sentences);
    for (const body of speech) {
      expect(body).toMatchObject({ model: 'gpt-4o-mini-tts', voice: 'alloy', response_format: 'wav' });
      expect(body.speed).toBeUndefined();
      expect(body.instructions).toBe('Speak as Ada. Tone: warm, precise and lightly humorous; short sentences; no hype.');
    }
    // No transcription: whisper-1, the only OpenAI model with word timestamps, shuts down on 2027-02-26.
    expect(requestsTo('/v1/audio/transcriptions')).toEqual([]);

    const characters = sentences.reduce((sum, sentence) => sum + [...sentence].length, 0);
    expect(narration.usage).toEqual({ characters, requests: sentences.length, seconds: value.durationSeconds });
    // gpt-4o-mini-tts: about $15 per million characters (api/catalog/openai.yaml).
    expect(narration.costUSD).toBeCloseTo((characters * 15) / 1e6, 6);
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
    expect(narration.value.words.length).toBe(short.beats.reduce((sum, beat) => sum + wordSpans(beat.narration).length, 0));
    expect((await readWavInfo(join(ctx.workdir, 'narration.wav'))).sampleRate).toBe(48_000);
    expect(narration.costUSD).toBeCloseTo((narration.usage.characters! * 15) / 1e6, 9);
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

  it('retries a rate-limited and a failed speech request', async () => {
    const ctx = await contextFor();
    const short: RefinedScript = { ...script, beats: script.beats.slice(0, 1) };
    server.failNext(429, { path: '/v1/audio/speech', retryAfterMs: 50 });
    server.failNext(500, { path: '/v1/audio/speech' });
    const narration = await createOpenAiVoice(spec, fast).synthesize(ctx, short);
    expect(narration.value.words.length).toBeGreaterThan(3);
    expect(server.requests.slice(0, 3).map((request) => `${request.path} ${request.status}`)).toEqual([
      '/v1/audio/speech 429',
      '/v1/audio/speech 500',
      '/v1/audio/speech 200',
    ]);
  });

  it('fails at once when the account has no quota, saying to check billing', async () => {
    const ctx = await contextFor();
    server.failNext(429, { path: '/v1/audio/speech', code: 'insufficient_quota', times: 5 });
    await expect(createOpenAiVoice(spec, fast).synthesize(ctx, script)).rejects.toThrow(
      /^OpenAI refused audio\.speech \(gpt-4o-mini-tts, piece 1 of \d+\): the account has no quota left \(429 insufficient_quota\).*check the plan and billing/,
    );
    expect(server.requests.map((request) => request.status)).toEqual([429]);
  });

  it('names OPENAI_API_KEY and its Secret on 401 and leaves no narration behind', async () => {
    const ctx = await contextFor('sk-not-the-right-one');
    await expect(createOpenAiVoice(spec, fast).synthesize(ctx, script)).rejects.toThrow(
      /OpenAI refused the credentials \(401\) for audio\.speech \(gpt-4o-mini-tts, piece 1 of \d+\): Incorrect API key provided.*check OPENAI_API_KEY \(key OPENAI_API_KEY of Secret engineering-explained-openai\)/,
    );
    expect(await readdir(ctx.workdir)).toEqual([]);
  });
});

describe('sentenceWordTimings', () => {
  it('spreads the words over the voiced part of the audio by their characters, a space weighing one', () => {
    const rate = 1000;
    // 0.5 s of silence, 1.1 s of sound, 0.4 s of silence.
    const samples = new Int16Array(2000);
    samples.fill(8000, 500, 1600);
    const words = sentenceWordTimings('A bb ccccc.', samples, rate);
    // 1 + 2 + 6 characters and two spaces: 11 units over 1.1 s, 0.1 s each.
    expect(words.map((word) => word.text)).toEqual(['A', 'bb', 'ccccc.']);
    expect(words[0]!.start).toBeCloseTo(0.5, 9);
    expect(words[0]!.end).toBeCloseTo(0.6, 9);
    expect(words[1]!.start).toBeCloseTo(0.7, 9);
    expect(words[1]!.end).toBeCloseTo(0.9, 9);
    expect(words[2]!.start).toBeCloseTo(1.0, 9);
    expect(words[2]!.end).toBeCloseTo(1.6, 9);
  });

  it('uses the whole piece when nothing in it is voiced', () => {
    const words = sentenceWordTimings('Quiet here.', new Int16Array(1000), 1000);
    expect(words[0]!.start).toBe(0);
    expect(words.at(-1)!.end).toBeCloseTo(1, 9);
  });
});
