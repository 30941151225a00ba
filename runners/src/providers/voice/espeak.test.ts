import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChannelSpec } from '@acog/api';
import type { Narration, RefinedScript } from '../../contract/documents.ts';
import { providerTestContext, type TestContext } from '../testing.ts';
import { ProviderConfigError, type ProviderContext } from '../types.ts';
import { runTool } from './audio.ts';
import {
  correctedWordsPerMinute,
  createEspeakVoice,
  espeakVoiceName,
  espeakWordsPerMinute,
  narrationSegments,
  utf16Offsets,
} from './espeak.ts';
import { wordSpans } from './timings.ts';

const root = await mkdtemp(join(tmpdir(), 'acog-espeak-'));
afterAll(() => rm(root, { recursive: true, force: true }));

// The helper is built afresh into this test's own cache folder: the first test pays for the build.
const cacheDir = join(root, 'cache');

const script: RefinedScript = {
  title: 'Why your cache makes things slower',
  wordCount: 0,
  estimatedSeconds: 0,
  notes: [],
  beats: [
    {
      id: 'beat-1',
      heading: 'Hook',
      narration: 'You added a cache, and the page got slower. It happens more often than you think — e.g. 3.5 times in 1234 requests.',
      brollCues: [],
    },
    { id: 'beat-2', heading: 'Nothing', narration: '   ', brollCues: [] },
    {
      id: 'beat-3',
      heading: 'Why',
      narration:
        "A cache that misses costs a round trip and then some. Naïve keys, café-style: everyone waits for the same barista! Isn't that odd?",
      brollCues: [],
    },
    { id: 'beat-4', heading: 'Try it', narration: 'Measure the hit rate today.', brollCues: [] },
  ],
};
const scriptWords = script.beats.flatMap((beat) => wordSpans(beat.narration).map((span) => span.text));

function context(env: Record<string, string | undefined> = {}): Promise<TestContext> {
  return providerTestContext({
    workdirPrefix: join(root, 'work-'),
    channel: {
      persona: { name: 'Ada', tone: 'warm', audience: 'developers', language: 'en' },
      format: { aspectRatio: '16:9', targetDurationSeconds: 60 },
    } as ChannelSpec,
    episode: { name: 'cache', namespace: 'test', uid: 'uid-1', spec: {} as ProviderContext['episode']['spec'] },
    // An empty ACOG_ESPEAK_TIMINGS hides one the machine may have: these tests build their own.
    env: { ACOG_ESPEAK_TIMINGS: '', ACOG_CACHE: cacheDir, ...env },
  });
}

async function probe(file: string): Promise<{ duration: number; sampleRate: number; channels: number; codec: string }> {
  const out = await runTool('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'stream=duration,sample_rate,channels,codec_name',
    '-of',
    'json',
    file,
  ]);
  const [stream] = (
    JSON.parse(out.toString()) as { streams: { duration: string; sample_rate: string; channels: number; codec_name: string }[] }
  ).streams;
  return { duration: Number(stream.duration), sampleRate: Number(stream.sample_rate), channels: stream.channels, codec: stream.codec_name };
}

async function expectConsistent(narration: Narration, workdir: string): Promise<void> {
  const audio = await probe(join(workdir, narration.audio));
  expect(audio).toMatchObject({ sampleRate: 48_000, channels: 1, codec: 'pcm_s16le' });
  expect(Math.abs(audio.duration - narration.durationSeconds)).toBeLessThanOrEqual(0.05);

  expect(narration.words.map((word) => word.text)).toEqual(scriptWords);
  let previous = { start: 0, end: 0 };
  for (const word of narration.words) {
    expect(word.start).toBeGreaterThanOrEqual(previous.start);
    expect(word.start).toBeGreaterThanOrEqual(previous.end);
    expect(word.end).toBeGreaterThanOrEqual(word.start);
    expect(word.end).toBeLessThanOrEqual(narration.durationSeconds);
    previous = word;
  }
  expect(narration.words.filter((word) => word.end > word.start).length).toBe(narration.words.length);

  expect(narration.beats.map((beat) => beat.id)).toEqual(['beat-1', 'beat-2', 'beat-3', 'beat-4']);
  expect(narration.beats[0].start).toBe(0);
  expect(narration.beats.at(-1)!.end).toBe(narration.durationSeconds);
  for (const [index, beat] of narration.beats.entries()) {
    expect(beat.end).toBeGreaterThanOrEqual(beat.start);
    if (index > 0) expect(beat.start).toBe(narration.beats[index - 1].end);
  }
  // Every word lies inside the beat it was written in; the empty beat holds none.
  let wordIndex = 0;
  for (const beat of script.beats) {
    const span = narration.beats.find((candidate) => candidate.id === beat.id)!;
    for (let count = wordSpans(beat.narration).length; count > 0; count--, wordIndex++) {
      const word = narration.words[wordIndex];
      expect(word.start).toBeGreaterThanOrEqual(span.start);
      expect(word.end).toBeLessThanOrEqual(span.end);
    }
  }
  expect(narration.beats[1].end - narration.beats[1].start).toBe(0);
}

