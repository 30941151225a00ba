import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FfmpegError,
  guardInputs,
  INPUT_PROTOCOLS,
  MEDIA_DEMUXERS,
  MediaRefusedError,
  parseProbeJson,
  parseProgressSeconds,
  probe,
  quarterLogger,
  runFfmpeg,
  type FfmpegProgress,
} from './ffmpeg.ts';

describe('parsing', () => {
  it('reads the output time from -progress blocks (out_time_ms is microseconds too)', () => {
    expect(parseProgressSeconds('frame=10\nout_time_us=1500000\nout_time_ms=1500000\nprogress=continue\n')).toBe(1.5);
    expect(parseProgressSeconds('out_time_ms=2000000\nout_time_us=N/A\n')).toBe(2);
    expect(parseProgressSeconds('progress=end\n')).toBeUndefined();
  });

  it('types ffprobe JSON', () => {
    const facts = parseProbeJson(
      JSON.stringify({
        streams: [
          {
            index: 0,
            codec_type: 'video',
            codec_name: 'h264',
            profile: 'High',
            width: 1920,
            height: 1080,
            pix_fmt: 'yuv420p',
            r_frame_rate: '30000/1001',
          },
          { index: 1, codec_type: 'audio', codec_name: 'aac', profile: 'LC', sample_rate: '48000', channels: 2, duration: '9.98' },
        ],
        format: { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: '10.000000', size: '123456', bit_rate: '98765' },
      }),
    );
    expect(facts).toMatchObject({ formatName: 'mov,mp4,m4a,3gp,3g2,mj2', durationSeconds: 10, sizeBytes: 123456, bitRate: 98765 });
    expect(facts.video).toMatchObject({ codecName: 'h264', profile: 'High', width: 1920, height: 1080, pixelFormat: 'yuv420p' });
    expect(facts.video?.frameRate).toBeCloseTo(29.97, 2);
    expect(facts.audio).toMatchObject({ codecName: 'aac', sampleRate: 48000, channels: 2, durationSeconds: 9.98 });
  });

  it('reads single progress lines, average frame rates and frame counts', () => {
    expect(parseProgressSeconds('out_time_us=2500000')).toBe(2.5);
    expect(parseProgressSeconds('out_time_ms=1000000')).toBe(1);
    expect(parseProgressSeconds('frame=12')).toBeUndefined();
    const facts = parseProbeJson(
      JSON.stringify({
        streams: [
          { index: 0, codec_type: 'video', codec_name: 'h264', r_frame_rate: '30/1', avg_frame_rate: '30000/1001', nb_frames: '300' },
          { index: 1, codec_type: 'audio', codec_name: 'aac', r_frame_rate: '0/0', avg_frame_rate: '0/0' },
        ],
      }),
    );
    expect(facts.video?.frameRate).toBe(30);
    expect(facts.video?.averageFrameRate).toBeCloseTo(29.97, 2);
    expect(facts.video?.frames).toBe(300);
    expect(facts.audio?.frameRate).toBeUndefined();
    expect(facts.audio?.averageFrameRate).toBeUndefined();
    expect(facts.audio?.frames).toBeUndefined();
  });

  it('logs each quarter of a long render once', () => {
    const lines: string[] = [];
    const onProgress = quarterLogger((line) => lines.push(line), 'audiogram');
    for (const fraction of [0.1, 0.26, 0.3, 0.55, 0.8, 1]) onProgress({ secondsDone: fraction * 60, totalSeconds: 60 });
    onProgress({ secondsDone: 50 });
    expect(lines).toEqual(['audiogram: 25 % (15.6 s)', 'audiogram: 50 % (33.0 s)', 'audiogram: 75 % (48.0 s)']);
  });
});

