// Brings a downloaded video (stock footage, a generated clip, a presenter video) to the output's
// geometry: scaled to cover and centre-cropped, 30 fps, H.264 yuv420p, exactly the length asked
// for (trimmed, looped or held on its last frame).
import { probe, runFfmpeg } from '../../media/ffmpeg.ts';
import { FRAME_RATE, framesFor, type FrameSize } from '../../media/frame.ts';

/**
 * What the avatar and B-roll providers write: intermediates that only the assembly reads, which
 * encodes the final video itself. x264's ultrafast costs a third of veryfast to encode and half to
 * decode (no CABAC, no B-frames); CRF 16 keeps the second generation's loss below what the final
 * CRF 20 encode shows. Plain H.264 in MP4 still, so that every player opens the stage's artifact.
 */
export const INTERMEDIATE_H264_ARGS = [
  '-c:v',
  'libx264',
  '-preset',
  'ultrafast',
  '-crf',
  '16',
  '-pix_fmt',
  'yuv420p',
  '-movflags',
  '+faststart',
];

export interface ConformSpec extends FrameSize {
  input: string;
  output: string;
  seconds: number;
  /** How long the input is; probed when not given. */
  inputSeconds?: number;
  /** Seconds of the input to skip. */
  startSeconds?: number;
  /** A shorter input is looped (B-roll) rather than held on its last frame (a presenter). */
  loopShortInput?: boolean;
  /** An audio file to lay under the video; without it the output has no audio. */
  audio?: string;
}

/** The video filter chain of a conform: cover, crop, 30 fps, and a held last frame when `holdSeconds` > 0. */
export function conformVideoFilter(size: FrameSize, holdSeconds = 0): string {
  const { width, height } = size;
  const chain = [
    `scale=${width}:${height}:force_original_aspect_ratio=increase:flags=bicubic`,
    `crop=${width}:${height}`,
    'setsar=1',
    `fps=${FRAME_RATE}`,
    'format=yuv420p',
  ];
  if (holdSeconds > 0) chain.push(`tpad=stop_mode=clone:stop_duration=${Math.ceil(holdSeconds * 10) / 10}`);
  return chain.join(',');
}

/** The ffmpeg arguments of a conform whose input length is known. */
export function conformArgs(spec: ConformSpec & { inputSeconds: number }): string[] {
  const start = Math.max(0, Math.min(spec.startSeconds ?? 0, Math.max(0, spec.inputSeconds - spec.seconds)));
  const available = spec.inputSeconds - start;
  const short = available < spec.seconds;
  const loop = short && spec.loopShortInput === true;
  const holdSeconds = short && !loop ? spec.seconds - available + 0.5 : 0;
  const args: string[] = [];
  if (loop) args.push('-stream_loop', '-1');
  if (start > 0) args.push('-ss', start.toFixed(3));
  args.push('-i', spec.input);
  if (spec.audio) args.push('-i', spec.audio);
  args.push('-filter_complex', `[0:v]${conformVideoFilter(spec, holdSeconds)}[v]`, '-map', '[v]');
  if (spec.audio) args.push('-map', '1:a', '-c:a', 'aac', '-b:a', '160k', '-t', spec.seconds.toFixed(3));
  else args.push('-an');
  args.push(...INTERMEDIATE_H264_ARGS, '-r', String(FRAME_RATE), '-frames:v', String(framesFor(spec.seconds)), spec.output);
  return args;
}

export async function conformVideo(spec: ConformSpec, signal?: AbortSignal): Promise<void> {
  const inputSeconds = spec.inputSeconds ?? (await probe(spec.input, { signal })).durationSeconds;
  await runFfmpeg(['-y', ...conformArgs({ ...spec, inputSeconds })], {
    signal,
    totalSeconds: spec.seconds,
    logLevel: 'error',
    purpose: `conforming ${spec.input}`,
  });
}
