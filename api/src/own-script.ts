// An Episode's own script (spec.script) in the shape the stages use: beat ids, headings and B-roll
// cues filled in where the person left them out. Pure: the input hashes, the runners and the
// plugin share it, so a derived heading is the same word for word wherever it is made.
import type { EpisodeSpec } from './generated/types.ts';

export type OwnScript = NonNullable<EpisodeSpec['script']>;

export interface OwnScriptBeat {
  /** beat-1, beat-2, … in order: what chapters, B-roll and spec.media[].beat refer to. */
  id: string;
  heading: string;
  /** What should be seen: the beat's own cue, else its heading. */
  broll: string;
  narration: string;
}

/** How many words of the narration a heading made from it keeps. */
const DERIVED_HEADING_WORDS = 6;
const HEADING_MAX_CHARS = 80;

export function ownBeatId(index: number): string {
  return `beat-${index + 1}`;
}

/** A heading made from the narration's first words, without trailing punctuation: "The first thing to know". */
export function headingFromNarration(narration: string): string {
  const words = narration.trim().split(/\s+/).slice(0, DERIVED_HEADING_WORDS).join(' ');
  const cut = [...words].slice(0, HEADING_MAX_CHARS).join('');
  return cut.replace(/[\s,;:.!?…–—-]+$/u, '') || cut;
}

/** The beats of spec.script with their ids, and headings and cues filled in. */
export function ownScriptBeats(script: OwnScript): OwnScriptBeat[] {
  return script.beats.map((beat, index) => {
    const heading = beat.heading?.trim() || headingFromNarration(beat.narration);
    return { id: ownBeatId(index), heading, broll: beat.broll?.trim() || heading, narration: beat.narration };
  });
}

/** The title of the video: the script's, else the topic. */
export function ownScriptTitle(episode: Pick<EpisodeSpec, 'script' | 'topic'>): string {
  return episode.script?.title?.trim() || episode.topic;
}

export interface OwnScriptOutline {
  title: string;
  beats: Omit<OwnScriptBeat, 'narration'>[];
}

/**
 * What of spec.script the writer's stages (plan, script, refine) and those that follow only them
 * (metadata, B-roll) depend on: the title, the beats and their headings and cues, not the words
 * spoken. The words are an input of voice, so editing a beat's narration re-runs voice and what
 * follows it, not the writer's stages (ADR 0022).
 */
export function ownScriptOutline(episode: Pick<EpisodeSpec, 'script' | 'topic'>): OwnScriptOutline | undefined {
  if (!episode.script) return undefined;
  return {
    title: ownScriptTitle(episode),
    beats: ownScriptBeats(episode.script).map(({ id, heading, broll }) => ({ id, heading, broll })),
  };
}
