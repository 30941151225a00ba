import { describe, expect, it } from 'vitest';
import { stageEventSubject } from '@acog/api';
import { MAX_EVENT_BYTES, MAX_EVENT_MESSAGE, parseStageEvent, readStageEvent } from './nats.ts';

const event = {
  namespace: 'team-a',
  episode: 'ep',
  uid: 'uid-1',
  stage: 'voice',
  attempt: 2,
  inputHash: 'sha256:abc',
  outcome: 'Failed',
  message: 'espeak-ng exited with 1',
  at: '2026-12-01T10:00:00Z',
};
const subject = stageEventSubject('team-a', 'ep', 'voice');
const bytes = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('readStageEvent', () => {
  it('reads a runner event', () => {
    expect(readStageEvent(subject, bytes(event))).toEqual(event);
  });

  it(`refuses a message larger than ${MAX_EVENT_BYTES} bytes before parsing it`, () => {
    const huge = bytes({ ...event, message: 'x'.repeat(1024 * 1024) });
    expect(() => readStageEvent(subject, huge)).toThrow(/more than 16384/);
  });

  it('cuts the message to one short line and drops unknown fields', () => {
    const read = readStageEvent(subject, bytes({ ...event, message: `first\nsecond ${'y'.repeat(10_000)}`, extra: 'z' }));
    expect(read.message!.length).toBeLessThanOrEqual(MAX_EVENT_MESSAGE);
    expect(read.message).toMatch(/^first second y+…$/);
    expect(read).not.toHaveProperty('extra');
  });

  it("refuses an event published on another episode's subject", () => {
    expect(() => readStageEvent(stageEventSubject('team-b', 'ep', 'voice'), bytes(event))).toThrow(
      /published on acog\.events\.team-b\.ep\.voice, not on its episode's subject acog\.events\.team-a\.ep\.voice/,
    );
    expect(() => readStageEvent(stageEventSubject('team-a', 'ep', 'plan'), bytes(event))).toThrow(/not on its episode's subject/);
  });

  it('refuses what is not JSON, and malformed or oversized fields', () => {
    expect(() => readStageEvent(subject, Buffer.from('{'))).toThrow(/not JSON/);
    expect(() => parseStageEvent([])).toThrow(/not a JSON object/);
    expect(() => parseStageEvent({ ...event, attempt: 0 })).toThrow(/attempt: must be a whole number from 1/);
    expect(() => parseStageEvent({ ...event, attempt: 2 ** 60 })).toThrow(/attempt/);
    expect(() => parseStageEvent({ ...event, uid: 'u'.repeat(500) })).toThrow(/uid: longer than 128/);
    expect(() => parseStageEvent({ ...event, message: { text: 'x' } })).toThrow(/message: must be a string/);
    expect(() => parseStageEvent({ ...event, outcome: 'Maybe' })).toThrow(/outcome/);
  });
});
