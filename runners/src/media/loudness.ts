// Loudness: two-pass normalisation to YouTube's −14 LUFS (pass 1 measures with ebur128, pass 2 is
// loudnorm's linear gain), and EBU R128 measurement of finished files.
import { runFfmpeg, type RunOptions } from './ffmpeg.ts';

export interface LoudnessTarget {
  integratedLufs: number;
  truePeakDb: number;
  loudnessRange: number;
}

export const YOUTUBE_LOUDNESS: LoudnessTarget = { integratedLufs: -14, truePeakDb: -1, loudnessRange: 11 };

/** What pass 1 measured: the values loudnorm's second pass takes as measured_I, _TP, _LRA and _thresh. */
export interface LoudnormMeasurement {
  inputI: number;
  inputTp: number;
  inputLra: number;
  /** The integrated loudness's relative gate (EBU R128: 10 LU under the ungated loudness). */
  inputThresh: number;
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

/**
 * Pass 1: ebur128 with true peak, at the mix's 48 kHz. loudnorm measures the same EBU R128 values
 * but always upsamples to 192 kHz first, which cost 4 times the CPU (2.1 s against 0.6 s a minute
 * of sound, ADR 0032); its linear pass 2 uses no more than these four values.
 */
export const LOUDNESS_MEASURE_FILTER = 'ebur128=peak=true';

/**
 * Pass 2: one linear gain from the measured values (loudnorm ignores `offset` in linear mode).
 * loudnorm itself falls back to its dynamic mode when the gain would push the true peak over the
 * target; the mix's limiter is set so that this does not happen for speech.
 */
export function loudnormApplyFilter(measured: LoudnormMeasurement, target: LoudnessTarget = YOUTUBE_LOUDNESS): string {
  return (
    `loudnorm=${targetOptions(target)}` +
    `:measured_I=${fixed(measured.inputI)}:measured_TP=${fixed(measured.inputTp)}:measured_LRA=${fixed(measured.inputLra)}` +
    `:measured_thresh=${fixed(measured.inputThresh)}:linear=true:print_format=json`
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
 * (e.g. "[premaster]"); ebur128 measures it and the audio is thrown away. No video is decoded.
 */
export async function measureLoudnorm(
  inputArgs: string[],
  audioGraph: string,
  outputLabel: string,
  options: RunOptions = {},
): Promise<LoudnormMeasurement> {
  const graph = `${audioGraph};${outputLabel}${LOUDNESS_MEASURE_FILTER}[measured]`;
  const { stderr } = await runFfmpeg([...inputArgs, '-filter_complex', graph, '-map', '[measured]', '-f', 'null', '-'], {
    purpose: 'loudness measurement (pass 1)',
    ...options,
  });
  const summary = parseEbur128Summary(stderr);
  if (isSilent(summary)) throw new Error('the audio mix is silent: nothing to normalise');
  return {
    inputI: summary.integratedLufs,
    inputTp: summary.truePeakDb,
    inputLra: summary.loudnessRange,
    inputThresh: summary.integratedThreshold,
  };
}

export interface LoudnessMeasurement {
  integratedLufs: number;
  truePeakDb: number;
  loudnessRange: number;
}

/** EBU R128's absolute gate: ebur128 reports −70 LUFS for audio with no block above it (silence). */
export const ABSOLUTE_GATE_LUFS = -70;

/** Nothing above the absolute gate: ebur128 says −70.0 LUFS and a true peak of −inf for digital silence. */
export function isSilent(measured: LoudnessMeasurement): boolean {
  return (
    !Number.isFinite(measured.integratedLufs) || measured.integratedLufs <= ABSOLUTE_GATE_LUFS || !Number.isFinite(measured.truePeakDb)
  );
}

/** Reads the Summary block ebur128 prints at the end. */
export function parseEbur128Summary(stderr: string): LoudnessMeasurement & { integratedThreshold: number } {
  const summary = stderr.slice(stderr.lastIndexOf('Summary:'));
  const value = (pattern: RegExp, what: string) => {
    const match = pattern.exec(summary);
    if (!match) throw new Error(`ebur128 printed no ${what}`);
    return match[1] === '-inf' ? -Infinity : Number(match[1]);
  };
  return {
    integratedLufs: value(/I:\s+(-?[\d.]+|-inf) LUFS/, 'integrated loudness'),
    integratedThreshold: value(/I:[^\n]*\n\s*Threshold:\s+(-?[\d.]+|-inf) LUFS/, 'integrated loudness threshold'),
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
