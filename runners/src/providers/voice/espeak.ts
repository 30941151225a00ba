// The offline voice: espeak-ng on the runner. Word timings come from libespeak-ng's word events
// through a small native helper (runners/native/espeak-timings.c), built on first use; where it
// cannot be built, each sentence is spoken on its own and its words share its measured span.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { VoiceProvider } from '@acog/api';
import type { Narration, RefinedScript } from '../../contract/documents.ts';
import { ProviderConfigError, type Produced, type ProviderContext } from '../types.ts';
import { NARRATION_SAMPLE_RATE, NarrationTrack, ToolError, convertToWav, fileExists, runTool, voicedRange, wavSamples } from './audio.ts';
import {
  BEAT_PAUSE_SECONDS,
  assembleTimeline,
  distributeByCharacters,
  sentenceSpans,
  wordSpans,
  wordsFromMarks,
  type PlacedChunk,
} from './timings.ts';
import type { Voice } from './types.ts';
import { countWords } from '../writer/text.ts';
import { DEFAULT_WORDS_PER_MINUTE } from '../writer/rules.ts';

const NARRATION_FILE = 'narration.wav';
const HELPER_SOURCE = fileURLToPath(new URL('../../../native/espeak-timings.c', import.meta.url));
// The helper's segment separator (ASCII record separator): never part of a narration.
const SEGMENT_SEPARATOR = '\x1e';

export interface EspeakOptions {
  /** false times words by sentence without trying the native helper (what happens when it cannot be built). */
  wordTimings?: boolean;
}

/** The espeak-ng voice: spec.voiceId, else the persona's language (plain "en" speaks American English). */
export function espeakVoiceName(voiceId: string | undefined, language: string | undefined): string {
  if (voiceId) return voiceId;
  const tag = (language ?? 'en').toLowerCase();
  return tag === 'en' ? 'en-us' : tag;
}

/**
 * The rate the narration should have: the channel's words per minute (what the writer fitted the
 * script to, so the narration lasts as planned; the voice passes 150, the writers' default, when
 * unset) times the voice's speed; espeak-ng accepts 80 to 450. The first -s espeak-ng is asked for.
 */
export function espeakWordsPerMinute(speed: number | undefined, channelWordsPerMinute = 175): number {
  return Math.min(450, Math.max(80, Math.round(channelWordsPerMinute * (speed ?? 1))));
}

/**
 * How far espeak-ng's real rate may be from the rate asked for before the narration is spoken again.
 * Its -s is nominal: measured on the example scripts at -s 150, en-us speaks about 194 words a minute
 * and de about 145, so a script fitted to 150 words a minute would run 22 % short in English.
 */
export const RATE_TOLERANCE = 0.03;

/**
 * The -s to ask for the second time: the first run spoke `spokenSeconds` where `wantedSeconds` were
 * wanted (both without the pauses between beats), and espeak-ng's speech time is inversely
 * proportional to -s.
 */
export function correctedWordsPerMinute(asked: number, spokenSeconds: number, wantedSeconds: number): number {
  return Math.min(450, Math.max(80, Math.round((asked * spokenSeconds) / wantedSeconds)));
}

interface Segment {
  beatId: string;
  text: string;
}

/** The beats that have something to say, with their text on one line. */
export function narrationSegments(script: RefinedScript): Segment[] {
  return script.beats
    .map((beat) => ({ beatId: beat.id, text: beat.narration.replaceAll(SEGMENT_SEPARATOR, ' ').replace(/\s+/gu, ' ').trim() }))
    .filter((segment) => segment.text.length > 0);
}

