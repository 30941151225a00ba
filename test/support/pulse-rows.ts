// Pulse rows written straight into PostgreSQL (migration 0003_pulse), as the gateway's intake and
// the operator's matching write them, for the tests of what reads them (the inbox route, `kubectl
// acog pulse ls`, the console's inbox) without the operator running.
import type { Pool } from 'pg';

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
  await pool.query(
    `INSERT INTO pulse_events (source, id, title, url, summary, score, keywords, published_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      event.source,
      event.id,
      event.title,
      event.url,
      event.summary ?? '',
      event.score,
      event.keywords ?? [],
      event.publishedAt ?? new Date().toISOString(),
    ],
  );
}

export async function insertPulseDecision(pool: Pick<Pool, 'query'>, decision: PulseDecisionRow): Promise<void> {
  await pool.query(
    `INSERT INTO pulse_decisions (source, event_id, namespace, channel, channel_uid, outcome, reason, message, episode, day, decided_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, current_date, coalesce($10::timestamptz, now()))`,
    [
      decision.source,
      decision.eventId,
      decision.namespace,
      decision.channel,
      decision.channelUid ?? `uid-${decision.namespace}-${decision.channel}`,
      decision.outcome,
      decision.reason,
      decision.message,
      decision.episode ?? null,
      decision.decidedAt ?? null,
    ],
  );
}
