import { createHmac } from 'node:crypto';
import { verifyHeyGenSignature, type HeyGenWakeUp } from '@acog/api';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  HEYGEN_FORBIDDEN_KEY,
  HEYGEN_TEST_AVATAR,
  HEYGEN_TEST_KEY,
  startHeyGenServer,
  type HeyGenServer,
} from '../../../../test/provider-servers/heygen.ts';
import type { Narration } from '../../contract/documents.ts';
import { probe } from '../../media/ffmpeg.ts';
import { NetworkPolicyError } from '../network-policy.ts';
import { ProviderError } from '../http.ts';
import { ProviderConfigError } from '../types.ts';
import { MemoryState, type TestContext } from '../testing.ts';
import { STAND_IN_NETWORKS, testChannel, testContext, testNarration } from '../visuals/testing.ts';
import {
  HEYGEN_VIDEO_ID_KEY,
  createHeyGenAvatar,
  heygenEndpointStateKey,
  heygenAudioType,
  heygenCanvas,
  heygenFailureReason,
  heygenVideoRequest,
  idempotencyKey,
  type HeyGenAvatarOptions,
} from './heygen.ts';

describe('HeyGen request shapes', () => {
  it('asks for the presenter frame', () => {
    expect(heygenCanvas({ width: 720, height: 720 })).toEqual({ aspect_ratio: '1:1', resolution: '720p' });
    expect(heygenCanvas({ width: 1920, height: 1080 })).toEqual({ aspect_ratio: '16:9', resolution: '1080p' });
    expect(heygenCanvas({ width: 1080, height: 1920 })).toEqual({ aspect_ratio: '9:16', resolution: '1080p' });
  });

  it('builds an avatar video lip-synced to an uploaded audio asset', () => {
    expect(
      heygenVideoRequest({
        avatarId: 'a1',
        audioAssetId: 'ast_1',
        size: { width: 720, height: 720 },
        title: 'ns/ep',
        background: '#102030',
      }),
    ).toEqual({
      type: 'avatar',
      avatar_id: 'a1',
      audio_asset_id: 'ast_1',
      title: 'ns/ep',
      aspect_ratio: '1:1',
      resolution: '720p',
      background: { type: 'color', value: '#102030' },
    });
  });

  it('takes MP3 and WAV as they are', () => {
    expect(heygenAudioType('/w/narration.wav')).toBe('audio/wav');
    expect(heygenAudioType('/w/narration.MP3')).toBe('audio/mpeg');
    expect(heygenAudioType('/w/narration.ogg')).toBeUndefined();
  });

  it('words a failure with HeyGen’s reason and code', () => {
    expect(heygenFailureReason({ failure_code: 'avatar_unavailable', failure_message: 'The avatar is being retrained' })).toBe(
      'The avatar is being retrained (avatar_unavailable)',
    );
    expect(heygenFailureReason({})).toBe('no reason given');
  });

  it('makes idempotency keys HeyGen accepts', () => {
    expect(idempotencyKey('acog', 'uid/with spaces', 'x'.repeat(300))).toMatch(/^[A-Za-z0-9_:.-]{1,255}$/);
  });

  it('verifies webhook signatures over the raw body', () => {
    const body = '{"event_type":"avatar_video.success"}';
    const signature = createHmac('sha256', 'secret').update(body).digest('hex');
    expect(verifyHeyGenSignature(body, signature, 'secret')).toBe(true);
    expect(verifyHeyGenSignature(`${body} `, signature, 'secret')).toBe(false);
    expect(verifyHeyGenSignature(body, 'nothex', 'secret')).toBe(false);
    expect(verifyHeyGenSignature(body, undefined, 'secret')).toBe(false);
  });
});

