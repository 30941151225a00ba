// The Pulse inbox: what the operator decided for each pulse event and each Channel of a namespace
// (PostgreSQL), with the state of the Episode it created (the cluster cache), so the console can
// offer Accept (approve the plan gate) and Dismiss (cancel) through the Episode action routes.
// Authorized per namespace like the history: a user who may list Episodes there.
import { createRoute, z } from '@hono/zod-openapi';
import { waitingGates } from '@acog/api';
import { pulseInboxPage, type PulseInboxItem as InboxRow } from '@acog/db/pulse/inbox';
import { can } from '../../auth/authorizer.ts';
import type { ClusterCache } from '../../cluster/cache.ts';
import { ParameterError } from '../../history/query.ts';
import { decodePulseContinue, encodePulseContinue } from '../../pulse/inbox-query.ts';
import { API, routeGroup, type GatewayDeps } from '../context.ts';
import { badRequest } from '../errors.ts';
import { NamespaceParam, PulseInboxPageSchema, errorResponses, jsonContent, type PulseInboxItem } from '../schemas.ts';
import { databaseErrors, databaseOr503, unavailableResponses } from './database.ts';

const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const PulseQuerySchema = z.object({
  channel: z
    .string()
    .max(253, 'channel: at most 253 characters')
    .regex(dnsSubdomain, 'channel: must be a Channel name (lower case letters, digits, - and .)')
    .optional()
    .openapi({ description: 'Only the decisions for this Channel' }),
  limit: z.coerce.number().int('limit: a whole number').min(1, 'limit: at least 1').max(500, 'limit: at most 500').default(50),
  continue: z
    .string()
    .max(1024, 'continue: at most 1024 characters')
    .optional()
    .openapi({ description: 'The continue of the previous page' }),
});

/** An inbox row with the state of its Episode, when it created one. */
export function inboxItem(row: InboxRow, cache: ClusterCache): PulseInboxItem {
  if (!row.episode) return row;
  const episode = cache.episode(row.namespace, row.episode);
  return {
    ...row,
    episodeState: episode
      ? {
          exists: true,
          phase: episode.status?.phase ?? 'Pending',
          waitingGates: waitingGates(episode),
          cancelled: Boolean(episode.spec.cancel),
        }
      : { exists: false, waitingGates: [], cancelled: false },
  };
}

export function pulseRoutes(deps: GatewayDeps) {
  const { cache, authorizer } = deps;
  const routes = routeGroup();

  routes.openapi(
    createRoute({
      method: 'get',
      path: `${API}/namespaces/{namespace}/pulse`,
      summary: 'The Pulse inbox: pulse events with the decision for each Channel of the namespace and the Episode made, newest first',
      security: [{ bearer: [] }],
      request: { params: z.object({ namespace: NamespaceParam }), query: PulseQuerySchema },
      responses: { 200: jsonContent(PulseInboxPageSchema, 'A page of the inbox'), ...errorResponses, ...unavailableResponses },
    }),
    async (c) => {
      const { namespace } = c.req.valid('param');
      const query = c.req.valid('query');
      let after;
      try {
        after = query.continue === undefined ? undefined : decodePulseContinue(query.continue);
      } catch (error) {
        if (error instanceof ParameterError) throw badRequest(error.message, [{ field: error.field, message: error.message }]);
        throw error;
      }
      await authorizer.require(c.get('user'), can.listEpisodes(namespace));
      const db = databaseOr503(deps);
      const page = await databaseErrors(() => pulseInboxPage(db.pool, { namespace, channel: query.channel, limit: query.limit, after }));
      return c.json(
        {
          items: page.items.map((row) => inboxItem(row, cache)),
          continue: page.next ? encodePulseContinue(page.next) : undefined,
        },
        200,
      );
    },
  );

  return routes;
}
