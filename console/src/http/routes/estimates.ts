// The cost estimate of an Episode before it is created: per stage and in total, from its Channel
// (the gateway's cache) and the spec being written — the figures `kubectl acog create
// --dry-run=client` and `describe` print (estimateEpisode in @acog/api). Computed here so the
// browser does not load the API package and its validators.
import { createRoute, z } from '@hono/zod-openapi';
import { estimateEpisode, type EpisodeSpec } from '@acog/api';
import { can } from '../../auth/authorizer.ts';
import { API, routeGroup, type GatewayDeps } from '../context.ts';
import { HttpError, notFound } from '../errors.ts';
import { EstimateRequestSchema, EstimateSchema, NamespaceParam, errorResponses, jsonContent, type Estimate } from '../schemas.ts';

/** Providers that charge nothing (prices.ts): a stage of one of them at $0 is priced, not unknown. */
const FREE_PROVIDERS = new Set([
  'none',
  'offline',
  'espeak',
  'piper',
  'audiogram',
  'motion-graphics',
  'pexels',
  'folder',
  'youtube',
  'ffmpeg',
]);

export function estimateRoutes(deps: GatewayDeps) {
  const { cache, authorizer } = deps;
  const routes = routeGroup();

  routes.openapi(
    createRoute({
      method: 'post',
      path: `${API}/namespaces/{namespace}/estimates`,
      summary: "The cost estimate of an Episode being written, per stage and in total, from its Channel's providers",
      security: [{ bearer: [] }],
      request: {
        params: z.object({ namespace: NamespaceParam }),
        body: { content: { 'application/json': { schema: EstimateRequestSchema } }, required: true },
      },
      responses: {
        200: jsonContent(EstimateSchema, 'The estimate'),
        404: jsonContent(z.any(), 'No such Channel'),
        422: jsonContent(z.any(), 'The Channel cannot be priced; the message says why'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { namespace } = c.req.valid('param');
      const { spec } = c.req.valid('json');
      const channelName = spec.channelRef.name;
      // The estimate reads the Channel's spec (its providers, format, persona): the right to get it.
      await authorizer.require(c.get('user'), can.getChannel(namespace, channelName));
      const channel = cache.channel(namespace, channelName);
      if (!channel) throw notFound(`channel "${channelName}" not found in namespace "${namespace}": no estimate without its providers`);
      let estimate;
      try {
        estimate = estimateEpisode(channel.spec, spec as unknown as EpisodeSpec);
      } catch (error) {
        throw new HttpError(
          422,
          'Unpriceable',
          `channel "${channelName}" cannot be priced: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      const stages = estimate.stages.map((entry) =>
        entry.costUSD === 0 && !FREE_PROVIDERS.has(entry.provider)
          ? { ...entry, unpriced: `no list price is known for ${entry.provider}${entry.model ? ` ${entry.model}` : ''}` }
          : entry,
      );
      const answer: Estimate = {
        channel: channelName,
        stages,
        totalUSD: estimate.totalUSD,
        free: stages.every((entry) => FREE_PROVIDERS.has(entry.provider)),
      };
      return c.json(answer, 200);
    },
  );

  return routes;
}
