// Episodes: the list (filters, sorting, pagination over the cache), one Episode with its stages,
// Jobs and Events, creation, validated with the generated validators, and edits of the spec: the
// editor's whole spec (PUT), and merge patches (the script review, own media), which may pass an
// approval gate in the same write. Edits go to the API server as the user, who sees its own
// refusals (status causes, with the field each names).
import { createRoute, z } from '@hono/zod-openapi';
import {
  API_VERSION,
  decideAction,
  EPISODES,
  overrideProblems,
  validateEpisode,
  type Channel,
  type Episode,
  type EpisodeSpec,
  type FieldError,
} from '@acog/api';
import { applyMergePatch } from '../../edits/merge-patch.ts';
import { can } from '../../auth/authorizer.ts';
import { listQuerySchema } from '../../cluster/query.ts';
import { episodeDetail, episodeSummary } from '../../cluster/views.ts';
import { API, episodeOr404, pageOf, routeGroup, visibleNamespaces, type GatewayDeps } from '../context.ts';
import { conflict, invalid } from '../errors.ts';
import {
  CreatedSchema,
  DryRunQuery,
  EpisodeCreateSchema,
  EpisodePatchSchema,
  EpisodeWrittenSchema,
  SpecReplaceSchema,
  EpisodeDetailSchema,
  EpisodePageSchema,
  NamespaceParam,
  ObjectParams,
  ValidationResultSchema,
  errorResponses,
  jsonContent,
} from '../schemas.ts';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Overrides naming a Secret or base URL the Channel does not allow (the operator would hold the Episode). */
function overridesRefused(channel: Channel | undefined, spec: unknown): FieldError[] {
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) return [];
  try {
    return overrideProblems(channel?.spec, spec as EpisodeSpec);
  } catch {
    // A spec malformed enough to trip the check is refused by the API server's schema.
    return [];
  }
}

const editResponses = {
  200: jsonContent(EpisodeWrittenSchema, 'Stored, or (dryRun=All) accepted by the API server without storing'),
  404: jsonContent(z.any(), 'No such episode'),
  409: jsonContent(z.any(), 'The Episode changed since the edit began (resourceVersion), or the gate cannot be approved'),
  422: jsonContent(
    z.any(),
    "Refused by the API server's schema or CEL rules, or an override the Channel does not allow; fields names each field",
  ),
  ...errorResponses,
};

