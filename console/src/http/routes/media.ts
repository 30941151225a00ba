// Uploads of an Episode's own media (spec.media): the raw body of a video clip or still image,
// streamed to S3 under the episode's own prefix (ownMediaUri), bounded by MEDIA_MAX_BYTES (the body
// limit counts it as it arrives) and by a content-type allow-list; allowed to whoever may patch the
// Episode, with the user's own permission. The answer is the s3:// URI to put in spec.media[].uri;
// the gateway does not change the spec itself.
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createRoute, z } from '@hono/zod-openapi';
import { MEDIA_MAX_BYTES, OWN_MEDIA_CONTENT_TYPES, ownMediaUri } from '@acog/api';
import type { ArtifactServer } from '../../artifacts/server.ts';
import { can } from '../../auth/authorizer.ts';
import { API, episodeOr404, routeGroup, type GatewayDeps } from '../context.ts';
import { badRequest, HttpError } from '../errors.ts';
import { MediaUploadQuerySchema, MediaUploadSchema, ObjectParams, errorResponses, jsonContent } from '../schemas.ts';

const ALLOWED = Object.keys(OWN_MEDIA_CONTENT_TYPES);

export function mediaRoutes(deps: GatewayDeps, artifacts: ArtifactServer) {
  const { cache, authorizer, log } = deps;
  const routes = routeGroup();
  routes.openapi(
    createRoute({
      method: 'post',
      path: `${API}/namespaces/{namespace}/episodes/{name}/media`,
      summary: `Upload a clip or image for spec.media (the raw file as the body, Content-Type one of ${ALLOWED.join(', ')}; at most ${MEDIA_MAX_BYTES} bytes)`,
      security: [{ bearer: [] }],
      request: {
        params: ObjectParams,
        query: MediaUploadQuerySchema,
        body: {
          content: Object.fromEntries(ALLOWED.map((type) => [type, { schema: z.any().openapi({ type: 'string', format: 'binary' }) }])),
          required: true,
        },
      },
      responses: {
        201: jsonContent(MediaUploadSchema, 'Stored: the URI to put in spec.media[].uri'),
        404: jsonContent(z.any(), 'No such episode'),
        415: jsonContent(z.any(), 'Not a video clip or image type the pipeline takes'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { namespace, name } = c.req.valid('param');
      const { filename } = c.req.valid('query');
      const user = c.get('user');
      await authorizer.require(user, can.patchEpisode(namespace, name));
      const episode = episodeOr404(cache, namespace, name);
      const contentType = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
      if (!OWN_MEDIA_CONTENT_TYPES[contentType])
        throw new HttpError(
          415,
          'UnsupportedMediaType',
          `Content-Type ${contentType || '(none)'} is not taken: upload a video clip or an image as one of ${ALLOWED.join(', ')}`,
        );
      const body = c.req.raw.body;
      if (!body || c.req.header('content-length') === '0')
        throw badRequest('body: empty: send the file as the request body', [{ field: '(body)', message: 'empty' }]);
      const uri = ownMediaUri(namespace, { name, uid: episode.metadata.uid! }, filename ?? '', contentType);
      let bytes = 0;
      const stream = Readable.fromWeb(body as WebReadableStream<Uint8Array>);
      stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
      await artifacts.receive(uri, stream, contentType);
      if (bytes === 0) throw badRequest('body: empty: send the file as the request body', [{ field: '(body)', message: 'empty' }]);
      log.info({ namespace, episode: name, user: user.username, uri, bytes }, 'own media uploaded');
      return c.json({ uri, contentType, bytes }, 201);
    },
  );
  return routes;
}
