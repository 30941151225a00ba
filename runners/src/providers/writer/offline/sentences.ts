// The optional sentences a beat can say after its first: the brief's own, templates by what they do
// for the listener, and transitions; no sentence twice in a script.
import { countWords, headingOf, keywordsOf, lowerFirst, nounsOf, splitSentences, spokenList, subjectOf } from '../text.ts';
import { pick } from './seed.ts';
import { narrateBrief, opensWithClosingVerb, type EpisodeSource } from './source.ts';

export type Role = 'hook' | 'point' | 'outro';

interface Slots {
  /** One of the beat's keywords, as "the …". */
  k: string;
  audience: string;
  /** The previous key point, as a clause. */
  previous?: string;
  reference?: string;
  humorous: boolean;
}

type Template = (slots: Slots) => string | undefined;

/** Point-beat templates by what they do for the listener; {k} is one of the beat's keywords. */
const POINT_TEMPLATES: Record<string, Template[]> = {
  explain: [
    (s) => `The thing to hold on to here is ${s.k}.`,
    (s) => `If you remember one thing from this part, make it ${s.k}.`,
    (s) => `Everything in this part comes back to ${s.k}.`,
    (s) => `Notice how much of this rests on ${s.k}.`,
    (s) => `Once you see ${s.k} this way, a lot of other behaviour starts to make sense.`,
    (s) => `It helps to slow down on ${s.k} for a moment, because everything else here leans on it.`,
    (s) => `Said plainly, this part is about ${s.k} and what it changes for you.`,
  ],
  why: [
    () => `Why does this matter? Because what follows builds on it.`,
    (s) => `This matters more than it first appears, because small choices about ${s.k} add up.`,
    () => `Get this part wrong, and the rest is much harder to follow.`,
    () => `It is a small idea with large consequences.`,
    (s) => `Small as it sounds, ${s.k} shapes what happens next.`,
  ],
  example: [
    (s) => `Picture the last time you ran into ${s.k} in your own work.`,
    (s) => `Think of a case you know well, and ask where you would run into ${s.k} in it.`,
    (s) => `Sketch ${s.k} on paper once, and it tends to stay with you.`,
    (s) => `Imagine explaining ${s.k} to a colleague in one sentence; that sentence is what this part is about.`,
  ],
  connect: [
    (s) => (s.previous ? `This builds on what we just saw: ${s.previous}.` : undefined),
    (s) => (s.previous ? `Keep the earlier point in mind as well, that ${s.previous}.` : undefined),
  ],
  mistake: [
    (s) => `A common mistake is to treat ${s.k} as a detail and move on too quickly.`,
    (s) => `It is tempting to skip over ${s.k}, and that is exactly where surprises come from.`,
    (s) => `Most confusion here comes from guessing about ${s.k} instead of checking.`,
    (s) => `People often notice ${s.k} only when something goes wrong.`,
  ],
  question: [
    (s) => `Ask yourself where you meet ${s.k} in what you build or use every day.`,
    (s) => `So here is a question to keep in mind: what happens to everything else if you change ${s.k}?`,
    (s) => `Before moving on, try to explain ${s.k} in your own words.`,
    (s) => `Where in your own work would ${s.k} make a difference tomorrow?`,
  ],
  reference: [
    (s) => (s.reference ? `If you want to go deeper, ${s.reference} covers this well.` : undefined),
    (s) => (s.reference ? `${s.reference} has a good treatment of this, if you want the details.` : undefined),
  ],
  audience: [(s) => `For ${s.audience}, this is usually the moment things click.`],
  humour: [
    (s) => (s.humorous ? `And no, you will not need a whiteboard for this one.` : undefined),
    (s) => (s.humorous ? `No magic required, just a little bookkeeping.` : undefined),
  ],
  short: [() => `Keep that in mind.`, () => `That is the core of it.`, () => `Hold on to that.`, () => `It is simpler than it sounds.`],
};
const ONCE_PER_BEAT = new Set(['connect', 'reference', 'audience', 'humour']);
const POINT_ORDER = ['explain', 'why', 'example', 'connect', 'mistake', 'question', 'reference', 'audience', 'humour', 'short'];
export const TRANSITIONS = [
  `With that in place, let's move on.`,
  `Now, on to the next piece.`,
  `That brings us to the next idea.`,
  `Let's build on that.`,
  `Next, a closely related idea.`,
];

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

