// The Jobs view: every stage running, waiting (with why) or recently failed, across the namespaces
// the user may list Episodes in, from the cache (no request to the API server). Jobs themselves
// (running, failed) only where the user may also list Jobs, as on an Episode's page.
import { createRoute, z } from '@hono/zod-openapi';
import { can } from '../../auth/authorizer.ts';
import { episodeJobRows, sortJobRows } from '../../cluster/jobs-view.ts';
import { API, routeGroup, visibleNamespaces, type GatewayDeps } from '../context.ts';
import { JOB_ROW_STATES, JobListSchema, StageParam, errorResponses, jsonContent, type JobRow } from '../schemas.ts';

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const JobsQuerySchema = z.object({
  namespace: z
    .string()
    .max(63, 'namespace: at most 63 characters')
    .regex(dnsLabel, 'namespace: must be a DNS label (lower case letters, digits and -)')
    .optional()
    .openapi({ description: 'Only this namespace (default: every namespace the user may list Episodes in)' }),
  channel: z
    .string()
    .max(253, 'channel: at most 253 characters')
    .regex(dnsSubdomain, 'channel: must be a Channel name (lower case letters, digits, - and .)')
    .optional()
    .openapi({ description: 'Only stages of Episodes of this Channel' }),
  stage: StageParam.optional().openapi({ param: { name: 'stage', in: 'query' }, description: 'Only this stage' }),
  state: z.enum(JOB_ROW_STATES).optional().openapi({ description: 'Only Running, Waiting or Failed' }),
});

export function jobRoutes(deps: GatewayDeps) {
  const { cache, authorizer } = deps;
  const routes = routeGroup();

  routes.openapi(
    createRoute({
      method: 'get',
      path: `${API}/jobs`,
      summary:
        'Stage Jobs across namespaces: running, waiting (gate, budget, backoff, suspended) with why, recently failed with the message',
      security: [{ bearer: [] }],
      request: { query: JobsQuerySchema },
      responses: { 200: jsonContent(JobListSchema, 'The stages that run, wait or failed recently'), ...errorResponses },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const user = c.get('user');
      const keep = await visibleNamespaces(deps, user, query.namespace, can.listEpisodes);
      const namespaces = [...(query.namespace ? [query.namespace] : cache.namespaces())].filter(keep).sort();
      const jobsAllowed = new Map(
        await Promise.all(namespaces.map(async (ns) => [ns, (await authorizer.check(user, can.listJobs(ns))).allowed] as const)),
      );
      const now = new Date();
      const rows: JobRow[] = [];
      for (const episode of cache.episodes.list()) {
        const namespace = episode.metadata.namespace ?? '';
        if (!jobsAllowed.has(namespace)) continue;
        if (query.channel && episode.spec.channelRef.name !== query.channel) continue;
        for (const row of episodeJobRows(episode, cache.jobsOf(episode), now, jobsAllowed.get(namespace)!))
          if ((!query.stage || row.stage === query.stage) && (!query.state || row.state === query.state)) rows.push(row);
      }
      return c.json({ items: sortJobRows(rows), namespaces }, 200);
    },
  );

  return routes;
}
