// Live updates: server-sent events of the informers' changes, filtered per namespace to what the
// user may list, resumable with Last-Event-ID; comment heartbeats keep proxies from closing it.
import { createRoute, z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { can } from '../../auth/authorizer.ts';
import type { Change } from '../../cluster/changes.ts';
import { API, routeGroup, visibleNamespaces, type GatewayDeps } from '../context.ts';
import { NameParam, NamespaceParam, errorResponses } from '../schemas.ts';

export function streamRoutes(deps: GatewayDeps) {
  const { cache, authorizer, metrics } = deps;
  const routes = routeGroup();

  routes.openapi(
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
      else await visibleNamespaces(deps, user, undefined, can.listEpisodes);
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

  return routes;
}
