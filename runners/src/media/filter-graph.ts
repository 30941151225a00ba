// The ffmpeg invocations that render a whole episode: the pictures (intro card, narration segment
// with its layout, B-roll along the beats and presenter, outro card, burned-in text) in one filter
// graph and one x264 encode per part of the video; beside them the sound (ducked music, loudness
// pass 2, AAC) in a process of its own; then the streams copied into the MP4. Pure: it builds
// arguments and touches no file.
import { DEFAULT_BRAND_COLOR, drawColorForBt709, ffmpegColor, parseHexColor } from './color.ts';
import {
  effectiveLayout,
  FRAME_RATE,
  frameSize,
  pictureInPicture,
  type ChannelFormat,
  type FrameSize,
  type Layout,
  type PictureInPicture,
} from './frame.ts';
import { loudnormApplyFilter, type LoudnormMeasurement } from './loudness.ts';

export const SAMPLE_RATE = 48_000;
const SAMPLES_PER_FRAME = SAMPLE_RATE / FRAME_RATE;

/** The narration is brought to this loudness before mixing, so that ducking and limiting are calibrated. */
export const VOICE_REFERENCE_LUFS = -16;
/** Sample-peak ceiling of the mix before loudnorm: keeps speech's peak-to-loudness ratio low enough for a linear pass 2. */
export const MIX_CEILING_DB = -5;

export const MUSIC_DEFAULTS = { volumeDb: -18, duckingDb: 12 } as const;
export const INTRO_DEFAULT_SECONDS = 3;
export const OUTRO_DEFAULT_SECONDS = 4;

export interface GraphClip {
  /** A video, or the still that `draw` draws over. */
  path: string;
  beatId: string;
  /** Length of the clip file; it is looped or cut to fit its share of the beat. A drawn clip's planned length. */
  durationSeconds: number;
  /** Draws the clip inside the episode's graph at the length of its share, over `path`: no video to decode. */
  draw?: ClipDrawer;
}

/** Where a drawn clip's filtergraph reads its still, where it ends, and the prefix of its inner labels. */
export interface DrawLabels {
  input: string;
  output: string;
  prefix: string;
  /** The labels of further inputs the graph reads, by their names in it ('1:v', '2:a'). */
  more?: Record<string, string>;
}

/**
 * A still (one decoded frame) held for `frames` frames at FRAME_RATE. The time base is set first: a
 * still's own (1/25 for PNG) would round every timestamp to 1/25 s, repeating some and skipping
 * others, so that anything moving with `t` would judder.
 */
export function holdStill(frames: number): string {
  return `loop=loop=${frames - 1}:size=1:start=0,settb=1/${FRAME_RATE},setpts=N`;
}

/** The filtergraph of a drawn clip, `frames` frames at FRAME_RATE and the output's size, with its labels as given. */
export type ClipDrawer = (frames: number, labels: DrawLabels) => string;

/**
 * A filtergraph written for its own inputs and one output ([0:v] and those in `labels.more` in,
 * [v] out) made fit to sit inside a larger one: those labels replaced by `labels`, every other
 * label prefixed so that it is unique. Escaped brackets (inside option values) are left alone.
 */
export function relabelGraph(graph: string, labels: DrawLabels): string {
  return graph.replace(/(?<!\\)\[([A-Za-z0-9_:]+)\]/g, (_, name: string) => {
    if (name === '0:v') return labels.input;
    if (name === 'v') return labels.output;
    if (labels.more && Object.hasOwn(labels.more, name)) return labels.more[name];
    if (name.includes(':')) {
      const given = ['0:v', ...Object.keys(labels.more ?? {})].map((input) => `[${input}]`).join(', ');
      throw new Error(`a drawn graph reads input ${name}: only ${given} ${given.includes(',') ? 'are' : 'is'} given`);
    }
    return `[${labels.prefix}${name}]`;
  });
}

/**
 * A presenter drawn inside the episode's graph (the offline audiogram) instead of read from a video:
 * its stills, and its filtergraph at `frames` frames reading them as [0:v], [1:v], … and the
 * narration as [N:a], N being the number of stills, ending at [v].
 */
export interface GraphAvatarDrawing {
  stills: string[];
  draw: ClipDrawer;
}

