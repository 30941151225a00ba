// Synthetic episode inputs made with espeak-ng and ffmpeg's test sources: for the integration test
// and the benchmark. Word timings are spread evenly over the speech (espeak-ng's command line gives none).
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { BrollClip, Narration, WordTiming } from '../contract/documents.ts';
import { probe, runFfmpeg } from './ffmpeg.ts';

const execFileAsync = promisify(execFile);

export interface SyntheticClip {
  /** A lavfi video source without size, rate or duration, e.g. "testsrc2" or "color=c=0x336699". */
  source: string;
  width: number;
  height: number;
  fps: number;
  seconds: number;
}

export interface SyntheticEpisodeSpec {
  dir: string;
  /** One entry per beat: what the narrator says in it. */
  beats: string[];
  /** Clips per beat, in order. */
  clips: SyntheticClip[][];
  avatar?: boolean;
  music?: boolean;
  /** espeak-ng words per minute. */
  wordsPerMinute?: number;
  /** Speed the voice up or down (once) to land within 3% of this length. */
  narrationSeconds?: number;
}

export interface SyntheticEpisode {
  narration: Narration;
  narrationAudioPath: string;
  avatarPath?: string;
  clips: (BrollClip & { path: string })[];
  musicPath?: string;
}

/** Word timings spread over [start, end] in proportion to each word's length plus one. */
export function spreadWordTimings(text: string, start: number, end: number): WordTiming[] {
  const words = text.split(/\s+/).filter(Boolean);
  const weights = words.map((w) => w.length + 1);
  const total = weights.reduce((a, b) => a + b, 0);
  let at = start;
  return words.map((word, i) => {
    const length = ((end - start) * weights[i]) / total;
    const timing = { text: word, start: Number(at.toFixed(3)), end: Number((at + length * 0.9).toFixed(3)) };
    at += length;
    return timing;
  });
}

const encodeFast = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];

export async function makeSyntheticEpisode(spec: SyntheticEpisodeSpec): Promise<SyntheticEpisode> {
  await mkdir(spec.dir, { recursive: true });
  const narrationAudioPath = path.join(spec.dir, 'narration.wav');
  const text = spec.beats.join(' ');
  const speak = async (wordsPerMinute: number) => {
    await execFileAsync('espeak-ng', ['-s', String(Math.round(wordsPerMinute)), '-w', narrationAudioPath, text]);
    return (await probe(narrationAudioPath)).durationSeconds;
  };
  const wordsPerMinute = spec.wordsPerMinute ?? 160;
  let durationSeconds = await speak(wordsPerMinute);
  if (spec.narrationSeconds && Math.abs(durationSeconds - spec.narrationSeconds) > spec.narrationSeconds * 0.03) {
    durationSeconds = await speak((wordsPerMinute * durationSeconds) / spec.narrationSeconds);
  }

  // espeak-ng leaves a short silence at both ends.
  const words = spreadWordTimings(text, 0.1, durationSeconds - 0.2);
  const beats: Narration['beats'] = [];
  let wordIndex = 0;
  spec.beats.forEach((beatText, i) => {
    const count = beatText.split(/\s+/).filter(Boolean).length;
    const first = words[wordIndex];
    wordIndex += count;
    const next = words[wordIndex];
    beats.push({ id: `beat-${i + 1}`, start: i === 0 ? 0 : first.start, end: next ? next.start : durationSeconds });
  });
  const narration: Narration = { audio: 'narration.wav', durationSeconds, words, beats, timing: 'sentence' };

  const jobs: (() => Promise<unknown>)[] = [];
  const clips: (BrollClip & { path: string })[] = [];
  spec.clips.forEach((beatClips, beatIndex) => {
    beatClips.forEach((clip, clipIndex) => {
      const file = `clip-${beatIndex + 1}-${clipIndex + 1}.mp4`;
      const clipPath = path.join(spec.dir, file);
      clips.push({ beatId: `beat-${beatIndex + 1}`, file, durationSeconds: clip.seconds, path: clipPath });
      const source = `${clip.source}${clip.source.includes('=') ? ':' : '='}s=${clip.width}x${clip.height}:r=${clip.fps}`;
      const args = ['-f', 'lavfi', '-i', source, '-t', String(clip.seconds), ...encodeFast, '-y', clipPath];
      jobs.push(() => runFfmpeg(args, { purpose: `synthetic clip ${file}` }));
    });
  });

  let avatarPath: string | undefined;
  if (spec.avatar) {
    avatarPath = path.join(spec.dir, 'avatar.mp4');
    const source = `testsrc2=s=720x720:r=30:d=${durationSeconds.toFixed(3)}`;
    jobs.push(() => runFfmpeg(['-f', 'lavfi', '-i', source, ...encodeFast, '-y', avatarPath!], { purpose: 'synthetic avatar' }));
  }
  let musicPath: string | undefined;
  if (spec.music) {
    // A short two-note loop: shorter than the episode, so the assembly has to loop it.
    musicPath = path.join(spec.dir, 'music.m4a');
    const tone = 'aevalsrc=0.4*sin(2*PI*(if(lt(mod(t\\,2)\\,1)\\,220\\,277))*t):s=44100:d=4';
    jobs.push(() =>
      runFfmpeg(['-f', 'lavfi', '-i', tone, '-c:a', 'aac', '-b:a', '128k', '-y', musicPath!], { purpose: 'synthetic music' }),
    );
  }
  // Two at a time: the machines running this have few cores.
  const queue = [...jobs];
  const worker = async () => {
    for (let job = queue.shift(); job; job = queue.shift()) await job();
  };
  await Promise.all([worker(), worker()]);
  return { narration, narrationAudioPath, avatarPath, clips, musicPath };
}
