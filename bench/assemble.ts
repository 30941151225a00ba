// Benchmark: the assemble stage on a 60-second 1080p episode against a re-encode of the video it
// assembled, with the same codec settings, both timed in the same run: the baseline has exactly the
// pixels and the sound to compress, and decodes one H.264 input where the assembly decodes several.
// The re-encode runs twice: in one process, and cut in the assembly's own parts side by side with
// the sound beside them (ADR 0031), which is the like-for-like baseline the target is read against.
// Each of --rounds (5) runs the assembly and both baselines, alternating which goes first; the
// medians are printed. Run: node bench/assemble.ts [--rounds N] [--keep]
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import {
  assembleEpisode,
  type AssembleOutput,
  type AssemblePhase,
  type FrameRange,
  runFfmpeg,
  audioEncodeOptions,
  buildMuxArgs,
  videoEncodeOptions,
  type ChannelFormat,
  makeSyntheticEpisode,
  picturePartsList,
  type SyntheticClip,
} from '@acog/runners/media';
import { childrenCpuSeconds } from './cpu.ts';

const EPISODE_SECONDS = 60;
const INTRO_SECONDS = 2;
const OUTRO_SECONDS = 3;
const keep = process.argv.includes('--keep');

const beats = [
  'Every database query starts with a question: where are the rows I need? Without help, the database reads the whole table, page after page, and checks every row. That is fine for a hundred rows and painful for a hundred million.',
  'An index is a second, smaller structure kept in sorted order. Most databases use a B-tree: a few levels of pages, each pointing to narrower ranges, so finding one key takes only a handful of reads.',
  'Indexes are not free. Every insert and update must change the index too, and each index takes memory and disk. A table with ten indexes writes eleven times for every new row.',
  'So index the columns your queries filter and sort on, check the query plan to see whether the index is used, and drop the ones nobody needs. Try it today on your slowest query.',
];

// Eight 1080p30 clips, two per beat, shorter than their share so that some are looped.
const clip = (source: string): SyntheticClip => ({ source, width: 1920, height: 1080, fps: 30, seconds: 6 });
const clips = [
  [clip('testsrc2'), clip('smptehdbars')],
  [clip('yuvtestsrc'), clip('testsrc')],
  [clip('rgbtestsrc'), clip('testsrc2')],
  [clip('smptehdbars'), clip('yuvtestsrc')],
];

const format: ChannelFormat = {
  aspectRatio: '16:9',
  targetDurationSeconds: EPISODE_SECONDS,
  layout: 'avatar-pip',
  captions: { burnIn: true, style: 'karaoke', position: 'bottom' },
  music: { uri: 'file:///music.m4a', volumeDb: -18, duckingDb: 12 },
  intro: { durationSeconds: INTRO_SECONDS },
  outro: { text: 'New episode every Monday. Subscribe so you do not miss it.', durationSeconds: OUTRO_SECONDS },
  brandColor: '#1e66f5',
};

const roundsArg = process.argv.indexOf('--rounds');
const rounds = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 5;
if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds takes a whole number of rounds, 1 or more');

const seconds = (ms: number) => (ms / 1000).toFixed(1);
const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

type Episode = Awaited<ReturnType<typeof makeSyntheticEpisode>>;
interface Assembly {
  output: AssembleOutput;
  phases: { phase: AssemblePhase; at: number }[];
  started: number;
  assembleMs: number;
  assembleCpu: number;
}
interface Baselines {
  reencodeMs: number;
  reencodeCpu: number;
  partedMs: number;
  partedCpu: number;
}
type Round = Assembly & Baselines & { video: string; parts: FrameRange[] };
const previous = (results: Round[]) => results[results.length - 1];

async function timeAssembly(workdir: string, episode: Episode): Promise<Assembly> {
  const phases: { phase: AssemblePhase; at: number }[] = [];
  const cpuBefore = childrenCpuSeconds();
  const started = performance.now();
  const output = await assembleEpisode(
    {
      workdir: path.join(workdir, 'episode'),
      format,
      title: 'How database indexes really work',
      thumbnailText: 'Indexes, explained',
      narration: episode.narration,
      narrationAudioPath: episode.narrationAudioPath,
      avatarPath: episode.avatarPath,
      broll: { clips: episode.clips },
      musicPath: episode.musicPath,
    },
    {
      onProgress: ({ phase }) => {
        if (phases.at(-1)?.phase !== phase) phases.push({ phase, at: performance.now() });
      },
    },
  );
  return { output, phases, started, assembleMs: performance.now() - started, assembleCpu: childrenCpuSeconds() - cpuBefore };
}

