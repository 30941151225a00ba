import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ToolError, WavWriter, decodeToPcm, parseWavHeader, readWavInfo, runTool, voicedRange, wavHeader, wavSamples } from './audio.ts';

const workdir = await mkdtemp(join(tmpdir(), 'acog-audio-'));
afterAll(() => rm(workdir, { recursive: true, force: true }));

describe('WAV files', () => {
  it('reads its own header back', () => {
    const info = parseWavHeader(wavHeader(48_000, 960), 44 + 960);
    expect(info).toMatchObject({
      sampleRate: 48_000,
      channels: 1,
      bitsPerSample: 16,
      dataOffset: 44,
      dataBytes: 960,
      frames: 480,
      durationSeconds: 0.01,
    });
  });
  it('trusts a declared data size only as far as the bytes go (a WAV written to a pipe)', () => {
    expect(parseWavHeader(wavHeader(22_050, 0x7ffff000), 44 + 441).frames).toBe(220);
  });
  it('skips chunks it does not need and refuses what is not PCM WAV', () => {
    const list = Buffer.concat([Buffer.from('LIST'), Buffer.from([4, 0, 0, 0]), Buffer.from('INFO')]);
    const header = wavHeader(16_000, 32);
    const withList = Buffer.concat([header.subarray(0, 36), list, header.subarray(36)]);
    expect(parseWavHeader(withList, withList.length + 32).dataOffset).toBe(56);
    expect(() => parseWavHeader(Buffer.from('ID3 something else'), 100)).toThrow(/not a WAV/);
  });
  it('writes piece by piece and reads back the same samples', async () => {
    const file = join(workdir, 'pieces.wav');
    const writer = await WavWriter.create(file, 8000);
    await writer.write(Int16Array.from([1, -2, 3]));
    await writer.silence(2);
    await writer.write(Int16Array.from([32767]));
    expect(await writer.close()).toBeCloseTo(6 / 8000);
    expect(Array.from(wavSamples(await readFile(file)).samples)).toEqual([1, -2, 3, 0, 0, 32767]);
    expect((await readWavInfo(file)).frames).toBe(6);
  });
});

describe('voicedRange', () => {
  it('finds where the sound is louder than the silence level', () => {
    expect(voicedRange(Int16Array.from([0, 5, 1000, -2000, 10, 0]))).toEqual({ start: 2, end: 4 });
  });
  it('takes all of a silent recording', () => {
    expect(voicedRange(new Int16Array(4))).toEqual({ start: 0, end: 4 });
  });
});

describe('tools', () => {
  it('decodes audio bytes with ffmpeg at the rate asked for', async () => {
    const tone = await runTool('ffmpeg', [
      '-nostdin',
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:duration=0.5',
      '-f',
      'wav',
      'pipe:1',
    ]);
    const samples = await decodeToPcm(tone, 48_000);
    expect(samples.length).toBeGreaterThan(23_900);
    expect(samples.length).toBeLessThan(24_100);
  });
  it('says what a failing program printed', async () => {
    const failure = runTool('ffmpeg', ['-v', 'error', '-i', join(workdir, 'missing.wav'), '-f', 'null', '-']);
    await expect(failure).rejects.toBeInstanceOf(ToolError);
    await expect(failure).rejects.toThrow(/ffmpeg failed \(exit 1\).*missing\.wav/);
  });
});