export function createEspeakVoice(spec?: VoiceProvider, options: EspeakOptions = {}): Voice {
  return {
    name: 'espeak',
    async synthesize(ctx: ProviderContext, script: RefinedScript): Promise<Produced<Narration>> {
      const segments = narrationSegments(script);
      if (segments.length === 0) throw new Error('the script has no narration to speak');
      const voice = espeakVoiceName(spec?.voiceId, ctx.channel.persona.language);
      // The rate the writer fitted the script to (writer/rules.ts narrationWordsPerMinute).
      const wanted = espeakWordsPerMinute(spec?.speed, ctx.channel.format.wordsPerMinute ?? DEFAULT_WORDS_PER_MINUTE);
      const raw = join(ctx.workdir, 'narration.espeak.wav');
      const helper = options.wordTimings === false ? undefined : await espeakTimingsHelper(ctx);
      let useHelper = !!helper;
      const speak = async (rate: number) => {
        let chunks = useHelper ? await speakWithWordEvents(helper!, segments, voice, rate, raw, ctx).catch(fallBack(ctx)) : undefined;
        useHelper = !!chunks;
        chunks ??= await speakBySentence(segments, voice, rate, raw, ctx.signal);
        const audio = await convertToWav(raw, join(ctx.workdir, NARRATION_FILE), NARRATION_SAMPLE_RATE, ctx.signal);
        return { chunks, audio, timing: useHelper ? ('word' as const) : ('sentence' as const) };
      };
      try {
        let wordsPerMinute = wanted;
        let { chunks, audio, timing } = await speak(wordsPerMinute);
        // espeak-ng's -s is nominal and differs by language: measure, and speak once more at the rate that gives the wanted length.
        const pauses = BEAT_PAUSE_SECONDS * (segments.length - 1);
        const wantedSeconds = (segments.reduce((sum, segment) => sum + countWords(segment.text), 0) / wanted) * 60;
        const spokenSeconds = Math.max(0.1, audio.durationSeconds - pauses);
        if (Math.abs(spokenSeconds / wantedSeconds - 1) > RATE_TOLERANCE) {
          const corrected = correctedWordsPerMinute(wordsPerMinute, spokenSeconds, wantedSeconds);
          ctx.log(
            `espeak-ng (${voice}) at -s ${wordsPerMinute} spoke ${spokenSeconds.toFixed(1)} s where ${wantedSeconds.toFixed(1)} s were wanted: speaking again at -s ${corrected}`,
          );
          wordsPerMinute = corrected;
          ({ chunks, audio, timing } = await speak(wordsPerMinute));
        }
        const beatIds = script.beats.map((beat) => beat.id);
        const { words, beats } = assembleTimeline(beatIds, chunks, audio.durationSeconds);
        const characters = segments.reduce((sum, segment) => sum + segment.text.length, 0);
        ctx.log(
          `espeak-ng (${voice}, -s ${wordsPerMinute} for ${wanted} words a minute) spoke ${words.length} words in ${audio.durationSeconds.toFixed(2)} s, timed by ${timing}`,
        );
        return {
          value: { audio: NARRATION_FILE, durationSeconds: audio.durationSeconds, words, beats, timing },
          usage: { characters, seconds: audio.durationSeconds },
          costUSD: 0,
        };
      } finally {
        await rm(raw, { force: true });
      }
    },
  };
}

/** A helper that fails for another reason than a wrong voice leaves the sentence fallback to do the work. */
function fallBack(ctx: Pick<ProviderContext, 'log' | 'signal'>): (error: unknown) => undefined {
  return (error) => {
    if (error instanceof ProviderConfigError || ctx.signal?.aborted) throw error;
    ctx.log(`espeak-timings failed (${(error as Error).message}): timing words by sentence`);
    return undefined;
  };
}

interface HelperReport {
  sampleRate: number;
  samples: number;
  segments: { start: number; samples: number; words: [offset: number, length: number, start: number, end: number][] }[];
}

async function speakWithWordEvents(
  helper: string,
  segments: Segment[],
  voice: string,
  wordsPerMinute: number,
  output: string,
  ctx: Pick<ProviderContext, 'signal'>,
): Promise<PlacedChunk[]> {
  const input = segments.map((segment) => segment.text).join(SEGMENT_SEPARATOR);
  let stdout: Buffer;
  try {
    stdout = await runTool(helper, [voice, String(wordsPerMinute), String(Math.round(BEAT_PAUSE_SECONDS * 1000)), output], {
      input,
      signal: ctx.signal,
    });
  } catch (error) {
    if (error instanceof ToolError && error.exitCode === 2) throw new ProviderConfigError(`espeak voice: ${error.message}`);
    throw error;
  }
  const report = JSON.parse(stdout.toString()) as HelperReport;
  if (report.segments.length !== segments.length) {
    throw new Error(`espeak-timings reported ${report.segments.length} segments for ${segments.length} beats`);
  }
  const seconds = (samples: number) => samples / report.sampleRate;
  return report.segments.map((reported, index) => {
    const { beatId, text } = segments[index];
    const unitOffset = utf16Offsets(text);
    const marks = reported.words.map(([offset, length, start, end]) => ({
      offset: unitOffset(offset),
      length: unitOffset(offset + length) - unitOffset(offset),
      start: seconds(start),
      end: seconds(end),
    }));
    const durationSeconds = seconds(reported.samples);
    return { beatId, start: seconds(reported.start), durationSeconds, words: wordsFromMarks(text, marks, durationSeconds) };
  });
}

