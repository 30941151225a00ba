import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AvatarDrawing, Narration } from '../../contract/documents.ts';
import { parseHexColor } from '../../media/color.ts';
import { probe, runFfmpeg } from '../../media/ffmpeg.ts';
import { framesFor } from '../../media/frame.ts';
import type { TestContext } from '../testing.ts';
import { testChannel, testContext, testNarration } from '../visuals/testing.ts';
import {
  AUDIOGRAM_BACKGROUND,
  AUDIOGRAM_PORTRAIT,
  audiogramDrawer,
  audiogramFilter,
  audiogramLayout,
  checkAvatarDrawing,
  createAudiogramAvatar,
  portraitFilter,
} from './audiogram.ts';
import type { AvatarDrawn } from './types.ts';

describe('audiogram layout and filters', () => {
  for (const size of [
    { width: 302, height: 302 },
    { width: 538, height: 538 },
    { width: 720, height: 720 },
    { width: 1920, height: 1080 },
    { width: 1080, height: 1920 },
  ]) {
    it(`keeps everything inside ${size.width}x${size.height}`, () => {
      const layout = audiogramLayout(size);
      const portrait = layout.ring + 2 * layout.shadowMargin;
      expect(layout.centreY - (portrait * 1.025) / 2).toBeGreaterThanOrEqual(0);
      expect(layout.nameY).toBeGreaterThan(layout.centreY + layout.ring / 2);
      expect(layout.waveY).toBeGreaterThan(layout.nameY + layout.nameSize);
      expect(layout.waveY + 2 * layout.barHeight).toBeLessThanOrEqual(size.height);
      expect(2 * layout.bars * layout.barWidth).toBeLessThanOrEqual(size.width);
      expect(layout.disc % 2).toBe(0);
    });
  }

  it('feeds stills through the loop filter and draws one spectrum per frame', () => {
    const layout = audiogramLayout({ width: 720, height: 720 });
    const filter = audiogramFilter({ layout, frames: 90, nameFile: '/w/name.txt', barColor: parseHexColor('#ffffff') });
    expect(filter).toContain('[0:v]loop=loop=89:size=1:start=0,settb=1/30,setpts=N');
    expect(filter).toContain('aresample=7680');
    expect(filter).toContain('win_size=256:overlap=0');
    expect(filter).toContain('textfile=/w/name.txt');
    expect(filter).toContain('eval=frame');
  });

  it('draws initials when there is no image', () => {
    const layout = audiogramLayout({ width: 720, height: 720 });
    const colors = { discColor: parseHexColor('#1e66f5'), ringColor: parseHexColor('#8fb3ff') };
    expect(portraitFilter({ layout, ...colors, withImage: false, initialsFile: '/w/initials.txt' })).toContain('textfile=/w/initials.txt');
    expect(portraitFilter({ layout, ...colors, withImage: true })).toMatch(/^\[0:v\]scale=/);
  });
});

describe('checkAvatarDrawing', () => {
  const good: AvatarDrawing = {
    kind: 'audiogram',
    width: 302,
    height: 302,
    background: AUDIOGRAM_BACKGROUND,
    portrait: AUDIOGRAM_PORTRAIT,
    name: 'Ada Lovelace',
    barColor: '#d2e0fd',
  };

  it('keeps a good drawing, and only its own fields', () => {
    expect(checkAvatarDrawing({ ...good, extra: 'x' }, 'avatar.json')).toEqual(good);
  });

  it.each([
    [null, 'avatar.json is not an object'],
    [{ ...good, kind: 'heygen' }, 'avatar.json.kind must be audiogram, got "heygen"'],
    [{ ...good, width: 301 }, 'avatar.json.width must be an even whole number of pixels from 64 to 4096'],
    [{ ...good, height: 8192 }, 'avatar.json.height must be an even whole number of pixels from 64 to 4096'],
    [{ ...good, background: '../secret.png' }, "avatar.json.background must name one of the avatar stage's artifacts"],
    [{ ...good, portrait: 7 }, "avatar.json.portrait must name one of the avatar stage's artifacts"],
    [{ ...good, name: 'x'.repeat(201) }, 'avatar.json.name must be text of at most 200 characters'],
    [{ ...good, barColor: 'white' }, 'avatar.json.barColor must be #rrggbb'],
  ])('refuses %j naming the field', (value, message) => {
    expect(() => checkAvatarDrawing(value, 'avatar.json')).toThrow(message);
  });
});