/** The baselines: the assembled video re-encoded in one process, and in the assembly's own parts side by side. */
async function timeBaselines(workdir: string, video: string, parts: FrameRange[]): Promise<Baselines> {
  await mkdir(workdir, { recursive: true });
  const reencodeOutput = path.join(workdir, 'reencode.mp4');
  const reencodeCpuBefore = childrenCpuSeconds();
  const reencodeStarted = performance.now();
  await runFfmpeg(
    [
      ...['-i', video, '-map', '0:v:0', '-map', '0:a:0'],
      ...videoEncodeOptions(),
      ...audioEncodeOptions(),
      ...['-movflags', '+faststart', '-y', reencodeOutput],
    ],
    { purpose: 're-encode of the assembled video' },
  );
  const reencodeMs = performance.now() - reencodeStarted;
  const reencodeCpu = childrenCpuSeconds() - reencodeCpuBefore;

  // The same re-encode the way the assembly encodes: the pictures in its parts side by side (each
  // part read from its first frame, a key frame), the sound beside them, joined by stream copy.
  const partFiles = parts.map((_, i) => path.join(workdir, `reencode.part${i + 1}.mp4`));
  const partsList = path.join(workdir, 'reencode.ffconcat');
  const soundFile = path.join(workdir, 'reencode.sound.m4a');
  const partedOutput = path.join(workdir, 'reencode-parts.mp4');
  const partedCpuBefore = childrenCpuSeconds();
  const partedStarted = performance.now();
  await Promise.all([
    ...parts.map((part, i) =>
      runFfmpeg(
        [
          ...['-ss', String(part.start / 30), '-t', String((part.end - part.start) / 30), '-i', video, '-map', '0:v:0'],
          ...videoEncodeOptions(),
          ...['-y', partFiles[i]],
        ],
        { purpose: `re-encode of the assembled video, part ${i + 1}` },
      ),
    ),
    runFfmpeg(['-i', video, '-map', '0:a:0', ...audioEncodeOptions(), '-y', soundFile], { purpose: 're-encode of its sound' }),
    writeFile(partsList, picturePartsList(partFiles.map((file, i) => ({ file, range: parts[i] })))),
  ]);
  await runFfmpeg(buildMuxArgs({ picturesPath: partFiles[0], soundPath: soundFile, outputPath: partedOutput }, partsList), {
    purpose: 'join of the re-encoded parts',
  });
  return { reencodeMs, reencodeCpu, partedMs: performance.now() - partedStarted, partedCpu: childrenCpuSeconds() - partedCpuBefore };
}

const dir = await mkdtemp(path.join(tmpdir(), 'acog-bench-'));
try {
  console.log(
    `cores: ${cpus().length}, load average: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log('generating inputs (not timed) …');
  const episode = await makeSyntheticEpisode({
    dir: path.join(dir, 'inputs'),
    beats,
    clips,
    avatar: true,
    music: true,
    narrationSeconds: EPISODE_SECONDS - INTRO_SECONDS - OUTRO_SECONDS,
  });

  // Rounds alternate which side runs first, so that a change in the machine's speed during the run
  // (other work, the host) falls on both sides; the medians are the figures to read.
  const results: Round[] = [];
  for (let round = 1; round <= rounds; round++) {
    const workdir = path.join(dir, `round${round}`);
    const assemblyFirst = round % 2 === 1;
    let assembly: Assembly | undefined;
    if (assemblyFirst) assembly = await timeAssembly(workdir, episode);
    const source = assembly?.output.video ?? previous(results).video;
    const baselines = await timeBaselines(workdir, source, assembly?.output.pictureParts ?? previous(results).parts);
    if (!assemblyFirst) assembly = await timeAssembly(workdir, episode);
    const result: Round = { ...assembly!, ...baselines, video: assembly!.output.video, parts: assembly!.output.pictureParts };
    results.push(result);
    console.log(
      `round ${round} (${assemblyFirst ? 'assembly first' : 'baselines first'}): assembly ${seconds(result.assembleMs)} s ` +
        `(${result.assembleCpu.toFixed(1)} CPU s), re-encode in parts ${seconds(result.partedMs)} s (${result.partedCpu.toFixed(1)}), ` +
        `in one process ${seconds(result.reencodeMs)} s (${result.reencodeCpu.toFixed(1)}): ratio ${(result.assembleMs / result.partedMs).toFixed(2)} ×, ` +
        `CPU ${(result.assembleCpu / result.partedCpu).toFixed(2)} ×; load ${loadavg()[0].toFixed(2)}`,
    );
  }

  const last = results[results.length - 1];
  console.log(
    `\nepisode: ${last.output.durationSeconds.toFixed(1)} s 1920x1080 avatar-pip, ${episode.clips.length} B-roll clips, karaoke captions, music`,
  );
  console.log(`loudness: ${last.output.loudness.integratedLufs} LUFS, true peak ${last.output.loudness.truePeakDb} dBTP`);
  console.log('assembly phases (last round):');
  last.phases.forEach(({ phase, at }, i) => {
    const end = i + 1 < last.phases.length ? last.phases[i + 1].at : last.started + last.assembleMs;
    console.log(`  ${phase.padEnd(10)} ${seconds(end - at).padStart(6)} s`);
  });
  const med = (pick: (r: Round) => number) => median(results.map(pick));
  console.log(`medians of ${results.length} round(s), pictures in ${last.parts.length} part(s):`);
  console.log(`assembly (wall):     ${seconds(med((r) => r.assembleMs)).padStart(6)} s`);
  console.log(
    `re-encode in ${last.parts.length} part(s): ${seconds(med((r) => r.partedMs)).padStart(6)} s   (the assembled video.mp4, same codec settings and parts)`,
  );
  console.log(
    `ratio:               ${med((r) => r.assembleMs / r.partedMs)
      .toFixed(2)
      .padStart(6)} ×   (target ≤ 1.3; median of the rounds' ratios)`,
  );
  console.log(
    `re-encode, one process: ${seconds(med((r) => r.reencodeMs)).padStart(6)} s, ratio ${med((r) => r.assembleMs / r.reencodeMs).toFixed(2)} ×`,
  );
  console.log(
    `CPU seconds (user + sys of every ffmpeg): assembly ${med((r) => r.assembleCpu).toFixed(1)} s, re-encode in parts ${med((r) => r.partedCpu).toFixed(1)} s, in one process ${med((r) => r.reencodeCpu).toFixed(1)} s`,
  );
  console.log(
    `CPU ratio:           ${med((r) => r.assembleCpu / r.partedCpu)
      .toFixed(2)
      .padStart(6)} ×   (steadier than wall time on a shared machine)`,
  );
  console.log(
    `load average after:  ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  if (keep) console.log(`\nfiles kept in ${dir}`);
} finally {
  if (!keep) await rm(dir, { recursive: true, force: true });
}
