import { describe, expect, it } from 'vitest';
import {
  DESCRIPTION_MAX_BYTES,
  buildDescription,
  formatTimestamp,
  truncateUtf8,
  utf8Bytes,
  withoutAngleBrackets,
  youtubeChapters,
  youtubeTags,
  youtubeTitle,
  requestDescription,
  type DescriptionInput,
} from './description.ts';
import { createOfflineWriter } from '../writer/index.ts';
import { testContext } from '../writer/test-fixtures.ts';
import { exampleEpisode } from '../testing.ts';

const input: DescriptionInput = {
  text: 'Why a query on ten million orders is slow, and what an index changes.',
  chapterTitles: ['The slow query', 'What a B-tree stores', 'Column order', 'The cost on writes'],
  chapterStarts: [2.4, 14.2, 31.9, 48],
  attributions: ['Video by Jane Doe from Pexels'],
  references: [
    { title: 'PostgreSQL documentation, Indexes', url: 'https://www.postgresql.org/docs/current/indexes.html' },
    { url: 'https://use-the-index-luke.com/' },
  ],
};

describe('formatTimestamp', () => {
  it('writes m:ss below an hour and h:mm:ss from an hour on', () => {
    expect([0, 9.99, 65, 599, 3599, 3600, 3725.9, 36000].map(formatTimestamp)).toEqual([
      '0:00',
      '0:09',
      '1:05',
      '9:59',
      '59:59',
      '1:00:00',
      '1:02:05',
      '10:00:00',
    ]);
  });
});

describe('youtubeChapters', () => {
  it('moves the first chapter to 0:00 and floors the others to whole seconds', () => {
    const result = youtubeChapters(input.chapterTitles, input.chapterStarts);
    expect(result.chapters.map((chapter) => `${chapter.timestamp} ${chapter.title}`)).toEqual([
      '0:00 The slow query',
      '0:14 What a B-tree stores',
      '0:31 Column order',
      '0:48 The cost on writes',
    ]);
  });

  it('needs at least three chapters', () => {
    const result = youtubeChapters(['One', 'Two'], [0, 30]);
    expect(result.chapters).toEqual([]);
    expect('omitted' in result && result.omitted).toMatch(/at least 3 chapters/);
  });

  it('needs every chapter to last ten seconds', () => {
    const result = youtubeChapters(['One', 'Two', 'Three'], [0, 15, 24]);
    expect(result.chapters).toEqual([]);
    expect('omitted' in result && result.omitted).toMatch(/"Two" lasts 9 s/);
  });

  it('checks the last chapter against the duration when it is known', () => {
    expect(youtubeChapters(['One', 'Two', 'Three'], [0, 15, 30], 45).chapters).toHaveLength(3);
    const result = youtubeChapters(['One', 'Two', 'Three'], [0, 15, 30], 39);
    expect('omitted' in result && result.omitted).toMatch(/last chapter "Three" lasts 9 s/);
  });

  it('refuses titles and times that do not pair up, or times that go backwards', () => {
    expect('omitted' in youtubeChapters(['One', 'Two', 'Three'], [0, 20])).toBe(true);
    expect('omitted' in youtubeChapters(['One', 'Two', 'Three'], [0, 30, 20])).toBe(true);
    expect('omitted' in youtubeChapters(['One', 'Two', 'Three'], [0, Number.NaN, 40])).toBe(true);
  });

  it('keeps titles on one line without angle brackets', () => {
    const result = youtubeChapters(['a <b>\n c', '  ', 'Three'], [0, 20, 40]);
    expect(result.chapters.map((chapter) => chapter.title)).toEqual(['a ‹b› c', 'Part 2', 'Three']);
  });
});

