// Offline presenter: the channel image (or the presenter's initials on a disc in the brand colour)
// in a ring over a dark brand gradient, breathing gently, with the presenter's name and a mirrored
// spectrum of the narration that moves with the voice. The provider makes the two stills and a
// description (AvatarDrawing); the assembly draws it inside its own filter graph, at the
// narration's length, so that no presenter video is encoded and decoded again.
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { AvatarProvider } from '@acog/api';
import type { AvatarDrawing, Narration } from '../../contract/documents.ts';
import { brandColorOrDefault, darken, ffmpegColor, lighten, parseHexColor, type Rgb } from '../../media/color.ts';
import { runFfmpeg } from '../../media/ffmpeg.ts';
import { holdStill, relabelGraph, type GraphAvatarDrawing } from '../../media/filter-graph.ts';
import { FRAME_RATE, even, shownAvatarFrameSize, type FrameSize } from '../../media/frame.ts';
import type { Produced, ProviderContext } from '../types.ts';
import { renderGradient } from '../visuals/gradient.ts';
import { localImagePath } from '../visuals/images.ts';
import { FONT_BOLD, drawtextFile, initialsOf, wrapText, writeTextFile } from '../visuals/text.ts';
import type { Avatar, AvatarDrawn } from './types.ts';

/** The stills' names among the avatar stage's artifacts. */
export const AUDIOGRAM_BACKGROUND = 'audiogram-background.png';
export const AUDIOGRAM_PORTRAIT = 'audiogram-portrait.png';

/** Where things sit on the frame, in pixels. */
export interface AudiogramLayout {
  /** Diameter of the picture disc, and of the ring around it. */
  disc: number;
  ring: number;
  /** Margin around the ring that holds its shadow. */
  shadowMargin: number;
  /** Centre of the ring. */
  centreY: number;
  nameSize: number;
  nameY: number;
  /** The spectrum: bars of `barWidth` pixels, `bars` on each side of the centre, `barHeight` tall above its reflection. */
  bars: number;
  barWidth: number;
  barHeight: number;
  /** Top of the spectrum (its reflection hangs below). */
  waveY: number;
}

export function audiogramLayout(size: FrameSize): AudiogramLayout {
  const short = Math.min(size.width, size.height);
  const disc = even(short * 0.42);
  const ring = even(disc * 1.08);
  const ringTop = size.height * (size.height > size.width ? 0.3 : 0.4) - ring / 2;
  const centreY = Math.round(Math.max(short * 0.06, ringTop) + ring / 2);
  const nameSize = Math.round(short * 0.055);
  const nameY = Math.round(centreY + ring / 2 + short * 0.045);
  const bars = 40;
  const barWidth = Math.max(2, Math.round((short * 0.32) / bars));
  const barHeight = even(short * 0.11);
  const waveY = Math.round(Math.min(size.height - 2 * barHeight - short * 0.03, nameY + nameSize + short * 0.06));
  return { disc, ring, shadowMargin: even(ring * 0.1), centreY, nameSize, nameY, bars, barWidth, barHeight, waveY };
}

export interface PortraitParams {
  layout: AudiogramLayout;
  /** Colour of the disc behind the initials, and of the ring. */
  discColor: Rgb;
  ringColor: Rgb;
  /** With an image, input 0 is it; without, the initials in `initialsFile` are drawn. */
  withImage: boolean;
  initialsFile?: string;
}

