// Wall time of `kubectl acog render` for the example episode: a first run into an empty folder,
// then a second run that reuses every stage. Prints the figures and their ratios to the video's
// length (target: first run within 2x) and to each other (target: rerun under a tenth).
// Run: node bench/render.ts [--keep]
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@acog/hack/paths';
import { probe } from '@acog/runners/media';

function timeRender(out: string): Promise<number> {
  return new Promise((resolve, reject) => {
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
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(Number(process.hrtime.bigint() - started) / 1e9) : reject(new Error(`render exited with ${code}`)),
    );
  });
}

const out = await mkdtemp(join(tmpdir(), 'acog-bench-render-'));
try {
  const first = await timeRender(out);
  const cached = await timeRender(out);
  const video = await probe(join(out, 'how-indexes-work', 'video.mp4'));
  const row = (label: string, value: string) => console.log(`${label.padEnd(34)} ${value}`);
  console.log('\nkubectl acog render, examples/ (offline providers)');
  row('video length', `${video.durationSeconds.toFixed(1)} s`);
  row(
    'first run (empty output folder)',
    `${first.toFixed(1)} s  = ${(first / video.durationSeconds).toFixed(2)}x the video (target <= 2x)`,
  );
  row('second run (every stage reused)', `${cached.toFixed(2)} s  = ${(cached / first).toFixed(3)} of the first run (target < 0.1)`);
} finally {
  if (process.argv.includes('--keep')) console.log(`kept ${out}`);
  else await rm(out, { recursive: true, force: true });
}
