// Pulse rows stored with @acog/db/pulse's own writers, as the gateway's intake and the operator's
// matching store them, for the tests of what reads them (the inbox route, `kubectl acog pulse ls`,
// the console's inbox) without the operator running. A decision may be dated in the past (the
// writer stamps now()), to order the inbox as time would.
import type { Pool } from 'pg';
import { recordPulseDecisions, storePulseEvents } from '@acog/db/pulse';

export interface PulseEventRow {
  source: string;
  id: string;
  title: string;
  url: string;
  summary?: string;
  score: number;
  keywords?: string[];
  publishedAt?: string;
}

export interface PulseDecisionRow {
  source: string;
  eventId: string;
  namespace: string;
  channel: string;
  channelUid?: string;
  outcome: 'created' | 'skipped';
  reason: string;
  message: string;
  episode?: string;
  decidedAt?: string;
}

export async function insertPulseEvent(pool: Pick<Pool, 'query'>, event: PulseEventRow): Promise<void> {
  const { accepted } = await storePulseEvents(pool, [
    { ...event, keywords: event.keywords ?? [], publishedAt: event.publishedAt ?? new Date().toISOString() },
  ]);
  if (accepted !== 1) throw new Error(`pulse event ${event.source}/${event.id} was stored already`);
}

export async function insertPulseDecision(pool: Pick<Pool, 'query'>, decision: PulseDecisionRow): Promise<void> {
  const channelUid = decision.channelUid ?? `uid-${decision.namespace}-${decision.channel}`;
  const decidedAt = decision.decidedAt ?? new Date().toISOString();
  await recordPulseDecisions(pool, [{ ...decision, channelUid, day: decidedAt.slice(0, 10) }]);
  if (decision.decidedAt)
    await pool.query(`UPDATE pulse_decisions SET decided_at = $4 WHERE source = $1 AND event_id = $2 AND channel_uid = $3`, [
      decision.source,
      decision.eventId,
      channelUid,
      decision.decidedAt,
    ]);
}
