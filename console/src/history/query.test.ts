import { describe, expect, it } from 'vitest';
import { decodeHistoryContinue, encodeHistoryContinue, monthsEnding, ParameterError, parseSince } from './query.ts';

const now = new Date('2026-12-07T12:00:00Z');

describe('parseSince', () => {
  it('reads durations back from now and RFC 3339 times', () => {
    expect(parseSince('30d', now).toISOString()).toBe('2026-11-07T12:00:00.000Z');
    expect(parseSince('12h', now).toISOString()).toBe('2026-12-07T00:00:00.000Z');
    expect(parseSince('90m', now).toISOString()).toBe('2026-12-07T10:30:00.000Z');
    expect(parseSince('2w', now).toISOString()).toBe('2026-11-23T12:00:00.000Z');
    expect(parseSince('2026-12-01', now).toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(parseSince('2026-12-01T09:00:00+01:00', now).toISOString()).toBe('2026-12-01T08:00:00.000Z');
  });

  it('names the parameter and says what it takes', () => {
    expect(() => parseSince('yesterday', now)).toThrow(ParameterError);
    expect(() => parseSince('yesterday', now)).toThrow(/^since: "yesterday" is neither a duration/);
    expect(() => parseSince('9999999d', now)).toThrow(/more than ten years/);
    expect(() => parseSince('2026-13-45', now)).toThrow(/since/);
  });
});

describe('history continue tokens', () => {
  it('round-trips where a page ended, and refuses tokens it did not give out', () => {
    const cursor = { finishedAt: '2026-12-01T10:00:00.000Z', uid: '0d5c6a7e-1f2b-4c3d-9e8f-a1b2c3d4e5f6' };
    expect(decodeHistoryContinue(encodeHistoryContinue(cursor))).toEqual(cursor);
    expect(() => decodeHistoryContinue('bm9wZQ')).toThrow(/^continue: not a token/);
    expect(() => decodeHistoryContinue(Buffer.from('{"f":"never","u":"x"}').toString('base64url'))).toThrow(ParameterError);
  });
});

describe('monthsEnding', () => {
  it('counts back across years, oldest first', () => {
    expect(monthsEnding('2026-02', 4)).toEqual(['2025-11', '2025-12', '2026-01', '2026-02']);
    expect(monthsEnding('2026-12', 1)).toEqual(['2026-12']);
    expect(() => monthsEnding('2026-13', 2)).toThrow(/^month: "2026-13"/);
  });
});