export interface EpisodeGraphInput {
  format: ChannelFormat;
  narrationAudioPath: string;
  /** The narration segment's length (Narration.durationSeconds). */
  narrationSeconds: number;
  beats: { id: string; start: number; end: number }[];
  /** The presenter video; with `avatarDrawing`, its first still. */
  avatarPath?: string;
  avatarDrawing?: GraphAvatarDrawing;
  clips: GraphClip[];
  musicPath?: string;
  /** ASS script with the caption cues and the cards' text, burned in with libass; nothing drawn without it. */
  overlayAssPath?: string;
  fontsDir?: string;
  /** Gain that brings the narration to VOICE_REFERENCE_LUFS (measured beforehand). */
  voiceGainDb: number;
}

export interface EncodeSettings {
  /** The finished MP4. */
  outputPath: string;
  /** Where the video stream alone (MP4) and the sound alone (M4A) are written before they are put together. */
  picturesPath: string;
  soundPath: string;
  /** Pass-1 measurement of the audio mix: pass 2 (linear loudnorm) runs inside the encode. */
  loudness: LoudnormMeasurement;
  /** libx264 preset; DEFAULT_X264 unless set. */
  preset?: string;
  crf?: number;
  title?: string;
}

export interface BeatSpan {
  id: string;
  /** Frames from the start of the narration segment. */
  startFrame: number;
  endFrame: number;
}

export interface Timeline {
  frame: FrameSize;
  introFrames: number;
  narrationFrames: number;
  outroFrames: number;
  totalFrames: number;
  introSeconds: number;
  narrationSeconds: number;
  outroSeconds: number;
  totalSeconds: number;
  /** The narration segment cut at the beats: the first span starts at 0, the last ends at the segment's end. */
  beats: BeatSpan[];
  /** Start of each beat in the final video; the first is 0, so the intro belongs to the first chapter (YouTube needs one at 0:00). */
  chapterStarts: number[];
}

const toFrames = (seconds: number) => Math.round(seconds * FRAME_RATE);

export function planTimeline(
  format: ChannelFormat,
  narrationSeconds: number,
  beats: { id: string; start: number; end: number }[],
): Timeline {
  if (!(narrationSeconds > 0)) throw new Error(`narration duration must be positive, got ${narrationSeconds}`);
  if (beats.length === 0) throw new Error('narration has no beats');
  const introFrames = toFrames(format.intro?.durationSeconds ?? INTRO_DEFAULT_SECONDS);
  const outroFrames = toFrames(format.outro?.durationSeconds ?? OUTRO_DEFAULT_SECONDS);
  // Rounded up so that the narration audio is never cut short.
  const narrationFrames = Math.ceil(narrationSeconds * FRAME_RATE - 1e-6);
  const ordered = [...beats].sort((a, b) => a.start - b.start);
  const starts = ordered.map((beat, i) => (i === 0 ? 0 : Math.min(narrationFrames, Math.max(0, toFrames(beat.start)))));
  const spans = ordered.map((beat, i) => ({
    id: beat.id,
    startFrame: starts[i],
    endFrame: i + 1 < starts.length ? starts[i + 1] : narrationFrames,
  }));
  const totalFrames = introFrames + narrationFrames + outroFrames;
  return {
    frame: frameSize(format.aspectRatio),
    introFrames,
    narrationFrames,
    outroFrames,
    totalFrames,
    introSeconds: introFrames / FRAME_RATE,
    narrationSeconds: narrationFrames / FRAME_RATE,
    outroSeconds: outroFrames / FRAME_RATE,
    totalSeconds: totalFrames / FRAME_RATE,
    beats: spans,
    chapterStarts: spans.map((span, i) => (i === 0 ? 0 : (introFrames + span.startFrame) / FRAME_RATE)),
  };
}

export interface ClipSlot {
  /** Index into EpisodeGraphInput.clips. */
  clipIndex: number;
  frames: number;
}

export interface BeatBroll {
  beatId: string;
  frames: number;
  slots: ClipSlot[];
}

export class BrollCoverageError extends Error {
  readonly beatIds: string[];
  constructor(message: string, beatIds: string[]) {
    super(message);
    this.name = 'BrollCoverageError';
    this.beatIds = beatIds;
  }
}

/**
 * Shares each beat's frames among its clips (in manifest order) in proportion to their lengths,
 * so every clip is seen; a clip is looped when its share is longer than it, cut when shorter.
 * Every beat needs at least one clip.
 */
