// Channels: the list, and one Channel with its readiness, spend, recent Episodes and Events.
import { createRoute, z } from '@hono/zod-openapi';
import { can } from '../../auth/authorizer.ts';
import { listQuerySchema } from '../../cluster/query.ts';
import { channelDetail } from '../../cluster/views.ts';
import { API, pageOf, routeGroup, visibleNamespaces, type GatewayDeps } from '../context.ts';
import { notFound } from '../errors.ts';
import { ChannelDetailSchema, ChannelPageSchema, ObjectParams, errorResponses, jsonContent } from '../schemas.ts';

export function channelRoutes(deps: GatewayDeps) {
  const { cache, authorizer } = deps;
  const routes = routeGroup();

  routes.openapi(
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
      const keep = await visibleNamespaces(deps, c.get('user'), query.namespace, can.listChannels);
      return c.json(pageOf(cache.channelSummaries(), keep, query), 200);
    },
  );

  routes.openapi(
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
      const detail = channelDetail(channel, {
        episodes: episodesAllowed.allowed ? cache.episodesOfChannel(namespace, name) : [],
        events: eventsAllowed.allowed ? cache.eventsOf('Channel', namespace, name) : [],
      });
      return c.json(detail, 200);
    },
  );

  return routes;
}
