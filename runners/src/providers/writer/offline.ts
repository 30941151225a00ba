// The offline writer: no network, no key. It writes a plan, a narration script fitted to the
// target length, a persona pass and YouTube metadata from the episode's topic, brief, key points
// and references and the channel's persona. Templates are English. Every choice is seeded from a
// hash of the input, so the same episode always gets the same text.
import { createHash } from 'node:crypto';
import type { ChannelSpec, EpisodeSpec } from '@acog/api';
import type { BrollCue, Metadata, Plan, PlanBeat, RefinedScript, Script, ScriptBeat } from '../../contract/documents.ts';
import type { Produced, ProviderContext } from '../types.ts';
import { assertNoBannedTopic, describeLength, enforceMetadataLimits, lengthTarget, measureBeats, type LengthTarget } from './rules.ts';
import {
  asSentence,
  countWords,
  headingOf,
  keywordsOf,
  lowerFirst,
  nounsOf,
  splitSentences,
  spokenList,
  subjectOf,
  toSpeakable,
  wordsOf,
} from './text.ts';
import type { Writer } from './types.ts';

export function createOfflineWriter(): Writer {
  return {
    name: 'offline',
    async plan(ctx) {
      const plan = writePlan(sourceOf(ctx));
      return free(plan, countWords([plan.hook, ...plan.beats.map((beat) => beat.summary), plan.outro].join(' ')));
    },
    async script(ctx, plan) {
      const source = sourceOf(ctx);
      if (!/^en\b/i.test(source.language)) ctx.log(`offline writer: it writes English; persona.language is ${source.language}`);
      const script = writeScript(source, plan);
      ctx.log(`offline writer: script of ${describeLength(script.wordCount, source.target)}`);
      return free(script, script.wordCount);
    },
    async refine(ctx, script) {
      const refined = refineScript(sourceOf(ctx), script);
      for (const note of refined.notes) ctx.log(`offline writer: ${note}`);
      return free(refined, refined.wordCount);
    },
    async metadata(ctx, script) {
      const metadata = writeMetadata(sourceOf(ctx), script);
      return free(metadata, countWords(`${metadata.title} ${metadata.description}`));
    },
  };
}

function free<T>(value: T, words: number): Produced<T> {
  return { value, usage: { words }, costUSD: 0 };
}

// ---------------------------------------------------------------------------------------------
// What the writer works from

export interface EpisodeSource {
  topic: string;
  brief: string;
  keyPoints: string[];
  references: { title?: string; url: string }[];
  persona: ChannelSpec['persona'];
  language: string;
  target: LengthTarget;
  /** Seeds every choice; the same input gives the same seed. */
  seed: number;
}

export function episodeSource(channel: ChannelSpec, episode: EpisodeSpec): EpisodeSource {
  const source = {
    topic: episode.topic.trim(),
    brief: (episode.brief ?? '').trim(),
    keyPoints: (episode.keyPoints ?? []).map((point) => point.trim()).filter(Boolean),
    references: episode.references ?? [],
    persona: channel.persona,
    language: channel.persona.language ?? 'en',
    target: lengthTarget(channel, episode),
  };
  return { ...source, seed: hashSeed(source) };
}

function sourceOf(ctx: ProviderContext): EpisodeSource {
  return episodeSource(ctx.channel, ctx.episode.spec);
}

function hashSeed(...parts: unknown[]): number {
  return createHash('sha256').update(JSON.stringify(parts)).digest().readUInt32BE(0);
}

