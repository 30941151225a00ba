// The assemble stage's media engine: narration, presenter, B-roll and music in; the finished
// video, thumbnail and caption files out. The pictures' encodes (one per part of the video) from the
// start and, beside them, the thumbnail, the sound's loudness pass 1 and then its encode; the
// streams are muxed at the end.
import { access, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { BrollClip, Narration } from '../contract/documents.ts';
import { buildCaptionCues, writeAss, writeSrt, writeVtt } from './captions.ts';
import { MediaRefusedError, probe, runFfmpeg, type ProbeResult } from './ffmpeg.ts';
import {
  buildAudioMeasureInvocation,
  buildAudioInvocation,
  buildMuxArgs,
  buildVideoInvocation,
  pictureParts,
  planEpisode,
  planTimeline,
  VOICE_REFERENCE_LUFS,
  type ClipDrawer,
  type EpisodeGraphInput,
  type EpisodePlan,
  type FrameRange,
  type GraphAvatarDrawing,
} from './filter-graph.ts';
import { effectiveLayout, FRAME_RATE, type ChannelFormat, type Layout } from './frame.ts';
import { isSilent, measureLoudness, measureLoudnorm } from './loudness.ts';
import { renderThumbnail, type ThumbnailSource } from './thumbnail.ts';

export interface AssembleInput {
  /** Where the outputs (and a few working files) are written; created when missing. */
  workdir: string;
  format: ChannelFormat;
  /** The episode title: the intro card's text when the channel sets none. */
  title: string;
  thumbnailText: string;
  narration: Narration;
  narrationAudioPath: string;
  avatarPath?: string;
  /** A presenter drawn by the assembly (the offline audiogram); its first still is `avatarPath`. */
  avatarDrawing?: GraphAvatarDrawing;
  /** Clips with `draw` are drawn by the assembly over their still (GraphClip.draw). */
  broll: { clips: (BrollClip & { path: string; draw?: ClipDrawer })[] };
  musicPath?: string;
}

export interface AssembleOutput {
  video: string;
  thumbnail: string;
  captionsSrt: string;
  captionsVtt: string;
  /** Start of each beat in the final video, intro included; the first is 0 (YouTube wants a chapter at 0:00). */
  chapterStarts: number[];
  durationSeconds: number;
  loudness: { integratedLufs: number; truePeakDb: number };
  /** The frames each encode of the pictures made, in order (one range unless cut in parts, ADR 0031). */
  pictureParts: FrameRange[];
}

/** 'loudness' (pass 1 of the sound) runs beside the start of 'encode' (the pictures), the thumbnail beside both; 'verify' puts the streams together and checks them. */
export type AssemblePhase = 'prepare' | 'loudness' | 'encode' | 'verify';

export interface AssembleProgress {
  phase: AssemblePhase;
  /** Seconds of the final video encoded so far (0 outside the encode). */
  secondsDone: number;
  totalSeconds: number;
}

export interface AssembleOptions {
  onProgress?: (progress: AssembleProgress) => void;
  signal?: AbortSignal;
  /** libx264 preset; the tuned veryfast of DEFAULT_X264 (filter-graph.ts) unless set. */
  preset?: string;
  /**
   * Parts the pictures are cut into, each encoded by its own process (ADR 0031). Unless set,
   * DEFAULT_PICTURE_PARTS of at least 10 s each; when set, that many of at least a second each.
   */
  pictureParts?: number;
}

/**
 * One x264 encode keeps about 1.5 of 2 cores busy (its filter graph and its frame threads wait on
 * each other), two side by side keep both busy: measured on 2 cores (ADR 0031). More parts than
 * that were not measured, so a larger machine gets two as well.
 */
export const DEFAULT_PICTURE_PARTS = Math.min(2, availableParallelism());

export class AssembleInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AssembleInputError';
  }
}

export const DEFAULT_FONTS_DIR = '/usr/share/fonts/truetype/dejavu';

function fontsDir(): string | undefined {
  const dir = process.env.ACOG_FONTS_DIR || DEFAULT_FONTS_DIR;
  return existsSync(dir) ? dir : undefined;
}

