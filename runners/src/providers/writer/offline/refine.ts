// The persona pass: speakable text, the presenter's introduction, a refit to the target length and
// the banned-topic check, with a note for each change.
import type { RefinedScript, Script, ScriptBeat } from '../../../contract/documents.ts';
import { assertNoBannedTopic, describeLength, measureBeats } from '../rules.ts';
import { countWords, splitSentences, toSpeakable, wordsOf } from '../text.ts';
import { beatDraft, budgets, cannotFit, extend, fixedWords, render, totalWords, trim, type BeatDraft } from './fit.ts';
import { hashSeed, seededRandom } from './seed.ts';
import { assignBrief, beatNames, extra, extrasFor, roleOf, sameText, type ExtraContext } from './sentences.ts';
import type { EpisodeSource } from './source.ts';

export function refineScript(source: EpisodeSource, script: Script): RefinedScript {
  const notes: string[] = [];
  const random = seededRandom(
    hashSeed(
      source.seed,
      'refine',
      script.beats.map((beat) => beat.id),
    ),
  );
  const count = script.beats.length;
  const spoken = script.beats.map((beat) => ({ ...beat, narration: toSpeakable(beat.narration) }));
  if (spoken.some((beat, index) => beat.narration !== script.beats[index]!.narration))
    notes.push('Removed markup, lists and links the narrator would read aloud.');

  const beats = spoken.map((beat, index) => ({
    text: splitSentences(beat.narration)[0] ?? beat.heading,
    heading: beat.heading,
    role: roleOf(index, count),
  }));
  const said = new Set(spoken.flatMap((beat) => splitSentences(beat.narration).map(sameText)));
  const context: ExtraContext = { source, beats, brief: assignBrief(source, beats), used: new Map(), said };
  // A transition names the next beat; it stays at the end of its beat.
  const transitions = new Set(
    beatNames(context)
      .filter((name): name is string => !!name)
      .flatMap((name) => source.phrases.transitions.map((line) => sameText(line(name)))),
  );
  const shares = budgets(
    spoken.map((beat) => Math.max(1, countWords(beat.narration))),
    source.target,
  );
  const drafts: BeatDraft[] = spoken.map((beat, index) => {
    const sentences = splitSentences(beat.narration);
    const role = beats[index]!.role;
    const keepLast = role === 'outro' && sentences.length > 1;
    const present = new Set(sentences.map(sameText));
    const pool = extrasFor(context, index, random);
    const preferred = new Set(pool.filter((item) => item.preferred).map((item) => item.text));
    return beatDraft(beat, role, shares[index]!, {
      lead: sentences.slice(0, 1),
      tail: keepLast ? sentences.slice(-1) : [],
      body: sentences
        .slice(1, keepLast ? -1 : undefined)
        .map((text) => extra(text, { preferred: preferred.has(text), atEnd: transitions.has(sameText(text)) })),
      pool: pool.filter((item) => !present.has(sameText(item.text))),
    });
  });

  const personaLine = personaLineFor(source, spoken);
  if (personaLine && drafts[0]) {
    const words = countWords(personaLine);
    if (fixedWords(drafts) + words <= source.target.maxWords) {
      drafts[0].lead.push(personaLine);
      const introductions = new Set([source.phrases.introduce.both(source.persona.name, audienceOf(source)), personaLine].map(sameText));
      drafts[0].pool = drafts[0].pool.filter((item) => !introductions.has(sameText(item.text)));
      notes.push(`Added "${personaLine}" so that ${source.persona.name} introduces the episode to its audience.`);
    } else notes.push(`Left out the presenter's introduction: a ${source.target.seconds} s episode has no room for it.`);
  }

  if (fixedWords(drafts) > source.target.maxWords)
    throw cannotFit(drafts, source.target, 'the first sentences of the beats alone are too long');
  const before = totalWords(drafts);
  // A script already close to the target is left as it is.
  const removed = trim(drafts, source.target, 0.05);
  const added = extend(drafts, source.target, 0.05);
  if (totalWords(drafts) > source.target.maxWords) throw cannotFit(drafts, source.target, 'it stays too long after trimming');
  if (totalWords(drafts) < source.target.minWords) throw cannotFit(drafts, source.target, 'there is not enough material for this length');
  if (removed)
    notes.push(`Trimmed ${removed} sentence${removed === 1 ? '' : 's'} (${before - totalWords(drafts)} words) to fit the target length.`);
  if (added) notes.push(`Added ${added} sentence${added === 1 ? '' : 's'} to reach the target length.`);

  const refinedBeats = drafts.map(render);
  const refined = { title: script.title, beats: refinedBeats, ...measureBeats(refinedBeats, source.target.wordsPerMinute) };
  notes.push(`Length: ${describeLength(refined.wordCount, source.target)}.`);
  assertNoBannedTopic(refined, source.persona.bannedTopics);
  if (source.persona.bannedTopics?.length)
    notes.push(`Checked against ${source.persona.bannedTopics.length} banned topic(s): none is mentioned.`);
  return { ...refined, notes };
}

/** The line that introduces the presenter and names the audience, when the script lacks either. */
function personaLineFor(source: EpisodeSource, beats: ScriptBeat[]): string | undefined {
  const narration = beats.map((beat) => beat.narration).join(' ');
  const { name } = source.persona;
  const audience = audienceOf(source);
  const named = wordsOf(narration).some((word) => word === name) || narration.includes(name);
  const addressed = narration.toLowerCase().includes(audience.toLowerCase());
  if (named && addressed) return undefined;
  const { introduce } = source.phrases;
  if (!named && !addressed) return introduce.both(name, audience);
  return named ? introduce.audience(audience) : introduce.name(name);
}

function audienceOf(source: EpisodeSource): string {
  return source.persona.audience.replace(/[.!]+$/u, '');
}
