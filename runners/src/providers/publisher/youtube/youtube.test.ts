// The YouTube publisher against a local stand-in of Google's APIs, through the real googleapis library.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EpisodeSpec, PublisherProvider } from '@acog/api';
import { startYouTubeServer, UPLOAD_SCOPE, type YouTubeServer } from '../../../../../test/provider-servers/youtube.ts';
import { ProviderError } from '../../http.ts';
import { exampleChannel, exampleEpisode, MemoryState } from '../../testing.ts';
import { ProviderConfigError, type EpisodeState, type ProviderContext } from '../../types.ts';
import { createPublisher } from '../index.ts';
import type { PublishRequest } from '../types.ts';
import {
  QUOTA_UNITS,
  STATE_FINISHING,
  STATE_UPLOAD,
  STATE_VIDEO_ID,
  THUMBNAIL_MAX_BYTES,
  YouTubeError,
  YouTubePublisher,
  googleErrorInfo,
  isOwnSessionUri,
  nextQuotaReset,
  receivedFromRange,
  videoSettings,
  type YouTubePublisherOptions,
} from './index.ts';

const channel = exampleChannel();
const episodeExample = exampleEpisode();
const NOW = new Date('2026-11-20T12:00:00Z');
const CHUNK = 512 * 1024;
const VIDEO_BYTES = 3 * 1024 * 1024 + 12_345;
const spec: PublisherProvider = {
  provider: 'youtube',
  secretRef: { name: 'engineering-explained-youtube' },
  categoryId: '28',
  containsSyntheticMedia: true,
};
const fast: YouTubePublisherOptions = { chunkBytes: CHUNK, retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 5 }, now: () => NOW };

let server: YouTubeServer;
let dir: string;
let video: Buffer;
let request: PublishRequest;
let logs: string[];

function context(
  state: EpisodeState,
  overrides: { env?: Record<string, string | undefined>; episode?: Partial<EpisodeSpec> } = {},
): ProviderContext {
  return {
    workdir: join(dir, 'work'),
    channel,
    episode: {
      name: 'how-indexes-work',
      namespace: 'shows',
      uid: 'uid-1',
      spec: { ...episodeExample, publish: { ...episodeExample.publish, playlistIds: ['PLone', 'PLtwo'] }, ...overrides.episode },
    },
    env: {
      YOUTUBE_CLIENT_ID: 'test-client-id.apps.googleusercontent.com',
      YOUTUBE_CLIENT_SECRET: 'test-client-secret',
      YOUTUBE_REFRESH_TOKEN: 'test-refresh-token',
      ACOG_YOUTUBE_BASE_URL: server.url,
      ACOG_GOOGLE_OAUTH_TOKEN_URL: server.tokenUrl,
      ...overrides.env,
    },
    log: (line) => logs.push(line),
    state,
    namespaceState: new MemoryState(),
  };
}

/** The error a publish rejects with; a publish that succeeds fails the test. */
async function failureOf(publishing: Promise<unknown>): Promise<Error & Partial<YouTubeError>> {
  try {
    await publishing;
  } catch (error) {
    return error as Error & Partial<YouTubeError>;
  }
  throw new Error('expected the publish to fail');
}

