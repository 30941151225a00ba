// The checks every finished episode video must pass, shared by the runner and render tests.
import { expect } from 'vitest';
import { measureLoudness, probe, type ProbeResult } from '@acog/runners/media';

/** YouTube's recommended upload encoding, −14 LUFS ±1 LU; returns the probe for further checks. */
export async function expectYouTubeReadyVideo(
  file: string,
  frame: { width: number; height: number } = { width: 1920, height: 1080 },
): Promise<ProbeResult> {
  const video = await probe(file);
  expect(video.formatName).toMatch(/mp4/);
  expect(video.video).toMatchObject({ codecName: 'h264', profile: 'High', pixelFormat: 'yuv420p', ...frame });
  expect(video.video!.frameRate).toBeCloseTo(30, 1);
  expect(video.audio).toMatchObject({ codecName: 'aac', profile: 'LC', sampleRate: 48_000 });
  const loudness = await measureLoudness(file);
  expect(Math.abs(loudness.integratedLufs + 14)).toBeLessThanOrEqual(1);
  expect(loudness.truePeakDb).toBeLessThanOrEqual(-0.5);
  return video;
}

/** Cue times of a WebVTT file, in seconds. */
export function vttCues(vtt: string): { start: number; end: number }[] {
  const seconds = (t: string) => t.split(':').reduce((total, part) => total * 60 + Number(part), 0);
  return [...vtt.matchAll(/^([\d:.]+) --> ([\d:.]+)/gm)].map((m) => ({ start: seconds(m[1]), end: seconds(m[2]) }));
}
