import { describe, expect, it } from 'vitest';
import { decodePulseContinue, encodePulseContinue } from './inbox-query.ts';

describe('the pulse inbox continue token', () => {
  it('round-trips a cursor', () => {
    const cursor = { decidedAtMicros: '1796115600123456', source: 'trends', eventId: 'e/1', channel: 'science' };
    expect(decodePulseContinue(encodePulseContinue(cursor))).toEqual(cursor);
  });

  it('refuses a token it did not give out, naming continue', () => {
    expect(() => decodePulseContinue('not-a-token')).toThrow(/^continue: not a token this gateway gave out/);
    const forged = Buffer.from(JSON.stringify({ t: '1 OR 1=1', s: 'a', e: 'b', c: 'c' })).toString('base64url');
    expect(() => decodePulseContinue(forged)).toThrow(/^continue:/);
  });
});
