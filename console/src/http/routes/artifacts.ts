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

/** A final artifact by its name (video, thumbnail…), as the Episode's status lists it. */
export function serveFinalArtifact(
  deps: Pick<GatewayDeps, 'log'>,
  artifacts: ArtifactServer,
  c: Context<Env>,
  episode: Episode,
  artifact: string,
) {
  if (!isFinalArtifact(artifact))
    throw notFound(`"${artifact}" is not a final artifact (${Object.keys(FINAL_ARTIFACT_STAGES).join(', ')})`);
  const uris = finalArtifacts(episode);
  const uri = Object.hasOwn(uris, artifact) ? uris[artifact] : undefined;
  return serveArtifact(deps, artifacts, c, episode, FINAL_ARTIFACT_STAGES[artifact], uri, `artifact "${artifact}"`);
}

/** A stage's artifact by its file name, as the Episode's status lists it. */
export function serveStageArtifact(
  deps: Pick<GatewayDeps, 'log'>,
  artifacts: ArtifactServer,
  c: Context<Env>,
  episode: Episode,
  stage: StageName,
  file: string,
) {
  const uri = episode.status?.stages
    ?.find((entry) => entry.name === stage)
    ?.artifacts?.find((candidate) => artifactFile(candidate) === file);
  return serveArtifact(deps, artifacts, c, episode, stage, uri, `artifact "${file}" of stage ${stage}`);
}

/** The path parameters naming a final artifact, and a stage's artifact file. */
export const FinalArtifactParam = z
  .string()
  .max(64)
  .openapi({ param: { name: 'artifact', in: 'path' }, example: 'video' });
export const StageFileParams = {
  stage: StageParam,
  file: z
    .string()
    .max(255)
    .openapi({ param: { name: 'file', in: 'path' } }),
};

/** What an artifact route answers besides its errors. */
export const artifactResponses = (missing: string) => ({
  200: { description: 'The bytes' },
  206: { description: 'The range asked for' },
  302: { description: 'To a presigned URL' },
  404: jsonContent(z.any(), missing),
  416: { description: 'Range not satisfiable' },
});

export function artifactRoutes(deps: GatewayDeps, artifacts: ArtifactServer) {
  const { cache, authorizer } = deps;
  const routes = routeGroup();
  routes.openapi(
    createRoute({
      method: 'get',
      path: `${API}/namespaces/{namespace}/episodes/{name}/artifacts/{artifact}`,
      summary:
        'A final artifact (video, thumbnail, captionsVtt, captionsSrt, metadata, script), with HTTP Range; redirect=1 for a presigned URL',
      security: [{ bearer: [] }],
      request: {
        params: ObjectParams.extend({ artifact: FinalArtifactParam }),
      },
      responses: { ...artifactResponses('No such artifact'), ...errorResponses },
    }),
    async (c) => {
      const { namespace, name, artifact } = c.req.valid('param');
      await authorizer.require(c.get('user'), can.getEpisode(namespace, name));
      return serveFinalArtifact(deps, artifacts, c, episodeOr404(cache, namespace, name), artifact) as never;
    },
  );

  routes.openapi(
    createRoute({
      method: 'get',
      path: `${API}/namespaces/{namespace}/episodes/{name}/artifacts/{stage}/{file}`,
      summary: "A stage's artifact by file name, with HTTP Range",
      security: [{ bearer: [] }],
      request: {
        params: ObjectParams.extend(StageFileParams),
      },
      responses: { ...artifactResponses('No such artifact'), ...errorResponses },
    }),
    async (c) => {
      const { namespace, name, stage, file } = c.req.valid('param');
      await authorizer.require(c.get('user'), can.getEpisode(namespace, name));
      return serveStageArtifact(deps, artifacts, c, episodeOr404(cache, namespace, name), stage, file) as never;
    },
  );

  return routes;
}
