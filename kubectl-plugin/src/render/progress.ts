// The progress display of `render`: a line per stage with a bar and timings, redrawn in place on
// a terminal; plain lines, one per change, when the output is a file or a pipe.
import type { StageName } from '@acog/api';

export type StageState = 'waiting' | 'running' | 'reused' | 'succeeded' | 'failed';

export interface StageLine {
  stage: StageName;
  state: StageState;
  /** 0..1 when the stage reports how far it is (assembly does). */
  fraction?: number;
  startedAt?: number;
  seconds?: number;
  detail?: string;
}

const MARK: Record<StageState, string> = { waiting: '·', running: '▸', reused: '=', succeeded: '✓', failed: '✗' };
const BAR_WIDTH = 20;

function bar(line: StageLine, now: number): string {
  if (line.state === 'succeeded' || line.state === 'reused') return '█'.repeat(BAR_WIDTH);
  if (line.state === 'waiting') return '░'.repeat(BAR_WIDTH);
  if (line.fraction !== undefined) {
    const filled = Math.round(Math.min(1, Math.max(0, line.fraction)) * BAR_WIDTH);
    return '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled);
  }
  // No fraction known: a block that travels along the bar.
  const position = Math.floor(now / 150) % BAR_WIDTH;
  return '░'.repeat(position) + '█' + '░'.repeat(BAR_WIDTH - position - 1);
}

function elapsed(line: StageLine, now: number): string {
  const seconds = line.seconds ?? (line.startedAt !== undefined ? (now - line.startedAt) / 1000 : undefined);
  return seconds === undefined ? '' : `${seconds.toFixed(1)}s`;
}

/** The lines a terminal shows; pure, so it can be tested. */
export function progressLines(lines: StageLine[], now: number): string[] {
  return lines.map((line) => {
    const label = line.state === 'reused' ? 'reused' : line.state;
    return `${MARK[line.state]} ${line.stage.padEnd(9)} ${bar(line, now)} ${elapsed(line, now).padStart(7)}  ${label}${line.detail ? `  ${line.detail}` : ''}`;
  });
}

/** One plain line for a change, for logs and pipes. */
export function plainLine(line: StageLine): string {
  switch (line.state) {
    case 'running':
      return `${line.stage}: running${line.detail ? ` (${line.detail})` : ''}`;
    case 'reused':
      return `${line.stage}: reused (inputs unchanged)${line.detail ? `, ${line.detail}` : ''}`;
    case 'succeeded':
      return `${line.stage}: done in ${line.seconds?.toFixed(1)}s${line.detail ? `, ${line.detail}` : ''}`;
    case 'failed':
      return `${line.stage}: failed after ${line.seconds?.toFixed(1)}s: ${line.detail ?? ''}`;
    default:
      return `${line.stage}: waiting`;
  }
}

export interface ProgressDisplay {
  update(stage: StageName, change: Partial<StageLine>): void;
  stop(): void;
}

export function createProgressDisplay(
  stages: StageName[],
  stream: NodeJS.WriteStream,
  interactive = Boolean(stream.isTTY),
): ProgressDisplay {
  const lines = new Map<StageName, StageLine>(stages.map((stage) => [stage, { stage, state: 'waiting' }]));
  let drawn = 0;
  const draw = () => {
    const text = progressLines([...lines.values()], Date.now());
    if (drawn) stream.write(`\x1b[${drawn}A`);
    stream.write(text.map((line) => `\x1b[2K${line}`).join('\n') + '\n');
    drawn = text.length;
  };
  const timer = interactive ? setInterval(draw, 150) : undefined;
  timer?.unref();
  if (interactive) draw();
  return {
    update(stage, change) {
      const line = lines.get(stage);
      if (!line) return;
      const stateChanged = change.state !== undefined && change.state !== line.state;
      Object.assign(line, change);
      if (change.state === 'running' && stateChanged) line.startedAt = Date.now();
      if (interactive) draw();
      else if (stateChanged) stream.write(plainLine(line) + '\n');
    },
    stop() {
      if (timer) clearInterval(timer);
      if (interactive) draw();
    },
  };
}
