// Puts the gateway together: the cluster cache, authentication and authorisation, the writer, the
// artifact and log servers, the webhook publisher, the HTTP API and the built console, served by
// one Node HTTP server.
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import type { KubeConfig } from '@kubernetes/client-node';
import { openDatabase, type Database } from '@acog/db';
import { reuseConnections } from '@acog/kube';
import { S3ArtifactStore, type S3StoreOptions } from '@acog/store/s3';
import { startAggregatedApi } from './aggregated/server.ts';
import { ArtifactServer } from './artifacts/server.ts';
import type { AggregatedApiConfig } from './config.ts';
import { Authenticator, type AuthProxyOptions } from './auth/authenticator.ts';
import { Authorizer } from './auth/authorizer.ts';
import { ClusterCache } from './cluster/cache.ts';
import { ResourceWriter } from './cluster/writer.ts';
import { createApp, createInternalApp } from './http/app.ts';
import { AddressSet } from './http/network.ts';
import type { StreamLimits } from './http/streams.ts';
import { LogStreamer } from './logs/logs.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { GatewayMetrics } from './observability/metrics.ts';
import { HeyGenWebhookHandler } from './webhooks/handler.ts';
import { PulseSecrets, PulseWebhookHandler } from './webhooks/pulse.ts';
import { WebhookPublisher } from './webhooks/publisher.ts';

export interface GatewayOptions {
  kubeConfig: KubeConfig;
  /** host:port to listen on; port 0 picks a free one. */
  address?: string;
  /**
   * host:port of the internal port: /metrics, /openapi.json, /healthz, /readyz, for Prometheus and
   * the cluster (the Ingress routes only the public port). None when absent.
   */
  internalAddress?: string;
  /** The aggregated API history.acog.dev over TLS (aggregated/server.ts); none when absent. */
  aggregated?: AggregatedApiConfig;
  /** Reverse proxies (addresses or CIDRs) whose X-Forwarded-For and X-Forwarded-Proto are believed. */
  trustedProxies?: string[];
  /** Limits of the event streams (http/streams.ts). */
  streams?: Partial<StreamLimits>;
  /** Distinct tokens a client may have refused per minute before it waits (429); 0: no limit. */
  authFailuresPerMinute?: number;
  s3?: S3StoreOptions;
  natsUrl?: string;
  /** Relay HeyGen's webhook deliveries on NATS (needs natsUrl). */
  heygenWebhook?: boolean;
  /**
   * Pulse deliveries (POST /webhooks/pulse): a directory holding one file per source, named after
   * the source, with its shared secret (the chart mounts console.pulse.sources there). The events
   * go to `databaseUrl`. Without it the route answers 404.
   */
  pulseSecretsDir?: string;
  /** HeyGen deliveries one namespace may relay per minute. */
  webhookDeliveriesPerMinute?: number;
  /**
   * PostgreSQL (postgres://…), for history (the archive) and spend (the ledger); without it those
   * routes answer 503. The gateway only reads: the operator migrates.
   */
  databaseUrl?: string;
  authProxy?: AuthProxyOptions;
  audiences?: string[];
  /** The built console (vite build); not served when absent. */
  staticDir?: string;
  heartbeatMs?: number;
  secureCookies?: boolean;
  reviewCacheTtlMs?: number;
  log?: Logger;
  processMetrics?: boolean;
}

export interface Gateway {
  url: string;
  /** The internal port's URL, when there is one. */
  internalUrl?: string;
  /** The aggregated API's port, when it listens. */
  aggregatedPort?: number;
  cache: ClusterCache;
  metrics: GatewayMetrics;
  fetch: (request: Request) => Response | Promise<Response>;
  stop(): Promise<void>;
}

