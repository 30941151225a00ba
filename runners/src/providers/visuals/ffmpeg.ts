// The one way the visual providers (audiogram, motion graphics, Pexels, Runway, HeyGen) run
// ffmpeg and ffprobe: a spawn with progress, cancellation and an error that quotes ffmpeg.
import { spawn } from 'node:child_process';

export const FFMPEG = process.env.ACOG_FFMPEG ?? 'ffmpeg';
export const FFPROBE = process.env.ACOG_FFPROBE ?? 'ffprobe';

/** Cheap H.264 that every player and the assembler accept. */
export const H264_OUTPUT_ARGS = ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', '-pix_fmt', 'yuv420p', '-movflags', '+faststart'];

export class FfmpegError extends Error {
  readonly exitCode: number | null;
  readonly stderr: string;
  constructor(message: string, exitCode: number | null, stderr: string) {
    super(message);
    this.name = 'FfmpegError';
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

export interface FfmpegProgress {
  /** Seconds of output written so far. */
  seconds: number;
  /** seconds / expectedSeconds, when the caller said how long the output will be. */
  fraction?: number;
}

export interface FfmpegRunOptions {
  signal?: AbortSignal;
  expectedSeconds?: number;
  onProgress?: (progress: FfmpegProgress) => void;
}

const STDERR_TAIL = 4000;

/** An onProgress that logs each quarter of a long render once: "audiogram: 50 % (31.0 s)". */
export function quarterLogger(log: (line: string) => void, label: string): (progress: FfmpegProgress) => void {
  let logged = 0;
  return ({ seconds, fraction }) => {
    if (fraction === undefined) return;
    const quarter = Math.floor(fraction * 4);
    if (quarter <= logged || quarter >= 4) return;
    logged = quarter;
    log(`${label}: ${quarter * 25} % (${seconds.toFixed(1)} s)`);
  };
}

function spawnCollecting(
  command: string,
  args: string[],
  options: { signal?: AbortSignal; onStdoutLine?: (line: string) => void },
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(options.signal.reason);
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (!options.onStdoutLine) {
        stdout += chunk;
        return;
      }
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) options.onStdoutLine(line);
    });
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL);
    });
    const onAbort = () => child.kill('SIGKILL');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error) => {
      options.signal?.removeEventListener('abort', onAbort);
      reject(new FfmpegError(`${command} could not be started: ${error.message}`, null, stderr));
    });
    child.on('close', (code, signal) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (options.signal?.aborted) return reject(options.signal.reason);
      if (code === 0) return resolve({ stdout, stderr });
      const tail = stderr.trim().split('\n').slice(-6).join(' | ');
      reject(new FfmpegError(`${command} failed (${signal ?? `exit ${code}`}): ${tail || 'no output'}`, code, stderr));
    });
  });
}

/** Parses ffmpeg's `-progress` key=value lines into seconds written, or undefined for other keys. */
export function progressSeconds(line: string): number | undefined {
  const match = /^out_time_(us|ms)=(\d+)$/.exec(line.trim());
  // ffmpeg reports microseconds under both names (out_time_ms is mislabelled).
  return match ? Number(match[2]) / 1_000_000 : undefined;
}

/** Runs ffmpeg with the given arguments (inputs, filters, outputs); overwrites outputs. */
export async function runFfmpeg(args: string[], options: FfmpegRunOptions = {}): Promise<void> {
  const fullArgs = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-nostats', '-progress', 'pipe:1', ...args];
  let lastReported = -1;
  await spawnCollecting(FFMPEG, fullArgs, {
    signal: options.signal,
    onStdoutLine: (line) => {
      const seconds = progressSeconds(line);
      if (seconds === undefined || !options.onProgress || seconds === lastReported) return;
      lastReported = seconds;
      const fraction = options.expectedSeconds ? Math.min(1, seconds / options.expectedSeconds) : undefined;
      options.onProgress({ seconds, fraction });
    },
  });
}

export interface MediaInfo {
  durationSeconds: number;
  video?: { codec: string; width: number; height: number; fps: number; pixelFormat: string; frames?: number };
  audio?: { codec: string; sampleRate: number; channels: number };
}

/** "30000/1001" → 29.97; "0/0" → 0. */
export function parseFrameRate(rate: string | undefined): number {
  if (!rate) return 0;
  const [num, den] = rate.split('/').map(Number);
  if (!den) return Number.isFinite(num) ? num : 0;
  return num / den;
}

interface FfprobeOutput {
  format?: { duration?: string };
  streams?: {
    codec_type?: string;
    codec_name?: string;
    width?: number;
    height?: number;
    avg_frame_rate?: string;
    r_frame_rate?: string;
    pix_fmt?: string;
    nb_frames?: string;
    sample_rate?: string;
    channels?: number;
    duration?: string;
  }[];
}

export async function probeMedia(file: string, signal?: AbortSignal): Promise<MediaInfo> {
  const { stdout } = await spawnCollecting(FFPROBE, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file], {
    signal,
  });
  const probe = JSON.parse(stdout) as FfprobeOutput;
  const video = probe.streams?.find((stream) => stream.codec_type === 'video');
  const audio = probe.streams?.find((stream) => stream.codec_type === 'audio');
  const duration = Number(probe.format?.duration ?? video?.duration ?? audio?.duration ?? 0);
  return {
    durationSeconds: Number.isFinite(duration) ? duration : 0,
    video: video && {
      codec: video.codec_name ?? '',
      width: video.width ?? 0,
      height: video.height ?? 0,
      fps: parseFrameRate(video.avg_frame_rate && video.avg_frame_rate !== '0/0' ? video.avg_frame_rate : video.r_frame_rate),
      pixelFormat: video.pix_fmt ?? '',
      frames: video.nb_frames ? Number(video.nb_frames) : undefined,
    },
    audio: audio && { codec: audio.codec_name ?? '', sampleRate: Number(audio.sample_rate ?? 0), channels: audio.channels ?? 0 },
  };
}

/**
 * Escapes a value (a file path, say) for use as a filter option inside a filtergraph: once for
 * the option parser (\ ' :) and once for the graph parser (\ ' [ ] , ;).
 */
export function escapeFilterValue(value: string): string {
  const forOption = value.replace(/[\\':]/g, (char) => `\\${char}`);
  return forOption.replace(/[\\'[\],;]/g, (char) => `\\${char}`);
}