function validateNarration(narration: Narration): void {
  if (!(narration.durationSeconds > 0))
    throw new AssembleInputError(`narration duration must be positive, got ${narration.durationSeconds}`);
  if (!narration.words?.some((w) => w.text.trim())) throw new AssembleInputError('narration has no words: nothing to caption');
  if (!narration.beats?.length) throw new AssembleInputError('narration has no beats');
  const ids = new Set<string>();
  for (const beat of narration.beats) {
    if (ids.has(beat.id)) throw new AssembleInputError(`narration lists beat '${beat.id}' twice`);
    ids.add(beat.id);
    if (!(beat.start >= 0) || !(beat.end >= beat.start) || beat.start > narration.durationSeconds + 0.5) {
      throw new AssembleInputError(
        `beat '${beat.id}' has impossible times ${beat.start}–${beat.end} s in a ${narration.durationSeconds} s narration`,
      );
    }
  }
}

async function assertFilesExist(files: { what: string; file: string }[]): Promise<void> {
  const missing: string[] = [];
  await Promise.all(
    files.map(({ what, file }) =>
      access(file).catch(() => {
        missing.push(`${what}: ${file}`);
      }),
    ),
  );
  if (missing.length > 0) throw new AssembleInputError(`missing input file${missing.length > 1 ? 's' : ''}: ${missing.sort().join('; ')}`);
}

async function probeWith(file: string, what: string, needs: 'audio' | 'video', signal?: AbortSignal): Promise<ProbeResult> {
  let facts: ProbeResult;
  try {
    facts = await probe(file, { signal });
  } catch (error) {
    if (signal?.aborted) throw error;
    if (error instanceof MediaRefusedError && error.opensOthers) throw new AssembleInputError(`${what} ${error.reason}: ${file}`);
    throw new AssembleInputError(`${what} is not a readable media file: ${file}`);
  }
  if (!facts[needs]) throw new AssembleInputError(`${what} has no ${needs} stream: ${file}`);
  return facts;
}