export const DEFAULT_STATIC_DIR = join(import.meta.dirname, '..', 'build');

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const log = options.log ?? createLogger('info');
  const kubeConfig = reuseConnections(options.kubeConfig);
  const metrics = new GatewayMetrics({ processMetrics: options.processMetrics });
  const cache = new ClusterCache({
    kubeConfig,
    onError: (informer, error) => log.warn({ informer, error: (error as Error).message }, 'watch failed; trying again'),
    onRequest: (informer, verb) => metrics.kubeRequests.inc({ verb, resource: informer }),
  });
  const authenticator = new Authenticator({
    kubeConfig,
    proxy: options.authProxy,
    audiences: options.audiences,
    cacheTtlMs: options.reviewCacheTtlMs,
    failuresPerMinute: options.authFailuresPerMinute,
    onReview: (outcome) => metrics.reviews.inc({ kind: 'TokenReview', outcome }),
  });
  const authorizer = new Authorizer({
    kubeConfig,
    cacheTtlMs: options.reviewCacheTtlMs,
    onReview: (outcome) => metrics.reviews.inc({ kind: 'SubjectAccessReview', outcome }),
  });
  let publisher: WebhookPublisher | undefined;
  let heygen: HeyGenWebhookHandler | undefined;
  if (options.heygenWebhook) {
    if (!options.natsUrl) throw new Error('--heygen-webhook needs --nats-url: webhook events are published on NATS');
    publisher = new WebhookPublisher(options.natsUrl);
    await publisher.start();
    heygen = new HeyGenWebhookHandler({ publisher, metrics, perMinute: options.webhookDeliveriesPerMinute });
  }
  const database: Database | undefined = options.databaseUrl
    ? openDatabase({
        url: options.databaseUrl,
        onIdleError: (error) => log.warn({ error: error.message }, 'a PostgreSQL connection broke; the pool opens another'),
      })
    : undefined;
  const pulse = options.pulseSecretsDir
    ? new PulseWebhookHandler({ secrets: new PulseSecrets(options.pulseSecretsDir), metrics })
    : undefined;
  const deps = {
    cache,
    authenticator,
    authorizer,
    writer: new ResourceWriter(kubeConfig),
    metrics,
    log,
    artifacts: options.s3 ? new ArtifactServer(new S3ArtifactStore(options.s3)) : undefined,
    logs: new LogStreamer(kubeConfig),
    heygen,
    pulse,
    database,
    heartbeatMs: options.heartbeatMs,
    streams: options.streams,
    secureCookies: options.secureCookies,
    trustedProxies: new AddressSet(options.trustedProxies ?? []),
    ready: publisher ? () => publisher.connected : undefined,
  };
  const app = createApp(deps);
  const staticDir = options.staticDir;
  if (staticDir && existsSync(staticDir)) {
    // The pages get the security headers of every answer (app.ts: CSP, frame-ancestors, nosniff).
    app.use('*', serveStatic({ root: staticDir }));
    // The console is a single-page app: any other path that is not the API gets its shell.
    app.get('*', async (c, next) => {
      if (c.req.path.startsWith('/api/') || c.req.path.startsWith('/webhooks/')) return next();
      return serveStatic({ root: staticDir, path: '200.html' })(c, next);
    });
  }

  cache.start();
  const listen = async (address: string, fetch: (request: Request, env: Record<string, unknown>) => Response | Promise<Response>) => {
    const [host, port] = splitAddress(address);
    const server: ServerType = await new Promise((resolve, reject) => {
      const s = serve({ fetch, hostname: host, port }, () => resolve(s));
      s.once('error', reject);
    });
    const bound = (server.address() as AddressInfo).port;
    const shown = host.includes(':') ? `[${host}]` : host;
    return {
      server,
      address: `${shown}:${bound}`,
      url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : shown}:${bound}`,
    };
  };
  const main = await listen(options.address ?? '0.0.0.0:8080', app.fetch);
  const internal = options.internalAddress ? await listen(options.internalAddress, createInternalApp(deps, app).fetch) : undefined;
  const aggregated = options.aggregated
    ? await (async () => {
        const [host, port] = splitAddress(options.aggregated!.address);
        return startAggregatedApi({ ...options.aggregated!, host, port, kubeConfig, fetch: app.fetch, log });
      })()
    : undefined;
  log.info(
    { address: main.address, internal: internal?.address ?? null, static: staticDir && existsSync(staticDir) ? staticDir : null },
    'gateway listening',
  );
  const close = (server: ServerType) =>
    new Promise<void>((resolve) => {
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      server.close(() => resolve());
    });
  return {
    url: main.url,
    internalUrl: internal?.url,
    aggregatedPort: aggregated?.port,
    cache,
    metrics,
    fetch: (request) => app.fetch(request),
    async stop() {
      cache.stop();
      await publisher?.stop();
      await database?.close();
      await Promise.all([close(main.server), internal ? close(internal.server) : undefined, aggregated?.stop()]);
    },
  };
}

export function splitAddress(address: string): [string, number] {
  const index = address.lastIndexOf(':');
  if (index < 0) throw new Error(`--http-address: "${address}" is not host:port`);
  const port = Number(address.slice(index + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--http-address: "${address}" has no valid port`);
  return [address.slice(0, index).replace(/^\[|\]$/g, '') || '0.0.0.0', port];
}
