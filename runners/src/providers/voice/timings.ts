// Word and beat timings of a narration, shared by the voice providers. Pure: text and numbers in,
// timings out. Every voice ends up with chunks of audio (a beat, a sentence, a request's worth of
// text), each with word times relative to its own start; assembleTimeline puts them on one line.
import type { Narration, RefinedScript, WordTiming } from '../../contract/documents.ts';

/** A piece of a text: [start, end) in UTF-16 code units, as String.prototype.slice counts. */
export interface TextSpan {
  text: string;
  start: number;
  end: number;
}

/** Silence between two beats of a narration. */
export const BEAT_PAUSE_SECONDS = 0.4;

const SPOKEN = /[\p{L}\p{N}]/u;

/**
 * The words a caption shows: runs of non-space characters. A run with nothing to speak (a dash,
 * an ellipsis) joins the word before it, or the one after it at the very start.
 */
export function wordSpans(text: string): TextSpan[] {
  const runs = [...text.matchAll(/\S+/gu)].map((match) => ({ start: match.index, end: match.index + match[0].length }));
  const words: { start: number; end: number }[] = [];
  let pendingStart: number | undefined;
  for (const run of runs) {
    const spoken = SPOKEN.test(text.slice(run.start, run.end));
    if (!spoken && words.length > 0) {
      words[words.length - 1].end = run.end;
    } else if (!spoken) {
      pendingStart ??= run.start;
    } else {
      words.push({ start: pendingStart ?? run.start, end: run.end });
      pendingStart = undefined;
    }
  }
  if (pendingStart !== undefined) words.push({ start: pendingStart, end: runs[runs.length - 1].end });
  return words.map(({ start, end }) => ({ text: text.slice(start, end), start, end }));
}

