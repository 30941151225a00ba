// The time the schedules run on. The operator takes a clock so that the time can be driven from
// outside: the system's by default; for tests and for replaying a schedule, a file that holds an
// RFC 3339 time, read when it changes (the schedules are looked at again at once).
import { existsSync, readFileSync, unwatchFile, watchFile } from 'node:fs';

export interface Clock {
  now(): Date;
  /** Calls `listener` whenever the time jumps rather than flows (a file clock set anew); returns a function that stops it. */
  onJump(listener: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => new Date(),
  onJump: () => () => {},
};

function readTime(path: string): Date {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw new Error(`the clock file ${path} cannot be read (${(error as NodeJS.ErrnoException).code}): write an RFC 3339 time into it`, {
      cause: error,
    });
  }
  const time = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(time.getTime()))
    throw new Error(`the clock file ${path} holds ${JSON.stringify(text.slice(0, 40))}, not an RFC 3339 time such as 2027-03-28T01:30:00Z`);
  return time;
}

/** A clock that reads its time from a file; it stands still between writes. */
export function fileClock(path: string, onError: (error: Error) => void, pollMs = 50): Clock & { close(): void } {
  let current = readTime(path);
  const listeners = new Set<() => void>();
  watchFile(path, { interval: pollMs, persistent: false }, () => {
    try {
      // An empty file is one being written (truncated, not yet filled): the next change brings its time.
      if (existsSync(path) && readFileSync(path, 'utf8').trim() === '') return;
      const time = readTime(path);
      if (time.getTime() === current.getTime()) return;
      current = time;
    } catch (error) {
      onError(error as Error);
      return;
    }
    for (const listener of listeners) listener();
  });
  return {
    now: () => new Date(current.getTime()),
    onJump(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => unwatchFile(path),
  };
}