export function episodeRoutes(deps: GatewayDeps) {
  const { cache, authorizer, writer } = deps;
  const routes = routeGroup();

  routes.openapi(
    createRoute({
      method: 'get',
      path: `${API}/episodes`,
      summary: 'List Episodes: filters, sorting, pagination',
      security: [{ bearer: [] }],
      request: { query: listQuerySchema },
      responses: { 200: jsonContent(EpisodePageSchema, 'A page of episodes'), ...errorResponses },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const keep = await visibleNamespaces(deps, c.get('user'), query.namespace, can.listEpisodes);
      return c.json(pageOf(cache.episodeSummaries(), keep, query), 200);
    },
  );

  routes.openapi(
    createRoute({
      method: 'get',
      path: `${API}/namespaces/{namespace}/episodes/{name}`,
      summary: 'One Episode: stages, artifacts, cost, Jobs and Events',
      security: [{ bearer: [] }],
      request: { params: ObjectParams },
      responses: { 200: jsonContent(EpisodeDetailSchema, 'The episode'), 404: jsonContent(z.any(), 'No such episode'), ...errorResponses },
    }),
    async (c) => {
      const { namespace, name } = c.req.valid('param');
      const user = c.get('user');
      await authorizer.require(user, can.getEpisode(namespace, name));
      const episode = episodeOr404(cache, namespace, name);
      const channelName = episode.spec.channelRef.name;
      const channel = cache.channel(namespace, channelName);
      const [jobsAllowed, eventsAllowed, channelAllowed] = await Promise.all([
        authorizer.check(user, can.listJobs(namespace)),
        authorizer.check(user, can.listEvents(namespace)),
        authorizer.check(user, can.getChannel(namespace, channelName)),
      ]);
      // The pipeline follows the Channel's gates either way; its summary (readiness, spend) only
      // for a user who may get it.
      const detail = episodeDetail(episode, channel, {
        jobs: jobsAllowed.allowed ? cache.jobsOf(episode) : [],
        events: eventsAllowed.allowed ? cache.eventsOf('Episode', namespace, name) : [],
        artifactsAt: `${API}/namespaces/${namespace}/episodes/${name}/artifacts`,
        channelVisible: channelAllowed.allowed,
      });
      return c.json(detail, 200);
    },
  );

  routes.openapi(
    createRoute({
      method: 'post',
      path: `${API}/namespaces/{namespace}/episodes`,
      summary: 'Create an Episode, validated with the generated validators; dryRun=client only validates',
      security: [{ bearer: [] }],
      request: {
        params: z.object({ namespace: NamespaceParam }),
        query: z.object({
          dryRun: z
            .enum(['client', 'server'])
            .optional()
            .openapi({ description: 'client: validate only; server: the API server checks it without storing' }),
        }),
        body: { content: { 'application/json': { schema: EpisodeCreateSchema } }, required: true },
      },
      responses: {
        200: jsonContent(ValidationResultSchema, 'dryRun=client: the validation result'),
        201: jsonContent(CreatedSchema, 'Created'),
        409: jsonContent(z.any(), 'An Episode of that name exists'),
        422: jsonContent(z.any(), 'Invalid (the schema, or an override its Channel does not allow); fields names every bad field'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { namespace } = c.req.valid('param');
      const { dryRun } = c.req.valid('query');
      const user = c.get('user');
      const body = c.req.valid('json');
      const metadata = { ...((body.metadata as Record<string, unknown> | undefined) ?? {}) };
      if (metadata.namespace !== undefined && metadata.namespace !== namespace) {
        throw invalid('metadata.namespace: does not match the namespace of the request', [
          { field: 'metadata.namespace', message: `must be "${namespace}" (the namespace of the request) or left out` },
        ]);
      }
      const manifest = { apiVersion: API_VERSION, kind: EPISODES.kind, ...body, metadata: { ...metadata, namespace } };
      const result = validateEpisode(manifest);
      const fields = [...result.errors];
      // An override may name only the Secrets and base URLs its Channel allows (the operator would
      // hold the Episode; refuse it here first, as kubectl acog create does).
      const spec = (manifest as { spec?: unknown }).spec;
      if (spec && typeof spec === 'object' && !Array.isArray(spec)) {
        const channelName = (spec as EpisodeSpec).channelRef?.name;
        fields.push(...overridesRefused(typeof channelName === 'string' ? cache.channel(namespace, channelName) : undefined, spec));
      }
      const name = metadata.name;
      if (typeof name !== 'string' || !DNS_LABEL.test(name) || name.length > 63) {
        fields.unshift({
          field: 'metadata.name',
          message: 'Required: lower case letters, digits and -, starting and ending with a letter or digit, at most 63',
        });
      }
      if (dryRun === 'client') return c.json({ valid: fields.length === 0, fields }, 200);
      await authorizer.require(user, can.createEpisode(namespace));
      if (fields.length) throw invalid(`Episode is invalid: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`, fields);
      const created = await writer.create(user, EPISODES, namespace, manifest as Episode, dryRun === 'server');
      if (!dryRun) cache.upsertEpisode(created);
      return c.json({ episode: episodeSummary(created) }, 201);
    },
  );

  routes.openapi(
    createRoute({
      method: 'put',
      path: `${API}/namespaces/{namespace}/episodes/{name}`,
      summary: "Replace an Episode's spec (the editor's save); dryRun=All: the API server checks it without storing",
      security: [{ bearer: [] }],
      request: {
        params: ObjectParams,
        query: DryRunQuery,
        body: { content: { 'application/json': { schema: SpecReplaceSchema } }, required: true },
      },
      responses: editResponses,
    }),
    async (c) => {
      const { namespace, name } = c.req.valid('param');
      const dryRun = c.req.valid('query').dryRun === 'All';
      const { spec, resourceVersion } = c.req.valid('json');
      const user = c.get('user');
      await authorizer.require(user, can.updateEpisode(namespace, name));
      const episode = episodeOr404(cache, namespace, name);
      const channelName = (spec as Partial<EpisodeSpec>).channelRef?.name;
      const refused = overridesRefused(typeof channelName === 'string' ? cache.channel(namespace, channelName) : undefined, spec);
      if (refused.length) throw invalid(`Episode is invalid: ${refused.map((f) => `${f.field}: ${f.message}`).join('; ')}`, refused);
      // The stored object with the new spec: metadata as it was (labels, annotations, owners), status
      // untouched (a replace of the main resource ignores it), the version the edit began from.
      const { status: _status, ...stored } = episode;
      const replaced = { ...stored, metadata: { ...stored.metadata, resourceVersion }, spec: spec as unknown as EpisodeSpec };
      const written = await writer.replace(user, EPISODES, namespace, replaced, dryRun);
      if (!dryRun) cache.upsertEpisode(written);
      return c.json({ episode: episodeSummary(written), dryRun, message: dryRun ? 'the API server accepts it' : 'saved' }, 200);
    },
  );

  routes.openapi(
    createRoute({
      method: 'patch',
      path: `${API}/namespaces/{namespace}/episodes/{name}`,
      summary: "Merge-patch an Episode's spec (the script review, own media), and pass an approval gate in the same write when asked",
      security: [{ bearer: [] }],
      request: {
        params: ObjectParams,
        query: DryRunQuery,
        body: { content: { 'application/json': { schema: EpisodePatchSchema } }, required: true },
      },
      responses: editResponses,
    }),
    async (c) => {
      const { namespace, name } = c.req.valid('param');
      const dryRun = c.req.valid('query').dryRun === 'All';
      const body = c.req.valid('json');
      const user = c.get('user');
      await authorizer.require(user, can.patchEpisode(namespace, name));
      const episode = episodeOr404(cache, namespace, name);
      const channel = cache.channel(namespace, episode.spec.channelRef.name);
      const patch: { spec?: Record<string, unknown>; metadata?: Record<string, unknown> } = {};
      const messages: string[] = [];
      if (body.spec) {
        const refused = overridesRefused(channel, applyMergePatch(episode.spec, body.spec));
        if (refused.length) throw invalid(`Episode is invalid: ${refused.map((f) => `${f.field}: ${f.message}`).join('; ')}`, refused);
        patch.spec = body.spec;
        messages.push('saved');
      }
      if (body.approve) {
        // The same decision as the approve action and kubectl acog approve; refused before anything is written.
        const decision = decideAction('approve', episode, channel, { stage: body.approve }, new Date());
        if (decision.outcome === 'refused') throw conflict(decision.message);
        if (decision.outcome === 'patch') patch.metadata = { ...(decision.patch as { metadata: Record<string, unknown> }).metadata };
        messages.push(decision.message);
      }
      if (body.resourceVersion) patch.metadata = { ...patch.metadata, resourceVersion: body.resourceVersion };
      if (!patch.spec && !patch.metadata?.annotations) {
        return c.json({ episode: episodeSummary(episode), dryRun, message: messages.join(', ') || 'nothing to change' }, 200);
      }
      const written = await writer.mergePatch(user, namespace, name, patch, dryRun);
      if (!dryRun) cache.upsertEpisode(written);
      const message = dryRun ? 'the API server accepts it' : messages.join(' and ');
      return c.json({ episode: episodeSummary(written), dryRun, message }, 200);
    },
  );

  return routes;
}