/** Maps a count of Unicode code points (espeak-ng's text positions) to UTF-16 units of the text. */
export function utf16Offsets(text: string): (codePoints: number) => number {
  const units: number[] = [0];
  for (const character of text) units.push(units[units.length - 1] + character.length);
  return (codePoints) => units[Math.min(Math.max(codePoints, 0), units.length - 1)];
}

/** The fallback: one espeak-ng run per sentence, two at a time, written in order with a pause between beats. */
async function speakBySentence(
  segments: Segment[],
  voice: string,
  wordsPerMinute: number,
  output: string,
  signal: AbortSignal | undefined,
): Promise<PlacedChunk[]> {
  const sentences = segments.flatMap((segment) =>
    sentenceSpans(segment.text).map((sentence) => ({ beatId: segment.beatId, text: sentence.text })),
  );
  const speak = (text: string) =>
    runTool('espeak-ng', ['-v', voice, '-s', String(wordsPerMinute), '-b', '1', '--stdout'], { input: text, signal });
  const running: (Promise<Buffer> | undefined)[] = [];
  const start = (index: number) => {
    if (index >= sentences.length || running[index]) return;
    const spoken = speak(sentences[index].text);
    spoken.catch(() => undefined);
    running[index] = spoken;
  };
  let track: NarrationTrack | undefined;
  try {
    for (let index = 0; index < sentences.length; index++) {
      start(index);
      start(index + 1);
      let wav: Buffer;
      try {
        wav = await running[index]!;
      } catch (error) {
        if (error instanceof ToolError && /voice/i.test(error.message))
          throw new ProviderConfigError(`espeak voice '${voice}': ${error.message}`);
        throw error;
      }
      running[index] = undefined;
      const { sampleRate, samples } = wavSamples(wav);
      track ??= await NarrationTrack.create(output, sampleRate);
      const voiced = voicedRange(samples);
      const { beatId, text } = sentences[index];
      await track.add(beatId, samples, distributeByCharacters(wordSpans(text), voiced.start / sampleRate, voiced.end / sampleRate));
    }
    await track?.close();
    return track?.chunks ?? [];
  } catch (error) {
    await track?.abandon();
    throw error;
  }
}

const helperBuilds = new Map<string, Promise<string | undefined>>();

/**
 * The native helper: ACOG_ESPEAK_TIMINGS when set (the runner image builds it), else one built
 * from runners/native/espeak-timings.c into ACOG_CACHE/bin (~/.cache/acog/bin), named by the
 * source's hash so that a changed source is rebuilt. Undefined, with the reason logged, when it
 * cannot be had: the voice then times by sentence.
 */
export async function espeakTimingsHelper(ctx: Pick<ProviderContext, 'env' | 'log'>): Promise<string | undefined> {
  // Runner settings, not secrets: the stage's environment, else the process's.
  const setting = (name: string) => ctx.env[name] ?? process.env[name];
  const configured = setting('ACOG_ESPEAK_TIMINGS');
  if (configured) {
    if (await fileExists(configured)) return configured;
    ctx.log(`ACOG_ESPEAK_TIMINGS names ${configured}, which does not exist: timing words by sentence`);
    return undefined;
  }
  let source: Buffer;
  try {
    source = await readFile(HELPER_SOURCE);
  } catch (error) {
    ctx.log(`the espeak-timings source is missing (${(error as Error).message}): timing words by sentence`);
    return undefined;
  }
  const cacheRoot = setting('ACOG_CACHE') ?? join(setting('XDG_CACHE_HOME') ?? join(homedir(), '.cache'), 'acog');
  const binary = join(cacheRoot, 'bin', `espeak-timings-${createHash('sha256').update(source).digest('hex').slice(0, 16)}`);
  const compiler = setting('CC') ?? 'gcc';
  const key = `${compiler}\0${binary}`;
  let build = helperBuilds.get(key);
  if (!build) {
    build = buildHelper(compiler, binary);
    helperBuilds.set(key, build);
  }
  try {
    return await build;
  } catch (error) {
    ctx.log(`the espeak-timings helper could not be built (${(error as Error).message}): timing words by sentence`);
    return undefined;
  }
}

async function buildHelper(compiler: string, binary: string): Promise<string> {
  if (await fileExists(binary)) return binary;
  await mkdir(join(binary, '..'), { recursive: true });
  // Built beside its final name and renamed, so that a runner starting at the same time never runs half a file.
  const partial = `${binary}.${process.pid}.partial`;
  try {
    await runTool(compiler, ['-O2', '-Wall', '-o', partial, HELPER_SOURCE, '-lespeak-ng']);
    await rename(partial, binary);
    return binary;
  } finally {
    await rm(partial, { force: true });
  }
}
