// The upload of an Episode's own media through the gateway (POST …/episodes/:name/media): streamed
// into the episode's own prefix in S3 and answered with the s3:// URI for spec.media; refused for a
// type the pipeline does not take, for a body over the limit, and for a user who may not patch the
// Episode (issue #17).
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEDIA_MAX_BYTES, ownMediaPrefix } from '@acog/api';
import type { Gateway } from '@acog/console';
import { S3ArtifactStore } from '@acog/store/s3';
import { localEnv, uniqueName } from '../support/env.ts';
import { prepareNamespace } from '../support/operator.ts';
import { apply, testChannel, testEpisode } from '../support/pipeline-objects.ts';
import { eventually, startTestGateway, token } from './support.ts';

const namespace = uniqueName('console-media');
const episodeName = 'tides';
let gateway: Gateway;
let store: S3ArtifactStore;
const path = `/api/v1/namespaces/${namespace}/episodes/${episodeName}/media`;
// A 1x1 PNG.
const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

async function upload(user: 'admin' | 'editor' | 'viewer', body: Buffer, contentType: string, query = '') {
  const response = await fetch(`${gateway.url}${path}${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token(user)}`, 'x-acog-console': '1', 'content-type': contentType },
    body: new Uint8Array(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> & { error?: { message: string } } };
}

beforeAll(async () => {
  await prepareNamespace(namespace);
  await apply(namespace, await testChannel('science'));
  await apply(namespace, await testEpisode(episodeName, 'science'));
  gateway = await startTestGateway();
  await eventually('the episode in the cache', () => gateway.cache.episode(namespace, episodeName));
  const { s3 } = localEnv();
  store = new S3ArtifactStore({
    endpoint: s3.endpoint,
    region: s3.region,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
}, 120_000);

afterAll(async () => {
  await gateway?.stop();
});

describe('POST /namespaces/:ns/episodes/:name/media', () => {
  it("stores the file under the episode's own prefix and answers the URI for spec.media", async () => {
    const answer = await upload('admin', png, 'image/png', '?filename=Harbour%20at%20dawn.PNG');
    expect(answer.status).toBe(201);
    const uid = gateway.cache.episode(namespace, episodeName)!.metadata.uid!;
    const uri = answer.body.uri as string;
    expect(uri.startsWith(ownMediaPrefix(namespace, { name: episodeName, uid }))).toBe(true);
    expect(uri).toMatch(/\/[0-9a-f]{8}-Harbour-at-dawn\.png$/);
    expect(answer.body).toMatchObject({ contentType: 'image/png', bytes: png.length });
    expect(Buffer.from(await store.getBytes(uri))).toEqual(png);
    // Two uploads of the same name never overwrite each other.
    const again = await upload('admin', png, 'image/png', '?filename=Harbour%20at%20dawn.PNG');
    expect(again.body.uri).not.toBe(uri);
  });

  it('refuses a type the pipeline does not take, naming the types it takes', async () => {
    const answer = await upload('admin', Buffer.from('#!/bin/sh\n'), 'text/x-shellscript');
    expect(answer.status).toBe(415);
    expect(answer.body.error?.message).toBe(
      'Content-Type text/x-shellscript is not taken: upload a video clip or an image as one of video/mp4, video/quicktime, video/webm, video/x-matroska, image/png, image/jpeg, image/webp',
    );
  });

  it('refuses a user who may not patch the Episode', async () => {
    const answer = await upload('viewer', png, 'image/png');
    expect(answer.status).toBe(403);
  });

  it('refuses a body announced larger than the limit before reading it', async () => {
    const url = new URL(`${gateway.url}${path}`);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: {
            authorization: `Bearer ${token('admin')}`,
            'x-acog-console': '1',
            'content-type': 'video/mp4',
            'content-length': String(MEDIA_MAX_BYTES + 1),
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.write(Buffer.alloc(1024));
    });
    expect(status).toBe(413);
  });
});
