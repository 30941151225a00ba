import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PEXELS_TEST_KEY, startPexelsServer, type PexelsServer } from '../../../../test/provider-servers/pexels.ts';
import { probe } from '../../media/ffmpeg.ts';
import { ProviderError } from '../http.ts';
import { NetworkPolicyError } from '../network-policy.ts';
import type { TestContext } from '../testing.ts';
import { STAND_IN_NETWORKS, testChannel, testContext, testScript } from '../visuals/testing.ts';
import {
  choosePexelsFile,
  choosePexelsVideo,
  createPexelsBroll,
  pexelsAttribution,
  pexelsAllowance,
  pexelsSizeClass,
  type PexelsOptions,
  type PexelsVideo,
  type PexelsVideoFile,
} from './pexels.ts';

const file = (id: number, width: number | null, height: number | null, fps = 25, type = 'video/mp4'): PexelsVideoFile => ({
  id,
  quality: 'hd',
  file_type: type,
  width,
  height,
  fps,
  link: `https://videos.pexels.com/${id}.mp4`,
});

const video = (id: number, duration: number, width = 1920, height = 1080): PexelsVideo => ({
  id,
  width,
  height,
  duration,
  url: `https://www.pexels.com/video/${id}/`,
  user: { id: 1, name: 'Jane Doe', url: 'https://www.pexels.com/@jane' },
  video_files: [file(id * 10, width, height)],
});

describe('choosing Pexels videos and files', () => {
  const fullHd = { width: 1920, height: 1080 };

  it('takes the smallest MP4 that covers the frame, at a normal frame rate', () => {
    const files = [
      file(1, 3840, 2160),
      file(2, 2560, 1440, 50),
      file(3, 1920, 1080, 50),
      file(4, 1920, 1080, 25),
      file(5, 960, 540),
      file(6, null, null, 0, 'application/x-mpegURL'),
    ];
    expect(choosePexelsFile(files, fullHd)?.id).toBe(4);
    expect(choosePexelsFile(files, { width: 1080, height: 1920 })?.id).toBe(4);
    expect(choosePexelsFile([file(5, 960, 540), file(7, 1280, 720)], fullHd)?.id).toBe(7);
    expect(choosePexelsFile([file(6, null, null, 0, 'application/x-mpegURL')], fullHd)).toBeUndefined();
  });

  it('prefers unused videos of the right orientation that last the clip', () => {
    const videos = [video(1, 3), video(2, 10, 1080, 1920), video(3, 12), video(4, 20)];
    expect(choosePexelsVideo(videos, { seconds: 6, size: fullHd, used: new Set() })?.video.id).toBe(3);
    expect(choosePexelsVideo(videos, { seconds: 6, size: fullHd, used: new Set([3]) })?.video.id).toBe(4);
    expect(choosePexelsVideo(videos, { seconds: 6, size: fullHd, used: new Set([3, 4]) })?.video.id).toBe(1);
    expect(choosePexelsVideo(videos, { seconds: 6, size: fullHd, used: new Set([1, 3, 4]) })?.video.id).toBe(3);
    expect(choosePexelsVideo(videos, { seconds: 6, size: { width: 1080, height: 1920 }, used: new Set() })?.video.id).toBe(2);
    expect(choosePexelsVideo([], { seconds: 6, size: fullHd, used: new Set() })).toBeUndefined();
  });

  it('credits the videographer with the video’s page', () => {
    expect(pexelsAttribution(video(42, 5))).toBe('Video by Jane Doe on Pexels: https://www.pexels.com/video/42/');
  });

  it('asks for the size class that covers the frame', () => {
    expect(pexelsSizeClass(fullHd)).toBe('medium');
    expect(pexelsSizeClass({ width: 720, height: 720 })).toBe('small');
    expect(pexelsSizeClass({ width: 3840, height: 2160 })).toBe('large');
  });

  it('reads the monthly allowance from the headers a 2xx answer carries, and nothing from others', () => {
    const reset = 1_801_699_200;
    expect(
      pexelsAllowance(new Headers({ 'x-ratelimit-limit': '20000', 'x-ratelimit-remaining': '19684', 'x-ratelimit-reset': String(reset) })),
    ).toEqual({ limit: 20000, remaining: 19684, resetsAt: new Date(reset * 1000) });
    // A 429 has none of them; a partial set is no allowance either.
    expect(pexelsAllowance(new Headers())).toBeUndefined();
    expect(pexelsAllowance(new Headers({ 'x-ratelimit-remaining': '0' }))).toBeUndefined();
  });
});

