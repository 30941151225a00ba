// Channels: the list, one Channel with its readiness, spend, recent Episodes and Events, and the
// editor's writes: create, and replace the spec, each as the user and with the API server's dry run
// on request, so its refusals (status causes, with the field each names) reach the form.
import { createRoute, z } from '@hono/zod-openapi';
import { API_VERSION, CHANNELS, type Channel, type ChannelSpec } from '@acog/api';
import { can } from '../../auth/authorizer.ts';
import { listQuerySchema } from '../../cluster/query.ts';
import { channelDetail, channelSummary } from '../../cluster/views.ts';
import { API, pageOf, routeGroup, visibleNamespaces, type GatewayDeps } from '../context.ts';
import { invalid, notFound } from '../errors.ts';
import {
  ChannelDetailSchema,
  ChannelManifestSchema,
  ChannelPageSchema,
  ChannelWrittenSchema,
  DryRunQuery,
  NamespaceParam,
  ObjectParams,
  SpecReplaceSchema,
  errorResponses,
  jsonContent,
} from '../schemas.ts';

const writeResponses = {
  422: jsonContent(z.any(), "Refused by the API server's schema or CEL rules; fields names each field as the API server does"),
  ...errorResponses,
};

export function channelRoutes(deps: GatewayDeps) {
  const { cache, authorizer, writer } = deps;
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

  routes.openapi(
    createRoute({
      method: 'post',
      path: `${API}/namespaces/{namespace}/channels`,
      summary: 'Create a Channel as the user; dryRun=All: the API server checks it without storing',
      security: [{ bearer: [] }],
      request: {
        params: z.object({ namespace: NamespaceParam }),
        query: DryRunQuery,
        body: { content: { 'application/json': { schema: ChannelManifestSchema } }, required: true },
      },
      responses: {
        201: jsonContent(ChannelWrittenSchema, 'Created, or (dryRun=All) accepted'),
        409: jsonContent(z.any(), 'A Channel of that name exists'),
        ...writeResponses,
      },
    }),
    async (c) => {
      const { namespace } = c.req.valid('param');
      const dryRun = c.req.valid('query').dryRun === 'All';
      const body = c.req.valid('json');
      const user = c.get('user');
      await authorizer.require(user, can.createChannel(namespace));
      const metadata = { ...((body.metadata as Record<string, unknown> | undefined) ?? {}) };
      if (metadata.namespace !== undefined && metadata.namespace !== namespace) {
        throw invalid('metadata.namespace: does not match the namespace of the request', [
          { field: 'metadata.namespace', message: `must be "${namespace}" (the namespace of the request) or left out` },
        ]);
      }
      const manifest = { apiVersion: API_VERSION, kind: CHANNELS.kind, ...body, metadata: { ...metadata, namespace } } as Channel;
      const created = await writer.create(user, CHANNELS, namespace, manifest, dryRun);
      if (!dryRun) cache.upsertChannel(created);
      return c.json({ channel: channelSummary(created), dryRun }, 201);
    },
  );

  routes.openapi(
    createRoute({
      method: 'put',
      path: `${API}/namespaces/{namespace}/channels/{name}`,
      summary: "Replace a Channel's spec as the user; dryRun=All: the API server checks it without storing",
      security: [{ bearer: [] }],
      request: {
        params: ObjectParams,
        query: DryRunQuery,
        body: { content: { 'application/json': { schema: SpecReplaceSchema } }, required: true },
      },
      responses: {
        200: jsonContent(ChannelWrittenSchema, 'Stored, or (dryRun=All) accepted'),
        404: jsonContent(z.any(), 'No such channel'),
        409: jsonContent(z.any(), 'The Channel changed since the edit began (resourceVersion)'),
        ...writeResponses,
      },
    }),
    async (c) => {
      const { namespace, name } = c.req.valid('param');
      const dryRun = c.req.valid('query').dryRun === 'All';
      const { spec, resourceVersion } = c.req.valid('json');
      const user = c.get('user');
      await authorizer.require(user, can.updateChannel(namespace, name));
      const channel = cache.channel(namespace, name);
      if (!channel) throw notFound(`channel "${name}" not found in namespace "${namespace}"`);
      // Metadata as stored, status untouched (a replace of the main resource ignores it), the version the edit began from.
      const { status: _status, ...stored } = channel;
      const replaced = { ...stored, metadata: { ...stored.metadata, resourceVersion }, spec: spec as unknown as ChannelSpec };
      const written = await writer.replace(user, CHANNELS, namespace, replaced, dryRun);
      if (!dryRun) cache.upsertChannel(written);
      return c.json({ channel: channelSummary(written), dryRun }, 200);
    },
  );

  return routes;
}
