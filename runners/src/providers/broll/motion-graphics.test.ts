import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brandPalette } from '../../media/color.ts';
import { probe, runFfmpeg } from '../../media/ffmpeg.ts';
import type { TestContext } from '../testing.ts';
import { testChannel, testContext, testScript } from '../visuals/testing.ts';
import {
  cardLayout,
  clipKeywords,
  createMotionGraphicsBroll,
  easeOut,
  kenBurnsFilter,
  kenBurnsMove,
  keywordsCardFilter,
  motionKind,
  titleCardFilter,
} from './motion-graphics.ts';
import { planBrollClips } from './plan.ts';

describe('motion graphics choices', () => {
  it('opens each beat on its title, then alternates Ken Burns moves and keyword cards', () => {
    const kinds = (beatIndex: number, images: number) => [0, 1, 2, 3].map((index) => motionKind({ beatIndex, index }, images));
    expect(kinds(0, 2)).toEqual(['title', 'kenburns', 'keywords', 'kenburns']);
    expect(kinds(1, 2)).toEqual(['title', 'keywords', 'kenburns', 'keywords']);
    expect(kinds(0, 0)).toEqual(['title', 'keywords', 'keywords', 'keywords']);
  });

  it('takes the cue keywords, else long words of the description', () => {
    expect(
      clipKeywords({ heading: 'H', cue: { description: 'd', keywords: ['b-tree', 'b-tree', ' pages ', '', 'keys', 'rows', 'more'] } }),
    ).toEqual(['b-tree', 'pages', 'keys', 'rows']);
    expect(clipKeywords({ heading: 'Why scans are slow', cue: { description: 'a slow conveyor belt of boxes', keywords: [] } })).toEqual([
      'slow',
      'conveyor',
      'belt',
      'boxes',
    ]);
    expect(clipKeywords({ heading: 'Cost' })).toEqual(['Cost']);
    expect(clipKeywords({ heading: ' ' })).toEqual([]);
  });

  it('lays type out inside both frame shapes', () => {
    for (const size of [
      { width: 1920, height: 1080 },
      { width: 1080, height: 1920 },
    ]) {
      const layout = cardLayout(size);
      expect(layout.margin * 2 + layout.headingChars * layout.headingSize * 0.62).toBeLessThanOrEqual(size.width);
      expect(layout.headingLines * layout.headingSize * 1.2).toBeLessThan(size.height / 2);
    }
  });

  it('eases out over the given window', () => {
    expect(easeOut(0.2, 0.5)).toBe('(1-pow(1-clip((t-0.2)/0.5,0,1),3))');
  });

  it('builds filtergraphs that loop the gradient still and read text from files', () => {
    const size = { width: 1920, height: 1080 };
    const palette = brandPalette('#1e66f5');
    const title = titleCardFilter({
      size,
      frames: 120,
      palette,
      headingFile: '/w/h.txt',
      headingLineCount: 2,
      labelFile: '/w/l.txt',
      numberFile: '/w/n.txt',
    });
    expect(title).toMatch(/^\[0:v\]format=yuv420p,loop=loop=119:size=1:start=0,setpts=N\/30\/TB,crop=1920:1080/);
    expect(title).toContain('textfile=/w/h.txt:expansion=none');
    expect(title).toContain('color=c=0x');
    const keywords = keywordsCardFilter({
      size,
      frames: 60,
      palette,
      headingFile: '/w/h.txt',
      keywordFiles: ['/w/k1.txt', '/w/k2.txt'],
      markerFile: '/w/m.txt',
      numberFile: '/w/n.txt',
    });
    expect(keywords.match(/textfile=\/w\/k\d\.txt/g)).toHaveLength(2);
    const kenBurns = kenBurnsFilter({ size, frames: 60, variant: 1, headingFile: '/w/h.txt' });
    expect(kenBurns).toContain('zoompan=');
    expect(kenBurns).toContain(':d=60:s=1920x1080:fps=30');
  });

  it('has four Ken Burns moves', () => {
    const moves = [0, 1, 2, 3].map((variant) => kenBurnsMove(variant, 90));
    expect(new Set(moves.map((move) => JSON.stringify(move))).size).toBe(4);
    expect(kenBurnsMove(4, 90)).toEqual(moves[0]);
    expect(moves[0].zoom).toBe('1+0.18*(on/89)');
  });
});