describe('running ffmpeg', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'acog-ffmpeg-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports progress and probes the result', async () => {
    const output = path.join(dir, 'tone.m4a');
    const seen: FfmpegProgress[] = [];
    await runFfmpeg(['-f', 'lavfi', '-i', 'sine=f=440:d=3:sample_rate=48000', '-c:a', 'aac', '-y', output], {
      totalSeconds: 3,
      onProgress: (p) => seen.push(p),
    });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.at(-1)!.secondsDone).toBeCloseTo(3, 0);
    expect(seen.at(-1)!.totalSeconds).toBe(3);
    const facts = await probe(output);
    expect(facts.audio).toMatchObject({ codecName: 'aac', sampleRate: 48000 });
    expect(facts.durationSeconds).toBeCloseTo(3, 1);
  });

  it('puts the end of ffmpeg’s log into the error', async () => {
    const failure = runFfmpeg(['-f', 'lavfi', '-i', 'nullsrc', '-vf', 'no_such_filter', '-f', 'null', '-'], { purpose: 'a broken graph' });
    await expect(failure).rejects.toBeInstanceOf(FfmpegError);
    await expect(failure).rejects.toThrow(/a broken graph: ffmpeg exited with code \d+\n[\s\S]*no_such_filter/);
  });

  it('quotes ffmpeg when it fails, and keeps only errors in the log at logLevel error', async () => {
    const error = await runFfmpeg(['-i', '/nonexistent/input.mp4', '/tmp/out.mp4'], { logLevel: 'error' }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(FfmpegError);
    expect((error as FfmpegError).exitCode).toBe(1);
    expect((error as Error).message).toMatch(/^ffmpeg: ffmpeg exited with code 1\n.*nonexistent/);
    const source = ['-f', 'lavfi', '-i', 'color=c=red:s=16x16:d=0.1', '-f', 'null', '-'];
    expect((await runFfmpeg(source, { logLevel: 'error' })).stderr).toBe('');
    expect((await runFfmpeg(source)).stderr).toMatch(/Stream mapping/);
  });

  it('kills ffmpeg when the signal aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const endless = runFfmpeg(['-re', '-f', 'lavfi', '-i', 'sine=f=440', '-f', 'null', '-'], {
      signal: controller.signal,
      onProgress: () => controller.abort(new Error('cancelled by the test')),
    });
    await expect(endless).rejects.toThrow('cancelled by the test');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('says which file could not be probed', async () => {
    await expect(probe(path.join(dir, 'missing.mp4'))).rejects.toThrow(/probing .*missing\.mp4/);
  });
});

