// The plan: a hook, one beat per key point (or per group of the brief's sentences) and an outro,
// each with its share of the duration and its B-roll cues.
import type { BrollCue, Plan, PlanBeat } from '../../../contract/documents.ts';
import type { Phrases } from '../../../language/index.ts';
import { asSentence, headingOf, keywordsOf, lowerFirst, nounsOf, splitSentences, subjectOf } from '../text.ts';
import { hashSeed, pick, seededRandom } from './seed.ts';
import { narrateBrief, type EpisodeSource } from './source.ts';

export function writePlan(source: EpisodeSource): Plan {
  const random = seededRandom(hashSeed(source.seed, 'plan'));
  const briefSentences = splitSentences(source.brief);
  const points = beatPoints(source, briefSentences);
  const { phrases } = source;
  const name = source.persona.name;
  const topic = source.topic.replace(/[.!]+$/u, '').trim();
  const hook = source.topic.endsWith('?') ? asSentence(source.topic) : pick(random, phrases.hooks)(topic, name);
  const outro = pick(random, phrases.outros)(name);
  const seconds = beatSeconds(source.target.seconds, points.length);
  const topicKeywords = nounsOf(source.topic, 4, phrases);

  const beats: PlanBeat[] = [
    {
      id: 'beat-1',
      heading: phrases.headings.intro,
      summary: hook,
      points: [],
      brollCues: brollCues(phrases, topicSubject(source.topic, phrases), topicKeywords, topicKeywords, seconds[0]!, random),
      targetSeconds: seconds[0]!,
    },
    ...points.map((point, index) => {
      const heading = headingOf(point.text, 8, phrases);
      const subject = phrases.language === 'en' ? subjectOf(point.text) : undefined;
      return {
        id: `beat-${index + 2}`,
        heading,
        summary: asSentence(point.text),
        points: point.isKeyPoint ? [point.text] : [],
        brollCues: brollCues(
          phrases,
          subject ?? lowerFirst(heading, phrases),
          nounsOf(point.text, 6, phrases),
          topicKeywords,
          seconds[index + 1]!,
          random,
        ),
        targetSeconds: seconds[index + 1]!,
      };
    }),
    {
      id: `beat-${points.length + 2}`,
      heading: phrases.headings.outro,
      summary: outro,
      points: [],
      brollCues: brollCues(
        phrases,
        topicSubject(source.topic, phrases),
        topicKeywords,
        topicKeywords,
        seconds[seconds.length - 1]!,
        random,
      ),
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
          .map((sentence) => narrateBrief(sentence, source.phrases))
          .join(' '),
      );
    }
    return groups.map((text) => ({ text, isKeyPoint: false }));
  }
  return source.phrases.angles(source.topic).map((text) => ({ text, isKeyPoint: false }));
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

/** What the topic is about, as a noun phrase for B-roll: "How database indexes really work" → "database indexes". */
function topicSubject(topic: string, phrases: Phrases): string {
  const nouns = nounsOf(topic, 2, phrases);
  return nouns.length ? phrases.list(nouns) : lowerFirst(topic, phrases);
}

/** B-roll cues for a beat: one per 15 s (at most four); the first shows the beat's subject, the others its keywords. */
function brollCues(
  phrases: Phrases,
  subject: string,
  beatKeywords: string[],
  topicKeywords: string[],
  seconds: number,
  random: () => number,
): BrollCue[] {
  const keywords = [...new Set([...beatKeywords, ...topicKeywords])];
  if (keywords.length === 0) keywords.push(...keywordsOf(subject, 3, phrases));
  if (keywords.length === 0) keywords.push(subject);
  const count = Math.min(4, Math.max(1, Math.ceil(seconds / 15)));
  const shots = phrases.shots;
  const offset = Math.floor(random() * shots.length);
  return Array.from({ length: count }, (_, index) => {
    const chosen = [
      ...new Set([
        keywords[(index * 2) % keywords.length]!,
        keywords[(index * 2 + 1) % keywords.length]!,
        topicKeywords[0] ?? keywords[0]!,
      ]),
    ];
    const shown = index === 0 ? subject : phrases.list(chosen.slice(0, 2));
    return { description: `${shots[(offset + index) % shots.length]} ${shown}`, keywords: chosen };
  });
}
