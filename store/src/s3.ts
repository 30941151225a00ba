import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { contentTypeOf } from './content-types.ts';
import { ArtifactNotFoundError, type ArtifactStore } from './types.ts';
import { parseArtifactUri } from './uri.ts';

export interface S3StoreOptions {
  endpoint?: string;
  region?: string;
  /** Path-style addressing, which MinIO and most self-hosted S3 servers need. */
  forcePathStyle?: boolean;
  credentials?: S3ClientConfig['credentials'];
  /** Multipart part size; S3's minimum is 5 MiB. */
  partSizeBytes?: number;
}

/** Configuration from the environment, as the operator gives it to runner Jobs. */
export function s3OptionsFromEnv(env: Record<string, string | undefined> = process.env): S3StoreOptions {
  return {
    endpoint: env.ACOG_S3_ENDPOINT || undefined,
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    forcePathStyle: env.ACOG_S3_FORCE_PATH_STYLE ? env.ACOG_S3_FORCE_PATH_STYLE === 'true' : Boolean(env.ACOG_S3_ENDPOINT),
  };
}

export class S3ArtifactStore implements ArtifactStore {
  readonly client: S3Client;
  private readonly partSize: number;

  constructor(options: S3StoreOptions = {}) {
    this.client = new S3Client({
      endpoint: options.endpoint,
      region: options.region ?? 'us-east-1',
      forcePathStyle: options.forcePathStyle ?? Boolean(options.endpoint),
      credentials: options.credentials,
    });
    this.partSize = options.partSizeBytes ?? 16 * 1024 * 1024;
  }

  uri(bucket: string, key: string): string {
    return `s3://${bucket}/${key}`;
  }

  private location(uri: string): { Bucket: string; Key: string } {
    const parsed = parseArtifactUri(uri);
    if (parsed.scheme !== 's3') throw new Error(`the S3 artifact store cannot reach ${uri}`);
    return { Bucket: parsed.bucket, Key: parsed.key };
  }

  private async upload(uri: string, body: Readable | string | Uint8Array, contentType: string): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { ...this.location(uri), Body: body, ContentType: contentType },
      partSize: this.partSize,
      queueSize: 2,
      leavePartsOnError: false,
    });
    await upload.done();
  }

  async putFile(uri: string, path: string, contentType = contentTypeOf(path)): Promise<void> {
    await this.upload(uri, createReadStream(path), contentType);
  }

  /** Stores a stream as it arrives (an upload through the gateway), in parts: never whole in memory. */
  async putStream(uri: string, body: Readable, contentType: string): Promise<void> {
    await this.upload(uri, body, contentType);
  }

  async putBytes(uri: string, body: string | Uint8Array, contentType = contentTypeOf(uri)): Promise<void> {
    await this.upload(uri, body, contentType);
  }

  async getStream(uri: string): Promise<Readable> {
    try {
      const response = await this.client.send(new GetObjectCommand(this.location(uri)));
      return response.Body as Readable;
    } catch (error) {
      if (error instanceof NoSuchKey || error instanceof NotFound) throw new ArtifactNotFoundError(uri);
      throw error;
    }
  }

  async getFile(uri: string, path: string): Promise<void> {
    const body = await this.getStream(uri);
    await mkdir(dirname(path), { recursive: true });
    const partial = `${path}.partial-${process.pid}`;
    try {
      await pipeline(body, createWriteStream(partial));
      await rename(partial, path);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  }

  async getBytes(uri: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.getStream(uri)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async exists(uri: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand(this.location(uri)));
      return true;
    } catch (error) {
      if (error instanceof NotFound || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
        return false;
      throw error;
    }
  }

  async list(prefixUri: string): Promise<string[]> {
    const { Bucket, Key: Prefix } = this.location(prefixUri);
    const uris: string[] = [];
    let ContinuationToken: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket, Prefix, ContinuationToken }));
      for (const object of page.Contents ?? []) if (object.Key) uris.push(this.uri(Bucket, object.Key));
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
    return uris.sort();
  }

  async deletePrefix(prefixUri: string): Promise<number> {
    const { Bucket } = this.location(prefixUri);
    const uris = await this.list(prefixUri);
    for (let i = 0; i < uris.length; i += 1000) {
      const Objects = uris.slice(i, i + 1000).map((uri) => ({ Key: this.location(uri).Key }));
      await this.client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects, Quiet: true } }));
    }
    return uris.length;
  }
}
