// Integration: real (short, small) inputs through the real ffmpeg, checked with ffprobe and ebur128.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleEpisode, AssembleInputError, type AssembleInput, type AssembleProgress } from './assemble.ts';
import { probe, runFfmpeg } from './ffmpeg.ts';
import type { ChannelFormat } from './frame.ts';
import { measureLoudness } from './loudness.ts';
import { makeSyntheticEpisode, type SyntheticEpisode } from './synthetic.ts';

const ENCODE_TIMEOUT = 300_000;

/** Types of the top-level MP4 boxes, in file order. */
async function topLevelBoxes(file: string): Promise<string[]> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const types: string[] = [];
    const header = Buffer.alloc(16);
    for (let offset = 0; offset < size;) {
      await handle.read(header, 0, 16, offset);
      let boxSize = header.readUInt32BE(0);
      types.push(header.toString('latin1', 4, 8));
      if (boxSize === 1) boxSize = Number(header.readBigUInt64BE(8));
      if (boxSize === 0) break;
      offset += boxSize;
    }
    return types;
  } finally {
    await handle.close();
  }
}

/** [start, end] of every SRT or WebVTT cue, in seconds. */
function cueTimes(text: string): [number, number][] {
  const time = (t: string) => {
    const [h, m, s] = t.replace(',', '.').split(':');
    return Number(h) * 3600 + Number(m) * 60 + Number(s);
  };
  return [...text.matchAll(/(\d\d:\d\d:\d\d[.,]\d{3}) --> (\d\d:\d\d:\d\d[.,]\d{3})/g)].map((m) => [time(m[1]), time(m[2])]);
}

/** Presentation times of every video frame, in seconds. */
async function framePresentationTimes(file: string): Promise<number[]> {
  const { stdout } = await promisify(execFile)(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', file],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  // A frame with side data (the encoder's SEI, first in each part) has its own empty line after it.
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => Number(line.split(',')[0]));
}

