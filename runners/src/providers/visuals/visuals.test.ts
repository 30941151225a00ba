import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { brandPalette, darken, ffmpegColor, lighten, mix, parseHexColor, rotateHue } from './color.ts';
import { conformArgs, conformVideoFilter } from './conform.ts';
import { escapeFilterValue, parseFrameRate, progressSeconds, probeMedia, quarterLogger, runFfmpeg, FfmpegError } from './ffmpeg.ts';
import { avatarFrameSize, frameSize, framesFor, orientationOf } from './frame.ts';
import { gradientExpressions, gradientFilter, renderGradient } from './gradient.ts';
import { channelImagePaths, localImagePath } from './images.ts';
import { credentialHint, nextPollDelay, waitOrWake } from './remote.ts';
import { capitalize, initialsOf, wrapText } from './text.ts';

describe('colours', () => {
  it('reads brand colours and falls back on nonsense', () => {
    expect(parseHexColor('#1e66f5')).toEqual({ r: 30, g: 102, b: 245 });
    expect(parseHexColor('abc')).toEqual({ r: 170, g: 187, b: 204 });
    expect(parseHexColor('purple')).toEqual(parseHexColor('#1e66f5'));
    expect(ffmpegColor({ r: 30, g: 102, b: 245 })).toBe('0x1e66f5');
    expect(ffmpegColor({ r: 300, g: -4, b: 10.6 })).toBe('0xff000b');
  });

  it('mixes, darkens, lightens and turns hues', () => {
    expect(mix({ r: 0, g: 0, b: 0 }, { r: 200, g: 100, b: 50 }, 0.5)).toEqual({ r: 100, g: 50, b: 25 });
    expect(darken({ r: 200, g: 100, b: 50 }, 1)).toEqual({ r: 0, g: 0, b: 0 });
    expect(lighten({ r: 0, g: 0, b: 0 }, 1)).toEqual({ r: 255, g: 255, b: 255 });
    expect(ffmpegColor(rotateHue({ r: 255, g: 0, b: 0 }, 120))).toBe('0x00ff00');
    expect(ffmpegColor(rotateHue({ r: 128, g: 128, b: 128 }, 90))).toBe('0x808080');
  });

  it('gives consecutive beats related palettes', () => {
    const first = brandPalette('#1e66f5', 0);
    const second = brandPalette('#1e66f5', 1);
    expect(first.backgroundFrom).not.toEqual(second.backgroundFrom);
    expect(brandPalette('#1e66f5', 5)).toEqual(first);
    expect(first.text).toEqual({ r: 255, g: 255, b: 255 });
  });
});

describe('text', () => {
  it('wraps at words and ends what does not fit with an ellipsis', () => {
    expect(wrapText('How an index turns a full scan into a quick lookup', 20, 3)).toEqual([
      'How an index turns a',
      'full scan into a',
      'quick lookup',
    ]);
    expect(wrapText('one two three four five six', 7, 2)).toEqual(['one two', 'three…']);
    expect(wrapText('Supercalifragilistic', 8, 1)).toEqual(['Superca…']);
    expect(wrapText('  ', 10, 2)).toEqual([]);
  });

  it('takes initials of the first and last names', () => {
    expect(initialsOf('Ada Lovelace')).toBe('AL');
    expect(initialsOf('Ada')).toBe('A');
    expect(initialsOf('grace brewster murray hopper')).toBe('GH');
    expect(initialsOf('  ')).toBe('?');
    expect(capitalize(' cache ')).toBe('Cache');
  });
});

