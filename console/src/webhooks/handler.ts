// The webhook route's work: verify, publish, and refuse a replay (JetStream says duplicate).
import { HttpError } from '../http/errors.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import { heygenWebhookSubject } from '@acog/api';
import { deliveryId, verifyHeyGenDelivery } from './heygen.ts';
import type { WebhookPublisher } from './publisher.ts';

export class HeyGenWebhookHandler {
  private readonly secret: string;
  private readonly publisher: WebhookPublisher;
  private readonly metrics?: GatewayMetrics;
  private readonly toleranceMs?: number;

  constructor(options: { secret: string; publisher: WebhookPublisher; metrics?: GatewayMetrics; toleranceMs?: number }) {
    if (!options.secret) throw new Error('the HeyGen webhook secret is empty');
    this.secret = options.secret;
    this.publisher = options.publisher;
    this.metrics = options.metrics;
    this.toleranceMs = options.toleranceMs;
  }

  /** Returns the subject the event went to; throws an HttpError for a refusal. */
  async handle(raw: Buffer, signature: string | undefined, namespace: string): Promise<string> {
    try {
      const event = verifyHeyGenDelivery(raw, signature, { secret: this.secret, toleranceMs: this.toleranceMs });
      const subject = heygenWebhookSubject(namespace, event.videoId);
      const { duplicate } = await this.publisher.publish(subject, event, deliveryId(raw));
      if (duplicate) throw new HttpError(409, 'Replay', 'this delivery was already accepted (a replay)');
      this.metrics?.webhooks.inc({ provider: 'heygen', outcome: 'accepted' });
      return subject;
    } catch (error) {
      this.metrics?.webhooks.inc({ provider: 'heygen', outcome: error instanceof HttpError ? error.reason : 'error' });
      throw error;
    }
  }
}
