// Logs: the pod of the stage's current attempt, through pods/log, after a review of get pods/log.
import { Readable } from 'node:stream';
import { createRoute, z } from '@hono/zod-openapi';
import { can } from '../../auth/authorizer.ts';
import type { LogStreamer } from '../../logs/logs.ts';
import { API, episodeOr404, routeGroup, type GatewayDeps } from '../context.ts';
import { notFound } from '../errors.ts';
import { ObjectParams, StageParam, errorResponses, jsonContent } from '../schemas.ts';

export function logRoutes({ cache, authorizer }: GatewayDeps, logs: LogStreamer) {
  const routes = routeGroup();

  routes.openapi(
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
      const episode = episodeOr404(cache, namespace, name);
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

  return routes;
}