/** Which of the brief's sentences go to which beat: the first to the hook, a closing one to the outro, the rest by shared words. */
export function assignBrief(source: EpisodeSource, beats: { text: string; role: Role }[]): string[][] {
  const assigned: string[][] = beats.map(() => []);
  if (source.keyPoints.length === 0) return assigned;
  const sentences = splitSentences(source.brief);
  const hookIndex = beats.findIndex((beat) => beat.role === 'hook');
  const outroIndex = beats.findIndex((beat) => beat.role === 'outro');
  sentences.forEach((sentence, index) => {
    const spoken = narrateBrief(sentence);
    if (index === 0 && hookIndex >= 0) return assigned[hookIndex]!.push(spoken);
    if (index === sentences.length - 1 && index > 0 && outroIndex >= 0 && opensWithClosingVerb(sentence))
      return assigned[outroIndex]!.push(spoken);
    const words = new Set(keywordsOf(sentence, 12));
    let best = -1;
    let bestScore = 0;
    beats.forEach((beat, beatIndex) => {
      if (beat.role !== 'point') return;
      const score = keywordsOf(beat.text, 12).filter((word) => words.has(word)).length;
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
  /** How often each template was used in the whole script, so beats do not repeat each other. */
  used: Map<Template, number>;
  /** Sentences already in the script or offered to a beat: no sentence is said twice. */
  said: Set<string>;
}

/** The optional sentences of one beat, most wanted first; enough of them for long targets. */
export function extrasFor(context: ExtraContext, index: number, random: () => number, budget: number): Extra[] {
  const { source, beats } = context;
  const beat = beats[index]!;
  const persona = source.persona;
  const pointBeats = beats.filter((candidate) => candidate.role === 'point');
  const pointIndex = pointBeats.indexOf(beat);
  const topicKeywords = nounsOf(source.topic, 4);
  const subject = subjectOf(beat.text);
  const nouns = nounsOf(`${beat.text} ${context.brief[index]!.join(' ')}`, 6).filter(
    (noun) => !subject?.toLowerCase().includes(noun.toLowerCase()),
  );
  const keywords = [...new Set([...(subject ? [subject] : []), ...[...nouns, ...topicKeywords].map((noun) => `the ${noun}`)])];
  if (keywords.length === 0) keywords.push('this idea');
  const references = source.references.filter((ref) => ref.title).map((ref) => ref.title!);
  const humorous = /\b(?:humou?r|humou?rous|funny|playful|witty|light-hearted|lightly)\b/i.test(persona.tone);
  const headings = pointBeats.map((candidate) => lowerFirst(headingOf(candidate.text)));
  const brief = context.brief[index]!.map((text) => extra(text, { preferred: true }));

  if (beat.role === 'hook') {
    const lines = [
      `If you have ever wondered about this, you are in the right place.`,
      headings.length <= 5
        ? `We will go through ${numberWord(headings.length)} ideas: ${spokenList(headings)}.`
        : `We will take it in ${numberWord(headings.length)} steps, one idea at a time.`,
      `Stay with me to the end, because the last idea ties it all together.`,
      references[0] ? `Along the way, I will point you to ${references[0]} for the details.` : undefined,
    ];
    const audience = persona.audience.replace(/[.!]+$/u, '');
    const introduction = extra(
      beat.text.includes(persona.name) ? `This one is for ${audience}.` : `I'm ${persona.name}, and this one is for ${audience}.`,
      { preferred: true },
    );
    return [...brief, introduction, ...lines.filter((line): line is string => !!line).map((line) => extra(line))];
  }
  if (beat.role === 'outro') {
    const lines = [
      headings.length > 1 ? `To recap: ${spokenList(headings)}.` : undefined,
      `Here is one thing you can try today: pick one place where ${topicKeywords[0] ? `the ${topicKeywords[0]}` : keywords[0]} shows up in your work and look at it with fresh eyes.`,
      source.references.length ? `The sources are in the description if you want to dig deeper.` : undefined,
      `If this was useful, share it with someone who would enjoy it.`,
      `Tell me in the comments which part surprised you most.`,
    ];
    return [...brief, ...lines.filter((line): line is string => !!line).map((line) => extra(line))];
  }

  const extras: Extra[] = [...brief];
  const seen = new Set<Template>();
  const previous = pointIndex > 0 ? lowerFirst(pointBeats[pointIndex - 1]!.text.replace(/[.!?]+$/u, '')) : undefined;
  let keywordTurn = 0;
  // Rounds through the categories, each template once per beat first; long targets need more
  // rounds, which reuse the {k} templates with the beat's other keywords.
  const offered = () => extras.reduce((sum, item) => sum + item.words, 0);
  for (let round = 0; round < 12 && (round < 2 || offered() < budget * 1.5); round++) {
    for (const category of POINT_ORDER) {
      if (round > 0 && ONCE_PER_BEAT.has(category)) continue;
      const unseen = POINT_TEMPLATES[category]!.filter((template) => !seen.has(template));
      const candidates = unseen.length > 0 || round < 2 ? unseen : POINT_TEMPLATES[category]!;
      if (candidates.length === 0) continue;
      const leastUsed = Math.min(...candidates.map((template) => context.used.get(template) ?? 0));
      const fresh = candidates.filter((template) => (context.used.get(template) ?? 0) === leastUsed);
      const template = pick(random, fresh);
      const reference = references.length ? references[(pointIndex + round) % references.length] : undefined;
      const slots: Slots = {
        k: keywords[keywordTurn % keywords.length]!,
        audience: persona.audience.replace(/[.!]+$/u, ''),
        previous,
        reference,
        humorous,
      };
      const text = template(slots);
      if (!text || context.said.has(text)) continue;
      context.said.add(text);
      if (text.includes(slots.k)) keywordTurn++;
      seen.add(template);
      context.used.set(template, (context.used.get(template) ?? 0) + 1);
      extras.push(extra(text));
    }
    const recap = `So, once more: ${lowerFirst(beat.text.replace(/[.!?]+$/u, ''))}.`;
    if (round === 0 && !context.said.has(recap)) extras.push(extra(recap));
  }
  const transitions = TRANSITIONS.filter((text) => !context.said.has(text));
  if (pointIndex >= 0 && pointIndex < pointBeats.length - 1 && transitions.length > 0) {
    const transition = pick(random, transitions);
    context.said.add(transition);
    extras.push(extra(transition, { atEnd: true }));
  }
  return extras;
}

function numberWord(count: number): string {
  return ['no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'][count] ?? String(count);
}