/** Filtergraph of the portrait still: the disc (image or initials) in a ring with a soft shadow, on transparency. */
export function portraitFilter(params: PortraitParams): string {
  const { disc, ring, shadowMargin } = params.layout;
  const circle = "geq=lum='255*clip(W/2-hypot(X-W/2+0.5,Y-H/2+0.5),0,1)'";
  const face = params.withImage
    ? `[0:v]scale=${disc}:${disc}:force_original_aspect_ratio=increase,crop=${disc}:${disc},format=rgba[face]`
    : `color=c=${ffmpegColor(params.discColor)}:s=${disc}x${disc},` +
      drawtextFile(FONT_BOLD, params.initialsFile ?? '', {
        fontcolor: 'white',
        fontsize: Math.round(disc * 0.36),
        x: '(w-text_w)/2',
        y: '(h-text_h)/2',
      }) +
      ',format=rgba[face]';
  const sigma = Math.max(2, Math.round(shadowMargin / 3));
  const size = ring + 2 * shadowMargin;
  return [
    face,
    `color=c=black:s=${disc}x${disc},format=gray,${circle}[faceMask]`,
    '[face][faceMask]alphamerge[disc]',
    `color=c=${ffmpegColor(params.ringColor)}:s=${ring}x${ring},format=rgba[ringColor]`,
    `color=c=black:s=${ring}x${ring},format=gray,${circle}[ringMask]`,
    `[ringColor][ringMask]alphamerge,pad=${size}:${size}:${shadowMargin}:${shadowMargin}:color=black@0,split[ring][shadowSource]`,
    `[shadowSource]colorchannelmixer=rr=0:gg=0:bb=0:aa=0.55,gblur=sigma=${sigma}[shadow]`,
    `color=c=black@0:s=${size}x${size},format=rgba[canvas]`,
    `[canvas][shadow]overlay=x=0:y=${Math.round(sigma * 0.8)}:format=auto[shadowed]`,
    '[shadowed][ring]overlay=x=0:y=0:format=auto[ringed]',
    '[ringed][disc]overlay=x=(W-w)/2:y=(H-h)/2:format=auto,format=rgba[portrait]',
  ].join(';');
}

export interface AudiogramParams {
  layout: AudiogramLayout;
  frames: number;
  nameFile: string;
  barColor: Rgb;
}

/**
 * Filtergraph of the audiogram; inputs: 0 the background still, 1 the portrait still, 2 the
 * narration. The spectrum is computed on audio resampled to 256 × 30 Hz with 256-sample windows
 * and no overlap: exactly one spectrum per video frame.
 */
export function audiogramFilter(params: AudiogramParams): string {
  const { layout, frames } = params;
  const portraitSize = layout.ring + 2 * layout.shadowMargin;
  const windowSize = 256;
  const still = (input: number) => `[${input}:v]${holdStill(frames)}`;
  return [
    `${still(0)},format=yuv420p[background]`,
    // A slow breath: ±2.5 % every 3.2 s.
    `${still(1)},scale=w='2*trunc(${portraitSize}*(1+0.025*sin(2*PI*t/3.2))/2)':h=-2:eval=frame[portrait]`,
    `[2:a]aresample=${windowSize * FRAME_RATE},aformat=channel_layouts=mono,dynaudnorm=f=100:g=11,` +
      `showfreqs=s=${layout.bars}x${layout.barHeight}:mode=bar:ascale=sqrt:fscale=log:win_size=${windowSize}:overlap=0:colors=${ffmpegColor(params.barColor)},` +
      `format=rgba,scale=iw*${layout.barWidth}:ih:flags=neighbor,split[right][leftSource]`,
    '[leftSource]hflip[left]',
    '[left][right]hstack,split[wave][reflectionSource]',
    '[reflectionSource]vflip,colorchannelmixer=aa=0.3[reflection]',
    '[wave][reflection]vstack[spectrum]',
    `[background][portrait]overlay=x=(W-w)/2:y=${layout.centreY}-h/2:eval=frame,` +
      drawtextFile(FONT_BOLD, params.nameFile, { fontcolor: 'white', fontsize: layout.nameSize, x: '(w-text_w)/2', y: layout.nameY }) +
      '[named]',
    `[named][spectrum]overlay=x=(W-w)/2:y=${layout.waveY}:eof_action=pass,format=yuv420p[v]`,
  ].join(';');
}

export interface AudiogramOptions {
  /** A local copy of the channel image, for when format.images[0] is s3:// or https://. */
  imagePath?: string;
}

async function existing(file: string | undefined): Promise<string | undefined> {
  if (!file) return undefined;
  try {
    await access(file);
    return file;
  } catch {
    return undefined;
  }
}

