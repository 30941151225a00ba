// Running ffmpeg and ffprobe: progress from `-progress pipe:1`, cancellation, errors that carry
// the end of ffmpeg's log.
import { spawn } from 'node:child_process';

export const FFMPEG = process.env.FFMPEG_PATH || 'ffmpeg';
export const FFPROBE = process.env.FFPROBE_PATH || 'ffprobe';

export interface FfmpegProgress {
  /** Seconds of output written so far. */
  secondsDone: number;
  /** Length of the whole output, when the caller said it. */
  totalSeconds?: number;
}

export interface RunOptions {
  /** Length of the output, passed through to onProgress. */
  totalSeconds?: number;
  onProgress?: (progress: FfmpegProgress) => void;
  /** Aborting kills ffmpeg; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** What the run is for, named in errors ("loudness measurement"). */
  purpose?: string;
  /**
   * ffmpeg's -loglevel. Unset keeps ffmpeg's default (info), whose log carries what filters such
   * as loudnorm print; 'error' keeps only errors, so that the tail quoted by FfmpegError is them.
   */
  logLevel?: 'quiet' | 'error' | 'warning' | 'info';
}

export interface RunResult {
  /** The last STDERR_KEEP characters of ffmpeg's log (filters such as loudnorm print their results there). */
  stderr: string;
}

export class FfmpegError extends Error {
  readonly exitCode: number | null;
  readonly stderrTail: string;
  constructor(message: string, exitCode: number | null, stderrTail: string) {
    super(message);
    this.name = 'FfmpegError';
    this.exitCode = exitCode;
    this.stderrTail = stderrTail;
  }
}

const STDERR_KEEP = 64 * 1024;
const ERROR_TAIL_LINES = 15;

function tailLines(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Parses ffmpeg's `-progress` key=value blocks; returns the output time of the last complete line seen. */
export function parseProgressSeconds(chunk: string): number | undefined {
  let seconds: number | undefined;
  for (const line of chunk.split('\n')) {
    // out_time_us and (despite its name) out_time_ms are both microseconds.
    const match = /^out_time_(?:us|ms)=(\d+)\s*$/.exec(line);
    if (match) seconds = Number(match[1]) / 1e6;
  }
  return seconds;
}

/** An onProgress that logs each quarter of a long render once: "audiogram: 50 % (31.0 s)". Needs totalSeconds. */
export function quarterLogger(log: (line: string) => void, label: string): (progress: FfmpegProgress) => void {
  let logged = 0;
  return ({ secondsDone, totalSeconds }) => {
    if (!totalSeconds) return;
    const quarter = Math.floor(Math.min(1, secondsDone / totalSeconds) * 4);
    if (quarter <= logged || quarter >= 4) return;
    logged = quarter;
    log(`${label}: ${quarter * 25} % (${secondsDone.toFixed(1)} s)`);
  };
}

interface SpawnOutcome {
  stdout: string;
  stderr: string;
}

function run(
  program: string,
  args: string[],
  options: RunOptions & { onStdout?: (text: string) => void; keepStdout?: boolean },
): Promise<SpawnOutcome> {
  const purpose = options.purpose ?? program;
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(options.signal.reason);
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let settled = false;
    const finish = (error: unknown, outcome?: SpawnOutcome) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve(outcome!);
    };
    const onAbort = () => {
      child.kill('SIGKILL');
      finish(options.signal!.reason);
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      if (options.keepStdout) stdout += text;
      options.onStdout?.(text);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      stderr += text;
      if (stderr.length > 2 * STDERR_KEEP) stderr = stderr.slice(-STDERR_KEEP);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      const message =
        error.code === 'ENOENT'
          ? `${program} was not found (install ffmpeg, or set FFMPEG_PATH / FFPROBE_PATH)`
          : `${purpose}: ${error.message}`;
      finish(new FfmpegError(message, null, ''));
    });
    child.on('close', (code, signal) => {
      stderr = stderr.slice(-STDERR_KEEP);
      if (code === 0) return finish(undefined, { stdout, stderr });
      const tail = tailLines(stderr, ERROR_TAIL_LINES);
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      finish(new FfmpegError(`${purpose}: ${program} ${how}\n${tail}`, code, tail));
    });
  });
}