/** Renders the episode. Writes video.mp4, thumbnail.jpg, captions.srt and captions.vtt in input.workdir. */
export async function assembleEpisode(input: AssembleInput, options: AssembleOptions = {}): Promise<AssembleOutput> {
  const { signal } = options;
  const { format, narration } = input;
  validateNarration(narration);
  const usesBroll = effectiveLayout(format.layout, Boolean(input.avatarPath)) !== 'avatar-full';
  const clips = usesBroll ? (input.broll?.clips ?? []) : [];
  if (input.avatarDrawing && input.avatarPath !== input.avatarDrawing.stills[0])
    throw new AssembleInputError("a drawn presenter's avatarPath must be its first still");
  const avatarWhat = input.avatarDrawing ? 'avatar still' : 'avatar video';
  await assertFilesExist([
    { what: 'narration audio', file: input.narrationAudioPath },
    ...(input.avatarPath ? [{ what: avatarWhat, file: input.avatarPath }] : []),
    ...(input.avatarDrawing?.stills.slice(1).map((file) => ({ what: avatarWhat, file })) ?? []),
    ...(input.musicPath ? [{ what: 'music', file: input.musicPath }] : []),
    ...clips.map((clip) => ({ what: `B-roll clip of beat '${clip.beatId}'`, file: clip.path })),
  ]);
  await mkdir(input.workdir, { recursive: true });

  const totalSeconds = planTimeline(format, narration.durationSeconds, narration.beats).totalSeconds;
  const report = (phase: AssemblePhase, secondsDone = 0) => options.onProgress?.({ phase, secondsDone, totalSeconds });
  report('prepare');

  const [, avatarFacts, , ...clipFacts] = await Promise.all([
    probeWith(input.narrationAudioPath, 'narration audio', 'audio', signal),
    input.avatarPath ? probeWith(input.avatarPath, avatarWhat, 'video', signal) : undefined,
    input.musicPath ? probeWith(input.musicPath, 'music', 'audio', signal) : undefined,
    ...clips.map((clip) => probeWith(clip.path, `B-roll clip ${clip.file}`, 'video', signal)),
  ]);

  const graphInput: EpisodeGraphInput = {
    ...graphInputSkeleton(input),
    clips: clips.map((clip, i) => ({
      path: clip.path,
      beatId: clip.beatId,
      // A drawn clip's still has no length of its own.
      durationSeconds: (clip.draw ? undefined : clipFacts[i]?.durationSeconds) || clip.durationSeconds,
      draw: clip.draw,
    })),
  };
  let plan: EpisodePlan;
  try {
    plan = planEpisode(graphInput);
  } catch (error) {
    throw new AssembleInputError((error as Error).message);
  }
  const { timeline } = plan;

  // Captions: cue files for YouTube, and the ASS script burned in (with the cards' titles).
  const cues = buildCaptionCues(narration.words, {
    narrationSeconds: Math.min(narration.durationSeconds, timeline.narrationSeconds),
    maxWordsPerCue: format.captions?.maxWordsPerCue,
  });
  const offset = timeline.introSeconds;
  const captionsSrt = path.join(input.workdir, 'captions.srt');
  const captionsVtt = path.join(input.workdir, 'captions.vtt');
  const overlayAss = path.join(input.workdir, 'overlay.ass');
  const outroStart = timeline.introSeconds + timeline.narrationSeconds;
  await Promise.all([
    writeFile(captionsSrt, writeSrt(cues, offset)),
    writeFile(captionsVtt, writeVtt(cues, offset)),
    writeFile(
      overlayAss,
      writeAss(cues, {
        frame: timeline.frame,
        aspectRatio: format.aspectRatio,
        captions: format.captions,
        brandColor: format.brandColor,
        offsetSeconds: offset,
        burnIn: format.captions?.burnIn ?? true,
        cards: [
          { start: 0, end: timeline.introSeconds, text: format.intro?.text ?? input.title },
          { start: outroStart, end: timeline.totalSeconds, text: format.outro?.text ?? '' },
        ],
        avoid: plan.pip?.rect,
        bt709Video: true,
      }),
    ),
  ]);
  graphInput.overlayAssPath = overlayAss;

  // Every run from here on is stopped when one of them fails (or the caller aborts), so that none
  // is left running beside a failure.
  const group = new AbortController();
  const groupSignal = signal ? AbortSignal.any([signal, group.signal]) : group.signal;
  const stopOthersOnFailure = <T>(run: Promise<T>): Promise<T> => {
    const guarded = run.catch((error: unknown) => {
      group.abort(error);
      throw error;
    });
    // Awaited below; this keeps a failure before then from counting as unhandled.
    guarded.catch(() => {});
    return guarded;
  };

  // The thumbnail reads the inputs, not the video: it is made beside the loudness pass and the encode.
  const thumbnail = path.join(input.workdir, 'thumbnail.jpg');
  const thumbnailDone = stopOthersOnFailure(
    renderThumbnail(
      {
        outputPath: thumbnail,
        assPath: path.join(input.workdir, 'thumbnail.ass'),
        text: input.thumbnailText || input.title,
        brandColor: format.brandColor,
        source: thumbnailSource(plan.layout, input, graphInput, avatarFacts),
        fontsDir: graphInput.fontsDir,
      },
      { signal: groupSignal },
    ),
  );

  const video = path.join(input.workdir, 'video.mp4');
  const partial = path.join(input.workdir, 'video.partial.mp4');
  const picturesPath = path.join(input.workdir, 'video.pictures.mp4');
  const soundPath = path.join(input.workdir, 'video.sound.m4a');
  const pictures = options.pictureParts
    ? pictureParts(plan, picturesPath, options.pictureParts, FRAME_RATE)
    : pictureParts(plan, picturesPath, DEFAULT_PICTURE_PARTS);
  let partRuns: Promise<unknown>[] = [];
  try {
    // The pictures do not depend on the sound's level: their encodes (the longest runs) start at
    // once, beside loudness pass 1 and the thumbnail.
    report('loudness');
    const settings = { outputPath: partial, picturesPath, soundPath, preset: options.preset, title: input.title };
    const encoded = pictures.ranges.map(() => 0);
    partRuns = pictures.ranges.map((range, i) =>
      stopOthersOnFailure(
        runFfmpeg(buildVideoInvocation(graphInput, { ...settings, picturesPath: pictures.files[i] }, plan, range).args, {
          purpose: pictures.ranges.length > 1 ? `episode encode, part ${i + 1} of ${pictures.ranges.length}` : 'episode encode',
          totalSeconds: (range.end - range.start) / FRAME_RATE,
          signal: groupSignal,
          onProgress: (p) => {
            encoded[i] = p.secondsDone;
            const done = encoded.reduce((a, b) => a + b, 0);
            report('encode', Math.min(totalSeconds, done));
          },
        }),
      ),
    );
    if (pictures.list) await writeFile(pictures.list.path, pictures.list.text);

    // Loudness pass 1: the narration's level (to calibrate the mix), then the whole audio mix.
    const voice = await stopOthersOnFailure(measureLoudness(input.narrationAudioPath, { signal: groupSignal }));
    if (isSilent(voice)) throw new AssembleInputError(`narration audio is silent: ${input.narrationAudioPath}`);
    graphInput.voiceGainDb = Math.max(-30, Math.min(30, VOICE_REFERENCE_LUFS - voice.integratedLufs));
    const measure = buildAudioMeasureInvocation(graphInput, plan);
    const loudness = await stopOthersOnFailure(
      measureLoudnorm(measure.inputArgs, measure.audioGraph, measure.outputLabel, { signal: groupSignal }),
    );

    // The sound (loudness pass 2 inside it) beside the pictures; its loudness is checked as soon as it
    // is written: the mux copies that very stream into the video.
    const sound = buildAudioInvocation(graphInput, { ...settings, loudness }, plan);
    const [, measured] = await Promise.all([
      Promise.all(partRuns),
      stopOthersOnFailure(
        runFfmpeg(sound.args, { purpose: 'episode sound encode', signal: groupSignal }).then(() =>
          measureLoudness(soundPath, { signal: groupSignal }),
        ),
      ),
      thumbnailDone,
    ]);

    report('verify');
    await runFfmpeg(buildMuxArgs(settings, pictures.list?.path), { purpose: 'episode mux', signal, logLevel: 'error' });
    await rename(partial, video);
    const final = await probe(video, { signal });
    report('verify', totalSeconds);
    return {
      video,
      thumbnail,
      captionsSrt,
      captionsVtt,
      chapterStarts: timeline.chapterStarts,
      durationSeconds: final.durationSeconds,
      loudness: { integratedLufs: measured.integratedLufs, truePeakDb: measured.truePeakDb },
      pictureParts: pictures.ranges,
    };
  } catch (error) {
    group.abort(error);
    await Promise.all([thumbnailDone, ...partRuns].map((run) => run.catch(() => {})));
    throw error;
  } finally {
    const intermediates = [partial, soundPath, ...pictures.files, ...(pictures.list ? [pictures.list.path] : [])];
    await Promise.all(intermediates.map((file) => rm(file, { force: true })));
  }
}

