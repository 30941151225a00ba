import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { probe, runFfmpeg } from '../../media/ffmpeg.ts';
import { conformArgs, conformVideoFilter } from './conform.ts';
import { gradientExpressions, gradientFilter, renderGradient } from './gradient.ts';
import { channelImagePaths, localImagePath } from './images.ts';
import { credentialHint, nextPollDelay, waitOrWake } from './remote.ts';
import { capitalize, initialsOf, wrapText } from './text.ts';

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

describe('gradients', () => {
  it('runs from the first colour to the second along the angle, darkened towards the corners', () => {
    const { r } = gradientExpressions({ from: { r: 10, g: 0, b: 0 }, to: { r: 250, g: 0, b: 0 }, angle: 0, vignette: 0.4 });
    expect(r).toBe('(10+(240)*clip(((X/W-0.5)*1+(Y/H-0.5)*0)*1+0.5,0,1))*(1-0.4*1.414*hypot(X/W-0.5,Y/H-0.5))');
    expect(
      gradientFilter({ width: 1920, height: 1080, from: { r: 0, g: 0, b: 0 }, to: { r: 1, g: 1, b: 1 }, angle: 45, vignette: 0 }),
    ).toMatch(/^format=rgb24,geq=r='.*':g='.*':b='.*',scale=1920:1080:flags=bicubic$/);
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
      const info = await probe(still);
      expect(info.video).toMatchObject({ width: 640, height: 360 });

      const seen: number[] = [];
      const clip = join(folder, 'c.mp4');
      await runFfmpeg(['-f', 'lavfi', '-i', 'color=c=red:s=160x90:r=30:d=1', '-c:v', 'libx264', '-preset', 'ultrafast', clip], {
        totalSeconds: 1,
        onProgress: (progress) => seen.push(progress.secondsDone / (progress.totalSeconds ?? Number.NaN)),
      });
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.at(-1)).toBeCloseTo(1, 1);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
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
