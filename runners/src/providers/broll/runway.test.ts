import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RUNWAY_TEST_KEY, RUNWAY_TEST_VERSION, startRunwayServer, type RunwayServer } from '../../../../test/provider-servers/runway.ts';
import { probe, runFfmpeg } from '../../media/ffmpeg.ts';
import { ProviderError } from '../http.ts';
import { NetworkPolicyError } from '../network-policy.ts';
import { ProviderConfigError } from '../types.ts';
import { MemoryState, type TestContext } from '../testing.ts';
import { STAND_IN_NETWORKS, testChannel, testContext, testScript } from '../visuals/testing.ts';
import {
  RUNWAY_API_VERSION,
  RUNWAY_POLL_INTERVAL_MS,
  checkRunwayModel,
  createRunwayBroll,
  dataUriLength,
  runwayCostUSD,
  runwayDuration,
  runwayFailureReason,
  runwayPrompt,
  runwayRatio,
  runwayTaskKey,
  runwayTaskRequest,
  type RunwayOptions,
} from './runway.ts';

describe('Runway requests', () => {
  const landscape = { width: 1920, height: 1080 };
  const portrait = { width: 1080, height: 1920 };

  it('asks each model for a ratio it takes, in the frame’s orientation', () => {
    expect(runwayRatio('gen4.5', landscape)).toBe('1280:720');
    expect(runwayRatio('gen4.5', portrait)).toBe('720:1280');
    expect(runwayRatio('gen4_turbo', { width: 1080, height: 1080 })).toBe('960:960');
    expect(runwayRatio('veo3.1', landscape)).toBe('1920:1080');
  });

  it('asks for a duration the model takes that covers the clip', () => {
    expect([1, 2, 2.4, 6, 12].map((seconds) => runwayDuration('gen4.5', seconds))).toEqual([2, 2, 3, 6, 10]);
    expect([3, 5, 6].map((seconds) => runwayDuration('gen4_turbo', seconds))).toEqual([5, 5, 10]);
    expect([3, 5, 7, 9].map((seconds) => runwayDuration('veo3.1', seconds))).toEqual([4, 6, 8, 8]);
    expect(runwayDuration('veo3', 2)).toBe(8);
  });

  it('writes a prompt from the cue within Runway’s 1000 characters', () => {
    const prompt = runwayPrompt({
      heading: 'H',
      cue: { description: 'A librarian pulls a card from a catalog drawer.', keywords: ['library', 'card catalog'] },
    });
    expect(prompt).toBe(
      'A librarian pulls a card from a catalog drawer. Focus on library, card catalog. Cinematic B-roll, smooth camera movement, natural light, no on-screen text, no logos.',
    );
    expect(runwayPrompt({ heading: 'H', cue: { description: 'x'.repeat(2000), keywords: [] } }).length).toBe(1000);
  });

  it('keeps the prompt within 1000 characters counting the "." it appends', () => {
    const style = runwayPrompt({ heading: 'H', cue: { description: 'x', keywords: [] } }).length - 1;
    // Descriptions around the limit, with the house style and the final "." added.
    for (const length of [990 - style, 996 - style, 997 - style, 998 - style, 999 - style, 1000 - style]) {
      const prompt = runwayPrompt({ heading: 'H', cue: { description: 'y'.repeat(length), keywords: [] } });
      expect(prompt.length).toBeLessThanOrEqual(1000);
    }
    expect(runwayPrompt({ heading: 'H', cue: { description: 'y'.repeat(998 - style), keywords: [] } })).toMatch(/y\. Cinematic.*logos\.$/);
    // Astral characters are never cut in half.
    const emoji = runwayPrompt({ heading: 'H', cue: { description: '🎬'.repeat(600), keywords: [] } });
    expect(emoji.length).toBeLessThanOrEqual(1000);
    expect(emoji.endsWith('🎬…')).toBe(true);
  });

  it('refuses a model Runway retired, naming the date and what to choose', () => {
    expect(() => checkRunwayModel('gen3a_turbo')).toThrow(ProviderConfigError);
    expect(() => checkRunwayModel('gen3a_turbo')).toThrow(
      'providers.broll.model: Runway retired gen3a_turbo on 2026-06-10 (its requests are refused); choose gen4_turbo',
    );
    // The catalog's date decides: the day before, it was still served.
    expect(() => checkRunwayModel('gen3a_turbo', new Date('2026-06-09T12:00:00Z'))).not.toThrow();
    expect(() => checkRunwayModel('gen4_turbo')).not.toThrow();
    expect(() => checkRunwayModel('a-model-the-catalog-does-not-know')).not.toThrow();
  });

  it('measures the data URI an image would make', () => {
    expect(dataUriLength('image/png', 3)).toBe('data:image/png;base64,AAAA'.length);
    expect(dataUriLength('image/png', 4)).toBe('data:image/png;base64,AAAAAA=='.length);
  });

  it('uses text-to-video, or image-to-video for the image models', () => {
    expect(runwayTaskRequest({ model: 'gen4.5', prompt: 'p', seconds: 4, size: landscape })).toEqual({
      path: '/v1/text_to_video',
      body: { model: 'gen4.5', promptText: 'p', ratio: '1280:720', duration: 4 },
    });
    expect(runwayTaskRequest({ model: 'gen4_turbo', prompt: 'p', seconds: 4, size: portrait, image: 'data:image/png;base64,AA' })).toEqual({
      path: '/v1/image_to_video',
      body: { model: 'gen4_turbo', promptText: 'p', ratio: '720:1280', duration: 5, promptImage: 'data:image/png;base64,AA' },
    });
  });

  it('prices seconds by model and words failures with their code', () => {
    expect(runwayCostUSD('gen4.5', 10)).toBe(1.2);
    expect(runwayCostUSD('gen4_turbo', 10)).toBe(0.5);
    expect(runwayCostUSD('unknown-model', 1, 0.3)).toBe(0.3);
    expect(runwayFailureReason({ status: 'FAILED', failure: 'Flagged', failureCode: 'SAFETY.INPUT.TEXT' })).toBe(
      'Flagged (SAFETY.INPUT.TEXT)',
    );
    expect(runwayFailureReason({ status: 'CANCELLED' })).toBe('the task was cancelled');
  });

  it('polls no more often than Runway’s documented five seconds by default', () => {
    expect(RUNWAY_POLL_INTERVAL_MS).toBe(5000);
    expect(RUNWAY_API_VERSION).toBe(RUNWAY_TEST_VERSION);
  });
});

