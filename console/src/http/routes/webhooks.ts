// Webhooks: HeyGen's completion callback, its signature checked over the raw body, published on
// NATS for the avatar runner; replays are refused. Outside /api: HeyGen has no user.
import { createRoute, z } from '@hono/zod-openapi';
import { routeGroup, type GatewayDeps } from '../context.ts';
import { notFound } from '../errors.ts';
import { jsonContent } from '../schemas.ts';

export function webhookRoutes({ heygen }: GatewayDeps) {
  const routes = routeGroup();

  routes.openapi(
    createRoute({
      method: 'post',
      path: '/webhooks/heygen',
      summary: 'HeyGen completion webhook: signature over the raw body (header "signature"), replays refused, published on NATS',
      request: {
        query: z.object({
          namespace: z
            .string()
            .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/)
            .openapi({ description: 'The namespace of the Episode whose avatar runner waits (the runner puts it in the callback URL)' }),
        }),
      },
      responses: {
        202: jsonContent(z.object({ subject: z.string() }), 'Accepted and published on acog.webhooks.<namespace>.heygen.<video_id>'),
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
      const subject = await heygen.handle(raw, c.req.header('signature'), c.req.valid('query').namespace);
      return c.json({ subject }, 202);
    },
  );

  return routes;
}
