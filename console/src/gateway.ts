// Puts the gateway together: the cluster cache, authentication and authorisation, the writer, the
// artifact and log servers, the webhook publisher, the HTTP API and the built console, served by
// one Node HTTP server.
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import type { KubeConfig } from '@kubernetes/client-node';
import { reuseConnections } from '@acog/kube';
import { S3ArtifactStore, type S3StoreOptions } from '@acog/store/s3';
import { ArtifactServer } from './artifacts/server.ts';
import { Authenticator, type AuthProxyOptions } from './auth/authenticator.ts';
import { Authorizer } from './auth/authorizer.ts';
import { ClusterCache } from './cluster/cache.ts';
import { EpisodeWriter } from './cluster/writer.ts';
import { createApp } from './http/app.ts';
import { LogStreamer } from './logs/logs.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { GatewayMetrics } from './observability/metrics.ts';
import { HeyGenWebhookHandler } from './webhooks/handler.ts';
import { WebhookPublisher } from './webhooks/publisher.ts';

export interface GatewayOptions {
  kubeConfig: KubeConfig;
  /** host:port to listen on; port 0 picks a free one. */
  address?: string;
  s3?: S3StoreOptions;
  natsUrl?: string;
  heygenWebhookSecret?: string;
  webhookToleranceMs?: number;
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
    onReview: (outcome) => metrics.reviews.inc({ kind: 'TokenReview', outcome }),
  });
  const authorizer = new Authorizer({
    kubeConfig,
    cacheTtlMs: options.reviewCacheTtlMs,
    onReview: (outcome) => metrics.reviews.inc({ kind: 'SubjectAccessReview', outcome }),
  });
  let publisher: WebhookPublisher | undefined;
  let heygen: HeyGenWebhookHandler | undefined;
  if (options.heygenWebhookSecret) {
    if (!options.natsUrl) throw new Error('--heygen-webhook-secret needs --nats-url: webhook events are published on NATS');
    publisher = new WebhookPublisher(options.natsUrl);
    await publisher.start();
    heygen = new HeyGenWebhookHandler({ secret: options.heygenWebhookSecret, publisher, metrics, toleranceMs: options.webhookToleranceMs });
  }
  const app = createApp({
    cache,
    authenticator,
    authorizer,
    writer: new EpisodeWriter(kubeConfig),
    metrics,
    log,
    artifacts: options.s3 ? new ArtifactServer(new S3ArtifactStore(options.s3)) : undefined,
    logs: new LogStreamer(kubeConfig),
    heygen,
    heartbeatMs: options.heartbeatMs,
    secureCookies: options.secureCookies,
    ready: publisher ? () => publisher.connected : undefined,
  });
  const staticDir = options.staticDir;
  if (staticDir && existsSync(staticDir)) {
    const csp =
      "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";
    app.use('*', async (c, next) => {
      await next();
      if (c.res.headers.get('content-type')?.startsWith('text/html')) {
        c.res.headers.set('content-security-policy', csp);
        c.res.headers.set('x-frame-options', 'DENY');
      }
    });
    app.use('*', serveStatic({ root: staticDir }));
    // The console is a single-page app: any other path that is not the API gets its shell.
    app.get('*', async (c, next) => {
      if (c.req.path.startsWith('/api/') || c.req.path.startsWith('/webhooks/')) return next();
      return serveStatic({ root: staticDir, path: '200.html' })(c, next);
    });
  }

  cache.start();
  const [host, port] = splitAddress(options.address ?? '0.0.0.0:8080');
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(s));
  });
  const address = server.address() as AddressInfo;
  log.info({ address: `${host}:${address.port}`, static: staticDir && existsSync(staticDir) ? staticDir : null }, 'gateway listening');
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`,
    cache,
    metrics,
    fetch: (request) => app.fetch(request),
    async stop() {
      cache.stop();
      await publisher?.stop();
      await new Promise<void>((resolve) => {
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      });
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
