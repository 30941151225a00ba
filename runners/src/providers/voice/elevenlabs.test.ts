import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelSpec, VoiceProvider } from '@acog/api';
import type { RefinedScript } from '../../contract/documents.ts';
import {
  startElevenLabsServer,
  SYSTEM_BUSY,
  TOO_MANY_CONCURRENT_REQUESTS,
  type ElevenLabsServer,
} from '../../../../test/provider-servers/elevenlabs.ts';
import { ProviderError } from '../http.ts';
import { providerTestContext, type TestContext } from '../testing.ts';
import { ProviderConfigError, type ProviderContext } from '../types.ts';
import { runTool } from './audio.ts';
import {
  createElevenLabsVoice,
  elevenLabsCostUSD,
  elevenLabsSpeed,
  elevenLabsStitching,
  validationMessage,
  type ElevenLabsOptions,
} from './elevenlabs.ts';
import { speechPieces, wordSpans } from './timings.ts';

const root = await mkdtemp(join(tmpdir(), 'acog-elevenlabs-'));
let server: ElevenLabsServer;
beforeAll(async () => {
  server = await startElevenLabsServer();
});
afterEach(() => {
  server.requests.length = 0;
});
afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

const script: RefinedScript = {
  title: 'Indexes',
  wordCount: 0,
  estimatedSeconds: 0,
  notes: [],
  beats: [
    { id: 'beat-1', heading: 'Hook', narration: 'Your query took nine seconds. An index makes it nine milliseconds.', brollCues: [] },
    {
      id: 'beat-2',
      heading: 'How',
      narration: 'A B-tree keeps the keys sorted — so the database can skip almost everything.',
      brollCues: [],
    },
  ],
};
const spec: VoiceProvider = { provider: 'elevenlabs', voiceId: 'JBFqnCBsd6RMkjVDRZzb', secretRef: { name: 'voice-keys' } };
// Fast retries: the waits under test are the ones the server asks for with Retry-After.
const fast: ElevenLabsOptions = { retry: { baseDelayMs: 10, maxDelayMs: 50 } };

function context(env: Record<string, string | undefined> = {}): Promise<TestContext> {
  return providerTestContext({
    workdirPrefix: join(root, 'work-'),
    channel: { persona: { name: 'Ada', tone: 'warm', audience: 'developers', language: 'en' } } as ChannelSpec,
    episode: { name: 'indexes', namespace: 'test', uid: 'uid-1', spec: {} as ProviderContext['episode']['spec'] },
    env: { ELEVENLABS_API_KEY: server.apiKey, ACOG_ELEVENLABS_BASE_URL: server.url, ...env },
  });
}

