// The offline publisher: copies the video, thumbnail, captions and a metadata.json (with the full
// description) into a folder or an s3:// prefix. Re-running writes the same files again, so a repeated
// stage leaves one publication, not two.
import { copyFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { PublisherProvider } from '@acog/api';
import type { Publication } from '../../contract/documents.ts';
import { ProviderConfigError, type Produced, type ProviderContext } from '../types.ts';
import { requestDescription, youtubeTags, youtubeTitle, type ChapterLine } from './description.ts';
import type { PublishRequest, Publisher } from './types.ts';

export interface FolderPublisherOptions {
  /**
   * Where this episode is published when the Channel names no destination: a folder (a path or a
   * file:// URL) or an s3:// prefix, used as it is.
   */
  defaultDestination: string;
  /** Stores one local file at an s3:// URI (the runner's artifact store); needed for s3:// destinations. */
  putFile?: (uri: string, path: string) => Promise<void>;
  /**
   * Throws when the episode may not publish to this destination (an s3:// prefix, or a folder as a
   * file:// URL ending in /); called before anything is written. The stage checks it against
   * artifactScopeDecision: the namespace's own prefix, or a local folder in a render.
   */
  checkDestination?: (uri: string) => void;
}

/** What metadata.json holds: everything a person needs to publish the files by hand. */
export interface PublishedMetadata {
  title: string;
  description: string;
  tags: string[];
  language: string;
  categoryId: string;
  privacy: string;
  publishAt?: string;
  madeForKids: boolean;
  containsSyntheticMedia: boolean;
  chapters: ChapterLine[];
  chaptersOmitted?: string;
  attributions: string[];
  references: { title?: string; url: string }[];
  playlistIds: string[];
  episode: { namespace: string; name: string; uid: string };
  files: { video: string; thumbnail: string; captionsSrt: string; captionsVtt: string; metadata: string };
}

export type Destination = { kind: 'folder'; path: string } | { kind: 's3'; prefix: string };

/**
 * Where the files go. A Channel's destination is shared by its episodes, so each episode gets
 * `<namespace>/<episode>/` below it; the default destination is already the episode's own.
 */
export function resolveDestination(
  spec: PublisherProvider | undefined,
  episode: { namespace: string; name: string },
  defaultDestination: string,
): Destination {
  const base = spec?.destination ? `${spec.destination.replace(/\/*$/, '')}/${episode.namespace}/${episode.name}/` : defaultDestination;
  if (base.startsWith('s3://')) return { kind: 's3', prefix: base.replace(/\/*$/, '/') };
  if (base.startsWith('file://')) return { kind: 'folder', path: resolve(fileURLToPath(base)) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(base))
    throw new ProviderConfigError(`the folder publisher writes to file:// or s3:// destinations, not ${base}`);
  return { kind: 'folder', path: resolve(base) };
}

export function publishedFileNames(files: PublishRequest['files']): PublishedMetadata['files'] {
  return {
    video: `video${extname(files.video) || '.mp4'}`,
    thumbnail: `thumbnail${extname(files.thumbnail) || '.jpg'}`,
    captionsSrt: 'captions.srt',
    captionsVtt: 'captions.vtt',
    metadata: 'metadata.json',
  };
}

export function publishedMetadata(
  ctx: Pick<ProviderContext, 'episode'>,
  spec: PublisherProvider | undefined,
  request: PublishRequest,
): PublishedMetadata {
  const episode = ctx.episode.spec;
  const description = requestDescription(request, episode.references);
  const publishAt = episode.publish?.at;
  return {
    title: youtubeTitle(request.metadata.title),
    description: description.text,
    tags: youtubeTags(request.metadata.tags),
    language: request.metadata.language,
    categoryId: spec?.categoryId ?? '27',
    privacy: episode.publish?.privacy ?? 'private',
    ...(publishAt ? { publishAt } : {}),
    madeForKids: spec?.madeForKids ?? false,
    containsSyntheticMedia: spec?.containsSyntheticMedia ?? true,
    chapters: description.chapters,
    ...(description.chaptersOmitted ? { chaptersOmitted: description.chaptersOmitted } : {}),
    attributions: request.attributions,
    references: episode.references ?? [],
    playlistIds: episode.publish?.playlistIds ?? [],
    episode: { namespace: ctx.episode.namespace, name: ctx.episode.name, uid: ctx.episode.uid },
    files: publishedFileNames(request.files),
  };
}

/** Copies through a temporary name, so a reader never sees half a file. */
async function copyInto(source: string, target: string): Promise<void> {
  const partial = `${target}.partial`;
  try {
    await copyFile(source, partial);
    await rename(partial, target);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}

export class FolderPublisher implements Publisher {
  readonly name = 'folder';
  readonly spec: PublisherProvider | undefined;
  readonly options: FolderPublisherOptions;

  constructor(spec: PublisherProvider | undefined, options: FolderPublisherOptions) {
    this.spec = spec;
    this.options = options;
  }

  async publish(ctx: ProviderContext, request: PublishRequest): Promise<Produced<Publication>> {
    const destination = resolveDestination(this.spec, ctx.episode, this.options.defaultDestination);
    this.options.checkDestination?.(destination.kind === 's3' ? destination.prefix : pathToFileURL(destination.path + '/').href);
    const metadata = publishedMetadata(ctx, this.spec, request);
    const names = metadata.files;
    const metadataFile = join(ctx.workdir, 'published-metadata.json');
    await mkdir(ctx.workdir, { recursive: true });
    await writeFile(metadataFile, JSON.stringify(metadata, null, 2) + '\n');
    const copies: [source: string, name: string][] = [
      [request.files.video, names.video],
      [request.files.thumbnail, names.thumbnail],
      [request.files.captionsSrt, names.captionsSrt],
      [request.files.captionsVtt, names.captionsVtt],
      [metadataFile, names.metadata],
    ];

    let id: string;
    let videoUrl: string;
    if (destination.kind === 's3') {
      const putFile = this.options.putFile;
      if (!putFile)
        throw new ProviderConfigError(
          `the folder publisher cannot write to ${destination.prefix}: the runner gave it no way to store files in S3`,
        );
      for (const [source, name] of copies) await putFile(`${destination.prefix}${name}`, source);
      id = destination.prefix;
      videoUrl = `${destination.prefix}${names.video}`;
    } else {
      await mkdir(destination.path, { recursive: true });
      for (const [source, name] of copies) await copyInto(source, join(destination.path, name));
      id = pathToFileURL(destination.path + '/').href;
      videoUrl = pathToFileURL(join(destination.path, names.video)).href;
    }
    ctx.log(`folder publisher: published ${metadata.title} to ${id}`);
    return {
      value: {
        provider: 'folder',
        id,
        url: videoUrl,
        privacy: metadata.privacy,
        ...(metadata.publishAt ? { publishAt: metadata.publishAt } : {}),
      },
      usage: {},
      costUSD: 0,
    };
  }
}

export function createFolderPublisher(spec: PublisherProvider | undefined, options: FolderPublisherOptions): Publisher {
  return new FolderPublisher(spec, options);
}