describe('frames', () => {
  it('sizes the frame and the presenter', () => {
    expect(frameSize('16:9')).toEqual({ width: 1920, height: 1080 });
    expect(frameSize('9:16')).toEqual({ width: 1080, height: 1920 });
    expect(avatarFrameSize({ aspectRatio: '9:16', layout: 'avatar-full' })).toEqual({ width: 1080, height: 1920 });
    expect(avatarFrameSize({ aspectRatio: '16:9', layout: 'avatar-pip' })).toEqual({ width: 720, height: 720 });
    expect(avatarFrameSize({ aspectRatio: '16:9' })).toEqual({ width: 720, height: 720 });
    expect(framesFor(2.01)).toBe(60);
    expect(framesFor(0)).toBe(1);
    expect(orientationOf({ width: 720, height: 720 })).toBe('square');
  });
});

describe('ffmpeg helpers', () => {
  it('escapes a path for a filter option inside a filtergraph', () => {
    expect(escapeFilterValue('/tmp/work/a.txt')).toBe('/tmp/work/a.txt');
    expect(escapeFilterValue("/tmp/it's:here/[x],y;z")).toBe("/tmp/it\\\\\\'s\\\\:here/\\[x\\]\\,y\\;z");
  });

  it('reads progress and frame rates', () => {
    expect(progressSeconds('out_time_us=2500000')).toBe(2.5);
    expect(progressSeconds('out_time_ms=1000000')).toBe(1);
    expect(progressSeconds('frame=12')).toBeUndefined();
    expect(parseFrameRate('30000/1001')).toBeCloseTo(29.97, 2);
    expect(parseFrameRate('30/1')).toBe(30);
    expect(parseFrameRate('0/0')).toBe(0);
    expect(parseFrameRate(undefined)).toBe(0);
  });

  it('logs each quarter of a long render once', () => {
    const lines: string[] = [];
    const onProgress = quarterLogger((line) => lines.push(line), 'audiogram');
    for (const fraction of [0.1, 0.26, 0.3, 0.55, 0.8, 1]) onProgress({ seconds: fraction * 60, fraction });
    expect(lines).toEqual(['audiogram: 25 % (15.6 s)', 'audiogram: 50 % (33.0 s)', 'audiogram: 75 % (48.0 s)']);
  });

  it('quotes ffmpeg when it fails', async () => {
    const error = await runFfmpeg(['-i', '/nonexistent/input.mp4', '/tmp/out.mp4']).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FfmpegError);
    expect((error as Error).message).toMatch(/ffmpeg failed \(exit 1\): .*nonexistent/);
  });

  it('renders a gradient still, reports progress and probes it', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'acog-visuals-test-'));
    try {
      const still = await renderGradient(join(folder, 'g.png'), {
        width: 640,
        height: 360,
        from: { r: 0, g: 0, b: 40 },
        to: { r: 30, g: 100, b: 245 },
        angle: 30,
        vignette: 0.3,
      });
      const info = await probeMedia(still);
      expect(info.video).toMatchObject({ width: 640, height: 360 });

      const seen: number[] = [];
      const clip = join(folder, 'c.mp4');
      await runFfmpeg(['-f', 'lavfi', '-i', 'color=c=red:s=160x90:r=30:d=1', '-c:v', 'libx264', '-preset', 'ultrafast', clip], {
        expectedSeconds: 1,
        onProgress: (progress) => seen.push(progress.fraction ?? -1),
      });
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.at(-1)).toBeCloseTo(1, 1);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describe('gradients', () => {
  it('runs from the first colour to the second along the angle, darkened towards the corners', () => {
    const { r } = gradientExpressions({ from: { r: 10, g: 0, b: 0 }, to: { r: 250, g: 0, b: 0 }, angle: 0, vignette: 0.4 });
    expect(r).toBe('(10+(240)*clip(((X/W-0.5)*1+(Y/H-0.5)*0)*1+0.5,0,1))*(1-0.4*1.414*hypot(X/W-0.5,Y/H-0.5))');
    expect(
      gradientFilter({ width: 1920, height: 1080, from: { r: 0, g: 0, b: 0 }, to: { r: 1, g: 1, b: 1 }, angle: 45, vignette: 0 }),
    ).toMatch(/^format=rgb24,geq=r='.*':g='.*':b='.*',scale=1920:1080:flags=bicubic$/);
  });
});