describe('HeyGen avatar against a local HeyGen', () => {
  let server: HeyGenServer;
  let ctx: TestContext;
  let audio: string;
  let narration: Narration;
  const fast: HeyGenAvatarOptions = { pollIntervalMs: 20, maxPollIntervalMs: 50, retry: { baseDelayMs: 10, maxDelayMs: 50 } };
  const spec = { provider: 'heygen' as const, avatarId: HEYGEN_TEST_AVATAR, secretRef: { name: 'heygen-keys' } };

  beforeAll(async () => {
    server = await startHeyGenServer({ pendingPolls: 2 });
    const audioContext = await testContext();
    ({ audio, narration } = await testNarration(audioContext.workdir, 'Indexes make lookups fast.'));
  });
  afterAll(() => server.close());

  beforeEach(async () => {
    server.requests.length = 0;
    server.clearFailures();
    server.setOutcome({ pendingPolls: 2, renderMs: undefined, fail: null });
    ctx = await testContext({ env: { ...STAND_IN_NETWORKS, HEYGEN_API_KEY: HEYGEN_TEST_KEY, ACOG_HEYGEN_BASE_URL: server.url } });
  });
  afterEach(() => ctx.cleanup());

  const posts = (path: string) => server.requests.filter((request) => request.method === 'POST' && request.path === path);

  it('uploads the narration, creates the video, polls it and conforms the download', async () => {
    const started = Date.now();
    const produced = await createHeyGenAvatar(spec, fast).render(ctx, narration, audio);
    const elapsed = Date.now() - started;

    expect(produced.value).toEqual({ file: 'avatar.mp4', width: 720, height: 720 });
    const info = await probe(join(ctx.workdir, 'avatar.mp4'));
    expect(info.video).toMatchObject({ codecName: 'h264', width: 720, height: 720, averageFrameRate: 30, pixelFormat: 'yuv420p' });
    expect(Math.abs(info.durationSeconds - narration.durationSeconds)).toBeLessThan(0.1);
    expect(info.audio?.codecName).toBe('aac');

    const [create] = posts('/v3/videos');
    expect(create.json).toMatchObject({ type: 'avatar', avatar_id: HEYGEN_TEST_AVATAR, aspect_ratio: '1:1', resolution: '720p' });
    const assetId = (create.json as { audio_asset_id: string }).audio_asset_id;
    expect(server.assets.get(assetId)?.mimeType).toBe('audio/wav');
    expect(create.headers['x-api-key']).toBe(HEYGEN_TEST_KEY);
    expect(create.headers['idempotency-key']).toMatch(/^acog:/);
    expect(server.requests.filter((request) => request.path.startsWith('/v3/videos/')).length).toBe(3);
    const download = server.requests.find((request) => request.path.startsWith('/storage/videos/'));
    expect(download?.headers['x-api-key']).toBeUndefined();

    const videoId = [...server.videos.keys()].at(-1);
    expect(await ctx.state.get(HEYGEN_VIDEO_ID_KEY)).toBe(videoId);
    expect(produced.usage.seconds).toBe(3);
    expect(produced.costUSD).toBeCloseTo(0.2, 2);
    ctx.log(`took ${elapsed} ms`);
  });

  it('renders the full frame for avatar-full', async () => {
    ctx.channel = testChannel({ layout: 'avatar-full', aspectRatio: '9:16' });
    const produced = await createHeyGenAvatar(spec, fast).render(ctx, narration, audio);
    expect(produced.value).toMatchObject({ width: 1080, height: 1920 });
    expect(posts('/v3/videos')[0].json).toMatchObject({ aspect_ratio: '9:16', resolution: '1080p' });
    const info = await probe(join(ctx.workdir, 'avatar.mp4'));
    expect(info.video).toMatchObject({ width: 1080, height: 1920, averageFrameRate: 30 });
  });

  it('says which key and Secret to check when HeyGen refuses the key', async () => {
    ctx.env.HEYGEN_API_KEY = 'wrong';
    const error = await createHeyGenAvatar(spec, fast)
      .render(ctx, narration, audio)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe('auth');
    expect((error as Error).message).toContain('(401)');
    expect((error as Error).message).toContain('The API key provided is invalid');
    expect((error as Error).message).toContain('HEYGEN_API_KEY (key HEYGEN_API_KEY of Secret heygen-keys)');

    ctx.env.HEYGEN_API_KEY = HEYGEN_FORBIDDEN_KEY;
    await expect(createHeyGenAvatar(spec, fast).render(ctx, narration, audio)).rejects.toThrow(
      /\(403\).*HEYGEN_API_KEY.*Secret heygen-keys/,
    );
  });

  it('says which Secret should hold a missing key', async () => {
    delete ctx.env.HEYGEN_API_KEY;
    const error = await createHeyGenAvatar(spec, fast)
      .render(ctx, narration, audio)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderConfigError);
    expect((error as Error).message).toBe('HEYGEN_API_KEY is not set: the runner reads it from key HEYGEN_API_KEY of Secret heygen-keys');
    await expect(createHeyGenAvatar({ provider: 'heygen' }, fast).render(ctx, narration, audio)).rejects.toThrow(/HEYGEN_API_KEY/);
  });

  it('needs an avatar id', async () => {
    await expect(
      createHeyGenAvatar({ provider: 'heygen' }, fast).render({ ...ctx, env: { HEYGEN_API_KEY: 'x' } }, narration, audio),
    ).rejects.toThrow(/avatarId is not set/);
  });

  it("downloads HeyGen's video_url only from an address the network policy allows", async () => {
    delete ctx.env.ACOG_ALLOW_PRIVATE_NETWORKS;
    const error = await createHeyGenAvatar(spec, fast)
      .render(ctx, narration, audio)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NetworkPolicyError);
    expect((error as Error).message).toMatch(
      /^HeyGen's media URL http:\/\/127\.0\.0\.1:\d+\/storage\/videos\/\S+ resolves to 127\.0\.0\.1, a loopback \(127\.0\.0\.0\/8\) address: refused/,
    );
    // The API (the runner's own ACOG_HEYGEN_BASE_URL) was reached; the URL of its answer was not.
    expect(posts('/v3/videos')).toHaveLength(1);
    expect(server.requests.some((request) => request.path.startsWith('/storage/'))).toBe(false);
  });

  it('waits as long as a 429 asks and then goes on', async () => {
    server.failNext(429, { retryAfter: 1, path: '/v3/videos' });
    const started = Date.now();
    await createHeyGenAvatar(spec, fast).render(ctx, narration, audio);
    const statuses = posts('/v3/videos').map((request) => request.status);
    expect(statuses).toEqual([429, 200]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(ctx.lines.some((line) => line.includes('HeyGen is rate-limiting (429)'))).toBe(true);
  });

  it('gives up on a persistent 5xx after the bounded attempts', async () => {
    server.failNext(503, { times: 50, path: '/v3/assets' });
    const error = await createHeyGenAvatar(spec, { ...fast, retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 20 } })
      .render(ctx, narration, audio)
      .catch((caught: unknown) => caught);
    expect((error as Error).message).toMatch(/^HeyGen failed \(503\) on POST \/v3\/assets: HeyGen is temporarily unavailable/);
    expect(server.requests.filter((request) => request.path === '/v3/assets').length).toBe(3);
    expect(posts('/v3/videos')).toHaveLength(0);
  });

  it('reports a failed render with HeyGen’s reason and forgets the video', async () => {
    server.setOutcome({ pendingPolls: 1, fail: { code: 'audio_too_long', message: 'Audio exceeds the length your plan allows' } });
    await expect(createHeyGenAvatar(spec, fast).render(ctx, narration, audio)).rejects.toThrow(
      /HeyGen could not render video \w+: Audio exceeds the length your plan allows \(audio_too_long\)/,
    );
    expect(await ctx.state.get(HEYGEN_VIDEO_ID_KEY)).toBeUndefined();
  });

  it('resumes the stored video on a repeated attempt instead of paying for a second one', async () => {
    server.setOutcome({ renderMs: 1200 });
    const state = new MemoryState();
    const first = await testContext({ env: ctx.env, state });
    const error = await createHeyGenAvatar(spec, { ...fast, deadlineMs: 150 })
      .render(first, narration, audio)
      .catch((caught: unknown) => caught);
    expect((error as ProviderError).kind).toBe('timeout');
    expect((error as Error).message).toMatch(/the next attempt resumes waiting for it/);
    const videoId = await state.get<string>(HEYGEN_VIDEO_ID_KEY);
    expect(videoId).toBeTruthy();
    await first.cleanup();

    const second = await testContext({ env: ctx.env, state });
    await createHeyGenAvatar(spec, fast).render(second, narration, audio);
    expect(posts('/v3/videos')).toHaveLength(1);
    expect(posts('/v3/assets')).toHaveLength(1);
    expect(second.lines.some((line) => line.includes(`resuming the wait for video ${videoId}`))).toBe(true);
    await second.cleanup();
  });

  it('makes a new video when the stored one was made from another narration', async () => {
    const state = new MemoryState();
    await state.put(HEYGEN_VIDEO_ID_KEY, 'oldvideo');
    await state.put('heygen.videoInput', 'another-fingerprint');
    const again = await testContext({ env: ctx.env, state });
    await createHeyGenAvatar(spec, fast).render(again, narration, audio);
    expect(posts('/v3/videos')).toHaveLength(1);
    expect(server.requests.some((request) => request.path === '/v3/videos/oldvideo')).toBe(false);
    await again.cleanup();
  });

  it('uses the direct upload for files over the proxy limit', async () => {
    await createHeyGenAvatar(spec, { ...fast, directUploadAboveBytes: 1000 }).render(ctx, narration, audio);
    expect(posts('/v3/assets')).toHaveLength(0);
    expect(posts('/v3/assets/direct-uploads')[0].json).toMatchObject({ filename: 'narration.wav', content_type: 'audio/wav' });
    const put = server.requests.find((request) => request.method === 'PUT');
    expect(put?.status).toBe(200);
    expect(put?.headers['x-api-key']).toBeUndefined();
    expect(server.requests.some((request) => /\/v3\/assets\/ast_\w+\/complete/.test(request.path))).toBe(true);
    // /complete answered "processing": the asset was asked after until ready, and only then used.
    const assetId = (posts('/v3/videos')[0].json as { audio_asset_id: string }).audio_asset_id;
    const assetPolls = server.requests.filter((request) => request.method === 'GET' && request.path === `/v3/assets/${assetId}`);
    expect(assetPolls.length).toBeGreaterThanOrEqual(2);
    expect(assetPolls.every((poll) => poll.at < posts('/v3/videos')[0].at)).toBe(true);
    expect(server.assets.get(assetId)?.status).toBe('ready');
    expect(ctx.lines.some((line) => line.includes(`asset ${assetId} is processing; waiting until it is ready`))).toBe(true);
  });

  describe('with a webhook', () => {
    // Stands in for the gateway: every delivery HeyGen posts is relayed as a wake-up, numbered as the
    // stream would, for waitForCallback to hand over after the sequence already seen.
    let relay: Server;
    let relayUrl: string;
    const relayed: { seq: number; data: HeyGenWakeUp }[] = [];
    const waiting = new Set<() => void>();
    const deliver = (data: HeyGenWakeUp) => {
      relayed.push({ seq: relayed.length + 1, data });
      const woken = [...waiting];
      waiting.clear();
      for (const wake of woken) wake();
    };
    const waitForCallback = async (videoId: string, afterSeq = 0) => {
      for (;;) {
        const next = relayed.find((delivery) => delivery.seq > afterSeq && delivery.data.videoId === videoId);
        if (next) return next;
        await new Promise<void>((resolve) => waiting.add(resolve));
      }
    };
    const wakeUp = (body: string, headers: Record<string, string | undefined> = {}): HeyGenWakeUp => ({
      provider: 'heygen',
      videoId: (JSON.parse(body) as { event_data: { video_id: string } }).event_data.video_id,
      eventType: (JSON.parse(body) as { event_type: string }).event_type,
      body: Buffer.from(body).toString('base64'),
      ...(headers['heygen-signature'] && { signature: headers['heygen-signature'] }),
      ...(headers['heygen-timestamp'] && { timestamp: headers['heygen-timestamp'] }),
      ...(headers['heygen-event-id'] && { eventId: headers['heygen-event-id'] }),
      receivedAt: new Date().toISOString(),
    });

    beforeAll(async () => {
      relay = createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          deliver(wakeUp(Buffer.concat(chunks).toString('utf8'), request.headers as Record<string, string | undefined>));
          response.writeHead(202).end();
        });
      });
      await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
      relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}/webhooks/heygen?namespace=default`;
    });
    afterAll(() => new Promise<void>((resolve) => relay.close(() => resolve())));
    let test = 0;
    beforeEach(() => {
      relayed.length = 0;
      // Each test its own endpoint URL, as each namespace has.
      test += 1;
      relayUrl = relayUrl.replace(/&test=\d+$/, '') + `&test=${test}`;
    });

    it("registers the key's endpoint once, keeps its secret, and wakes on the signed delivery instead of a long poll", async () => {
      server.setOutcome({ renderMs: 300 });
      const started = Date.now();
      await createHeyGenAvatar(spec, { ...fast, pollIntervalMs: 30_000, callbackUrl: relayUrl, waitForCallback }).render(
        ctx,
        narration,
        audio,
      );
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(posts('/v3/videos')[0].json).toMatchObject({ callback_url: relayUrl });
      const endpoints = () => [...server.endpoints.values()].filter((registered) => registered.url === relayUrl);
      const [endpoint] = endpoints();
      expect(endpoints()).toHaveLength(1);
      expect(endpoint).toMatchObject({ url: relayUrl, events: ['avatar_video.success', 'avatar_video.fail'] });
      expect(posts('/v3/webhooks/endpoints')[0].headers['idempotency-key']).toMatch(/^acog-endpoint:/);
      // The secret HeyGen showed once is kept for the namespace, under a digest of the key (never the key).
      const key = heygenEndpointStateKey(HEYGEN_TEST_KEY);
      expect(key).not.toContain(HEYGEN_TEST_KEY);
      expect(await ctx.namespaceState.get(key)).toEqual({ endpointId: endpoint.endpoint_id, url: relayUrl, secret: endpoint.secret });
      expect(posts('/v3/webhooks/endpoints')[0].json).toEqual({ url: relayUrl, events: ['avatar_video.success', 'avatar_video.fail'] });
      // Two deliveries: the per-video callback (unsigned), the endpoint's (signed, verifying).
      expect(server.callbacks.map((delivery) => Boolean(delivery.headers['heygen-signature'])).sort()).toEqual([false, true]);
      const signed = server.callbacks.find((delivery) => delivery.headers['heygen-signature'])!;
      expect(verifyHeyGenSignature(signed.body, signed.headers['heygen-signature'], endpoint.secret)).toBe(true);
      expect(ctx.lines.some((line) => /a webhook delivery \((signed|unsigned)\) woke the wait for video/.test(line))).toBe(true);

      // The next episode of the namespace finds the endpoint and its secret: nothing registered again.
      server.requests.length = 0;
      const next = await testContext({
        env: ctx.env,
        namespaceState: ctx.namespaceState,
      });
      try {
        await createHeyGenAvatar(spec, { ...fast, callbackUrl: relayUrl, waitForCallback }).render(next, narration, audio);
      } finally {
        await next.cleanup();
      }
      expect(server.requests.some((request) => request.method === 'GET' && request.path === '/v3/webhooks/endpoints')).toBe(true);
      expect(posts('/v3/webhooks/endpoints')).toHaveLength(0);
      expect(endpoints()).toHaveLength(1);
    });

    it('rotates the secret of an endpoint registered before, whose secret is not kept here', async () => {
      await createHeyGenAvatar(spec, { ...fast, callbackUrl: relayUrl, waitForCallback }).render(ctx, narration, audio);
      const endpoints = () => [...server.endpoints.values()].filter((registered) => registered.url === relayUrl);
      const [endpoint] = endpoints();
      const first = endpoint.secret;
      const elsewhere = await testContext({ env: ctx.env });
      try {
        await createHeyGenAvatar(spec, { ...fast, callbackUrl: relayUrl, waitForCallback }).render(elsewhere, narration, audio);
        expect(endpoints()).toHaveLength(1);
        expect(endpoint.secret).not.toBe(first);
        expect(await elsewhere.namespaceState.get(heygenEndpointStateKey(HEYGEN_TEST_KEY))).toMatchObject({ secret: endpoint.secret });
        expect(elsewhere.lines.some((line) => line.includes('registered without its secret kept here; rotated it'))).toBe(true);
      } finally {
        await elsewhere.cleanup();
      }
    });

    it('never takes a delivery for the result: a forged signed one is ignored, an unsigned one only makes it read the status', async () => {
      server.setOutcome({ renderMs: 600, fail: { code: 'AVATAR_ERROR', message: 'The avatar could not be rendered' } });
      const before = server.videos.size;
      const rendering = createHeyGenAvatar(spec, {
        ...fast,
        pollIntervalMs: 100,
        maxPollIntervalMs: 30_000,
        callbackUrl: relayUrl,
        waitForCallback,
      }).render(ctx, narration, audio);
      // Once the video exists: a "success" with a bogus URL, unsigned, and one signed with a wrong secret.
      while (server.videos.size === before) await new Promise((resolve) => setTimeout(resolve, 10));
      const videoId = [...server.videos.keys()].at(-1)!;
      const lie = JSON.stringify({
        event_type: 'avatar_video.success',
        event_data: { video_id: videoId, url: 'https://attacker.example/v.mp4' },
      });
      deliver(
        wakeUp(lie, {
          'heygen-signature': createHmac('sha256', 'whsec_wrong').update(lie).digest('hex'),
          'heygen-timestamp': String(Math.floor(Date.now() / 1000)),
        }),
      );
      deliver(wakeUp(lie));
      const error = await rendering.catch((caught: unknown) => caught);
      expect((error as Error).message).toMatch(/could not render video \w+: The avatar could not be rendered \(AVATAR_ERROR\)/);
      expect(
        ctx.lines.some((line) => line.includes(`ignored a webhook delivery for video ${videoId} whose signature does not verify`)),
      ).toBe(true);
      expect(ctx.lines.some((line) => line.includes(`a webhook delivery (unsigned) woke the wait for video ${videoId}`))).toBe(true);
      expect(server.requests.some((request) => request.path.includes('attacker'))).toBe(false);
    });
  });
});
