// Budgets are per calendar month in the Channel's timezone: which month an instant falls in there,
// and when the next one begins. Pure, on Intl's time-zone data.
import type { ChannelSpec } from './generated/types.ts';

/** The Channel's timezone (its schedule's; UTC without one). */
export function channelTimezone(channel: Pick<ChannelSpec, 'schedule'>): string {
  return channel.schedule?.timezone ?? 'UTC';
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function partsIn(
  instant: Date,
  timezone: string,
): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  let formatter = formatters.get(timezone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timezone, formatter);
  }
  const parts = Object.fromEntries(formatter.formatToParts(instant).map((part) => [part.type, part.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
  };
}

/** 'YYYY-MM' of `instant` in `timezone`. Throws a RangeError for a timezone Intl does not know. */
export function budgetMonth(instant: Date, timezone: string): string {
  const { year, month } = partsIn(instant, timezone);
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}`;
}

/** The instant the month after `instant`'s begins in `timezone` (midnight of the 1st there). */
export function nextMonthStart(instant: Date, timezone: string): Date {
  const { year, month } = partsIn(instant, timezone);
  const wallClock = Date.UTC(year, month, 1); // month is 1-based: this is the 1st of the next month
  // The zone's offset at that wall-clock time; twice, in case the offset changes in between.
  let guess = wallClock;
  for (let i = 0; i < 2; i++) {
    const p = partsIn(new Date(guess), timezone);
    const offset = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - guess;
    guess = wallClock - offset;
  }
  return new Date(guess);
}

/** The calendar date (YYYY-MM-DD) of an instant in a timezone, e.g. for limits per day. */
export function localDate(instant: Date, timezone: string): string {
  const { year, month, day } = partsIn(instant, timezone);
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}
