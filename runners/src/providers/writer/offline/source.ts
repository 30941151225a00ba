// What the offline writer works from: the episode's topic, brief, key points and references, the
// channel's persona and the target length; and the brief's sentences as the presenter says them.
import type { ChannelSpec, EpisodeSpec } from '@acog/api';
import { phrasesFor, type Phrases } from '../../../language/index.ts';
import { lengthTarget, type LengthTarget } from '../rules.ts';
import { asSentence, lowerFirst } from '../text.ts';
import { hashSeed } from './seed.ts';

export interface EpisodeSource {
  topic: string;
  brief: string;
  keyPoints: string[];
  references: { title?: string; url: string }[];
  persona: ChannelSpec['persona'];
  language: string;
  /** The text the writer adds, in persona.language. */
  phrases: Phrases;
  target: LengthTarget;
  /** Seeds every choice; the same input gives the same seed. */
  seed: number;
}

/** Throws UnsupportedLanguageError, before any work, when there is no text for persona.language. */
export function episodeSource(channel: ChannelSpec, episode: EpisodeSpec): EpisodeSource {
  const phrases = phrasesFor(channel.persona.language);
  const source = {
    topic: episode.topic.trim(),
    brief: (episode.brief ?? '').trim(),
    keyPoints: (episode.keyPoints ?? []).map((point) => point.trim()).filter(Boolean),
    references: episode.references ?? [],
    persona: channel.persona,
    language: channel.persona.language ?? 'en',
    target: lengthTarget(channel, episode),
  };
  return { ...source, phrases, seed: hashSeed(source) };
}

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

/**
 * A brief is written to the writer ("Show why a full scan is slow"); spoken, it becomes "Let's see why
 * a full scan is slow"; "Zeige, dass …" becomes "Wir sehen, dass …" (the language's briefOpeners).
 */
export function narrateBrief(sentence: string, phrases?: Phrases): string {
  if (phrases && phrases.language !== 'en') {
    const [, first = '', rest = ''] = /^(\p{L}+)(.*)$/su.exec(sentence.trim()) ?? [];
    const opener = phrases.briefOpeners[first.toLowerCase()];
    return asSentence(opener && /^\p{Lu}/u.test(first) ? `${opener}${rest}` : sentence);
  }
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

export function opensWithClosingVerb(sentence: string): boolean {
  return CLOSING_VERBS.has((sentence.split(/\s+/)[0] ?? '').toLowerCase());
}

export function topicPhrase(topic: string, phrases?: Phrases): string {
  return lowerFirst(topic.replace(/[.!]+$/u, '').trim(), phrases);
}
