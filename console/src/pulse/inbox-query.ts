// The Pulse inbox route's continue token (where the previous page ended), read without I/O.
import type { PulseInboxCursor } from '@acog/db/pulse/inbox';
import { ParameterError } from '../history/query.ts';

export function encodePulseContinue(cursor: PulseInboxCursor): string {
  return Buffer.from(JSON.stringify({ t: cursor.decidedAtMicros, s: cursor.source, e: cursor.eventId, c: cursor.channel })).toString(
    'base64url',
  );
}

export function decodePulseContinue(token: string): PulseInboxCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const { t, s, e, c } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof t !== 'string' || !/^-?\d{1,19}$/.test(t) || typeof s !== 'string' || typeof e !== 'string' || typeof c !== 'string')
    throw new ParameterError('continue', 'not a token this gateway gave out: start again without it');
  return { decidedAtMicros: t, source: s, eventId: e, channel: c };
}
