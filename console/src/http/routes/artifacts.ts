// Artifacts: only URIs listed in the Episode's status, inside the episode's own prefix and its
// stage's bucket (artifacts/scope.ts), are served, from S3 with HTTP Range, or ?redirect=1 to a
// presigned URL. Names that are not artifacts (`__proto__` too) are a 404.
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Episode, StageName } from '@acog/api';
import { FINAL_ARTIFACT_STAGES, isFinalArtifact, unservable } from '../../artifacts/scope.ts';
import type { ArtifactServer } from '../../artifacts/server.ts';
import { can } from '../../auth/authorizer.ts';
import { artifactFile, finalArtifacts } from '../../cluster/views.ts';
import { API, episodeOr404, routeGroup, type Env, type GatewayDeps } from '../context.ts';
import { notFound } from '../errors.ts';
import { ObjectParams, StageParam, errorResponses, jsonContent } from '../schemas.ts';

/**
 * Serves one artifact URI of an Episode (live, or as the archive keeps it), when it lies inside the
 * episode's own prefix of its stage's bucket; a 404 otherwise.
 */
export function serveArtifact(
  { log }: Pick<GatewayDeps, 'log'>,
  artifacts: ArtifactServer,
  c: Context<Env>,
  episode: Episode,
  stage: StageName,
  uri: string | undefined,
  what: string,
): Promise<Response> {
  const name = episode.metadata.name;
  if (!uri) throw notFound(`episode ${name} has no ${what}`);
  const why = unservable(episode, stage, uri);
  if (why) {
    log.warn({ namespace: episode.metadata.namespace, episode: name, stage, why }, 'an artifact URI in the status is not served');
    throw notFound(`episode ${name} has no ${what} the gateway serves (its URI lies outside the episode's own prefix)`);
  }
  return artifacts.serve(c.req.raw, uri, { download: c.req.query('download') === '1', redirect: c.req.query('redirect') === '1' });
}

export function artifactRoutes(deps: GatewayDeps, artifacts: ArtifactServer) {
  const { cache, authorizer } = deps;
  const routes = routeGroup();
  const serve = (c: Context<Env>, episode: Episode, stage: StageName, uri: string | undefined, what: string) =>
    serveArtifact(deps, artifacts, c, episode, stage, uri, what);

  routes.openapi(
    createRoute({
      method: 'get',
      path: `${API}/namespaces/{namespace}/episodes/{name}/artifacts/{artifact}`,
      summary:
        'A final artifact (video, thumbnail, captionsVtt, captionsSrt, metadata, script), with HTTP Range; redirect=1 for a presigned URL',
      security: [{ bearer: [] }],
      request: {
        params: ObjectParams.extend({
          artifact: z
            .string()
            .max(64)
            .openapi({ param: { name: 'artifact', in: 'path' }, example: 'video' }),
        }),
      },
      responses: {
        200: { description: 'The bytes' },
        206: { description: 'The range asked for' },
        302: { description: 'To a presigned URL' },
        404: jsonContent(z.any(), 'No such artifact'),
        416: { description: 'Range not satisfiable' },
        ...errorResponses,
      },
    }),
    async (c) => {
      const { namespace, name, artifact } = c.req.valid('param');
      await authorizer.require(c.get('user'), can.getEpisode(namespace, name));
      if (!isFinalArtifact(artifact))
        throw notFound(`"${artifact}" is not a final artifact (${Object.keys(FINAL_ARTIFACT_STAGES).join(', ')})`);
      const episode = episodeOr404(cache, namespace, name);
      const uris = finalArtifacts(episode);
      const uri = Object.hasOwn(uris, artifact) ? uris[artifact] : undefined;
      return serve(c, episode, FINAL_ARTIFACT_STAGES[artifact], uri, `artifact "${artifact}"`) as never;
    },
  );

  routes.openapi(
    createRoute({
      method: 'get',
      path: `${API}/namespaces/{namespace}/episodes/{name}/artifacts/{stage}/{file}`,
      summary: "A stage's artifact by file name, with HTTP Range",
      security: [{ bearer: [] }],
      request: {
        params: ObjectParams.extend({
          stage: StageParam,
          file: z
            .string()
            .max(255)
            .openapi({ param: { name: 'file', in: 'path' } }),
        }),
      },
      responses: {
        200: { description: 'The bytes' },
        206: { description: 'The range asked for' },
        404: jsonContent(z.any(), 'No such artifact'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { namespace, name, stage, file } = c.req.valid('param');
      await authorizer.require(c.get('user'), can.getEpisode(namespace, name));
      const episode = episodeOr404(cache, namespace, name);
      const uri = episode.status?.stages
        ?.find((entry) => entry.name === stage)
        ?.artifacts?.find((candidate) => artifactFile(candidate) === file);
      return serve(c, episode, stage, uri, `artifact "${file}" of stage ${stage}`) as never;
    },
  );

  return routes;
}