/** Sentences of a text, each ending after . ! ? or … (and any closing quote or bracket) followed by a space. */
export function sentenceSpans(text: string): TextSpan[] {
  const sentences: TextSpan[] = [];
  // Not before a lower-case letter or a digit: "e.g. 3.5" and "etc. and" go on.
  const boundary = /[.!?…]+["'”’)\]]*(?=\s+[^\s\p{Ll}\p{N}])/gu;
  let start = text.search(/\S/u);
  if (start < 0) return [];
  for (const match of text.matchAll(boundary)) {
    const end = match.index + match[0].length;
    if (end <= start) continue;
    sentences.push({ text: text.slice(start, end), start, end });
    start = end + text.slice(end).search(/\S/u);
  }
  const rest = text.slice(start).trimEnd();
  if (rest) sentences.push({ text: rest, start, end: start + rest.length });
  return sentences;
}

/**
 * Splits a text into pieces of at most maxCharacters, at sentence ends where it can, else between
 * words, else (one enormous word) anywhere. Pieces keep their position in the text.
 */
export function chunkText(text: string, maxCharacters: number): TextSpan[] {
  if (maxCharacters < 1) throw new RangeError(`maxCharacters must be at least 1, not ${maxCharacters}`);
  const pieces: { start: number; end: number }[] = [];
  const fits = (start: number, end: number) => end - start <= maxCharacters;
  const add = (span: { start: number; end: number }, join = true) => {
    const last = pieces[pieces.length - 1];
    if (join && last && fits(last.start, span.end)) last.end = span.end;
    else pieces.push({ ...span });
  };
  for (const sentence of sentenceSpans(text)) {
    if (fits(sentence.start, sentence.end)) {
      add(sentence);
      continue;
    }
    // A sentence too long for one piece starts a piece of its own, so that a cut falls inside it only where it must.
    let first = true;
    for (const match of sentence.text.matchAll(/\S+/gu)) {
      const start = sentence.start + match.index;
      for (let from = start; from < start + match[0].length; from += maxCharacters) {
        add({ start: from, end: Math.min(from + maxCharacters, start + match[0].length) }, !first);
        first = false;
      }
    }
  }
  return pieces.map(({ start, end }) => ({ text: text.slice(start, end), start, end }));
}

/** A request's worth of a beat's narration. */
export interface SpeechPiece {
  beatId: string;
  text: string;
}

/** The requests a script needs: each beat's narration on one line, split under the character limit. */
export function speechPieces(script: RefinedScript, maxCharacters: number): SpeechPiece[] {
  return script.beats.flatMap((beat) =>
    chunkText(beat.narration.replace(/\s+/gu, ' ').trim(), maxCharacters).map((span) => ({ beatId: beat.id, text: span.text })),
  );
}

/**
 * The requests a script needs when each sentence is spoken on its own: each beat's sentences, a
 * sentence over the character limit split between words.
 */
export function sentencePieces(script: RefinedScript, maxCharacters: number): SpeechPiece[] {
  return script.beats.flatMap((beat) =>
    sentenceSpans(beat.narration.replace(/\s+/gu, ' ').trim()).flatMap((sentence) =>
      chunkText(sentence.text, maxCharacters).map((span) => ({ beatId: beat.id, text: span.text })),
    ),
  );
}

/** ElevenLabs' alignment: one entry per character of the text, times in seconds from the audio's start. */
export interface CharacterAlignment {
  characters: string[];
  character_start_times_seconds: number[];
  character_end_times_seconds: number[];
}

/** Word timings from per-character times: a word runs from its first character's start to its last one's end. */
export function wordsFromCharacterAlignment(alignment: CharacterAlignment): WordTiming[] {
  const { characters, character_start_times_seconds: starts, character_end_times_seconds: ends } = alignment;
  if (starts.length !== characters.length || ends.length !== characters.length) {
    throw new RangeError(`the alignment has ${characters.length} characters but ${starts.length} start and ${ends.length} end times`);
  }
  // characters[i] may be more than one UTF-16 unit: map each unit of the joined text back to its entry.
  const entryOf: number[] = [];
  characters.forEach((character, index) => {
    for (let unit = 0; unit < character.length; unit++) entryOf.push(index);
  });
  const text = characters.join('');
  return monotonic(
    wordSpans(text).map((span) => ({
      text: span.text,
      start: starts[entryOf[span.start]],
      end: ends[entryOf[span.end - 1]],
    })),
  );
}

/** Where a speech engine says a word is spoken: a span of the text (UTF-16 units) and its times in seconds. */
export interface WordMark {
  offset: number;
  length: number;
  start: number;
  end: number;
}

/**
 * Word timings of a text from a speech engine's word marks. The engine's words need not be the
 * caption's: "1234" is several spoken words, "e.g." one. A caption word takes the marks that start
 * inside it (or in the space before it); a word without marks shares the time between its timed
 * neighbours by its length.
 */
export function wordsFromMarks(text: string, marks: WordMark[], durationSeconds: number): WordTiming[] {
  const spans = wordSpans(text);
  const timed: (WordTiming | undefined)[] = spans.map(() => undefined);
  const sorted = [...marks].sort((a, b) => a.offset - b.offset || a.start - b.start);
  let index = 0;
  for (const mark of sorted) {
    while (index + 1 < spans.length && mark.offset >= spans[index].end) index++;
    const span = spans[index];
    if (!span) break;
    const current = timed[index];
    timed[index] = current
      ? { text: span.text, start: Math.min(current.start, mark.start), end: Math.max(current.end, mark.end) }
      : { text: span.text, start: mark.start, end: mark.end };
  }
  return monotonic(fillUntimed(spans, timed, 0, durationSeconds));
}

/** Spreads words over [start, end] by their share of the characters, as when only a sentence's span is known. */
export function distributeByCharacters(spans: TextSpan[], start: number, end: number): WordTiming[] {
  const lengths = spans.map((span) => [...span.text].length);
  // A space between two words weighs one character: it is spoken as a little silence.
  const total = lengths.reduce((sum, length) => sum + length, 0) + Math.max(0, spans.length - 1);
  const perCharacter = total > 0 ? Math.max(0, end - start) / total : 0;
  let position = start;
  return spans.map((span, index) => {
    const wordStart = position;
    const wordEnd = wordStart + lengths[index] * perCharacter;
    position = wordEnd + perCharacter;
    return { text: span.text, start: wordStart, end: Math.min(wordEnd, end) };
  });
}

function fillUntimed(spans: TextSpan[], timed: (WordTiming | undefined)[], start: number, end: number): WordTiming[] {
  const words: WordTiming[] = [];
  for (let index = 0; index < spans.length;) {
    const known = timed[index];
    if (known) {
      words.push(known);
      index++;
      continue;
    }
    let next = index;
    while (next < spans.length && !timed[next]) next++;
    const from = words.length > 0 ? words[words.length - 1].end : start;
    const to = next < spans.length ? timed[next]!.start : end;
    words.push(...distributeByCharacters(spans.slice(index, next), from, Math.max(from, to)));
    index = next;
  }
  return words;
}

/** Starts never go back, ends never precede starts, nothing overlaps the next word. */
function monotonic(words: WordTiming[]): WordTiming[] {
  const result: WordTiming[] = [];
  for (const word of words) {
    const previousStart = result.length > 0 ? result[result.length - 1].start : 0;
    const start = Math.max(word.start, previousStart, 0);
    result.push({ text: word.text, start, end: Math.max(word.end, start) });
  }
  for (let index = 0; index + 1 < result.length; index++) {
    result[index].end = Math.min(result[index].end, result[index + 1].start);
  }
  return result;
}

/** A piece of narration audio: which beat it belongs to, where it starts in the whole, and its words relative to itself. */
export interface PlacedChunk {
  beatId: string;
  /** Seconds from the start of the narration. */
  start: number;
  durationSeconds: number;
  words: WordTiming[];
}

/**
 * The narration's word and beat timings from its chunks, in order. Beats follow each other without
 * a hole and cover [0, durationSeconds]: a beat ends where the next one's audio starts, so a pause
 * between beats belongs to the beat before it. A beat without audio gets an empty span where it
 * would have been. Times are rounded to milliseconds and kept inside the audio; the last beat
 * ends with it.
 */
export function assembleTimeline(beatIds: string[], chunks: PlacedChunk[], durationSeconds: number): Pick<Narration, 'words' | 'beats'> {
  const known = new Set(beatIds);
  for (const chunk of chunks)
    if (!known.has(chunk.beatId)) throw new RangeError(`a chunk belongs to beat ${chunk.beatId}, which is not in the script`);
  // Rounded down at the end, so that no word ends after the audio.
  const last = Math.floor(durationSeconds * 1000) / 1000;
  const clamp = (seconds: number) => Math.min(round(Math.max(seconds, 0)), last);
  const words = monotonic(
    chunks.flatMap((chunk) => {
      const chunkEnd = chunk.start + chunk.durationSeconds;
      return chunk.words.map((word) => ({
        text: word.text,
        start: clamp(Math.min(chunk.start + word.start, chunkEnd)),
        end: clamp(Math.min(chunk.start + word.end, chunkEnd)),
      }));
    }),
  );
  const firstStart = new Map<string, number>();
  for (const chunk of chunks) if (!firstStart.has(chunk.beatId)) firstStart.set(chunk.beatId, clamp(chunk.start));
  const beats: Narration['beats'] = [];
  let end = durationSeconds;
  for (let index = beatIds.length - 1; index >= 0; index--) {
    const id = beatIds[index];
    const start = index === 0 ? 0 : Math.min(firstStart.get(id) ?? end, end);
    beats.unshift({ id, start, end });
    end = start;
  }
  return { words, beats };
}

export function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

/** A phoneme of a speech engine's alignment and the samples it lasts (Piper's phoneme_alignments). */
export type PhonemeSamples = [phoneme: string, samples: number];

/** What separates words in a phoneme alignment: the space, the sentence's start and end marks, and silence. */
const PHONEME_BOUNDARIES = new Set([' ', '^', '$', '']);
/** Phonemes that are punctuation: part of a word's run, but not spoken time of it. */
const PHONEME_PUNCTUATION = /^[\p{P}\p{S}]+$/u;
/** Stress and length marks say how a sound is spoken; alone they make no word. */
const PHONEME_MARKS = new Set(['ˈ', 'ˌ', 'ː', 'ˑ']);

/**
 * The spoken words of a phoneme alignment, in samples from its start: runs of phonemes between
 * spaces (and the sentence marks ^ $), from the run's first phoneme to the end of its last one
 * that is not punctuation. Runs with no sound of their own (punctuation, stress marks) are no words.
 */
export function phonemeWords(phonemes: PhonemeSamples[]): { start: number; end: number }[] {
  const words: { start: number; end: number }[] = [];
  let position = 0;
  let current: { start: number; end: number } | undefined;
  for (const [phoneme, samples] of phonemes) {
    const from = position;
    position += samples;
    if (PHONEME_BOUNDARIES.has(phoneme)) {
      current = undefined;
      continue;
    }
    if (PHONEME_PUNCTUATION.test(phoneme)) continue;
    current ??= { start: from, end: -1 };
    if (PHONEME_MARKS.has(phoneme)) {
      // A stress mark opens a word; a length mark lengthens the sound before it.
      if (current.end >= 0) current.end = position;
      continue;
    }
    if (current.end < 0) words.push(current);
    current.end = position;
  }
  return words;
}

/**
 * Word timings of a sentence from a phoneme alignment. `expected[i]` is how many spoken words the
 * i-th written word (wordSpans of the text) makes on its own ("1234" makes several): when they add
 * up to the spoken words, each written word takes exactly its own; when the engine read a word
 * differently in context, the spoken words are shared out in proportion, in order.
 */
export function wordsFromPhonemes(text: string, phonemes: PhonemeSamples[], expected: number[], sampleRate: number): WordTiming[] {
  const spans = wordSpans(text);
  if (expected.length !== spans.length)
    throw new RangeError(`${expected.length} phoneme word counts for the ${spans.length} words of "${text}"`);
  const spoken = phonemeWords(phonemes);
  const total = phonemes.reduce((sum, [, samples]) => sum + samples, 0);
  const counts = expected.map((count) => Math.max(0, count));
  const wanted = counts.reduce((sum, count) => sum + count, 0);
  const marks: WordMark[] = [];
  let cumulative = 0;
  let first = 0;
  spans.forEach((span, index) => {
    cumulative += counts[index];
    const last = wanted === spoken.length ? cumulative : wanted > 0 ? Math.round((spoken.length * cumulative) / wanted) : 0;
    if (last > first) {
      marks.push({
        offset: span.start,
        length: span.end - span.start,
        start: spoken[first].start / sampleRate,
        end: spoken[last - 1].end / sampleRate,
      });
    }
    first = Math.max(first, last);
  });
  return wordsFromMarks(text, marks, total / sampleRate);
}
