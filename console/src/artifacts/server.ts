// Artifacts from S3 to the browser: streamed with HTTP Range (a video player seeks with it), or a
// redirect to a presigned URL. Only URIs the Episode's status lists reach here.
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Readable } from 'node:stream';
import type { S3ArtifactStore } from '@acog/store/s3';
import { contentTypeOf, parseArtifactUri } from '@acog/store';
import { HttpError, notFound } from '../http/errors.ts';
import { parseRange } from './range.ts';

export class ArtifactServer {
  private readonly store: S3ArtifactStore;
  private readonly presignSeconds: number;

  constructor(store: S3ArtifactStore, options: { presignSeconds?: number } = {}) {
    this.store = store;
    this.presignSeconds = options.presignSeconds ?? 300;
  }

  async serve(request: Request, uri: string, options: { download?: boolean; redirect?: boolean } = {}): Promise<Response> {
    const parsed = parseArtifactUri(uri);
    if (parsed.scheme !== 's3') throw notFound(`artifact ${uri} is not in S3`);
    const location = { Bucket: parsed.bucket, Key: parsed.key };
    const file = parsed.key.slice(parsed.key.lastIndexOf('/') + 1);
    const disposition = `${options.download ? 'attachment' : 'inline'}; filename="${file.replace(/"/g, '')}"`;
    if (options.redirect) {
      const url = await getSignedUrl(this.store.client, new GetObjectCommand({ ...location, ResponseContentDisposition: disposition }), {
        expiresIn: this.presignSeconds,
      });
      return new Response(null, { status: 302, headers: { location: url, 'cache-control': 'no-store' } });
    }
    let head;
    try {
      head = await this.store.client.send(new HeadObjectCommand(location));
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404) throw notFound(`artifact ${file} is listed but not in S3 (deleted?)`);
      throw error;
    }
    const size = head.ContentLength ?? 0;
    const etag = head.ETag;
    const headers: Record<string, string> = {
      'accept-ranges': 'bytes',
      'content-type': head.ContentType && head.ContentType !== 'application/octet-stream' ? head.ContentType : contentTypeOf(file),
      'content-disposition': disposition,
      'cache-control': 'private, max-age=300',
    };
    if (etag) headers.etag = etag;
    const ifRange = request.headers.get('if-range');
    const rangeHeader = ifRange && etag && ifRange !== etag ? undefined : (request.headers.get('range') ?? undefined);
    const range = parseRange(rangeHeader, size);
    if (range.kind === 'unsatisfiable') {
      return new Response(null, { status: 416, headers: { ...headers, 'content-range': `bytes */${size}` } });
    }
    if (request.method === 'HEAD') {
      return new Response(null, { status: 200, headers: { ...headers, 'content-length': String(size) } });
    }
    const object = await this.store.client.send(
      new GetObjectCommand({ ...location, Range: range.kind === 'range' ? `bytes=${range.start}-${range.end}` : undefined, IfMatch: etag }),
    );
    const body = object.Body as Readable | undefined;
    if (!body) throw new HttpError(502, 'BadGateway', `S3 returned no body for ${file}`);
    const web = Readable.toWeb(body) as ReadableStream;
    if (range.kind === 'range') {
      return new Response(web, {
        status: 206,
        headers: {
          ...headers,
          'content-range': `bytes ${range.start}-${range.end}/${size}`,
          'content-length': String(range.end - range.start + 1),
        },
      });
    }
    return new Response(web, { status: 200, headers: { ...headers, 'content-length': String(size) } });
  }
}
