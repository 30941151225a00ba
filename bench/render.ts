// Wall time of `kubectl acog render` for the example episode: a first run into an empty folder,
// then a second run that reuses every stage. Prints the figures and their ratios to the video's
// length (target: first run within 0.8x), the stages' own times as render reports them (avatar and
// B-roll together within 15 % of the first run) and the rerun against the first (under a tenth).
// Run: node bench/render.ts [--keep]
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@acog/hack/paths';
import { probe } from '@acog/runners/media';
import { childrenCpuSeconds } from './cpu.ts';

/** Seconds each stage took, from render's progress lines ("voice: done in 4.2s, piper"). */
const stageSeconds = new Map<string, number>();
const load = () =>
  loadavg()
    .map((value) => value.toFixed(1))
    .join(' ');

function timeRender(out: string): Promise<number> {
  return new Promise((resolve, reject) => {
    stageSeconds.clear();
    const started = process.hrtime.bigint();
    const child = spawn(
      process.execPath,
      [
        join(repoRoot, 'kubectl-plugin', 'src', 'cli.ts'),
        'render',
        '-f',
        join(repoRoot, 'examples', 'channel.yaml'),
        '-f',
        join(repoRoot, 'examples', 'episode.yaml'),
        '--out',
        out,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr.setEncoding('utf8');
    let pending = '';
    child.stderr.on('data', (chunk: string) => {
      process.stderr.write(chunk);
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const done = /^(\w+): done in ([\d.]+)s/.exec(line);
        if (done) stageSeconds.set(done[1], Number(done[2]));
      }
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(Number(process.hrtime.bigint() - started) / 1e9) : reject(new Error(`render exited with ${code}`)),
    );
  });
}

const out = await mkdtemp(join(tmpdir(), 'acog-bench-render-'));
try {
  const loadBefore = load();
  const cpuBefore = childrenCpuSeconds();
  const first = await timeRender(out);
  const firstCpu = childrenCpuSeconds() - cpuBefore;
  const firstStages = new Map(stageSeconds);
  const loadAfter = load();
  const cached = await timeRender(out);
  const cachedCpu = childrenCpuSeconds() - cpuBefore - firstCpu;
  const video = await probe(join(out, 'how-indexes-work', 'video.mp4'));
  const row = (label: string, value: string) => console.log(`${label.padEnd(34)} ${value}`);
  console.log('\nkubectl acog render, examples/ (offline providers)');
  row('video length', `${video.durationSeconds.toFixed(1)} s`);
  row('load average before / after run 1', `${loadBefore} / ${loadAfter} (2 cores: compare with 2)`);
  row(
    'first run (empty output folder)',
    `${first.toFixed(1)} s  = ${(first / video.durationSeconds).toFixed(2)}x the video (target <= 0.8x)`,
  );
  row('  CPU seconds (user + sys, all processes)', `${firstCpu.toFixed(1)} s  = ${(firstCpu / 2).toFixed(1)} s of both cores`);
  for (const stage of ['voice', 'avatar', 'broll', 'assemble']) row(`  ${stage} stage`, `${(firstStages.get(stage) ?? NaN).toFixed(1)} s`);
  const pictures = (firstStages.get('avatar') ?? NaN) + (firstStages.get('broll') ?? NaN);
  row('  avatar + broll', `${pictures.toFixed(1)} s  = ${((pictures / first) * 100).toFixed(1)} % of the first run (target <= 15 %)`);
  row(
    'second run (every stage reused)',
    `${cached.toFixed(2)} s  = ${(cached / first).toFixed(3)} of the first run (target < 0.1), ${cachedCpu.toFixed(1)} CPU seconds`,
  );
} finally {
  if (process.argv.includes('--keep')) console.log(`kept ${out}`);
  else await rm(out, { recursive: true, force: true });
}