describe('motion graphics B-roll', () => {
  let fixtures: TestContext;
  let image: string;

  beforeAll(async () => {
    fixtures = await testContext();
    image = join(fixtures.workdir, 'backdrop.png');
    await runFfmpeg(['-f', 'lavfi', '-i', 'mandelbrot=s=640x400', '-frames:v', '1', image]);
  });
  afterAll(() => fixtures.cleanup());

  it('renders title, Ken Burns and keyword clips at 1920x1080 that cover each beat', async () => {
    const ctx = await testContext({ channel: testChannel({ aspectRatio: '16:9', images: [pathToFileURL(image).href] }) });
    try {
      // 10 words at 150 words a minute: 4 s a beat, two clips of 2 s.
      const script = testScript([
        { heading: 'How an index turns a full scan into a quick lookup', words: 10, keywords: ['b-tree', 'sorted keys'] },
        { heading: 'What it costs', words: 10 },
      ]);
      const started = Date.now();
      const produced = await createMotionGraphicsBroll({ provider: 'motion-graphics', clipSeconds: 2 }).clips(ctx, script);
      ctx.log(`4 clips in ${Date.now() - started} ms`);
      const { clips } = produced.value;
      expect(clips.map((clip) => [clip.beatId, clip.file])).toEqual([
        ['beat-1', 'broll-beat-1-1.mp4'],
        ['beat-1', 'broll-beat-1-2.mp4'],
        ['beat-2', 'broll-beat-2-1.mp4'],
        ['beat-2', 'broll-beat-2-2.mp4'],
      ]);
      expect(ctx.lines.filter((line) => /\((title|kenburns|keywords),/.test(line)).map((line) => /\((\w+),/.exec(line)?.[1])).toEqual([
        'title',
        'kenburns',
        'title',
        'keywords',
      ]);
      for (const clip of clips) {
        const info = await probe(join(ctx.workdir, clip.file));
        expect(info.video).toMatchObject({ codecName: 'h264', width: 1920, height: 1080, averageFrameRate: 30, pixelFormat: 'yuv420p' });
        expect(info.audio).toBeUndefined();
        expect(Math.abs(info.durationSeconds - clip.durationSeconds)).toBeLessThanOrEqual(0.1);
        expect(clip.durationSeconds).toBeCloseTo(2, 5);
      }
      expect(produced.usage).toEqual({ clips: 4, seconds: 8 });
      expect(produced.costUSD).toBe(0);
    } finally {
      await ctx.cleanup();
    }
  });

  it('renders the 9:16 frame without images', async () => {
    const ctx = await testContext({ channel: testChannel({ aspectRatio: '9:16', brandColor: '#e64553' }) });
    try {
      const script = testScript([{ heading: 'Shorts', words: 6 }]);
      const produced = await createMotionGraphicsBroll({ provider: 'motion-graphics', clipSeconds: 2 }).clips(ctx, script);
      const [plannedBeat] = planBrollClips(script, { clipSeconds: 2 });
      expect(produced.value.clips).toHaveLength(1);
      const info = await probe(join(ctx.workdir, produced.value.clips[0].file));
      expect(info.video).toMatchObject({ codecName: 'h264', width: 1080, height: 1920, averageFrameRate: 30, pixelFormat: 'yuv420p' });
      expect(Math.abs(info.durationSeconds - plannedBeat.seconds)).toBeLessThanOrEqual(0.1);
      expect(plannedBeat.seconds).toBeCloseTo(2.4, 5);
    } finally {
      await ctx.cleanup();
    }
  });
});
