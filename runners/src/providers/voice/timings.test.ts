import { describe, expect, it } from 'vitest';
import {
  assembleTimeline,
  chunkText,
  distributeByCharacters,
  phonemeWords,
  sentenceSpans,
  wordSpans,
  wordsFromCharacterAlignment,
  wordsFromMarks,
  wordsFromPhonemes,
  type CharacterAlignment,
  type PhonemeSamples,
} from './timings.ts';

const texts = (spans: { text: string }[]) => spans.map((span) => span.text);

function alignmentOf(text: string, secondsPerCharacter: number): CharacterAlignment {
  const characters = Array.from(text);
  return {
    characters,
    character_start_times_seconds: characters.map((_, index) => index * secondsPerCharacter),
    character_end_times_seconds: characters.map((_, index) => (index + 1) * secondsPerCharacter),
  };
}

describe('wordSpans', () => {
  it('splits on white space and keeps positions', () => {
    const spans = wordSpans('  Hello,  world!\nBye. ');
    expect(texts(spans)).toEqual(['Hello,', 'world!', 'Bye.']);
    for (const span of spans) expect('  Hello,  world!\nBye. '.slice(span.start, span.end)).toBe(span.text);
  });
  it('joins what is not spoken to the word before it, or after it at the start', () => {
    expect(texts(wordSpans('— Indexes — e.g. B-trees …'))).toEqual(['— Indexes —', 'e.g.', 'B-trees …']);
  });
  it('finds no words in an empty text', () => {
    expect(wordSpans('   ')).toEqual([]);
  });
});

describe('sentenceSpans', () => {
  it('ends sentences at . ! ? and … before a new sentence', () => {
    expect(texts(sentenceSpans('One. Two! "Three?" Four… five and six'))).toEqual(['One.', 'Two!', '"Three?"', 'Four… five and six']);
  });
  it('does not end a sentence before a digit or a lower-case word', () => {
    expect(texts(sentenceSpans('It grew, e.g. 3.5 times. Then it stopped.'))).toEqual(['It grew, e.g. 3.5 times.', 'Then it stopped.']);
  });
  it('keeps a last sentence without punctuation and ignores trailing space', () => {
    expect(texts(sentenceSpans('  First one.  Second one  '))).toEqual(['First one.', 'Second one']);
  });
});

describe('chunkText', () => {
  const text = 'A first sentence here. A second one follows. Then a third, much longer sentence that goes on and on. End.';

  it('keeps whole sentences together under the limit', () => {
    expect(texts(chunkText(text, 50))).toEqual([
      'A first sentence here. A second one follows.',
      'Then a third, much longer sentence that goes on',
      'and on. End.',
    ]);
  });
  it('never exceeds the limit and keeps every word in order', () => {
    for (const limit of [5, 12, 30, 200]) {
      const pieces = chunkText(text, limit);
      for (const piece of pieces) {
        expect(piece.text.length).toBeLessThanOrEqual(limit);
        expect(text.slice(piece.start, piece.end)).toBe(piece.text);
      }
      expect(
        pieces
          .map((piece) => piece.text)
          .join(' ')
          .replace(/\s+/g, ''),
      ).toBe(text.replace(/\s+/g, ''));
    }
  });
  it('cuts a word longer than the limit', () => {
    expect(texts(chunkText('Supercalifragilistic', 8))).toEqual(['Supercal', 'ifragili', 'stic']);
  });
  it('returns everything in one piece when it fits', () => {
    expect(texts(chunkText(text, 1000))).toEqual([text]);
  });
});

