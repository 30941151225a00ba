import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFfmpeg } from './ffmpeg.ts';
import {
  loudnormApplyFilter,
  loudnormMeasureFilter,
  measureLoudness,
  measureLoudnorm,
  parseEbur128Summary,
  parseLoudnormMeasurement,
  parseLoudnormOutcome,
} from './loudness.ts';

const loudnormLog = `[Parsed_loudnorm_14 @ 0x560e3453c480]
{
	"input_i" : "-17.29",
	"input_tp" : "-5.00",
	"input_lra" : "7.90",
	"input_thresh" : "-28.92",
	"output_i" : "-13.79",
	"output_tp" : "-1.00",
	"output_lra" : "2.20",
	"output_thresh" : "-24.86",
	"normalization_type" : "linear",
	"target_offset" : "-0.21"
}
`;

const ebur128Log = `[Parsed_ebur128_0 @ 0x5581e0d02880] Summary:

  Integrated loudness:
    I:         -20.4 LUFS
    Threshold: -30.5 LUFS

  Loudness range:
    LRA:         0.8 LU
    Threshold: -40.5 LUFS
    LRA low:   -20.9 LUFS
    LRA high:  -20.1 LUFS

  True peak:
    Peak:       -1.8 dBFS
`;

describe('loudnorm filters', () => {
  it('measures with the YouTube target in pass 1', () => {
    expect(loudnormMeasureFilter()).toBe('loudnorm=I=-14:TP=-1:LRA=11:print_format=json');
  });

  it('parses pass 1 and builds the linear pass 2 from it', () => {
    const measured = parseLoudnormMeasurement(`frame stats\n${loudnormLog}`);
    expect(measured).toEqual({ inputI: -17.29, inputTp: -5, inputLra: 7.9, inputThresh: -28.92, targetOffset: -0.21 });
    expect(loudnormApplyFilter(measured)).toBe(
      'loudnorm=I=-14:TP=-1:LRA=11:measured_I=-17.29:measured_TP=-5.00:measured_LRA=7.90:measured_thresh=-28.92:offset=-0.21:linear=true:print_format=json',
    );
    expect(parseLoudnormOutcome(loudnormLog)).toEqual({ outputI: -13.79, outputTp: -1, normalizationType: 'linear' });
  });

  it('parses the ebur128 summary', () => {
    expect(parseEbur128Summary(ebur128Log)).toEqual({ integratedLufs: -20.4, loudnessRange: 0.8, truePeakDb: -1.8 });
    expect(() => parseEbur128Summary('nothing here')).toThrow(/integrated loudness/);
  });
});

describe('measuring', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'acog-loudness-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('measures a stereo 1 kHz tone at −20 dBFS as about −20 LUFS with a −20 dB peak', async () => {
    const tone = path.join(dir, 'tone.wav');
    await runFfmpeg(['-f', 'lavfi', '-i', 'aevalsrc=0.1*sin(2*PI*1000*t)|0.1*sin(2*PI*1000*t):s=48000:d=3', '-y', tone]);
    const measured = await measureLoudness(tone);
    expect(measured.integratedLufs).toBeCloseTo(-20, 0);
    expect(measured.truePeakDb).toBeCloseTo(-20, 0);
  });

  it('measures an audio graph with loudnorm (pass 1)', async () => {
    const measured = await measureLoudnorm(
      ['-f', 'lavfi', '-i', 'aevalsrc=0.1*sin(2*PI*1000*t)|0.1*sin(2*PI*1000*t):s=48000:d=3'],
      '[0:a]volume=6dB[premaster]',
      '[premaster]',
    );
    expect(measured.inputI).toBeCloseTo(-14, 0);
  });
});
