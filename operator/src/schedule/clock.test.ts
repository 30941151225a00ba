import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileClock } from './clock.ts';

describe('fileClock', () => {
  it('stands still between writes, jumps on each, and keeps the last good time when the file is garbled', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'clock-')), 'now');
    await writeFile(file, '2027-03-28T00:59:00Z\n');
    const errors: string[] = [];
    const clock = fileClock(file, (error) => errors.push(error.message), 10);
    try {
      expect(clock.now().toISOString()).toBe('2027-03-28T00:59:00.000Z');
      let jumps = 0;
      const jumped = () => new Promise<void>((resolve) => clock.onJump(() => (++jumps, resolve())));
      const first = jumped();
      await writeFile(file, '2027-03-28T01:30:00Z');
      await first;
      expect(clock.now().toISOString()).toBe('2027-03-28T01:30:00.000Z');

      await writeFile(file, 'soon');
      const deadline = Date.now() + 5000;
      while (!errors.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(errors[0]).toContain('holds "soon", not an RFC 3339 time');
      expect(clock.now().toISOString()).toBe('2027-03-28T01:30:00.000Z');
      expect(jumps).toBeGreaterThanOrEqual(1);
    } finally {
      clock.close();
    }
  });
});