describe('inputs from outside', () => {
  let dir: string;
  let server: Server;
  let base: string;
  const contacted: string[] = [];
  const crafted: Record<string, string> = {};

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'acog-ffmpeg-hostile-'));
    server = createServer((req, res) => {
      contacted.push(req.url ?? '/');
      res.writeHead(200, { 'content-type': 'video/mp2t' }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // A real local segment a playlist can point at: ffmpeg as it comes reads it through the playlist.
    const segment = path.join(dir, 'private.ts');
    await runFfmpeg(['-f', 'lavfi', '-i', 'sine=f=440:d=1', '-c:a', 'mp2', '-f', 'mpegts', '-y', segment]);
    await copyFile(segment, path.join(dir, 'sibling.wav'));
    const hls = (line: string) => `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:1,\n${line}\n#EXT-X-ENDLIST\n`;
    const files: Record<string, string> = {
      'remote-playlist.mp4': hls(`${base}/segment.ts`),
      'local-playlist.mp4': hls(`file://${segment}`),
      'relative-playlist.m3u8': hls('private.ts'),
      'passwd-playlist.mp3': hls('file:///etc/passwd'),
      'list.mp3': 'ffconcat version 1.0\nfile sibling.wav\n',
      'manifest.mp4': `<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-on-demand:2011" type="static" mediaPresentationDuration="PT1S" minBufferTime="PT1S"><BaseURL>${base}/dash/</BaseURL><Period><AdaptationSet mimeType="audio/mp4"><Representation id="a" bandwidth="64000" codecs="mp4a.40.2"><BaseURL>a.mp4</BaseURL></Representation></AdaptationSet></Period></MPD>\n`,
      'session.mp4': 'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n',
    };
    for (const [name, body] of Object.entries(files)) {
      crafted[name] = path.join(dir, name);
      await writeFile(crafted[name], body);
    }
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('puts the protocol and demuxer limits before every input, keeping forced formats', () => {
    expect(
      guardInputs(['-y', '-i', 'a.mp4', '-f', 'lavfi', '-i', 'color=c=red', '-stream_loop', '-1', '-i', 'music.mp3', 'out.mp4']),
    ).toEqual([
      '-y',
      '-protocol_whitelist',
      INPUT_PROTOCOLS,
      '-format_whitelist',
      MEDIA_DEMUXERS,
      '-i',
      'a.mp4',
      '-f',
      'lavfi',
      '-protocol_whitelist',
      INPUT_PROTOCOLS,
      '-i',
      'color=c=red',
      '-stream_loop',
      '-1',
      '-protocol_whitelist',
      INPUT_PROTOCOLS,
      '-format_whitelist',
      MEDIA_DEMUXERS,
      '-i',
      'music.mp3',
      'out.mp4',
    ]);
    expect(guardInputs(['-protocol_whitelist', 'file', '-i', 'a.wav'])).toEqual([
      '-protocol_whitelist',
      'file',
      '-format_whitelist',
      MEDIA_DEMUXERS,
      '-i',
      'a.wav',
    ]);
  });

  it('refuses playlists, lists and session descriptions whatever they are named, opening nothing they name', async () => {
    const expected: Record<string, RegExp> = {
      'remote-playlist.mp4': /the file is an HLS playlist \(hls\), not a media file the pipeline reads: refused/,
      'local-playlist.mp4': /an HLS playlist \(hls\)/,
      'relative-playlist.m3u8': /an HLS playlist \(hls\)/,
      'passwd-playlist.mp3': /an HLS playlist \(hls\)/,
      'list.mp3': /an ffconcat list \(concat\)/,
      'manifest.mp4': /a DASH manifest \(dash\)/,
      'session.mp4': /an SDP session description \(sdp\)/,
    };
    for (const [name, message] of Object.entries(expected)) {
      const error = await probe(crafted[name]).catch((caught: unknown) => caught);
      expect(error, name).toBeInstanceOf(MediaRefusedError);
      expect((error as Error).message, name).toMatch(message);
    }
    expect(contacted).toEqual([]);
  });

  it('refuses them as inputs of ffmpeg too, naming the file', async () => {
    for (const name of ['remote-playlist.mp4', 'local-playlist.mp4', 'list.mp3']) {
      const error = await runFfmpeg(['-i', crafted[name], '-f', 'null', '-'], { purpose: 'assembly' }).catch((caught: unknown) => caught);
      expect(error, name).toBeInstanceOf(MediaRefusedError);
      expect((error as Error).message, name).toContain(`assembly: ${crafted[name]} is `);
    }
    // A protocol other than file and pipe is refused outright.
    const remote = await runFfmpeg(['-i', `${base}/direct.mp4`, '-f', 'null', '-']).catch((caught: unknown) => caught);
    expect(remote).toBeInstanceOf(MediaRefusedError);
    expect((remote as Error).message).toMatch(/names a http resource, which ffmpeg may not open here \(only file,pipe\): refused/);
    expect(contacted).toEqual([]);
  });

  it('still reads every kind of media the pipeline takes, by content and not by name', async () => {
    const made: [string, string[]][] = [
      ['image.png', ['-f', 'lavfi', '-i', 'color=c=red:s=32x32', '-frames:v', '1']],
      ['image.jpg', ['-f', 'lavfi', '-i', 'color=c=red:s=32x32', '-frames:v', '1']],
      ['image.webp', ['-f', 'lavfi', '-i', 'color=c=red:s=32x32', '-frames:v', '1']],
      ['tone.mp3', ['-f', 'lavfi', '-i', 'sine=d=0.5']],
      ['tone.wav', ['-f', 'lavfi', '-i', 'sine=d=0.5']],
      ['tone.m4a', ['-f', 'lavfi', '-i', 'sine=d=0.5']],
      ['tone.ogg', ['-f', 'lavfi', '-i', 'sine=d=0.5']],
      ['tone.flac', ['-f', 'lavfi', '-i', 'sine=d=0.5']],
      ['clip.mp4', ['-f', 'lavfi', '-i', 'testsrc2=s=64x64:d=0.5', '-pix_fmt', 'yuv420p']],
      ['clip.webm', ['-f', 'lavfi', '-i', 'testsrc2=s=64x64:d=0.5']],
    ];
    for (const [name, args] of made) {
      const file = path.join(dir, name);
      await runFfmpeg([...args, '-y', file]);
      // Named without its extension: the content decides.
      const renamed = path.join(dir, `${name}.bin`);
      await copyFile(file, renamed);
      const facts = await probe(renamed);
      expect(facts.streams.length, name).toBeGreaterThan(0);
    }
  });
});