describe('wordsFromCharacterAlignment', () => {
  it('runs a word from its first character start to its last character end', () => {
    expect(wordsFromCharacterAlignment(alignmentOf('Hi there.', 0.1))).toEqual([
      { text: 'Hi', start: 0, end: 0.2 },
      { text: 'there.', start: 0.30000000000000004, end: 0.9 },
    ]);
  });
  it('maps characters of more than one UTF-16 unit back to their times', () => {
    const words = wordsFromCharacterAlignment(alignmentOf('go 🚀 now', 1));
    expect(words).toEqual([
      { text: 'go 🚀', start: 0, end: 4 },
      { text: 'now', start: 5, end: 8 },
    ]);
  });
  it('refuses an alignment whose lists differ in length', () => {
    expect(() =>
      wordsFromCharacterAlignment({ characters: ['a'], character_start_times_seconds: [], character_end_times_seconds: [1] }),
    ).toThrow(/1 characters but 0 start/);
  });
});

describe('wordsFromMarks', () => {
  it('gives a caption word all the engine words spoken for it', () => {
    // "1234" is four spoken words at one offset.
    const marks = [
      { offset: 0, length: 2, start: 0, end: 0.2 },
      { offset: 3, length: 4, start: 0.3, end: 0.5 },
      { offset: 3, length: 4, start: 0.5, end: 0.7 },
      { offset: 3, length: 4, start: 0.7, end: 1.2 },
      { offset: 8, length: 5, start: 1.3, end: 1.6 },
    ];
    expect(wordsFromMarks('It 1234 times', marks, 2)).toEqual([
      { text: 'It', start: 0, end: 0.2 },
      { text: '1234', start: 0.3, end: 1.2 },
      { text: 'times', start: 1.3, end: 1.6 },
    ]);
  });
  it('spreads words without marks between their timed neighbours', () => {
    const words = wordsFromMarks('one two three four', [{ offset: 0, length: 3, start: 0, end: 0.5 }], 2);
    expect(words.map((word) => word.text)).toEqual(['one', 'two', 'three', 'four']);
    expect(words[1].start).toBeCloseTo(0.5);
    expect(words[3].end).toBeCloseTo(2);
    for (let index = 1; index < words.length; index++) expect(words[index].start).toBeGreaterThanOrEqual(words[index - 1].end);
  });
});

describe('distributeByCharacters', () => {
  it('gives each word its share of the span by length, a space counting as one character', () => {
    const [first, second] = distributeByCharacters(wordSpans('ab cdef'), 1, 1.7);
    expect([first.text, second.text]).toEqual(['ab', 'cdef']);
    expect([first.start, first.end, second.start, second.end].map((seconds) => Math.round(seconds * 1000) / 1000)).toEqual([
      1, 1.2, 1.3, 1.7,
    ]);
  });
});

describe('assembleTimeline', () => {
  const word = (text: string, start: number, end: number) => ({ text, start, end });

  it('offsets each chunk and makes beats meet without a hole', () => {
    const timeline = assembleTimeline(
      ['beat-1', 'beat-2'],
      [
        { beatId: 'beat-1', start: 0, durationSeconds: 1, words: [word('a', 0.1, 0.4), word('b', 0.5, 0.9)] },
        { beatId: 'beat-1', start: 1, durationSeconds: 1, words: [word('c', 0.1, 0.8)] },
        { beatId: 'beat-2', start: 2.4, durationSeconds: 1.6, words: [word('d', 0.2, 1.5)] },
      ],
      4,
    );
    expect(timeline.words).toEqual([word('a', 0.1, 0.4), word('b', 0.5, 0.9), word('c', 1.1, 1.8), word('d', 2.6, 3.9)]);
    expect(timeline.beats).toEqual([
      { id: 'beat-1', start: 0, end: 2.4 },
      { id: 'beat-2', start: 2.4, end: 4 },
    ]);
  });
  it('gives a beat without audio an empty span in its place', () => {
    const timeline = assembleTimeline(
      ['intro', 'silent', 'outro'],
      [
        { beatId: 'intro', start: 0, durationSeconds: 1, words: [word('hi', 0, 1)] },
        { beatId: 'outro', start: 1.4, durationSeconds: 1, words: [word('bye', 0, 1)] },
      ],
      2.4,
    );
    expect(timeline.beats).toEqual([
      { id: 'intro', start: 0, end: 1.4 },
      { id: 'silent', start: 1.4, end: 1.4 },
      { id: 'outro', start: 1.4, end: 2.4 },
    ]);
  });
  it('keeps words inside their chunk and the audio, in order', () => {
    const timeline = assembleTimeline(
      ['b'],
      [{ beatId: 'b', start: 0, durationSeconds: 1, words: [word('x', 0.5, 1.7), word('y', 0.4, 2)] }],
      0.9,
    );
    expect(timeline.words).toEqual([word('x', 0.5, 0.5), word('y', 0.5, 0.9)]);
  });
  it('refuses a chunk of a beat the script does not have', () => {
    expect(() => assembleTimeline(['a'], [{ beatId: 'b', start: 0, durationSeconds: 1, words: [] }], 1)).toThrow(/beat b/);
  });
});

