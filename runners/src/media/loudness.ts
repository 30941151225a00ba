// Loudness: two-pass loudnorm to YouTube's −14 LUFS, and EBU R128 measurement of finished files.
import { runFfmpeg, type RunOptions } from './ffmpeg.ts';

export interface LoudnessTarget {
  integratedLufs: number;
  truePeakDb: number;
  loudnessRange: number;
}

export const YOUTUBE_LOUDNESS: LoudnessTarget = { integratedLufs: -14, truePeakDb: -1, loudnessRange: 11 };

/** What loudnorm's first pass measured (its print_format=json block). */
export interface LoudnormMeasurement {
  inputI: number;
  inputTp: number;
  inputLra: number;
  inputThresh: number;
  targetOffset: number;
}

/** Output of loudnorm's second pass, including whether it could stay linear. */
export interface LoudnormOutcome {
  outputI: number;
  outputTp: number;
  normalizationType: 'linear' | 'dynamic';
}

const fixed = (value: number) => value.toFixed(2);

function targetOptions(target: LoudnessTarget): string {
  return `I=${target.integratedLufs}:TP=${target.truePeakDb}:LRA=${target.loudnessRange}`;
}

/** Pass 1: measure only. */
export function loudnormMeasureFilter(target: LoudnessTarget = YOUTUBE_LOUDNESS): string {
  return `loudnorm=${targetOptions(target)}:print_format=json`;
}

/**
 * Pass 2: one linear gain from the measured values. loudnorm itself falls back to its dynamic
 * mode when the gain would push the true peak over the target; the mix's limiter is set so that
 * this does not happen for speech.
 */
export function loudnormApplyFilter(measured: LoudnormMeasurement, target: LoudnessTarget = YOUTUBE_LOUDNESS): string {
  return (
    `loudnorm=${targetOptions(target)}` +
    `:measured_I=${fixed(measured.inputI)}:measured_TP=${fixed(measured.inputTp)}:measured_LRA=${fixed(measured.inputLra)}` +
    `:measured_thresh=${fixed(measured.inputThresh)}:offset=${fixed(measured.targetOffset)}:linear=true:print_format=json`
  );
}

function lastJsonBlock(stderr: string): Record<string, string> {
  const end = stderr.lastIndexOf('}');
  const start = stderr.lastIndexOf('{', end);
  if (start < 0 || end < 0) throw new Error('loudnorm printed no measurement');
  return JSON.parse(stderr.slice(start, end + 1)) as Record<string, string>;
}

function finite(block: Record<string, string>, key: string): number {
  const value = Number(block[key]);
  // loudnorm prints -inf for silence.
  if (block[key] === '-inf') return -Infinity;
  if (!Number.isFinite(value)) throw new Error(`loudnorm printed no ${key}`);
  return value;
}

export function parseLoudnormMeasurement(stderr: string): LoudnormMeasurement {
  const block = lastJsonBlock(stderr);
  return {
    inputI: finite(block, 'input_i'),
    inputTp: finite(block, 'input_tp'),
    inputLra: finite(block, 'input_lra'),
    inputThresh: finite(block, 'input_thresh'),
    targetOffset: finite(block, 'target_offset'),
  };
}

export function parseLoudnormOutcome(stderr: string): LoudnormOutcome {
  const block = lastJsonBlock(stderr);
  return {
    outputI: finite(block, 'output_i'),
    outputTp: finite(block, 'output_tp'),
    normalizationType: block.normalization_type === 'linear' ? 'linear' : 'dynamic',
  };
}

/**
 * Pass 1 over an audio-only graph: `inputArgs` and `audioGraph` produce the mix at `outputLabel`
 * (e.g. "[premaster]"); loudnorm measures it and the audio is thrown away. No video is decoded.
 */
export async function measureLoudnorm(
  inputArgs: string[],
  audioGraph: string,
  outputLabel: string,
  options: RunOptions & { target?: LoudnessTarget } = {},
): Promise<LoudnormMeasurement> {
  const graph = `${audioGraph};${outputLabel}${loudnormMeasureFilter(options.target)}[measured]`;
  const { stderr } = await runFfmpeg([...inputArgs, '-filter_complex', graph, '-map', '[measured]', '-f', 'null', '-'], {
    purpose: 'loudness measurement (pass 1)',
    ...options,
  });
  const measured = parseLoudnormMeasurement(stderr);
  if (!Number.isFinite(measured.inputI)) throw new Error('the audio mix is silent: nothing to normalise');
  return measured;
}

export interface LoudnessMeasurement {
  integratedLufs: number;
  truePeakDb: number;
  loudnessRange: number;
}

/** Reads the Summary block ebur128 prints at the end. */
export function parseEbur128Summary(stderr: string): LoudnessMeasurement {
  const summary = stderr.slice(stderr.lastIndexOf('Summary:'));
  const value = (pattern: RegExp, what: string) => {
    const match = pattern.exec(summary);
    if (!match) throw new Error(`ebur128 printed no ${what}`);
    return match[1] === '-inf' ? -Infinity : Number(match[1]);
  };
  return {
    integratedLufs: value(/I:\s+(-?[\d.]+|-inf) LUFS/, 'integrated loudness'),
    loudnessRange: value(/LRA:\s+(-?[\d.]+|-inf) LU\b/, 'loudness range'),
    truePeakDb: value(/Peak:\s+(-?[\d.]+|-inf) dBFS/, 'true peak'),
  };
}

/** Integrated loudness, loudness range and true peak of the first audio stream of `file` (EBU R128). */
export async function measureLoudness(file: string, options: Pick<RunOptions, 'signal'> = {}): Promise<LoudnessMeasurement> {
  const { stderr } = await runFfmpeg(['-i', file, '-map', '0:a:0', '-af', 'ebur128=peak=true:framelog=verbose', '-f', 'null', '-'], {
    ...options,
    purpose: `loudness measurement of ${file}`,
  });
  return parseEbur128Summary(stderr);
}
