// YouTube metadata from the episode and the refined script.
import type { Metadata, RefinedScript } from '../../../contract/documents.ts';
import { enforceMetadataLimits } from '../rules.ts';
import { asSentence, headingOf, nounsOf, splitSentences, subjectOf } from '../text.ts';
import { roleOf } from './sentences.ts';
import { topicPhrase, type EpisodeSource } from './source.ts';

export function writeMetadata(source: EpisodeSource, script: RefinedScript): Metadata {
  const { phrases } = source;
  const count = script.beats.length;
  const pointBeats = script.beats.filter((_, index) => roleOf(index, count) === 'point');
  const learn = source.keyPoints.length ? source.keyPoints : pointBeats.map((beat) => beat.heading);
  const opening = splitSentences(script.beats[0]?.narration ?? '')[0] ?? asSentence(source.topic);
  const description = [
    opening,
    learn.length ? [phrases.description.learn, ...learn.map((point) => `- ${asSentence(point)}`)].join('\n') : '',
    phrases.description.presentedBy(source.persona.name, source.persona.audience.replace(/[.!]+$/u, '')),
  ]
    .filter(Boolean)
    .join('\n\n');
  const topicWords = source.topic.replace(/[.!?]+$/u, '').split(/\s+/);
  const tags = [
    ...(source.topic.length <= 60 ? [topicPhrase(source.topic, phrases).replace(/[?¿]/gu, '')] : []),
    ...nounsOf(source.topic, 5, phrases),
    ...(phrases.language === 'en'
      ? learn.map((point) => subjectOf(point)?.replace(/^the /, '')).filter((subject): subject is string => !!subject)
      : []),
    ...nounsOf(learn.join(' '), 12, phrases),
  ].filter((tag) => tag.toLowerCase() !== source.persona.name.toLowerCase());
  return enforceMetadataLimits(
    {
      title: script.title,
      description,
      tags,
      chapters: script.beats.map((beat) => ({ beatId: beat.id, title: beat.heading })),
      thumbnailText: topicWords.length <= 5 ? topicWords.join(' ') : headingOf(source.topic, 5, phrases),
    },
    script,
    { language: source.language },
  );
}