export function planBroll(timeline: Timeline, clips: GraphClip[]): BeatBroll[] {
  const beatIds = new Set(timeline.beats.map((b) => b.id));
  const strangers = clips.filter((c) => !beatIds.has(c.beatId));
  if (strangers.length > 0) {
    const names = strangers.map((c) => `${c.path} (beat '${c.beatId}')`).join(', ');
    throw new BrollCoverageError(`B-roll clips name beats the narration does not have: ${names}`, [
      ...new Set(strangers.map((c) => c.beatId)),
    ]);
  }
  const uncovered = timeline.beats.filter((beat) => !clips.some((c) => c.beatId === beat.id)).map((b) => b.id);
  if (uncovered.length > 0) {
    throw new BrollCoverageError(
      `no B-roll clip covers beat${uncovered.length > 1 ? 's' : ''} ${uncovered.map((id) => `'${id}'`).join(', ')}`,
      uncovered,
    );
  }
  return timeline.beats.map((beat) => {
    const frames = beat.endFrame - beat.startFrame;
    const own = clips.map((clip, clipIndex) => ({ clip, clipIndex })).filter(({ clip }) => clip.beatId === beat.id);
    const weights = own.map(({ clip }) => (clip.durationSeconds > 0 ? clip.durationSeconds : 1));
    const total = weights.reduce((a, b) => a + b, 0);
    let cumulative = 0;
    let previousBoundary = 0;
    const slots: ClipSlot[] = [];
    own.forEach(({ clipIndex }, i) => {
      cumulative += weights[i];
      const boundary = i === own.length - 1 ? frames : Math.round((frames * cumulative) / total);
      if (boundary > previousBoundary) slots.push({ clipIndex, frames: boundary - previousBoundary });
      previousBoundary = boundary;
    });
    return { beatId: beat.id, frames, slots };
  });
}

/**
 * Escapes a value for an option inside -filter_complex: once for the filter's key=value parser
 * (\ ' :) and once for the graph parser (\ ' [ ] , ;).
 */
