// One behaviour, two stores: the same tests run against the local disk and the real S3 server.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localEnv, uniqueName } from '../../test/support/env.ts';
import { LocalArtifactStore } from './local.ts';
import { S3ArtifactStore } from './s3.ts';
import { ArtifactNotFoundError, type ArtifactStore } from './types.ts';
import { parseArtifactUri } from './uri.ts';

function s3Store(): S3ArtifactStore {
  const { s3 } = localEnv();
  return new S3ArtifactStore({
    endpoint: s3.endpoint,
    region: s3.region,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    partSizeBytes: 5 * 1024 * 1024,
  });
}

const stores: [string, () => Promise<ArtifactStore>][] = [
  ['local disk', async () => new LocalArtifactStore(await mkdtemp(join(tmpdir(), 'acog-store-')))],
  ['S3', async () => s3Store()],
];

describe.each(stores)('%s artifact store', (_name, makeStore) => {
  it('round-trips bytes and files, multipart for a large file', async () => {
    const store = await makeStore();
    const prefix = uniqueName('ep');
    const small = store.uri('acog-scripts', `${prefix}/plan/1/plan.json`);
    await store.putBytes(small, JSON.stringify({ title: 'x' }));
    expect(JSON.parse((await store.getBytes(small)).toString())).toEqual({ title: 'x' });

    const dir = await mkdtemp(join(tmpdir(), 'acog-file-'));
    const big = join(dir, 'video.mp4');
    const content = randomBytes(12 * 1024 * 1024 + 123);
    await writeFile(big, content);
    const bigUri = store.uri('acog-assets', `${prefix}/assemble/1/video.mp4`);
    await store.putFile(bigUri, big);
    await store.getFile(bigUri, join(dir, 'copy.mp4'));
    expect((await readFile(join(dir, 'copy.mp4'))).equals(content)).toBe(true);
  });

  it('lists and deletes by prefix, and says when something is missing', async () => {
    const store = await makeStore();
    const prefix = uniqueName('ep');
    for (const stage of ['plan', 'script']) await store.putBytes(store.uri('acog-scripts', `${prefix}/${stage}/1/result.json`), '{}');
    const listed = await store.list(store.uri('acog-scripts', `${prefix}/`));
    expect(listed).toEqual([
      store.uri('acog-scripts', `${prefix}/plan/1/result.json`),
      store.uri('acog-scripts', `${prefix}/script/1/result.json`),
    ]);
    expect(await store.exists(listed[0])).toBe(true);
    expect(await store.deletePrefix(store.uri('acog-scripts', `${prefix}/`))).toBe(2);
    expect(await store.exists(listed[0])).toBe(false);
    await expect(store.getBytes(listed[0])).rejects.toBeInstanceOf(ArtifactNotFoundError);
    await expect(store.getFile(listed[0], join(tmpdir(), uniqueName('missing')))).rejects.toThrow(/does not exist/);
  });
});

describe('parseArtifactUri', () => {
  it('reads s3 and file URIs and refuses anything else', () => {
    expect(parseArtifactUri('s3://acog-assets/ns/ep/uid/voice/1/narration.wav')).toEqual({
      scheme: 's3',
      bucket: 'acog-assets',
      key: 'ns/ep/uid/voice/1/narration.wav',
    });
    expect(parseArtifactUri('file:///tmp/out/a%20b.mp4')).toEqual({ scheme: 'file', bucket: '', key: '/tmp/out/a b.mp4' });
    expect(() => parseArtifactUri('https://example.com/x')).toThrow(/not an artifact URI/);
  });
});
