// History: finished Episodes from the archive (PostgreSQL), newest first, with filters, full-text
// search and keyset pages; one archived Episode with the artifacts still kept; and those artifacts.
// Authorized per namespace: a user who may list Episodes there.
import { createRoute, z } from '@hono/zod-openapi';
import { archivedEpisode, historyPage, type ArchivedEpisodeRow } from '@acog/db/archive';
import type { Episode } from '@acog/api';
import { LabelSelectorError, parseLabelSelector } from '@acog/kube';
import { can } from '../../auth/authorizer.ts';
import { episodeDetail, finalArtifacts } from '../../cluster/views.ts';
import type { ClusterCache } from '../../cluster/cache.ts';
import { decodeHistoryContinue, encodeHistoryContinue, ParameterError, parseSince } from '../../history/query.ts';
import { API, routeGroup, type GatewayDeps } from '../context.ts';
import { badRequest, notFound } from '../errors.ts';
import {
  ARCHIVED_PHASES,
  ArchivedEpisodeDetailSchema,
  HistoryPageSchema,
  NamespaceParam,
  errorResponses,
  jsonContent,
  type ArchivedEpisodeSummary,
} from '../schemas.ts';
import { artifactResponses, FinalArtifactParam, serveFinalArtifact, serveStageArtifact, StageFileParams } from './artifacts.ts';
import { databaseOr503, databaseErrors, unavailableResponses } from './database.ts';

const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const HistoryQuerySchema = z.object({
  channel: z
    .string()
    .max(253, 'channel: at most 253 characters')
    .regex(dnsSubdomain, 'channel: must be a Channel name (lower case letters, digits, - and .)')
    .optional()
    .openapi({ description: 'Only episodes of this Channel' }),
  since: z
    .string()
    .max(40, 'since: at most 40 characters')
    .optional()
    .openapi({ description: 'Only episodes finished since: a duration back from now (30d, 12h, 90m, 2w) or a time (RFC 3339)' }),
  phase: z.enum(ARCHIVED_PHASES).optional().openapi({ description: 'Only episodes that ended so' }),
  labelSelector: z
    .string()
    .max(1024, 'labelSelector: at most 1024 characters')
    .optional()
    .openapi({ description: "A label selector as kubectl's -l: k=v, k!=v, k in (a,b), k notin (a,b), k, !k" }),
  search: z
    .string()
    .max(200, 'search: at most 200 characters')
    .optional()
    .openapi({ description: 'Words in the name, topic or brief ("a phrase", -without, or)' }),
  limit: z.coerce.number().int('limit: a whole number').min(1, 'limit: at least 1').max(500, 'limit: at most 500').default(50),
  continue: z
    .string()
    .max(512, 'continue: at most 512 characters')
    .optional()
    .openapi({ description: 'The continue of the previous page' }),
});

const UidParam = z
  .string()
  .max(64)
  .regex(/^[0-9A-Za-z-]+$/, 'uid: an Episode uid (letters, digits and -)')
  .openapi({ param: { name: 'uid', in: 'path' }, example: '0d5c6a7e-1f2b-4c3d-9e8f-a1b2c3d4e5f6' });

const ArchivedParams = z.object({ namespace: NamespaceParam, uid: UidParam });

/** A parameter the schema let through but that cannot be read: a 400 naming it. */
function parameter<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ParameterError) throw badRequest(error.message, [{ field: error.field, message: error.message }]);
    if (error instanceof LabelSelectorError) {
      const message = `labelSelector: ${error.message}`;
      throw badRequest(message, [{ field: 'labelSelector', message }]);
    }
    throw error;
  }
}

export function archivedSummary(row: ArchivedEpisodeRow, cache: ClusterCache): ArchivedEpisodeSummary {
  return { ...row, inCluster: cache.episode(row.namespace, row.name)?.metadata.uid === row.uid };
}