describe('Pexels B-roll against a local Pexels', () => {
  let server: PexelsServer;
  let ctx: TestContext;
  const spec = { provider: 'pexels' as const, clipSeconds: 2, secretRef: { name: 'stock-keys' } };
  const fast: PexelsOptions = { retry: { baseDelayMs: 10, maxDelayMs: 50 } };
  // 10 words at 150 wpm: a 4 s beat, two clips of 2 s.
  const script = testScript([{ heading: 'Indexes', words: 10, keywords: ['library', 'card catalog'] }]);

  beforeAll(async () => {
    server = await startPexelsServer({ emptyWords: ['nothinghere'] });
  });
  afterAll(() => server.close());
  beforeEach(async () => {
    server.requests.length = 0;
    server.searches.length = 0;
    server.clearFailures();
    ctx = await testContext({ env: { ...STAND_IN_NETWORKS, PEXELS_API_KEY: PEXELS_TEST_KEY, ACOG_PEXELS_BASE_URL: server.url } });
    return () => ctx.cleanup();
  });

  const searchRequests = () => server.requests.filter((request) => request.path === '/videos/search');

  it('searches, downloads the Full HD file and conforms each clip to the frame with attribution', async () => {
    const started = Date.now();
    const produced = await createPexelsBroll(spec, fast).clips(ctx, script);
    ctx.log(`took ${Date.now() - started} ms`);
    const { clips } = produced.value;
    expect(clips.map((clip) => clip.file)).toEqual(['broll-beat-1-1.mp4', 'broll-beat-1-2.mp4']);
    for (const clip of clips) {
      const info = await probe(join(ctx.workdir, clip.file));
      expect(info.video).toMatchObject({ codecName: 'h264', width: 1920, height: 1080, averageFrameRate: 30, pixelFormat: 'yuv420p' });
      expect(info.audio).toBeUndefined();
      expect(Math.abs(info.durationSeconds - clip.durationSeconds)).toBeLessThanOrEqual(0.1);
      expect(clip.attribution).toMatch(/^Video by Videographer \d on Pexels: https:\/\/www\.pexels\.com\/video\/[\w-]+-\d+\/$/);
    }
    expect(clips[0].attribution).not.toBe(clips[1].attribution);

    const [first] = searchRequests();
    expect(first.query).toEqual({ query: 'library card catalog', orientation: 'landscape', size: 'medium', per_page: '15', page: '1' });
    expect(first.headers.authorization).toBe(PEXELS_TEST_KEY);
    const downloads = server.requests.filter((request) => request.path.startsWith('/video-files/'));
    expect(downloads).toHaveLength(2);
    expect(downloads.every((request) => request.path.endsWith('3.mp4') && request.headers.authorization === undefined)).toBe(true);
    expect(produced.usage).toMatchObject({ requests: 2, clips: 2, seconds: 4 });
    expect(produced.costUSD).toBe(0);
  });

  it('says which key and Secret to check when Pexels refuses the key', async () => {
    ctx.env.PEXELS_API_KEY = 'not-the-key';
    const error = await createPexelsBroll(spec, fast)
      .clips(ctx, script)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as Error).message).toBe(
      'Pexels refused the credentials (401) on GET /videos/search: Unauthorized: the API key is missing or invalid.; check PEXELS_API_KEY (key PEXELS_API_KEY of Secret stock-keys)',
    );
  });

  it('downloads a file link only from an address the network policy allows', async () => {
    delete ctx.env.ACOG_ALLOW_PRIVATE_NETWORKS;
    const error = await createPexelsBroll(spec, fast)
      .clips(ctx, script)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NetworkPolicyError);
    expect((error as Error).message).toMatch(
      /^Pexels's media URL http:\/\/127\.0\.0\.1:\d+\/video-files\/\S+ resolves to 127\.0\.0\.1, a loopback/,
    );
    expect(searchRequests().length).toBeGreaterThan(0);
    expect(server.requests.some((request) => request.path.startsWith('/video-files/'))).toBe(false);
  });

  it('waits as Retry-After says after a 429, then goes on', async () => {
    server.failNext(429, { retryAfter: 1, path: '/videos/search' });
    const started = Date.now();
    await createPexelsBroll(spec, fast).clips(ctx, script);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(searchRequests().map((request) => request.status)).toEqual([429, 200, 200]);
  });

  it('backs off after a 429 that carries no rate-limit headers (as Pexels answers it), then goes on', async () => {
    server.failNext(429, { path: '/videos/search' });
    await createPexelsBroll(spec, fast).clips(ctx, script);
    const [refused] = searchRequests();
    expect(refused.status).toBe(429);
    expect(searchRequests().map((request) => request.status)).toEqual([429, 200, 200]);
    expect(ctx.lines.some((line) => /Pexels is rate-limiting \(429\).*attempt 1 failed, trying again in \d+\.\d s/.test(line))).toBe(true);
  });

  it('says which limit it may be when the 429s persist', async () => {
    server.failNext(429, { path: '/videos/search', times: 10 });
    const error = await createPexelsBroll(spec, { retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 20 } })
      .clips(ctx, script)
      .catch((caught: unknown) => caught);
    expect((error as ProviderError).kind).toBe('rate-limit');
    expect((error as Error).message).toContain('Pexels allows 200 requests an hour and a monthly allowance');
    expect(searchRequests()).toHaveLength(2);
  });

  it('stops at once, saying when it renews, once an answer leaves none of the monthly allowance', async () => {
    const spent = await startPexelsServer({ requestBudget: 1 });
    try {
      ctx.env.ACOG_PEXELS_BASE_URL = spent.url;
      // Two clips with different search words: the second search is never sent.
      const twoQueries = testScript([
        { heading: 'Indexes', words: 5, keywords: ['library'] },
        { heading: 'Trees', words: 5, keywords: ['forest'] },
      ]);
      const error = await createPexelsBroll(spec, fast)
        .clips(ctx, twoQueries)
        .catch((caught: unknown) => caught);
      expect((error as ProviderError).kind).toBe('rate-limit');
      const now = new Date();
      const renews = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString();
      expect((error as Error).message).toBe(
        `Pexels: this key's monthly allowance of 1 requests is spent; it renews at ${renews} (or ask Pexels for a higher limit, or choose another B-roll provider)`,
      );
      expect(spent.requests.filter((request) => request.path === '/videos/search')).toHaveLength(1);
    } finally {
      await spent.close();
    }
  });

  it('gives up on a persistent 5xx after the bounded attempts', async () => {
    server.failNext(502, { times: 20, path: '/videos/search' });
    await expect(createPexelsBroll(spec, { retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 20 } }).clips(ctx, script)).rejects.toThrow(
      /^Pexels failed \(502\) on GET \/videos\/search: Bad gateway$/,
    );
    expect(searchRequests()).toHaveLength(3);
  });

  it('makes a motion-graphics clip for a cue Pexels has nothing for, in portrait', async () => {
    ctx.channel = testChannel({ aspectRatio: '9:16' });
    const nothing = testScript([{ heading: 'nothinghere', words: 5, keywords: ['nothinghere'] }]);
    const produced = await createPexelsBroll(spec, fast).clips(ctx, nothing);
    const [clip] = produced.value.clips;
    expect(clip.attribution).toBeUndefined();
    const info = await probe(join(ctx.workdir, clip.file));
    expect(info.video).toMatchObject({ width: 1080, height: 1920, averageFrameRate: 30 });
    expect(Math.abs(info.durationSeconds - 2)).toBeLessThanOrEqual(0.1);
    expect(searchRequests().every((request) => request.query.orientation === 'portrait')).toBe(true);
    expect(ctx.lines.some((line) => line.includes('Pexels has nothing for "nothinghere"'))).toBe(true);
  });
});
