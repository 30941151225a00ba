// The Piper voice against the real Piper installed by hack/setup.sh (hack/piper.sh) in
// ~/.cache/acog/piper, or wherever ACOG_PIPER_PYTHON points: these tests fail without it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChannelSpec } from '@acog/api';
import type { RefinedScript } from '../../contract/documents.ts';
import { buildCaptionCues } from '../../media/captions.ts';
import { providerTestContext, type TestContext } from '../testing.ts';
import { ProviderConfigError, type ProviderContext } from '../types.ts';
import { readWavInfo } from './audio.ts';
import { createVoice } from './index.ts';
import {
  PIPER_NATURAL_WORDS_PER_MINUTE,
  createPiperVoice,
  piperLengthScale,
  piperPythonPath,
  piperSpeaks,
  type SentenceAlignment,
} from './piper.ts';
import { wordSpans } from './timings.ts';

const root = await mkdtemp(join(tmpdir(), 'acog-piper-'));
afterAll(() => rm(root, { recursive: true, force: true }));

const script: RefinedScript = {
  title: 'Why your cache makes things slower',
  wordCount: 0,
  estimatedSeconds: 0,
  notes: [],
  beats: [
    {
      id: 'beat-1',
      heading: 'Hook',
      narration: 'You added a cache, and the page got slower. It happens more often than you think.',
      brollCues: [],
    },
    { id: 'beat-2', heading: 'Nothing', narration: '  ', brollCues: [] },
    {
      id: 'beat-3',
      heading: 'Why',
      narration: 'A cache that misses costs a round trip and then some. Measure the hit rate today.',
      brollCues: [],
    },
  ],
};
const scriptWords = script.beats.flatMap((beat) => wordSpans(beat.narration).map((span) => span.text));

function context(language = 'en', env: Record<string, string | undefined> = {}): Promise<TestContext> {
  return providerTestContext({
    workdirPrefix: join(root, 'work-'),
    channel: {
      persona: { name: 'Ada', tone: 'warm', audience: 'developers', language },
      format: { aspectRatio: '16:9', targetDurationSeconds: 60, wordsPerMinute: 150 },
    } as ChannelSpec,
    episode: { name: 'cache', namespace: 'test', uid: 'uid-1', spec: {} as ProviderContext['episode']['spec'] },
    env,
  });
}

/**
 * Word starts of a sentence read straight from its alignment, for sentences of plain words (one
 * spoken word each): a word starts at the first sound after a space (or the sentence's start mark).
 */
function alignedWordStarts(alignment: SentenceAlignment): number[] {
  const starts: number[] = [];
  let position = 0;
  let inWord = false;
  for (const [phoneme, samples] of alignment.phonemes) {
    const boundary = phoneme === ' ' || phoneme === '^' || phoneme === '$' || phoneme === '';
    if (boundary) inWord = false;
    else if (!inWord && /[\p{L}ˈˌ]/u.test(phoneme)) {
      starts.push(alignment.start + position / alignment.sampleRate);
      inWord = true;
    }
    position += samples;
  }
  return starts;
}

describe('Piper settings', () => {
  it('asks for the length scale that makes Piper speak at the Channel words per minute and speed', () => {
    expect(piperLengthScale(1, PIPER_NATURAL_WORDS_PER_MINUTE)).toBe(1);
    expect(piperLengthScale(1.1, 150)).toBeCloseTo(PIPER_NATURAL_WORDS_PER_MINUTE / 165, 3);
    expect(piperLengthScale(undefined, undefined)).toBeCloseTo(PIPER_NATURAL_WORDS_PER_MINUTE / 150, 3);
    expect(piperLengthScale(2, 240)).toBe(0.5);
    expect(piperLengthScale(0.5, 80)).toBe(2);
  });
  it('speaks English in any region and nothing else', () => {
    expect(['en', 'en-GB', 'EN-us', undefined].map(piperSpeaks)).toEqual([true, true, true, true]);
    expect(['de', 'es', 'fr', 'pt-BR', 'eng'].map(piperSpeaks)).toEqual([false, false, false, false, false]);
  });
  it('finds Piper in ACOG_PIPER_PYTHON, else in the ACOG cache', () => {
    expect(piperPythonPath({ ACOG_PIPER_PYTHON: '/opt/piper/bin/python' })).toBe('/opt/piper/bin/python');
    expect(piperPythonPath({ ACOG_CACHE: '/c' })).toBe('/c/piper/bin/python');
  });
  it('refuses a voice it does not have, naming the one it has', () => {
    expect(() => createPiperVoice({ provider: 'piper', voiceId: 'de_DE-thorsten-medium' })).toThrow(ProviderConfigError);
    expect(() => createPiperVoice({ provider: 'piper', voiceId: 'de_DE-thorsten-medium' })).toThrow(/en_US-joe-medium.*provider espeak/);
  });
  it('is the default voice', () => {
    expect(createVoice(undefined).name).toBe('piper');
    expect(createVoice({ provider: 'espeak' }).name).toBe('espeak');
  });
});

