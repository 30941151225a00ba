// The rules every writer keeps, whoever wrote the text: the length fit, the banned-topic check and
// YouTube's metadata limits. Pure functions; the offline and the OpenAI writer both use them.
import type { ChannelSpec, EpisodeSpec } from '@acog/api';
import type { Chapter, Metadata, Script, ScriptBeat } from '../../contract/documents.ts';
import { countWords, splitSentences } from './text.ts';

export const DEFAULT_WORDS_PER_MINUTE = 150;
/** About the words of one spoken sentence. */
export const SENTENCE_WORDS = 8;
/** How far the script may be from the target length. */
export const LENGTH_TOLERANCE = 0.1;

export interface LengthTarget {
  seconds: number;
  /** The rate the narration is spoken at: the channel's words per minute times the voice's speed. */
  wordsPerMinute: number;
  words: number;
  minWords: number;
  maxWords: number;
}

/**
 * The rate the voice will really speak: format.wordsPerMinute (150 when unset) times the speed of
 * the voice the episode uses (its override, else the channel's). A voice that sets its own rate
 * (espeak-ng) speaks exactly this; the writers fit the script to it.
 */
export function narrationWordsPerMinute(channel: ChannelSpec, episode: EpisodeSpec): number {
  const voice = episode.overrides?.providers?.voice ?? channel.providers?.voice;
  return Math.round((channel.format.wordsPerMinute ?? DEFAULT_WORDS_PER_MINUTE) * (voice?.speed ?? 1) * 10) / 10;
}

export function lengthTarget(channel: ChannelSpec, episode: EpisodeSpec): LengthTarget {
  const seconds = episode.overrides?.targetDurationSeconds ?? channel.format.targetDurationSeconds;
  const wordsPerMinute = narrationWordsPerMinute(channel, episode);
  const words = Math.round((seconds * wordsPerMinute) / 60);
  // A script is whole sentences: on a short episode ±10 % is narrower than one sentence, which no
  // cut or addition could land in, so the band is never narrower than a sentence either way.
  const slack = Math.max(words * LENGTH_TOLERANCE, SENTENCE_WORDS);
  return {
    seconds,
    wordsPerMinute,
    words,
    minWords: Math.ceil(words - slack),
    maxWords: Math.floor(words + slack),
  };
}

export function estimatedSeconds(wordCount: number, wordsPerMinute: number): number {
  return Math.round((wordCount / wordsPerMinute) * 60 * 10) / 10;
}

/** wordCount and estimatedSeconds of a script's beats. */
export function measureBeats(
  beats: Pick<ScriptBeat, 'narration'>[],
  wordsPerMinute: number,
): { wordCount: number; estimatedSeconds: number } {
  const wordCount = beats.reduce((sum, beat) => sum + countWords(beat.narration), 0);
  return { wordCount, estimatedSeconds: estimatedSeconds(wordCount, wordsPerMinute) };
}

export function fitsLength(wordCount: number, target: LengthTarget): boolean {
  return wordCount >= target.minWords && wordCount <= target.maxWords;
}

/** E.g. "148 words, about 59 s at 150 words per minute, for a 60 s target (135 to 165 words)". */
export function describeLength(wordCount: number, target: LengthTarget): string {
  return (
    `${wordCount} words, about ${Math.round(estimatedSeconds(wordCount, target.wordsPerMinute))} s at ${target.wordsPerMinute} words per minute, ` +
    `for a ${target.seconds} s target (${target.minWords} to ${target.maxWords} words)`
  );
}

// ---------------------------------------------------------------------------------------------
// Banned topics

export interface BannedTopicHit {
  topic: string;
  /** The beat that mentions it; undefined when it is the title. */
  beatId?: string;
  heading?: string;
  /** The sentence (or title) that mentions it. */
  excerpt: string;
}

/** Thrown by refine when the script touches a topic the channel never covers. Not worth retrying. */
export class BannedTopicError extends Error {
  readonly hit: BannedTopicHit;
  constructor(hit: BannedTopicHit) {
    const where = hit.beatId ? `beat ${hit.beatId}${hit.heading ? ` ("${hit.heading}")` : ''}` : 'the title';
    super(
      `The script mentions the banned topic "${hit.topic}" in ${where}: "${hit.excerpt}". ` +
        `The channel's persona.bannedTopics rules it out; change the episode's topic, brief or key points.`,
    );
    this.name = 'BannedTopicError';
    this.hit = hit;
  }
}

/** A case-insensitive whole-word (or whole-phrase) match: "politics" does not match "geopolitics". */
export function bannedTopicPattern(topic: string): RegExp | undefined {
  const words = topic.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return undefined;
  const escaped = words.map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`(?<![\\p{L}\\p{N}])${escaped.join('[\\s-]+')}(?![\\p{L}\\p{N}])`, 'iu');
}

export function findBannedTopic(
  script: Pick<Script, 'title' | 'beats'>,
  bannedTopics: readonly string[] | undefined,
): BannedTopicHit | undefined {
  for (const topic of bannedTopics ?? []) {
    const pattern = bannedTopicPattern(topic);
    if (!pattern) continue;
    if (pattern.test(script.title)) return { topic, excerpt: script.title };
    for (const beat of script.beats) {
      const texts = [
        ...splitSentences(beat.narration),
        beat.heading,
        ...beat.brollCues.flatMap((cue) => [cue.description, ...cue.keywords]),
      ];
      const excerpt = texts.find((text) => pattern.test(text));
      if (excerpt !== undefined) return { topic, beatId: beat.id, heading: beat.heading, excerpt };
    }
  }
  return undefined;
}