function uploads(method: 'POST' | 'PUT') {
  return server.requests.filter((entry) => entry.method === method && entry.path === '/upload/youtube/v3/videos');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'acog-youtube-'));
  video = randomBytes(VIDEO_BYTES);
  request = {
    files: {
      video: join(dir, 'video.mp4'),
      thumbnail: join(dir, 'thumbnail.png'),
      captionsSrt: join(dir, 'captions.srt'),
      captionsVtt: join(dir, 'captions.vtt'),
    },
    metadata: {
      title: 'How database indexes really work',
      description: 'A slow query on ten million orders, a B-tree, and what indexes cost on writes.',
      tags: ['postgres', 'database index', 'b-tree'],
      chapters: [
        { beatId: 'beat-1', title: 'The slow query' },
        { beatId: 'beat-2', title: 'What a B-tree stores' },
        { beatId: 'beat-3', title: 'Column order' },
        { beatId: 'beat-4', title: 'The cost on writes' },
      ],
      thumbnailText: 'Indexes',
      language: 'en',
    },
    chapterStarts: [2, 14.5, 29, 44.2],
    attributions: ['Video by Jane Doe from Pexels'],
  };
  await writeFile(request.files.video, video);
  await writeFile(request.files.thumbnail, randomBytes(40_000));
  await writeFile(
    request.files.captionsSrt,
    '1\n00:00:00,000 --> 00:00:02,500\nYour query is slow.\n\n2\n00:00:02,500 --> 00:00:05,000\nHere is why.\n',
  );
  await writeFile(request.files.captionsVtt, 'WEBVTT\n\n00:00.000 --> 00:02.500\nYour query is slow.\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  server = await startYouTubeServer();
  logs = [];
});

afterEach(async () => {
  await server.close();
});