async function durationOf(file: string): Promise<number> {
  const out = await runTool('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file]);
  return Number(out.toString().trim());
}

function expectOrdered(words: { start: number; end: number }[], durationSeconds: number): void {
  let previous = { start: 0, end: 0 };
  for (const word of words) {
    expect(word.start).toBeGreaterThanOrEqual(previous.end);
    expect(word.end).toBeGreaterThan(word.start);
    expect(word.end).toBeLessThanOrEqual(durationSeconds);
    previous = word;
  }
}

describe('ElevenLabs voice', () => {
  it('speaks each beat with timestamps and joins them into one narration', async () => {
    const ctx = await context();
    const produced = await createElevenLabsVoice(spec, fast).synthesize(ctx, script);
    const narration = produced.value;

    expect(server.requests).toHaveLength(2);
    const [first, second] = server.requests;
    expect(first).toMatchObject({
      method: 'POST',
      path: '/v1/text-to-speech/JBFqnCBsd6RMkjVDRZzb/with-timestamps',
      query: { output_format: 'mp3_44100_128' },
      status: 200,
    });
    expect(first.body).toEqual({
      text: script.beats[0].narration,
      model_id: 'eleven_multilingual_v2',
      next_text: script.beats[1].narration,
    });
    expect(second.body).toEqual({
      text: script.beats[1].narration,
      model_id: 'eleven_multilingual_v2',
      previous_text: script.beats[0].narration,
    });

    expect(narration).toMatchObject({ audio: 'narration.wav', timing: 'word' });
    expect(Math.abs((await durationOf(join(ctx.workdir, 'narration.wav'))) - narration.durationSeconds)).toBeLessThanOrEqual(0.05);
    expect(narration.words.map((word) => word.text)).toEqual(
      script.beats.flatMap((beat) => wordSpans(beat.narration).map((span) => span.text)),
    );
    expectOrdered(narration.words, narration.durationSeconds);

    const [hook, how] = narration.beats;
    expect(hook).toMatchObject({ id: 'beat-1', start: 0 });
    expect(how.start).toBe(hook.end);
    expect(how.end).toBe(narration.durationSeconds);
    const firstOfBeat2 = wordSpans(script.beats[0].narration).length;
    expect(narration.words[firstOfBeat2 - 1].end).toBeLessThanOrEqual(how.start);
    expect(narration.words[firstOfBeat2].start).toBeGreaterThanOrEqual(how.start);

    const characters = script.beats.reduce((sum, beat) => sum + beat.narration.length, 0);
    expect(produced.usage).toMatchObject({ characters, requests: 2 });
    expect(produced.costUSD).toBeCloseTo(characters * 0.0001, 6);
    expect(await readdir(ctx.workdir)).toEqual(['narration.wav']);
  });

  it('sends Eleven v3 no request stitching (the catalog says it refuses it), one request per beat still', async () => {
    const ctx = await context();
    const produced = await createElevenLabsVoice({ ...spec, model: 'eleven_v3' }, fast).synthesize(ctx, script);
    expect(server.requests.map((request) => request.status)).toEqual([200, 200]);
    expect(server.requests.map((request) => request.body)).toEqual(
      script.beats.map((beat) => ({ text: beat.narration, model_id: 'eleven_v3' })),
    );
    expect(produced.value.words.length).toBeGreaterThan(0);
  });

  it('stitches only for models the catalog says take it', () => {
    expect(elevenLabsStitching('eleven_v3')).toBe(false);
    expect(elevenLabsStitching('eleven_multilingual_v2')).toBe(true);
    expect(elevenLabsStitching('eleven_flash_v2_5')).toBe(true);
    expect(elevenLabsStitching('a-model-the-catalog-does-not-know')).toBe(false);
  });

  it('splits a long beat under the character limit and offsets every piece', async () => {
    const long: RefinedScript = {
      ...script,
      beats: [
        {
          id: 'beat-1',
          heading: 'Long',
          narration: 'First sentence of the long beat. Second sentence comes next. Third one is here. Fourth and last one.',
          brollCues: [],
        },
        { id: 'beat-2', heading: 'Short', narration: 'Done.', brollCues: [] },
      ],
    };
    const ctx = await context();
    const produced = await createElevenLabsVoice(
      { ...spec, model: 'eleven_flash_v2_5', speed: 1.1 },
      { ...fast, maxCharactersPerRequest: 40 },
    ).synthesize(ctx, long);
    const narration = produced.value;

    const texts = server.requests.map((request) => (request.body as { text: string }).text);
    expect(texts).toEqual([
      'First sentence of the long beat.',
      'Second sentence comes next.',
      'Third one is here. Fourth and last one.',
      'Done.',
    ]);
    for (const [index, request] of server.requests.entries()) {
      expect(request.body).toEqual({
        text: texts[index],
        model_id: 'eleven_flash_v2_5',
        voice_settings: { speed: 1.1 },
        ...(index > 0 ? { previous_text: texts[index - 1] } : {}),
        ...(index + 1 < texts.length ? { next_text: texts[index + 1] } : {}),
      });
    }

    expect(narration.words.map((word) => word.text)).toEqual(
      long.beats.flatMap((beat) => wordSpans(beat.narration).map((span) => span.text)),
    );
    expectOrdered(narration.words, narration.durationSeconds);
    // Each piece's words start after the piece before it, not at zero: "Second" follows "beat." and so on.
    const startOf = (text: string) => narration.words.find((word) => word.text === text)!.start;
    const endOf = (text: string) => narration.words.find((word) => word.text === text)!.end;
    expect(startOf('Second')).toBeGreaterThan(endOf('beat.'));
    expect(startOf('Third')).toBeGreaterThan(endOf('next.'));
    expect(startOf('Done.')).toBeGreaterThanOrEqual(narration.beats[1].start);
    expect(narration.words.at(-1)!.end).toBeGreaterThan(narration.durationSeconds - 1);
    expect(Math.abs((await durationOf(join(ctx.workdir, 'narration.wav'))) - narration.durationSeconds)).toBeLessThanOrEqual(0.05);
    expect(produced.costUSD).toBeCloseTo(produced.usage.characters * 0.00005, 6);
  });

  it('names the key and its Secret when ElevenLabs refuses it (401), without retrying', async () => {
    const ctx = await context({ ELEVENLABS_API_KEY: 'sk_wrong' });
    const failure = createElevenLabsVoice(spec, fast).synthesize(ctx, script);
    await expect(failure).rejects.toBeInstanceOf(ProviderError);
    await expect(failure).rejects.toThrow(
      /refused the credentials \(401\).*Invalid API key.*ELEVENLABS_API_KEY \(key ELEVENLABS_API_KEY of Secret voice-keys\)/,
    );
    expect(server.requests).toHaveLength(1);
    expect(await readdir(ctx.workdir)).toEqual([]);
  });

  it('says which Secret should hold a missing key, before any request', async () => {
    const failure = createElevenLabsVoice({ ...spec, secretRef: { name: 'voice-keys', key: 'xi' } }).synthesize(
      await context({ ELEVENLABS_API_KEY: undefined }),
      script,
    );
    await expect(failure).rejects.toBeInstanceOf(ProviderConfigError);
    await expect(failure).rejects.toThrow('ELEVENLABS_API_KEY is not set: the runner reads it from key xi of Secret voice-keys');
    expect(server.requests).toHaveLength(0);
  });

  it("shows ElevenLabs' validation detail of a 422", async () => {
    server.failNext(422, {
      body: {
        detail: [
          {
            type: 'less_than_equal',
            loc: ['body', 'voice_settings', 'stability'],
            msg: 'Input should be less than or equal to 1',
            input: 3,
          },
        ],
      },
    });
    const failure = createElevenLabsVoice(spec, fast).synthesize(await context(), script);
    await expect(failure).rejects.toThrow(
      /refused the request \(422\) on POST \/v1\/text-to-speech\/JBFqnCBsd6RMkjVDRZzb\/with-timestamps: body\.voice_settings\.stability: Input should be less than or equal to 1$/,
    );
    expect(server.requests).toHaveLength(1);
  });

  it('waits as long as Retry-After asks on either kind of 429, then goes on', async () => {
    server.failNext(429, { body: TOO_MANY_CONCURRENT_REQUESTS, retryAfter: 1 });
    server.failNext(429, { body: SYSTEM_BUSY, retryAfter: 1 });
    const ctx = await context();
    const started = Date.now();
    const produced = await createElevenLabsVoice(spec, fast).synthesize(ctx, script);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(server.requests.map((request) => request.status)).toEqual([429, 429, 200, 200]);
    expect(server.requests[1].at - server.requests[0].at).toBeGreaterThanOrEqual(990);
    expect(server.requests[2].at - server.requests[1].at).toBeGreaterThanOrEqual(990);
    expect(ctx.lines.join('\n')).toMatch(/rate-limiting \(429\).*concurrent requests.*trying again in 1\.0 s/);
    expect(ctx.lines.join('\n')).toMatch(/rate-limiting \(429\).*large volume of requests/);
    expect(produced.value.words.length).toBeGreaterThan(10);
  });

  it('retries a failing server a bounded number of times, then gives up with its message', async () => {
    server.failNext(500, { times: 3 });
    const failure = createElevenLabsVoice(spec, { retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 20 } }).synthesize(
      await context(),
      script,
    );
    await expect(failure).rejects.toThrow(/ElevenLabs failed \(500\) on POST .*internal error occurred/);
    expect(server.requests.map((request) => request.status)).toEqual([500, 500, 500]);
  });

  it('retries a 503 and goes on', async () => {
    server.failNext(503, { times: 2 });
    const produced = await createElevenLabsVoice(spec, fast).synthesize(await context(), script);
    expect(server.requests.map((request) => request.status)).toEqual([503, 503, 200, 200]);
    expect(produced.value.words.length).toBeGreaterThan(10);
  });
});

