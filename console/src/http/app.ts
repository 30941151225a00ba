// The gateway's HTTP API (Hono + zod-openapi): every /api route authenticates the user
// (TokenReview, or the authenticating proxy) and checks each action with a SubjectAccessReview
// for that user; lists are filtered to what the user may list. Reads come from the informers'
// cache, writes go to the API server with the user's token. This module composes the middleware
// and the route groups (routes/); the OpenAPI document lists the routes of every group.
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { bodyLimits } from './body-limits.ts';
import { API, FRONT_PROXY_USER, type Env, type GatewayDeps } from './context.ts';
import { HttpError, badRequest, notFound } from './errors.ts';
import { LOOPBACK, originOf, peerAddress } from './network.ts';
import { CONTENT_SECURITY_POLICY } from './security-headers.ts';
import { actionRoutes } from './routes/actions.ts';
import { artifactRoutes } from './routes/artifacts.ts';
import { mediaRoutes } from './routes/media.ts';
import { channelRoutes } from './routes/channels.ts';
import { episodeRoutes } from './routes/episodes.ts';
import { estimateRoutes } from './routes/estimates.ts';
import { historyRoutes } from './routes/history.ts';
import { jobRoutes } from './routes/jobs.ts';
import { pulseRoutes } from './routes/pulse.ts';
import { logRoutes } from './routes/logs.ts';
import { metaRoutes } from './routes/meta.ts';
import { sessionRoutes } from './routes/session.ts';
import { spendRoutes } from './routes/spend.ts';
import { streamRoutes } from './routes/stream.ts';
import { webhookRoutes } from './routes/webhooks.ts';

export type { GatewayDeps } from './context.ts';

/** Methods that change something: each must carry the console's header (CSRF), however the user signed in. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const CSRF_HEADER = 'x-acog-console';

/** The answer for an error: the gateway's own, hono's HTTPExceptions with their status, anything else a 500. */
function errorAnswer(error: Error, c: Context<Env>, log: GatewayDeps['log']): Response {
  if (error instanceof HttpError) return c.json(error.body(), error.status as 400, error.headers);
  if (error instanceof HTTPException) {
    const reason = error.status === 413 ? 'PayloadTooLarge' : error.status < 500 ? 'BadRequest' : 'Error';
    const message = error.message || error.getResponse().statusText || `status ${error.status}`;
    return c.json(new HttpError(error.status, reason, message).body(), error.status);
  }
  log.error({ route: c.req.routePath, error: error.message }, 'request failed');
  return c.json(new HttpError(500, 'InternalError', error.message).body(), 500);
}

/** Metrics per route and the security headers, on every answer of an app (errors included). */
function instrument(app: OpenAPIHono<Env>, metrics: GatewayDeps['metrics']): void {
  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    const route = c.req.routePath;
    metrics.requests.inc({ route, method: c.req.method, code: String(c.res.status) });
    metrics.requestDuration.observe({ route, method: c.req.method }, (performance.now() - started) / 1000);
    const headers = c.res.headers;
    if (!headers.has('content-security-policy')) headers.set('content-security-policy', CONTENT_SECURITY_POLICY);
    headers.set('x-frame-options', 'DENY');
    headers.set('x-content-type-options', 'nosniff');
    headers.set('referrer-policy', 'no-referrer');
    if (!headers.has('cache-control') && c.req.path.startsWith('/api/')) headers.set('cache-control', 'no-store');
  });
}

const OPENAPI_CONFIG = {
  openapi: '3.1.0',
  info: {
    title: 'ACOG console gateway',
    version: '0.1.0',
    description: "The console's API over the cluster's Channels and Episodes, under the user's Kubernetes RBAC",
  },
} as const;

