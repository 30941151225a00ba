// kubectl acog artifacts ls|get: an Episode's files, as its status lists them (final artifacts and
// each stage's output URIs). Sizes come from S3 (HeadObject); downloads go through presigned GET
// URLs streamed to a temporary file that is renamed once complete. file:// URIs (local renders)
// are copied directly.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Option, type Command } from 'commander';
import { isStageName, STAGES, type Episode, type StageName } from '@acog/api';
import { parseArtifactUri } from '@acog/store';
import { CommandError } from '../../kube/errors.ts';
import { serialise, table } from '../../output/format.ts';
import type { CommandIO, RegisterCommand } from '../types.ts';
import { getEpisode, list, phaseOf, target } from './common.ts';
import { addS3Options, explainS3Error, isS3NotFound, s3Connection, type S3Connection, type S3Flags } from './s3.ts';

export interface ArtifactEntry {
  /** The stage that made it, or "final" for the finished episode's files. */
  stage: StageName | 'final';
  /** The file name: the path under the attempt's folder, else the last part of the URI. */
  file: string;
  /** For final artifacts, which one (video, thumbnail, captionsSrt, ...). */
  artifact?: string;
  uri: string;
}

const ATTEMPT_FOLDER = new RegExp(`/(?:${STAGES.join('|')})/\\d+/(.+)$`);

export function fileNameOf(uri: string): string {
  let key: string;
  try {
    key = parseArtifactUri(uri).key;
  } catch {
    key = URL.canParse(uri) ? new URL(uri).pathname : uri;
  }
  return ATTEMPT_FOLDER.exec(key)?.[1] ?? basename(key);
}

/** Final artifacts in the order the schema lists them (the API server returns them sorted by name). */
const FINAL_ORDER = ['video', 'thumbnail', 'captionsSrt', 'captionsVtt', 'metadata', 'script'];
function finalRank(artifact: string): number {
  const rank = FINAL_ORDER.indexOf(artifact);
  return rank < 0 ? FINAL_ORDER.length : rank;
}

/** The artifacts the status lists: final ones first, then each stage's in pipeline order. */
export function artifactsOf(episode: Episode, stage?: StageName): ArtifactEntry[] {
  const entries: ArtifactEntry[] = [];
  if (!stage) {
    const final = Object.entries(episode.status?.artifacts ?? {}).sort(([a], [b]) => finalRank(a) - finalRank(b) || a.localeCompare(b));
    for (const [artifact, uri] of final) {
      if (uri) entries.push({ stage: 'final', file: fileNameOf(uri), artifact, uri });
    }
  }
  const stages = [...(episode.status?.stages ?? [])].sort((a, b) => STAGES.indexOf(a.name) - STAGES.indexOf(b.name));
  for (const entry of stages) {
    if (stage && entry.name !== stage) continue;
    for (const uri of entry.artifacts ?? []) entries.push({ stage: entry.name, file: fileNameOf(uri), uri });
  }
  return entries;
}

export function humanSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

type Size = { bytes: number } | { missing: true } | { unknown: string };

function scheme(uri: string): 's3' | 'file' | 'other' {
  return uri.startsWith('s3://') ? 's3' : uri.startsWith('file://') ? 'file' : 'other';
}

async function sizeOf(uri: string, s3: () => S3Connection): Promise<Size> {
  const kind = scheme(uri);
  if (kind === 'file') {
    try {
      return { bytes: (await stat(parseArtifactUri(uri).key)).size };
    } catch {
      return { missing: true };
    }
  }
  if (kind !== 's3') return { unknown: `not an s3:// or file:// URI` };
  const { bucket, key } = parseArtifactUri(uri);
  try {
    const head = await s3().client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { bytes: head.ContentLength ?? 0 };
  } catch (error) {
    if (isS3NotFound(error)) return { missing: true };
    return { unknown: explainS3Error(error, s3()) };
  }
}

/** Runs at most `limit` at once, keeping the order of the results. */
async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  });
  await Promise.all(workers);
  return results;
}

function stageOption(value: string | undefined): StageName | undefined {
  if (value === undefined) return undefined;
  if (!isStageName(value)) throw new CommandError(`"${value}" is not a stage (stages: ${STAGES.join(', ')})`);
  return value;
}

function nothingYet(episode: Episode, name: string, stage?: StageName): string {
  return `episode ${name} has no artifacts${stage ? ` from the ${stage} stage` : ''} yet (phase ${phaseOf(episode)})`;
}

interface LsOptions extends S3Flags {
  stage?: string;
  output?: 'json' | 'yaml' | 'wide';
}

