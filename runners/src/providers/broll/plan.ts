// Which clips a script needs: each beat lasts about words / wordsPerMinute, and is covered by
// clips of about clipSeconds whose frames add up to the beat's exactly.
import type { BrollCue, ScriptBeat } from '../../contract/documents.ts';
import { FRAME_RATE } from '../../media/frame.ts';
import type { BrollScript } from './types.ts';

export const DEFAULT_CLIP_SECONDS = 6;
export const DEFAULT_WORDS_PER_MINUTE = 150;
/** A beat is never shorter than this, so that even a one-word beat gets a readable clip. */
export const MIN_BEAT_SECONDS = 1.5;

export interface PlannedClip {
  beatId: string;
  /** Position of the beat in the script, from 0. */
  beatIndex: number;
  /** Position of the clip in its beat, from 0. */
  index: number;
  /** How many clips the beat has. */
  count: number;
  frames: number;
  /** frames / 30. */
  seconds: number;
  heading: string;
  /** The cue this clip shows (the beat's cues in turn); undefined when the beat has none. */
  cue?: BrollCue;
  /** The clip's file name in the workdir. */
  file: string;
}

export function countWords(text: string): number {
  return text.split(/\s+/).filter((word) => /[\p{L}\p{N}]/u.test(word)).length;
}

/** The beat's estimated narration length. */
export function beatSeconds(beat: Pick<ScriptBeat, 'narration'>, wordsPerMinute: number): number {
  return Math.max(MIN_BEAT_SECONDS, (countWords(beat.narration) / wordsPerMinute) * 60);
}

/** A file name made of the beat id's safe characters. */
export function clipFileName(beatId: string, index: number, prefix = 'broll'): string {
  const safe = beatId.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'beat';
  return `${prefix}-${safe}-${index + 1}.mp4`;
}

/** The clips of every beat but those spec.media covers; a beat keeps its position (beatIndex) in the script. */
export function planBrollClips(
  script: Pick<BrollScript, 'beats' | 'ownMediaBeats'>,
  options: { clipSeconds?: number; wordsPerMinute?: number } = {},
): PlannedClip[] {
  const clipSeconds = Math.max(1, options.clipSeconds ?? DEFAULT_CLIP_SECONDS);
  const wordsPerMinute = options.wordsPerMinute ?? DEFAULT_WORDS_PER_MINUTE;
  const covered = new Set(script.ownMediaBeats ?? []);
  return script.beats.flatMap((beat, beatIndex) => {
    if (covered.has(beat.id)) return [];
    const totalFrames = Math.round(beatSeconds(beat, wordsPerMinute) * FRAME_RATE);
    const count = Math.max(1, Math.round(totalFrames / FRAME_RATE / clipSeconds));
    const base = Math.floor(totalFrames / count);
    const extra = totalFrames - base * count;
    return Array.from({ length: count }, (_, index) => {
      const frames = base + (index < extra ? 1 : 0);
      const cues = beat.brollCues ?? [];
      return {
        beatId: beat.id,
        beatIndex,
        index,
        count,
        frames,
        seconds: frames / FRAME_RATE,
        heading: beat.heading,
        cue: cues.length > 0 ? cues[index % cues.length] : undefined,
        file: clipFileName(beat.id, index),
      };
    });
  });
}

/** Search words of a clip: the cue's keywords, else its description, else the beat heading. */
export function clipSearchTerms(clip: Pick<PlannedClip, 'cue' | 'heading'>): string {
  const keywords = clip.cue?.keywords?.map((keyword) => keyword.trim()).filter(Boolean) ?? [];
  if (keywords.length > 0) return keywords.slice(0, 3).join(' ');
  return clip.cue?.description?.trim() || clip.heading;
}