// "^ ju: ˈædᵻd, $" as Piper aligns "You added," at 1000 samples a second: ^ 100, j 100, u 200, ː 100,
// space 100, ˈ 50, æ 150, d 100, ᵻ 100, d 100, "," 200, $ 300.
const youAdded: PhonemeSamples[] = [
  ['^', 100],
  ['j', 100],
  ['u', 200],
  ['ː', 100],
  [' ', 100],
  ['ˈ', 50],
  ['æ', 150],
  ['d', 100],
  ['ᵻ', 100],
  ['d', 100],
  [',', 200],
  ['$', 300],
];

describe('phonemeWords', () => {
  it('cuts at spaces and the sentence marks; a length mark belongs to its sound, punctuation to no word', () => {
    expect(phonemeWords(youAdded)).toEqual([
      { start: 100, end: 500 },
      { start: 600, end: 1100 },
    ]);
  });
  it('finds no word in punctuation or silence alone', () => {
    expect(
      phonemeWords([
        ['^', 10],
        ['.', 20],
        [' ', 5],
        ['', 40],
        ['$', 10],
      ]),
    ).toEqual([]);
  });
});

describe('wordsFromPhonemes', () => {
  it('gives each written word its own spoken words when the counts agree', () => {
    expect(wordsFromPhonemes('You added,', youAdded, [1, 1], 1000)).toEqual([
      { text: 'You', start: 0.1, end: 0.5 },
      { text: 'added,', start: 0.6, end: 1.1 },
    ]);
  });
  it('gives a number all the spoken words it becomes', () => {
    // "12" read as two spoken words (as Piper reads "3.5" as "three point five").
    const phonemes: PhonemeSamples[] = [
      ['^', 0],
      ['ɪ', 100],
      ['n', 100],
      [' ', 50],
      ['w', 100],
      [' ', 50],
      ['t', 100],
      [' ', 50],
      ['d', 200],
      ['$', 0],
    ];
    expect(wordsFromPhonemes('In 12 days', phonemes, [1, 2, 1], 1000)).toEqual([
      { text: 'In', start: 0, end: 0.2 },
      { text: '12', start: 0.25, end: 0.5 },
      { text: 'days', start: 0.55, end: 0.75 },
    ]);
  });
  it('shares the spoken words out in order when the engine read a word differently in context', () => {
    // Four written words expected to make five spoken ones; the engine spoke four.
    const phonemes: PhonemeSamples[] = [
      ['a', 100],
      [' ', 0],
      ['b', 100],
      [' ', 0],
      ['c', 100],
      [' ', 0],
      ['d', 100],
    ];
    const words = wordsFromPhonemes('w x y z', phonemes, [1, 2, 1, 1], 1000);
    expect(words.map((word) => word.text)).toEqual(['w', 'x', 'y', 'z']);
    expect(words[0]).toEqual({ text: 'w', start: 0, end: 0.1 });
    expect(words.at(-1)!.end).toBe(0.4);
    for (let index = 1; index < words.length; index++) expect(words[index].start).toBeGreaterThanOrEqual(words[index - 1].end);
  });
  it('refuses counts that do not match the words', () => {
    expect(() => wordsFromPhonemes('two words', youAdded, [1], 1000)).toThrow(/1 phoneme word counts for the 2 words/);
  });
});