// Each test loads the voice (about 2 s, much more on a loaded machine).
describe('Piper voice', { timeout: 240_000 }, () => {
  it('speaks the script with word timings from its phoneme alignments, and the captions keep them', async () => {
    const ctx = await context();
    const alignments: SentenceAlignment[] = [];
    const produced = await createPiperVoice({ provider: 'piper' }, { onAlignment: (alignment) => alignments.push(alignment) }).synthesize(
      ctx,
      script,
    );
    const narration = produced.value;
    expect(narration.timing).toBe('word');
    expect(narration.spokenBy).toBeUndefined();
    expect(narration.words.map((word) => word.text)).toEqual(scriptWords);
    expect(ctx.lines.join('\n')).toMatch(/^Piper \(en_US-joe-medium, length scale 1\.293\) spoke 32 words/m);

    const audio = await readWavInfo(join(ctx.workdir, narration.audio));
    expect(audio).toMatchObject({ sampleRate: 48_000, channels: 1, bitsPerSample: 16 });
    expect(Math.abs(audio.durationSeconds - narration.durationSeconds)).toBeLessThan(0.001);
    // 32 words at 150 a minute last 12.8 s; the voice keeps to it within a fifth.
    expect(narration.durationSeconds).toBeGreaterThan(12.8 * 0.8);
    expect(narration.durationSeconds).toBeLessThan(12.8 * 1.2);

    expect(narration.beats.map((beat) => beat.id)).toEqual(['beat-1', 'beat-2', 'beat-3']);
    expect(narration.beats[1].end - narration.beats[1].start).toBe(0);
    expect(narration.beats.at(-1)!.end).toBe(narration.durationSeconds);

    // Every word starts where its sounds start in Piper's alignment (to the millisecond).
    expect(alignments.map((alignment) => alignment.text)).toEqual([
      'You added a cache, and the page got slower.',
      'It happens more often than you think.',
      'A cache that misses costs a round trip and then some.',
      'Measure the hit rate today.',
    ]);
    const expectedStarts = alignments.flatMap(alignedWordStarts);
    expect(expectedStarts).toHaveLength(scriptWords.length);
    narration.words.forEach((word, index) => expect(Math.abs(word.start - expectedStarts[index])).toBeLessThanOrEqual(0.0015));
    for (let index = 1; index < narration.words.length; index++) {
      expect(narration.words[index].start).toBeGreaterThanOrEqual(narration.words[index - 1].end);
      expect(narration.words[index].end).toBeGreaterThan(narration.words[index].start);
    }

    // Captions: each cue starts with its first word and ends with its last, as the alignment timed them.
    const cues = buildCaptionCues(narration.words, { narrationSeconds: narration.durationSeconds });
    expect(cues.flatMap((cue) => cue.words.map((word) => word.text))).toEqual(scriptWords);
    let wordIndex = 0;
    for (const cue of cues) {
      expect(Math.abs(cue.start - expectedStarts[wordIndex])).toBeLessThanOrEqual(0.0015);
      wordIndex += cue.words.length;
      expect(cue.end).toBeGreaterThanOrEqual(narration.words[wordIndex - 1].end - 0.0015);
    }
    await ctx.cleanup();
  });

  it('speaks faster at a higher speed', async () => {
    const ctx = await context();
    const short: RefinedScript = { ...script, beats: [script.beats[2]] };
    const normal = await createPiperVoice({ provider: 'piper' }).synthesize(ctx, short);
    const faster = await createPiperVoice({ provider: 'piper', speed: 1.5 }).synthesize(ctx, short);
    expect(faster.value.durationSeconds).toBeLessThan(normal.value.durationSeconds * 0.8);
    await ctx.cleanup();
  });

  it('leaves a language it has no voice for to espeak-ng, and says so', async () => {
    const ctx = await context('de');
    const german: RefinedScript = {
      ...script,
      beats: [{ id: 'beat-1', heading: 'Hallo', narration: 'Jürgen hier. Heute geht es um Festplatten.', brollCues: [] }],
    };
    const produced = await createPiperVoice({ provider: 'piper', speed: 1 }).synthesize(ctx, german);
    expect(ctx.lines[0]).toBe('Piper has no voice for language de (it has en_US-joe-medium): speaking with espeak-ng');
    expect(produced.value.spokenBy).toBe('espeak');
    expect(ctx.lines.some((line) => /^espeak-ng \(de, /.test(line))).toBe(true);
    expect(produced.value.words.map((word) => word.text)).toEqual(['Jürgen', 'hier.', 'Heute', 'geht', 'es', 'um', 'Festplatten.']);
    await ctx.cleanup();
  });

  it('falls back to espeak-ng where Piper is not installed, and says where it looked', async () => {
    const ctx = await context('en', { ACOG_PIPER_PYTHON: join(root, 'no-such-piper', 'bin', 'python') });
    const produced = await createPiperVoice({ provider: 'piper' }).synthesize(ctx, script);
    expect(ctx.lines[0]).toBe(
      `Piper is not installed (no ${join(root, 'no-such-piper', 'bin', 'python')}; hack/setup.sh installs it, or set ACOG_PIPER_PYTHON): speaking with espeak-ng`,
    );
    expect(produced.value.words.map((word) => word.text)).toEqual(scriptWords);
    expect(produced.value.spokenBy).toBe('espeak');
    await ctx.cleanup();
  });

  it('falls back to espeak-ng when the Python it finds has no Piper, with Python’s own reason', async () => {
    const ctx = await context('en', { ACOG_PIPER_PYTHON: '/usr/bin/python3' });
    const produced = await createPiperVoice({ provider: 'piper' }).synthesize(ctx, script);
    expect(ctx.lines[0]).toMatch(
      /^Piper could not start \(the Piper helper ended before its voice was loaded: .*No module named 'onnxruntime'.*\): speaking with espeak-ng$/,
    );
    expect(produced.value.words).toHaveLength(scriptWords.length);
    await ctx.cleanup();
  });
});
