// Reads Channel and Episode manifests as kubectl -f does: files, folders (their *.yaml, *.yml and
// *.json), "-" for standard input, several documents per file. Validates each with the generated
// validators, naming the file, the document and the field.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { API_VERSION, validateChannel, validateEpisode, type Channel, type Episode } from '@acog/api';

export interface LoadedManifests {
  /** With the schema's defaults applied, as the API server would store them. */
  channels: Channel[];
  episodes: Episode[];
  /** The same objects exactly as the files hold them: what `create` sends and `--dry-run=client` prints. */
  asWritten: { channels: Channel[]; episodes: Episode[] };
}

export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

async function manifestFiles(path: string): Promise<string[]> {
  if (path === '-') return ['-'];
  const info = await stat(path).catch(() => {
    throw new ManifestError(`${path}: no such file or folder`);
  });
  if (!info.isDirectory()) return [path];
  const entries = await readdir(path);
  return entries
    .filter((name) => /\.(ya?ml|json)$/.test(name))
    .sort()
    .map((name) => join(path, name));
}

async function readSource(file: string): Promise<string> {
  if (file !== '-') return readFile(file, 'utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function loadManifests(paths: string[]): Promise<LoadedManifests> {
  const loaded: LoadedManifests = { channels: [], episodes: [], asWritten: { channels: [], episodes: [] } };
  const problems: string[] = [];
  for (const path of paths) {
    for (const file of await manifestFiles(path)) {
      const documents = parseAllDocuments(await readSource(file));
      for (const [index, document] of documents.entries()) {
        const where = documents.length > 1 ? `${file} (document ${index + 1})` : file;
        if (document.errors.length) {
          problems.push(`${where}: not valid YAML: ${document.errors[0].message}`);
          continue;
        }
        const object = document.toJS() as { apiVersion?: string; kind?: string; metadata?: { name?: string } } | null;
        if (object === null) continue;
        if (object.apiVersion !== API_VERSION || (object.kind !== 'Channel' && object.kind !== 'Episode')) {
          problems.push(
            `${where}: expected apiVersion ${API_VERSION} and kind Channel or Episode, found ${object.apiVersion ?? '(none)'} ${object.kind ?? '(none)'}`,
          );
          continue;
        }
        const result = object.kind === 'Channel' ? validateChannel(object) : validateEpisode(object);
        if (!object.metadata?.name) result.errors.unshift({ field: 'metadata.name', message: 'Required value' });
        if (result.errors.length) {
          const prefix = `${where}: ${object.kind} ${object.metadata?.name ?? ''}: `;
          problems.push(...result.errors.map((e) => `${prefix}${e.field}: ${e.message}`));
          if (result.rulesNotChecked) problems.push(`${prefix}${result.rulesNotChecked}`);
          continue;
        }
        if (object.kind === 'Channel') {
          loaded.channels.push(result.value as Channel);
          loaded.asWritten.channels.push(object as Channel);
        } else {
          loaded.episodes.push(result.value as Episode);
          loaded.asWritten.episodes.push(object as Episode);
        }
      }
    }
  }
  if (problems.length) throw new ManifestError(problems.join('\n'));
  return loaded;
}
