// The stages against the real MinIO of the local control plane: what a Channel or an Episode names
// (images, music, the publish destination, an llm baseURL) is read and written only inside the
// tenant's own prefix, or at public addresses (issue #12).
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelSpec, EpisodeSpec, StageInput, StageName, StageResult } from '@acog/api';
import { S3ArtifactStore } from '@acog/store/s3';
import { startOpenAiServer, type OpenAiServer } from '../../../test/provider-servers/openai.ts';
import { localEnv, uniqueName } from '../../../test/support/env.ts';
import type { BrollManifest, Narration, Plan, Publication, RefinedScript, Script } from '../contract/documents.ts';
import { runStage, StageFailure } from '../contract/run-stage.ts';
import { runFfmpeg } from '../media/ffmpeg.ts';
import { exampleChannel, exampleEpisode } from '../providers/testing.ts';
import { defaultPublishDestination, mediaFileName, STAGE_IMPLEMENTATIONS } from './stages.ts';

const NS = 'team-a';
const OTHER = 'team-b';
let store: S3ArtifactStore;
let scratch: string;
let run: string;
let recorder: Server;
let recorderUrl: string;
const contacted: string[] = [];
const uris: Record<string, string> = {};

function s3Store(): S3ArtifactStore {
  const { s3 } = localEnv();
  return new S3ArtifactStore({
    endpoint: s3.endpoint,
    region: s3.region,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
}

interface Episode {
  name: string;
  uid: string;
  upstream: StageInput['upstream'];
}

/** A fresh episode of team-a with finished upstream results whose artifacts are in its own prefix. */
async function episodeWith(files: Partial<Record<StageName, Record<string, string | Buffer>>>): Promise<Episode> {
  const name = uniqueName('ep');
  const uid = randomUUID();
  const upstream: StageInput['upstream'] = {};
  for (const [stage, artifacts] of Object.entries(files) as [StageName, Record<string, string | Buffer>][]) {
    const result: StageResult = {
      stage,
      attempt: 1,
      inputHash: 'h',
      provider: 'test',
      artifacts: {},
      usage: {},
      costUSD: 0,
      startedAt: '',
      finishedAt: '',
    };
    for (const [artifact, body] of Object.entries(artifacts)) {
      const bucket = ['plan', 'script', 'refine', 'metadata'].includes(stage) ? 'acog-scripts' : 'acog-assets';
      const uri = `s3://${bucket}/${NS}/${name}/${uid}/${stage}/1/${artifact}`;
      await store.putBytes(uri, body);
      result.artifacts[artifact] = uri;
    }
    upstream[stage] = result;
  }
  return { name, uid, upstream };
}

function stageInput(
  stage: StageName,
  episode: Episode,
  change: { channel?: (spec: ChannelSpec) => void; episode?: (spec: EpisodeSpec) => void } = {},
): StageInput {
  const channel = exampleChannel();
  const spec = exampleEpisode();
  change.channel?.(channel);
  change.episode?.(spec);
  return {
    stage,
    attempt: 1,
    inputHash: 'sha256:test',
    episode: { namespace: NS, name: episode.name, uid: episode.uid, spec },
    channel: { name: 'engineering-explained', spec: channel },
    upstream: episode.upstream,
  };
}

/** The StageFailure a stage rejects with; a stage that succeeds fails the test. */
async function failureOf(input: StageInput, env: Record<string, string | undefined> = {}): Promise<string> {
  try {
    await runStage(input, STAGE_IMPLEMENTATIONS[input.stage], { store, scratch, env });
  } catch (error) {
    expect(error).toBeInstanceOf(StageFailure);
    return (error as Error).message;
  }
  throw new Error(`expected ${input.stage} to fail`);
}

const refined: RefinedScript = {
  title: 'Indexes',
  beats: [{ id: 'beat-1', heading: 'Lookups', narration: 'An index makes a lookup fast.', brollCues: [] }],
  wordCount: 6,
  estimatedSeconds: 3,
  notes: [],
};
const narration = {
  audio: 'narration.wav',
  durationSeconds: 1,
  words: [],
  beats: [{ id: 'beat-1', start: 0, end: 1 }],
  timing: 'sentence',
};

beforeAll(async () => {
  store = s3Store();
  scratch = await mkdtemp(join(tmpdir(), 'acog-stages-'));
  run = randomUUID().slice(0, 8);
  recorder = createServer((req, res) => {
    contacted.push(req.url ?? '/');
    res.writeHead(200, { 'content-type': 'image/png' }).end();
  });
  await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
  recorderUrl = `http://127.0.0.1:${(recorder.address() as AddressInfo).port}`;

  const png = join(scratch, 'logo.png');
  await runFfmpeg(['-f', 'lavfi', '-i', 'color=c=orange:s=64x64', '-frames:v', '1', '-y', png]);
  const playlist = join(scratch, 'music.m3u8');
  await writeFile(playlist, `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n${recorderUrl}/music.ts\n#EXT-X-ENDLIST\n`);
  uris.ownLogo = `s3://acog-assets/${NS}/${run}/logo.png`;
  uris.otherLogo = `s3://acog-assets/${OTHER}/${run}/logo.png`;
  uris.otherMusic = `s3://acog-assets/${OTHER}/${run}/music.mp3`;
  uris.ownPlaylist = `s3://acog-assets/${NS}/${run}/music.m3u8`;
  await store.putFile(uris.ownLogo, png);
  await store.putFile(uris.otherLogo, png);
  await store.putFile(uris.otherMusic, png);
  await store.putFile(uris.ownPlaylist, playlist);
});

afterAll(async () => {
  await new Promise((resolve) => recorder.close(resolve));
});

describe('channel media', () => {
  it("reads format.images only under the namespace's own prefix, and names the field when it refuses", async () => {
    const episode = await episodeWith({ refine: { 'refined.json': JSON.stringify(refined) } });
    const withImages = (images: string[]) =>
      stageInput('broll', episode, {
        channel: (spec) => {
          spec.format.images = images;
        },
      });
    expect(await failureOf(withImages([uris.ownLogo, uris.otherLogo]))).toBe(
      `spec.format.images[1]: ${uris.otherLogo} is outside this namespace's prefix s3://acog-assets/${NS}/`,
    );
    expect(await failureOf(withImages([`s3://acog-assets/${NS}/../${OTHER}/${run}/logo.png`]))).toMatch(
      /^spec\.format\.images\[0\]: .* has an empty, "\." or "\.\." segment in its key: refused$/,
    );
    expect(await failureOf(withImages(['file:///etc/passwd']))).toMatch(
      /^spec\.format\.images\[0\]: file:\/\/\/etc\/passwd is a file on the runner: file:\/\/ URIs are read only by a local render/,
    );
    expect(await failureOf(withImages([`${recorderUrl}/logo.png`]))).toMatch(/is plain http: use https:\/\//);
    // https to a private address: the network policy refuses it before connecting.
    const privateHttps = `https://127.0.0.1:${new URL(recorderUrl).port}/logo.png`;
    expect(await failureOf(withImages([privateHttps]))).toMatch(
      /^spec\.format\.images\[0\] https:\/\/127\.0\.0\.1:\d+\/logo\.png resolves to 127\.0\.0\.1, a loopback \(127\.0\.0\.0\/8\) address: refused/,
    );
    expect(contacted).toEqual([]);
  });

  it("renders with an image of the tenant's own prefix", async () => {
    const episode = await episodeWith({ refine: { 'refined.json': JSON.stringify(refined) } });
    const input = stageInput('broll', episode, {
      channel: (spec) => {
        spec.format.images = [uris.ownLogo];
        spec.providers!.broll = { provider: 'motion-graphics', clipSeconds: 3 };
      },
    });
    const result = await runStage(input, STAGE_IMPLEMENTATIONS.broll, { store, scratch, env: {} });
    expect(Object.keys(result.artifacts)).toContain('broll.json');
  });

  it("reads format.music only under the namespace's prefix, and refuses a playlist even there, contacting nothing", async () => {
    const episode = await episodeWith({
      refine: { 'refined.json': JSON.stringify(refined) },
      voice: { 'narration.json': JSON.stringify(narration), 'narration.wav': Buffer.alloc(64) },
    });
    const withMusic = (uri: string) =>
      stageInput('assemble', episode, {
        channel: (spec) => {
          spec.skipStages = ['avatar', 'broll', 'metadata'];
          spec.format.music = { uri };
        },
      });
    expect(await failureOf(withMusic(uris.otherMusic))).toBe(
      `spec.format.music.uri: ${uris.otherMusic} is outside this namespace's prefix s3://acog-assets/${NS}/`,
    );
    expect(await failureOf(withMusic(uris.ownPlaylist))).toBe(
      `spec.format.music.uri: ${uris.ownPlaylist} is an HLS playlist (hls), not a media file the pipeline reads: refused, nothing it names was opened`,
    );
    expect(contacted).toEqual([]);
  });

  it('keeps only media extensions in the names of fetched files', () => {
    expect(mediaFileName('music', 's3://acog-assets/team-a/x/song.MP3', '.mp3')).toBe('music.mp3');
    expect(mediaFileName('music', 's3://acog-assets/team-a/x/list.m3u8', '.mp3')).toBe('music.mp3');
    expect(mediaFileName('image-0', 'https://cdn.example.com/a.jpg?x=1', '.png')).toBe('image-0.jpg');
    expect(mediaFileName('image-0', 'not a url', '.png')).toBe('image-0.png');
  });
});

describe('the folder publisher', () => {
  const assembled = {
    'video.mp4': 'video bytes',
    'thumbnail.jpg': 'jpeg bytes',
    'captions.srt': '1\n00:00:00,000 --> 00:00:01,000\nHi\n',
    'captions.vtt': 'WEBVTT\n',
    'assembly.json': JSON.stringify({ chapterStarts: [0] }),
  };
  const skipping = (spec: ChannelSpec) => {
    spec.skipStages = ['metadata', 'broll'];
  };

  it("publishes by default into the namespace's own prefix: s3://acog-assets/<namespace>/published/<episode>/", async () => {
    const episode = await episodeWith({ refine: { 'refined.json': JSON.stringify(refined) }, assemble: assembled });
    const result = await runStage(stageInput('upload', episode, { channel: skipping }), STAGE_IMPLEMENTATIONS.upload, {
      store,
      scratch,
      env: {},
    });
    const prefix = defaultPublishDestination(NS, episode.name);
    expect(prefix).toBe(`s3://acog-assets/${NS}/published/${episode.name}/`);
    const publication = JSON.parse((await store.getBytes(result.artifacts['publication.json'])).toString()) as Publication;
    expect(publication).toMatchObject({ provider: 'folder', id: prefix, url: `${prefix}video.mp4` });
    expect((await store.list(prefix)).map((uri) => uri.slice(prefix.length))).toEqual([
      'captions.srt',
      'captions.vtt',
      'metadata.json',
      'thumbnail.jpg',
      'video.mp4',
    ]);
  });

  it("writes a destination the Channel or the Episode names only under the namespace's prefix", async () => {
    const episode = await episodeWith({ refine: { 'refined.json': JSON.stringify(refined) }, assemble: assembled });
    const inbox = `s3://acog-assets/${OTHER}/${run}/inbox`;
    const channelNamed = stageInput('upload', episode, {
      channel: (spec) => {
        skipping(spec);
        spec.providers!.publisher = { provider: 'folder', destination: inbox };
      },
    });
    expect(await failureOf(channelNamed)).toBe(
      `spec.providers.publisher.destination: ${inbox}/${NS}/${episode.name}/ is outside this namespace's prefix s3://acog-assets/${NS}/`,
    );
    const episodeNamed = stageInput('upload', episode, {
      channel: skipping,
      episode: (spec) => {
        spec.overrides = { providers: { publisher: { provider: 'folder', destination: `s3://acog-scripts/${OTHER}/` } } };
      },
    });
    expect(await failureOf(episodeNamed)).toBe(
      `spec.overrides.providers.publisher.destination: s3://acog-scripts/${OTHER}/${NS}/${episode.name}/ is outside this namespace's prefix s3://acog-scripts/${NS}/`,
    );
    const folder = stageInput('upload', episode, {
      channel: (spec) => {
        skipping(spec);
        spec.providers!.publisher = { provider: 'folder', destination: `file://${scratch}/published` };
      },
    });
    expect(await failureOf(folder)).toMatch(/^spec\.providers\.publisher\.destination: file:\/\/.* is a file on the runner/);
    expect(
      await failureOf(stageInput('upload', episode, { channel: skipping }), { ACOG_PUBLISH_DESTINATION: 's3://acog-assets/published/' }),
    ).toBe(`ACOG_PUBLISH_DESTINATION: s3://acog-assets/published/ is outside this namespace's prefix s3://acog-assets/${NS}/`);
    expect(await store.list(`s3://acog-assets/${OTHER}/${run}/`)).toEqual([uris.otherLogo, uris.otherMusic]);
    expect(await store.list(`s3://acog-scripts/${OTHER}/${NS}/`)).toEqual([]);
  });
});

describe('an llm baseURL', () => {
  let openai: OpenAiServer;
  beforeAll(async () => {
    openai = await startOpenAiServer({ apiKey: null });
  });
  afterAll(() => openai.close());

  it('that only the Episode names is reached at public addresses only; one the Channel allows is trusted', async () => {
    const episode = await episodeWith({});
    const override = (spec: EpisodeSpec) => {
      spec.overrides = { providers: { llm: { provider: 'openai', baseURL: openai.url } } };
    };
    const refused = await failureOf(stageInput('plan', episode, { episode: override }));
    expect(refused).toMatch(/^the llm baseURL http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions resolves to 127\.0\.0\.1, a loopback/);
    expect(openai.requests).toEqual([]);

    const allowed = stageInput('plan', episode, {
      episode: override,
      channel: (spec) => {
        spec.episodeOverrides = { baseURLs: [openai.url] };
      },
    });
    const result = await runStage(allowed, STAGE_IMPLEMENTATIONS.plan, { store, scratch, env: {} });
    expect(result.provider).toBe('openai');
    expect(openai.requests.length).toBeGreaterThan(0);
  });
});

describe('spec.script', () => {
  let openai: OpenAiServer;
  beforeAll(async () => {
    openai = await startOpenAiServer({ apiKey: null });
  });
  afterAll(() => openai.close());

  const ownScript: NonNullable<EpisodeSpec['script']> = {
    title: 'Indexes in a minute',
    beats: [
      { heading: 'Lookups', narration: 'An index makes a lookup fast.', broll: 'library card catalogue' },
      { narration: 'Without one, the database reads every row.' },
    ],
  };
  // The writer is the OpenAI one, at a server the Channel allows: it must not be asked.
  const withOwnScript = (spec: EpisodeSpec) => {
    spec.script = structuredClone(ownScript);
  };
  const openAiChannel = (spec: ChannelSpec) => {
    spec.providers!.llm = { provider: 'openai', baseURL: openai.url };
  };

  it('plan, script and refine use it as written, and the writer is never asked', async () => {
    const episode = await episodeWith({});
    const change = { episode: withOwnScript, channel: openAiChannel };
    const plan = await runStage(stageInput('plan', episode, change), STAGE_IMPLEMENTATIONS.plan, { store, scratch, env: {} });
    expect(plan.provider).toBe('spec.script');
    const planned = JSON.parse((await store.getBytes(plan.artifacts['plan.json'])).toString()) as Plan;
    expect(planned.title).toBe('Indexes in a minute');
    expect(planned.beats.map((beat) => [beat.id, beat.heading, beat.brollCues[0].description])).toEqual([
      ['beat-1', 'Lookups', 'library card catalogue'],
      ['beat-2', 'Without one, the database reads every', 'Without one, the database reads every'],
    ]);

    const script = await runStage(stageInput('script', episode, change), STAGE_IMPLEMENTATIONS.script, { store, scratch, env: {} });
    const written = JSON.parse((await store.getBytes(script.artifacts['script.json'])).toString()) as Script;
    expect(written.beats.map((beat) => beat.narration)).toEqual(ownScript.beats.map((beat) => beat.narration));

    const refineEpisode = await episodeWith({ script: { 'script.json': JSON.stringify(written) } });
    const refine = await runStage(stageInput('refine', refineEpisode, change), STAGE_IMPLEMENTATIONS.refine, { store, scratch, env: {} });
    const checked = JSON.parse((await store.getBytes(refine.artifacts['refined.json'])).toString()) as RefinedScript;
    expect(checked.beats.map((beat) => beat.narration)).toEqual(ownScript.beats.map((beat) => beat.narration));
    expect(checked.notes[0]).toMatch(/spec\.script\) is used as written: only the banned topics and the length were checked/);
    // 13 words for a 60 s target at 150 words per minute: too short, said and not changed.
    expect(checked.notes[2]).toMatch(/^Length: 13 words, .* too short for the target; the video runs as long as the words take/);
    expect(openai.requests).toEqual([]);
  });

  it('refine fails on a banned topic, naming the beat', async () => {
    const episode = await episodeWith({});
    const banned = (spec: EpisodeSpec) => {
      withOwnScript(spec);
      spec.script!.beats[1].narration = 'Politics aside, the database reads every row.';
    };
    expect(await failureOf(stageInput('refine', episode, { episode: banned }))).toMatch(
      /^The script mentions the banned topic "politics" in beat beat-2 .*: "Politics aside, the database reads every row\."/,
    );
  });

  it("voice speaks the script's current words, not those refine saw, and checks them again", async () => {
    const stale: RefinedScript = { ...refined, beats: [{ ...refined.beats[0], narration: 'Words from before the edit.' }] };
    const episode = await episodeWith({ refine: { 'refined.json': JSON.stringify(stale) } });
    const espeak = (spec: ChannelSpec) => {
      spec.providers!.voice = { provider: 'espeak' };
    };
    const result = await runStage(stageInput('voice', episode, { episode: withOwnScript, channel: espeak }), STAGE_IMPLEMENTATIONS.voice, {
      store,
      scratch,
      env: {},
    });
    const spoken = JSON.parse((await store.getBytes(result.artifacts['narration.json'])).toString()) as Narration;
    expect(spoken.words.map((word) => word.text).join(' ')).toBe(ownScript.beats.map((beat) => beat.narration).join(' '));
    expect(spoken.beats.map((beat) => beat.id)).toEqual(['beat-1', 'beat-2']);

    const banned = (spec: EpisodeSpec) => {
      withOwnScript(spec);
      spec.script!.beats[0].narration = 'A word on politics.';
    };
    const again = await episodeWith({ refine: { 'refined.json': JSON.stringify(stale) } });
    expect(await failureOf(stageInput('voice', again, { episode: banned, channel: espeak }))).toMatch(
      /banned topic "politics" in beat beat-1/,
    );
  });
});

describe('spec.media', () => {
  const script: RefinedScript = {
    title: 'Indexes',
    beats: [
      { id: 'beat-1', heading: 'Lookups', narration: 'An index makes a lookup fast.', brollCues: [] },
      { id: 'beat-2', heading: 'Rows', narration: 'Without one, the database reads every row.', brollCues: [] },
      { id: 'beat-3', heading: 'Try it', narration: 'Add an index and measure again.', brollCues: [] },
    ],
    wordCount: 20,
    estimatedSeconds: 8,
    notes: [],
  };
  const media: Record<string, string> = {};
  beforeAll(async () => {
    const clip = join(scratch, 'clip.mp4');
    await runFfmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=320x180:r=30:d=2', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-y', clip]);
    const tone = join(scratch, 'tone.m4a');
    await runFfmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'aac', '-y', tone]);
    media.clip = `s3://acog-assets/${NS}/${run}/media/clip.mp4`;
    media.image = `s3://acog-assets/${NS}/${run}/media/photo.png`;
    media.tone = `s3://acog-assets/${NS}/${run}/media/tone.m4a`;
    media.other = `s3://acog-assets/${OTHER}/${run}/media/clip.mp4`;
    await store.putFile(media.clip, clip);
    await store.putFile(media.image, join(scratch, 'logo.png'));
    await store.putFile(media.tone, tone);
    await store.putFile(media.other, clip);
  });

  const withMedia = (items: NonNullable<EpisodeSpec['media']>) => (spec: EpisodeSpec) => {
    spec.media = items;
  };
  const motionGraphics = (spec: ChannelSpec) => {
    spec.providers!.broll = { provider: 'motion-graphics', clipSeconds: 3 };
  };

  it('shows own clips and images in their beats, with licence and attribution, and asks the provider only for the others', async () => {
    const episode = await episodeWith({ refine: { 'refined.json': JSON.stringify(script) } });
    const input = stageInput('broll', episode, {
      channel: motionGraphics,
      episode: withMedia([
        { beat: 1, uri: media.clip, license: 'own footage' },
        { beat: 3, uri: media.image, license: 'CC BY 4.0', attribution: 'Photo by Jane Doe (CC BY 4.0)' },
      ]),
    });
    const result = await runStage(input, STAGE_IMPLEMENTATIONS.broll, { store, scratch, env: {} });
    expect(result.provider).toBe('spec.media+motion-graphics');
    expect(result.message).toBe('own media: beat-1 own-media-1.mp4 (licence: own footage); beat-3 own-media-2.png (licence: CC BY 4.0)');
    const manifest = JSON.parse((await store.getBytes(result.artifacts['broll.json'])).toString()) as BrollManifest;
    expect(manifest.clips.filter((clip) => clip.beatId === 'beat-1')).toEqual([
      { beatId: 'beat-1', file: 'own-media-1.mp4', durationSeconds: 2, license: 'own footage' },
    ]);
    expect(manifest.clips.filter((clip) => clip.beatId === 'beat-3')).toEqual([
      expect.objectContaining({
        file: 'own-media-2.png',
        license: 'CC BY 4.0',
        attribution: 'Photo by Jane Doe (CC BY 4.0)',
        drawing: expect.objectContaining({ kind: 'kenburns', beatIndex: 2 }),
      }),
    ]);
    const provided = manifest.clips.filter((clip) => clip.beatId === 'beat-2');
    expect(provided.length).toBeGreaterThan(0);
    // Beat 2 keeps its place: its title card is numbered 2.
    expect(provided[0].drawing).toMatchObject({ kind: 'title', beatIndex: 1 });
    expect(manifest.clips.map((clip) => clip.beatId)).toEqual([...manifest.clips.map((clip) => clip.beatId)].sort());
    expect(Object.keys(result.artifacts)).toEqual(expect.arrayContaining(['own-media-1.mp4', 'own-media-2.png']));
  });

  it("refuses another namespace's media, private https addresses, sound without a picture and a beat the script does not have, naming the field", async () => {
    const episode = await episodeWith({ refine: { 'refined.json': JSON.stringify(script) } });
    const broll = (items: NonNullable<EpisodeSpec['media']>) =>
      stageInput('broll', episode, { channel: motionGraphics, episode: withMedia(items) });
    expect(
      await failureOf(
        broll([
          { beat: 1, uri: media.clip, license: 'x' },
          { beat: 2, uri: media.other, license: 'x' },
        ]),
      ),
    ).toBe(`spec.media[1].uri: ${media.other} is outside this namespace's prefix s3://acog-assets/${NS}/`);
    const privateHttps = `https://127.0.0.1:${new URL(recorderUrl).port}/clip.mp4`;
    expect(await failureOf(broll([{ beat: 1, uri: privateHttps, license: 'x' }]))).toMatch(
      /^spec\.media\[0\]\.uri https:\/\/127\.0\.0\.1:\d+\/clip\.mp4 resolves to 127\.0\.0\.1, a loopback/,
    );
    expect(await failureOf(broll([{ beat: 2, uri: media.tone, license: 'x' }]))).toBe(
      `spec.media[0].uri: ${media.tone} is neither a video clip nor a still image; use an MP4, MOV, WebM or MKV clip or a PNG, JPEG or WebP image`,
    );
    expect(await failureOf(broll([{ beat: 4, uri: media.clip, license: 'x' }]))).toBe(
      'spec.media[0].beat is 4, but the script has 3 beats: use a beat from 1 to 3',
    );
    expect(contacted).toEqual([]);
  });
});
