import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probe } from './ffmpeg.ts';
import { buildThumbnailArgs, renderThumbnail, thumbnailAss, thumbnailFontSize } from './thumbnail.ts';

describe('thumbnail text', () => {
  it('is large for a few words and smaller for long text', () => {
    expect(thumbnailFontSize('Indexes')).toBe(150);
    expect(thumbnailFontSize('Why your cache is slow')).toBe(124);
    expect(thumbnailFontSize('A much longer thumbnail text that wraps onto lines')).toBe(80);
  });

  it('is bold, outlined and centred on a 1280x720 script', () => {
    const ass = thumbnailAss('Indexes {fast}');
    expect(ass).toContain('PlayResX: 1280\nPlayResY: 720');
    expect(ass).toMatch(/Style: Thumbnail,DejaVu Sans,124,&H00FFFFFF,&H00FFFFFF,&H00000000,&H60000000,-1,0,0,0,100,100,0,0,1,10,6,5,/);
    expect(ass).toContain(',,Indexes (fast)');
  });
});

describe('thumbnail arguments', () => {
  const spec = { outputPath: '/w/thumbnail.jpg', assPath: '/w/thumbnail.ass', text: 'Indexes', brandColor: '#1e66f5' };

  it('takes a frame of the source, covers 1280x720 and writes one JPEG frame', () => {
    const args = buildThumbnailArgs({ ...spec, source: { path: '/w/clip.mp4', atSeconds: 1 } });
    expect(args.slice(0, 4)).toEqual(['-ss', '1.000', '-i', '/w/clip.mp4']);
    const graph = args[args.indexOf('-filter_complex') + 1];
    expect(graph).toContain('scale=1280:720:force_original_aspect_ratio=increase,crop=1280:720');
    expect(graph).toContain('ass=filename=/w/thumbnail.ass');
    expect(args).toEqual(expect.arrayContaining(['-frames:v', '1']));
    expect(args.at(-1)).toBe('/w/thumbnail.jpg');
  });

  it('falls back to the brand gradient', () => {
    const args = buildThumbnailArgs(spec);
    expect(args).not.toContain('-i');
    expect(args[args.indexOf('-filter_complex') + 1]).toMatch(/^gradients=s=1280x720:c0=0x1e66f5:c1=0x[0-9a-f]{6}/);
  });
});

describe('rendering', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'acog-thumbnail-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('renders a 1280x720 JPEG under 2 MB from the brand gradient', async () => {
    const outputPath = path.join(dir, 'thumbnail.jpg');
    await renderThumbnail({ outputPath, assPath: path.join(dir, 'thumbnail.ass'), text: 'Why your cache is slow', brandColor: '#e64553' });
    const facts = await probe(outputPath);
    expect(facts.video).toMatchObject({ codecName: 'mjpeg', width: 1280, height: 720 });
    expect((await stat(outputPath)).size).toBeLessThan(2 * 1024 * 1024);
  });
});
