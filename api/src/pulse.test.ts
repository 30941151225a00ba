import { describe, expect, it } from 'vitest';
import { localDate } from './budget-month.ts';
import { parsePulseBody, PulseBodyError, pulseEpisodeName, pulseTopic, readPulseBody } from './pulse.ts';

const event = (extra: Record<string, unknown> = {}) => ({
  source: 'trends',
  id: 'e-1',
  title: 'Rust 2.0 announced',
  url: 'https://example.com/rust-2',
  score: 0.8,
  keywords: ['rust'],
  publishedAt: '2026-12-07T09:30:00Z',
  ...extra,
});
const refusal = (body: unknown) => {
  try {
    parsePulseBody(typeof body === 'string' ? body : JSON.stringify(body));
  } catch (error) {
    if (error instanceof PulseBodyError) return error.message;
    throw error;
  }
  return 'accepted';
};

describe('parsePulseBody', () => {
  it('takes one event or an array of them, all of one source', () => {
    expect(parsePulseBody(JSON.stringify(event({ summary: 'A new edition' })))).toEqual({
      source: 'trends',
      events: [event({ summary: 'A new edition' })],
    });
    const many = Array.from({ length: 100 }, (_, i) => event({ id: `e-${i}` }));
    expect(parsePulseBody(Buffer.from(JSON.stringify(many))).events.map((e) => e.id)).toEqual(many.map((e) => e.id));
  });

  it('names the field and why for each refusal', () => {
    expect(refusal('{"source":')).toMatch(/^body: not JSON/);
    expect(refusal([])).toBe('body: an empty array: send one event or an array of 1 to 100');
    expect(refusal(Array.from({ length: 101 }, (_, i) => event({ id: `e-${i}` })))).toMatch(/^body: 101 events: at most 100/);
    expect(refusal('"text"')).toBe('body: an event must be a JSON object');
    expect(refusal([event(), 'text'])).toBe('[1]: an event must be a JSON object');
    expect(refusal(event({ source: undefined }))).toMatch(/^source: required/);
    expect(refusal(event({ source: '../etc' }))).toMatch(/^source: required: 1 to 100 letters/);
    expect(refusal([event(), event({ source: 'other' })])).toBe(
      '[1].source: "other" differs from "trends": all events of one delivery come from one source',
    );
    expect(refusal(event({ id: '' }))).toMatch(/^id: must be 1 to 200 characters/);
    expect(refusal(event({ title: 'ab' }))).toMatch(/^title: must be 3 to 300 characters/);
    expect(refusal(event({ title: 'line\nbreak' }))).toBe('title: must not hold control characters');
    expect(refusal(event({ url: 'ftp://example.com/x' }))).toBe('url: must be an http or https URL without spaces');
    expect(refusal([event(), event({ score: 1.5 })])).toBe('[1].score: required: a number from 0 to 1');
    expect(refusal(event({ score: '0.5' }))).toBe('score: required: a number from 0 to 1');
    expect(refusal(event({ keywords: 'rust' }))).toBe('keywords: required: an array of strings (may be empty)');
    expect(refusal(event({ keywords: ['rust', 7] }))).toBe('keywords[1]: must be a string of 1 to 100 characters');
    expect(refusal(event({ publishedAt: 'yesterday' }))).toMatch(/^publishedAt: required: an RFC 3339 time/);
    expect(refusal(event({ summary: 3 }))).toBe('summary: must be a string of at most 2000 characters');
    expect(refusal(event({ publishedat: '2026-12-07T09:30:00Z' }))).toMatch(/^publishedat: unknown field/);
  });

  it('checks the source of every event before any other field (the secret is found by it)', () => {
    expect(() => readPulseBody(JSON.stringify([event({ score: 9 }), event({ source: 'x y' })]))).toThrow(/^\[1\]\.source/);
    expect(readPulseBody(JSON.stringify([event({ score: 9 })]))).toMatchObject({ source: 'trends', single: false });
  });
});

describe('pulseEpisodeName', () => {
  it('is the same for the same channel and event, different for another, and fits 63 characters', () => {
    const name = pulseEpisodeName('tech-daily', 'trends', 'e-1');
    expect(name).toMatch(/^tech-daily-pulse-[0-9a-f]{12}$/);
    expect(pulseEpisodeName('tech-daily', 'trends', 'e-1')).toBe(name);
    expect(pulseEpisodeName('tech-daily', 'trends', 'e-2')).not.toBe(name);
    expect(pulseEpisodeName('tech-daily', 'trend', 's\ne-1')).not.toBe(name);
    const long = pulseEpisodeName(`${'a'.repeat(60)}-b`, 'trends', 'e-1');
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^a+-pulse-[0-9a-f]{12}$/);
  });
});

describe('pulseTopic and localDate', () => {
  it('cuts a long title at a word, within 200 characters', () => {
    expect(pulseTopic('  Rust   2.0 ')).toBe('Rust 2.0');
    const topic = pulseTopic(`${'word '.repeat(60)}end`);
    expect(topic.length).toBeLessThanOrEqual(200);
    expect(topic.endsWith('word')).toBe(true);
  });

  it("gives the date in the Channel's timezone", () => {
    const instant = new Date('2026-12-07T23:30:00Z');
    expect(localDate(instant, 'UTC')).toBe('2026-12-07');
    expect(localDate(instant, 'Europe/Berlin')).toBe('2026-12-08');
    expect(localDate(new Date('2026-12-07T03:00:00Z'), 'America/New_York')).toBe('2026-12-06');
  });
});
