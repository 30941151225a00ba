import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Narration } from '../../contract/documents.ts';
import { parseHexColor } from '../../media/color.ts';
import { probe, runFfmpeg } from '../../media/ffmpeg.ts';
import type { TestContext } from '../testing.ts';
import { testChannel, testContext, testNarration } from '../visuals/testing.ts';
import { audiogramFilter, audiogramLayout, createAudiogramAvatar, portraitFilter } from './audiogram.ts';

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
    expect(filter).toContain('[0:v]loop=loop=89:size=1:start=0,setpts=N/30/TB');
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
    const started = Date.now();
    const produced = await createAudiogramAvatar({ provider: 'audiogram' }, options).render(ctx, narration, audio);
    const info = await probe(join(ctx.workdir, produced.value.file));
    ctx.log(`rendered in ${Date.now() - started} ms`);
    return { produced, info };
  }

  it('renders the picture-in-picture square from the initials, exactly as long as the narration', async () => {
    const ctx = await testContext({ channel: testChannel({ layout: 'avatar-pip' }) });
    try {
      const { produced, info } = await render(ctx);
      // Rendered at the size the picture-in-picture shows it, not larger.
      expect(produced.value).toEqual({ file: 'avatar.mp4', width: 302, height: 302 });
      expect(info.video).toMatchObject({ codecName: 'h264', width: 302, height: 302, averageFrameRate: 30, pixelFormat: 'yuv420p' });
      expect(Math.abs(info.durationSeconds - narration.durationSeconds)).toBeLessThanOrEqual(0.1);
      expect(Math.abs((info.video?.frames ?? 0) / 30 - narration.durationSeconds)).toBeLessThanOrEqual(0.1);
      expect(info.audio?.codecName).toBe('aac');
      expect(produced.costUSD).toBe(0);
      expect(ctx.lines.some((line) => line.includes('(initials)'))).toBe(true);
    } finally {
      await ctx.cleanup();
    }
  });

  it('renders the full 16:9 frame around the channel image given as a file:// URI', async () => {
    const ctx = await testContext({
      channel: testChannel({ layout: 'avatar-full', aspectRatio: '16:9', images: [pathToFileURL(image).href] }),
    });
    try {
      const { produced, info } = await render(ctx);
      expect(produced.value).toMatchObject({ width: 1920, height: 1080 });
      expect(info.video).toMatchObject({ codecName: 'h264', width: 1920, height: 1080, averageFrameRate: 30, pixelFormat: 'yuv420p' });
      expect(Math.abs(info.durationSeconds - narration.durationSeconds)).toBeLessThanOrEqual(0.1);
      expect(ctx.lines.some((line) => line.includes('(channel image)'))).toBe(true);
    } finally {
      await ctx.cleanup();
    }
  });

  it('uses the local copy of a remote channel image, and initials when there is none', async () => {
    const images = ['s3://acog-assets/channel/presenter.png'];
    const withCopy = await testContext({ channel: testChannel({ layout: 'avatar-full', aspectRatio: '9:16', images }) });
    const without = await testContext({ channel: testChannel({ layout: 'avatar-pip', images }) });
    try {
      const { info } = await render(withCopy, { imagePath: image });
      expect(info.video).toMatchObject({ width: 1080, height: 1920, averageFrameRate: 30 });
      expect(withCopy.lines.some((line) => line.includes('(channel image)'))).toBe(true);

      const { info: fallback } = await render(without);
      expect(Math.abs(fallback.durationSeconds - narration.durationSeconds)).toBeLessThanOrEqual(0.1);
      expect(without.lines.some((line) => line.includes('s3://acog-assets/channel/presenter.png is not on this runner'))).toBe(true);
    } finally {
      await withCopy.cleanup();
      await without.cleanup();
    }
  });
});
