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

/**
 * What ffmpeg may open for an input. Inputs come from outside — downloads, a person's media,
 * providers' outputs — and ffmpeg would follow any protocol a file names (http, tcp, concat:, ...)
 * and choose, by content or extension, demuxers that open further files and URLs themselves (an HLS
 * or DASH playlist, an ffconcat list, an SDP description). So every input may use local files and
 * pipes only, and an input whose format the caller does not force (-f, as the synthetic lavfi
 * sources do) may be read only by the demuxers of plain media files: ffmpeg checks the format it
 * detected from the content against the list before reading the header, so a playlist named .mp4
 * is refused without opening anything it names.
 */
export const INPUT_PROTOCOLS = 'file,pipe';
export const MEDIA_DEMUXERS = [
  'mov', // mp4, m4a, mov, 3gp
  'matroska', // mkv, webm
  'mpegts',
  'avi',
  'mp3',
  'aac',
  'wav',
  'w64',
  'aiff',
  'ogg', // vorbis, opus
  'flac',
  'image2',
  'png_pipe',
  'jpeg_pipe',
  'webp_pipe',
  'gif',
  'gif_pipe',
  'bmp_pipe',
  'tiff_pipe',
].join(',');

/** What a detected demuxer that opens other files or URLs is, for messages. */
const REFUSED_FORMATS: Record<string, string> = {
  hls: 'an HLS playlist',
  dash: 'a DASH manifest',
  concat: 'an ffconcat list',
  sdp: 'an SDP session description',
  rtsp: 'an RTSP stream',
  tee: 'a tee list',
  lavfi: 'a filter graph',
  webm_dash_manifest: 'a WebM DASH manifest',
  image2pipe: 'an image pipe',
  svg_pipe: 'an SVG image',
};

/**
 * `args` with the input limits put before every -i: -protocol_whitelist always, and
 * -format_whitelist for an input whose format the caller did not force with -f. Options the
 * caller gave for an input already are kept.
 */
export function guardInputs(args: readonly string[]): string[] {
  const out: string[] = [];
  let optionsStart = 0;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-i' && i + 1 < args.length) {
      const options = out.slice(optionsStart);
      if (!options.includes('-protocol_whitelist')) out.push('-protocol_whitelist', INPUT_PROTOCOLS);
      if (!options.includes('-f') && !options.includes('-format_whitelist')) out.push('-format_whitelist', MEDIA_DEMUXERS);
      out.push('-i', args[i + 1]);
      i++;
      optionsStart = out.length;
      continue;
    }
    out.push(args[i]);
  }
  return out;
}

/** ffmpeg refused an input: a format that opens other files or URLs, or a protocol other than file and pipe. */
export class MediaRefusedError extends FfmpegError {
  /** What the input is, as a phrase: "is an HLS playlist (hls), not a media file the pipeline reads: refused, ...". */
  readonly reason: string;
  /** The demuxer ffmpeg detected (hls, concat, tty, ...), when it said. */
  readonly format?: string;
  /** The input is a playlist, list or description that names other files or URLs (hls, dash, concat, sdp, ...). */
  get opensOthers(): boolean {
    return this.format !== undefined && this.format in REFUSED_FORMATS;
  }
  constructor(message: string, exitCode: number | null, stderrTail: string, reason: string, format?: string) {
    super(message, exitCode, stderrTail);
    this.name = 'MediaRefusedError';
    this.reason = reason;
    this.format = format;
  }
}

/** The refusal in ffmpeg's log, as a sentence ("is an HLS playlist (hls), which ..."), or undefined. */
function refusalIn(stderr: string): { reason: string; format?: string } | undefined {
  const format = /\[([\w,]+) @ 0x[0-9a-f]+\] Format not on whitelist/.exec(stderr)?.[1];
  if (format && REFUSED_FORMATS[format])
    return {
      reason: `is ${REFUSED_FORMATS[format]} (${format}), not a media file the pipeline reads: refused, nothing it names was opened`,
      format,
    };
  if (format) return { reason: `is not a readable media file (ffmpeg reads it as ${format}, not a format the pipeline takes)`, format };
  if (/Format not on whitelist/.test(stderr)) return { reason: 'is not a media file the pipeline reads: refused' };
  const protocol = /Protocol '([\w.+-]+)' not on whitelist/.exec(stderr)?.[1];
  if (protocol) return { reason: `names a ${protocol} resource, which ffmpeg may not open here (only ${INPUT_PROTOCOLS}): refused` };
  return undefined;
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
  options: RunOptions & { onStdout?: (text: string) => void; keepStdout?: boolean; refusedInput?: string },
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
      const refusal = refusalIn(stderr);
      if (refusal) {
        const named = /^(.+): (?:Invalid argument|Invalid data found when processing input|Operation not permitted)$/m.exec(stderr)?.[1];
        const input = options.refusedInput ?? named ?? 'an input';
        return finish(new MediaRefusedError(`${purpose}: ${input} ${refusal.reason}`, code, tail, refusal.reason, refusal.format));
      }
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      finish(new FfmpegError(`${purpose}: ${program} ${how}\n${tail}`, code, tail));
    });
  });
}

/**
 * Runs ffmpeg with `args` (inputs, filters, outputs); adds -hide_banner, -nostdin, progress
 * reporting and the input limits of guardInputs. A refused input rejects with MediaRefusedError.
 */
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
  const { stderr } = await run(FFMPEG, ['-hide_banner', '-nostdin', '-nostats', ...logArgs, ...progressArgs, ...guardInputs(args)], {
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

/**
 * Streams and container facts of a media file, as ffprobe reads them from its content (the
 * extension decides nothing). Only local files, and only the demuxers of media files
 * (MEDIA_DEMUXERS): a playlist or list that would open other files or URLs rejects with
 * MediaRefusedError before anything it names is opened.
 */
export async function probe(file: string, options: Pick<RunOptions, 'signal'> = {}): Promise<ProbeResult> {
  const { stdout } = await run(
    FFPROBE,
    [
      '-v',
      'error',
      '-protocol_whitelist',
      INPUT_PROTOCOLS,
      '-format_whitelist',
      MEDIA_DEMUXERS,
      '-print_format',
      'json',
      '-show_format',
      '-show_streams',
      file,
    ],
    { ...options, keepStdout: true, purpose: `probing ${file}`, refusedInput: 'the file' },
  );
  return parseProbeJson(stdout);
}
