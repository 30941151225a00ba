import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exampleChannel, exampleEpisode, MemoryState } from '../testing.ts';
import { ProviderConfigError, type ProviderContext } from '../types.ts';
import { createFolderPublisher, resolveDestination, type PublishedMetadata } from './folder.ts';
import { createPublisher } from './index.ts';
import type { PublishRequest } from './types.ts';

const channel = exampleChannel();
const episodeSpec = exampleEpisode();

let dir: string;
let request: PublishRequest;
let logs: string[];

function context(): ProviderContext {
  return {
    workdir: join(dir, 'work'),
    channel,
    episode: { name: 'how-indexes-work', namespace: 'shows', uid: 'uid-1', spec: episodeSpec },
    env: {},
    log: (line) => logs.push(line),
    state: new MemoryState(),
    namespaceState: new MemoryState(),
  };
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'acog-folder-'));
  logs = [];
  const files = {
    video: join(dir, 'final.mp4'),
    thumbnail: join(dir, 'thumb.jpg'),
    captionsSrt: join(dir, 'captions.srt'),
    captionsVtt: join(dir, 'captions.vtt'),
  };
  await writeFile(files.video, 'video bytes');
  await writeFile(files.thumbnail, 'jpeg bytes');
  await writeFile(files.captionsSrt, '1\n00:00:00,000 --> 00:00:02,000\nHello\n');
  await writeFile(files.captionsVtt, 'WEBVTT\n\n00:00.000 --> 00:02.000\nHello\n');
  request = {
    files,
    metadata: {
      title: 'How database indexes really work',
      description: 'A slow query, a B-tree and the cost of indexes.',
      tags: ['postgres', 'database index'],
      chapters: [
        { beatId: 'beat-1', title: 'The slow query' },
        { beatId: 'beat-2', title: 'What a B-tree stores' },
        { beatId: 'beat-3', title: 'The cost on writes' },
      ],
      thumbnailText: 'Indexes',
      language: 'en',
    },
    chapterStarts: [0, 18.5, 40],
    attributions: ['Video by Jane Doe from Pexels'],
  };
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('folder publisher', () => {
  it('copies the files and a metadata.json with the full description into the default folder', async () => {
    const target = join(dir, 'out', 'published', 'shows', 'how-indexes-work');
    const publisher = createPublisher(undefined, { defaultDestination: `${target}/` });
    expect(publisher.name).toBe('folder');
    const produced = await publisher.publish(context(), request);

    expect(produced.value).toEqual({
      provider: 'folder',
      id: pathToFileURL(`${target}/`).href,
      url: pathToFileURL(join(target, 'video.mp4')).href,
      privacy: 'public',
      publishAt: '2026-12-07T09:00:00Z',
    });
    expect(produced.costUSD).toBe(0);
    expect((await readdir(target)).sort()).toEqual(['captions.srt', 'captions.vtt', 'metadata.json', 'thumbnail.jpg', 'video.mp4']);
    expect(await readFile(join(target, 'video.mp4'), 'utf8')).toBe('video bytes');
    expect(await readFile(join(target, 'thumbnail.jpg'), 'utf8')).toBe('jpeg bytes');

    const metadata = JSON.parse(await readFile(join(target, 'metadata.json'), 'utf8')) as PublishedMetadata;
    expect(metadata.title).toBe('How database indexes really work');
    expect(metadata.description).toContain('Chapters:\n0:00 The slow query\n0:18 What a B-tree stores\n0:40 The cost on writes');
    expect(metadata.description).toContain('Credits:\nVideo by Jane Doe from Pexels');
    expect(metadata.description).toContain(
      'Sources:\nPostgreSQL documentation, Indexes: https://www.postgresql.org/docs/current/indexes.html',
    );
    expect(metadata).toMatchObject({
      categoryId: '27',
      language: 'en',
      privacy: 'public',
      publishAt: '2026-12-07T09:00:00Z',
      madeForKids: false,
      containsSyntheticMedia: true,
      episode: { namespace: 'shows', name: 'how-indexes-work', uid: 'uid-1' },
      files: {
        video: 'video.mp4',
        thumbnail: 'thumbnail.jpg',
        captionsSrt: 'captions.srt',
        captionsVtt: 'captions.vtt',
        metadata: 'metadata.json',
      },
    });
    expect(metadata.chapters.map((chapter) => chapter.timestamp)).toEqual(['0:00', '0:18', '0:40']);
  });

  it('overwrites the same files when run again', async () => {
    const target = join(dir, 'published');
    const publisher = createFolderPublisher(undefined, { defaultDestination: pathToFileURL(target).href });
    const first = await publisher.publish(context(), request);
    await writeFile(request.files.video, 'a re-rendered video');
    const second = await publisher.publish(context(), { ...request, metadata: { ...request.metadata, title: 'A better title' } });

    expect(second.value).toEqual(first.value);
    expect((await readdir(target)).sort()).toEqual(['captions.srt', 'captions.vtt', 'metadata.json', 'thumbnail.jpg', 'video.mp4']);
    expect(await readFile(join(target, 'video.mp4'), 'utf8')).toBe('a re-rendered video');
    expect((JSON.parse(await readFile(join(target, 'metadata.json'), 'utf8')) as PublishedMetadata).title).toBe('A better title');
  });

  it("publishes each episode into its own folder below the Channel's destination", async () => {
    const destination = pathToFileURL(join(dir, 'shared')).href;
    const publisher = createPublisher({ provider: 'folder', destination }, { defaultDestination: join(dir, 'unused') });
    const produced = await publisher.publish(context(), request);
    const target = join(dir, 'shared', 'shows', 'how-indexes-work');
    expect(produced.value.id).toBe(pathToFileURL(`${target}/`).href);
    expect(await readFile(join(target, 'captions.srt'), 'utf8')).toContain('Hello');
  });

  it('hands every file to putFile for an s3:// prefix', async () => {
    const stored: Record<string, string> = {};
    const putFile = async (uri: string, path: string) => void (stored[uri] = await readFile(path, 'utf8'));
    const publisher = createPublisher(
      { provider: 'folder', destination: 's3://acog-assets/published' },
      { defaultDestination: join(dir, 'unused'), putFile },
    );
    const produced = await publisher.publish(context(), request);

    const prefix = 's3://acog-assets/published/shows/how-indexes-work/';
    expect(produced.value).toMatchObject({ provider: 'folder', id: prefix, url: `${prefix}video.mp4` });
    expect(Object.keys(stored).sort()).toEqual(
      ['captions.srt', 'captions.vtt', 'metadata.json', 'thumbnail.jpg', 'video.mp4'].map((name) => prefix + name),
    );
    expect(stored[`${prefix}video.mp4`]).toBe('video bytes');
    expect((JSON.parse(stored[`${prefix}metadata.json`]) as PublishedMetadata).description).toContain('0:40 The cost on writes');
  });

  it('asks checkDestination about the resolved destination before writing anything', async () => {
    const asked: string[] = [];
    const checkDestination = (uri: string) => {
      asked.push(uri);
      throw new Error(`${uri} is outside this namespace's prefix`);
    };
    const folder = createFolderPublisher(
      { provider: 'folder', destination: pathToFileURL(join(dir, 'out')).href },
      { defaultDestination: join(dir, 'unused'), checkDestination },
    );
    await expect(folder.publish(context(), request)).rejects.toThrow(/is outside this namespace's prefix/);
    const stored: string[] = [];
    const bucket = createFolderPublisher(
      { provider: 'folder', destination: 's3://acog-assets/team-b' },
      { defaultDestination: join(dir, 'unused'), checkDestination, putFile: async (uri) => void stored.push(uri) },
    );
    await expect(bucket.publish(context(), request)).rejects.toThrow(/is outside/);
    expect(asked).toEqual([
      pathToFileURL(join(dir, 'out', 'shows', 'how-indexes-work')).href + '/',
      's3://acog-assets/team-b/shows/how-indexes-work/',
    ]);
    expect(stored).toEqual([]);
    expect(await readdir(dir)).not.toContain('out');
  });

  it('says so when an s3:// destination has no way to store files', async () => {
    const publisher = createFolderPublisher(undefined, { defaultDestination: 's3://acog-assets/published/shows/how-indexes-work/' });
    await expect(publisher.publish(context(), request)).rejects.toThrow(ProviderConfigError);
  });

  it('resolves destinations', () => {
    const episode = { namespace: 'shows', name: 'ep' };
    expect(resolveDestination({ provider: 'folder', destination: 's3://bucket/prefix/' }, episode, '/x')).toEqual({
      kind: 's3',
      prefix: 's3://bucket/prefix/shows/ep/',
    });
    expect(resolveDestination(undefined, episode, 's3://acog-assets/published/shows/ep')).toEqual({
      kind: 's3',
      prefix: 's3://acog-assets/published/shows/ep/',
    });
    expect(resolveDestination({ provider: 'folder', destination: 'file:///srv/videos' }, episode, '/x')).toEqual({
      kind: 'folder',
      path: '/srv/videos/shows/ep',
    });
    expect(() => resolveDestination(undefined, episode, 'https://example.com/')).toThrow(ProviderConfigError);
  });
});
