import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFfmpeg } from './ffmpeg.ts';
import {
  loudnormApplyFilter,
  isSilent,
  measureLoudness,
  measureLoudnorm,
  parseEbur128Summary,
  parseLoudnormOutcome,
  YOUTUBE_LOUDNESS,
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
  it('builds the linear pass 2 from pass 1 and parses its outcome', () => {
    const measured = { inputI: -17.29, inputTp: -5, inputLra: 7.9, inputThresh: -28.92 };
    expect(loudnormApplyFilter(measured)).toBe(
      'loudnorm=I=-14:TP=-1:LRA=11:measured_I=-17.29:measured_TP=-5.00:measured_LRA=7.90:measured_thresh=-28.92:linear=true:print_format=json',
    );
    expect(parseLoudnormOutcome(`frame stats\n${loudnormLog}`)).toEqual({ outputI: -13.79, outputTp: -1, normalizationType: 'linear' });
  });

  it('parses the ebur128 summary, with the integrated loudness gate rather than the range gate', () => {
    expect(parseEbur128Summary(ebur128Log)).toEqual({
      integratedLufs: -20.4,
      integratedThreshold: -30.5,
      loudnessRange: 0.8,
      truePeakDb: -1.8,
    });
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

  it('says the mix is silent rather than normalising silence', async () => {
    await expect(
      measureLoudnorm(['-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=stereo:d=4'], '[0:a]anull[premaster]', '[premaster]'),
    ).rejects.toThrow('the audio mix is silent: nothing to normalise');
    const silence = path.join(dir, 'silence.wav');
    await runFfmpeg(['-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=stereo:d=4', '-y', silence]);
    expect(isSilent(await measureLoudness(silence))).toBe(true);
  });

  it('measures an audio graph (pass 1) as ebur128 measures the mix, and pass 2 brings it linearly to the target', async () => {
    // A tone that grows louder (0.05 to 0.15), so that the loudness range is not 0: loudnorm stays
    // linear only with a measured range above 0.
    const wave = '(0.05+0.01*t)*sin(2*PI*440*t)';
    const source = ['-f', 'lavfi', '-i', `aevalsrc=${wave}|${wave}:s=48000:d=10`];
    const measured = await measureLoudnorm(source, '[0:a]volume=3dB[premaster]', '[premaster]');
    const mix = path.join(dir, 'mix.wav');
    await runFfmpeg([...source, '-af', 'volume=3dB', '-y', mix]);
    const reference = await measureLoudness(mix);
    expect(measured.inputI).toBe(reference.integratedLufs);
    expect(measured.inputTp).toBe(reference.truePeakDb);
    expect(measured.inputLra).toBe(reference.loudnessRange);
    expect(measured.inputLra).toBeGreaterThan(0);
    // The relative gate sits 10 LU under the loudness of the blocks above the absolute gate.
    expect(measured.inputThresh).toBeLessThan(measured.inputI - 9);
    expect(measured.inputThresh).toBeGreaterThan(measured.inputI - 11);

    const out = path.join(dir, 'normalised.wav');
    const pass2 = await runFfmpeg([...source, '-af', `volume=3dB,${loudnormApplyFilter(measured)}`, '-y', out]);
    expect(parseLoudnormOutcome(pass2.stderr).normalizationType).toBe('linear');
    const normalised = await measureLoudness(out);
    expect(Math.abs(normalised.integratedLufs - YOUTUBE_LOUDNESS.integratedLufs)).toBeLessThanOrEqual(0.1);
    expect(normalised.truePeakDb).toBeLessThanOrEqual(YOUTUBE_LOUDNESS.truePeakDb);
  });
});