describe('audiogram avatar', () => {
  let fixtures: TestContext;
  let audio: string;
  let image: string;
  let narration: Narration;

  beforeAll(async () => {
    fixtures = await testContext();
    ({ audio, narration } = await testNarration(fixtures.workdir, 'An index is a sorted copy of a column.'));
    image = join(fixtures.workdir, 'presenter.png');
    await runFfmpeg(['-f', 'lavfi', '-i', 'mandelbrot=s=480x360', '-frames:v', '1', image]);
  });
  afterAll(() => fixtures.cleanup());

  async function render(ctx: TestContext, options: Parameters<typeof createAudiogramAvatar>[1] = {}) {
    const produced = await createAudiogramAvatar({ provider: 'audiogram' }, options).render(ctx, narration, audio);
    expect('drawing' in produced.value).toBe(true);
    const { drawing } = produced.value as AvatarDrawn;
    const [background, portrait] = await Promise.all([
      probe(join(ctx.workdir, drawing.background)),
      probe(join(ctx.workdir, drawing.portrait)),
    ]);
    return { produced, drawing, background, portrait };
  }

  /** The drawing drawn as the assembly draws it (the same graph, relabelled), encoded alone so that it can be checked. */
  async function draw(ctx: TestContext, drawing: AvatarDrawing): Promise<string> {
    const drawer = await audiogramDrawer(
      checkAvatarDrawing(drawing, 'avatar.json'),
      { background: join(ctx.workdir, drawing.background), portrait: join(ctx.workdir, drawing.portrait) },
      join(ctx.workdir, 'name.txt'),
    );
    const frames = framesFor(narration.durationSeconds);
    const graph = drawer.draw(frames, { input: '[1:v]', output: '[drawn]', prefix: 'av_', more: { '1:v': '[2:v]', '2:a': '[0:a]' } });
    const out = join(ctx.workdir, 'drawn.mp4');
    await runFfmpeg([
      ...['-i', audio, '-i', drawer.stills[0], '-i', drawer.stills[1]],
      ...['-filter_complex', graph, '-map', '[drawn]', '-r', '30', '-c:v', 'libx264', '-preset', 'ultrafast', '-y', out],
    ]);
    expect(await readFile(join(ctx.workdir, 'name.txt'), 'utf8')).toBe(drawing.name);
    return out;
  }

  it('hands the picture-in-picture square over as stills and a drawing, which the assembly draws as long as the narration', async () => {
    const ctx = await testContext({ channel: testChannel({ layout: 'avatar-pip' }) });
    try {
      const { produced, drawing, background, portrait } = await render(ctx);
      // Drawn at the size the picture-in-picture shows it, not larger.
      expect(drawing).toEqual({
        kind: 'audiogram',
        width: 302,
        height: 302,
        background: AUDIOGRAM_BACKGROUND,
        portrait: AUDIOGRAM_PORTRAIT,
        name: 'Ada Lovelace',
        barColor: '#d2e0fd',
      });
      expect(background.video).toMatchObject({ codecName: 'png', width: 302, height: 302 });
      const layout = audiogramLayout(drawing);
      const portraitSize = layout.ring + 2 * layout.shadowMargin;
      expect(portrait.video).toMatchObject({ codecName: 'png', width: portraitSize, height: portraitSize });
      expect(produced.costUSD).toBe(0);
      expect(produced.usage).toEqual({ seconds: narration.durationSeconds });
      expect(ctx.lines.some((line) => line.includes('(initials)'))).toBe(true);

      const info = await probe(await draw(ctx, drawing));
      expect(info.video).toMatchObject({ width: 302, height: 302 });
      expect(info.video?.frames).toBe(framesFor(narration.durationSeconds));
    } finally {
      await ctx.cleanup();
    }
  });

  it('draws the full 16:9 frame around the channel image given as a file:// URI', async () => {
    const ctx = await testContext({
      channel: testChannel({ layout: 'avatar-full', aspectRatio: '16:9', images: [pathToFileURL(image).href] }),
    });
    try {
      const { drawing, background } = await render(ctx);
      expect(drawing).toMatchObject({ width: 1920, height: 1080 });
      expect(background.video).toMatchObject({ width: 1920, height: 1080 });
      expect(ctx.lines.some((line) => line.includes('(channel image)'))).toBe(true);
      const info = await probe(await draw(ctx, drawing));
      expect(info.video).toMatchObject({ width: 1920, height: 1080 });
      expect(info.video?.frames).toBe(framesFor(narration.durationSeconds));
    } finally {
      await ctx.cleanup();
    }
  });

  it('uses the local copy of a remote channel image, and initials when there is none', async () => {
    const images = ['s3://acog-assets/channel/presenter.png'];
    const withCopy = await testContext({ channel: testChannel({ layout: 'avatar-full', aspectRatio: '9:16', images }) });
    const without = await testContext({ channel: testChannel({ layout: 'avatar-pip', images }) });
    try {
      const { background } = await render(withCopy, { imagePath: image });
      expect(background.video).toMatchObject({ width: 1080, height: 1920 });
      expect(withCopy.lines.some((line) => line.includes('(channel image)'))).toBe(true);

      await render(without);
      expect(without.lines.some((line) => line.includes('(initials)'))).toBe(true);
      expect(without.lines.some((line) => line.includes('s3://acog-assets/channel/presenter.png is not on this runner'))).toBe(true);
    } finally {
      await withCopy.cleanup();
      await without.cleanup();
    }
  });
});
