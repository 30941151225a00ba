// The history and spend routes' parameters, read without I/O: `since` (a duration back from now, or
// a time), the continue token (where the previous page ended), and the months of a spend report.
import type { HistoryCursor } from '@acog/db/archive';

/** Thrown for a parameter that cannot be read; the route answers 400 naming `field`. */
export class ParameterError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'ParameterError';
    this.field = field;
  }
}

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
/** The longest look back `since` takes as a duration: ten years. */
const MAX_SINCE_MS = 3650 * 86_400_000;

/** `30d`, `12h`, `90m`, `2w`, `45s` back from `now`, or an RFC 3339 time. */
export function parseSince(value: string, now: Date): Date {
  const duration = /^(\d{1,7})([smhdw])$/.exec(value.trim());
  if (duration) {
    const ms = Number(duration[1]) * UNIT_MS[duration[2]];
    if (ms > MAX_SINCE_MS) throw new ParameterError('since', `"${value}" reaches back more than ten years`);
    return new Date(now.getTime() - ms);
  }
  if (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/i.test(value.trim())) {
    const at = new Date(value.trim());
    if (!Number.isNaN(at.getTime())) return at;
  }
  throw new ParameterError('since', `"${value}" is neither a duration (30d, 12h, 90m, 2w) nor a time (2026-12-01 or 2026-12-01T09:00:00Z)`);
}

/** The continue token of a page that ended at `cursor` (opaque to clients). */
export function encodeHistoryContinue(cursor: HistoryCursor): string {
  return Buffer.from(JSON.stringify({ f: cursor.finishedAt, u: cursor.uid })).toString('base64url');
}

export function decodeHistoryContinue(token: string): HistoryCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const { f, u } = (parsed ?? {}) as { f?: unknown; u?: unknown };
  if (typeof f !== 'string' || typeof u !== 'string' || Number.isNaN(Date.parse(f)) || u.length > 64)
    throw new ParameterError('continue', 'not a token this gateway gave out: start again without it');
  return { finishedAt: f, uid: u };
}

/** `count` months ending with `month` (YYYY-MM), oldest first. */
export function monthsEnding(month: string, count: number): string[] {
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!match) throw new ParameterError('month', `"${month}" is not a month as YYYY-MM`);
  const index = Number(match[1]) * 12 + Number(match[2]) - 1;
  return Array.from({ length: count }, (_, i) => {
    const at = index - (count - 1 - i);
    return `${String(Math.floor(at / 12)).padStart(4, '0')}-${String((at % 12) + 1).padStart(2, '0')}`;
  });
}
