// The webhook route's work: read the delivery, bound how many a namespace may relay, publish it as a
// wake-up, and answer a repeat (JetStream says duplicate) as done, so that HeyGen stops sending it.
import { HttpError } from '../http/errors.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import { heygenWebhookSubject } from '@acog/api';
import { deliveryId, readHeyGenDelivery, type DeliveryHeaders } from './heygen.ts';
import type { WebhookPublisher } from './publisher.ts';

/** Deliveries one namespace may relay per minute: more than its renders call for, and a flood stops here. */
export const WEBHOOK_DELIVERIES_PER_MINUTE = 120;

export interface WebhookAnswer {
  subject: string;
  duplicate: boolean;
}

export class HeyGenWebhookHandler {
  private readonly publisher: WebhookPublisher;
  private readonly metrics?: GatewayMetrics;
  private readonly perMinute: number;
  private readonly now: () => number;
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(options: { publisher: WebhookPublisher; metrics?: GatewayMetrics; perMinute?: number; now?: () => number }) {
    this.publisher = options.publisher;
    this.metrics = options.metrics;
    this.perMinute = options.perMinute ?? WEBHOOK_DELIVERIES_PER_MINUTE;
    this.now = options.now ?? Date.now;
  }

  /** Throws an HttpError for a refusal. */
  async handle(raw: Buffer, headers: DeliveryHeaders, namespace: string): Promise<WebhookAnswer> {
    try {
      const wakeUp = readHeyGenDelivery(raw, headers, this.now());
      this.admit(namespace);
      const subject = heygenWebhookSubject(namespace, wakeUp.videoId);
      const { duplicate } = await this.publisher.publish(subject, wakeUp, deliveryId(raw, headers));
      this.metrics?.webhooks.inc({ provider: 'heygen', outcome: duplicate ? 'duplicate' : wakeUp.signature ? 'signed' : 'unsigned' });
      return { subject, duplicate };
    } catch (error) {
      this.metrics?.webhooks.inc({ provider: 'heygen', outcome: error instanceof HttpError ? error.reason : 'error' });
      throw error;
    }
  }

  /** A fixed one-minute window per namespace. */
  private admit(namespace: string): void {
    const now = this.now();
    let window = this.windows.get(namespace);
    if (!window || now - window.start >= 60_000) {
      window = { start: now, count: 0 };
      this.windows.set(namespace, window);
      if (this.windows.size > 10_000) for (const [name, old] of this.windows) if (now - old.start >= 60_000) this.windows.delete(name);
    }
    window.count += 1;
    if (window.count > this.perMinute) {
      const retryAfter = Math.ceil((window.start + 60_000 - now) / 1000);
      throw new HttpError(429, 'TooManyRequests', `namespace ${namespace}: more than ${this.perMinute} webhook deliveries a minute`, {
        headers: { 'retry-after': String(retryAfter) },
      });
    }
  }
}