describe('YouTube publisher', () => {
  it('uploads in chunks with the metadata, then sets the thumbnail, captions and playlists', async () => {
    const state = new MemoryState();
    const publisher = createPublisher(spec, { defaultDestination: join(dir, 'unused'), youtube: fast });
    expect(publisher.name).toBe('youtube');
    const produced = await publisher.publish(context(state), request);

    expect(server.videos.size).toBe(1);
    const [stored] = server.videos.values();
    expect(produced.value).toEqual({
      provider: 'youtube',
      id: stored.id,
      url: `https://www.youtube.com/watch?v=${stored.id}`,
      privacy: 'private',
      publishAt: '2026-12-07T09:00:00.000Z',
    });
    expect(produced.costUSD).toBe(0);
    // The upload draws on videos.insert's own bucket, the rest on the project's units.
    expect(produced.usage).toEqual({
      uploadBytes: VIDEO_BYTES,
      quotaUnits: QUOTA_UNITS.thumbnailsSet + QUOTA_UNITS.captionsInsert + 2 * QUOTA_UNITS.playlistItemsInsert,
      uploadQuotaUnits: 1,
    });

    expect(stored.bytes.equals(video)).toBe(true);
    const snippet = stored.resource.snippet!;
    expect(snippet).toMatchObject({
      title: 'How database indexes really work',
      tags: ['postgres', 'database index', 'b-tree'],
      categoryId: '28',
      defaultLanguage: 'en',
      defaultAudioLanguage: 'en',
    });
    expect(snippet.description).toContain('A slow query on ten million orders');
    expect(snippet.description).toContain(
      'Chapters:\n0:00 The slow query\n0:14 What a B-tree stores\n0:29 Column order\n0:44 The cost on writes',
    );
    expect(snippet.description).toContain('Credits:\nVideo by Jane Doe from Pexels');
    expect(snippet.description).toContain(
      'Sources:\nPostgreSQL documentation, Indexes: https://www.postgresql.org/docs/current/indexes.html\nUse The Index, Luke: https://use-the-index-luke.com/',
    );
    expect(stored.resource.status).toMatchObject({
      privacyStatus: 'private',
      publishAt: '2026-12-07T09:00:00.000Z',
      selfDeclaredMadeForKids: false,
      containsSyntheticMedia: true,
    });

    expect(stored.thumbnail?.contentType).toBe('image/png');
    expect(stored.thumbnail?.bytes.equals(await readFile(request.files.thumbnail))).toBe(true);
    expect(stored.captions).toHaveLength(1);
    expect(stored.captions[0].snippet).toMatchObject({ videoId: stored.id, language: 'en', isDraft: false });
    expect(stored.captions[0].body).toBe(await readFile(request.files.captionsSrt, 'utf8'));
    expect(server.playlistItems.map((item) => [item.snippet.playlistId, (item.snippet.resourceId as { videoId: string }).videoId])).toEqual(
      [
        ['PLone', stored.id],
        ['PLtwo', stored.id],
      ],
    );

    const [session] = uploads('POST');
    expect(session.query).toMatchObject({ uploadType: 'resumable', part: 'snippet,status' });
    expect(session.headers['x-upload-content-length']).toBe(String(VIDEO_BYTES));
    expect(session.headers['x-upload-content-type']).toBe('video/mp4');
    const puts = uploads('PUT');
    expect(puts).toHaveLength(Math.ceil(VIDEO_BYTES / CHUNK));
    expect(puts.map((put) => put.headers['content-range'])).toContain(`bytes 0-${CHUNK - 1}/${VIDEO_BYTES}`);
    expect(puts.slice(0, -1).every((put) => put.bodyBytes === CHUNK)).toBe(true);

    expect(await state.get(STATE_VIDEO_ID)).toBe(stored.id);
    expect(await state.get<{ size: number }>(STATE_UPLOAD)).toMatchObject({ size: VIDEO_BYTES, contentType: 'video/mp4' });
  });

  it('resumes the same session after the connection drops mid-upload', async () => {
    server.interruptUploadAfter(1_300_000);
    const produced = await new YouTubePublisher(spec, fast).publish(context(new MemoryState()), request);

    expect(server.sessions.size).toBe(1);
    expect(uploads('POST')).toHaveLength(1);
    expect(uploads('PUT').some((put) => put.headers['content-range'] === `bytes */${VIDEO_BYTES}`)).toBe(true);
    expect(uploads('PUT').some((put) => put.headers['content-range'] === `bytes 1300000-${1_300_000 + CHUNK - 1}/${VIDEO_BYTES}`)).toBe(
      true,
    );
    const stored = server.videos.get(produced.value.id)!;
    expect(stored.bytes.equals(video)).toBe(true);
    expect(logs.some((line) => /could not be reached/.test(line))).toBe(true);
  });

  it('resumes the session of a failed attempt in the next attempt of the stage', async () => {
    const state = new MemoryState();
    server.interruptUploadAfter(2 * CHUNK + 1000);
    const once = { ...fast, retry: { ...fast.retry, attempts: 1 } };
    const failure = await failureOf(new YouTubePublisher(spec, once).publish(context(state), request));
    expect(failure).toBeInstanceOf(ProviderError);
    expect(failure.kind).toBe('network');
    expect(await state.get(STATE_VIDEO_ID)).toBeUndefined();
    const session = await state.get<{ uri: string }>(STATE_UPLOAD);
    expect(session?.uri).toContain('upload_id=');

    const before = server.requests.length;
    const produced = await new YouTubePublisher(spec, once).publish(context(state), request);
    const second = server.requests.slice(before).filter((entry) => entry.path === '/upload/youtube/v3/videos');
    expect(second[0].headers['content-range']).toBe(`bytes */${VIDEO_BYTES}`);
    expect(second[1].headers['content-range']).toBe(`bytes ${2 * CHUNK + 1000}-${3 * CHUNK + 999}/${VIDEO_BYTES}`);
    expect(server.sessions.size).toBe(1);
    expect(uploads('POST')).toHaveLength(1);
    expect(server.videos.get(produced.value.id)!.bytes.equals(video)).toBe(true);
    expect(logs.some((line) => /resuming the earlier upload session at byte 1049576/.test(line))).toBe(true);
  });

  it('never sends the token to a stored session URI on another origin: it starts a new session instead', async () => {
    // A server on another port of the same host, recording what reaches it (and with which token).
    const seen: { method?: string; authorization?: string }[] = [];
    const elsewhere = createServer((req, res) => {
      seen.push({ method: req.method, authorization: req.headers.authorization });
      res.writeHead(308, { range: 'bytes=0-0', 'content-length': 0 }).end();
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    const foreign = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/upload/youtube/v3/videos?uploadType=resumable&upload_id=planted`;
    try {
      for (const uri of [foreign, new URL('elsewhere/upload?upload_id=planted', server.url).href, 'not a url']) {
        logs.length = 0;
        const state = new MemoryState();
        await state.put(STATE_UPLOAD, { uri, size: VIDEO_BYTES, contentType: 'video/mp4' });
        const produced = await new YouTubePublisher(spec, fast).publish(context(state), request);
        expect(server.videos.get(produced.value.id)!.bytes.equals(video)).toBe(true);
        expect(
          logs.some((line) => /the stored upload session is on .*not under this publisher's upload endpoint .*discarding it/.test(line)),
        ).toBe(true);
        expect(await state.get<{ uri: string }>(STATE_UPLOAD)).toMatchObject({ uri: expect.stringContaining(server.url) });
      }
      expect(seen).toEqual([]);
      expect(server.requests.some((entry) => entry.path.startsWith('/elsewhere'))).toBe(false);
      expect(uploads('POST')).toHaveLength(3);
    } finally {
      await new Promise((resolve) => elsewhere.close(resolve));
    }
  });

  it('continues from the Range YouTube reports when it kept only part of a chunk', async () => {
    server.keepOnlyOfNextChunk(100_000);
    const produced = await new YouTubePublisher(spec, fast).publish(context(new MemoryState()), request);
    expect(uploads('PUT')[1].headers['content-range']).toBe(`bytes 100000-${100_000 + CHUNK - 1}/${VIDEO_BYTES}`);
    expect(server.videos.get(produced.value.id)!.bytes.equals(video)).toBe(true);
  });

  it('finds the video of an earlier attempt, uploads nothing and updates what changed', async () => {
    const state = new MemoryState();
    const first = await new YouTubePublisher(spec, fast).publish(context(state), request);
    const before = server.requests.length;

    const again = await new YouTubePublisher(spec, fast).publish(context(state), request);
    const repeated = server.requests.slice(before);
    expect(again.value).toEqual(first.value);
    expect(again.usage).toEqual({ uploadBytes: 0, quotaUnits: QUOTA_UNITS.videosList, uploadQuotaUnits: 0 });
    expect(repeated.filter((entry) => entry.path.startsWith('/upload/'))).toEqual([]);
    expect(repeated.map((entry) => `${entry.method} ${entry.path}`).filter((line) => !line.endsWith('/token'))).toEqual([
      'GET /youtube/v3/videos',
    ]);
    expect(server.videos.size).toBe(1);

    const retitled = { ...request, metadata: { ...request.metadata, title: 'Database indexes, explained' } };
    const updated = await new YouTubePublisher(spec, fast).publish(context(state), retitled);
    expect(updated.value.id).toBe(first.value.id);
    expect(updated.usage.quotaUnits).toBe(QUOTA_UNITS.videosList + QUOTA_UNITS.videosUpdate);
    const stored = server.videos.get(first.value.id)!;
    expect(stored.resource.snippet?.title).toBe('Database indexes, explained');
    expect(stored.resource.status).toMatchObject({
      privacyStatus: 'private',
      publishAt: '2026-12-07T09:00:00.000Z',
      containsSyntheticMedia: true,
      embeddable: true,
    });
    expect(server.videos.size).toBe(1);
    expect(stored.captions).toHaveLength(1);
    expect(server.playlistItems).toHaveLength(2);
  });

  it('adds the video to playlists whose ids are named like Object.prototype members, once each', async () => {
    const state = new MemoryState();
    const odd = { publish: { ...episodeExample.publish, playlistIds: ['__proto__', 'constructor', 'toString'] } };
    await new YouTubePublisher(spec, fast).publish(context(state, { episode: odd }), request);
    expect(server.playlistItems.map((item) => item.snippet.playlistId)).toEqual(['__proto__', 'constructor', 'toString']);
    const finishing = await state.get<{ playlistItems: Record<string, string> }>(STATE_FINISHING);
    expect(Object.keys(finishing!.playlistItems)).toEqual(['__proto__', 'constructor', 'toString']);

    await new YouTubePublisher(spec, fast).publish(context(state, { episode: odd }), request);
    expect(server.playlistItems).toHaveLength(3);
  });

  it('refuses to upload a second video when the stored one is gone', async () => {
    const state = new MemoryState();
    await state.put(STATE_VIDEO_ID, 'gone1234567');
    await expect(new YouTubePublisher(spec, fast).publish(context(state), request)).rejects.toThrow(/never uploads a second video/);
    expect(uploads('POST')).toHaveLength(0);
  });

  it('explains an expired or revoked refresh token', async () => {
    const error = await failureOf(
      new YouTubePublisher(spec, fast).publish(context(new MemoryState(), { env: { YOUTUBE_REFRESH_TOKEN: 'revoked-token' } }), request),
    );
    expect(error).toBeInstanceOf(YouTubeError);
    expect(error.kind).toBe('auth');
    expect(error.reason).toBe('invalid_grant');
    expect(error.message).toMatch(/refresh token .*expired or been revoked/);
    expect(error.message).toMatch(/"Testing" expire after 7 days/);
    expect(error.message).toMatch(/Re-authorise the channel .* YOUTUBE_REFRESH_TOKEN in Secret engineering-explained-youtube/);
    expect(server.requests.filter((entry) => entry.path === '/token')).toHaveLength(1);
    expect(uploads('POST')).toHaveLength(0);
  });

  it("says when videos.insert's own daily bucket is spent, apart from the units, and when it resets", async () => {
    await server.close();
    server = await startYouTubeServer({ dailyUploads: 1 });
    await new YouTubePublisher(spec, fast).publish(context(new MemoryState()), request);
    const error = await failureOf(new YouTubePublisher(spec, fast).publish(context(new MemoryState()), request));
    expect(error.reason).toBe('quotaExceeded');
    expect(error.quota).toBe('uploads');
    expect(error.message).toMatch(
      /^The Google Cloud project's daily videos\.insert quota is used up \(quotaExceeded, 403 on videos\.insert: /,
    );
    expect(error.message).toContain('uploads have a bucket of their own (100 a day by default, 1 unit each)');
    expect(error.message).toContain('resets at midnight Pacific time, 2026-11-21T08:00:00.000Z (in 20 h 0 min)');
    expect(error.retryAfterMs).toBe(20 * 3600_000);
    // Not retried: the bucket is empty until midnight.
    expect(uploads('POST')).toHaveLength(2);
    expect(server.videos.size).toBe(1);
  });

  it("says when the project's daily units are used up, without retrying", async () => {
    server.failNext({ method: 'POST', path: '/upload/youtube/v3/thumbnails/set', status: 403, reason: 'quotaExceeded' });
    const error = await failureOf(new YouTubePublisher(spec, fast).publish(context(new MemoryState()), request));
    expect(error.reason).toBe('quotaExceeded');
    expect(error.quota).toBe('units');
    expect(error.message).toMatch(/daily YouTube Data API quota .* is used up \(quotaExceeded, 403 on thumbnails\.set/);
    expect(error.message).toContain('resets at midnight Pacific time, 2026-11-21T08:00:00.000Z (in 20 h 0 min)');
    expect(server.requests.filter((entry) => entry.path === '/upload/youtube/v3/thumbnails/set')).toHaveLength(1);
  });

  it('sets a custom thumbnail of several MB (YouTube takes up to 50 MB), and skips a larger one', async () => {
    const large = join(dir, 'large-thumbnail.png');
    await writeFile(large, randomBytes(3 * 1024 * 1024));
    await new YouTubePublisher(spec, fast).publish(context(new MemoryState()), {
      ...request,
      files: { ...request.files, thumbnail: large },
    });
    const [stored] = server.videos.values();
    expect(stored.thumbnail?.bytes.length).toBe(3 * 1024 * 1024);

    const huge = join(dir, 'huge-thumbnail.png');
    await writeFile(huge, randomBytes(THUMBNAIL_MAX_BYTES + 1));
    await server.close();
    server = await startYouTubeServer();
    await new YouTubePublisher(spec, fast).publish(context(new MemoryState()), {
      ...request,
      files: { ...request.files, thumbnail: huge },
    });
    expect(server.requests.some((entry) => entry.path === '/upload/youtube/v3/thumbnails/set')).toBe(false);
    expect(logs.some((line) => line.includes("more than YouTube's 50 MB; the video keeps an automatic thumbnail"))).toBe(true);
    await rm(huge);
  });

  it("says when the channel's daily upload limit is reached", async () => {
    server.failNext({ method: 'POST', path: '/upload/youtube/v3/videos', status: 400, reason: 'uploadLimitExceeded' });
    const error = await failureOf(new YouTubePublisher(spec, fast).publish(context(new MemoryState()), request));
    expect(error.reason).toBe('uploadLimitExceeded');
    expect(error.message).toMatch(/daily YouTube upload limit/);
    expect(error.message).toContain('midnight Pacific time');
    expect(uploads('POST')).toHaveLength(1);
  });

  it('retries 5xx answers with backoff, on the upload and on the metadata calls', async () => {
    server.failNext({ method: 'PUT', path: '/upload/youtube/v3/videos', status: 503, times: 2 });
    server.failNext({ method: 'POST', path: '/upload/youtube/v3/captions', status: 500 });
    server.failNext({ method: 'POST', path: '/token', status: 503 });
    const produced = await new YouTubePublisher(spec, fast).publish(context(new MemoryState()), request);

    const stored = server.videos.get(produced.value.id)!;
    expect(stored.bytes.equals(video)).toBe(true);
    expect(stored.captions).toHaveLength(1);
    expect(server.sessions.size).toBe(1);
    expect(server.requests.filter((entry) => entry.path === '/upload/youtube/v3/captions')).toHaveLength(2);
    expect(server.requests.filter((entry) => entry.path === '/token')).toHaveLength(2);
    expect(logs.filter((line) => /YouTube failed \(backendError, 50\d/.test(line))).toHaveLength(4);
  });

  it('reports a video kept private because the API project is unaudited', async () => {
    await server.close();
    server = await startYouTubeServer({ unauditedProject: true });
    const publicNow = { publish: { privacy: 'public' as const } };
    const state = new MemoryState();
    const produced = await new YouTubePublisher(spec, fast).publish(context(state, { episode: publicNow }), request);
    expect(produced.value.privacy).toBe('private');
    expect(logs.some((line) => /uploaded private because the API project is unaudited/.test(line))).toBe(true);

    logs = [];
    const again = await new YouTubePublisher(spec, fast).publish(context(state, { episode: publicNow }), {
      ...request,
      metadata: { ...request.metadata, title: 'New title' },
    });
    expect(again.value.privacy).toBe('private');
    expect(logs.some((line) => /forbiddenPrivacySetting.*unaudited/.test(line))).toBe(true);
    expect(server.videos.get(produced.value.id)!.resource.snippet?.title).toBe('New title');
  });

  it('names the missing scope when captions are refused', async () => {
    await server.close();
    server = await startYouTubeServer({ scopes: [UPLOAD_SCOPE] });
    const error = await failureOf(new YouTubePublisher(spec, fast).publish(context(new MemoryState()), request));
    expect(error.reason).toBe('insufficientPermissions');
    expect(error.message).toMatch(/captions youtube\.force-ssl/);
  });

  it('names the Secret when a credential is missing', async () => {
    const error = await failureOf(
      new YouTubePublisher(spec, fast).publish(context(new MemoryState(), { env: { YOUTUBE_CLIENT_SECRET: undefined } }), request),
    );
    expect(error).toBeInstanceOf(ProviderConfigError);
    expect(error.message).toBe(
      'YOUTUBE_CLIENT_SECRET is not set: the runner reads it from key YOUTUBE_CLIENT_SECRET of Secret engineering-explained-youtube',
    );
  });

  it('refuses chunk sizes YouTube would refuse', () => {
    expect(() => new YouTubePublisher(spec, { chunkBytes: 1_000_000 })).toThrow(/multiple of 262144/);
  });
});

describe('YouTube rules', () => {
  it('finds the next midnight Pacific time across daylight saving time', () => {
    expect(nextQuotaReset(new Date('2026-11-20T12:00:00Z')).toISOString()).toBe('2026-11-21T08:00:00.000Z');
    expect(nextQuotaReset(new Date('2026-07-01T12:00:00Z')).toISOString()).toBe('2026-07-02T07:00:00.000Z');
    expect(nextQuotaReset(new Date('2026-11-01T08:30:00Z')).toISOString()).toBe('2026-11-02T08:00:00.000Z');
    expect(nextQuotaReset(new Date('2026-03-08T09:30:00Z')).toISOString()).toBe('2026-03-09T07:00:00.000Z');
  });

  it('uploads a scheduled release private with publishAt, and a past release time at once', () => {
    expect(videoSettings({ privacy: 'public', at: '2026-12-07T09:00:00Z' }, NOW)).toEqual({
      privacyStatus: 'private',
      publishAt: '2026-12-07T09:00:00.000Z',
    });
    expect(videoSettings({ privacy: 'public', at: '2026-11-01T09:00:00Z' }, NOW)).toEqual({ privacyStatus: 'public' });
    expect(videoSettings({ privacy: 'unlisted' }, NOW)).toEqual({ privacyStatus: 'unlisted' });
    expect(videoSettings(undefined, NOW)).toEqual({ privacyStatus: 'private' });
  });

  it('takes a session URI only from the upload endpoint it uses itself', () => {
    expect(isOwnSessionUri('https://www.googleapis.com/upload/youtube/v3/videos?upload_id=x', 'https://www.googleapis.com/')).toBe(true);
    expect(isOwnSessionUri('https://evil.example/upload/youtube/v3/videos?upload_id=x', 'https://www.googleapis.com/')).toBe(false);
    expect(isOwnSessionUri('http://www.googleapis.com/upload/youtube/v3/videos', 'https://www.googleapis.com/')).toBe(false);
    expect(isOwnSessionUri('https://www.googleapis.com:8443/upload/youtube/v3/videos', 'https://www.googleapis.com/')).toBe(false);
    expect(isOwnSessionUri('https://www.googleapis.com/youtube/v3/videos', 'https://www.googleapis.com/')).toBe(false);
    expect(isOwnSessionUri('http://127.0.0.1:4000/upload/youtube/v3/videos?upload_id=x', 'http://127.0.0.1:4000/')).toBe(true);
    expect(isOwnSessionUri('http://127.0.0.1:4001/upload/youtube/v3/videos?upload_id=x', 'http://127.0.0.1:4000/')).toBe(false);
    expect(isOwnSessionUri('/upload/youtube/v3/videos', 'https://www.googleapis.com/')).toBe(false);
  });

  it("reads the Range of a 308 and Google's error bodies", () => {
    expect(receivedFromRange('bytes=0-524287')).toBe(524288);
    expect(receivedFromRange(null)).toBe(0);
    expect(
      googleErrorInfo(403, { error: { code: 403, message: 'quota', errors: [{ reason: 'quotaExceeded', domain: 'youtube.quota' }] } }),
    ).toEqual({
      status: 403,
      reason: 'quotaExceeded',
      message: 'quota',
    });
    expect(googleErrorInfo(400, '{"error":"invalid_grant","error_description":"Token has been expired or revoked."}')).toEqual({
      status: 400,
      reason: 'invalid_grant',
      message: 'Token has been expired or revoked.',
    });
    expect(googleErrorInfo(502, '<html>Bad Gateway</html>')).toEqual({ status: 502, message: '<html>Bad Gateway</html>' });
  });
});
