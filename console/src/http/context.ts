// What the route groups share: the gateway's dependencies, the request context (the user), the
// /api/v1 prefix, and the lookups that every read makes the same way.
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Episode } from '@acog/api';
import type { Database } from '@acog/db';
import type { Authenticator, User } from '../auth/authenticator.ts';
import type { Authorizer } from '../auth/authorizer.ts';
import type { ClusterCache } from '../cluster/cache.ts';
import { BadContinueToken, queryPage, type ListQuery } from '../cluster/query.ts';
import type { ResourceWriter } from '../cluster/writer.ts';
import type { Logger } from '../observability/logger.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import type { ArtifactServer } from '../artifacts/server.ts';
import type { LogStreamer } from '../logs/logs.ts';
import type { HeyGenWebhookHandler } from '../webhooks/handler.ts';
import type { PulseWebhookHandler } from '../webhooks/pulse.ts';
import { badRequest, notFound, type Permission } from './errors.ts';
import type { AddressSet } from './network.ts';
import type { StreamLimits } from './streams.ts';

export interface GatewayDeps {
  cache: ClusterCache;
  authenticator: Authenticator;
  authorizer: Authorizer;
  writer: ResourceWriter;
  metrics: GatewayMetrics;
  log: Logger;
  artifacts?: ArtifactServer;
  logs?: LogStreamer;
  heygen?: HeyGenWebhookHandler;
  /** Pulse deliveries (POST /webhooks/pulse): stored in `database`. Absent when no source has a secret. */
  pulse?: PulseWebhookHandler;
  /** PostgreSQL: the archive (history) and the cost ledger (spend). Those routes answer 503 without it. */
  database?: Database;
  /** Milliseconds between SSE heartbeats. */
  heartbeatMs?: number;
  /** Event streams: how many, how far behind a client may fall, how often its token is checked again. */
  streams?: Partial<StreamLimits>;
  /**
   * Always mark the session cookie Secure. Without it, it is Secure when the sign-in came over TLS,
   * or with X-Forwarded-Proto: https from a trusted proxy.
   */
  secureCookies?: boolean;
  /** Reverse proxies (the ingress controller) whose X-Forwarded-For and X-Forwarded-Proto are believed. */
  trustedProxies: AddressSet;
  /** Extra readiness checks (NATS, ...). */
  ready?: () => boolean;
}

/**
 * The binding under which the aggregated API (aggregated/server.ts) hands a request of the public
 * API the user the API server authenticated; only an in-process caller can set it.
 */
export const FRONT_PROXY_USER = 'acogFrontProxyUser';

/** The request context: the user the /api middleware authenticated. */
export type Env = { Variables: { user: User; route: string }; Bindings: { [FRONT_PROXY_USER]?: User } };

export const API = '/api/v1';

/**
 * A group of routes. Mounted with app.route(), it takes the parent's validation hook (bad input
 * is a 400 naming the field), error handler and middleware, and its routes join the parent's
 * OpenAPI document.
 */
export function routeGroup(): OpenAPIHono<Env> {
  return new OpenAPIHono<Env>();
}

/** The Episode from the cache, or a 404. */
export function episodeOr404(cache: ClusterCache, namespace: string, name: string): Episode {
  const episode = cache.episode(namespace, name);
  if (!episode) throw notFound(`episode "${name}" not found in namespace "${namespace}"`);
  return episode;
}

/** The namespaces of a list the user may see: one namespace (checked), or all they may list in. */
export async function visibleNamespaces(
  deps: Pick<GatewayDeps, 'authorizer' | 'cache'>,
  user: User,
  namespace: string | undefined,
  permission: (namespace?: string) => Permission,
): Promise<(namespace: string) => boolean> {
  const { authorizer, cache } = deps;
  if (namespace) {
    await authorizer.require(user, permission(namespace));
    return (ns: string) => ns === namespace;
  }
  const allowed = await authorizer.namespacesAllowed(user, permission(), cache.namespaces());
  if (allowed !== 'all' && allowed.size === 0) await authorizer.require(user, permission());
  return allowed === 'all' ? () => true : (ns: string) => allowed.has(ns);
}

/** A page of the items in the namespaces kept; a bad continue token is a 400. */
export function pageOf<T extends { namespace: string; name: string }>(
  items: Iterable<T>,
  keep: (namespace: string) => boolean,
  query: ListQuery,
) {
  const filtered: T[] = [];
  for (const item of items) if (keep(item.namespace)) filtered.push(item);
  try {
    return queryPage(filtered, query);
  } catch (error) {
    if (error instanceof BadContinueToken) throw badRequest(error.message, [{ field: 'continue', message: error.message }]);
    throw error;
  }
}