async function listArtifacts(io: CommandIO, name: string, options: LsOptions): Promise<void> {
  const stage = stageOption(options.stage);
  const episode = await getEpisode(target(io), name);
  const entries = artifactsOf(episode, stage);
  if (!entries.length) {
    io.stderr.write(`${nothingYet(episode, name, stage)}\n`);
    return;
  }
  let connection: S3Connection | undefined;
  const s3 = () => (connection ??= s3Connection(options, io.env));
  const sizes = await mapLimited(entries, 8, (entry) => sizeOf(entry.uri, s3)).finally(() => connection?.client.destroy());
  const problem = sizes.find((size): size is { unknown: string } => 'unknown' in size);
  if (problem) io.stderr.write(`warning: some sizes are unknown: ${problem.unknown}\n`);
  const rows = entries.map((entry, i) => {
    const size = sizes[i];
    return {
      ...entry,
      size: 'bytes' in size ? size.bytes : undefined,
      exists: 'missing' in size ? false : 'bytes' in size ? true : undefined,
    };
  });
  if (options.output === 'json' || options.output === 'yaml') {
    io.stdout.write(serialise([{ episode: name, namespace: episode.metadata.namespace, artifacts: rows }], options.output, true));
    return;
  }
  io.stdout.write(
    table(
      rows,
      [
        { header: 'stage', value: (row) => row.stage },
        { header: 'file', value: (row) => row.file },
        { header: 'artifact', value: (row) => row.artifact ?? '', wide: true },
        {
          header: 'size',
          value: (row) => (row.size !== undefined ? humanSize(row.size) : row.exists === false ? '<missing>' : '<unknown>'),
        },
        { header: 'uri', value: (row) => row.uri },
      ],
      options.output === 'wide',
    ),
  );
}

interface GetOptions extends S3Flags {
  stage?: string;
  name?: string;
  all?: boolean;
  outputDir?: string;
}

interface Download {
  entry: ArtifactEntry;
  /** Where the file goes, under the output folder. */
  path: string;
}

/** Which files `get` fetches, and where each goes. */
export function selectDownloads(episode: Episode, episodeName: string, options: GetOptions, outDir: string): Download[] {
  const stage = stageOption(options.stage);
  const everything = artifactsOf(episode, stage);
  const under = (entry: ArtifactEntry) =>
    join(outDir, stage || entry.stage === 'final' || (!options.all && options.name) ? '' : entry.stage, entry.file);
  if (options.name) {
    const wanted = options.name;
    const matches = everything.filter((entry) => entry.file === wanted || basename(entry.file) === wanted || entry.artifact === wanted);
    const unique = [...new Map(matches.map((entry) => [entry.uri, entry])).values()];
    if (!unique.length) {
      const names = [...new Set(everything.map((entry) => entry.file))];
      throw new CommandError(
        names.length
          ? `episode ${episodeName} has no artifact named ${wanted}${stage ? ` in the ${stage} stage` : ''}: it has ${list(names)}`
          : nothingYet(episode, episodeName, stage),
      );
    }
    const final = unique.filter((entry) => entry.stage === 'final');
    const chosen = options.all ? unique : final.length ? final.slice(0, 1) : unique;
    if (!options.all && chosen.length > 1) {
      throw new CommandError(
        `${wanted} is in several stages (${list(chosen.map((entry) => entry.stage))}): pass --stage, or --all for every one`,
      );
    }
    return chosen.map((entry) => ({ entry, path: under(entry) }));
  }
  if (stage || options.all) {
    if (!everything.length) throw new CommandError(nothingYet(episode, episodeName, stage));
    return everything.map((entry) => ({ entry, path: under(entry) }));
  }
  const final = everything.filter((entry) => entry.stage === 'final');
  if (!final.length) {
    throw new CommandError(
      `episode ${episodeName} has no final artifacts yet (phase ${phaseOf(episode)}): pass --stage <stage> for one stage's files, or --all for every stage's`,
    );
  }
  return final.map((entry) => ({ entry, path: under(entry) }));
}

/**
 * Why `path` is not a file strictly inside `outDir`, or undefined when it is. Artifact names come
 * from object keys and file:// URIs in the Episode's status ("voice/1/../../../.bashrc" would climb
 * out), so every path is checked after resolving it, and again against the real folders once they
 * exist (a symbolic link inside the output folder may point elsewhere).
 */
export function outsideOutput(outDir: string, path: string): string | undefined {
  const rel = relative(resolve(outDir), resolve(path));
  if (rel === '') return 'names no file';
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return `would be written outside ${resolve(outDir)}`;
  return undefined;
}

async function assertInsideOutput(outDir: string, item: Download): Promise<void> {
  const refuse = (why: string) =>
    new CommandError(`refusing ${item.entry.uri}: its name ${JSON.stringify(item.entry.file)} ${why}; nothing was written for it`);
  const why = outsideOutput(outDir, item.path);
  if (why) throw refuse(why);
  await mkdir(dirname(item.path), { recursive: true });
  const [realOut, realParent] = await Promise.all([realpath(outDir), realpath(dirname(item.path))]);
  const real = outsideOutput(realOut, join(realParent, basename(item.path)));
  if (real) throw refuse(`${real} (through a symbolic link)`);
}

function progressReporter(io: CommandIO, label: string, total: number | undefined): { counter: Transform; done(): void } {
  let received = 0;
  let last = 0;
  const show = io.stderr.isTTY;
  const draw = () => {
    const of = total ? ` / ${humanSize(total)}  ${Math.floor((received / total) * 100)}%` : '';
    io.stderr.write(`\r\x1b[K  ${label}  ${humanSize(received)}${of}`);
  };
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      if (show && Date.now() - last > 100) {
        last = Date.now();
        draw();
      }
      callback(null, chunk);
    },
  });
  return {
    counter,
    done() {
      if (show) io.stderr.write('\r\x1b[K');
    },
  };
}

