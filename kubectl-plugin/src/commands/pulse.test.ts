import { describe, expect, it } from 'vitest';
import { PULSE_MAX_BODY_BYTES, PULSE_MAX_EVENTS, parsePulseBody } from '@acog/api';
import { deliveries, eventsOfFile } from './pulse.ts';

const event = (n: number, extra: Record<string, unknown> = {}) => ({
  id: `e${n}`,
  title: `Trend number ${n}`,
  url: `https://news.example/${n}`,
  score: 0.5,
  keywords: ['rust'],
  publishedAt: '2026-12-07T09:30:00Z',
  ...extra,
});

describe('pulse send: the file', () => {
  it('fills in the source where the events leave it out, and keeps one that names it', () => {
    const events = eventsOfFile(JSON.stringify([event(1), event(2, { source: 'trends' })]), 'trends', 'events.json');
    expect(events.map((e) => e.source)).toEqual(['trends', 'trends']);
    expect(eventsOfFile(JSON.stringify(event(3)), 'trends', 'one.json')).toHaveLength(1);
  });

  it('refuses another source, bad fields and bad JSON, naming the file and the field', () => {
    expect(() => eventsOfFile(JSON.stringify([event(1), event(2, { source: 'other' })]), 'trends', 'e.json')).toThrow(
      'e.json: [1].source: "other" is not the --source "trends" whose secret signs the delivery',
    );
    expect(() => eventsOfFile(JSON.stringify([event(1), event(2, { score: 1.5 })]), 'trends', 'e.json')).toThrow(
      /^e\.json: \[1\]\.score: required: a number from 0 to 1/,
    );
    expect(() => eventsOfFile(JSON.stringify(event(1, { publishedAt: 'yesterday' })), 'trends', 'e.json')).toThrow(
      /^e\.json: publishedAt: /,
    );
    expect(() => eventsOfFile('{"id": ', 'trends', 'e.json')).toThrow(/^e\.json: not JSON/);
    expect(() => eventsOfFile('[]', 'trends', 'e.json')).toThrow('e.json: no events (an empty array)');
  });
});

describe('pulse send: deliveries', () => {
  it('splits into deliveries of at most 100 events and 64 KiB that the gateway reads back whole', () => {
    const many = eventsOfFile(JSON.stringify(Array.from({ length: 250 }, (_, n) => event(n))), 'trends', 'e.json');
    const bodies = deliveries(many);
    expect(bodies.map((body) => (JSON.parse(body) as unknown[]).length)).toEqual([PULSE_MAX_EVENTS, PULSE_MAX_EVENTS, 50]);
    expect(bodies.flatMap((body) => parsePulseBody(body).events.map((e) => e.id))).toEqual(many.map((e) => e.id));

    const large = eventsOfFile(
      JSON.stringify(Array.from({ length: 60 }, (_, n) => event(n, { summary: 'x'.repeat(1900) }))),
      'trends',
      'e.json',
    );
    const split = deliveries(large);
    expect(split.length).toBeGreaterThan(1);
    for (const body of split) expect(Buffer.byteLength(body)).toBeLessThanOrEqual(PULSE_MAX_BODY_BYTES);
    expect(split.flatMap((body) => (JSON.parse(body) as { id: string }[]).map((e) => e.id))).toEqual(large.map((e) => e.id));
  });
});