describe('ElevenLabs settings', () => {
  it('prices characters by model', () => {
    expect(elevenLabsCostUSD(10_000, 'eleven_multilingual_v2')).toBe(1);
    expect(elevenLabsCostUSD(10_000, 'eleven_v3')).toBe(1);
    expect(elevenLabsCostUSD(10_000, 'eleven_flash_v2_5')).toBe(0.5);
    expect(elevenLabsCostUSD(10_000, 'eleven_turbo_v2')).toBe(0.5);
  });
  it('keeps the speed within what ElevenLabs accepts', () => {
    expect([undefined, 1, 0.5, 1.1, 2].map(elevenLabsSpeed)).toEqual([undefined, 1, 0.7, 1.1, 1.2]);
  });
  it('reads both shapes of a validation error', () => {
    expect(
      validationMessage({ detail: [{ loc: ['query', 'output_format'], msg: 'Input should be a valid format' }, { msg: 'bad' }] }),
    ).toBe('query.output_format: Input should be a valid format; bad');
    expect(
      validationMessage({ detail: { type: 'validation_error', code: 'invalid_parameters', message: 'Unknown model.', param: 'model_id' } }),
    ).toBe('model_id: Unknown model.');
    expect(validationMessage({ other: true })).toBe('{"other":true}');
  });
  it('makes one request per beat, more for a beat over the limit, none for an empty one', () => {
    const pieces = speechPieces({ ...script, beats: [...script.beats, { id: 'beat-3', heading: '', narration: '  ', brollCues: [] }] }, 40);
    expect(pieces.map((piece) => piece.beatId)).toEqual(['beat-1', 'beat-1', 'beat-2', 'beat-2']);
  });
});