export function assertNoBannedTopic(script: Pick<Script, 'title' | 'beats'>, bannedTopics: readonly string[] | undefined): void {
  const hit = findBannedTopic(script, bannedTopics);
  if (hit) throw new BannedTopicError(hit);
}

// ---------------------------------------------------------------------------------------------
// YouTube metadata

export const METADATA_LIMITS = {
  titleChars: 100,
  descriptionBytes: 5000,
  tagsChars: 500,
  thumbnailWords: 5,
  chapterTitleChars: 60,
} as const;

/** YouTube refuses < and > in titles and descriptions; single angle quotes keep the meaning. */
export function withoutAngleBrackets(text: string): string {
  return text.replace(/</g, '‹').replace(/>/g, '›');
}

/** Shortens at a word boundary, with an ellipsis, to at most `max` characters. */
export function truncateChars(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  const cut = chars.slice(0, max - 1).join('');
  const atWord = cut.replace(/\s+\S*$/u, '');
  return `${(atWord.length >= max / 2 ? atWord : cut).replace(/[\s,;:.–—-]+$/u, '')}…`;
}

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Shortens to at most `maxBytes` of UTF-8, at a paragraph, line or sentence end when one is near. */
export function truncateBytes(text: string, maxBytes: number): string {
  if (utf8Bytes(text) <= maxBytes) return text;
  let cut = '';
  let bytes = 0;
  for (const char of text) {
    const size = utf8Bytes(char);
    if (bytes + size > maxBytes - 3) break;
    cut += char;
    bytes += size;
  }
  const boundary = Math.max(cut.lastIndexOf('\n'), cut.lastIndexOf('. ') + 1);
  const trimmed = boundary > cut.length * 0.8 ? cut.slice(0, boundary) : cut.replace(/\s+\S*$/u, '');
  return `${trimmed.trimEnd()}…`;
}

/** How YouTube counts tags against its 500-character limit: commas between tags, quotes around tags with spaces. */
export function tagsLength(tags: readonly string[]): number {
  return tags.reduce((sum, tag, index) => sum + [...tag].length + (/\s/.test(tag) ? 2 : 0) + (index > 0 ? 1 : 0), 0);
}

export function cleanTags(tags: readonly string[]): string[] {
  const seen = new Set<string>();
  const kept: string[] = [];
  for (const raw of tags) {
    const tag = raw
      .replace(/[<>,"#]/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 100);
    const key = tag.toLowerCase();
    if (!tag || seen.has(key)) continue;
    if (tagsLength([...kept, tag]) > METADATA_LIMITS.tagsChars) continue;
    seen.add(key);
    kept.push(tag);
  }
  return kept;
}

export interface MetadataDraft {
  title: string;
  description: string;
  tags: string[];
  chapters: Chapter[];
  thumbnailText: string;
}

/**
 * Makes a draft safe to publish: no < or > anywhere, title ≤ 100 characters, description ≤ 5000
 * bytes, tags ≤ 500 characters, exactly one chapter per beat in order, a thumbnail text of at most
 * five words, the persona's language. The chapter times, credits and sources are the publisher's to
 * add (publisher/description.ts), once.
 */
export function enforceMetadataLimits(
  draft: MetadataDraft,
  script: Pick<Script, 'title' | 'beats'>,
  options: { language: string },
): Metadata {
  const oneLine = (text: string) => withoutAngleBrackets(text).replace(/\s+/g, ' ').trim();
  const title = truncateChars(oneLine(draft.title) || oneLine(script.title), METADATA_LIMITS.titleChars);

  const description = truncateBytes(withoutAngleBrackets(draft.description.replace(/\r/g, '')).trim(), METADATA_LIMITS.descriptionBytes);

  const drafted = new Map(draft.chapters.map((chapter) => [chapter.beatId, chapter.title]));
  const chapters = script.beats.map((beat) => ({
    beatId: beat.id,
    title: truncateChars(oneLine(drafted.get(beat.id) ?? '') || oneLine(beat.heading) || beat.id, METADATA_LIMITS.chapterTitleChars),
  }));

  const thumbnailWords = oneLine(draft.thumbnailText || title)
    .split(' ')
    .filter(Boolean);
  const thumbnailText = thumbnailWords
    .slice(0, METADATA_LIMITS.thumbnailWords)
    .join(' ')
    .replace(/[,;:–—-]+$/u, '');

  return { title, description, tags: cleanTags(draft.tags), chapters, thumbnailText, language: options.language };
}

/** Checks a finished Metadata against every limit; returns what is wrong (empty when it may be published). */
export function metadataProblems(metadata: Metadata, beatIds: readonly string[]): string[] {
  const problems: string[] = [];
  if ([...metadata.title].length > METADATA_LIMITS.titleChars)
    problems.push(`title is longer than ${METADATA_LIMITS.titleChars} characters`);
  if (!metadata.title.trim()) problems.push('title is empty');
  if (/[<>]/.test(metadata.title) || /[<>]/.test(metadata.description)) problems.push('title or description contains < or >');
  if (utf8Bytes(metadata.description) > METADATA_LIMITS.descriptionBytes)
    problems.push(`description is longer than ${METADATA_LIMITS.descriptionBytes} bytes`);
  if (tagsLength(metadata.tags) > METADATA_LIMITS.tagsChars)
    problems.push(`tags are longer than ${METADATA_LIMITS.tagsChars} characters together`);
  if (metadata.chapters.map((chapter) => chapter.beatId).join() !== beatIds.join())
    problems.push('chapters do not match the beats one to one');
  if (metadata.thumbnailText.split(/\s+/).filter(Boolean).length > METADATA_LIMITS.thumbnailWords)
    problems.push('thumbnail text has more than five words');
  return problems;
}
