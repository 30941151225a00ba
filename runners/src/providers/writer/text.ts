// Pure text helpers of the writers: words, sentences, keywords, and narration that a speech
// synthesizer can read aloud (no markdown, no bullets, no URLs).

const WORD = /[\p{L}\p{N}]+(?:['’.-][\p{L}\p{N}]+)*/gu;

/** Words as a listener hears them: runs of letters or digits (contractions and hyphenated words count once). */
export function wordsOf(text: string): string[] {
  return text.match(WORD) ?? [];
}

export function countWords(text: string): number {
  return wordsOf(text).length;
}

const STOPWORDS = new Set(
  (
    'a about above after again against all also am an and any are as at be because been before being below between both but by can could did do does doing ' +
    'down during each even every few for from further get gets got had has have having he her here hers him his how however i if in into is it its itself ' +
    'just let lets like may me might more most much must my no nor not now of off often on once one only or other our ours out over own per quite rather ' +
    're really same say says she should so some such than that the their theirs them then there these they thing things this those through to too ' +
    'under until up upon us use used using very was we were what when where which while who whom why will with within without would yet you your yours ' +
    'ever never always still well way ways make makes made many new two three first last next back see seen show shows start finish end keep part ' +
    'get know need want work works idea ideas video episode today let us here handful lot lots kind sort type bit'
  ).split(' '),
);

/** Common verbs and adjectives: poor search words and poor subjects for "the …". */
const VERB_OR_ADJECTIVE = new Set(
  (
    'reads writes keeps slows helps touches makes takes gives needs uses matches means runs gets puts sets looks seems becomes lets allows stores ' +
    'matters turns finds builds breaks fixes changes grows saves costs adds removes returns calls sends holds brings moves speeds avoids ' +
    'full whole entire simple small large big fast slow good bad real better best worse easy hard quick every only leading few less more ' +
    'read write keep slow help touch take give need match mean run put set seem become allow store find build break fix change grow save add ' +
    'remove return call send hold bring move speed avoid matter turn'
  ).split(' '),
);

/** What the word helpers know of a language: its function words, and how its nouns look. */
export interface Lexicon {
  stopwords: ReadonlySet<string>;
  /** Common verbs and adjectives, poor keywords (English only). */
  verbs?: ReadonlySet<string>;
  /** Words lower-cased when they open a list item (default: the stopwords). */
  openers?: ReadonlySet<string>;
  /** German writes every noun with a capital: its keywords are the capitalised words inside a sentence. */
  capitalisedNouns?: boolean;
  /** Romance languages put an article or determiner before a noun: their keywords are the words after one. */
  determiners?: ReadonlySet<string>;
}

/** Content words of a text, most frequent first (ties: first seen first), lower-cased, without duplicates. */
export function keywordsOf(text: string, max = 5, lexicon: Lexicon = ENGLISH): string[] {
  return keywordCounts(text, lexicon)
    .slice(0, max)
    .map(([word]) => word);
}

/** Like keywordsOf, without common verbs and adjectives, in the case first seen ("B-tree", "PostgreSQL"). */
export function nounsOf(text: string, max = 5, lexicon: Lexicon = ENGLISH): string[] {
  const original = new Map<string, string>();
  for (const raw of wordsOf(text)) if (!original.has(raw.toLowerCase())) original.set(raw.toLowerCase(), raw);
  if (lexicon.capitalisedNouns) return capitalisedNouns(text, lexicon).slice(0, max);
  if (lexicon.determiners) return determinedNouns(text, lexicon.determiners, lexicon).slice(0, max);
  const english = lexicon.stopwords === STOPWORDS;
  return keywordCounts(text, lexicon)
    .filter(([word]) => !lexicon.verbs?.has(word) && !(english && /[^e]ed$/.test(word)) && (english || word.length >= 4))
    .slice(0, max)
    .map(([word]) => {
      const seen = original.get(word) ?? word;
      return /\p{Lu}.*\p{Lu}|\p{Lu}.*-|\p{Ll}\p{Lu}/u.test(seen) ? seen : word;
    });
}

/** The capitalised words that do not open a sentence (German nouns), most frequent first, as written. */
function capitalisedNouns(text: string, lexicon: Lexicon): string[] {
  const counts = new Map<string, { word: string; count: number; first: number }>();
  let index = 0;
  for (const sentence of splitSentences(text.replace(/[:;]\s+/g, '. '))) {
    wordsOf(sentence).forEach((word, position) => {
      index++;
      const key = word.toLowerCase();
      const isNoun = /^\p{Lu}/u.test(word) && (position > 0 || /\p{Lu}.*\p{Lu}|\d/u.test(word));
      if (!isNoun || word.length < 3 || lexicon.stopwords.has(key)) return;
      const seen = counts.get(key);
      if (seen) seen.count++;
      else counts.set(key, { word, count: 1, first: index });
    });
  }
  return [...counts.values()].sort((a, b) => b.count - a.count || a.first - b.first).map((entry) => entry.word);
}

/** The words that follow an article or determiner ("la memoria", "dell’SSD", "chaque accès"), most frequent first, as written. */
function determinedNouns(text: string, determiners: ReadonlySet<string>, lexicon: Lexicon): string[] {
  // Elided articles ("l’index", "dell’SSD") become words of their own.
  const words = wordsOf(text.replace(/(?<![\p{L}])(\p{L}{1,5})['’](?=\p{L})/gu, '$1 '));
  const counts = new Map<string, { word: string; count: number; first: number }>();
  words.forEach((word, index) => {
    if (index === 0 || !determiners.has(words[index - 1]!.toLowerCase())) return;
    const key = word.toLowerCase();
    if (word.length < 3 || lexicon.stopwords.has(key) || determiners.has(key) || /^\d+$/.test(word)) return;
    const seen = counts.get(key);
    if (seen) seen.count++;
    else counts.set(key, { word, count: 1, first: index });
  });
  return [...counts.values()].sort((a, b) => b.count - a.count || a.first - b.first).map((entry) => entry.word);
}

function keywordCounts(text: string, lexicon: Lexicon): [string, { count: number; first: number }][] {
  const counts = new Map<string, { count: number; first: number }>();
  wordsOf(text).forEach((raw, index) => {
    const word = raw.toLowerCase().replace(/’/g, "'");
    if (word.length < 3 || lexicon.stopwords.has(word) || /^\d+$/.test(word) || word.includes("'")) return;
    const seen = counts.get(word);
    if (seen) seen.count++;
    else counts.set(word, { count: 1, first: index });
  });
  return [...counts.entries()].sort((a, b) => b[1].count - a[1].count || a[1].first - b[1].first);
}

const ARTICLES = new Set(['a', 'an', 'the', 'every', 'each', 'any', 'one']);

/**
 * The subject of a statement as "the …": "A full table scan reads every row" → "the full table
 * scan". Found as the words before the first verb-like word; undefined when there is none early on.
 */
export function subjectOf(sentence: string): string | undefined {
  const words = sentence
    .replace(/[,;:.!?].*$/u, '')
    .trim()
    .split(/\s+/);
  for (let index = 1; index < Math.min(words.length, 6); index++) {
    const word = words[index]!.toLowerCase();
    const previous = words[index - 1]!.toLowerCase();
    const verbLike =
      (VERB_OR_ADJECTIVE.has(word) && word.endsWith('s')) ||
      ['is', 'are', 'was', 'were', 'has', 'have', 'can', 'will', 'does', 'do', 'make', 'need'].includes(word);
    if (!verbLike || ARTICLES.has(previous)) continue;
    const subject = words.slice(0, index);
    if (ARTICLES.has(subject[0]!.toLowerCase())) subject[0] = 'the';
    else if (/^\p{Lu}\p{Ll}+$/u.test(subject[0]!)) subject[0] = subject[0]!.toLowerCase();
    return subject.length > 1 || !STOPWORDS.has(subject[0]!.toLowerCase()) ? subject.join(' ') : undefined;
  }
  return undefined;
}

/** Splits prose into sentences at ., ! or ? followed by a space (abbreviations like "e.g." are kept together). */
export function splitSentences(text: string): string[] {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (!flat) return [];
  const sentences: string[] = [];
  let start = 0;
  const boundary = /[.!?]+["'”’)]*\s+(?=["'“‘(]?[\p{Lu}\p{N}])/gu;
  for (const match of flat.matchAll(boundary)) {
    const end = match.index + match[0].length;
    const candidate = flat.slice(start, end).trim();
    if (/\b(?:e\.g|i\.e|etc|vs|Dr|Mr|Mrs|Ms|St)\.$/i.test(candidate)) continue;
    sentences.push(candidate);
    start = end;
  }
  const rest = flat.slice(start).trim();
  if (rest) sentences.push(rest);
  return sentences;
}

/** Capitalises the first letter and ends the text with punctuation, so it reads as a sentence. */
export function asSentence(text: string): string {
  const trimmed = text.trim().replace(/[\s,;:–—-]+$/u, '');
  if (!trimmed) return '';
  const capitalised = trimmed.charAt(0).toLocaleUpperCase() + trimmed.slice(1);
  return /[.!?]["'”’)]*$/u.test(capitalised) ? capitalised : `${capitalised}.`;
}

/**
 * Turns whatever a writer produced into narration for a speech synthesizer: markdown, bullets,
 * numbering, URLs, stage directions and emoji removed. A list item or heading becomes a sentence
 * of its own; lines of one paragraph are joined.
 */
export function toSpeakable(text: string): string {
  const units: string[] = [];
  let paragraph: string[] = [];
  const endParagraph = () => {
    if (paragraph.length) units.push(paragraph.join(' '));
    paragraph = [];
  };
  const lines = text
    .replace(/\r/g, '')
    .replace(/```[\s\S]*?```/g, ' ')
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/https?:\/\/\S+/g, '')
    .replace(/\bwww\.\S+/g, '')
    .split('\n');
  for (const raw of lines) {
    const isBlock = /^\s{0,3}#{1,6}\s|^\s*>|^\s*(?:[-*+•·▪◦‣–—]|\d{1,3}[.)])\s+/u.test(raw);
    const line = raw
      .replace(/^\s{0,3}#{1,6}\s+/, '')
      .replace(/^\s*>\s?/, '')
      .replace(/^\s*(?:[-*+•·▪◦‣–—]|\d{1,3}[.)])\s+/u, '')
      .replace(/\[(?:pause|music|b-roll|broll|cut to|sfx)[^\]]*\]/giu, '')
      .replace(/\((?:pause|music|b-roll|broll|cut to|sfx)[^)]*\)/giu, '')
      .replace(/[*_`~#|<>{}[\]\\]/g, '')
      .replace(/[•·▪◦‣]/gu, ' ')
      .replace(/\p{Extended_Pictographic}/gu, '')
      .replace(/\s+/g, ' ')
      .trim();
    if (isBlock || !line) endParagraph();
    if (!wordsOf(line).length) continue;
    if (isBlock) units.push(line);
    else paragraph.push(line);
  }
  endParagraph();
  return units
    .map(asSentence)
    .join(' ')
    .replace(/\s+([,.!?;:])/g, '$1')
    .trim();
}

/** First letter lower-cased, unless the first word looks like a name or acronym (PostgreSQL, API, Kubernetes). */
export function lowerFirst(text: string, lexicon: Lexicon = ENGLISH): string {
  const first = text.split(/\s+/)[0] ?? '';
  const openers = lexicon.openers ?? lexicon.stopwords;
  const isPlainWord = /^\p{Lu}[\p{Ll}'’-]*$/u.test(first) && openers.has(first.toLowerCase());
  return isPlainWord ? text.charAt(0).toLocaleLowerCase() + text.slice(1) : text;
}

const COMMON_OPENERS = new Set(
  (
    'a an the how why what when where who which whose is are was were do does did can could should would will your my our their his her its this these ' +
    'that those every each some any no one two three five ten most many few all why getting making using building understanding writing running ' +
    'choosing learning designing testing scaling debugging reading finding keeping avoiding inside behind beyond from between into under over'
  ).split(' '),
);

/** A short title from a sentence: the clause before the first comma, colon or dash, at most `maxWords` words. */
export function headingOf(text: string, maxWords = 8, lexicon: Lexicon = ENGLISH): string {
  const clause = text.split(/[,:;–—]|\s-\s|\.\s/u)[0] ?? text;
  let words = clause
    .replace(/[.!?]+$/u, '')
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  if (words.length > maxWords) {
    words = words.slice(0, maxWords);
    const dangling = (word: string) => lexicon.stopwords.has(word.toLowerCase()) || !!lexicon.determiners?.has(word.toLowerCase());
    while (words.length > 2 && dangling(words[words.length - 1]!)) words.pop();
  }
  const heading = words.join(' ');
  return heading.charAt(0).toLocaleUpperCase() + heading.slice(1);
}

/** Joins items as spoken English: "a", "a and b", "a, b, and c". */
export function spokenList(items: string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  if (items.length === 2) return `${items[0]} and ${items[1]}`;
  return `${items.slice(0, -1).join(', ')}, and ${items[items.length - 1]}`;
}

/** English: the default of every word helper. */
export const ENGLISH: Lexicon = { stopwords: STOPWORDS, verbs: VERB_OR_ADJECTIVE, openers: COMMON_OPENERS };