export function historyRoutes(deps: GatewayDeps) {
  const { cache, authorizer } = deps;
  const routes = routeGroup();

  routes.openapi(
    createRoute({
      method: 'get',
      path: `${API}/namespaces/{namespace}/history`,
      summary: 'Finished Episodes from the archive, newest first: filters, search, pages',
      security: [{ bearer: [] }],
      request: { params: z.object({ namespace: NamespaceParam }), query: HistoryQuerySchema },
      responses: { 200: jsonContent(HistoryPageSchema, 'A page of archived episodes'), ...errorResponses, ...unavailableResponses },
    }),
    async (c) => {
      const { namespace } = c.req.valid('param');
      const query = c.req.valid('query');
      const since = query.since === undefined ? undefined : parameter(() => parseSince(query.since!, new Date()));
      const labels = query.labelSelector === undefined ? undefined : parameter(() => parseLabelSelector(query.labelSelector!));
      const after = query.continue === undefined ? undefined : parameter(() => decodeHistoryContinue(query.continue!));
      await authorizer.require(c.get('user'), can.listEpisodes(namespace));
      const db = databaseOr503(deps);
      const page = await databaseErrors(() =>
        historyPage(db.pool, {
          namespace,
          channel: query.channel,
          since,
          phase: query.phase,
          labels,
          search: query.search,
          limit: query.limit,
          after,
        }),
      );
      return c.json(
        {
          items: page.items.map((row) => archivedSummary(row, cache)),
          continue: page.next ? encodeHistoryContinue(page.next) : undefined,
        },
        200,
      );
    },
  );

  /** The archived Episode of a namespace, or a 404. */
  const archived = async (namespace: string, uid: string) => {
    const db = databaseOr503(deps);
    const found = await databaseErrors(() => archivedEpisode(db.pool, namespace, uid));
    if (!found) throw notFound(`no archived episode with uid ${uid} in namespace "${namespace}"`);
    return { row: found, episode: found.object as Episode };
  };

  routes.openapi(
    createRoute({
      method: 'get',
      path: `${API}/namespaces/{namespace}/history/{uid}`,
      summary: 'One archived Episode: its stages, costs and video, and the artifacts still kept',
      security: [{ bearer: [] }],
      request: { params: ArchivedParams },
      responses: {
        200: jsonContent(ArchivedEpisodeDetailSchema, 'The archived episode'),
        404: jsonContent(z.any(), 'No such archived episode'),
        ...errorResponses,
        ...unavailableResponses,
      },
    }),
    async (c) => {
      const { namespace, uid } = c.req.valid('param');
      const user = c.get('user');
      await authorizer.require(user, can.listEpisodes(namespace));
      const { row, episode } = await archived(namespace, uid);
      const channelName = episode.spec.channelRef.name;
      const channelAllowed = await authorizer.check(user, can.getChannel(namespace, channelName));
      const detail = episodeDetail(episode, cache.channel(namespace, channelName), {
        jobs: [],
        events: [],
        artifactsAt: `${API}/namespaces/${namespace}/history/${uid}/artifacts`,
        channelVisible: channelAllowed.allowed,
      });
      // Only what is still in object storage: the Channel's retention may have deleted the rest.
      const uris = finalArtifacts(episode);
      const kept = await Promise.all(
        Object.keys(detail.artifacts).map(async (name) => {
          const uri = uris[name];
          const exists = deps.artifacts && uri ? await deps.artifacts.exists(uri).catch(() => false) : false;
          return exists ? [name, detail.artifacts[name]] : undefined;
        }),
      );
      detail.artifacts = Object.fromEntries(kept.filter((entry): entry is string[] => !!entry));
      return c.json({ summary: archivedSummary(row, cache), detail, object: episode as unknown as Record<string, unknown> }, 200);
    },
  );

  if (deps.artifacts) {
    const artifacts = deps.artifacts;
    routes.openapi(
      createRoute({
        method: 'get',
        path: `${API}/namespaces/{namespace}/history/{uid}/artifacts/{artifact}`,
        summary: 'A final artifact of an archived Episode, when kept (video, thumbnail, captionsVtt, captionsSrt, metadata, script)',
        security: [{ bearer: [] }],
        request: {
          params: ArchivedParams.extend({ artifact: FinalArtifactParam }),
        },
        responses: {
          ...artifactResponses('No such artifact, or no longer kept'),
          ...errorResponses,
          ...unavailableResponses,
        },
      }),
      async (c) => {
        const { namespace, uid, artifact } = c.req.valid('param');
        await authorizer.require(c.get('user'), can.listEpisodes(namespace));
        const { episode } = await archived(namespace, uid);
        return serveFinalArtifact(deps, artifacts, c, episode, artifact) as never;
      },
    );

    routes.openapi(
      createRoute({
        method: 'get',
        path: `${API}/namespaces/{namespace}/history/{uid}/artifacts/{stage}/{file}`,
        summary: "A stage's artifact of an archived Episode by file name, when kept",
        security: [{ bearer: [] }],
        request: {
          params: ArchivedParams.extend(StageFileParams),
        },
        responses: {
          ...artifactResponses('No such artifact, or no longer kept'),
          ...errorResponses,
          ...unavailableResponses,
        },
      }),
      async (c) => {
        const { namespace, uid, stage, file } = c.req.valid('param');
        await authorizer.require(c.get('user'), can.listEpisodes(namespace));
        const { episode } = await archived(namespace, uid);
        return serveStageArtifact(deps, artifacts, c, episode, stage, file) as never;
      },
    );
  }

  return routes;
}