/** Runs ffmpeg with `args` (inputs, filters, outputs); adds -hide_banner, -nostdin and progress reporting. */
export async function runFfmpeg(args: string[], options: RunOptions = {}): Promise<RunResult> {
  let pending = '';
  const onStdout = options.onProgress
    ? (text: string) => {
        pending += text;
        const complete = pending.lastIndexOf('\n');
        if (complete < 0) return;
        const seconds = parseProgressSeconds(pending.slice(0, complete));
        pending = pending.slice(complete + 1);
        if (seconds !== undefined) options.onProgress!({ secondsDone: seconds, totalSeconds: options.totalSeconds });
      }
    : undefined;
  const progressArgs = options.onProgress ? ['-progress', 'pipe:1', '-stats_period', '0.5'] : [];
  const logArgs = options.logLevel ? ['-loglevel', options.logLevel] : [];
  const { stderr } = await run(FFMPEG, ['-hide_banner', '-nostdin', '-nostats', ...logArgs, ...progressArgs, ...args], {
    ...options,
    onStdout,
  });
  return { stderr };
}

export interface ProbedStream {
  index: number;
  codecType: 'video' | 'audio' | 'subtitle' | 'data' | string;
  codecName: string;
  /** e.g. "High" for H.264, "LC" for AAC. */
  profile?: string;
  width?: number;
  height?: number;
  pixelFormat?: string;
  /** Frames per second from r_frame_rate. */
  frameRate?: number;
  /** Frames per second on average over the stream (avg_frame_rate). */
  averageFrameRate?: number;
  /** Number of frames, where the container records it (nb_frames). */
  frames?: number;
  sampleRate?: number;
  channels?: number;
  channelLayout?: string;
  durationSeconds?: number;
  bitRate?: number;
}

export interface ProbeResult {
  formatName: string;
  durationSeconds: number;
  sizeBytes: number;
  bitRate?: number;
  streams: ProbedStream[];
  /** The first video and audio streams, for convenience. */
  video?: ProbedStream;
  audio?: ProbedStream;
}

const num = (value: unknown): number | undefined => {
  const n = typeof value === 'string' ? Number(value) : typeof value === 'number' ? value : NaN;
  return Number.isFinite(n) ? n : undefined;
};

function parseRate(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const [n, d] = value.split('/').map(Number);
  return d ? n / d : undefined;
}

interface RawStream {
  index: number;
  codec_type?: string;
  codec_name?: string;
  profile?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  nb_frames?: string;
  sample_rate?: string;
  channels?: number;
  channel_layout?: string;
  duration?: string;
  bit_rate?: string;
}

/** Converts ffprobe's JSON (-show_format -show_streams) into typed facts. */
export function parseProbeJson(json: string): ProbeResult {
  const raw = JSON.parse(json) as { format?: Record<string, unknown>; streams?: RawStream[] };
  const streams: ProbedStream[] = (raw.streams ?? []).map((s) => ({
    index: s.index,
    codecType: s.codec_type ?? 'unknown',
    codecName: s.codec_name ?? 'unknown',
    profile: s.profile,
    width: s.width,
    height: s.height,
    pixelFormat: s.pix_fmt,
    frameRate: parseRate(s.r_frame_rate),
    averageFrameRate: parseRate(s.avg_frame_rate),
    frames: num(s.nb_frames),
    sampleRate: num(s.sample_rate),
    channels: s.channels,
    channelLayout: s.channel_layout,
    durationSeconds: num(s.duration),
    bitRate: num(s.bit_rate),
  }));
  const format = raw.format ?? {};
  return {
    formatName: String(format.format_name ?? ''),
    durationSeconds: num(format.duration) ?? Math.max(0, ...streams.map((s) => s.durationSeconds ?? 0)),
    sizeBytes: num(format.size) ?? 0,
    bitRate: num(format.bit_rate),
    streams,
    video: streams.find((s) => s.codecType === 'video'),
    audio: streams.find((s) => s.codecType === 'audio'),
  };
}

/** Streams and container facts of a media file. */
export async function probe(file: string, options: Pick<RunOptions, 'signal'> = {}): Promise<ProbeResult> {
  const { stdout } = await run(FFPROBE, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file], {
    ...options,
    keepStdout: true,
    purpose: `probing ${file}`,
  });
  return parseProbeJson(stdout);
}