/** Streams `source` to `path` through a temporary file; the file appears only when complete. */
async function writeAtomically(io: CommandIO, source: Readable, path: string, label: string, total: number | undefined): Promise<number> {
  await mkdir(dirname(path), { recursive: true });
  const partial = `${path}.partial-${process.pid}`;
  const progress = progressReporter(io, label, total);
  try {
    await pipeline(source, progress.counter, createWriteStream(partial));
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  } finally {
    progress.done();
  }
  return (await stat(path)).size;
}

async function download(io: CommandIO, item: Download, s3: () => S3Connection, outDir: string): Promise<number> {
  await assertInsideOutput(outDir, item);
  const { uri } = item.entry;
  const label = item.entry.file;
  switch (scheme(uri)) {
    case 'file': {
      const source = parseArtifactUri(uri).key;
      const info = await stat(source).catch(() => {
        throw new CommandError(`${uri} does not exist on this machine (it was rendered locally elsewhere?)`);
      });
      return writeAtomically(io, createReadStream(source), item.path, label, info.size);
    }
    case 's3': {
      const { bucket, key } = parseArtifactUri(uri);
      let url: string;
      try {
        url = await getSignedUrl(s3().client, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 900 });
      } catch (error) {
        throw new CommandError(`cannot sign a download of ${uri}: ${explainS3Error(error, s3())}`);
      }
      let response: Response;
      try {
        response = await fetch(url);
      } catch (error) {
        throw new CommandError(`cannot download ${uri}: ${explainS3Error(error, s3())}`);
      }
      if (!response.ok || !response.body) {
        await response.body?.cancel();
        if (response.status === 404) throw new CommandError(`${uri} does not exist in S3 (the status lists it, the bucket has it not)`);
        if (response.status === 403)
          throw new CommandError(`S3 refused the download of ${uri} (403): check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY`);
        throw new CommandError(`S3 answered ${response.status} for ${uri}`);
      }
      const length = Number(response.headers.get('content-length'));
      const body = Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>);
      return writeAtomically(io, body, item.path, label, Number.isFinite(length) && length > 0 ? length : undefined);
    }
    default:
      throw new CommandError(`cannot download ${uri}: only s3:// and file:// artifacts can be fetched`);
  }
}

async function getArtifacts(io: CommandIO, name: string, options: GetOptions): Promise<void> {
  const episode = await getEpisode(target(io), name);
  const outDir = resolve(options.outputDir ?? name);
  const downloads = selectDownloads(episode, name, options, outDir);
  await mkdir(outDir, { recursive: true });
  let connection: S3Connection | undefined;
  const s3 = () => (connection ??= s3Connection(options, io.env));
  const failures: string[] = [];
  try {
    for (const item of downloads) {
      try {
        const size = await download(io, item, s3, outDir);
        io.stdout.write(`${item.path} (${humanSize(size)})\n`);
      } catch (error) {
        failures.push(error instanceof CommandError ? error.message : `cannot download ${item.entry.uri}: ${(error as Error).message}`);
      }
    }
  } finally {
    connection?.client.destroy();
  }
  if (failures.length) throw new CommandError(failures.join('\nerror: '));
}

export const registerArtifacts: RegisterCommand = (program, io) => {
  const artifacts = program
    .command('artifacts')
    .description("List and download an Episode's files (final video, captions, each stage's output).");

  addS3Options(
    artifacts
      .command('ls')
      .description("List an Episode's artifacts with their sizes.")
      .argument('<episode>', 'the Episode')
      .option('--stage <stage>', "only this stage's artifacts")
      .addOption(new Option('-o, --output <format>', 'wide, json or yaml').choices(['wide', 'json', 'yaml'])),
  ).action((name: string, options: LsOptions) => listArtifacts(io, name, options));

  addS3Options(
    artifacts
      .command('get')
      .description("Download an Episode's artifacts: the final files, or a stage's with --stage, or everything with --all.")
      .argument('<episode>', 'the Episode')
      .option('--stage <stage>', "this stage's artifacts")
      .option('--name <file>', 'only this file (e.g. video.mp4), or final artifact (e.g. video)')
      .option('--all', "the final files and every stage's (each stage in a folder of its own)")
      .option('-o, --output-dir <dir>', 'where the files go (default: a folder named after the episode)'),
  )
    .addHelpText(
      'after',
      `
Examples:
  kubectl acog artifacts get how-indexes-work                    # the video, thumbnail, captions, metadata
  kubectl acog artifacts get how-indexes-work --stage voice -o /tmp/voice
  kubectl acog artifacts get how-indexes-work --name video.mp4 -o .`,
    )
    .action((name: string, options: GetOptions, command: Command) => {
      if (options.all && options.stage) command.error('error: --all and --stage exclude each other', { exitCode: 2 });
      return getArtifacts(io, name, options);
    });
};
