import { describe, expect, it } from 'vitest';
import {
  asSentence,
  countWords,
  headingOf,
  keywordsOf,
  lowerFirst,
  nounsOf,
  splitSentences,
  spokenList,
  subjectOf,
  toSpeakable,
} from './text.ts';

describe('toSpeakable', () => {
  it('removes markdown, bullets, numbering, links and stage directions', () => {
    const text = [
      '## Why it matters',
      'An **index** is a _sorted_ copy of `some` columns.',
      '- first, it is small',
      '* second: it is sorted',
      '2) third',
      '[pause] See [the docs](https://example.com/docs) or https://example.com for more 🚀',
    ].join('\n');
    expect(toSpeakable(text)).toBe(
      'Why it matters. An index is a sorted copy of some columns. First, it is small. Second: it is sorted. Third. See the docs or for more.',
    );
  });

  it('joins the lines of one paragraph and keeps what is already fine', () => {
    expect(toSpeakable('A full table scan reads\nevery row.')).toBe('A full table scan reads every row.');
    expect(toSpeakable('Fine as it is. Really!')).toBe('Fine as it is. Really!');
  });
});

describe('sentences and words', () => {
  it('splits at sentence ends, not at abbreviations', () => {
    expect(splitSentences('One idea, e.g. Indexes help. Two? Yes! 3 more.')).toEqual([
      'One idea, e.g. Indexes help.',
      'Two?',
      'Yes!',
      '3 more.',
    ]);
  });

  it('counts words as they are spoken', () => {
    expect(countWords("Let's count B-tree, 3.5 and e.g. — seven?")).toBe(7);
  });

  it('makes text a sentence', () => {
    expect(asSentence('every index costs writes')).toBe('Every index costs writes.');
    expect(asSentence('Really?')).toBe('Really?');
  });

  it('finds keywords and nouns', () => {
    expect(keywordsOf('The index, the index and the table scan', 2)).toEqual(['index', 'table']);
    expect(nounsOf('A B-tree keeps keys sorted in PostgreSQL', 4)).toEqual(['B-tree', 'keys', 'PostgreSQL']);
  });

  it('finds the subject of a statement', () => {
    expect(subjectOf('A full table scan reads every row, however few match')).toBe('the full table scan');
    expect(subjectOf('Every index slows down inserts and updates')).toBe('the index');
    expect(subjectOf('Caches make things slower')).toBe('caches');
    expect(subjectOf('Think about it')).toBeUndefined();
  });

  it('makes headings and spoken lists', () => {
    expect(headingOf('A B-tree keeps keys sorted, so a lookup touches a handful of pages')).toBe('A B-tree keeps keys sorted');
    expect(headingOf('one two three four five six seven eight nine ten', 5)).toBe('One two three four five');
    expect(lowerFirst('How indexes work')).toBe('how indexes work');
    expect(lowerFirst('PostgreSQL indexes')).toBe('PostgreSQL indexes');
    expect(spokenList(['a', 'b', 'c'])).toBe('a, b, and c');
    expect(spokenList(['a', 'b'])).toBe('a and b');
  });
});
