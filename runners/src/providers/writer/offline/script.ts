// The narration script: each beat of the plan said in full, fitted to the target length.
import type { Plan, Script } from '../../../contract/documents.ts';
import { measureBeats } from '../rules.ts';
import { splitSentences, toSpeakable } from '../text.ts';
import {
  addPreferred,
  beatDraft,
  budgets,
  cannotFit,
  extend,
  fillBeats,
  fixedWords,
  render,
  totalWords,
  trim,
  type BeatDraft,
} from './fit.ts';
import { hashSeed, seededRandom } from './seed.ts';
import { assignBrief, extrasFor, roleOf, sameText, type ExtraContext } from './sentences.ts';
import type { EpisodeSource } from './source.ts';

export function writeScript(source: EpisodeSource, plan: Plan): Script {
  const random = seededRandom(hashSeed(source.seed, 'script', plan));
  const beats = plan.beats.map((beat, index) => ({
    text: beat.points[0] ?? beat.summary,
    heading: beat.heading,
    role: roleOf(index, plan.beats.length),
  }));
  // What the plan already says (hook, beat summaries, outro) is never offered again.
  const said = new Set(
    [plan.hook, ...plan.beats.map((beat) => beat.summary), plan.outro].flatMap((text) => splitSentences(toSpeakable(text))).map(sameText),
  );
  const context: ExtraContext = { source, beats, brief: assignBrief(source, beats), used: new Map(), said };
  const shares = budgets(
    plan.beats.map((beat) => beat.targetSeconds),
    source.target,
  );
  const drafts: BeatDraft[] = plan.beats.map((beat, index) => {
    const role = beats[index]!.role;
    return beatDraft(beat, role, shares[index]!, {
      lead: role === 'hook' ? [toSpeakable(plan.hook)] : role === 'point' ? [toSpeakable(beat.summary)] : [],
      tail: role === 'outro' ? [toSpeakable(plan.outro)] : [],
      body: [],
      pool: extrasFor(context, index, random),
    });
  });
  if (fixedWords(drafts) > source.target.maxWords)
    throw cannotFit(drafts, source.target, 'the hook, the key points and the outro alone are too long');
  addPreferred(drafts, source.target);
  fillBeats(drafts);
  extend(drafts, source.target);
  trim(drafts, source.target);
  const total = totalWords(drafts);
  if (total < source.target.minWords) throw cannotFit(drafts, source.target, 'there is not enough material for this length');
  const scriptBeats = drafts.map(render);
  return { title: plan.title, beats: scriptBeats, ...measureBeats(scriptBeats, source.target.wordsPerMinute) };
}
