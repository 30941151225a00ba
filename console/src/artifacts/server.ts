// Artifacts from S3 to the browser: streamed with HTTP Range (a video player seeks with it), or a
// redirect to a presigned URL. Only URIs the Episode's status lists, inside the episode's own
// prefix and the stage's bucket (routes/artifacts.ts), reach here. What a runner wrote is served
// in the console's origin, so its type decides how: the media the console shows (and captions)
// inline, JSON as a download, anything else as an attachment of application/octet-stream; always
// with nosniff and a Content-Security-Policy with sandbox, so that no artifact runs as a page.
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Readable } from 'node:stream';
import type { S3ArtifactStore } from '@acog/store/s3';
import { contentTypeOf, parseArtifactUri } from '@acog/store';
import { HttpError, notFound } from '../http/errors.ts';
import { ARTIFACT_CONTENT_SECURITY_POLICY } from '../http/security-headers.ts';
import { parseRange } from './range.ts';

/** Shown in the console's origin as they are: the video, its audio, thumbnails and captions. */
export function servedInline(type: string): boolean {
  return (
    type === 'video/mp4' ||
    /^audio\/[a-z0-9][a-z0-9.+-]*$/.test(type) ||
    ['image/png', 'image/jpeg', 'text/vtt', 'application/x-subrip'].includes(type)
  );
}

/** How an artifact of a stored (or, when it has none, guessed) type is served: its type and disposition. */
export function presentation(storedType: string | undefined, file: string, download: boolean): { type: string; disposition: string } {
  const base = (type: string) => type.split(';')[0].trim().toLowerCase();
  const stored = storedType && !['application/octet-stream', 'binary/octet-stream', ''].includes(base(storedType)) ? storedType : undefined;
  const full = stored ?? contentTypeOf(file);
  const type = base(full);
  const name = file.replace(/[^\w.-]/g, '_') || 'artifact';
  if (servedInline(type)) return { type: full, disposition: `${download ? 'attachment' : 'inline'}; filename="${name}"` };
  if (type === 'application/json') return { type: 'application/json', disposition: `attachment; filename="${name}"` };
  return { type: 'application/octet-stream', disposition: `attachment; filename="${name}"` };
}

export class ArtifactServer {
  private readonly store: S3ArtifactStore;
  private readonly presignSeconds: number;

  constructor(store: S3ArtifactStore, options: { presignSeconds?: number } = {}) {
    this.store = store;
    this.presignSeconds = options.presignSeconds ?? 300;
  }

  /** Stores an upload (an Episode's own media) as it streams in; the caller decides the URI. */
  async receive(uri: string, body: Readable, contentType: string): Promise<void> {
    await this.store.putStream(uri, body, contentType);
  }

  /** Whether an artifact is still in object storage (a Channel's retention may have deleted it). */
  async exists(uri: string): Promise<boolean> {
    const parsed = parseArtifactUri(uri);
    return parsed.scheme === 's3' && this.store.exists(uri);
  }

  async serve(request: Request, uri: string, options: { download?: boolean; redirect?: boolean } = {}): Promise<Response> {
    const parsed = parseArtifactUri(uri);
    if (parsed.scheme !== 's3') throw notFound(`artifact ${uri} is not in S3`);
    const location = { Bucket: parsed.bucket, Key: parsed.key };
    const file = parsed.key.slice(parsed.key.lastIndexOf('/') + 1);
    let head;
    try {
      head = await this.store.client.send(new HeadObjectCommand(location));
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404) throw notFound(`artifact ${file} is listed but not in S3 (deleted?)`);
      throw error;
    }
    const { type, disposition } = presentation(head.ContentType, file, Boolean(options.download));
    if (options.redirect) {
      const url = await getSignedUrl(
        this.store.client,
        new GetObjectCommand({ ...location, ResponseContentDisposition: disposition, ResponseContentType: type }),
        { expiresIn: this.presignSeconds },
      );
      return new Response(null, { status: 302, headers: { location: url, 'cache-control': 'no-store' } });
    }
    const size = head.ContentLength ?? 0;
    const etag = head.ETag;
    const headers: Record<string, string> = {
      'accept-ranges': 'bytes',
      'content-type': type,
      'content-disposition': disposition,
      'cache-control': 'private, max-age=300',
      'x-content-type-options': 'nosniff',
      'content-security-policy': ARTIFACT_CONTENT_SECURITY_POLICY,
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