export function escapeFilterValue(value: string): string {
  const optionLevel = value.replace(/[\\':]/g, (c) => `\\${c}`);
  return optionLevel.replace(/[\\'[\],;]/g, (c) => `\\${c}`);
}

export interface DuckingCompressor {
  /** Linear threshold for sidechaincompress. */
  threshold: number;
  ratio: number;
}

/**
 * sidechaincompress settings that pull the music down by about `duckingDb` while the voice (at
 * VOICE_REFERENCE_LUFS) speaks: the reduction is (level − threshold)·(1 − 1/ratio), so the
 * threshold sits 2·duckingDb below the voice with ratio 2, or as low as the filter allows with a
 * steeper ratio for deep ducking.
 */
export function duckingCompressor(duckingDb: number): DuckingCompressor {
  if (duckingDb <= 0) return { threshold: 1, ratio: 1 };
  const headroom = Math.min(2 * duckingDb, VOICE_REFERENCE_LUFS + 58);
  const ratio = headroom > duckingDb ? Math.min(20, headroom / (headroom - duckingDb)) : 20;
  return { threshold: Number((10 ** ((VOICE_REFERENCE_LUFS - headroom) / 20)).toFixed(6)), ratio: Number(ratio.toFixed(3)) };
}

export interface EpisodePlan {
  timeline: Timeline;
  layout: Layout;
  /** Present for the B-roll layouts. */
  broll?: BeatBroll[];
  /** Present for avatar-pip. */
  pip?: PictureInPicture;
}

/** Timeline, layout (an avatar layout without a presenter video falls back to broll-only) and B-roll plan. */
export function planEpisode(input: EpisodeGraphInput): EpisodePlan {
  const timeline = planTimeline(input.format, input.narrationSeconds, input.beats);
  const layout = effectiveLayout(input.format.layout, Boolean(input.avatarPath));
  return {
    timeline,
    layout,
    broll: layout === 'avatar-full' ? undefined : planBroll(timeline, input.clips),
    pip: layout === 'avatar-pip' ? pictureInPicture(timeline.frame) : undefined,
  };
}

const seconds = (value: number) => Number(value.toFixed(3)).toString();
const STEREO_48K = `aresample=${SAMPLE_RATE},aformat=sample_fmts=fltp:sample_rates=${SAMPLE_RATE}:channel_layouts=stereo`;

interface AudioInputs {
  narration: number;
  music?: number;
}

/** Narration (levelled, delayed by the intro), music looped, faded and ducked under it, mixed and limited: ends at [premaster]. */
function audioGraph(input: EpisodeGraphInput, timeline: Timeline, inputs: AudioInputs): string[] {
  const narrationSamples = timeline.narrationFrames * SAMPLES_PER_FRAME;
  const introSamples = timeline.introFrames * SAMPLES_PER_FRAME;
  const totalSamples = timeline.totalFrames * SAMPLES_PER_FRAME;
  const voice = [
    STEREO_48K,
    `volume=${input.voiceGainDb.toFixed(2)}dB`,
    `atrim=end_sample=${narrationSamples}`,
    ...(introSamples > 0 ? [`adelay=delays=${introSamples}S:all=1`] : []),
    `apad=whole_len=${totalSamples}`,
  ].join(',');
  const ceiling = (10 ** (MIX_CEILING_DB / 20)).toFixed(4);
  const limiter = `alimiter=limit=${ceiling}:attack=5:release=50:level=disabled:latency=1`;
  if (inputs.music === undefined) {
    return [`[${inputs.narration}:a]${voice},${limiter}[premaster]`];
  }
  const music = input.format.music;
  const volumeDb = music?.volumeDb ?? MUSIC_DEFAULTS.volumeDb;
  const duck = duckingCompressor(music?.duckingDb ?? MUSIC_DEFAULTS.duckingDb);
  const fadeIn = Math.min(1, timeline.totalSeconds / 4);
  const fadeOut = Math.min(2, timeline.totalSeconds / 4);
  return [
    `[${inputs.narration}:a]${voice},asplit=2[voice][voice_key]`,
    `[${inputs.music}:a]${STEREO_48K},volume=${volumeDb}dB,apad=whole_len=${totalSamples},atrim=end_sample=${totalSamples},` +
      `afade=t=in:d=${seconds(fadeIn)},afade=t=out:st=${seconds(timeline.totalSeconds - fadeOut)}:d=${seconds(fadeOut)}[music]`,
    `[music][voice_key]sidechaincompress=threshold=${duck.threshold}:ratio=${duck.ratio}:attack=20:release=400:detection=rms:link=average[music_ducked]`,
    `[voice][music_ducked]amix=inputs=2:duration=first:dropout_transition=0:normalize=0,${limiter}[premaster]`,
  ];
}

function narrationInputs(input: EpisodeGraphInput, timeline: Timeline): { args: string[][]; indexes: AudioInputs } {
  const args: string[][] = [['-i', input.narrationAudioPath]];
  const indexes: AudioInputs = { narration: 0 };
  if (input.musicPath) {
    indexes.music = args.length;
    args.push(['-stream_loop', '-1', '-t', seconds(timeline.totalSeconds + 0.5), '-i', input.musicPath]);
  }
  return { args, indexes };
}

export interface AudioMeasureInvocation {
  inputArgs: string[];
  /** Ends at outputLabel; loudness.measureLoudnorm adds the measuring filter. */
  audioGraph: string;
  outputLabel: string;
}

/** The audio half of the episode graph, for loudnorm's first pass (no video is decoded). */
export function buildAudioMeasureInvocation(input: EpisodeGraphInput, plan: EpisodePlan = planEpisode(input)): AudioMeasureInvocation {
  const { args, indexes } = narrationInputs(input, plan.timeline);
  return { inputArgs: args.flat(), audioGraph: audioGraph(input, plan.timeline, indexes).join(';'), outputLabel: '[premaster]' };
}

export interface FfmpegInvocation {
  /** One group of input options and `-i file` per input, in input-index order. */
  inputs: string[][];
  filterComplex: string;
  outputOptions: string[];
  /** Everything together, ready for runFfmpeg. */
  args: string[];
}

/**
 * The episode in parallel runs. The pictures and the sound are encoded by separate ffmpeg processes
 * side by side: ffmpeg 5.1 runs the filter graphs and the AAC encoder on its one main thread, where
 * they held up x264 (the AAC encoder alone is about 14 CPU seconds of a 60 s episode), so apart they
 * use both cores (ADR 0029). The pictures may be cut into parts, each its own process (ADR 0031).
 * The mux copies the streams into the MP4 (a fraction of a second).
 */
export interface EpisodeInvocations {
  pictures: PictureParts;
  /** One per part: the inputs that part shows, one filter graph, one x264 encode into its file. */
  video: FfmpegInvocation[];
  /** Narration and music mixed and ducked, loudness pass 2, AAC. */
  audio: FfmpegInvocation;
  /** The pictures (joined when in parts) and the sound into `outputPath` without re-encoding, moov first, with the title. */
  mux: string[];
}

/** Where the pictures are encoded: one file, or one per part and the list the mux joins them by. */
export interface PictureParts {
  ranges: FrameRange[];
  /** One per range: `picturesPath` itself for a single part, `<name>.1.mp4`, `<name>.2.mp4`, … otherwise. */
  files: string[];
  /** For more than one part: the ffconcat list to write before the mux, and its text. */
  list?: { path: string; text: string };
}

export function pictureParts(plan: EpisodePlan, picturesPath: string, parts = 1, minFrames = MIN_PART_FRAMES): PictureParts {
  const ranges = planPictureParts(plan, parts, minFrames);
  if (ranges.length === 1) return { ranges, files: [picturesPath] };
  const stem = picturesPath.replace(/\.mp4$/, '');
  const files = ranges.map((_, i) => `${stem}.${i + 1}.mp4`);
  return {
    ranges,
    files,
    list: { path: `${stem}.ffconcat`, text: picturePartsList(files.map((file, i) => ({ file, range: ranges[i] }))) },
  };
}

export function buildEpisodeInvocations(
  input: EpisodeGraphInput,
  encode: EncodeSettings,
  plan: EpisodePlan = planEpisode(input),
  parts = 1,
): EpisodeInvocations {
  const pictures = pictureParts(plan, encode.picturesPath, parts);
  return {
    pictures,
    video: pictures.ranges.map((range, i) => buildVideoInvocation(input, { ...encode, picturesPath: pictures.files[i] }, plan, range)),
    audio: buildAudioInvocation(input, encode, plan),
    mux: buildMuxArgs(encode, pictures.list?.path),
  };
}

/**
 * The pictures and the sound into `outputPath` without re-encoding, moov first, with the title. With
 * `partsList`, the pictures are the parts it lists, copied one after the other.
 */
export function buildMuxArgs(
  encode: Pick<EncodeSettings, 'picturesPath' | 'soundPath' | 'outputPath' | 'title'>,
  partsList?: string,
): string[] {
  return [
    ...(partsList ? ['-f', 'concat', '-safe', '0', '-i', partsList] : ['-i', encode.picturesPath]),
    ...['-i', encode.soundPath, '-map', '0:v:0', '-map', '1:a:0', '-c', 'copy'],
    ...['-movflags', '+faststart'],
    ...(encode.title ? ['-metadata', `title=${encode.title}`] : []),
    ...['-y', encode.outputPath],
  ];
}

/** The sound: the audio graph (as pass 1 measured it), loudness pass 2, AAC, into `soundPath`. */
export function buildAudioInvocation(
  input: EpisodeGraphInput,
  encode: EncodeSettings,
  plan: EpisodePlan = planEpisode(input),
): FfmpegInvocation {
  const { args: inputs, indexes } = narrationInputs(input, plan.timeline);
  const graph = [...audioGraph(input, plan.timeline, indexes), `[premaster]${loudnormApplyFilter(encode.loudness)},${STEREO_48K}[aout]`];
  const outputOptions = ['-map', '[aout]', ...audioEncodeOptions(), '-y', encode.soundPath];
  const filterComplex = graph.join(';\n');
  return { inputs, filterComplex, outputOptions, args: [...inputs.flat(), '-filter_complex', filterComplex, ...outputOptions] };
}

/** Frames [start, end) of the finished video, at FRAME_RATE. */
export interface FrameRange {
  start: number;
  end: number;
}

/** The shortest part the default cut makes: below it, starting a process costs more than it saves. */
export const MIN_PART_FRAMES = 10 * FRAME_RATE;

/**
 * The video cut into up to `parts` ranges of about equal length, each encoded by its own process
 * (ADR 0031): a single x264 encode keeps only about 1.5 of 2 cores busy. With B-roll, cuts fall
 * where a clip ends (or at the narration's ends), so no part draws frames another shows; without it
 * (avatar-full) anywhere. No part is shorter than `minFrames`: fewer parts when the video is short.
 */
export function planPictureParts(plan: EpisodePlan, parts: number, minFrames = MIN_PART_FRAMES): FrameRange[] {
  const { introFrames, narrationFrames, totalFrames } = plan.timeline;
  const count = Math.max(1, Math.min(Math.floor(parts), Math.floor(totalFrames / minFrames)));
  if (count === 1) return [{ start: 0, end: totalFrames }];
  let cuttable: (frame: number) => boolean = (frame) => frame > 0 && frame < totalFrames;
  if (plan.broll) {
    const boundaries = new Set([introFrames, introFrames + narrationFrames]);
    let at = introFrames;
    for (const beat of plan.broll) for (const slot of beat.slots) boundaries.add((at += slot.frames));
    cuttable = (frame) => boundaries.has(frame) && frame > 0 && frame < totalFrames;
  }
  const cuts: number[] = [];
  for (let i = 1; i < count; i++) {
    const ideal = Math.round((totalFrames * i) / count);
    const previous = cuts.at(-1) ?? 0;
    let best: number | undefined;
    for (let frame = previous + minFrames; frame <= totalFrames - minFrames; frame++)
      if (cuttable(frame) && (best === undefined || Math.abs(frame - ideal) < Math.abs(best - ideal))) best = frame;
    if (best !== undefined) cuts.push(best);
  }
  const edges = [0, ...cuts, totalFrames];
  return edges.slice(1).map((end, i) => ({ start: edges[i], end }));
}

/**
 * An ffconcat list of the parts' files, in order, each with its exact length: the mux reads it to
 * copy them one after the other (every part starts with a key frame of a closed GOP, so the join
 * needs no re-encode), and the lengths keep the frames exactly 1/FRAME_RATE apart across each join
 * (measured from the files, the MP4's B-frame delay moved the second part by a third of a millisecond).
 */
export function picturePartsList(parts: { file: string; range: FrameRange }[]): string {
  const quote = (file: string) => `'${file.replace(/'/g, "'\\''")}'`;
  const lines = parts.flatMap(({ file, range }) => [`file ${quote(file)}`, `duration ${(range.end - range.start) / FRAME_RATE}`]);
  return ['ffconcat version 1.0', ...lines, ''].join('\n');
}

/**
 * The pictures of frames `part` (the whole video unless given): the inputs that part shows, once
 * each, one filter graph, one x264 encode into `picturesPath`. A B-roll slot or presenter that
 * straddles the part's edge is drawn from its start and trimmed, so it moves as in one piece.
 */
export function buildVideoInvocation(
  input: EpisodeGraphInput,
  encode: Omit<EncodeSettings, 'loudness'>,
  plan: EpisodePlan = planEpisode(input),
  part: FrameRange = { start: 0, end: plan.timeline.totalFrames },
): FfmpegInvocation {
  const { timeline, layout } = plan;
  const { width: W, height: H } = timeline.frame;
  if (!(part.start >= 0 && part.end <= timeline.totalFrames && part.start < part.end))
    throw new Error(`picture part ${part.start}-${part.end} is not inside the video's ${timeline.totalFrames} frames`);
  const brand = ffmpegColor(drawColorForBt709(parseHexColor(input.format.brandColor ?? DEFAULT_BRAND_COLOR)));
  const inputs: string[][] = [];
  const graph: string[] = [];
  const narrationLength = seconds(timeline.narrationSeconds + 0.5);

  const fullFrames = timeline.narrationFrames;
  // The narration segment's frames this part shows, counted from the segment's start.
  const bodyStart = Math.max(part.start, timeline.introFrames) - timeline.introFrames;
  const bodyEnd = Math.min(part.end, timeline.introFrames + fullFrames) - timeline.introFrames;
  const hasBody = bodyStart < bodyEnd;
  const cut = (from: number, to: number, length: number) =>
    from === 0 && to === length ? `trim=end_frame=${length}` : `trim=start_frame=${from}:end_frame=${to},setpts=PTS-STARTPTS`;

  let presenter = '';
  if (hasBody && layout !== 'broll-only' && input.avatarDrawing) {
    // Drawn at the narration's length from its stills (each read once, held by the drawing's own
    // filters) and the narration.
    const narration = inputs.length;
    inputs.push(['-i', input.narrationAudioPath]);
    const first = inputs.length;
    const { stills, draw } = input.avatarDrawing;
    for (const still of stills) inputs.push(['-i', still]);
    const more: Record<string, string> = { [`${stills.length}:a`]: `[${narration}:a]` };
    stills.forEach((_, i) => {
      if (i > 0) more[`${i}:v`] = `[${first + i}:v]`;
    });
    graph.push(draw(fullFrames, { input: `[${first}:v]`, output: '[presenter_drawn]', prefix: 'avatar_', more }));
    presenter = '[presenter_drawn]';
  } else if (hasBody && layout !== 'broll-only') {
    presenter = `[${inputs.length}:v]`;
    inputs.push(['-t', narrationLength, '-i', input.avatarPath!]);
  }

  // B-roll: every clip slot this part shows its own looped, length-limited input, normalised to the
  // output frame and rate. One decoding thread per clip: only one clip decodes at a time, and ffmpeg
  // opens every input at the start, so frame threading would only multiply the memory each open
  // decoder holds (about 2x).
  if (hasBody && plan.broll) {
    const slotLabels: string[] = [];
    let slotStart = 0;
    for (const beat of plan.broll) {
      for (const slot of beat.slots) {
        const from = Math.max(bodyStart, slotStart) - slotStart;
        const to = Math.min(bodyEnd, slotStart + slot.frames) - slotStart;
        slotStart += slot.frames;
        if (from >= to) continue;
        const index = inputs.length;
        const label = `[clip${slotLabels.length}]`;
        const clip = input.clips[slot.clipIndex];
        if (clip.draw) {
          // Drawn at the slot's length over its still, which is read once and held by the drawing's own filters.
          inputs.push(['-i', clip.path]);
          const drawn = `[drawn${slotLabels.length}]`;
          graph.push(clip.draw(slot.frames, { input: `[${index}:v]`, output: drawn, prefix: `d${slotLabels.length}_` }));
          graph.push(`${drawn}fps=${FRAME_RATE},setsar=1,format=yuv420p,${cut(from, to, slot.frames)}${label}`);
          slotLabels.push(label);
          continue;
        }
        inputs.push(['-threads', '1', '-stream_loop', '-1', '-t', seconds(slot.frames / FRAME_RATE + 0.5), '-i', clip.path]);
        graph.push(
          `[${index}:v]setpts=PTS-STARTPTS,fps=${FRAME_RATE},scale=${W}:${H}:force_original_aspect_ratio=increase,crop=${W}:${H},` +
            `setsar=1,format=yuv420p,${cut(from, to, slot.frames)}${label}`,
        );
        slotLabels.push(label);
      }
    }
    graph.push(`${slotLabels.join('')}concat=n=${slotLabels.length}:v=1:a=0[broll]`);
  }

  const presenterCut = cut(bodyStart, bodyEnd, fullFrames);
  if (hasBody && layout === 'avatar-pip' && plan.pip) {
    const { size, border, rect } = plan.pip;
    graph.push(
      `${presenter}setpts=PTS-STARTPTS,fps=${FRAME_RATE},scale=-2:${size},` +
        `pad=iw+${2 * border}:ih+${2 * border}:${border}:${border}:color=${brand},setsar=1,format=yuv420p,${presenterCut}[presenter]`,
    );
    // A presenter video shorter than the narration holds its last frame. The trim keeps the body at
    // its length: where the two inputs' last timestamps differ by a rounding, overlay sends one more.
    graph.push(
      `[broll][presenter]overlay=x=${rect.x}:y=${rect.y}:eof_action=repeat:format=yuv420,trim=end_frame=${bodyEnd - bodyStart}[body]`,
    );
  } else if (hasBody && layout === 'avatar-full') {
    graph.push(
      `${presenter}setpts=PTS-STARTPTS,fps=${FRAME_RATE},scale=${W}:${H}:force_original_aspect_ratio=decrease:force_divisible_by=2,` +
        `pad=${W}:${H}:(ow-iw)/2:(oh-ih)/2:color=${brand},setsar=1,format=yuv420p,tpad=stop=-1:stop_mode=clone,${presenterCut}[body]`,
    );
  } else if (hasBody) {
    graph.push(`[broll]null[body]`);
  }

  const card = (frames: number, label: string) =>
    `color=c=${brand}:s=${W}x${H}:r=${FRAME_RATE},trim=end_frame=${frames},format=yuv420p,setsar=1[${label}]`;
  const segments: string[] = [];
  const introShown = Math.min(part.end, timeline.introFrames) - part.start;
  if (introShown > 0) {
    graph.push(card(introShown, 'intro'));
    segments.push('[intro]');
  }
  if (hasBody) segments.push('[body]');
  const outroShown = part.end - Math.max(part.start, timeline.introFrames + fullFrames);
  if (timeline.outroFrames > 0 && outroShown > 0) {
    graph.push(card(outroShown, 'outro'));
    segments.push('[outro]');
  }
  const joined = segments.length > 1 ? `${segments.join('')}concat=n=${segments.length}:v=1:a=0` : `${segments[0]}null`;
  // The overlay's times are the finished video's: a later part's frames are shifted to them while
  // it is drawn, and back to start at 0 for their own file.
  const overlay = input.overlayAssPath
    ? (part.start > 0 ? `,setpts=PTS-STARTPTS+${part.start}/(${FRAME_RATE}*TB)` : '') +
      `,ass=filename=${escapeFilterValue(input.overlayAssPath)}${input.fontsDir ? `:fontsdir=${escapeFilterValue(input.fontsDir)}` : ''}` +
      (part.start > 0 ? ',setpts=PTS-STARTPTS' : '')
    : '';
  graph.push(`${joined}${overlay},format=yuv420p[vout]`);

  const outputOptions = ['-map', '[vout]', ...videoEncodeOptions(encode.preset, encode.crf), '-y', encode.picturesPath];
  const filterComplex = graph.join(';\n');
  return { inputs, filterComplex, outputOptions, args: [...inputs.flat(), '-filter_complex', filterComplex, ...outputOptions] };
}

/**
 * The default encode: libx264 veryfast with superfast's analysis (diamond motion search, subpixel
 * refinement 1, intra partitions only) and a fixed two B-frames between references (YouTube's
 * pattern, so the lookahead does not decide it), keeping veryfast's macroblock tree and 10-frame
 * lookahead. On the example's frames: the same SSIM and PSNR as plain veryfast, about a third less
 * x264 time, a few % more bytes (ADR 0029, ADR 0031); plain superfast would cost 69 % more bytes, as
 * it drops the macroblock tree.
 */
export const DEFAULT_X264 = { preset: 'veryfast', params: 'me=dia:subme=1:partitions=i8x8,i4x4:b-adapt=0' } as const;

/**
 * YouTube's recommended upload settings: H.264 High, 4:2:0, closed GOP of half the frame rate,
 * two consecutive B-frames, CABAC (on in every preset but ultrafast), BT.709; CRF with a VBV
 * ceiling well above the 8 Mbps YouTube suggests for 1080p30. A preset given replaces the
 * default's and its tuning.
 */
export function videoEncodeOptions(preset?: string, crf = 20): string[] {
  return [
    ...['-c:v', 'libx264', '-preset', preset ?? DEFAULT_X264.preset],
    ...(preset === undefined ? ['-x264-params', DEFAULT_X264.params] : []),
    ...['-profile:v', 'high', '-pix_fmt', 'yuv420p'],
    ...['-crf', String(crf), '-maxrate', '12M', '-bufsize', '24M'],
    ...['-r', String(FRAME_RATE), '-g', String(FRAME_RATE / 2), '-bf', '2', '-flags', '+cgop'],
    ...['-colorspace', 'bt709', '-color_primaries', 'bt709', '-color_trc', 'bt709', '-color_range', 'tv'],
  ];
}

/**
 * AAC-LC, 48 kHz stereo, 384 kb/s, with the native encoder's fast coder: at this rate it is both
 * closer to the source and half the CPU of twoloop, Debian's ffmpeg 5.1 default (ADR 0029).
 */
export function audioEncodeOptions(): string[] {
  return ['-c:a', 'aac', '-aac_coder', 'fast', '-profile:a', 'aac_low', '-b:a', '384k', '-ar', String(SAMPLE_RATE), '-ac', '2'];
}