export function createApp(deps: GatewayDeps): OpenAPIHono<Env> {
  const { authenticator, metrics, log } = deps;
  // Bad input, in any group: a 400 that names every bad field.
  const app = new OpenAPIHono<Env>({
    defaultHook: (result) => {
      if (!result.success) {
        const fields = result.error.issues.map((issue) => ({
          field: issue.path.join('.') || '(body)',
          message: issue.message.replace(/^[a-z]+: /, ''),
        }));
        throw badRequest(fields.map((field) => `${field.field}: ${field.message}`).join('; '), fields);
      }
    },
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'A Kubernetes token of the user (checked with a TokenReview); the console sends it as the acog_session cookie',
  });

  app.onError((error, c) => errorAnswer(error, c, log));
  instrument(app, metrics);

  // Every body is bounded before anything reads it (per route: body-limits.ts).
  app.use('*', bodyLimits());

  // /metrics and /openapi.json belong to the internal port; here only to a caller on this machine
  // that came through no proxy (kubectl port-forward, a developer), never through the ingress.
  app.use('*', async (c, next) => {
    if (c.req.path !== '/metrics' && c.req.path !== '/openapi.json') return next();
    const peer = peerAddress(c);
    const origin = originOf(c, deps.trustedProxies);
    const proxied = origin.forwarded || deps.trustedProxies.has(peer) || authenticator.trustsProxy(peer);
    if (!LOOPBACK.has(peer) || proxied) throw notFound(`${c.req.path} is served on the gateway's internal port (--internal-address)`);
    await next();
  });

  // Everything under /api changes nothing without the console's header, which a cross-site form
  // cannot send and a cross-site script may not (no CORS): CSRF, whether the user came with a
  // cookie, a bearer token or through the authenticating proxy. Then everything but signing in and
  // out needs a user.
  app.use(`${API}/*`, async (c, next) => {
    if (!SAFE_METHODS.has(c.req.method) && c.req.header(CSRF_HEADER) !== '1') {
      throw new HttpError(
        403,
        'Forbidden',
        `a ${c.req.method} must carry the header X-ACOG-Console: 1 (the console sends it; a cross-site form cannot)`,
      );
    }
    if (c.req.path === `${API}/session` && c.req.method !== 'GET') return next();
    // Through the aggregated API the API server authenticated the user (aggregated/server.ts).
    const delegated = (c.env as Env['Bindings'] | undefined)?.[FRONT_PROXY_USER];
    const origin = originOf(c, deps.trustedProxies);
    const user = delegated ?? (await authenticator.authenticate(c.req.raw.headers, origin.peer, origin.client));
    c.set('user', user);
    await next();
  });

  app.route('/', metaRoutes(deps));
  app.route('/', sessionRoutes(deps));
  app.route('/', episodeRoutes(deps));
  app.route('/', estimateRoutes(deps));
  app.route('/', channelRoutes(deps));
  app.route('/', actionRoutes(deps));
  app.route('/', streamRoutes(deps));
  if (deps.artifacts) app.route('/', artifactRoutes(deps, deps.artifacts));
  if (deps.artifacts) app.route('/', mediaRoutes(deps, deps.artifacts));
  if (deps.logs) app.route('/', logRoutes(deps, deps.logs));
  app.route('/', historyRoutes(deps));
  app.route('/', pulseRoutes(deps));
  app.route('/', jobRoutes(deps));
  app.route('/', spendRoutes(deps));
  app.route('/', webhookRoutes(deps));

  app.doc31('/openapi.json', OPENAPI_CONFIG);

  return app;
}

/**
 * The internal port's app: /metrics and /openapi.json (the public app's document), with /healthz
 * and /readyz, for Prometheus and the cluster; the Ingress never routes here.
 */
export function createInternalApp(deps: GatewayDeps, publicApp: OpenAPIHono<Env>): OpenAPIHono<Env> {
  const app = new OpenAPIHono<Env>();
  app.onError((error, c) => errorAnswer(error, c, deps.log));
  instrument(app, deps.metrics);
  app.use('*', bodyLimits());
  app.route('/', metaRoutes(deps));
  app.get('/openapi.json', (c) => c.json(publicApp.getOpenAPI31Document(OPENAPI_CONFIG)));
  return app;
}
