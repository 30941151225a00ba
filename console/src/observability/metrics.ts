// The gateway's Prometheus metrics, one registry per gateway so that tests can run several.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'acog_console_http_requests_total',
    help: 'HTTP requests by route, method and status code.',
    labelNames: ['route', 'method', 'code'] as const,
    registers: [this.registry],
  });
  readonly requestDuration = new Histogram({
    name: 'acog_console_http_request_duration_seconds',
    help: 'Time to the response headers, by route.',
    labelNames: ['route', 'method'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly reviews = new Counter({
    name: 'acog_console_reviews_total',
    help: 'TokenReviews and SubjectAccessReviews sent to the API server, by kind and outcome.',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly streams = new Gauge({
    name: 'acog_console_event_streams',
    help: 'Server-sent event streams open now.',
    registers: [this.registry],
  });
  readonly streamsClosed = new Counter({
    name: 'acog_console_event_streams_closed_total',
    help: 'Server-sent event streams closed, by reason: client (it went), slow (it fell too far behind), expired (its token did), unauthorized (its token was refused on review), shutdown.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly streamsRefused = new Counter({
    name: 'acog_console_event_streams_refused_total',
    help: 'Server-sent event streams refused (429) because the user or the gateway had as many open as allowed.',
    registers: [this.registry],
  });
  readonly webhooks = new Counter({
    name: 'acog_console_webhooks_total',
    help: 'Webhook deliveries by provider and outcome (accepted, or the refusal reason).',
    labelNames: ['provider', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly kubeRequests = new Counter({
    name: 'acog_console_kube_api_requests_total',
    help: 'Requests of the informers to the API server, by verb and resource.',
    labelNames: ['verb', 'resource'] as const,
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'acog_console_' });
  }
}
