import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FfmpegError, parseProbeJson, parseProgressSeconds, probe, quarterLogger, runFfmpeg, type FfmpegProgress } from './ffmpeg.ts';

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
