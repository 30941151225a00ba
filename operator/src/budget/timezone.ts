import { channelTimezone, type ChannelSpec } from '@acog/api';

/**
 * The Channel's timezone when Intl knows it, else UTC. The schema admits any name shaped like an
 * IANA zone; one this Node does not know must not stop the budget or the ledger.
 */
export function safeTimezone(channel: Pick<ChannelSpec, 'schedule'>): string {
  const timezone = channelTimezone(channel);
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return timezone;
  } catch {
    return 'UTC';
  }
}
