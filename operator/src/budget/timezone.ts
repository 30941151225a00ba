import { channelTimezone, timeZoneProblem, type ChannelSpec } from '@acog/api';

/**
 * Zones already checked. Building an Intl.DateTimeFormat to check one costs about a millisecond of
 * CPU, and the budget gate and the ledger ask on every hand-off (it showed in the operator's profile).
 */
const known = new Map<string, string>();

/**
 * The Channel's timezone when Intl knows it, else UTC. The schema admits any name shaped like an
 * IANA zone; one this Node does not know must not stop the budget or the ledger.
 */
export function safeTimezone(channel: Pick<ChannelSpec, 'schedule'>): string {
  const timezone = channelTimezone(channel);
  let safe = known.get(timezone);
  if (safe === undefined) {
    safe = timeZoneProblem(timezone) ? 'UTC' : timezone;
    if (known.size >= 1000) known.clear();
    known.set(timezone, safe);
  }
  return safe;
}
