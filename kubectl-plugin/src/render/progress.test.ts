import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgressDisplay, plainLine, progressLines } from './progress.ts';

describe('progressLines', () => {
  it('draws a bar and timings per stage', () => {
    const now = 10_000;
    const lines = progressLines(
      [
        { stage: 'plan', state: 'succeeded', seconds: 0.42, detail: 'offline' },
        { stage: 'assemble', state: 'running', startedAt: now - 3_000, fraction: 0.5, detail: '50%' },
        { stage: 'upload', state: 'waiting' },
      ],
      now,
    );
    expect(lines).toEqual([
      '✓ plan      ████████████████████    0.4s  succeeded  offline',
      '▸ assemble  ██████████░░░░░░░░░░    3.0s  running  50%',
      '· upload    ░░░░░░░░░░░░░░░░░░░░          waiting',
    ]);
  });
});

describe('plain output', () => {
  it('writes one line per state change when not on a terminal', () => {
    const stream = new PassThrough() as unknown as NodeJS.WriteStream;
    let text = '';
    (stream as unknown as PassThrough).on('data', (chunk) => (text += chunk));
    const display = createProgressDisplay(['plan', 'script'], stream, false);
    display.update('plan', { state: 'running' });
    display.update('plan', { fraction: 0.3 });
    display.update('plan', { state: 'succeeded', seconds: 1.25, detail: 'offline' });
    display.update('script', { state: 'reused', seconds: 0, detail: 'offline' });
    display.stop();
    expect(text).toBe('plan: running\nplan: done in 1.3s, offline\nscript: reused (inputs unchanged), offline\n');
    expect(plainLine({ stage: 'voice', state: 'failed', seconds: 2, detail: 'espeak-ng missing' })).toBe(
      'voice: failed after 2.0s: espeak-ng missing',
    );
  });
});
