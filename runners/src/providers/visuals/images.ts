// The channel's images (format.images) as local files: file:// URIs and absolute paths are read
// where they are; s3:// and https:// images are used when the runner has already fetched them and
// hands their local paths in.
import { access } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The local path of a channel image URI, or undefined when it is remote. */
export function localImagePath(uri: string): string | undefined {
  if (uri.startsWith('file://')) return fileURLToPath(uri);
  if (isAbsolute(uri)) return uri;
  return undefined;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/** Paths given by the caller first, then the channel's local images; only files that exist. */
export async function channelImagePaths(images: string[] | undefined, given: string[] = []): Promise<string[]> {
  const candidates = [...given, ...(images ?? []).map(localImagePath).filter((path): path is string => Boolean(path))];
  const found: string[] = [];
  for (const candidate of candidates) if (!found.includes(candidate) && (await exists(candidate))) found.push(candidate);
  return found;
}
