// The gateway's HTTP API (Hono + zod-openapi): every /api route authenticates the user
// (TokenReview, or the authenticating proxy) and checks each action with a SubjectAccessReview
// for that user; lists are filtered to what the user may list. Reads come from the informers'
// cache, writes go to the API server with the user's token. This module composes the middleware
// and the route groups (routes/); the OpenAPI document lists the routes of every group.
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { API, type Env, type GatewayDeps } from './context.ts';
import { HttpError, badRequest } from './errors.ts';
import { actionRoutes } from './routes/actions.ts';
import { artifactRoutes } from './routes/artifacts.ts';
import { channelRoutes } from './routes/channels.ts';
import { episodeRoutes } from './routes/episodes.ts';
import { logRoutes } from './routes/logs.ts';
import { metaRoutes } from './routes/meta.ts';
import { sessionRoutes } from './routes/session.ts';
import { streamRoutes } from './routes/stream.ts';
import { webhookRoutes } from './routes/webhooks.ts';

export type { GatewayDeps } from './context.ts';

function remoteAddress(c: Context): string | undefined {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress;
}

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

  app.onError((error, c) => {
    if (error instanceof HttpError) return c.json(error.body(), error.status as 400);
    log.error({ route: c.req.routePath, error: (error as Error).message }, 'request failed');
    return c.json(new HttpError(500, 'InternalError', (error as Error).message).body(), 500);
  });

  // Metrics per route, and security headers on every answer.
  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    const route = c.req.routePath;
    metrics.requests.inc({ route, method: c.req.method, code: String(c.res.status) });
    metrics.requestDuration.observe({ route, method: c.req.method }, (performance.now() - started) / 1000);
    c.res.headers.set('x-content-type-options', 'nosniff');
    c.res.headers.set('referrer-policy', 'no-referrer');
    if (!c.res.headers.has('cache-control') && c.req.path.startsWith('/api/')) c.res.headers.set('cache-control', 'no-store');
  });

  // Everything under /api but signing in and out needs a user. A cookie-authenticated write must
  // also carry the console's header, which a cross-site form cannot send (CSRF).
  app.use(`${API}/*`, async (c, next) => {
    if (c.req.path === `${API}/session` && c.req.method !== 'GET') return next();
    const user = await authenticator.authenticate(c.req.raw.headers, remoteAddress(c));
    const viaCookie = !c.req.header('authorization') && user.via === 'token';
    if (viaCookie && !['GET', 'HEAD'].includes(c.req.method) && c.req.header('x-acog-console') !== '1') {
      throw new HttpError(403, 'Forbidden', 'a cookie-authenticated write must carry the header X-ACOG-Console: 1');
    }
    c.set('user', user);
    await next();
  });

  app.route('/', metaRoutes(deps));
  app.route('/', sessionRoutes(deps));
  app.route('/', episodeRoutes(deps));
  app.route('/', channelRoutes(deps));
  app.route('/', actionRoutes(deps));
  app.route('/', streamRoutes(deps));
  if (deps.artifacts) app.route('/', artifactRoutes(deps, deps.artifacts));
  if (deps.logs) app.route('/', logRoutes(deps, deps.logs));
  app.route('/', webhookRoutes(deps));

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'ACOG console gateway',
      version: '0.1.0',
      description: "The console's API over the cluster's Channels and Episodes, under the user's Kubernetes RBAC",
    },
  });

  return app;
}
