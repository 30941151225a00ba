// Webhooks: HeyGen's deliveries, signed (a registered endpoint's) or not (a per-video callback), taken
// as wake-ups and published on NATS for the avatar runner, which checks the signature and reads the
// video's status itself. Outside /api: HeyGen has no user.
import { createRoute, z } from '@hono/zod-openapi';
import {
  HEYGEN_EVENT_ID_HEADER,
  HEYGEN_SIGNATURE_HEADER,
  HEYGEN_TIMESTAMP_HEADER,
  PULSE_MAX_EVENTS,
  PULSE_SIGNATURE_HEADER,
  PULSE_TIMESTAMP_HEADER,
} from '@acog/api';
import { routeGroup, type GatewayDeps } from '../context.ts';
import { notFound } from '../errors.ts';
import { ErrorSchema, jsonContent } from '../schemas.ts';
import { databaseOr503, unavailableResponses } from './database.ts';

const namespaceQuery = z.object({
  namespace: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/)
    .openapi({ description: 'The namespace of the Episode whose avatar runner waits (the runner puts it in the URL it gives HeyGen)' }),
});

export function webhookRoutes(deps: GatewayDeps) {
  const { heygen, pulse } = deps;
  const routes = routeGroup();

  routes.openapi(
    createRoute({
      method: 'post',
      path: '/webhooks/heygen',
      summary:
        'HeyGen webhook: a wake-up for the avatar runner, relayed on NATS with its body and Heygen-Signature/-Timestamp/-Event-Id for the runner to check; never taken as a result',
      request: { query: namespaceQuery },
      responses: {
        202: jsonContent(
          z.object({ subject: z.string(), duplicate: z.boolean() }),
          'Relayed on acog.webhooks.<namespace>.heygen.<video_id> (duplicate: the same delivery was relayed already)',
        ),
        400: jsonContent(z.any(), 'Not a JSON object'),
        404: jsonContent(z.any(), 'Not configured'),
        413: jsonContent(z.any(), 'Too large'),
        422: jsonContent(z.any(), 'No event type or video id'),
        429: jsonContent(z.any(), "More of the namespace's deliveries a minute than the gateway relays (Retry-After)"),
      },
    }),
    async (c) => {
      if (!heygen) throw notFound('the HeyGen webhook is not configured (start the gateway with --heygen-webhook and --nats-url)');
      const raw = Buffer.from(await c.req.arrayBuffer());
      const answer = await heygen.handle(
        raw,
        {
          signature: c.req.header(HEYGEN_SIGNATURE_HEADER),
          timestamp: c.req.header(HEYGEN_TIMESTAMP_HEADER),
          eventId: c.req.header(HEYGEN_EVENT_ID_HEADER),
        },
        c.req.valid('query').namespace,
      );
      return c.json(answer, 202);
    },
  );

  // HeyGen checks that a URL answers before it registers it as an endpoint (an OPTIONS request with a
  // short timeout, in its webhook documentation): answered at once, nothing else done.
  routes.on('OPTIONS', '/webhooks/heygen', (c) => c.body(null, heygen ? 204 : 404));

  routes.openapi(
    createRoute({
      method: 'post',
      path: '/webhooks/pulse',
      summary: `Pulse (trend) events from a source: one event or an array of 1 to ${PULSE_MAX_EVENTS}, all of one source, signed with its secret; stored once per (source, id) before the answer`,
      request: {
        headers: z.object({
          [PULSE_TIMESTAMP_HEADER]: z
            .string()
            .optional()
            .openapi({ description: 'Unix time of sending, in seconds (at most 5 minutes off)' }),
          [PULSE_SIGNATURE_HEADER]: z
            .string()
            .optional()
            .openapi({ description: 'v1=<hex HMAC-SHA256 of "<timestamp>.<raw body>" under the source\'s secret>' }),
        }),
      },
      responses: {
        202: jsonContent(
          z.object({ accepted: z.number().int(), duplicates: z.number().int() }),
          'Stored: accepted new events, duplicates stored before',
        ),
        200: jsonContent(z.object({ accepted: z.number().int(), duplicates: z.number().int() }), 'A replay: every event was stored before'),
        400: jsonContent(ErrorSchema, 'Not JSON, or a field is missing or wrong (error.fields names it)'),
        401: jsonContent(ErrorSchema, 'No secret for the source, a missing or wrong signature, or a timestamp more than 5 minutes off'),
        404: jsonContent(ErrorSchema, 'Not configured'),
        413: jsonContent(ErrorSchema, 'Larger than 64 KiB'),
        ...unavailableResponses,
      },
    }),
    async (c) => {
      if (!pulse)
        throw notFound(
          'the pulse webhook is not configured (start the gateway with --pulse-secrets-dir; the chart: console.pulse.sources)',
        );
      const database = databaseOr503(deps);
      const raw = Buffer.from(await c.req.arrayBuffer());
      const answer = await pulse.handle(
        raw,
        { timestamp: c.req.header(PULSE_TIMESTAMP_HEADER), signature: c.req.header(PULSE_SIGNATURE_HEADER) },
        database,
      );
      return answer.status === 202 ? c.json(answer.body, 202) : c.json(answer.body, 200);
    },
  );

  return routes;
}