describe('Runway B-roll against a local Runway', () => {
  let server: RunwayServer;
  let ctx: TestContext;
  let image: string;
  let fixtures: TestContext;
  const spec = { provider: 'runway' as const, clipSeconds: 2, secretRef: { name: 'runway-keys' } };
  // Test server only: Runway itself is polled at most every 5 s.
  const fast: RunwayOptions = { pollIntervalMs: 50, maxPollIntervalMs: 50, retry: { baseDelayMs: 10, maxDelayMs: 50 } };
  // 5 words at 150 wpm: one beat of 2 s, one clip.
  const script = testScript([{ heading: 'Indexes', words: 5, keywords: ['library', 'card catalog'] }]);

  beforeAll(async () => {
    server = await startRunwayServer();
    fixtures = await testContext();
    image = join(fixtures.workdir, 'frame.png');
    await runFfmpeg(['-f', 'lavfi', '-i', 'mandelbrot=s=320x180', '-frames:v', '1', image]);
  });
  afterAll(async () => {
    await server.close();
    await fixtures.cleanup();
  });
  beforeEach(async () => {
    server.requests.length = 0;
    server.clearFailures();
    server.setOutcome({ pendingPolls: 3, fail: null });
    ctx = await testContext({ env: { ...STAND_IN_NETWORKS, RUNWAY_API_KEY: RUNWAY_TEST_KEY, ACOG_RUNWAY_BASE_URL: server.url } });
    return () => ctx.cleanup();
  });

  const created = () => server.requests.filter((request) => request.method === 'POST' && request.path.startsWith('/v1/'));
  const polls = () => server.requests.filter((request) => request.method === 'GET' && request.path.startsWith('/v1/tasks/'));

  it('starts a text-to-video task, polls it to SUCCEEDED and conforms the output to the clip', async () => {
    const produced = await createRunwayBroll(spec, fast).clips(ctx, script);
    const [clip] = produced.value.clips;
    expect(clip).toEqual({ beatId: 'beat-1', file: 'broll-beat-1-1.mp4', durationSeconds: 2 });
    const info = await probe(join(ctx.workdir, clip.file));
    expect(info.video).toMatchObject({ codecName: 'h264', width: 1920, height: 1080, averageFrameRate: 30, pixelFormat: 'yuv420p' });
    expect(info.audio).toBeUndefined();
    expect(Math.abs(info.durationSeconds - 2)).toBeLessThanOrEqual(0.1);

    const [create] = created();
    expect(create.path).toBe('/v1/text_to_video');
    expect(create.headers.authorization).toBe(`Bearer ${RUNWAY_TEST_KEY}`);
    expect(create.headers['x-runway-version']).toBe('2024-11-06');
    expect(create.json).toMatchObject({ model: 'gen4.5', ratio: '1280:720', duration: 2 });
    expect((create.json as { promptText: string }).promptText).toContain('Indexes, close up. Focus on library, card catalog.');
    const task = [...server.tasks.values()].at(-1)!;
    expect(task.polls).toHaveLength(4);
    const gaps = task.polls.slice(1).map((at, index) => at - task.polls[index]);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(45);
    const download = server.requests.find((request) => request.path.startsWith('/outputs/'));
    expect(download?.headers.authorization).toBeUndefined();
    expect(produced.costUSD).toBe(0.24);
    expect(produced.usage).toMatchObject({ tasks: 1, clips: 1, generatedSeconds: 2 });
    expect(await ctx.state.get(runwayTaskKey(clip))).toBeUndefined();
  });

  it('waits Runway’s five seconds between polls when not told otherwise', async () => {
    server.setOutcome({ pendingPolls: 0 });
    await createRunwayBroll(spec, { retry: fast.retry }).clips(ctx, script);
    const task = [...server.tasks.values()].at(-1)!;
    expect(task.polls).toHaveLength(1);
    expect(task.polls[0] - Date.parse(task.createdAt)).toBeGreaterThanOrEqual(4900);
  }, 60_000);

  it('says which key and Secret to check when Runway refuses the key', async () => {
    ctx.env.RUNWAY_API_KEY = 'key_wrong';
    await expect(createRunwayBroll(spec, fast).clips(ctx, script)).rejects.toThrow(
      'Runway refused the credentials (401) on POST /v1/text_to_video: The API key is invalid or has been revoked.; check RUNWAY_API_KEY (key RUNWAY_API_KEY of Secret runway-keys)',
    );
    delete ctx.env.RUNWAY_API_KEY;
    await expect(createRunwayBroll(spec, fast).clips(ctx, script)).rejects.toBeInstanceOf(ProviderConfigError);
  });

  it("downloads a task's output only from an address the network policy allows", async () => {
    delete ctx.env.ACOG_ALLOW_PRIVATE_NETWORKS;
    const error = await createRunwayBroll(spec, fast)
      .clips(ctx, script)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NetworkPolicyError);
    expect((error as Error).message).toMatch(
      /^Runway's media URL http:\/\/127\.0\.0\.1:\d+\/outputs\/\S+ resolves to 127\.0\.0\.1, a loopback/,
    );
    expect(created()).toHaveLength(1);
    expect(server.requests.some((request) => request.path.startsWith('/outputs/'))).toBe(false);
  });

  it('waits as long as a 429 asks and then goes on', async () => {
    server.failNext(429, { retryAfter: 1, path: '/v1/text_to_video' });
    const started = Date.now();
    await createRunwayBroll(spec, fast).clips(ctx, script);
    expect(created().map((request) => request.status)).toEqual([429, 200]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('gives up on a persistent 5xx after the bounded attempts', async () => {
    server.failNext(503, { times: 20, path: '/v1/tasks/' });
    const error = await createRunwayBroll(spec, { ...fast, retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 20 } })
      .clips(ctx, script)
      .catch((caught: unknown) => caught);
    expect((error as ProviderError).kind).toBe('server');
    expect((error as Error).message).toMatch(/^Runway failed \(503\) on GET \/v1\/tasks\/[\w-]+: Runway is shedding load/);
    expect(polls()).toHaveLength(3);
  });

  it('reports a FAILED task with Runway’s reason and code', async () => {
    server.setOutcome({
      pendingPolls: 2,
      fail: { failure: 'The input text was flagged by content moderation', failureCode: 'SAFETY.INPUT.TEXT' },
    });
    await expect(createRunwayBroll(spec, fast).clips(ctx, script)).rejects.toThrow(
      /^Runway could not generate broll-beat-1-1\.mp4 for beat-1 \(task [\w-]+\): The input text was flagged by content moderation \(SAFETY\.INPUT\.TEXT\)$/,
    );
    expect(await ctx.state.get(runwayTaskKey({ file: 'broll-beat-1-1.mp4' }))).toBeUndefined();
  });

  it('resumes the stored task on a repeated attempt instead of paying again', async () => {
    server.setOutcome({ pendingPolls: 6 });
    const state = new MemoryState();
    const first = await testContext({ env: ctx.env, state });
    const error = await createRunwayBroll(spec, { ...fast, deadlineMs: 120 })
      .clips(first, script)
      .catch((caught: unknown) => caught);
    expect((error as ProviderError).kind).toBe('timeout');
    expect((error as Error).message).toMatch(/the next attempt resumes waiting for it/);
    await first.cleanup();

    const second = await testContext({ env: ctx.env, state });
    const produced = await createRunwayBroll(spec, fast).clips(second, script);
    expect(created()).toHaveLength(1);
    expect(produced.usage.tasks).toBe(0);
    expect(produced.costUSD).toBe(0.24);
    expect(second.lines.some((line) => /resuming task [\w-]+ for broll-beat-1-1\.mp4/.test(line))).toBe(true);
    await second.cleanup();
  });

  it('generates a clip again when the stored task’s output has expired', async () => {
    server.setOutcome({ pendingPolls: 0 });
    const state = new MemoryState();
    const first = await testContext({ env: ctx.env, state });
    await createRunwayBroll(spec, { ...fast, deadlineMs: 0 })
      .clips(first, script)
      .catch(() => undefined);
    await first.cleanup();
    const { id } = (await state.get<{ id: string }>(runwayTaskKey({ file: 'broll-beat-1-1.mp4' })))!;
    const headers = { authorization: `Bearer ${RUNWAY_TEST_KEY}`, 'x-runway-version': RUNWAY_TEST_VERSION };
    expect(((await (await fetch(`${server.url}/v1/tasks/${id}`, { headers })).json()) as { status: string }).status).toBe('SUCCEEDED');
    server.expireOutputs();

    const second = await testContext({ env: ctx.env, state });
    await createRunwayBroll(spec, fast).clips(second, script);
    expect(created()).toHaveLength(2);
    expect(second.lines.some((line) => line.includes(`the output of task ${id} has expired`))).toBe(true);
    await second.cleanup();
  });

  it('animates a channel image with an image model, in portrait', async () => {
    ctx.channel = testChannel({ aspectRatio: '9:16', images: [pathToFileURL(image).href] });
    const produced = await createRunwayBroll({ ...spec, model: 'gen4_turbo' }, fast).clips(ctx, script);
    const [create] = created();
    expect(create.path).toBe('/v1/image_to_video');
    expect(create.json).toMatchObject({ model: 'gen4_turbo', ratio: '720:1280', duration: 5 });
    expect((create.json as { promptImage: string }).promptImage).toMatch(/^data:image\/png;base64,/);
    const info = await probe(join(ctx.workdir, produced.value.clips[0].file));
    expect(info.video).toMatchObject({ width: 1080, height: 1920, averageFrameRate: 30 });
    expect(Math.abs(info.durationSeconds - 2)).toBeLessThanOrEqual(0.1);
    expect(produced.costUSD).toBe(0.25);

    ctx.channel = testChannel({ aspectRatio: '9:16' });
    await expect(createRunwayBroll({ ...spec, model: 'gen4_turbo' }, fast).clips(ctx, script)).rejects.toThrow(
      /gen4_turbo animates an image/,
    );
  });

  it('uploads an image whose data URI would reach 5 MB and animates its runway:// URI', async () => {
    // Noise does not compress: about 5.9 MB of PNG, a data URI of about 7.8 MB.
    const big = join(fixtures.workdir, 'big.png');
    await runFfmpeg([
      '-f',
      'lavfi',
      '-i',
      'nullsrc=s=2200x2200,geq=r=random(1)*255:g=random(2)*255:b=random(3)*255',
      '-frames:v',
      '1',
      '-y',
      big,
    ]);
    expect((await stat(big)).size).toBeGreaterThan(3.75 * 1024 * 1024);
    ctx.channel = testChannel({ aspectRatio: '16:9', images: [pathToFileURL(big).href] });
    await createRunwayBroll({ ...spec, model: 'gen4_turbo' }, fast).clips(ctx, script);
    const upload = server.requests.find((request) => request.path === '/v1/uploads');
    expect(upload?.json).toEqual({ filename: 'big.png', type: 'ephemeral' });
    const form = server.requests.find((request) => request.path.startsWith('/storage/uploads/'));
    // The presigned form carries no key.
    expect(form?.headers.authorization).toBeUndefined();
    expect(form?.status).toBe(204);
    const create = created().find((request) => request.path === '/v1/image_to_video');
    const promptImage = (create?.json as { promptImage: string }).promptImage;
    expect(promptImage).toMatch(/^runway:\/\//);
    expect(server.uploads.get(promptImage)?.bytes).toBeGreaterThan(4 * 1024 * 1024);
  });

  it('is refused by Runway when a data URI is 5 MB or more, and for the retired gen3a_turbo', async () => {
    // What the client avoids, sent as Runway's own clients would.
    const send = (body: Record<string, unknown>) =>
      fetch(`${server.url}/v1/image_to_video`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${RUNWAY_TEST_KEY}`,
          'x-runway-version': RUNWAY_TEST_VERSION,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      }).then(async (response) => ({ status: response.status, body: (await response.json()) as { error: string } }));
    const oversize = await send({
      model: 'gen4_turbo',
      ratio: '1280:720',
      duration: 5,
      promptImage: `data:image/png;base64,${'A'.repeat(5 * 1024 * 1024)}`,
    });
    expect(oversize.status).toBe(400);
    expect(oversize.body.error).toContain('Data URIs must be under 5MB');
    const retired = await send({ model: 'gen3a_turbo', ratio: '1280:768', duration: 5, promptImage: 'https://example.com/a.png' });
    expect(retired.status).toBe(400);
    expect(retired.body.error).toContain("received 'gen3a_turbo'");
    // And the client refuses gen3a_turbo before it sends anything.
    server.requests.length = 0;
    await expect(createRunwayBroll({ ...spec, model: 'gen3a_turbo' }, fast).clips(ctx, script)).rejects.toThrow(/retired gen3a_turbo/);
    expect(server.requests).toHaveLength(0);
  });
});
