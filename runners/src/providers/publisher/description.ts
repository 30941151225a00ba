// The text both publishers write under a video: the writer's description, then chapters, credits and
// sources, within YouTube's rules (at most 5000 bytes, no < or >; chapters start at 0:00, at least
// three, each at least ten seconds long). Pure: no I/O.
import { labelsFor } from '../../language/index.ts';
import type { PublishRequest } from './types.ts';

export const DESCRIPTION_MAX_BYTES = 5000;
export const TITLE_MAX_CHARACTERS = 100;
export const TAGS_MAX_CHARACTERS = 500;
export const MIN_CHAPTERS = 3;
export const MIN_CHAPTER_SECONDS = 10;

export interface ChapterLine {
  /** Whole seconds from the start of the video. */
  start: number;
  /** m:ss, or h:mm:ss from one hour on, as YouTube writes them. */
  timestamp: string;
  title: string;
}

export type ChapterResult = { chapters: ChapterLine[] } | { chapters: []; omitted: string };

export interface DescriptionInput {
  /** The writer's description (Metadata.description). */
  text: string;
  /** One title per chapter (Metadata.chapters). */
  chapterTitles: string[];
  /** Start of each chapter in seconds, paired with chapterTitles by index. */
  chapterStarts: number[];
  /** Length of the video, when known: the last chapter must also last ten seconds. */
  durationSeconds?: number;
  /** Credits the B-roll providers require. */
  attributions: string[];
  /** The episode's sources (EpisodeSpec.references). */
  references: { title?: string; url: string }[];
  /** The video's language (Metadata.language): the block headings are written in it (English when there is no text for it). */
  language?: string;
  maxBytes?: number;
}

export interface Description {
  text: string;
  /** The chapters written into the text; empty when YouTube's chapter rules did not hold. */
  chapters: ChapterLine[];
  /** Why there are no chapters, when there are none. */
  chaptersOmitted?: string;
  /** What had to be shortened or left out to stay within the byte limit. */
  shortened: string[];
}

