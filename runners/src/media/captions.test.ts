import { describe, expect, it } from 'vitest';
import type { WordTiming } from '../contract/documents.ts';
import {
  buildCaptionCues,
  captionPlacement,
  defaultCaptionFontSize,
  formatSrtTime,
  formatVttTime,
  karaokeText,
  wrapCaptionLines,
  writeAss,
  writeSrt,
  writeVtt,
  type AssOptions,
  type CaptionCue,
} from './captions.ts';
import { assColor, formatAssTime } from './ass.ts';
import { lightenTo, parseHexColor, relativeLuminance } from './color.ts';
import { pictureInPicture } from './frame.ts';

/** Words one after another, each `step` seconds long, no pauses. */
function evenWords(texts: string[], step = 0.4, from = 0): WordTiming[] {
  return texts.map((text, i) => ({ text, start: from + i * step, end: from + (i + 1) * step }));
}

const cue = (start: number, end: number, text: string): CaptionCue => ({
  start,
  end,
  text,
  words: evenWords(text.split(' '), (end - start) / text.split(' ').length, start),
});

describe('time formats', () => {
  it('writes SRT, WebVTT and ASS times', () => {
    expect(formatSrtTime(3661.5)).toBe('01:01:01,500');
    expect(formatVttTime(3661.5)).toBe('01:01:01.500');
    expect(formatAssTime(3661.5)).toBe('1:01:01.50');
    expect(formatSrtTime(0)).toBe('00:00:00,000');
  });
  it('rounds to the millisecond without producing 1000', () => {
    expect(formatSrtTime(0.9996)).toBe('00:00:01,000');
    expect(formatVttTime(59.9999)).toBe('00:01:00.000');
    expect(formatAssTime(1.999)).toBe('0:00:02.00');
  });
});

describe('SRT and WebVTT', () => {
  const cues = [cue(0.5, 2, 'Hello there.'), cue(2, 4.25, 'Indexes make <lookups> fast & cheap')];

  it('writes SRT exactly', () => {
    expect(writeSrt(cues)).toBe(
      '1\n00:00:00,500 --> 00:00:02,000\nHello there.\n\n2\n00:00:02,000 --> 00:00:04,250\nIndexes make <lookups> fast & cheap\n',
    );
  });

  it('writes WebVTT exactly, escaping markup characters', () => {
    expect(writeVtt(cues)).toBe(
      'WEBVTT\n\n1\n00:00:00.500 --> 00:00:02.000\nHello there.\n\n2\n00:00:02.000 --> 00:00:04.250\nIndexes make &lt;lookups&gt; fast &amp; cheap\n',
    );
  });

  it('offsets every time by the intro length', () => {
    expect(writeSrt(cues, 3)).toContain('00:00:03,500 --> 00:00:05,000');
    expect(writeVtt(cues, 3)).toContain('00:00:05.000 --> 00:00:07.250');
  });

  it('wraps a long cue into two balanced lines', () => {
    const lines = wrapCaptionLines('Without an index every query scans the whole table slowly');
    expect(lines).toHaveLength(2);
    expect(lines.join(' ')).toBe('Without an index every query scans the whole table slowly');
    expect(Math.abs(lines[0].length - lines[1].length)).toBeLessThan(10);
    expect(writeSrt([cue(0, 3, 'Without an index every query scans the whole table slowly')])).toContain(
      'Without an index every query\nscans the whole table slowly',
    );
  });
});