describe('espeak voice', () => {
  it('builds its helper on first use and times every word', async () => {
    const ctx = await context();
    const started = performance.now();
    const produced = await createEspeakVoice({ provider: 'espeak' }).synthesize(ctx, script);
    const elapsed = performance.now() - started;
    expect(produced.value.timing).toBe('word');
    expect(produced.value.audio).toBe('narration.wav');
    await expectConsistent(produced.value, ctx.workdir);
    expect(produced.costUSD).toBe(0);
    expect(produced.usage.characters).toBeGreaterThan(200);
    ctx.log(`first run with the build: ${elapsed.toFixed(0)} ms`);
    expect(ctx.lines.join('\n')).toMatch(/timed by word/);
  });

  it('speaks a minute of narration quickly once the helper is built', async () => {
    const sentence = 'The quick brown fox jumps over the lazy dog while the engineer explains why indexes matter.';
    const long: RefinedScript = {
      ...script,
      beats: [1, 2, 3, 4].map((n) => ({
        id: `beat-${n}`,
        heading: `Beat ${n}`,
        narration: Array(4).fill(sentence).join(' '),
        brollCues: [],
      })),
    };
    const ctx = await context();
    const started = performance.now();
    const produced = await createEspeakVoice({ provider: 'espeak' }).synthesize(ctx, long);
    const elapsed = performance.now() - started;
    expect(produced.value.durationSeconds).toBeGreaterThan(45);
    expect(produced.value.words).toHaveLength(4 * 4 * 16);
    // Generous for a shared two-core machine: espeak-ng itself needs about 0.15 s for this.
    expect(elapsed).toBeLessThan(10_000);
    console.log(`espeak: ${produced.value.durationSeconds.toFixed(1)} s of narration in ${elapsed.toFixed(0)} ms`);
  });

  it('times by sentence when asked not to use the helper', async () => {
    const ctx = await context();
    const produced = await createEspeakVoice({ provider: 'espeak' }, { wordTimings: false }).synthesize(ctx, script);
    expect(produced.value.timing).toBe('sentence');
    await expectConsistent(produced.value, ctx.workdir);
  });

  it('falls back to sentences when the helper cannot be built', async () => {
    const ctx = await context({ ACOG_CACHE: join(root, 'no-compiler'), CC: '/bin/false' });
    const produced = await createEspeakVoice({ provider: 'espeak' }).synthesize(ctx, script);
    expect(produced.value.timing).toBe('sentence');
    await expectConsistent(produced.value, ctx.workdir);
    expect(ctx.lines.join('\n')).toMatch(/could not be built.*timing words by sentence/);
  });

  it('speaks faster with a higher speed', async () => {
    const [normal, fast] = await Promise.all([
      createEspeakVoice({ provider: 'espeak' }).synthesize(await context(), script),
      createEspeakVoice({ provider: 'espeak', speed: 1.5 }).synthesize(await context(), script),
    ]);
    expect(fast.value.durationSeconds).toBeLessThan(normal.value.durationSeconds * 0.8);
  });

  it('says which voice does not exist, with and without the helper', async () => {
    for (const wordTimings of [true, false]) {
      const failure = createEspeakVoice({ provider: 'espeak', voiceId: 'xx-nowhere' }, { wordTimings }).synthesize(await context(), script);
      await expect(failure).rejects.toBeInstanceOf(ProviderConfigError);
      await expect(failure).rejects.toThrow(/xx-nowhere/);
    }
  });

  it('refuses a script with nothing to say', async () => {
    const empty = { ...script, beats: [{ id: 'beat-1', heading: 'h', narration: ' ', brollCues: [] }] };
    await expect(createEspeakVoice().synthesize(await context(), empty)).rejects.toThrow(/no narration/);
  });
});

describe('espeak settings', () => {
  it('takes the voice from the spec, else from the persona language', () => {
    expect(espeakVoiceName('de', 'en')).toBe('de');
    expect(espeakVoiceName(undefined, 'en')).toBe('en-us');
    expect(espeakVoiceName(undefined, undefined)).toBe('en-us');
    expect(espeakVoiceName(undefined, 'en-GB')).toBe('en-gb');
    expect(espeakVoiceName(undefined, 'pt-BR')).toBe('pt-br');
  });
  it('asks for a slower -s when the first run spoke faster than wanted, within what espeak-ng accepts', () => {
    // en-us at -s 150 speaks a 60 s script in about 46 s.
    expect(correctedWordsPerMinute(150, 46, 60)).toBe(115);
    expect(correctedWordsPerMinute(165, 60, 55)).toBe(180);
    expect(correctedWordsPerMinute(100, 10, 60)).toBe(80);
    expect(correctedWordsPerMinute(400, 60, 40)).toBe(450);
  });

  it('speaks 175 words a minute at normal speed, within what espeak-ng accepts', () => {
    expect([undefined, 1, 1.2, 0.1, 5].map((speed) => espeakWordsPerMinute(speed))).toEqual([175, 175, 210, 80, 450]);
  });

  it("speaks at the channel's words per minute, the rate the script was fitted to", () => {
    expect(espeakWordsPerMinute(undefined, 150)).toBe(150);
    expect(espeakWordsPerMinute(1.2, 150)).toBe(180);
  });
  it('maps espeak-ng character positions to JavaScript string positions', () => {
    const offset = utf16Offsets('a🚀b');
    expect([0, 1, 2, 3, 9].map(offset)).toEqual([0, 1, 3, 4, 4]);
  });
  it('sends only beats with something to say, each on one line', () => {
    expect(narrationSegments(script).map((segment) => segment.beatId)).toEqual(['beat-1', 'beat-3', 'beat-4']);
    expect(narrationSegments({ ...script, beats: [{ ...script.beats[0], narration: ' a\n\tb\x1ec ' }] })[0].text).toBe('a b c');
  });
});
