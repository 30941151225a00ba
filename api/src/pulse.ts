// Pulse (trend) events: the wire format of POST /webhooks/pulse, read and checked here once for the
// gateway that takes them and for `kubectl acog pulse send`, which checks a file before it signs it;
// the names an Episode made from an event carries; the reasons of the operator's decisions.
import { createHash } from 'node:crypto';
import type { FieldError } from './validation.ts';

/** A trend event as a source sends it. */
export interface PulseEvent {
  source: string;
  id: string;
  title: string;
  url: string;
  summary?: string;
  /** How strongly it trends, 0 to 1. */
  score: number;
  keywords: string[];
  /** RFC 3339. */
  publishedAt: string;
}

/** The most bytes a delivery may have; larger is a 413 before the body is read whole. */
export const PULSE_MAX_BODY_BYTES = 64 * 1024;
/** The most events one delivery may hold. */
export const PULSE_MAX_EVENTS = 100;

export const PULSE_ORIGIN = 'pulse';
/** On an Episode made from an event: `<source>/<id>`. */
export const PULSE_EVENT_ANNOTATION = 'acog.dev/pulse-event';
/** On an Episode made from an event: the index of the Channel's rule that matched (its daily limit counts it). */
export const PULSE_RULE_ANNOTATION = 'acog.dev/pulse-rule';

/**
 * Why the operator made an Episode of an event for a Channel, or did not (pulse_decisions.reason),
 * in the order they are tried: the first that applies is the one recorded.
 */
export const PULSE_REASONS = [
  'Created',
  'SourceNotInRules',
  'NoKeywordMatched',
  'BelowMinScore',
  'AlreadyCovered',
  'DailyLimitReached',
  'ChannelNotReady',
] as const;
export type PulseReason = (typeof PULSE_REASONS)[number];

/** A source's name: what Secret keys and file names allow, so a source's secret can be a file named after it. */
export const PULSE_SOURCE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const URL_PATTERN = /^https?:\/\/[^\s]+$/;
// RFC 3339 as Kubernetes' date-time: a date, T, a time, seconds' fractions optional, Z or an offset.
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const FIELDS = new Set(['source', 'id', 'title', 'url', 'summary', 'score', 'keywords', 'publishedAt']);
const printable = (value: string) => {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return false;
  }
  return true;
};

/** A delivery refused: the field (e.g. `[3].score`; `body` for the whole) and why. */
export class PulseBodyError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'PulseBodyError';
    this.field = field;
  }

  get fieldError(): FieldError {
    return { field: this.field, message: this.message.slice(this.field.length + 2) };
  }
}

/**
 * Reads a delivery's body: one event object, or an array of 1 to PULSE_MAX_EVENTS, all of one source.
 * Throws a PulseBodyError naming the first bad field. `source` is checked before the rest, so that a
 * receiver can find the source's secret and check the signature before it says more about the body.
 */