/** YouTube refuses < and > in titles, descriptions and tags; the single angle quotes look alike and are allowed. */
export function withoutAngleBrackets(text: string): string {
  return text.replaceAll('<', '‹').replaceAll('>', '›');
}

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** 0:00, 9:05, 59:59, 1:00:00: the way YouTube recognises chapter timestamps. */
export function formatTimestamp(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const secs = String(whole % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${secs}` : `${minutes}:${secs}`;
}

function oneLine(text: string): string {
  return withoutAngleBrackets(text).replace(/\s+/g, ' ').trim();
}

/**
 * The chapter list YouTube will accept, or why there is none. The first chapter is moved to 0:00
 * (an intro before the first beat belongs to it); times are whole seconds.
 */
export function youtubeChapters(titles: string[], starts: number[], durationSeconds?: number): ChapterResult {
  if (titles.length !== starts.length) {
    return { chapters: [], omitted: `${titles.length} chapter titles but ${starts.length} start times` };
  }
  if (titles.length < MIN_CHAPTERS) {
    return { chapters: [], omitted: `YouTube needs at least ${MIN_CHAPTERS} chapters, there are ${titles.length}` };
  }
  if (!starts.every((start) => Number.isFinite(start) && start >= 0)) {
    return { chapters: [], omitted: 'a chapter start time is not a number of seconds' };
  }
  const wholeStarts = starts.map((start, index) => (index === 0 ? 0 : Math.floor(start)));
  const chapters = titles.map((title, index) => ({
    start: wholeStarts[index],
    timestamp: formatTimestamp(wholeStarts[index]),
    title: oneLine(title) || `Part ${index + 1}`,
  }));
  for (let index = 1; index < chapters.length; index++) {
    const length = chapters[index].start - chapters[index - 1].start;
    if (length < MIN_CHAPTER_SECONDS) {
      return {
        chapters: [],
        omitted: `chapter "${chapters[index - 1].title}" lasts ${length} s; YouTube needs at least ${MIN_CHAPTER_SECONDS} s per chapter`,
      };
    }
  }
  const last = chapters[chapters.length - 1];
  if (durationSeconds !== undefined && Math.floor(durationSeconds) - last.start < MIN_CHAPTER_SECONDS) {
    return {
      chapters: [],
      omitted: `the last chapter "${last.title}" lasts ${Math.floor(durationSeconds) - last.start} s; YouTube needs at least ${MIN_CHAPTER_SECONDS} s per chapter`,
    };
  }
  return { chapters };
}

/** Cuts text to at most maxBytes of UTF-8, at a word boundary when one is near, ending with an ellipsis. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (utf8Bytes(text) <= maxBytes) return text;
  const ellipsis = '…';
  const budget = maxBytes - utf8Bytes(ellipsis);
  if (budget <= 0) return '';
  let cut = '';
  let bytes = 0;
  for (const character of text) {
    const size = utf8Bytes(character);
    if (bytes + size > budget) break;
    cut += character;
    bytes += size;
  }
  const lastSpace = cut.search(/\s\S*$/);
  if (lastSpace > cut.length * 0.8) cut = cut.slice(0, lastSpace);
  return cut.trimEnd() + ellipsis;
}

function section(heading: string, lines: string[]): string {
  return lines.length ? `${heading}\n${lines.join('\n')}` : '';
}

function joinSections(sections: string[]): string {
  return sections.filter((part) => part.trim() !== '').join('\n\n');
}

function referenceLine(reference: { title?: string; url: string }): string {
  const title = reference.title ? oneLine(reference.title) : '';
  return title ? `${title}: ${oneLine(reference.url)}` : oneLine(reference.url);
}

/**
 * The full description, its block headings in the video's language. When it would exceed the byte limit, sources are dropped from the end first,
 * then the writer's text is shortened, then the chapters go; the required credits are kept longest.
 */
export function buildDescription(input: DescriptionInput): Description {
  const maxBytes = input.maxBytes ?? DESCRIPTION_MAX_BYTES;
  const chapterResult = youtubeChapters(input.chapterTitles, input.chapterStarts, input.durationSeconds);
  let chapters: ChapterLine[] = chapterResult.chapters;
  const chaptersOmitted = 'omitted' in chapterResult ? chapterResult.omitted : undefined;
  let body = withoutAngleBrackets(input.text).trim();
  const credits = input.attributions.map(oneLine).filter(Boolean);
  // A source the writer's text already links is not listed again: each block appears once.
  let references = input.references
    .filter((reference) => !body.includes(oneLine(reference.url)))
    .map(referenceLine)
    .filter(Boolean);
  const shortened: string[] = [];
  const headings = labelsFor(input.language).description;

  const compose = () =>
    joinSections([
      body,
      section(
        headings.chapters,
        chapters.map((chapter) => `${chapter.timestamp} ${chapter.title}`),
      ),
      section(headings.credits, credits),
      section(headings.sources, references),
    ]);

  let text = compose();
  const droppedReferences = references.length;
  while (utf8Bytes(text) > maxBytes && references.length > 0) {
    references = references.slice(0, -1);
    text = compose();
  }
  if (references.length < droppedReferences)
    shortened.push(`${droppedReferences - references.length} of ${droppedReferences} sources left out`);

  if (utf8Bytes(text) > maxBytes && body) {
    const rest = utf8Bytes(text) - utf8Bytes(body);
    body = truncateUtf8(body, Math.max(0, maxBytes - rest));
    shortened.push('description text shortened');
    text = compose();
  }
  if (utf8Bytes(text) > maxBytes && chapters.length) {
    chapters = [];
    shortened.push('chapters left out');
    text = compose();
  }
  if (utf8Bytes(text) > maxBytes) {
    text = truncateUtf8(text, maxBytes);
    shortened.push('credits shortened');
  }
  const omitted = chapters.length ? undefined : (chaptersOmitted ?? `left out to keep the description within ${maxBytes} bytes`);
  return { text, chapters, chaptersOmitted: omitted, shortened };
}

/** The description of a publish request: the writer's text and chapters, the credits, and the episode's sources. */
export function requestDescription(
  request: Pick<PublishRequest, 'metadata' | 'chapterStarts' | 'attributions'>,
  references: DescriptionInput['references'] | undefined,
): Description {
  return buildDescription({
    text: request.metadata.description,
    chapterTitles: request.metadata.chapters.map((chapter) => chapter.title),
    chapterStarts: request.chapterStarts,
    attributions: request.attributions,
    references: references ?? [],
    language: request.metadata.language,
  });
}

/** A title YouTube accepts: no angle brackets, one line, at most 100 characters. */
export function youtubeTitle(title: string): string {
  const clean = oneLine(title);
  const characters = [...clean];
  return characters.length <= TITLE_MAX_CHARACTERS
    ? clean
    : characters
        .slice(0, TITLE_MAX_CHARACTERS - 1)
        .join('')
        .trimEnd() + '…';
}

/**
 * Tags YouTube accepts: together at most 500 characters, where commas between tags count and a tag
 * with a space counts as if quoted. Tags that no longer fit are left out; duplicates are dropped.
 */
export function youtubeTags(tags: string[]): string[] {
  const kept: string[] = [];
  const seen = new Set<string>();
  let length = 0;
  for (const tag of tags) {
    const clean = oneLine(tag).replaceAll(',', ' ').replace(/\s+/g, ' ').trim();
    if (!clean || seen.has(clean.toLowerCase())) continue;
    const cost = [...clean].length + (clean.includes(' ') ? 2 : 0) + (kept.length ? 1 : 0);
    if (length + cost > TAGS_MAX_CHARACTERS) continue;
    kept.push(clean);
    seen.add(clean.toLowerCase());
    length += cost;
  }
  return kept;
}
