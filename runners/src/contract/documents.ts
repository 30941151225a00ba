// The documents stages hand to each other (stored as JSON artifacts), and the stage contract.

/** A moment of B-roll the plan asks for. */
export interface BrollCue {
  /** What should be seen, in words a stock search or a video model understands. */
  description: string;
  /** Search words, most important first. */
  keywords: string[];
}

export interface PlanBeat {
  /** Stable id ("beat-1", …) that script, voice, B-roll and chapters refer to. */
  id: string;
  heading: string;
  /** What the beat says, in a sentence or two. */
  summary: string;
  /** Key points of the episode this beat covers. */
  points: string[];
  brollCues: BrollCue[];
  /** Share of the episode's duration, in seconds. */
  targetSeconds: number;
}

export interface Plan {
  title: string;
  /** The first sentence: why the viewer should stay. */
  hook: string;
  beats: PlanBeat[];
  /** Closing line, e.g. the call to action. */
  outro: string;
}

export interface ScriptBeat {
  id: string;
  heading: string;
  /** What the narrator says in this beat. */
  narration: string;
  brollCues: BrollCue[];
}

export interface Script {
  title: string;
  beats: ScriptBeat[];
  wordCount: number;
  /** wordCount at the channel's words per minute. */
  estimatedSeconds: number;
}

export interface RefinedScript extends Script {
  /** What the refine pass changed, for the reviewer at an approval gate. */
  notes: string[];
}

export interface Chapter {
  beatId: string;
  title: string;
}

export interface Metadata {
  /** YouTube title: at most 100 characters, no < or >. */
  title: string;
  /** YouTube description: at most 5000 bytes, no < or >. Chapters and attributions are added at upload. */
  description: string;
  /** Tags: together at most 500 characters. */
  tags: string[];
  /** One chapter title per beat; times come from the narration at assembly. */
  chapters: Chapter[];
  /** A few words for the thumbnail. */
  thumbnailText: string;
  language: string;
}

export interface WordTiming {
  text: string;
  /** Seconds from the start of the narration. */
  start: number;
  end: number;
}

export interface Narration {
  /** The narration audio file's name among the stage's artifacts. */
  audio: string;
  durationSeconds: number;
  words: WordTiming[];
  /** Where each beat starts and ends in the narration. */
  beats: { id: string; start: number; end: number }[];
  /** How the word times were obtained: exact from the provider, or per sentence. */
  timing: 'word' | 'sentence';
  /** The engine that spoke, when it is not the provider asked for (espeak when Piper could not). */
  spokenBy?: string;
}

export interface BrollClip {
  beatId: string;
  /** The clip's name among the stage's artifacts: a video, or the still a drawing is drawn over. */
  file: string;
  durationSeconds: number;
  /** Credit the provider requires (Pexels) or spec.media gives, added to the description at upload. */
  attribution?: string;
  /** The licence of a clip or image of spec.media. */
  license?: string;
  /** A motion graphic the assembly draws over `file` (a still) inside its own filter graph, at the length the beat gives it. */
  drawing?: MotionDrawing;
}

/**
 * A motion graphic as data (the offline B-roll): its kind, its texts and its move. Drawn by the
 * assembly inside its own filter graph, so that no intermediate video is encoded and decoded.
 */
export interface MotionDrawing {
  kind: 'title' | 'keywords' | 'kenburns';
  /** Position of the beat in the script, from 0: its palette and number. */
  beatIndex: number;
  /** The heading's lines (a title card's big heading; the small heading of the others). */
  heading: string[];
  /** A title card's label above the heading. */
  label?: string;
  /** A keyword card's keywords, a line each. */
  keywords?: string[];
  /** A Ken Burns move's variant. */
  variant?: number;
}

/**
 * The offline presenter as data (the audiogram), stored as the avatar stage's `avatar.json`: the
 * assembly draws it inside its own filter graph from two stills and the narration, so no presenter
 * video is encoded and decoded. Providers that make a video (HeyGen) hand over `avatar.mp4` instead.
 */
export interface AvatarDrawing {
  kind: 'audiogram';
  /** The size it is drawn at (the size the presenter is shown at). */
  width: number;
  height: number;
  /** Names among the avatar stage's artifacts: the background still, and the portrait (disc, ring and shadow, with transparency). */
  background: string;
  portrait: string;
  /** The presenter's name, drawn under the portrait. */
  name: string;
  /** The spectrum's colour, #rrggbb. */
  barColor: string;
}

export interface BrollManifest {
  clips: BrollClip[];
}

export interface Publication {
  provider: string;
  /** YouTube video id, or the folder/prefix the files were copied to. */
  id: string;
  url: string;
  publishAt?: string;
  privacy: string;
}

export type { StageInput, StageResult, StageEvent } from '@acog/api';
