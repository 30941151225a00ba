import { describe, expect, it } from 'vitest';
import type { Script } from '../../contract/documents.ts';
import {
  BannedTopicError,
  assertNoBannedTopic,
  cleanTags,
  enforceMetadataLimits,
  findBannedTopic,
  lengthTarget,
  metadataProblems,
  tagsLength,
  truncateBytes,
  truncateChars,
  utf8Bytes,
} from './rules.ts';
import { exampleChannel, exampleEpisode } from '../testing.ts';

const script: Script = {
  title: 'Caches',
  wordCount: 0,
  estimatedSeconds: 0,
  beats: [
    {
      id: 'beat-1',
      heading: 'Hook',
      narration: 'Caches are everywhere.',
      brollCues: [{ description: 'server rack', keywords: ['servers'] }],
    },
    { id: 'beat-2', heading: 'Why', narration: 'A cache hides latency. Politicians love it too.', brollCues: [] },
  ],
};

describe('lengthTarget', () => {
  it('takes the episode override, else the channel duration, at the channel words per minute', () => {
    expect(lengthTarget(exampleChannel(), exampleEpisode())).toEqual({
      seconds: 60,
      wordsPerMinute: 150,
      words: 150,
      minWords: 135,
      maxWords: 165,
    });
    const episode = { ...exampleEpisode(), overrides: { targetDurationSeconds: 480 } };
    expect(lengthTarget(exampleChannel(), episode).words).toBe(1200);
  });
});

describe('banned topics', () => {
  it('matches whole words and phrases, case-insensitively', () => {
    expect(findBannedTopic(script, ['politics'])).toBeUndefined();
    expect(findBannedTopic(script, ['POLITICIANS'])).toEqual({
      topic: 'POLITICIANS',
      beatId: 'beat-2',
      heading: 'Why',
      excerpt: 'Politicians love it too.',
    });
    expect(findBannedTopic(script, ['hides   latency'])?.beatId).toBe('beat-2');
    expect(findBannedTopic(script, ['servers'])?.excerpt).toBe('servers');
    expect(findBannedTopic(script, ['caches'])).toEqual({ topic: 'caches', excerpt: 'Caches' });
  });

  it('throws an error that names the topic and the beat', () => {
    expect(() => assertNoBannedTopic(script, ['politicians'])).toThrow(BannedTopicError);
    expect(() => assertNoBannedTopic(script, ['politicians'])).toThrow(
      'The script mentions the banned topic "politicians" in beat beat-2 ("Why")',
    );
    expect(() => assertNoBannedTopic(script, undefined)).not.toThrow();
  });
});

describe('metadata limits', () => {
  it('truncates at words and at UTF-8 boundaries', () => {
    expect(truncateChars('one two three four', 12)).toBe('one two…');
    const long = 'ü'.repeat(3000);
    const cut = truncateBytes(long, 5000);
    expect(utf8Bytes(cut)).toBeLessThanOrEqual(5000);
    expect(cut.endsWith('…')).toBe(true);
    expect(cut).not.toContain('\uFFFD');
  });

  it('counts tags as YouTube does and keeps them under 500 characters', () => {
    expect(tagsLength(['a b', 'c'])).toBe(7);
    const tags = cleanTags([...Array.from({ length: 80 }, (_, index) => `tag number ${index}`), 'Tag Number 1', '<b>', 'a,b']);
    expect(tagsLength(tags)).toBeLessThanOrEqual(500);
    expect(tags.filter((tag) => tag.toLowerCase() === 'tag number 1')).toHaveLength(1);
    expect(tags.join('')).not.toMatch(/[<>,]/);
  });

  it('makes a draft publishable: title, description, chapters per beat, thumbnail, language', () => {
    const metadata = enforceMetadataLimits(
      {
        title: `A <very> long title ${'word '.repeat(40)}`,
        description: `${'Line of text with <tags>. '.repeat(400)}`,
        tags: ['cache', 'cache', 'latency'],
        chapters: [
          { beatId: 'beat-2', title: 'Why <it> matters' },
          { beatId: 'beat-9', title: 'Unknown' },
        ],
        thumbnailText: 'one two three four five six seven',
      },
      script,
      { language: 'de' },
    );
    expect(metadataProblems(metadata, ['beat-1', 'beat-2'])).toEqual([]);
    expect(metadata.title.startsWith('A ‹very› long title')).toBe(true);
    expect(utf8Bytes(metadata.description)).toBeLessThanOrEqual(5000);
    // The sources are the publisher's to add, once (publisher/description.ts).
    expect(metadata.description).not.toContain('Sources:');
    expect(metadata.chapters).toEqual([
      { beatId: 'beat-1', title: 'Hook' },
      { beatId: 'beat-2', title: 'Why ‹it› matters' },
    ]);
    expect(metadata.thumbnailText).toBe('one two three four five');
    expect(metadata.tags).toEqual(['cache', 'latency']);
    expect(metadata.language).toBe('de');
  });

  it('reports what breaks a limit', () => {
    const problems = metadataProblems(
      { title: 'x'.repeat(101), description: 'a > b', tags: ['t'.repeat(501)], chapters: [], thumbnailText: 'a b c d e f', language: 'en' },
      ['beat-1'],
    );
    expect(problems).toHaveLength(5);
  });
});