/** SSIM (all planes) of every frame of `a` against the same frame of `b`. */
async function ssimPerFrame(a: string, b: string): Promise<number[]> {
  const { stdout } = await promisify(execFile)(
    'ffmpeg',
    ['-hide_banner', '-nostdin', '-i', a, '-i', b, '-lavfi', '[0:v][1:v]ssim=stats_file=-', '-f', 'null', '-'],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  return [...stdout.matchAll(/All:([0-9.]+)/g)].map((m) => Number(m[1]));
}

const INTRO = 1;
const OUTRO = 1.5;

function channelFormat(aspectRatio: ChannelFormat['aspectRatio'], style: 'karaoke' | 'block'): ChannelFormat {
  return {
    aspectRatio,
    targetDurationSeconds: 15,
    layout: 'avatar-pip',
    captions: { burnIn: true, style, position: 'bottom', maxWordsPerCue: 6 },
    music: { uri: 'file:///music.m4a', volumeDb: -18, duckingDb: 12 },
    intro: { durationSeconds: INTRO },
    outro: { text: 'Subscribe for more', durationSeconds: OUTRO },
    brandColor: '#1e66f5',
  };
}

describe('assembleEpisode', () => {
  let dir: string;
  let episode: SyntheticEpisode;

  const inputFor = (workdir: string, format: ChannelFormat, changes: Partial<AssembleInput> = {}): AssembleInput => ({
    workdir: path.join(dir, workdir),
    format,
    title: 'How database indexes work',
    thumbnailText: 'Indexes, explained',
    narration: episode.narration,
    narrationAudioPath: episode.narrationAudioPath,
    avatarPath: episode.avatarPath,
    broll: { clips: episode.clips },
    musicPath: episode.musicPath,
    ...changes,
  });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'acog-assemble-'));
    episode = await makeSyntheticEpisode({
      dir: path.join(dir, 'inputs'),
      beats: ['Databases use indexes to find rows quickly.', 'Without an index, every query scans the whole table, which gets slow.'],
      clips: [
        [{ source: 'testsrc', width: 640, height: 360, fps: 25, seconds: 2 }],
        [
          { source: 'color=c=0x336699', width: 480, height: 480, fps: 30, seconds: 2 },
          { source: 'testsrc2', width: 320, height: 240, fps: 30, seconds: 3 },
        ],
      ],
      avatar: true,
      music: true,
    });
  }, 120_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function checkEpisode(input: AssembleInput, size: { width: number; height: number }, progress: AssembleProgress[]) {
    const output = await assembleEpisode(input, { onProgress: (p) => progress.push(p) });
    const narrationSeconds = episode.narration.durationSeconds;
    const expectedSeconds = INTRO + narrationSeconds + OUTRO;

    expect(output.video).toBe(path.join(input.workdir, 'video.mp4'));
    const facts = await probe(output.video);
    expect(facts.video).toMatchObject({ codecName: 'h264', profile: 'High', pixelFormat: 'yuv420p', ...size });
    expect(facts.video?.frameRate).toBe(30);
    expect(facts.audio).toMatchObject({ codecName: 'aac', profile: 'LC', sampleRate: 48000, channels: 2 });
    expect(Math.abs(facts.durationSeconds - expectedSeconds) / expectedSeconds).toBeLessThan(0.05);
    expect(Math.abs(output.durationSeconds - expectedSeconds) / expectedSeconds).toBeLessThan(0.05);

    const boxes = await topLevelBoxes(output.video);
    expect(boxes.indexOf('moov')).toBeGreaterThanOrEqual(0);
    expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));

    const loudness = await measureLoudness(output.video);
    expect(Math.abs(loudness.integratedLufs - -14)).toBeLessThanOrEqual(1);
    expect(loudness.truePeakDb).toBeLessThanOrEqual(-1);
    expect(Math.abs(output.loudness.integratedLufs - -14)).toBeLessThanOrEqual(1);

    for (const file of [output.captionsSrt, output.captionsVtt]) {
      const cues = cueTimes(await readFile(file, 'utf8'));
      expect(cues.length).toBeGreaterThanOrEqual(3);
      for (const [start, end] of cues) {
        expect(start).toBeGreaterThanOrEqual(INTRO - 0.001);
        expect(end).toBeLessThanOrEqual(INTRO + narrationSeconds + 0.001);
        expect(end).toBeGreaterThan(start);
      }
    }
    expect(await readFile(output.captionsVtt, 'utf8')).toMatch(/^WEBVTT\n\n/);

    const thumbnail = await probe(output.thumbnail);
    expect(thumbnail.video).toMatchObject({ width: 1280, height: 720 });
    expect((await stat(output.thumbnail)).size).toBeLessThan(2 * 1024 * 1024);

    expect(output.chapterStarts).toHaveLength(2);
    expect(output.chapterStarts[0]).toBe(0);
    expect(output.chapterStarts[1]).toBeCloseTo(INTRO + episode.narration.beats[1].start, 1);

    const encoding = progress.filter((p) => p.phase === 'encode');
    expect(encoding.length).toBeGreaterThan(1);
    expect(encoding.at(-1)!.secondsDone).toBeGreaterThan(expectedSeconds * 0.9);
    expect(progress.map((p) => p.phase)).toEqual(expect.arrayContaining(['prepare', 'loudness', 'encode', 'verify']));
    for (const intermediate of ['video.partial.mp4', 'video.pictures.mp4', 'video.sound.m4a'])
      expect(existsSync(path.join(input.workdir, intermediate))).toBe(false);
  }

  it(
    'assembles a 16:9 avatar-pip episode with karaoke captions and ducked music',
    async () => {
      await checkEpisode(inputFor('landscape', channelFormat('16:9', 'karaoke')), { width: 1920, height: 1080 }, []);
    },
    ENCODE_TIMEOUT,
  );

  it(
    'assembles a 9:16 episode with block captions',
    async () => {
      await checkEpisode(inputFor('portrait', channelFormat('9:16', 'block')), { width: 1080, height: 1920 }, []);
    },
    ENCODE_TIMEOUT,
  );

  it(
    'stops ffmpeg when cancelled and leaves no partial video',
    async () => {
      const controller = new AbortController();
      const input = inputFor('cancelled', channelFormat('16:9', 'block'));
      const run = assembleEpisode(input, {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.phase === 'encode' && p.secondsDone > 0) controller.abort(new Error('cancelled'));
        },
      });
      await expect(run).rejects.toThrow('cancelled');
      for (const intermediate of ['video.partial.mp4', 'video.pictures.mp4', 'video.sound.m4a'])
        expect(existsSync(path.join(input.workdir, intermediate))).toBe(false);
      expect(existsSync(path.join(input.workdir, 'video.mp4'))).toBe(false);
    },
    ENCODE_TIMEOUT,
  );

  it(
    'encodes the pictures in parts that join into the video one encode makes, frame for frame',
    async () => {
      const format = channelFormat('16:9', 'karaoke');
      const one = await assembleEpisode(inputFor('one-part', format), { pictureParts: 1 });
      const progress: AssembleProgress[] = [];
      const three = await assembleEpisode(inputFor('three-parts', format), {
        pictureParts: 3,
        onProgress: (p) => progress.push(p),
      });
      expect(one.pictureParts).toHaveLength(1);
      expect(three.pictureParts).toHaveLength(3);
      const total = one.pictureParts[0].end;
      expect(three.pictureParts[0].start).toBe(0);
      expect(three.pictureParts.at(-1)!.end).toBe(total);
      three.pictureParts.slice(1).forEach((part, i) => expect(part.start).toBe(three.pictureParts[i].end));

      // Every frame there, 1/30 s apart across the joins; one encode makes no frame more either.
      expect(await framePresentationTimes(one.video)).toHaveLength(total);
      const times = await framePresentationTimes(three.video);
      expect(times).toHaveLength(total);
      times.forEach((t, i) => expect(t).toBeCloseTo(i / 30, 4));
      expect(progress.filter((p) => p.phase === 'encode').at(-1)!.secondsDone).toBeGreaterThan((total / 30) * 0.9);

      // The same pictures: B-roll, presenter, cards and captions where one encode puts them. A frame
      // drawn from the wrong moment (a caption early, a clip restarted) falls far below this.
      const ssim = await ssimPerFrame(one.video, three.video);
      expect(ssim).toHaveLength(total);
      expect(Math.min(...ssim)).toBeGreaterThan(0.97);

      for (const intermediate of ['video.pictures.1.mp4', 'video.pictures.2.mp4', 'video.pictures.3.mp4', 'video.pictures.ffconcat'])
        expect(existsSync(path.join(dir, 'three-parts', intermediate))).toBe(false);
    },
    ENCODE_TIMEOUT,
  );

  describe('refuses bad input with a clear message', () => {
    const format = channelFormat('16:9', 'block');

    it('names missing files', async () => {
      const clips = [...episode.clips.slice(0, 2), { ...episode.clips[2], path: path.join(dir, 'nope.mp4') }];
      await expect(
        assembleEpisode(inputFor('missing', format, { broll: { clips }, musicPath: path.join(dir, 'no-music.m4a') })),
      ).rejects.toThrow(/missing input files: B-roll clip of beat 'beat-2': .*nope\.mp4; music: .*no-music\.m4a/);
    });

    it('refuses a narration without words', async () => {
      const narration = { ...episode.narration, words: [] };
      await expect(assembleEpisode(inputFor('empty', format, { narration }))).rejects.toThrow(/narration has no words/);
    });

    it('says the narration is silent instead of amplifying silence', async () => {
      const silent = path.join(dir, 'inputs', 'silent-narration.wav');
      await runFfmpeg(['-f', 'lavfi', '-i', `anullsrc=r=24000:cl=mono:d=${episode.narration.durationSeconds}`, '-y', silent]);
      const failure = assembleEpisode(inputFor('silent', format, { narrationAudioPath: silent }));
      await expect(failure).rejects.toBeInstanceOf(AssembleInputError);
      await expect(failure).rejects.toThrow(`narration audio is silent: ${silent}`);
    });

    it('says which beat no clip covers', async () => {
      const clips = episode.clips.filter((c) => c.beatId !== 'beat-2');
      const failure = assembleEpisode(inputFor('uncovered', format, { broll: { clips } }));
      await expect(failure).rejects.toBeInstanceOf(AssembleInputError);
      await expect(failure).rejects.toThrow("no B-roll clip covers beat 'beat-2'");
    });

    it('refuses music that is a playlist, contacting nothing it names', async () => {
      const contacted: string[] = [];
      const server = createServer((req, res) => {
        contacted.push(req.url ?? '/');
        res.writeHead(200).end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const port = (server.address() as AddressInfo).port;
        const playlist = path.join(dir, 'inputs', 'playlist-music.m4a');
        await writeFile(
          playlist,
          `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nhttp://127.0.0.1:${port}/music.ts\n#EXTINF:10,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n`,
        );
        const failure = assembleEpisode(inputFor('playlist-music', format, { musicPath: playlist }));
        await expect(failure).rejects.toBeInstanceOf(AssembleInputError);
        await expect(failure).rejects.toThrow(
          /^music is an HLS playlist \(hls\), not a media file the pipeline reads: refused, .*playlist-music\.m4a$/,
        );
        expect(contacted).toEqual([]);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it('says which input is not media', async () => {
      const notMedia = path.join(dir, 'inputs', 'narration.txt');
      await import('node:fs/promises').then((fs) => fs.writeFile(notMedia, 'not audio'));
      await expect(assembleEpisode(inputFor('not-media', format, { narrationAudioPath: notMedia }))).rejects.toThrow(
        /narration audio is not a readable media file: .*narration\.txt/,
      );
    });
  });
});
