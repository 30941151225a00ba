// What every language module provides: the words the offline writer, the title cards and the
// publishers add around the episode's own text. Pure data and small pure functions; no I/O.
import type { OfflineWriterLanguage } from '@acog/api';
import type { Lexicon } from '../providers/writer/text.ts';

/** A line about one of the beat's keywords (as `keyword` names it). */
export type KeywordLine = (keyword: string) => string;

/** Also a Lexicon: function words (never keywords, never the last word of a heading) and how nouns look. */
export interface Phrases extends Lexicon {
  language: OfflineWriterLanguage;
  /** How a keyword is named inside a line: English "the B-tree"; the others name it bare and frame it in the line. */
  keyword(noun: string): string;
  /** Items joined as spoken: "a, b, and c", "a, b und c". */
  list(items: string[]): string;
  /** 2 → "two"; the form that agrees with the noun of `overview`. */
  numberWord(count: number): string;

  /**
   * A brief is written to the writer ("Zeige, dass …"); spoken, its opening imperative becomes the
   * presenter's ("Wir sehen, dass …"). Lower-cased imperative → what the presenter says instead.
   * English has its own, richer rules (writer/offline/source.ts).
   */
  briefOpeners: Readonly<Record<string, string>>;

  headings: { intro: string; outro: string; part(n: number): string };
  /** The small label over a beat's title card, e.g. "PART 2". */
  cardLabel(n: number): string;

  /** The opening line; `topic` is the episode's topic as written. */
  hooks: ((topic: string, name: string) => string)[];
  /** The closing line, with the presenter's name. */
  outros: ((name: string) => string)[];
  introduce: { both(name: string, audience: string): string; audience(audience: string): string; name(name: string): string };
  /** "We will go through four ideas: a, b, c and d."; `count` as numberWord writes it. */
  overview(count: string, list: string): string;
  /** The hook's pointer to the first reference. */
  pointTo(reference: string): string;
  recap(list: string): string;
  tryToday: KeywordLine;
  sourcesInDescription: string;
  askInComments: KeywordLine;
  /** What a point beat may add about one of its keywords: an example to picture, a mistake, a question to ask oneself. */
  pointLines: KeywordLine[];
  referenceLines: ((reference: string) => string)[];
  /** Said at the end of a point beat, naming what the next beat is about. */
  transitions: KeywordLine[];
  /** Three beats about the topic when an episode has neither key points nor a brief. */
  angles(topic: string): string[];

  description: {
    learn: string;
    presentedBy(name: string, audience: string): string;
    chapters: string;
    credits: string;
    sources: string;
  };
  /** How a B-roll cue describes a shot: `${shot} ${subject}`. */
  shots: string[];
}

/** "a, b and c" with the language's conjunction (no serial comma). */
export function joinWith(conjunction: (next: string) => string) {
  return (items: string[]): string => {
    if (items.length <= 1) return items[0] ?? '';
    const last = items[items.length - 1]!;
    return `${items.slice(0, -1).join(', ')} ${conjunction(last)} ${last}`;
  };
}

export function numberWords(words: string[]) {
  return (count: number): string => words[count] ?? String(count);
}

export function wordSet(words: string): ReadonlySet<string> {
  return new Set(words.split(/\s+/).filter(Boolean));
}