describe('buildDescription', () => {
  it('writes the text, chapters, credits and sources', () => {
    const description = buildDescription(input);
    expect(description.text).toBe(
      [
        'Why a query on ten million orders is slow, and what an index changes.',
        '',
        'Chapters:',
        '0:00 The slow query',
        '0:14 What a B-tree stores',
        '0:31 Column order',
        '0:48 The cost on writes',
        '',
        'Credits:',
        'Video by Jane Doe from Pexels',
        '',
        'Sources:',
        'PostgreSQL documentation, Indexes: https://www.postgresql.org/docs/current/indexes.html',
        'https://use-the-index-luke.com/',
      ].join('\n'),
    );
    expect(description.shortened).toEqual([]);
    expect(description.chaptersOmitted).toBeUndefined();
  });

  it('leaves chapters out, and says why, when YouTube would not accept them', () => {
    const description = buildDescription({ ...input, chapterStarts: [0, 5, 31.9, 48] });
    expect(description.text).not.toContain('Chapters:');
    expect(description.chaptersOmitted).toMatch(/at least 10 s/);
  });

  it('replaces angle brackets, which YouTube refuses', () => {
    const description = buildDescription({ ...input, text: 'Use <b>indexes</b> when a > b', attributions: ['<Pexels>'] });
    expect(description.text).not.toMatch(/[<>]/);
    expect(description.text).toContain('Use ‹b›indexes‹/b› when a › b');
  });

  it('drops sources from the end first when the text is too long', () => {
    const references = Array.from({ length: 60 }, (_, index) => ({
      title: `Source number ${index} with a long enough title`,
      url: `https://example.com/${'x'.repeat(40)}/${index}`,
    }));
    const description = buildDescription({ ...input, references });
    expect(utf8Bytes(description.text)).toBeLessThanOrEqual(DESCRIPTION_MAX_BYTES);
    expect(description.text).toContain('Source number 0 ');
    expect(description.text).not.toContain('Source number 59 ');
    expect(description.text).toContain('0:48 The cost on writes');
    expect(description.text).toContain('Video by Jane Doe from Pexels');
    expect(description.text.startsWith(input.text)).toBe(true);
    expect(description.shortened[0]).toMatch(/of 60 sources left out/);
  });

  it('shortens the writer text, counting bytes of multi-byte characters, and keeps chapters and credits', () => {
    const description = buildDescription({ ...input, text: 'Größe und Übersicht — 索引 '.repeat(400), references: [] });
    expect(utf8Bytes(description.text)).toBeLessThanOrEqual(DESCRIPTION_MAX_BYTES);
    expect(utf8Bytes(description.text)).toBeGreaterThan(DESCRIPTION_MAX_BYTES - 100);
    expect(description.text).toMatch(/…\n\nChapters:\n0:00 The slow query/);
    expect(description.text.endsWith('Credits:\nVideo by Jane Doe from Pexels')).toBe(true);
    expect(description.shortened).toEqual(['description text shortened']);
  });

  it('never exceeds the limit even when the credits alone are too long', () => {
    const description = buildDescription({
      ...input,
      attributions: Array.from({ length: 200 }, (_, index) => `Video by photographer ${index} from Pexels`),
    });
    expect(utf8Bytes(description.text)).toBeLessThanOrEqual(DESCRIPTION_MAX_BYTES);
    expect(description.chapters).toEqual([]);
    expect(description.chaptersOmitted).toMatch(/within 5000 bytes/);
  });
});

describe('buildDescription with the offline writer', () => {
  const count = (text: string, part: string) => text.split(part).length - 1;

  it('has each block once: the writer adds no sources of its own, the publisher lists them once', async () => {
    const ctx = await testContext();
    const writer = createOfflineWriter();
    const plan = await writer.plan(ctx);
    const refined = await writer.refine(ctx, (await writer.script(ctx, plan.value)).value);
    const metadata = (await writer.metadata(ctx, refined.value)).value;
    const description = requestDescription(
      { metadata, chapterStarts: [0, 12, 24, 36, 48, 56], attributions: ['Video by Jane Doe from Pexels'] },
      exampleEpisode().references,
    ).text;
    for (const block of ['What you will learn:', 'Presented by', 'Credits:', 'Sources:']) expect(count(description, block), block).toBe(1);
    for (const reference of exampleEpisode().references!) expect(count(description, reference.url), reference.url).toBe(1);
  });

  it('does not list again a source the text already links', () => {
    const text = `${input.text}\n\nRead more: https://www.postgresql.org/docs/current/indexes.html`;
    const description = buildDescription({ ...input, text }).text;
    expect(count(description, 'https://www.postgresql.org/docs/current/indexes.html')).toBe(1);
    expect(description).toContain('Sources:\nhttps://use-the-index-luke.com/');
  });

  it('writes the block headings in the video language, English for a language it has no text for', () => {
    const german = buildDescription({ ...input, language: 'de-DE' }).text;
    expect(german).toMatch(/\n\nKapitel:\n0:00 The slow query/);
    expect(german).toContain('\n\nBildnachweise:\nVideo by Jane Doe from Pexels');
    expect(german).toContain('\n\nQuellen:\n');
    expect(german).not.toMatch(/Chapters:|Credits:|Sources:/);
    expect(buildDescription({ ...input, language: 'pt-BR' }).text).toContain('\n\nFontes:\n');
    expect(buildDescription({ ...input, language: 'ja' }).text).toContain('\n\nSources:\n');
  });
});

describe('text helpers', () => {
  it('truncates at a character boundary and adds an ellipsis', () => {
    expect(truncateUtf8('short', 10)).toBe('short');
    const cut = truncateUtf8('ééééééééé', 8);
    expect(cut).toBe('éé…');
    expect(utf8Bytes(cut)).toBeLessThanOrEqual(8);
  });

  it('keeps titles within 100 characters', () => {
    expect(youtubeTitle('A <title>')).toBe('A ‹title›');
    const long = youtubeTitle('word '.repeat(40));
    expect([...long].length).toBeLessThanOrEqual(100);
    expect(long.endsWith('…')).toBe(true);
  });

  it('keeps tags within 500 characters, counting quotes around tags with spaces', () => {
    expect(youtubeTags(['sql', 'SQL', 'b-tree index', 'a,b', ''])).toEqual(['sql', 'b-tree index', 'a b']);
    const tags = youtubeTags(Array.from({ length: 100 }, (_, index) => `tag number ${index}`));
    const length = tags.reduce((sum, tag) => sum + tag.length + 2, 0) + tags.length - 1;
    expect(length).toBeLessThanOrEqual(500);
    expect(tags.length).toBeGreaterThan(20);
  });

  it('maps angle brackets to look-alikes YouTube accepts', () => {
    expect(withoutAngleBrackets('<a> > <b>')).toBe('‹a› › ‹b›');
  });
});
