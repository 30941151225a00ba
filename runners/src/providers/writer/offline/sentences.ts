// The optional sentences a beat can say after its first: the brief's own, and lines in the Channel's
// language that each name something of the episode (a keyword of the beat, a reference, the ideas
// ahead). No line without content, no sentence twice in a script, no keyword circled back to.
import type { KeywordLine } from '../../../language/index.ts';
import { countWords, headingOf, keywordsOf, lowerFirst, nounsOf, splitSentences, subjectOf } from '../text.ts';
import { pick } from './seed.ts';
import { narrateBrief, type EpisodeSource } from './source.ts';

export type Role = 'hook' | 'point' | 'outro';

export interface Extra {
  text: string;
  words: number;
  /** Placed after the beat's other extras (a transition to the next beat). */
  atEnd?: boolean;
  /** Said whenever the length allows: the brief's own sentences and the presenter's introduction. */
  preferred?: boolean;
}

export function extra(text: string, options: { atEnd?: boolean; preferred?: boolean } = {}): Extra {
  return { text, words: countWords(text), ...options };
}

export function roleOf(index: number, count: number): Role {
  if (count < 3) return 'point';
  return index === 0 ? 'hook' : index === count - 1 ? 'outro' : 'point';
}

/** Text compared for repetition: letters and digits only, lower-cased. */
export function sameText(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/**
 * Which of the brief's sentences go to which beat: the first to the hook, a closing one to the outro,
 * the rest by shared words. A sentence that repeats a key point is left out: the key point is said once.
 */
export function assignBrief(source: EpisodeSource, beats: { text: string; role: Role }[]): string[][] {
  const assigned: string[][] = beats.map(() => []);
  if (source.keyPoints.length === 0) return assigned;
  const keyPoints = new Set(source.keyPoints.map(sameText));
  const sentences = splitSentences(source.brief).filter((sentence) => !keyPoints.has(sameText(sentence)));
  const hookIndex = beats.findIndex((beat) => beat.role === 'hook');
  const outroIndex = beats.findIndex((beat) => beat.role === 'outro');
  const closing = source.phrases.language === 'en';
  sentences.forEach((sentence, index) => {
    const spoken = narrateBrief(sentence, source.phrases);
    if (index === 0 && hookIndex >= 0) return assigned[hookIndex]!.push(spoken);
    if (
      index === sentences.length - 1 &&
      index > 0 &&
      outroIndex >= 0 &&
      closing &&
      /^(?:finish|end|close|conclude|wrap)\b/i.test(sentence)
    )
      return assigned[outroIndex]!.push(spoken);
    const words = new Set(keywordsOf(sentence, 12, source.phrases));
    let best = -1;
    let bestScore = 0;
    beats.forEach((beat, beatIndex) => {
      if (beat.role !== 'point') return;
      const score = keywordsOf(beat.text, 12, source.phrases).filter((word) => words.has(word)).length;
      if (score > bestScore) [best, bestScore] = [beatIndex, score];
    });
    assigned[best >= 0 ? best : hookIndex >= 0 ? hookIndex : 0]!.push(spoken);
  });
  return assigned;
}

export interface ExtraContext {
  source: EpisodeSource;
  beats: { text: string; heading: string; role: Role }[];
  brief: string[][];
  /** How often each line was used in the whole script, so beats do not repeat each other. */
  used: Map<KeywordLine, number>;
  /** Sentences already in the script or offered to a beat, compared by sameText: no sentence is said twice. */
  said: Set<string>;
  /** Keywords a line was already written about: each is the subject of one added line in the script. */
  keywordsUsed?: Set<string>;
}

/** How many keywords of a beat get a line of their own: beyond that, the nouns say little about the beat. */
const KEYWORDS_PER_BEAT = 3;

/** The keywords of a point beat, as its lines name them: its subject first (English), then the nouns of its key point. */
function beatKeywords(context: ExtraContext, index: number): string[] {
  const { phrases } = context.source;
  const beat = context.beats[index]!;
  const subject = phrases.language === 'en' ? subjectOf(beat.text) : undefined;
  const nouns = nounsOf(beat.text, KEYWORDS_PER_BEAT + 1, phrases).filter((noun) => !subject?.toLowerCase().includes(noun.toLowerCase()));
  const named = [...(subject ? [subject] : []), ...nouns.map((noun) => phrases.keyword(noun))];
  return [...new Map(named.map((keyword) => [keyword.toLowerCase(), keyword])).values()].slice(0, KEYWORDS_PER_BEAT);
}

/** One keyword per point beat, none overlapping an earlier one: what the overview, the recap and the transitions name. */
export function beatNames(context: ExtraContext): (string | undefined)[] {
  const taken: string[] = [];
  return context.beats.map((beat, index) => {
    if (beat.role !== 'point') return undefined;
    const words = (text: string) => sameText(text).split(' ');
    const name = beatKeywords(context, index).find((keyword) => {
      const own = words(keyword).filter((word) => !context.source.phrases.stopwords.has(word));
      return !taken.some((other) => own.some((word) => words(other).includes(word)));
    });
    const chosen = name ?? lowerFirst(headingOf(beat.text, 4, context.source.phrases), context.source.phrases);
    taken.push(chosen);
    return chosen;
  });
}

/** The optional sentences of one beat, most wanted first. */
export function extrasFor(context: ExtraContext, index: number, random: () => number): Extra[] {
  const { source, beats } = context;
  const { phrases, persona } = source;
  const beat = beats[index]!;
  const said = context.said;
  const keywordsUsed = (context.keywordsUsed ??= new Set());
  const offer = (text: string | undefined, options: { atEnd?: boolean; preferred?: boolean } = {}): Extra[] => {
    if (!text || said.has(sameText(text))) return [];
    said.add(sameText(text));
    return [extra(text, options)];
  };
  const pointBeats = beats.filter((candidate) => candidate.role === 'point');
  const pointIndex = pointBeats.indexOf(beat);
  const names = beatNames(context);
  const pointNames = names.filter((name): name is string => !!name);
  const references = source.references.filter((ref) => ref.title).map((ref) => ref.title!.trim());
  const audience = persona.audience.replace(/[.!]+$/u, '');
  const topicNoun = nounsOf(source.topic, 1, phrases)[0];
  const brief = context.brief[index]!.flatMap((text) => offer(text, { preferred: true }));

  if (beat.role === 'hook') {
    const introduction = beat.text.includes(persona.name)
      ? phrases.introduce.audience(audience)
      : phrases.introduce.both(persona.name, audience);
    return [
      ...brief,
      ...offer(introduction, { preferred: true }),
      ...(pointNames.length > 1 ? offer(phrases.overview(phrases.numberWord(pointNames.length), phrases.list(pointNames))) : []),
      ...(references[0] ? offer(phrases.pointTo(references[0])) : []),
    ];
  }
  if (beat.role === 'outro') {
    const focus = topicNoun ? phrases.keyword(topicNoun) : pointNames[0];
    return [
      ...brief,
      ...(pointNames.length > 1 ? offer(phrases.recap(phrases.list(pointNames))) : []),
      ...(focus ? offer(phrases.tryToday(focus)) : []),
      ...(source.references.length ? offer(phrases.sourcesInDescription) : []),
      ...(pointNames.at(-1) ? offer(phrases.askInComments(pointNames.at(-1)!)) : []),
    ];
  }

  // A point beat: one line about each of its keywords not yet written about, each line once per
  // beat and least used in the script first; then a pointer to a reference.
  const extras: Extra[] = [...brief];
  const usedHere = new Set<KeywordLine>();
  for (const keyword of beatKeywords(context, index)) {
    const key = sameText(keyword);
    // Written about already: in this script, or in the script refine starts from.
    if (keywordsUsed.has(key) || phrases.pointLines.some((line) => said.has(sameText(line(keyword))))) continue;
    const candidates = phrases.pointLines.filter((line) => !usedHere.has(line));
    if (candidates.length === 0) break;
    const leastUsed = Math.min(...candidates.map((line) => context.used.get(line) ?? 0));
    const line = pick(
      random,
      candidates.filter((candidate) => (context.used.get(candidate) ?? 0) === leastUsed),
    );
    const offered = offer(line(keyword));
    if (offered.length === 0) continue;
    keywordsUsed.add(key);
    usedHere.add(line);
    context.used.set(line, (context.used.get(line) ?? 0) + 1);
    extras.push(...offered);
  }
  if (references.length > 0 && pointIndex >= 0) {
    const reference = references[pointIndex % references.length]!;
    extras.push(...offer(phrases.referenceLines[pointIndex % phrases.referenceLines.length]!(reference)));
  }
  const next = pointIndex >= 0 && pointIndex < pointBeats.length - 1 ? names[beats.indexOf(pointBeats[pointIndex + 1]!)] : undefined;
  if (next) extras.push(...offer(pick(random, phrases.transitions)(next), { atEnd: true }));
  return extras;
}