export function readPulseBody(raw: string | Buffer): { source: string; events: unknown[]; single: boolean } {
  let body: unknown;
  try {
    body = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch (error) {
    throw new PulseBodyError('body', `not JSON (${(error as Error).message})`);
  }
  const single = !Array.isArray(body);
  const events = single ? [body] : (body as unknown[]);
  if (!single && events.length === 0) throw new PulseBodyError('body', 'an empty array: send one event or an array of 1 to 100');
  if (events.length > PULSE_MAX_EVENTS)
    throw new PulseBodyError('body', `${events.length} events: at most ${PULSE_MAX_EVENTS} a delivery; send the rest in another`);
  const at = (index: number, field: string) => (single ? field : `[${index}].${field}`);
  let source: string | undefined;
  events.forEach((event, index) => {
    if (typeof event !== 'object' || event === null || Array.isArray(event))
      throw new PulseBodyError(single ? 'body' : `[${index}]`, 'an event must be a JSON object');
    const value = (event as Record<string, unknown>).source;
    if (typeof value !== 'string' || !PULSE_SOURCE_PATTERN.test(value))
      throw new PulseBodyError(at(index, 'source'), 'required: 1 to 100 letters, digits, ".", "_" or "-", starting with a letter or digit');
    if (source !== undefined && value !== source)
      throw new PulseBodyError(at(index, 'source'), `"${value}" differs from "${source}": all events of one delivery come from one source`);
    source = value;
  });
  return { source: source!, events, single };
}

/**
 * Checks each event's fields (after readPulseBody; `single`: the body was one object, so fields are
 * named without an index); throws a PulseBodyError naming the first bad one.
 */
export function checkPulseEvents(events: unknown[], single: boolean): PulseEvent[] {
  return events.map((event, index) => {
    const at = (field: string) => (single ? field : `[${index}].${field}`);
    const fail = (field: string, message: string): never => {
      throw new PulseBodyError(at(field), message);
    };
    const e = event as Record<string, unknown>;
    for (const key of Object.keys(e)) if (!FIELDS.has(key)) fail(key, `unknown field; an event has ${[...FIELDS].join(', ')}`);
    const text = (field: string, min: number, max: number): string => {
      const value = e[field];
      if (typeof value !== 'string') return fail(field, `required: a string of ${min} to ${max} characters`);
      if (value.trim().length < min || value.length > max)
        return fail(field, `must be ${min} to ${max} characters (${value.length} given)`);
      if (!printable(value)) return fail(field, 'must not hold control characters');
      return value;
    };
    const id = text('id', 1, 200);
    const title = text('title', 3, 300);
    const url = text('url', 1, 2048);
    if (!URL_PATTERN.test(url)) fail('url', 'must be an http or https URL without spaces');
    let summary: string | undefined;
    if (e.summary !== undefined) {
      if (typeof e.summary !== 'string' || e.summary.length > 2000) fail('summary', 'must be a string of at most 2000 characters');
      summary = e.summary as string;
    }
    const score = e.score;
    if (typeof score !== 'number' || !Number.isFinite(score) || score < 0 || score > 1) fail('score', 'required: a number from 0 to 1');
    const keywords = e.keywords;
    if (!Array.isArray(keywords)) fail('keywords', 'required: an array of strings (may be empty)');
    if ((keywords as unknown[]).length > 50) fail('keywords', 'at most 50 keywords');
    (keywords as unknown[]).forEach((keyword, k) => {
      if (typeof keyword !== 'string' || keyword.trim() === '' || keyword.length > 100 || !printable(keyword))
        fail(`keywords[${k}]`, 'must be a string of 1 to 100 characters');
    });
    const publishedAt = e.publishedAt;
    if (typeof publishedAt !== 'string' || !RFC3339.test(publishedAt) || Number.isNaN(Date.parse(publishedAt)))
      fail('publishedAt', 'required: an RFC 3339 time such as 2026-12-07T09:30:00Z');
    return {
      source: e.source as string,
      id,
      title,
      url,
      ...(summary !== undefined && { summary }),
      score: score as number,
      keywords: keywords as string[],
      publishedAt: publishedAt as string,
    };
  });
}

/** Reads and checks a whole delivery's body (readPulseBody, then checkPulseEvents). */
export function parsePulseBody(raw: string | Buffer): { source: string; events: PulseEvent[] } {
  const { source, events, single } = readPulseBody(raw);
  return { source, events: checkPulseEvents(events, single) };
}

/**
 * The name of the Episode a Channel makes of an event: `<channel>-pulse-<hash>`, the hash of source
 * and id (12 hex digits of SHA-256), so that it is made once whatever happens; a long Channel name
 * is shortened to keep it within 63 characters.
 */
export function pulseEpisodeName(channel: string, source: string, id: string): string {
  const digest = createHash('sha256').update(`${source}\n${id}`).digest('hex').slice(0, 12);
  const suffix = `-pulse-${digest}`;
  return `${channel.slice(0, 63 - suffix.length).replace(/[-.]+$/, '')}${suffix}`;
}

/** An event's title as an Episode topic (at most 200 characters, cut at a word). */
export function pulseTopic(title: string): string {
  const clean = title.replace(/\s+/g, ' ').trim();
  if (clean.length <= 200) return clean;
  const cut = clean.slice(0, 200);
  const space = cut.lastIndexOf(' ');
  return (space > 100 ? cut.slice(0, space) : cut).trim();
}