describe('buildCaptionCues', () => {
  const manyWords = Array.from({ length: 60 }, (_, i) => `word${i}`);

  it('keeps cues within the word, duration and narration limits without overlaps', () => {
    const narrationSeconds = 24.5;
    const cues = buildCaptionCues(evenWords(manyWords, 0.4), { narrationSeconds, maxWordsPerCue: 5, maxCueSeconds: 3 });
    expect(cues.length).toBeGreaterThanOrEqual(12);
    for (const [i, c] of cues.entries()) {
      expect(c.words.length).toBeLessThanOrEqual(5);
      expect(c.end - c.start).toBeLessThanOrEqual(3 + 1e-9);
      expect(c.start).toBeGreaterThanOrEqual(0);
      expect(c.end).toBeLessThanOrEqual(narrationSeconds);
      expect(c.end).toBeGreaterThan(c.start);
      if (i > 0) expect(c.start).toBeGreaterThanOrEqual(cues[i - 1].end);
    }
    expect(cues.flatMap((c) => c.words.map((w) => w.text))).toEqual(manyWords);
  });

  it('breaks at sentence ends and at pauses', () => {
    const words: WordTiming[] = [
      ...evenWords(['One', 'sentence', 'here.', 'Then', 'more'], 0.3),
      // a pause of a second before the next word
      ...evenWords(['after', 'pause'], 0.3, 2.5),
    ];
    const cues = buildCaptionCues(words, { narrationSeconds: 4 });
    expect(cues.map((c) => c.text)).toEqual(['One sentence here.', 'Then more', 'after pause']);
  });

  it('ends a full cue at its last clause boundary', () => {
    const words = evenWords('Without an index, every query scans the whole table, which gets slow.'.split(' '), 0.3);
    const cues = buildCaptionCues(words, { narrationSeconds: 5, maxWordsPerCue: 7 });
    expect(cues.map((c) => c.text)).toEqual(['Without an index,', 'every query scans the whole table,', 'which gets slow.']);
  });

  it('stretches short cues to the minimum duration where the next cue leaves room', () => {
    const words: WordTiming[] = [
      { text: 'Hi.', start: 0, end: 0.2 },
      { text: 'There.', start: 3, end: 3.2 },
      { text: 'Now.', start: 3.5, end: 3.7 },
    ];
    const cues = buildCaptionCues(words, { narrationSeconds: 4, minCueSeconds: 1.2 });
    expect(cues.map((c) => [c.start, c.end])).toEqual([
      [0, 1.2],
      [3, 3.5],
      [3.5, 4],
    ]);
  });

  it('closes short gaps between cues so captions do not flicker', () => {
    const words: WordTiming[] = [
      { text: 'First.', start: 0, end: 1.5 },
      { text: 'Second.', start: 1.7, end: 3 },
    ];
    const [first] = buildCaptionCues(words, { narrationSeconds: 3.5 });
    expect(first.end).toBe(1.7);
  });

  it('clamps words to the narration and drops empty ones', () => {
    const words: WordTiming[] = [
      { text: ' ', start: 0, end: 0.1 },
      { text: 'Early', start: -0.2, end: 0.5 },
      { text: 'late.', start: 0.6, end: 9 },
      { text: 'Beyond', start: 10, end: 11 },
    ];
    const cues = buildCaptionCues(words, { narrationSeconds: 5 });
    expect(cues).toHaveLength(1);
    expect(cues[0]).toMatchObject({ start: 0, end: 5, text: 'Early late.' });
  });

  it('uses the defaults when options are undefined', () => {
    const cues = buildCaptionCues(evenWords(manyWords.slice(0, 20), 0.3), { narrationSeconds: 7, maxWordsPerCue: undefined });
    expect(Math.max(...cues.map((c) => c.words.length))).toBe(7);
  });
});

