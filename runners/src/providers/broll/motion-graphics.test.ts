import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrollClip } from '../../contract/documents.ts';
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
  motionClipDrawer,
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
    expect(title).toMatch(/^\[0:v\]format=yuv420p,loop=loop=119:size=1:start=0,settb=1\/30,setpts=N,crop=1920:1080/);
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

/** Draws a clip of the manifest on its own, as the assembly draws it inside its graph, into an MP4. */
async function drawClip(ctx: TestContext, clip: BrollClip, index: number, size: { width: number; height: number }, frames: number) {
  const draw = await motionClipDrawer(clip.drawing, `clips[${index}].drawing`, join(ctx.workdir, `drawn-${index}`), {
    size,
    brandColor: '#1e66f5',
  });
  const output = join(ctx.workdir, `drawn-${index}.mp4`);
  const graph = draw(frames, { input: '[0:v]', output: '[v]', prefix: `c${index}_` });
  await runFfmpeg([
    '-i',
    join(ctx.workdir, clip.file),
    '-filter_complex',
    graph,
    '-map',
    '[v]',
    '-frames:v',
    String(frames),
    '-r',
    '30',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-y',
    output,
  ]);
  return probe(output);
}

describe('motion graphics B-roll', () => {
  let fixtures: TestContext;
  let image: string;

  beforeAll(async () => {
    fixtures = await testContext();
    image = join(fixtures.workdir, 'backdrop.png');
    await runFfmpeg(['-f', 'lavfi', '-i', 'mandelbrot=s=640x400', '-frames:v', '1', image]);
  });
  afterAll(() => fixtures.cleanup());

  it('hands over title, Ken Burns and keyword drawings over stills that cover each beat, and they draw at 1920x1080', async () => {
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
      expect(clips.map((clip) => [clip.beatId, clip.drawing?.kind])).toEqual([
        ['beat-1', 'title'],
        ['beat-1', 'kenburns'],
        ['beat-2', 'title'],
        ['beat-2', 'keywords'],
      ]);
      // Each title and keyword card over its beat's gradient; the Ken Burns move over the channel image.
      expect(clips[1].file).toBe('motion-image-1.png');
      expect(clips[0].file).toMatch(/^motion-gradient-0x[0-9a-f]{6}-0x[0-9a-f]{6}-25\.png$/);
      expect(clips[2].file).toMatch(/^motion-gradient-.*-155\.png$/);
      expect(clips[3].file).toMatch(/^motion-gradient-.*-335\.png$/);
      expect(clips[0].drawing).toMatchObject({
        beatIndex: 0,
        label: 'PART 1',
        heading: ['How an index turns a full', 'scan into a quick lookup'],
      });
      expect(clips[3].drawing).toMatchObject({ beatIndex: 1, heading: ['What it costs'] });
      expect(clips[3].drawing?.keywords?.length).toBeGreaterThan(0);
      expect(ctx.lines.at(-2)).toMatch(/^motion graphics: 4 clips \(8\.0 s\) over 4 stills in [\d.]+ s, drawn by the assembly$/);
      for (const clip of clips) {
        expect(clip.durationSeconds).toBeCloseTo(2, 5);
        const still = await probe(join(ctx.workdir, clip.file));
        expect(still.video?.codecName).toBe('png');
      }
      expect(produced.usage).toEqual({ clips: 4, seconds: 8 });
      expect(produced.costUSD).toBe(0);

      for (const [index, clip] of clips.entries()) {
        const info = await drawClip(ctx, clip, index, { width: 1920, height: 1080 }, 45);
        expect(info.video).toMatchObject({ width: 1920, height: 1080, frames: 45 });
      }
    } finally {
      await ctx.cleanup();
    }
  });

  it('draws the 9:16 frame without images', async () => {
    const ctx = await testContext({ channel: testChannel({ aspectRatio: '9:16', brandColor: '#e64553' }) });
    try {
      const script = testScript([{ heading: 'Shorts', words: 6 }]);
      const produced = await createMotionGraphicsBroll({ provider: 'motion-graphics', clipSeconds: 2 }).clips(ctx, script);
      const [plannedBeat] = planBrollClips(script, { clipSeconds: 2 });
      expect(produced.value.clips).toHaveLength(1);
      expect(produced.value.clips[0].durationSeconds).toBeCloseTo(plannedBeat.seconds, 5);
      expect(plannedBeat.seconds).toBeCloseTo(2.4, 5);
      const info = await drawClip(ctx, produced.value.clips[0], 0, { width: 1080, height: 1920 }, 72);
      expect(info.video).toMatchObject({ width: 1080, height: 1920, frames: 72 });
    } finally {
      await ctx.cleanup();
    }
  });

  it('refuses a malformed drawing, naming the field', async () => {
    const style = { size: { width: 1920, height: 1080 } };
    const stem = join(fixtures.workdir, 'bad');
    await expect(motionClipDrawer({ kind: 'spiral', beatIndex: 0, heading: [] }, 'clips[2].drawing', stem, style)).rejects.toThrow(
      'clips[2].drawing.kind must be one of title, keywords, kenburns',
    );
    await expect(motionClipDrawer({ kind: 'title', beatIndex: -1, heading: [] }, 'd', stem, style)).rejects.toThrow('d.beatIndex must be');
    await expect(motionClipDrawer({ kind: 'title', beatIndex: 0, heading: 'x' }, 'd', stem, style)).rejects.toThrow(
      'd.heading must be a list',
    );
    await expect(motionClipDrawer(null, 'd', stem, style)).rejects.toThrow('d is not an object');
  });
});