describe('conform', () => {
  const base = { input: '/in.mp4', output: '/out.mp4', width: 1920, height: 1080 };

  it('covers, crops and sets 30 fps', () => {
    expect(conformVideoFilter({ width: 1920, height: 1080 })).toBe(
      'scale=1920:1080:force_original_aspect_ratio=increase:flags=bicubic,crop=1920:1080,setsar=1,fps=30,format=yuv420p',
    );
  });

  it('trims a long input to the exact frames, skipping its start when asked', () => {
    const args = conformArgs({ ...base, seconds: 4, inputSeconds: 20, startSeconds: 1 });
    expect(args.slice(0, 4)).toEqual(['-ss', '1.000', '-i', '/in.mp4']);
    expect(args).toContain('-an');
    expect(args.slice(-3)).toEqual(['-frames:v', '120', '/out.mp4']);
  });

  it('loops a short B-roll input and holds the last frame of a short presenter', () => {
    expect(conformArgs({ ...base, seconds: 6, inputSeconds: 2, loopShortInput: true }).slice(0, 2)).toEqual(['-stream_loop', '-1']);
    const held = conformArgs({ ...base, seconds: 6, inputSeconds: 5.5, audio: '/narration.wav' });
    expect(held.join(' ')).toContain('tpad=stop_mode=clone:stop_duration=1');
    expect(held.join(' ')).toContain('-map 1:a -c:a aac -b:a 160k -t 6.000');
  });
});

describe('channel images', () => {
  it('uses file:// and absolute paths that exist, after the local copies given', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'acog-images-test-'));
    try {
      const a = join(folder, 'a.png');
      const b = join(folder, 'b.png');
      await writeFile(a, 'a');
      await writeFile(b, 'b');
      expect(localImagePath(pathToFileURL(a).href)).toBe(a);
      expect(localImagePath('https://example.com/x.png')).toBeUndefined();
      expect(await channelImagePaths([pathToFileURL(a).href, 's3://bucket/x.png', join(folder, 'missing.png'), a], [b])).toEqual([b, a]);
      expect(await channelImagePaths(undefined)).toEqual([]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describe('remote helpers', () => {
  it('names the key and the Secret it comes from', () => {
    expect(credentialHint('PEXELS_API_KEY', { name: 'stock' })).toBe('PEXELS_API_KEY (key PEXELS_API_KEY of Secret stock)');
    expect(credentialHint('PEXELS_API_KEY', { name: 'stock', key: 'pexels' })).toBe('PEXELS_API_KEY (key pexels of Secret stock)');
    expect(credentialHint('PEXELS_API_KEY')).toBe("PEXELS_API_KEY (from the Secret named in the Channel's providers)");
  });

  it('grows the poll interval up to its bound', () => {
    const bounds = { min: 10_000, max: 60_000 };
    const delays: number[] = [];
    let delay: number | undefined;
    for (let poll = 0; poll < 6; poll++) delays.push((delay = nextPollDelay(delay, bounds)));
    expect(delays).toEqual([10_000, 15_000, 22_500, 33_750, 50_625, 60_000]);
  });

  it('wakes early when told, and otherwise sleeps no later than the deadline', async () => {
    let started = Date.now();
    expect(await waitOrWake(5_000, { wake: new Promise<void>((resolve) => setTimeout(resolve, 20)), deadline: Date.now() + 10_000 })).toBe(
      true,
    );
    expect(Date.now() - started).toBeLessThan(2_000);
    started = Date.now();
    expect(await waitOrWake(5_000, { deadline: Date.now() + 30 })).toBe(false);
    expect(Date.now() - started).toBeLessThan(2_000);
    started = Date.now();
    expect(await waitOrWake(40, { wake: Promise.reject(new Error('webhook down')), deadline: Date.now() + 10_000 })).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(35);
  });
});