/** mulberry32: a small, good enough generator for choosing among templates. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

// ---------------------------------------------------------------------------------------------
// Plan

const IMPERATIVE_VERBS: Record<string, string> = {
  show: 'see',
  explain: 'unpack',
  describe: 'look at',
  present: 'look at',
  demonstrate: 'see',
  illustrate: 'picture',
  mention: 'note',
};
const KEPT_VERBS = new Set(
  'start begin open finish end close conclude wrap walk compare cover discuss introduce focus highlight explore consider look review recap contrast build answer give take move go keep try'.split(
    ' ',
  ),
);
const CLOSING_VERBS = new Set(['finish', 'end', 'close', 'conclude', 'wrap']);

/** A brief is written to the writer ("Show why a full scan is slow"); spoken, it becomes "Let's see why a full scan is slow". */
export function narrateBrief(sentence: string): string {
  const spoken = sentence
    .replace(/\bthe viewer's\b/gi, 'your')
    .replace(/\b(?:the viewers?|viewers|the audience)\b/gi, 'you')
    .trim();
  const [first = '', ...rest] = spoken.split(/\s+/);
  const verb = first.toLowerCase();
  if (/^\p{Lu}/u.test(first) && (verb in IMPERATIVE_VERBS || KEPT_VERBS.has(verb))) {
    return asSentence(`Let's ${IMPERATIVE_VERBS[verb] ?? verb} ${rest.join(' ')}`);
  }
  return asSentence(spoken);
}

function opensWithClosingVerb(sentence: string): boolean {
  return CLOSING_VERBS.has((sentence.split(/\s+/)[0] ?? '').toLowerCase());
}

function topicPhrase(topic: string): string {
  return lowerFirst(topic.replace(/[.!]+$/u, '').trim());
}

const INTRO_HEADING = 'Introduction';
const OUTRO_HEADING = 'Wrap-up';

export function writePlan(source: EpisodeSource): Plan {
  const random = seededRandom(hashSeed(source.seed, 'plan'));
  const briefSentences = splitSentences(source.brief);
  const points = beatPoints(source, briefSentences);
  const name = source.persona.name;
  const phrase = topicPhrase(source.topic);
  const hook = source.topic.endsWith('?')
    ? asSentence(source.topic)
    : pick(random, [
        `Today we look at ${phrase}, and by the end it will feel obvious.`,
        `Let's talk about ${phrase}, because it matters more than it looks.`,
        `${name} here, and today we look at ${phrase}.`,
      ]);
  const outro = pick(random, [
    `That's it for today. I'm ${name}, thanks for watching.`,
    `Thanks for watching. I'm ${name}, and I'll see you in the next one.`,
    `I'm ${name}. Thanks for watching, and see you next time.`,
  ]);
  const seconds = beatSeconds(source.target.seconds, points.length);
  const topicKeywords = nounsOf(source.topic, 4);

  const beats: PlanBeat[] = [
    {
      id: 'beat-1',
      heading: INTRO_HEADING,
      summary: hook,
      points: [],
      brollCues: brollCues(topicSubject(source.topic), topicKeywords, topicKeywords, seconds[0]!, random),
      targetSeconds: seconds[0]!,
    },
    ...points.map((point, index) => {
      const heading = headingOf(point.text);
      return {
        id: `beat-${index + 2}`,
        heading,
        summary: asSentence(point.text),
        points: point.isKeyPoint ? [point.text] : [],
        brollCues: brollCues(
          subjectOf(point.text) ?? lowerFirst(heading),
          nounsOf(point.text, 6),
          topicKeywords,
          seconds[index + 1]!,
          random,
        ),
        targetSeconds: seconds[index + 1]!,
      };
    }),
    {
      id: `beat-${points.length + 2}`,
      heading: OUTRO_HEADING,
      summary: outro,
      points: [],
      brollCues: brollCues(topicSubject(source.topic), topicKeywords, topicKeywords, seconds[seconds.length - 1]!, random),
      targetSeconds: seconds[seconds.length - 1]!,
    },
  ];
  return { title: asSentence(source.topic).replace(/\.$/, ''), hook, beats, outro };
}

/** The beats' subjects: the key points, else the brief's sentences (at most eight beats), else three angles on the topic. */
function beatPoints(source: EpisodeSource, briefSentences: string[]): { text: string; isKeyPoint: boolean }[] {
  if (source.keyPoints.length > 0) return source.keyPoints.map((text) => ({ text, isKeyPoint: true }));
  if (briefSentences.length > 0) {
    const perBeat = Math.ceil(briefSentences.length / 8);
    const groups: string[] = [];
    for (let index = 0; index < briefSentences.length; index += perBeat) {
      groups.push(
        briefSentences
          .slice(index, index + perBeat)
          .map(narrateBrief)
          .join(' '),
      );
    }
    return groups.map((text) => ({ text, isKeyPoint: false }));
  }
  const phrase = topicPhrase(source.topic);
  return [
    `Let's start with the problem behind ${phrase}`,
    `The idea that makes it work is simpler than it looks`,
    `Here is how it plays out in practice`,
  ].map((text) => ({ text, isKeyPoint: false }));
}

/** Seconds per beat: a short introduction and wrap-up, the rest shared evenly; the sum is the target. */
export function beatSeconds(total: number, pointCount: number): number[] {
  const intro = Math.min(45, Math.max(4, Math.round(total * 0.12)));
  const outro = Math.min(40, Math.max(3, Math.round(total * 0.1)));
  const each = Math.round(((total - intro - outro) / pointCount) * 10) / 10;
  const seconds = [intro, ...Array.from({ length: pointCount }, () => each), outro];
  const drift = Math.round((total - seconds.reduce((sum, value) => sum + value, 0)) * 10) / 10;
  seconds[seconds.length - 2] = Math.round((seconds[seconds.length - 2]! + drift) * 10) / 10;
  return seconds;
}

const SHOTS = [
  'Close-up footage of',
  'An animated diagram of',
  'A wide establishing shot suggesting',
  'Hands at a keyboard, working with',
  'A slow pan across',
];

/** What the topic is about, as a noun phrase for B-roll: "How database indexes really work" → "database indexes". */
function topicSubject(topic: string): string {
  const nouns = nounsOf(topic, 2);
  return nouns.length ? spokenList(nouns) : lowerFirst(topic);
}

/** B-roll cues for a beat: one per 15 s (at most four); the first shows the beat's subject, the others its keywords. */
function brollCues(subject: string, beatKeywords: string[], topicKeywords: string[], seconds: number, random: () => number): BrollCue[] {
  const keywords = [...new Set([...beatKeywords, ...topicKeywords])];
  if (keywords.length === 0) keywords.push(...keywordsOf(subject, 3));
  if (keywords.length === 0) keywords.push('abstract background');
  const count = Math.min(4, Math.max(1, Math.ceil(seconds / 15)));
  const offset = Math.floor(random() * SHOTS.length);
  return Array.from({ length: count }, (_, index) => {
    const chosen = [
      ...new Set([
        keywords[(index * 2) % keywords.length]!,
        keywords[(index * 2 + 1) % keywords.length]!,
        topicKeywords[0] ?? keywords[0]!,
      ]),
    ];
    const shown = index === 0 ? subject : spokenList(chosen.slice(0, 2));
    return { description: `${SHOTS[(offset + index) % SHOTS.length]} ${shown}`, keywords: chosen };
  });
}

// ---------------------------------------------------------------------------------------------
// Sentences the script is built from

type Role = 'hook' | 'point' | 'outro';

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
const TRANSITIONS = [
  `With that in place, let's move on.`,
  `Now, on to the next piece.`,
  `That brings us to the next idea.`,
  `Let's build on that.`,
  `Next, a closely related idea.`,
];

interface Extra {
  text: string;
  words: number;
  /** Placed after the beat's other extras (a transition to the next beat). */
  atEnd?: boolean;
  /** Said whenever the length allows: the brief's own sentences and the presenter's introduction. */
  preferred?: boolean;
}

interface BeatDraft {
  id: string;
  heading: string;
  brollCues: BrollCue[];
  role: Role;
  /** Words this beat should have, from its share of the duration. */
  budget: number;
  /** Sentences the beat must say: at the start (lead) and at the end (tail). */
  lead: string[];
  tail: string[];
  /** Chosen optional sentences. */
  body: Extra[];
  /** Optional sentences not used yet, most wanted first. */
  pool: Extra[];
}

/** A beat's draft: which beat it is, its role and word budget, and what it says so far. */
function beatDraft(
  beat: Pick<ScriptBeat, 'id' | 'heading' | 'brollCues'>,
  role: Role,
  budget: number,
  text: Pick<BeatDraft, 'lead' | 'tail' | 'body' | 'pool'>,
): BeatDraft {
  return { id: beat.id, heading: beat.heading, brollCues: beat.brollCues, role, budget, ...text };
}

function extra(text: string, options: { atEnd?: boolean; preferred?: boolean } = {}): Extra {
  return { text, words: countWords(text), ...options };
}

function roleOf(index: number, count: number): Role {
  if (count < 3) return 'point';
  return index === 0 ? 'hook' : index === count - 1 ? 'outro' : 'point';
}

/** Which of the brief's sentences go to which beat: the first to the hook, a closing one to the outro, the rest by shared words. */
function assignBrief(source: EpisodeSource, beats: { text: string; role: Role }[]): string[][] {
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

interface ExtraContext {
  source: EpisodeSource;
  beats: { text: string; heading: string; role: Role }[];
  brief: string[][];
  /** How often each template was used in the whole script, so beats do not repeat each other. */
  used: Map<Template, number>;
  /** Sentences already in the script or offered to a beat: no sentence is said twice. */
  said: Set<string>;
}

/** The optional sentences of one beat, most wanted first; enough of them for long targets. */
function extrasFor(context: ExtraContext, index: number, random: () => number, budget: number): Extra[] {
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

// ---------------------------------------------------------------------------------------------
// Length fit

function draftWords(draft: BeatDraft): number {
  return (
    [...draft.lead, ...draft.tail].reduce((sum, text) => sum + countWords(text), 0) + draft.body.reduce((sum, item) => sum + item.words, 0)
  );
}

function totalWords(drafts: BeatDraft[]): number {
  return drafts.reduce((sum, draft) => sum + draftWords(draft), 0);
}

function fixedWords(drafts: BeatDraft[]): number {
  return drafts.reduce((sum, draft) => sum + [...draft.lead, ...draft.tail].reduce((beatSum, text) => beatSum + countWords(text), 0), 0);
}

/** The sentences wanted most (the brief's, the presenter's introduction) go in while the script is below the target words. */
function addPreferred(drafts: BeatDraft[], target: LengthTarget): void {
  for (const draft of drafts) {
    for (const candidate of draft.pool.filter((item) => item.preferred)) {
      if (totalWords(drafts) + candidate.words > target.words) continue;
      draft.body.push(candidate);
      draft.pool.splice(draft.pool.indexOf(candidate), 1);
    }
  }
}

/** Fill each beat up to its own budget, in the order its sentences are wanted. */
function fillBeats(drafts: BeatDraft[]): void {
  for (const draft of drafts) {
    for (const candidate of [...draft.pool]) {
      if (draftWords(draft) + candidate.words > draft.budget) continue;
      draft.body.push(candidate);
      draft.pool.splice(draft.pool.indexOf(candidate), 1);
    }
  }
}

/** Adds sentences where the script is shortest against its budget while it is more than `slack` below the target words. */
function extend(drafts: BeatDraft[], target: LengthTarget, slack = 0.02): number {
  const ceiling = Math.floor(target.words * 1.04);
  let added = 0;
  while (totalWords(drafts) < target.words * (1 - slack)) {
    const room = ceiling - totalWords(drafts);
    const byNeed = [...drafts].sort((a, b) => draftWords(a) / a.budget - draftWords(b) / b.budget);
    const draft = byNeed.find((candidate) => candidate.pool.some((item) => item.words <= room));
    if (!draft) break;
    const chosen = draft.pool.find((item) => item.words <= room)!;
    draft.pool.splice(draft.pool.indexOf(chosen), 1);
    draft.body.push(chosen);
    added++;
  }
  return added;
}

/** Removes optional sentences where the script is longest against its budget while it is more than `slack` above the target words. */
function trim(drafts: BeatDraft[], target: LengthTarget, slack = 0.02): number {
  const floor = Math.ceil(target.words * 0.96);
  let removed = 0;
  while (totalWords(drafts) > target.words * (1 + slack)) {
    const excess = totalWords(drafts) - target.words;
    const byExcess = [...drafts]
      .filter((draft) => draft.body.length > 0)
      .sort((a, b) => draftWords(b) / b.budget - draftWords(a) / a.budget);
    // The brief's sentences and the introduction go last; otherwise the sentence that takes the
    // script closest to the target without going below the floor, from the beat most over budget.
    const candidates = [false, true].flatMap((preferred) =>
      byExcess.map((draft) => ({
        draft,
        items: draft.body.filter((item) => !!item.preferred === preferred && totalWords(drafts) - item.words >= floor),
      })),
    );
    const found = candidates.find((candidate) => candidate.items.length > 0);
    if (!found) break;
    const chosen = found.items.reduce((best, item) => (Math.abs(item.words - excess) < Math.abs(best.words - excess) ? item : best));
    found.draft.body.splice(found.draft.body.indexOf(chosen), 1);
    removed++;
  }
  return removed;
}

function cannotFit(drafts: BeatDraft[], target: LengthTarget, what: string): Error {
  return new Error(
    `The offline writer cannot fit the script to the target length: ${what} (${describeLength(totalWords(drafts), target)}). ` +
      `Change targetDurationSeconds, or the number and length of the key points.`,
  );
}

function render(draft: BeatDraft): ScriptBeat {
  const body = [...draft.body.filter((item) => !item.atEnd), ...draft.body.filter((item) => item.atEnd)].map((item) => item.text);
  return { id: draft.id, heading: draft.heading, narration: [...draft.lead, ...body, ...draft.tail].join(' '), brollCues: draft.brollCues };
}

function budgets(seconds: number[], target: LengthTarget): number[] {
  const total = seconds.reduce((sum, value) => sum + value, 0) || 1;
  return seconds.map((value) => Math.max(1, (value / total) * target.words));
}

// ---------------------------------------------------------------------------------------------
// Script

export function writeScript(source: EpisodeSource, plan: Plan): Script {
  const random = seededRandom(hashSeed(source.seed, 'script', plan));
  const beats = plan.beats.map((beat, index) => ({
    text: beat.points[0] ?? beat.summary,
    heading: beat.heading,
    role: roleOf(index, plan.beats.length),
  }));
  const context: ExtraContext = { source, beats, brief: assignBrief(source, beats), used: new Map(), said: new Set() };
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
      pool: extrasFor(context, index, random, shares[index]!),
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

// ---------------------------------------------------------------------------------------------
// Refine

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
  const said = new Set(spoken.flatMap((beat) => splitSentences(beat.narration)));
  const context: ExtraContext = { source, beats, brief: assignBrief(source, beats), used: new Map(), said };
  const shares = budgets(
    spoken.map((beat) => Math.max(1, countWords(beat.narration))),
    source.target,
  );
  const drafts: BeatDraft[] = spoken.map((beat, index) => {
    const sentences = splitSentences(beat.narration);
    const role = beats[index]!.role;
    const keepLast = role === 'outro' && sentences.length > 1;
    const present = new Set(sentences);
    const pool = extrasFor(context, index, random, shares[index]!);
    const preferred = new Set(pool.filter((item) => item.preferred).map((item) => item.text));
    return beatDraft(beat, role, shares[index]!, {
      lead: sentences.slice(0, 1),
      tail: keepLast ? sentences.slice(-1) : [],
      body: sentences
        .slice(1, keepLast ? -1 : undefined)
        .map((text) => extra(text, { preferred: preferred.has(text), atEnd: TRANSITIONS.includes(text) })),
      pool: pool.filter((item) => !present.has(item.text)),
    });
  });

  const personaLine = personaLineFor(source, spoken);
  if (personaLine && drafts[0]) {
    const words = countWords(personaLine);
    if (fixedWords(drafts) + words <= source.target.maxWords) {
      drafts[0].lead.push(personaLine);
      drafts[0].pool = drafts[0].pool.filter(
        (item) => !item.text.startsWith(`I'm ${source.persona.name}`) && !item.text.includes(personaLine),
      );
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
  const audience = source.persona.audience.replace(/[.!]+$/u, '');
  const named = wordsOf(narration).some((word) => word === name) || narration.includes(name);
  const addressed = narration.toLowerCase().includes(audience.toLowerCase());
  if (named && addressed) return undefined;
  if (!named && !addressed) return `I'm ${name}, and this one is for ${audience}.`;
  return named ? `This one is for ${audience}.` : `I'm ${name}.`;
}

// ---------------------------------------------------------------------------------------------
// Metadata

export function writeMetadata(source: EpisodeSource, script: RefinedScript): Metadata {
  const count = script.beats.length;
  const pointBeats = script.beats.filter((_, index) => roleOf(index, count) === 'point');
  const learn = source.keyPoints.length ? source.keyPoints : pointBeats.map((beat) => beat.heading);
  const opening = splitSentences(script.beats[0]?.narration ?? '')[0] ?? asSentence(source.topic);
  const description = [
    opening,
    learn.length ? ['What you will learn:', ...learn.map((point) => `- ${asSentence(point)}`)].join('\n') : '',
    `Presented by ${source.persona.name}, for ${source.persona.audience.replace(/[.!]+$/u, '')}.`,
  ]
    .filter(Boolean)
    .join('\n\n');
  const topicWords = source.topic.replace(/[.!?]+$/u, '').split(/\s+/);
  const tags = [
    ...(source.topic.length <= 60 ? [topicPhrase(source.topic).replace(/\?$/, '')] : []),
    ...nounsOf(source.topic, 5),
    ...learn.map((point) => subjectOf(point)?.replace(/^the /, '')).filter((subject): subject is string => !!subject),
    ...nounsOf(learn.join(' '), 12),
  ].filter((tag) => tag.toLowerCase() !== source.persona.name.toLowerCase());
  return enforceMetadataLimits(
    {
      title: script.title,
      description,
      tags,
      chapters: script.beats.map((beat) => ({ beatId: beat.id, title: beat.heading })),
      thumbnailText: topicWords.length <= 5 ? topicWords.join(' ') : headingOf(source.topic, 5),
    },
    script,
    { language: source.language, references: source.references },
  );
}
