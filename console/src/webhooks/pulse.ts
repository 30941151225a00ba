// Pulse (trend) deliveries: POST /webhooks/pulse. The body is bounded before it is read (the
// /webhooks/ body limit, 64 KiB), its events' source names the secret, the signature over
// "<timestamp>.<body>" and the timestamp's skew are checked, then each event's fields, and the events
// are stored in PostgreSQL (unique on source and id) before the answer: 202 when any is new, 200 when
// all were stored already. The secrets are files, one per source, named after it (the chart mounts
// each source's Secret key there); they are read when needed, so a rotated Secret applies without a
// restart, and never logged.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkPulseEvents, PULSE_SOURCE_PATTERN, PulseBodyError, readPulseBody, verifyPulseSignature } from '@acog/api';
import type { Database } from '@acog/db';
import { storePulseEvents } from '@acog/db/pulse';
import { databaseErrors } from '../http/routes/database.ts';
import { badRequest, HttpError, unauthorized } from '../http/errors.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';

/** How long a secret read from its file is kept before it is read again (a rotated Secret's file changes). */
const SECRET_CACHE_MS = 10_000;

/** The sources' secrets: the file `<dir>/<source>` holds the secret of `source`. */
export class PulseSecrets {
  private readonly dir: string;
  private readonly now: () => number;
  private readonly cache = new Map<string, { secret: string | undefined; readAt: number }>();

  constructor(dir: string, now: () => number = Date.now) {
    this.dir = dir;
    this.now = now;
  }

  /** The source's secret, or undefined when it has none (no file, or an empty one). */
  async get(source: string): Promise<string | undefined> {
    if (!PULSE_SOURCE_PATTERN.test(source)) return undefined;
    const cached = this.cache.get(source);
    if (cached && this.now() - cached.readAt < SECRET_CACHE_MS) return cached.secret;
    let secret: string | undefined;
    try {
      secret = (await readFile(join(this.dir, source), 'utf8')).replace(/\r?\n$/, '') || undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (this.cache.size > 1000) this.cache.clear();
    this.cache.set(source, { secret, readAt: this.now() });
    return secret;
  }
}

export interface PulseHeaders {
  timestamp?: string;
  signature?: string;
}

export interface PulseAnswer {
  status: 200 | 202;
  body: { accepted: number; duplicates: number };
}

export class PulseWebhookHandler {
  private readonly secrets: PulseSecrets;
  private readonly metrics?: GatewayMetrics;
  private readonly now: () => number;

  constructor(options: { secrets: PulseSecrets; metrics?: GatewayMetrics; now?: () => number }) {
    this.secrets = options.secrets;
    this.metrics = options.metrics;
    this.now = options.now ?? Date.now;
  }

  /** Throws an HttpError for a refusal. */
  async handle(raw: Buffer, headers: PulseHeaders, database: Database): Promise<PulseAnswer> {
    try {
      const answer = await this.take(raw, headers, database);
      this.metrics?.webhooks.inc({ provider: 'pulse', outcome: answer.status === 202 ? 'accepted' : 'duplicate' });
      return answer;
    } catch (error) {
      this.metrics?.webhooks.inc({ provider: 'pulse', outcome: error instanceof HttpError ? error.reason : 'error' });
      throw error;
    }
  }

  private async take(raw: Buffer, headers: PulseHeaders, database: Database): Promise<PulseAnswer> {
    const { source, events, single } = readBody(() => readPulseBody(raw));
    const secret = await this.secrets.get(source);
    if (!secret)
      throw unauthorized(
        `no secret is configured for the pulse source "${source}": add it to the chart's console.pulse.sources (name, secretName, secretKey)`,
      );
    const verdict = verifyPulseSignature(secret, headers.timestamp, raw, headers.signature, this.now());
    if (!verdict.ok) throw new HttpError(401, 'Unauthorized', verdict.message);
    const checked = readBody(() => checkPulseEvents(events, single));
    const stored = await databaseErrors(() => storePulseEvents(database.pool, checked));
    return { status: stored.accepted > 0 ? 202 : 200, body: stored };
  }
}

function readBody<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof PulseBodyError) throw badRequest(error.message, [error.fieldError]);
    throw error;
  }
}
