// One artifact store interface; S3 in a cluster, the local disk for `kubectl acog render`.
// Artifacts are named by URI: s3://bucket/key or file:///absolute/path.
import type { Readable } from 'node:stream';

export interface ArtifactStore {
  /** The URI of `key` in `bucket` (for the local store, a file under its root). */
  uri(bucket: string, key: string): string;
  /** Uploads a file, streaming it (multipart for large files on S3). */
  putFile(uri: string, path: string, contentType?: string): Promise<void>;
  putBytes(uri: string, body: string | Uint8Array, contentType?: string): Promise<void>;
  /** Downloads to a file; the file appears only once complete. */
  getFile(uri: string, path: string): Promise<void>;
  getBytes(uri: string): Promise<Buffer>;
  getStream(uri: string): Promise<Readable>;
  exists(uri: string): Promise<boolean>;
  /** URIs under a prefix, recursively. */
  list(prefixUri: string): Promise<string[]>;
  /** Deletes everything under a prefix; returns how many objects went. */
  deletePrefix(prefixUri: string): Promise<number>;
}

export class ArtifactNotFoundError extends Error {
  readonly uri: string;
  constructor(uri: string) {
    super(`artifact ${uri} does not exist`);
    this.name = 'ArtifactNotFoundError';
    this.uri = uri;
  }
}

export interface ParsedUri {
  scheme: 's3' | 'file';
  bucket: string;
  key: string;
}

export function parseArtifactUri(uri: string): ParsedUri {
  const s3 = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  if (s3) return { scheme: 's3', bucket: s3[1], key: s3[2] };
  const file = /^file:\/\/(\/.*)$/.exec(uri);
  if (file) return { scheme: 'file', bucket: '', key: decodeURIComponent(file[1]) };
  throw new Error(`not an artifact URI: ${JSON.stringify(uri)} (expected s3://bucket/key or file:///path)`);
}

export function contentTypeOf(path: string): string {
  const extension = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  const types: Record<string, string> = {
    json: 'application/json',
    mp4: 'video/mp4',
    wav: 'audio/wav',
    mp3: 'audio/mpeg',
    m4a: 'audio/mp4',
    png: 'image/png',
    jpg: 'image/jpeg',
    jpeg: 'image/jpeg',
    srt: 'application/x-subrip',
    vtt: 'text/vtt',
    ass: 'text/x-ssa',
    txt: 'text/plain; charset=utf-8',
  };
  return (extension && types[extension]) || 'application/octet-stream';
}
