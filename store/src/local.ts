import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { ArtifactNotFoundError, type ArtifactStore } from './types.ts';
import { parseArtifactUri } from './uri.ts';

/** Artifacts on the local disk, laid out as <root>/<bucket>/<key>. */
export class LocalArtifactStore implements ArtifactStore {
  readonly root: string;
  constructor(root: string) {
    this.root = resolve(root);
  }

  uri(bucket: string, key: string): string {
    return pathToFileURL(join(this.root, bucket, key)).href;
  }

  private path(uri: string): string {
    const parsed = parseArtifactUri(uri);
    if (parsed.scheme !== 'file') throw new Error(`the local artifact store cannot reach ${uri}`);
    return parsed.key;
  }

  private async atomicWrite(target: string, write: (partial: string) => Promise<void>): Promise<void> {
    await mkdir(dirname(target), { recursive: true });
    const partial = `${target}.partial-${process.pid}`;
    await write(partial);
    await rename(partial, target);
  }

  async putFile(uri: string, path: string): Promise<void> {
    await this.atomicWrite(this.path(uri), (partial) => copyFile(path, partial));
  }

  async putBytes(uri: string, body: string | Uint8Array): Promise<void> {
    await this.atomicWrite(this.path(uri), (partial) => writeFile(partial, body));
  }

  async getFile(uri: string, path: string): Promise<void> {
    await this.must(uri);
    await this.atomicWrite(path, (partial) => copyFile(this.path(uri), partial));
  }

  async getBytes(uri: string): Promise<Buffer> {
    await this.must(uri);
    return readFile(this.path(uri));
  }

  async getStream(uri: string): Promise<Readable> {
    await this.must(uri);
    return createReadStream(this.path(uri));
  }

  async exists(uri: string): Promise<boolean> {
    return stat(this.path(uri)).then(
      (s) => s.isFile(),
      () => false,
    );
  }

  private async must(uri: string): Promise<void> {
    if (!(await this.exists(uri))) throw new ArtifactNotFoundError(uri);
  }

  async list(prefixUri: string): Promise<string[]> {
    const prefix = this.path(prefixUri);
    const base = prefix.endsWith('/') ? prefix : dirname(prefix);
    const entries = await readdir(base, { recursive: true, withFileTypes: true }).catch(() => []);
    return entries
      .filter((entry) => entry.isFile() && !entry.name.includes('.partial-'))
      .map((entry) => join(entry.parentPath, entry.name))
      .filter((path) => path.startsWith(prefix))
      .sort()
      .map((path) => pathToFileURL(path).href);
  }

  async deletePrefix(prefixUri: string): Promise<number> {
    const uris = await this.list(prefixUri);
    for (const uri of uris) await rm(this.path(uri), { force: true });
    return uris.length;
  }
}
