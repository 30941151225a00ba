// One artifact store interface; S3 in a cluster, the local disk for `kubectl acog render`.
// Artifacts are named by URI (uri.ts): s3://bucket/key or file:///absolute/path.
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
