// The plan: a hook, one beat per key point (or per group of the brief's sentences) and an outro,
// each with its share of the duration and its B-roll cues.
import type { BrollCue, Plan, PlanBeat } from '../../../contract/documents.ts';
import { asSentence, headingOf, keywordsOf, lowerFirst, nounsOf, splitSentences, spokenList, subjectOf } from '../text.ts';
import { hashSeed, pick, seededRandom } from './seed.ts';
import { narrateBrief, topicPhrase, type EpisodeSource } from './source.ts';

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
