// An Episode's own script (spec.script) as the documents the writer's stages hand on: plan takes its
// beats, script keeps its words exactly, refine only checks the banned topics and the length, as
// the writers do (a banned topic fails, a length outside the band is a note). No writer is asked.
// Pure: the stages and their tests share it.
import { ownScriptBeats, ownScriptTitle, type ChannelSpec, type EpisodeSpec } from '@acog/api';
import type { BrollCue, Plan, RefinedScript, Script } from '../../contract/documents.ts';
import { assertNoBannedTopic, describeLength, fitsLength, lengthTarget, measureBeats } from './rules.ts';
import { keywordsOf } from './text.ts';

/** The name the stages record as their provider when spec.script is used. */
export const OWN_SCRIPT_PROVIDER = 'spec.script';

/** An Episode spec that carries its own script. */
export type WithScript = EpisodeSpec & { script: NonNullable<EpisodeSpec['script']> };

export function hasOwnScript(episode: EpisodeSpec): episode is WithScript {
  return episode.script !== undefined;
}

function cue(description: string): BrollCue {
  const keywords = keywordsOf(description);
  return { description, keywords: keywords.length > 0 ? keywords : [description] };
}

/**
 * The plan of an own script: its beats, headings and cues, each beat an equal share of the target
 * length. It reads no narration, as the plan's input hash does not (api/src/stage-inputs.ts).
 */
export function ownScriptPlan(channel: ChannelSpec, episode: WithScript): Plan {
  const beats = ownScriptBeats(episode.script);
  const { seconds } = lengthTarget(channel, episode);
  const share = Math.round((seconds / beats.length) * 10) / 10;
  return {
    title: ownScriptTitle(episode),
    hook: beats[0]!.heading,
    beats: beats.map((beat) => ({
      id: beat.id,
      heading: beat.heading,
      summary: beat.heading,
      points: [],
      brollCues: [cue(beat.broll)],
      targetSeconds: share,
    })),
    outro: '',
  };
}

/** The script of an own script: its words exactly as written. */
export function ownScriptDocument(channel: ChannelSpec, episode: WithScript): Script {
  const beats = ownScriptBeats(episode.script).map((beat) => ({
    id: beat.id,
    heading: beat.heading,
    narration: beat.narration,
    brollCues: [cue(beat.broll)],
  }));
  return { title: ownScriptTitle(episode), beats, ...measureBeats(beats, lengthTarget(channel, episode).wordsPerMinute) };
}

/**
 * The refine pass over an own script: the words stay; a banned topic fails (BannedTopicError, as
 * the writers' refine), a length outside the Channel's band is said in the notes and does not.
 */
export function checkOwnScript(channel: ChannelSpec, episode: WithScript): RefinedScript {
  const script = ownScriptDocument(channel, episode);
  assertNoBannedTopic(script, channel.persona.bannedTopics);
  const target = lengthTarget(channel, episode);
  const fits = fitsLength(script.wordCount, target);
  const banned = channel.persona.bannedTopics ?? [];
  const notes = [
    "The episode's own script (spec.script) is used as written: only the banned topics and the length were checked, no words were changed.",
    banned.length > 0
      ? `Banned topics: none of ${banned.map((topic) => `"${topic}"`).join(', ')} is mentioned.`
      : 'Banned topics: the channel names none.',
    fits
      ? `Length: ${describeLength(script.wordCount, target)}.`
      : `Length: ${describeLength(script.wordCount, target)}: ${script.wordCount < target.minWords ? 'too short' : 'too long'} for the target; ` +
        'the video runs as long as the words take. Edit spec.script (kubectl acog script EP --edit) to fit it.',
  ];
  return { ...script, notes };
}
