// The gateway's HTTP API (Hono + zod-openapi): every /api route authenticates the user
// (TokenReview, or the authenticating proxy) and checks each action with a SubjectAccessReview
// for that user; lists are filtered to what the user may list. Reads come from the informers'
// cache, writes go to the API server with the user's token.
import { Readable } from 'node:stream';
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import {
  API_VERSION,
  APPROVAL_ANNOTATION_PREFIX,
  EPISODES,
  FINISHED_PHASES,
  RETRY_REQUESTED_ANNOTATION,
  RETRY_STAGE_ANNOTATION,
  isStageName,
  validateEpisode,
  type Episode,
  type StageName,
} from '@acog/api';
import { gatesOf, waitingGates } from '@acog/kubectl-plugin/src/commands/write/approve.ts';
import { list as sentence, stagesRun, withDownstream } from '@acog/kubectl-plugin/src/commands/write/common.ts';
import { Authenticator, SESSION_COOKIE, type User } from '../auth/authenticator.ts';
import { Authorizer, can } from '../auth/authorizer.ts';
import type { ClusterCache } from '../cluster/cache.ts';
import type { Change } from '../cluster/changes.ts';
import { BadContinueToken, listQuerySchema, queryPage } from '../cluster/query.ts';
import { artifactFile, channelSummary, episodeSummary, eventView, finalArtifacts, jobView, stageViews } from '../cluster/views.ts';
import type { EpisodeWriter } from '../cluster/writer.ts';
import type { Logger } from '../observability/logger.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import type { ArtifactServer } from '../artifacts/server.ts';
import type { LogStreamer } from '../logs/logs.ts';
import type { HeyGenWebhookHandler } from '../webhooks/handler.ts';
import { HttpError, badRequest, conflict, invalid, notFound } from './errors.ts';
import {
  ActionResultSchema,
  ChannelDetailSchema,
  ChannelPageSchema,
  EpisodeCreateSchema,
  EpisodeDetailSchema,
  EpisodePageSchema,
  NameParam,
  NamespaceParam,
  ObjectParams,
  PermissionsSchema,
  StageBodySchema,
  StageParam,
  UserSchema,
  ValidationResultSchema,
  errorResponses,
  jsonContent,
} from './schemas.ts';

export interface GatewayDeps {
  cache: ClusterCache;
  authenticator: Authenticator;
  authorizer: Authorizer;
  writer: EpisodeWriter;
  metrics: GatewayMetrics;
  log: Logger;
  artifacts?: ArtifactServer;
  logs?: LogStreamer;
  heygen?: HeyGenWebhookHandler;
  /** Milliseconds between SSE heartbeats. */
  heartbeatMs?: number;
  /** Secure cookies (the console is served over HTTPS). */
  secureCookies?: boolean;
  /** Extra readiness checks (NATS, ...). */
  ready?: () => boolean;
}

type Env = { Variables: { user: User; route: string } };

const API = '/api/v1';

function remoteAddress(c: Context): string | undefined {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress;
}