export function createAudiogramAvatar(_spec?: AvatarProvider, options: AudiogramOptions = {}): Avatar {
  return {
    name: 'audiogram',
    async render(ctx: ProviderContext, narration: Narration): Promise<Produced<AvatarDrawn>> {
      const started = Date.now();
      const format = ctx.channel.format;
      const size = shownAvatarFrameSize(format);
      const layout = audiogramLayout(size);
      const brand = brandColorOrDefault(format.brandColor);
      const assets = join(ctx.workdir, 'audiogram');
      await mkdir(assets, { recursive: true });

      const firstImage = format.images?.[0];
      const image = (await existing(options.imagePath)) ?? (await existing(firstImage ? localImagePath(firstImage) : undefined));
      if (!image && firstImage) ctx.log(`audiogram: ${firstImage} is not on this runner; drawing the presenter's initials instead`);
      const name = ctx.channel.persona.name;

      const background = renderGradient(
        join(ctx.workdir, AUDIOGRAM_BACKGROUND),
        { width: size.width, height: size.height, from: darken(brand, 0.88), to: darken(brand, 0.45), angle: 60, vignette: 0.45 },
        ctx.signal,
      );
      const initialsFile = image ? undefined : await writeTextFile(join(assets, 'initials.txt'), initialsOf(name));
      const portrait = runFfmpeg(
        [
          ...(image ? ['-i', image] : []),
          '-filter_complex',
          portraitFilter({ layout, discColor: brand, ringColor: lighten(brand, 0.45), withImage: Boolean(image), initialsFile }),
          '-map',
          '[portrait]',
          '-frames:v',
          '1',
          '-y',
          join(ctx.workdir, AUDIOGRAM_PORTRAIT),
        ],
        { signal: ctx.signal, logLevel: 'error', purpose: 'audiogram portrait' },
      );
      await Promise.all([background, portrait]);

      const drawing: AvatarDrawing = {
        kind: 'audiogram',
        width: size.width,
        height: size.height,
        background: AUDIOGRAM_BACKGROUND,
        portrait: AUDIOGRAM_PORTRAIT,
        name: wrapText(name, Math.floor(size.width / (layout.nameSize * 0.62)) - 2, 1).join(' '),
        barColor: `#${ffmpegColor(lighten(brand, 0.8)).slice(2)}`,
      };
      const seconds = narration.durationSeconds;
      ctx.log(
        `audiogram: ${size.width}x${size.height} stills (${image ? 'channel image' : 'initials'}) for ${seconds.toFixed(2)} s, drawn by the assembly, in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      return { value: { drawing }, usage: { seconds }, costUSD: 0 };
    },
  };
}

const ARTIFACT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** An AvatarDrawing read from an artifact, checked field by field (`field` names it in errors). */
export function checkAvatarDrawing(value: unknown, field: string): AvatarDrawing {
  const drawing = value as Partial<AvatarDrawing> | null;
  if (typeof drawing !== 'object' || drawing === null || Array.isArray(drawing)) throw new Error(`${field} is not an object`);
  const problem = (what: string) => new Error(`${field}.${what}`);
  if (drawing.kind !== 'audiogram') throw problem(`kind must be audiogram, got ${JSON.stringify(drawing.kind)}`);
  for (const side of ['width', 'height'] as const) {
    const length = drawing[side];
    if (!Number.isInteger(length) || length! < 64 || length! > 4096 || length! % 2 !== 0)
      throw problem(`${side} must be an even whole number of pixels from 64 to 4096`);
  }
  for (const still of ['background', 'portrait'] as const) {
    if (typeof drawing[still] !== 'string' || !ARTIFACT_NAME.test(drawing[still]))
      throw problem(`${still} must name one of the avatar stage's artifacts (letters, digits, . _ -)`);
  }
  if (typeof drawing.name !== 'string' || drawing.name.length > 200) throw problem('name must be text of at most 200 characters');
  if (typeof drawing.barColor !== 'string' || !/^#[0-9a-fA-F]{6}$/.test(drawing.barColor)) throw problem('barColor must be #rrggbb');
  const { kind, width, height, background, portrait, name, barColor } = drawing as AvatarDrawing;
  return { kind, width, height, background, portrait, name, barColor };
}

/**
 * What the assembly draws for a checked audiogram drawing: its name written to a file at `nameFile`
 * (text reaches ffmpeg only through files), and the graph over the stills at the local paths given,
 * at any length, with the labels the episode's graph gives it.
 */
export async function audiogramDrawer(
  drawing: AvatarDrawing,
  stills: { background: string; portrait: string },
  nameFile: string,
): Promise<GraphAvatarDrawing> {
  await writeTextFile(nameFile, drawing.name);
  const layout = audiogramLayout(drawing);
  const barColor = parseHexColor(drawing.barColor);
  return {
    stills: [stills.background, stills.portrait],
    draw: (frames, labels) => relabelGraph(audiogramFilter({ layout, frames, nameFile, barColor }), labels),
  };
}