describe('ASS', () => {
  const frame = { width: 1920, height: 1080 };
  const base: AssOptions = { frame, aspectRatio: '16:9', offsetSeconds: 2, burnIn: true, bt709Video: false, brandColor: '#1e66f5' };
  const words: WordTiming[] = [
    { text: 'Fast', start: 0.5, end: 0.8 },
    { text: 'lookups', start: 0.84, end: 1.3 },
    { text: 'win.', start: 1.4, end: 1.9 },
  ];
  const karaokeCue: CaptionCue = { start: 0.5, end: 2.1, text: 'Fast lookups win.', words };

  it('times karaoke tags from the word timings, summing to the cue length', () => {
    const text = karaokeText(karaokeCue, 2);
    expect(text).toBe('{\\k34}Fast {\\k56}lookups {\\k70}win.');
    const total = [...text.matchAll(/\\k(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
    expect(total).toBe(Math.round((2.1 - 0.5) * 100));
  });

  it('writes karaoke dialogue with \\k tags, offset by the intro, with brand-derived highlight', () => {
    const ass = writeAss([karaokeCue], { ...base, captions: { style: 'karaoke' } });
    expect(ass).toContain('PlayResX: 1920\nPlayResY: 1080');
    expect(ass).toContain('Dialogue: 0,0:00:02.50,0:00:04.10,Caption,,0,0,0,,{\\k34}Fast {\\k56}lookups {\\k70}win.');
    const style = ass
      .split('\n')
      .find((l) => l.startsWith('Style: Caption,'))!
      .split(',');
    expect(style[2]).toBe(String(defaultCaptionFontSize('16:9', 'karaoke')));
    // Primary (spoken) is the lightened brand blue, secondary (not yet spoken) white.
    expect(style[3]).not.toBe('&H00FFFFFF');
    expect(style[3]).toBe(assColor(lightenTo(parseHexColor('#1e66f5'), 0.4)));
    expect(relativeLuminance(lightenTo(parseHexColor('#1e66f5'), 0.4))).toBeGreaterThanOrEqual(0.4);
    expect(style[4]).toBe('&H00FFFFFF');
  });

  it('writes block and minimal styles without karaoke tags', () => {
    const block = writeAss([karaokeCue], { ...base, captions: { style: 'block' } });
    expect(block).toContain(',Caption,,0,0,0,,Fast lookups win.');
    expect(block).not.toContain('\\k');
    expect(block).toMatch(/Style: Caption,DejaVu Sans,58,[^\n]*,-1,0,0,0,100,100,0,0,3,/);
    const minimal = writeAss([karaokeCue], { ...base, captions: { style: 'minimal', fontSize: 40, position: 'top' } });
    expect(minimal).toMatch(/Style: Caption,DejaVu Sans,40,[^\n]*,0,0,0,0,100,100,0,0,1,2,1,8,/);
  });

  it('chooses the font size by aspect ratio', () => {
    expect(defaultCaptionFontSize('9:16', 'block')).toBeGreaterThan(defaultCaptionFontSize('16:9', 'block'));
    const portrait = writeAss([karaokeCue], { ...base, frame: { width: 1080, height: 1920 }, aspectRatio: '9:16' });
    expect(portrait).toContain('PlayResX: 1080\nPlayResY: 1920');
    expect(portrait).toContain(`Style: Caption,DejaVu Sans,${defaultCaptionFontSize('9:16', 'block')},`);
  });

  it('escapes override braces in the text', () => {
    const ass = writeAss([{ ...karaokeCue, text: 'a {\\b1} b' }], { ...base, captions: { style: 'block' } });
    expect(ass).toContain(',,a (/b1) b');
  });

  it('draws only the cards when captions are not burned in', () => {
    const ass = writeAss([karaokeCue], {
      ...base,
      burnIn: false,
      cards: [
        { start: 0, end: 2, text: 'The title' },
        { start: 4, end: 6, text: '' },
      ],
    });
    expect(ass).not.toContain(',Caption,,');
    expect(ass).toContain('Dialogue: 1,0:00:00.00,0:00:02.00,Card,,0,0,0,,{\\fad(300,300)}The title');
    expect(ass.match(/Dialogue:/g)).toHaveLength(1);
  });

  it('keeps bottom captions clear of the presenter corner', () => {
    const pip = pictureInPicture(frame);
    const placement = captionPlacement(frame, 'bottom', 64, pip.rect);
    expect(placement.alignment).toBe(2);
    expect(frame.width - placement.marginR).toBeLessThanOrEqual(pip.rect.x);
    expect(captionPlacement(frame, 'top', 64, pip.rect).marginL).toBe(Math.round(frame.width * 0.06));

    const portrait = { width: 1080, height: 1920 };
    const portraitPip = pictureInPicture(portrait);
    const top = captionPlacement(portrait, 'top', 72, portraitPip.rect);
    expect(top.marginV).toBeGreaterThanOrEqual(portraitPip.rect.y + portraitPip.rect.height);
    expect(captionPlacement(portrait, 'bottom', 72, portraitPip.rect).marginV).toBe(Math.round(1920 * 0.2));
  });
});
