// An Episode's own media (spec.media): where an upload goes, what may be uploaded and how big a
// file may be. Shared by the gateway's upload route and the B-roll stage that reads the files.
import { randomUUID } from 'node:crypto';
import { BUCKETS } from './stage-contract.ts';

/** The largest media file a stage downloads (spec.media, a Channel's images and music) or the gateway accepts. */
export const MEDIA_MAX_BYTES = 512 * 1024 * 1024;

/** Content types an upload may declare: video clips and still images that ffmpeg reads. */
export const OWN_MEDIA_CONTENT_TYPES: Readonly<Record<string, string>> = {
  'video/mp4': '.mp4',
  'video/quicktime': '.mov',
  'video/webm': '.webm',
  'video/x-matroska': '.mkv',
  'image/png': '.png',
  'image/jpeg': '.jpg',
  'image/webp': '.webp',
};

/** The folder of an Episode's uploads: inside the episode's own artifact prefix. */
export function ownMediaPrefix(namespace: string, episode: { name: string; uid: string }): string {
  return `s3://${BUCKETS.assets}/${namespace}/${episode.name}/${episode.uid}/media/`;
}

/**
 * Where an upload is stored: a fresh name (two uploads never overwrite each other) that keeps the
 * safe characters of the file's own name, with the extension of its content type.
 */
export function ownMediaUri(namespace: string, episode: { name: string; uid: string }, fileName: string, contentType: string): string {
  const extension = OWN_MEDIA_CONTENT_TYPES[contentType] ?? '';
  const stem =
    fileName
      .replace(/\.[^.]*$/, '')
      .replace(/[^A-Za-z0-9_-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'media';
  return `${ownMediaPrefix(namespace, episode)}${randomUUID().slice(0, 8)}-${stem}${extension}`;
}
