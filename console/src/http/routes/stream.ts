// Live updates: server-sent events of the informers' changes, filtered per namespace to what the
// user may list, resumable with Last-Event-ID; comment heartbeats keep proxies from closing it.
// Bounded (http/streams.ts): so many streams in all and per user (429 beyond), so many changes
// one client may fall behind (a client that stops reading is closed), and no longer than its token:
// a JWT's exp ends it, and the token is reviewed again periodically (a refusal ends it).
import { createRoute, z } from '@hono/zod-openapi';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import { tokenExpiry } from '../../auth/authenticator.ts';
import { can } from '../../auth/authorizer.ts';
import type { Change } from '../../cluster/changes.ts';
import { API, routeGroup, visibleNamespaces, type GatewayDeps } from '../context.ts';
import { tooMany } from '../errors.ts';
import { NameParam, NamespaceParam, errorResponses } from '../schemas.ts';
import { DEFAULT_STREAM_LIMITS, StreamSlots } from '../streams.ts';

type CloseReason = 'client' | 'slow' | 'expired' | 'unauthorized' | 'shutdown';
/** setTimeout's largest delay (about 24.8 days). */
const MAX_DELAY = 2 ** 31 - 1;
/** How long a stream that ends for its token waits for the client to take the last event. */
const GOODBYE_MS = 2_000;

interface Connection {
  destroy(): void;
  writableFinished?: boolean;
}

export function streamRoutes(deps: GatewayDeps) {
  const { cache, authorizer, authenticator, metrics } = deps;
  const limits = { ...DEFAULT_STREAM_LIMITS, ...deps.streams };
  const slots = new StreamSlots(limits);
  const routes = routeGroup();

  routes.openapi(
    createRoute({
      method: 'get',
      path: `${API}/stream`,
      summary: 'Server-sent events: episode, channel and event changes; resumable with Last-Event-ID',
      description:
        'Events "episode", "channel" and "event" carry {type, namespace, name, object}; "reset" means the history asked for is gone and the client must reload; "unauthorized" comes last when the token expired or was refused on review (sign in again); comments are heartbeats. A client that stops reading is closed (it reconnects with Last-Event-ID). Streams are limited in all and per user: 429 with Retry-After beyond.',
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
      responses: {
        200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: z.string() } } },
        ...errorResponses,
      },
    }),
    async (c) => {
      const user = c.get('user');
      const query = c.req.valid('query');
      const lastEventId = c.req.header('last-event-id') ?? query.lastEventId;
      if (query.namespace) await authorizer.require(user, can.listEpisodes(query.namespace));
      else await visibleNamespaces(deps, user, undefined, can.listEpisodes);
      const slot = slots.acquire(`${user.via}:${user.username}`);
      if ('refused' in slot) {
        metrics.streamsRefused.inc();
        throw tooMany(slot.refused, limits.retryAfterSeconds);
      }
      const heartbeatMs = deps.heartbeatMs ?? 15_000;
      const connection = (c.env as { outgoing?: Connection } | undefined)?.outgoing;
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

        // No queue of its own: the stream keeps its position in the change log (the ring every
        // stream shares) and writes what follows, each write waiting for the client
        // (backpressure). A client that falls more than maxLag changes behind is closed; it
        // reconnects with Last-Event-ID and is replayed the rest, or told to reload.
        const changes = cache.changes;
        const maxBehind = Math.min(limits.maxLag, changes.capacity);
        let cursor = changes.lastSeq;
        let heartbeatDue = false;
        let reason: CloseReason | undefined;
        let wake: (() => void) | undefined;
        const hangUp = () => (connection ? connection.destroy() : stream.abort());
        const end = (why: CloseReason) => {
          if (reason) return;
          reason = why;
          wake?.();
          // A slow client's pending write may never finish: cut it off now. One that ends for
          // its token gets a moment to take the last event.
          if (why === 'slow') hangUp();
          else if (why !== 'client')
            setTimeout(() => {
              if (!connection?.writableFinished) hangUp();
            }, GOODBYE_MS).unref();
        };
        const unsubscribe = changes.subscribe(() => {
          if (changes.lastSeq - cursor > maxBehind) end('slow');
          else wake?.();
        });
        stream.onAbort(() => end('client'));
        const timers: ReturnType<typeof setTimeout>[] = [
          setInterval(() => {
            heartbeatDue = true;
            wake?.();
          }, heartbeatMs),
        ];
        if (user.token) {
          const token = user.token;
          const expiry = tokenExpiry(token);
          if (expiry) timers.push(setTimeout(() => end('expired'), Math.min(MAX_DELAY, Math.max(0, expiry.getTime() - Date.now()))));
          timers.push(
            setInterval(() => {
              authenticator.forget(token);
              authenticator.review(token).catch(() => end('unauthorized'));
            }, limits.reviewMs),
          );
        }
        try {
          const position = lastEventId ? changes.position(lastEventId) : undefined;
          if (position === 'reset')
            await stream.writeSSE({
              id: changes.lastId,
              event: 'reset',
              data: JSON.stringify({ reason: 'the history after that id is gone; reload' }),
            });
          else if (position !== undefined) cursor = position;
          else await stream.writeSSE({ id: changes.idOf(cursor), event: 'ready', data: JSON.stringify({ user: user.username }) });
          while (!reason) {
            if (heartbeatDue) {
              heartbeatDue = false;
              await stream.write(`: heartbeat ${Date.now()}\n\n`);
              continue;
            }
            if (cursor >= changes.lastSeq) {
              await new Promise<void>((resolve) => (wake = resolve));
              wake = undefined;
              continue;
            }
            const next = changes.at(cursor + 1);
            if (!next) {
              end('slow'); // fell out of the log
              break;
            }
            cursor = next.seq;
            await send(next);
          }
          if (reason === 'expired' || reason === 'unauthorized') await goodbye(stream, reason);
        } finally {
          for (const timer of timers) clearTimeout(timer);
          unsubscribe();
          slot.release();
          metrics.streams.dec();
          metrics.streamsClosed.inc({ reason: reason ?? 'shutdown' });
        }
      });
    },
  );

  return routes;
}

/** The last event of a stream that ends for its token: the client signs in again rather than reconnecting. */
async function goodbye(stream: SSEStreamingApi, reason: 'expired' | 'unauthorized'): Promise<void> {
  await stream.writeSSE({
    event: 'unauthorized',
    data: JSON.stringify({
      reason,
      message:
        reason === 'expired' ? 'the token expired: sign in again' : 'the token is no longer accepted by the API server: sign in again',
    }),
  });
}