export function createApp(deps: GatewayDeps): OpenAPIHono<Env> {
  const { cache, authenticator, authorizer, writer, metrics, log } = deps;
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

  app.get('/healthz', (c) => c.text('ok'));
  app.get('/readyz', (c) => {
    const synced = cache.hasSynced();
    const extra = deps.ready ? deps.ready() : true;
    return synced && extra ? c.text('ok') : c.text(synced ? 'not ready: NATS is not connected' : 'not ready: caches are syncing', 503);
  });
  app.get('/metrics', async (c) => c.text(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }));

  // Sign-in with a pasted token: checked with a TokenReview, then kept in an HttpOnly cookie.
  app.openapi(
    createRoute({
      method: 'post',
      path: `${API}/session`,
      summary: 'Sign in with a Kubernetes token; sets the session cookie',
      request: {
        body: {
          content: { 'application/json': { schema: z.object({ token: z.string().min(1, 'token: required').max(16_384) }) } },
          required: true,
        },
      },
      responses: { 200: jsonContent(UserSchema, 'The signed-in user'), ...errorResponses },
    }),
    async (c) => {
      const { token } = c.req.valid('json');
      const user = await authenticator.review(token.trim());
      const secure = deps.secureCookies ? '; Secure' : '';
      c.header(
        'set-cookie',
        `${SESSION_COOKIE}=${encodeURIComponent(token.trim())}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200${secure}`,
      );
      return c.json({ username: user.username, groups: user.groups, via: user.via }, 200);
    },
  );
  app.delete(`${API}/session`, (c) => {
    c.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
    return c.body(null, 204);
  });

  // Everything else under /api needs a user. A cookie-authenticated write must also carry the
  // console's header, which a cross-site form cannot send (CSRF).
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

  app.openapi(
    createRoute({
      method: 'get',
      path: `${API}/session`,
      summary: 'The signed-in user',
      security: [{ bearer: [] }],
      responses: { 200: jsonContent(UserSchema, 'The user'), 401: errorResponses[401] },
    }),
    (c) => {
      const user = c.get('user');
      return c.json({ username: user.username, groups: user.groups, via: user.via }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: `${API}/permissions`,
      summary: 'What the user may do in a namespace (for disabling what they may not)',
      security: [{ bearer: [] }],
      request: {
        query: z.object({
          namespace: NamespaceParam.openapi({ param: { name: 'namespace', in: 'query' } }),
          episode: NameParam.optional().openapi({ param: { name: 'episode', in: 'query' } }),
        }),
      },
      responses: { 200: jsonContent(PermissionsSchema, 'Action → decision'), ...errorResponses },
    }),
    async (c) => {
      const user = c.get('user');
      const { namespace, episode } = c.req.valid('query');
      const checks = {
        createEpisode: can.createEpisode(namespace),
        patchEpisode: { ...can.patchEpisode(namespace, episode ?? ''), name: episode },
        readLogs: can.podLogs(namespace),
        listEpisodes: can.listEpisodes(namespace),
      };
      const out: Record<string, { allowed: boolean; reason?: string }> = {};
      await Promise.all(
        Object.entries(checks).map(async ([action, permission]) => {
          const decision = await authorizer.check(user, permission);
          out[action] = decision.allowed
            ? { allowed: true }
            : {
                allowed: false,
                reason: `you may not ${permission.verb} ${permission.resource}${permission.subresource ? `/${permission.subresource}` : ''} in namespace ${namespace}`,
              };
        }),
      );
      return c.json(out, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: `${API}/namespaces`,
      summary: 'The namespaces with ACOG objects the user may list episodes in',
      security: [{ bearer: [] }],
      responses: { 200: jsonContent(z.object({ items: z.array(z.string()) }), 'Namespaces'), ...errorResponses },
    }),
    async (c) => {
      const all = cache.namespaces();
      const allowed = await authorizer.namespacesAllowed(c.get('user'), can.listEpisodes(), all);
      const items = [...all].filter((namespace) => allowed === 'all' || allowed.has(namespace)).sort();
      return c.json({ items }, 200);
    },
  );

  /** The namespaces of a list the user may see: one namespace (checked), or all they may list in. */
  async function visible(
    user: User,
    namespace: string | undefined,
    permission: (namespace?: string) => ReturnType<typeof can.listEpisodes>,
  ) {
    if (namespace) {
      await authorizer.require(user, permission(namespace));
      return (ns: string) => ns === namespace;
    }
    const allowed = await authorizer.namespacesAllowed(user, permission(), cache.namespaces());
    if (allowed !== 'all' && allowed.size === 0) await authorizer.require(user, permission());
    return allowed === 'all' ? () => true : (ns: string) => allowed.has(ns);
  }

  function page<T extends { namespace: string }>(
    items: Iterable<T>,
    keep: (ns: string) => boolean,
    query: z.infer<typeof listQuerySchema>,
  ) {
    const filtered: T[] = [];
    for (const item of items) if (keep(item.namespace)) filtered.push(item);
    try {
      return queryPage(filtered as (T & { name: string })[], query);
    } catch (error) {
      if (error instanceof BadContinueToken) throw badRequest(error.message, [{ field: 'continue', message: error.message }]);
      throw error;
    }
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: `${API}/episodes`,
      summary: 'List Episodes: filters, sorting, pagination',
      security: [{ bearer: [] }],
      request: { query: listQuerySchema },
      responses: { 200: jsonContent(EpisodePageSchema, 'A page of episodes'), ...errorResponses },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const keep = await visible(c.get('user'), query.namespace, can.listEpisodes);
      const result = page(cache.episodeSummaries(), keep, query);
      return c.json({ items: result.items.map((item) => ({ ...item })), total: result.total, continue: result.continue }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: `${API}/channels`,
      summary: 'List Channels',
      security: [{ bearer: [] }],
      request: {
        query: listQuerySchema.omit({ channel: true, phase: true }).extend({
          sort: z
            .string()
            .regex(/^-?(name|created)$/, 'sort: name or created, with - for descending')
            .default('name'),
        }),
      },
      responses: { 200: jsonContent(ChannelPageSchema, 'A page of channels'), ...errorResponses },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const keep = await visible(c.get('user'), query.namespace, can.listChannels);
      const result = page(cache.channelSummaries(), keep, query);
      return c.json({ items: result.items.map((item) => ({ ...item })), total: result.total, continue: result.continue }, 200);
    },
  );

  function episodeOr404(namespace: string, name: string): Episode {
    const episode = cache.episode(namespace, name);
    if (!episode) throw notFound(`episode "${name}" not found in namespace "${namespace}"`);
    return episode;
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: `${API}/namespaces/{namespace}/episodes/{name}`,
      summary: 'One Episode: stages, artifacts, cost, Jobs and Events',
      security: [{ bearer: [] }],
      request: { params: ObjectParams },
      responses: { 200: jsonContent(EpisodeDetailSchema, 'The episode'), 404: jsonContent(z.any(), 'No such episode'), ...errorResponses },
    }),
    async (c) => {
      const { namespace, name } = c.req.valid('param');
      const user = c.get('user');
      await authorizer.require(user, can.getEpisode(namespace, name));
      const episode = episodeOr404(namespace, name);
      const channel = cache.channel(namespace, episode.spec.channelRef.name);
      const [jobsAllowed, eventsAllowed] = await Promise.all([
        authorizer.check(user, can.listJobs(namespace)),
        authorizer.check(user, can.listEvents(namespace)),
      ]);
      const base = `${API}/namespaces/${namespace}/episodes/${name}/artifacts`;
      const artifacts = Object.fromEntries(Object.keys(finalArtifacts(episode)).map((key) => [key, `${base}/${key}`]));
      return c.json(
        {
          summary: { ...episodeSummary(episode) },
          spec: episode.spec as unknown as Record<string, unknown>,
          annotations: episode.metadata.annotations ?? {},
          stages: stageViews(episode, channel).map((stage) => ({ ...stage })),
          waitingGates: waitingGates(episode),
          gates: gatesOf(episode, channel),
          artifacts,
          conditions: episode.status?.conditions ?? [],
          youtube: episode.status?.youtube ?? null,
          channel: channel ? { ...channelSummary(channel) } : null,
          jobs: jobsAllowed.allowed ? cache.jobsOf(episode).map((job) => ({ ...jobView(job) })) : [],
          events: eventsAllowed.allowed ? cache.eventsOf('Episode', namespace, name).map((event) => ({ ...eventView(event) })) : [],
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: `${API}/namespaces/{namespace}/channels/{name}`,
      summary: 'One Channel: persona, format, providers, readiness, spend, recent episodes',
      security: [{ bearer: [] }],
      request: { params: ObjectParams },
      responses: { 200: jsonContent(ChannelDetailSchema, 'The channel'), 404: jsonContent(z.any(), 'No such channel'), ...errorResponses },
    }),
    async (c) => {
      const { namespace, name } = c.req.valid('param');
      const user = c.get('user');
      await authorizer.require(user, can.getChannel(namespace, name));
      const channel = cache.channel(namespace, name);
      if (!channel) throw notFound(`channel "${name}" not found in namespace "${namespace}"`);
      const episodesAllowed = await authorizer.check(user, can.listEpisodes(namespace));
      const eventsAllowed = await authorizer.check(user, can.listEvents(namespace));
      const recent = episodesAllowed.allowed
        ? cache
            .episodesOfChannel(namespace, name)
            .map(episodeSummary)
            .sort((a, b) => ((a.createdAt ?? '') < (b.createdAt ?? '') ? 1 : -1))
            .slice(0, 20)
        : [];
      return c.json(
        {
          summary: { ...channelSummary(channel) },
          spec: channel.spec as unknown as Record<string, unknown>,
          conditions: (channel.status?.conditions ?? []).map((condition) => ({ ...condition })),
          recentEpisodes: recent.map((episode) => ({ ...episode })),
          events: eventsAllowed.allowed ? cache.eventsOf('Channel', namespace, name).map((event) => ({ ...eventView(event) })) : [],
        },
        200,
      );
    },
  );

  // Writes.
  app.openapi(
    createRoute({
      method: 'post',
      path: `${API}/namespaces/{namespace}/episodes`,
      summary: 'Create an Episode, validated with the generated validators; dryRun=client only validates',
      security: [{ bearer: [] }],
      request: {
        params: z.object({ namespace: NamespaceParam }),
        query: z.object({
          dryRun: z
            .enum(['client', 'server'])
            .optional()
            .openapi({ description: 'client: validate only; server: the API server checks it without storing' }),
        }),
        body: { content: { 'application/json': { schema: EpisodeCreateSchema } }, required: true },
      },
      responses: {
        200: jsonContent(ValidationResultSchema, 'dryRun=client: the validation result'),
        201: jsonContent(z.object({ episode: z.looseObject({ name: z.string() }) }), 'Created'),
        409: jsonContent(z.any(), 'An Episode of that name exists'),
        422: jsonContent(z.any(), 'Invalid; fields names every bad field'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { namespace } = c.req.valid('param');
      const { dryRun } = c.req.valid('query');
      const user = c.get('user');
      const body = c.req.valid('json') as Record<string, unknown>;
      const metadata = { ...((body.metadata as Record<string, unknown> | undefined) ?? {}) };
      if (metadata.namespace !== undefined && metadata.namespace !== namespace) {
        throw invalid('metadata.namespace: does not match the namespace of the request', [
          { field: 'metadata.namespace', message: `must be "${namespace}" (the namespace of the request) or left out` },
        ]);
      }
      const manifest = { apiVersion: API_VERSION, kind: EPISODES.kind, ...body, metadata: { ...metadata, namespace } };
      const result = validateEpisode(manifest);
      const fields = [...result.errors];
      const name = metadata.name;
      if (typeof name !== 'string' || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63) {
        fields.unshift({
          field: 'metadata.name',
          message: 'Required: lower case letters, digits and -, starting and ending with a letter or digit, at most 63',
        });
      }
      if (dryRun === 'client') return c.json({ valid: fields.length === 0, fields }, 200);
      await authorizer.require(user, can.createEpisode(namespace));
      if (fields.length) throw invalid(`Episode is invalid: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`, fields);
      const created = await writer.create(user, namespace, manifest as Episode, dryRun === 'server');
      if (!dryRun) cache.upsertEpisode(created);
      return c.json({ episode: { ...episodeSummary(created) } }, 201);
    },
  );

  const actionRoute = (action: string, summary: string, body = false) =>
    createRoute({
      method: 'post',
      path: `${API}/namespaces/{namespace}/episodes/{name}/${action}`,
      summary,
      security: [{ bearer: [] }],
      request: {
        params: ObjectParams,
        ...(body ? { body: { content: { 'application/json': { schema: StageBodySchema } }, required: false } } : {}),
      },
      responses: {
        200: jsonContent(ActionResultSchema, 'Done'),
        404: jsonContent(z.any(), 'No such episode'),
        409: jsonContent(z.any(), 'The episode is not in a state for this'),
        ...errorResponses,
      },
    });

  async function act(c: Context<Env>, namespace: string, name: string, decide: (episode: Episode) => { patch?: object; message: string }) {
    const user = c.get('user');
    await authorizer.require(user, can.patchEpisode(namespace, name));
    const episode = episodeOr404(namespace, name);
    const { patch, message } = decide(episode);
    const updated = patch ? await writer.mergePatch(user, namespace, name, patch) : episode;
    if (patch) cache.upsertEpisode(updated);
    return c.json({ message, episode: { ...episodeSummary(updated) } }, 200);
  }

  async function stageOf(c: Context<Env>): Promise<string | undefined> {
    const text = await c.req.text();
    if (!text.trim()) return undefined;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw badRequest('body: not JSON', [{ field: '(body)', message: 'not JSON' }]);
    }
    const parsed = StageBodySchema.safeParse(body);
    if (!parsed.success)
      throw badRequest(`stage: must be one of the stages`, [{ field: 'stage', message: parsed.error.issues[0]?.message ?? 'invalid' }]);
    return parsed.data.stage;
  }

  app.openapi(actionRoute('approve', 'Pass an approval gate (annotation approve.acog.dev/<stage>)', true), async (c) => {
    const { namespace, name } = c.req.valid('param');
    const requested = await stageOf(c);
    return act(c, namespace, name, (episode) => {
      const phase = episode.status?.phase ?? 'Pending';
      if (phase === 'Succeeded' || phase === 'Cancelled') throw conflict(`episode ${name} is ${phase}; there is nothing to approve`);
      const gates = gatesOf(episode, cache.channel(namespace, episode.spec.channelRef.name));
      let stage: StageName;
      if (requested) {
        if (!isStageName(requested) || !gates.includes(requested))
          throw conflict(`episode ${name} has no approval gate before ${requested} (gates: ${sentence(gates) || 'none'})`);
        stage = requested;
      } else {
        const waiting = waitingGates(episode);
        if (waiting.length !== 1)
          throw conflict(
            waiting.length
              ? `episode ${name} waits at ${sentence(waiting)}: say which stage to approve`
              : `episode ${name} is not waiting for an approval (phase ${phase})`,
          );
        stage = waiting[0];
      }
      const key = APPROVAL_ANNOTATION_PREFIX + stage;
      if (episode.metadata.annotations?.[key]) return { message: `already approved (${stage}) at ${episode.metadata.annotations[key]}` };
      return { patch: { metadata: { annotations: { [key]: new Date().toISOString() } } }, message: `approved (${stage})` };
    });
  });

  app.openapi(actionRoute('retry', 'Retry the failed stages, or a stage and everything downstream', true), async (c) => {
    const { namespace, name } = c.req.valid('param');
    const requested = await stageOf(c);
    return act(c, namespace, name, (episode) => {
      const phase = episode.status?.phase ?? 'Pending';
      if (phase === 'Cancelled' || episode.spec.cancel)
        throw conflict(`episode ${name} is cancelled; a cancelled episode cannot run again`);
      let message: string;
      if (requested) {
        const runs = stagesRun(episode, cache.channel(namespace, episode.spec.channelRef.name));
        if (!isStageName(requested) || !runs.includes(requested))
          throw conflict(`episode ${name} does not run the ${requested} stage (it runs ${sentence(runs)})`);
        const downstream = withDownstream(requested).filter((stage) => stage !== requested && runs.includes(stage));
        message = `retry requested from ${requested}${downstream.length ? `, then ${sentence(downstream)}` : ''}`;
      } else {
        if (phase !== 'Failed') throw conflict(`episode ${name} is ${phase}; nothing to retry (name a stage to run it again anyway)`);
        message = 'retry requested for the failed stages';
      }
      return {
        patch: {
          metadata: {
            annotations: { [RETRY_REQUESTED_ANNOTATION]: new Date().toISOString(), [RETRY_STAGE_ANNOTATION]: requested ?? null },
          },
        },
        message,
      };
    });
  });

  for (const [action, suspend] of [
    ['suspend', true],
    ['resume', false],
  ] as const) {
    app.openapi(actionRoute(action, suspend ? 'Pause (spec.suspend: true)' : 'Continue (spec.suspend: false)'), async (c) => {
      const { namespace, name } = c.req.valid('param');
      return act(c, namespace, name, (episode) => {
        const phase = episode.status?.phase ?? 'Pending';
        if (suspend && (phase === 'Succeeded' || phase === 'Cancelled'))
          throw conflict(`episode ${name} is ${phase}; there is nothing to suspend`);
        if (Boolean(episode.spec.suspend) === suspend)
          return { message: suspend ? 'already suspended' : 'already running (not suspended)' };
        return { patch: { spec: { suspend } }, message: suspend ? 'suspended' : 'resumed' };
      });
    });
  }

  app.openapi(actionRoute('cancel', 'Stop for good (spec.cancel: true)'), async (c) => {
    const { namespace, name } = c.req.valid('param');
    return act(c, namespace, name, (episode) => {
      const phase = episode.status?.phase ?? 'Pending';
      if (FINISHED_PHASES.includes(phase)) throw conflict(`episode ${name} already finished (${phase}); there is nothing to cancel`);
      if (episode.spec.cancel) throw conflict(`episode ${name} is already being cancelled`);
      return { patch: { spec: { cancel: true } }, message: 'cancelled' };
    });
  });

  // Live updates.
  app.openapi(
    createRoute({
      method: 'get',
      path: `${API}/stream`,
      summary: 'Server-sent events: episode, channel and event changes; resumable with Last-Event-ID',
      description:
        'Events "episode", "channel" and "event" carry {type, namespace, name, object}; "reset" means the history asked for is gone and the client must reload; comments are heartbeats.',
      security: [{ bearer: [] }],
      request: {
        query: z.object({
          namespace: NamespaceParam.optional().openapi({ param: { name: 'namespace', in: 'query' } }),
          episode: NameParam.optional().openapi({
            param: { name: 'episode', in: 'query' },
            description: 'Only this episode (with namespace)',
          }),
          lastEventId: z
            .string()
            .max(64)
            .optional()
            .openapi({ description: 'As the Last-Event-ID header, for clients that cannot set it' }),
        }),
      },
      responses: { 200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: z.string() } } }, ...errorResponses },
    }),
    async (c) => {
      const user = c.get('user');
      const query = c.req.valid('query');
      const lastEventId = c.req.header('last-event-id') ?? query.lastEventId;
      if (query.namespace) await authorizer.require(user, can.listEpisodes(query.namespace));
      else await visible(user, undefined, can.listEpisodes);
      const heartbeatMs = deps.heartbeatMs ?? 15_000;
      return streamSSE(c, async (stream) => {
        metrics.streams.inc();
        const visibleCache = new Map<string, { allowed: boolean; at: number }>();
        const mayRead = async (change: Change): Promise<boolean> => {
          if (query.namespace && change.namespace !== query.namespace) return false;
          if (
            query.episode &&
            !(
              change.kind !== 'Channel' &&
              (change.name === query.episode || (change.data as { involved?: { name?: string } }).involved?.name === query.episode)
            )
          )
            return false;
          const key = `${change.kind === 'Event' ? 'events' : change.kind}/${change.namespace}`;
          const known = visibleCache.get(key);
          if (known && Date.now() - known.at < 10_000) return known.allowed;
          const permission =
            change.kind === 'Event'
              ? can.listEvents(change.namespace)
              : change.kind === 'Channel'
                ? can.listChannels(change.namespace)
                : can.listEpisodes(change.namespace);
          const { allowed } = await authorizer.check(user, permission);
          visibleCache.set(key, { allowed, at: Date.now() });
          return allowed;
        };
        const send = async (change: Change) => {
          if (!(await mayRead(change))) return;
          await stream.writeSSE({
            id: change.id,
            event: change.kind.toLowerCase(),
            data: JSON.stringify({ type: change.type, namespace: change.namespace, name: change.name, object: change.data }),
          });
        };
        // Changes arriving while we replay wait in order behind the replay.
        let chain: Promise<void> = Promise.resolve();
        const enqueue = (change: Change) => {
          chain = chain.then(() => send(change)).catch(() => undefined);
        };
        const buffered: Change[] = [];
        let live = false;
        const unsubscribe = cache.changes.subscribe((change) => (live ? enqueue(change) : buffered.push(change)));
        if (lastEventId) {
          const missed = cache.changes.since(lastEventId);
          if (missed === 'reset')
            await stream.writeSSE({
              id: cache.changes.lastId,
              event: 'reset',
              data: JSON.stringify({ reason: 'the history after that id is gone; reload' }),
            });
          else for (const change of missed) await send(change);
        } else {
          await stream.writeSSE({ id: cache.changes.lastId, event: 'ready', data: JSON.stringify({ user: user.username }) });
        }
        for (const change of buffered.splice(0)) enqueue(change);
        live = true;
        const heartbeat = setInterval(() => {
          chain = chain.then(() => stream.write(`: heartbeat ${Date.now()}\n\n`).then(() => undefined)).catch(() => undefined);
        }, heartbeatMs);
        await new Promise<void>((resolve) => stream.onAbort(resolve));
        clearInterval(heartbeat);
        unsubscribe();
        metrics.streams.dec();
      });
    },
  );

  // Artifacts, logs, webhooks.
  if (deps.artifacts) {
    const artifacts = deps.artifacts;
    const serve = async (c: Context<Env>, namespace: string, name: string, uri: string | undefined, what: string) => {
      if (!uri) throw notFound(`episode ${name} has no ${what}`);
      return artifacts.serve(c.req.raw, uri, { download: c.req.query('download') === '1', redirect: c.req.query('redirect') === '1' });
    };
    app.openapi(
      createRoute({
        method: 'get',
        path: `${API}/namespaces/{namespace}/episodes/{name}/artifacts/{artifact}`,
        summary:
          'A final artifact (video, thumbnail, captionsVtt, captionsSrt, metadata, script), with HTTP Range; redirect=1 for a presigned URL',
        security: [{ bearer: [] }],
        request: {
          params: ObjectParams.extend({
            artifact: z
              .string()
              .max(64)
              .openapi({ param: { name: 'artifact', in: 'path' }, example: 'video' }),
          }),
        },
        responses: {
          200: { description: 'The bytes' },
          206: { description: 'The range asked for' },
          302: { description: 'To a presigned URL' },
          404: jsonContent(z.any(), 'No such artifact'),
          416: { description: 'Range not satisfiable' },
          ...errorResponses,
        },
      }),
      async (c) => {
        const { namespace, name, artifact } = c.req.valid('param');
        await authorizer.require(c.get('user'), can.getEpisode(namespace, name));
        const episode = episodeOr404(namespace, name);
        return serve(c, namespace, name, finalArtifacts(episode)[artifact], `artifact "${artifact}"`) as never;
      },
    );
    app.openapi(
      createRoute({
        method: 'get',
        path: `${API}/namespaces/{namespace}/episodes/{name}/artifacts/{stage}/{file}`,
        summary: "A stage's artifact by file name, with HTTP Range",
        security: [{ bearer: [] }],
        request: {
          params: ObjectParams.extend({
            stage: StageParam,
            file: z
              .string()
              .max(255)
              .openapi({ param: { name: 'file', in: 'path' } }),
          }),
        },
        responses: {
          200: { description: 'The bytes' },
          206: { description: 'The range asked for' },
          404: jsonContent(z.any(), 'No such artifact'),
          ...errorResponses,
        },
      }),
      async (c) => {
        const { namespace, name, stage, file } = c.req.valid('param');
        await authorizer.require(c.get('user'), can.getEpisode(namespace, name));
        const episode = episodeOr404(namespace, name);
        const uri = episode.status?.stages
          ?.find((entry) => entry.name === stage)
          ?.artifacts?.find((candidate) => artifactFile(candidate) === file);
        return serve(c, namespace, name, uri, `artifact "${file}" of stage ${stage}`) as never;
      },
    );
  }

  if (deps.logs) {
    const logs = deps.logs;
    app.openapi(
      createRoute({
        method: 'get',
        path: `${API}/namespaces/{namespace}/episodes/{name}/stages/{stage}/logs`,
        summary: "The stage Job's pod log (follow=true streams it)",
        security: [{ bearer: [] }],
        request: {
          params: ObjectParams.extend({ stage: StageParam }),
          query: z.object({
            follow: z.enum(['true', 'false']).optional(),
            tailLines: z.coerce.number().int().min(1, 'tailLines: at least 1').max(100_000, 'tailLines: at most 100000').optional(),
          }),
        },
        responses: {
          200: { description: 'text/plain', content: { 'text/plain': { schema: z.string() } } },
          404: jsonContent(z.any(), 'No pod'),
          ...errorResponses,
        },
      }),
      async (c) => {
        const { namespace, name, stage } = c.req.valid('param');
        const { follow, tailLines } = c.req.valid('query');
        await authorizer.require(c.get('user'), can.podLogs(namespace));
        const episode = episodeOr404(namespace, name);
        const entry = episode.status?.stages?.find((candidate) => candidate.name === stage);
        if (!entry?.attempt) throw notFound(`stage ${stage} of episode ${name} has not run`);
        const body = await logs.stream({
          namespace,
          episode: name,
          stage,
          attempt: entry.attempt,
          follow: follow === 'true',
          tailLines,
          signal: c.req.raw.signal,
        });
        return new Response(Readable.toWeb(body) as ReadableStream, {
          headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
        }) as never;
      },
    );
  }

  {
    const heygen = deps.heygen;
    app.openapi(
      createRoute({
        method: 'post',
        path: '/webhooks/heygen',
        summary: 'HeyGen completion webhook: signature over the raw body (header "signature"), replays refused, published on NATS',
        responses: {
          202: jsonContent(z.object({ subject: z.string() }), 'Accepted and published on acog.webhooks.heygen.<video_id>'),
          400: jsonContent(z.any(), 'Malformed body or stale timestamp'),
          401: jsonContent(z.any(), 'Missing or bad signature'),
          409: jsonContent(z.any(), 'A replay of a delivery already accepted'),
          404: jsonContent(z.any(), 'Not configured'),
          413: jsonContent(z.any(), 'Too large'),
          422: jsonContent(z.any(), 'No event type or video id'),
        },
      }),
      async (c) => {
        if (!heygen) throw notFound('the HeyGen webhook is not configured (no webhook secret)');
        const raw = Buffer.from(await c.req.arrayBuffer());
        const subject = await heygen.handle(raw, c.req.header('signature'));
        return c.json({ subject }, 202);
      },
    );
  }

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
