// An Episode's own clips and images (spec.media) as B-roll: each item fetched (ctx.download: only
// under the namespace's prefix or at a public https:// address, size-bound, probed), refused unless
// it is a video or a still image, and listed in the manifest for its beat with its licence and
// attribution. A still gets a gentle Ken Burns move, drawn by the assembly like the offline B-roll's.
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EpisodeSpec } from '@acog/api';
import type { BrollClip, RefinedScript } from '../../contract/documents.ts';
import type { ProbeResult } from '../../media/ffmpeg.ts';
import { wrapText } from '../visuals/text.ts';
import { beatSeconds } from './plan.ts';

/** The provider a B-roll result names when spec.media covers beats. */
export const OWN_MEDIA_PROVIDER = 'spec.media';

export type OwnMediaItem = NonNullable<EpisodeSpec['media']>[number];

/** How long the heading label over a still may be. */
const HEADING_LABEL_CHARS = 48;

/** Demuxers of single still images. */
const STILL_FORMATS = new Set(['image2', 'png_pipe', 'jpeg_pipe', 'webp_pipe', 'bmp_pipe', 'tiff_pipe']);
const STILL_EXTENSIONS: Record<string, string> = { png: '.png', mjpeg: '.jpg', webp: '.webp', bmp: '.bmp', tiff: '.tiff' };

export type OwnMediaKind = { kind: 'video'; extension: string; durationSeconds: number } | { kind: 'image'; extension: string };

/** What a probed file is: a video clip (with a picture and a length), a still image, or neither (undefined). */
export function ownMediaKind(probe: ProbeResult): OwnMediaKind | undefined {
  if (!probe.video) return undefined;
  if (STILL_FORMATS.has(probe.formatName)) return { kind: 'image', extension: STILL_EXTENSIONS[probe.video.codecName] ?? '.png' };
  if (!(probe.durationSeconds > 0)) return undefined;
  const extension = probe.formatName.startsWith('mov') ? '.mp4' : probe.formatName.startsWith('matroska') ? '.mkv' : '.media';
  return { kind: 'video', extension, durationSeconds: probe.durationSeconds };
}

/** Why spec.media[index] cannot be placed in this script, or undefined. */
export function ownMediaBeatProblem(item: OwnMediaItem, index: number, beatCount: number): string | undefined {
  if (item.beat <= beatCount) return undefined;
  return `spec.media[${index}].beat is ${item.beat}, but the script has ${beatCount} beat${beatCount === 1 ? '' : 's'}: use a beat from 1 to ${beatCount}`;
}

/** The licences and credits of the own media in a manifest, one line each, for the stage's message. */
export function ownMediaSummary(clips: readonly BrollClip[]): string | undefined {
  const own = clips.filter((clip) => clip.license !== undefined);
  if (own.length === 0) return undefined;
  return `own media: ${own.map((clip) => `${clip.beatId} ${clip.file} (licence: ${clip.license})`).join('; ')}`;
}

export interface OwnMediaIo {
  workdir: string;
  /** Fetches and checks a URI a spec names at `field`; the local path. */
  download(uri: string, name: string, field: string): Promise<string>;
  probe(path: string): Promise<ProbeResult>;
}

/** The clips of spec.media for a script's beats, in the order of spec.media; files in io.workdir. */
export async function ownMediaClips(
  io: OwnMediaIo,
  media: readonly OwnMediaItem[],
  script: Pick<RefinedScript, 'beats'>,
  wordsPerMinute: number,
): Promise<BrollClip[]> {
  const beatProblem = media.map((item, index) => ownMediaBeatProblem(item, index, script.beats.length)).find(Boolean);
  if (beatProblem) throw new OwnMediaError(beatProblem);
  return Promise.all(
    media.map(async (item, index) => {
      const field = `spec.media[${index}].uri`;
      const fetched = await io.download(item.uri, `own-media-${index + 1}`, field);
      const kind = ownMediaKind(await io.probe(fetched));
      if (!kind)
        throw new OwnMediaError(
          `${field}: ${item.uri} is neither a video clip nor a still image; use an MP4, MOV, WebM or MKV clip or a PNG, JPEG or WebP image`,
        );
      const beatIndex = item.beat - 1;
      const beat = script.beats[beatIndex]!;
      const file = `own-media-${index + 1}${kind.extension}`;
      await copyFile(fetched, join(io.workdir, file));
      const credit = { license: item.license, ...(item.attribution?.trim() && { attribution: item.attribution.trim() }) };
      if (kind.kind === 'video') return { beatId: beat.id, file, durationSeconds: kind.durationSeconds, ...credit };
      return {
        beatId: beat.id,
        file,
        durationSeconds: beatSeconds(beat, wordsPerMinute),
        // Labelled with the beat's heading, as the offline B-roll's Ken Burns moves are.
        drawing: { kind: 'kenburns', beatIndex, heading: wrapText(beat.heading, HEADING_LABEL_CHARS, 1), variant: index },
        ...credit,
      } satisfies BrollClip;
    }),
  );
}

/** spec.media names something that cannot be used; the message names the field. */
export class OwnMediaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OwnMediaError';
  }
}