function graphInputSkeleton(input: AssembleInput): Omit<EpisodeGraphInput, 'clips'> {
  return {
    format: input.format,
    narrationAudioPath: input.narrationAudioPath,
    narrationSeconds: input.narration.durationSeconds,
    beats: input.narration.beats,
    avatarPath: input.avatarPath,
    avatarDrawing: input.avatarDrawing,
    musicPath: input.musicPath,
    fontsDir: fontsDir(),
    voiceGainDb: 0,
  };
}

/** The presenter for avatar-full, otherwise the first beat's first clip; a little way in, past any fade from black. */
function thumbnailSource(
  layout: Layout,
  input: AssembleInput,
  graphInput: EpisodeGraphInput,
  avatarFacts: ProbeResult | undefined,
): ThumbnailSource | undefined {
  const clip = graphInput.clips.find((c) => c.beatId === input.narration.beats[0].id) ?? graphInput.clips[0];
  if (layout !== 'avatar-full' && clip) return { path: clip.path, atSeconds: clip.draw ? 0 : Math.min(1, clip.durationSeconds * 0.4) };
  // A drawn presenter's first still is its background.
  if (input.avatarDrawing) return { path: input.avatarDrawing.stills[0], atSeconds: 0 };
  if (input.avatarPath) return { path: input.avatarPath, atSeconds: Math.min(1, (avatarFacts?.durationSeconds ?? 0) * 0.4) };
  return undefined;
}
