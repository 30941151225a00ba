// Offline B-roll: for each beat a title card (the heading over a slowly drifting gradient in the
// brand colour), then Ken Burns moves over the channel's images and cards that bring in the cue's
// keywords one by one. Backgrounds are gradients rendered once as stills and fed through the loop
// filter; text goes through files so that nothing in it is read as filter syntax.
import { copyFile, mkdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { BrollProvider } from '@acog/api';
import type { BrollClip, BrollManifest, MotionDrawing } from '../../contract/documents.ts';
import { brandPalette, ffmpegColor, type Palette } from '../../media/color.ts';
import { runFfmpeg } from '../../media/ffmpeg.ts';
import { holdStill, relabelGraph, type ClipDrawer } from '../../media/filter-graph.ts';
import { FRAME_RATE, frameSize, type FrameSize } from '../../media/frame.ts';
import { labelsFor } from '../../language/index.ts';
import type { Produced, ProviderContext } from '../types.ts';
import { INTERMEDIATE_H264_ARGS } from '../visuals/conform.ts';
import { renderGradient } from '../visuals/gradient.ts';
import { channelImagePaths } from '../visuals/images.ts';
import { FONT_BOLD, FONT_REGULAR, capitalize, drawtextFile, wrapText, writeTextFile } from '../visuals/text.ts';
import { planBrollClips, type PlannedClip } from './plan.ts';
import { narrationWordsPerMinute } from '../writer/rules.ts';
import type { BrollScript, BrollSource } from './types.ts';

export type MotionKind = MotionDrawing['kind'];
export type { MotionDrawing };

/** A beat opens on its title; after it, Ken Burns moves (when there are images) alternate with keyword cards. */
export function motionKind(clip: Pick<PlannedClip, 'index' | 'beatIndex'>, imageCount: number): MotionKind {
  if (clip.index === 0) return 'title';
  if (imageCount > 0 && (clip.index + clip.beatIndex) % 2 === 1) return 'kenburns';
  return 'keywords';
}

/** Smooth start, gentle stop (cubic ease-out) of an animation from `start` lasting `length` seconds, 0 to 1. */
export function easeOut(start: number, length: number): string {
  return `(1-pow(1-clip((t-${start})/${length},0,1),3))`;
}

/** Type sizes and margins of a frame, in pixels. */
export interface CardLayout {
  margin: number;
  headingSize: number;
  labelSize: number;
  keywordSize: number;
  /** Characters of a heading line and of a keyword line. */
  headingChars: number;
  keywordChars: number;
  headingLines: number;
}

export function cardLayout(size: FrameSize): CardLayout {
  const short = Math.min(size.width, size.height);
  const margin = Math.round(size.width * (size.width >= size.height ? 0.1 : 0.08));
  const headingSize = Math.round(short * 0.088);
  const keywordSize = Math.round(short * 0.07);
  // DejaVu Sans Bold averages about 0.62 em a character.
  const usable = size.width - 2 * margin;
  return {
    margin,
    headingSize,
    labelSize: Math.round(short * 0.034),
    keywordSize,
    headingChars: Math.max(8, Math.floor(usable / (headingSize * 0.62))),
    keywordChars: Math.max(8, Math.floor((usable - keywordSize) / (keywordSize * 0.62))),
    headingLines: size.width >= size.height ? 3 : 5,
  };
}

const round = (value: number) => Math.round(value);

/** The gradient still is this much larger than the frame, so the crop window can drift over it. */
export const DRIFT_SCALE = 1.15;

function driftingBackground(frames: number, size: FrameSize, seconds: number, reverse: boolean): string {
  const progress = reverse ? `(1-t/${seconds.toFixed(3)})` : `(t/${seconds.toFixed(3)})`;
  return (
    `[0:v]format=yuv420p,${holdStill(frames)},` +
    `crop=${size.width}:${size.height}:x='(iw-ow)*${progress}':y='(ih-oh)*(1-${progress})'[bg]`
  );
}

/**
 * The beat's number, large and faint in the lower right corner, drifting sideways over the clip:
 * `drift` '+' moves it leftwards into place, '-' rightwards. It is drawn once, on a transparent
 * canvas in its own colour (right- and bottom-aligned, so that the overlay puts its ink where
 * drawtext put it), and overlaid on every frame: drawtext blended the 594-pixel glyphs again on
 * every frame, nearly half of the assembly's filtering time. `graph` ends at [number]; `overlay`
 * is the overlay filter that reads it as its second input.
 */
function beatNumber(
  numberFile: string,
  characters: number,
  size: FrameSize,
  frames: number,
  color: string,
  alpha: number,
  drift: '+' | '-',
): { graph: string; overlay: string } {
  const { margin } = cardLayout(size);
  const seconds = frames / FRAME_RATE;
  const fontsize = round(Math.min(size.width, size.height) * 0.55);
  // DejaVu Sans Bold's digits are 0.7 em wide and under 1 em tall: room for the ink, never clipped.
  const canvas = { width: 2 * Math.ceil((fontsize * 0.75 * Math.max(1, characters)) / 2), height: 2 * Math.ceil((fontsize * 1.2) / 2) };
  return {
    graph:
      `color=c=${color}@0:s=${canvas.width}x${canvas.height}:r=${FRAME_RATE},trim=end_frame=1,format=rgba,` +
      drawtextFile(FONT_BOLD, numberFile, { fontcolor: color, fontsize, x: 'w-text_w', y: 'h-text_h' }) +
      // Faded afterwards: drawtext's own alpha on a transparent canvas would be applied twice.
      `,colorchannelmixer=aa=${alpha},format=yuva420p,${holdStill(frames)}[number]`,
    overlay:
      `overlay=x='W-w-${round(margin * 0.4)}${drift}${round(size.width * 0.03)}*(1-t/${seconds.toFixed(3)})'` +
      `:y=H-h-${round(size.height * 0.06)}:format=yuv420:eval=frame`,
  };
}

export interface TitleCardParams {
  size: FrameSize;
  frames: number;
  palette: Palette;
  headingFile: string;
  headingLineCount: number;
  labelFile: string;
  numberFile: string;
  /** Characters of the number (2 unless set). */
  numberCharacters?: number;
}

/** Filtergraph of a title card; input 0 is the gradient still at DRIFT_SCALE × the frame. */
export function titleCardFilter(params: TitleCardParams): string {
  const { size, frames, palette } = params;
  const seconds = frames / FRAME_RATE;
  const layout = cardLayout(size);
  const lineSpacing = round(layout.headingSize * 0.2);
  const headingHeight = params.headingLineCount * layout.headingSize + (params.headingLineCount - 1) * lineSpacing;
  const barWidth = round(size.width * (size.width >= size.height ? 0.19 : 0.3));
  const barHeight = Math.max(6, round(layout.headingSize * 0.1));
  const blockHeight = layout.labelSize + 24 + barHeight + 40 + headingHeight;
  const top = round((size.height - blockHeight) / 2 - size.height * 0.04);
  const barY = top + layout.labelSize + 24;
  const headingY = barY + barHeight + 40;
  const rise = easeOut(0.15, 0.7);
  const accent = ffmpegColor(palette.accent);
  const number = beatNumber(params.numberFile, params.numberCharacters ?? 2, size, frames, accent, 0.09, '+');
  return [
    driftingBackground(frames, size, seconds, false),
    `color=c=${accent}:s=${barWidth}x${barHeight}:r=${FRAME_RATE}:d=${seconds.toFixed(3)}[bar]`,
    number.graph,
    `[bg][bar]overlay=x='-${barWidth}+(${layout.margin}+${barWidth})*${easeOut(0.05, 0.6)}':y=${barY}:shortest=1[barred]`,
    `[barred][number]${number.overlay},` +
      [
        drawtextFile(FONT_BOLD, params.labelFile, {
          fontcolor: accent,
          fontsize: layout.labelSize,
          x: layout.margin,
          y: top,
          alpha: `'${easeOut(0, 0.5)}'`,
        }),
        drawtextFile(FONT_BOLD, params.headingFile, {
          fontcolor: ffmpegColor(palette.text),
          fontsize: layout.headingSize,
          line_spacing: lineSpacing,
          x: layout.margin,
          y: `'${headingY}+${round(layout.headingSize * 0.45)}*(1-${rise})'`,
          alpha: `'${rise}'`,
        }),
        'format=yuv420p[v]',
      ].join(','),
  ].join(';');
}

export interface KeywordsCardParams {
  size: FrameSize;
  frames: number;
  palette: Palette;
  headingFile: string;
  keywordFiles: string[];
  markerFile: string;
  numberFile: string;
  /** Characters of the number (2 unless set). */
  numberCharacters?: number;
}

/** Filtergraph of a keyword card: the keywords slide in one after another under a small heading. */
export function keywordsCardFilter(params: KeywordsCardParams): string {
  const { size, frames, palette } = params;
  const seconds = frames / FRAME_RATE;
  const layout = cardLayout(size);
  const count = params.keywordFiles.length;
  const rowHeight = round(layout.keywordSize * 1.7);
  const blockHeight = layout.labelSize + 48 + count * rowHeight;
  const top = round((size.height - blockHeight) / 2);
  const firstRow = top + layout.labelSize + 48;
  // The keywords arrive within the first half of the clip, at most 0.6 s apart.
  const stagger = Math.min(0.6, (seconds * 0.5) / Math.max(1, count));
  const accent = ffmpegColor(palette.accent);
  const rows = params.keywordFiles.flatMap((file, index) => {
    const appear = easeOut(0.2 + index * stagger, 0.5);
    const y = firstRow + index * rowHeight;
    const slide = `${round(layout.keywordSize * 0.8)}*(1-${appear})`;
    return [
      drawtextFile(FONT_BOLD, params.markerFile, {
        fontcolor: accent,
        fontsize: round(layout.keywordSize * 0.55),
        x: `'${layout.margin}-${slide}'`,
        y: y + round(layout.keywordSize * 0.3),
        alpha: `'${appear}'`,
      }),
      drawtextFile(FONT_BOLD, file, {
        fontcolor: ffmpegColor(palette.text),
        fontsize: layout.keywordSize,
        x: `'${layout.margin + round(layout.keywordSize * 1.1)}+${slide}'`,
        y,
        alpha: `'${appear}'`,
      }),
    ];
  });
  const number = beatNumber(params.numberFile, params.numberCharacters ?? 2, size, frames, accent, 0.07, '-');
  return [
    driftingBackground(frames, size, seconds, true),
    number.graph,
    [
      `[bg][number]${number.overlay}`,
      drawtextFile(FONT_REGULAR, params.headingFile, {
        fontcolor: accent,
        fontsize: layout.labelSize,
        x: layout.margin,
        y: top,
        alpha: `'${easeOut(0, 0.4)}'`,
      }),
      ...rows,
      'format=yuv420p[v]',
    ].join(','),
  ].join(';');
}

export interface KenBurnsParams {
  size: FrameSize;
  frames: number;
  /** Which of the four moves: zoom in, zoom out, pan, push towards the upper left. */
  variant: number;
  headingFile: string;
}

/** The zoompan expressions of a move over `frames` frames. */
export function kenBurnsMove(variant: number, frames: number): { zoom: string; x: string; y: string } {
  const progress = `(on/${Math.max(1, frames - 1)})`;
  const centreX = 'iw/2-(iw/zoom/2)';
  const centreY = 'ih/2-(ih/zoom/2)';
  switch (((variant % 4) + 4) % 4) {
    case 0:
      return { zoom: `1+0.18*${progress}`, x: centreX, y: centreY };
    case 1:
      return { zoom: `1.18-0.18*${progress}`, x: centreX, y: centreY };
    case 2:
      return { zoom: '1.14', x: `(iw-iw/zoom)*${progress}`, y: centreY };
    default:
      return { zoom: `1+0.15*${progress}`, x: '(iw-iw/zoom)*0.3', y: '(ih-ih/zoom)*0.35' };
  }
}

/**
 * Filtergraph of a Ken Burns move over input 0 (a still image): scaled once to 1.5 × the frame so
 * that zoompan's whole-pixel steps stay below a pixel of output, then moved, with the beat heading
 * in a small box at the top.
 */
export function kenBurnsFilter(params: KenBurnsParams): string {
  const { size, frames } = params;
  const sourceWidth = round((size.width * 1.5) / 2) * 2;
  const sourceHeight = round((size.height * 1.5) / 2) * 2;
  const move = kenBurnsMove(params.variant, frames);
  const layout = cardLayout(size);
  const fade = `'${easeOut(0.2, 0.5)}'`;
  return [
    `[0:v]scale=${sourceWidth}:${sourceHeight}:force_original_aspect_ratio=increase,crop=${sourceWidth}:${sourceHeight},format=yuv420p,` +
      `zoompan=z='${move.zoom}':x='${move.x}':y='${move.y}':d=${frames}:s=${size.width}x${size.height}:fps=${FRAME_RATE},setsar=1,` +
      drawtextFile(FONT_BOLD, params.headingFile, {
        fontcolor: 'white',
        fontsize: layout.labelSize,
        box: 1,
        boxcolor: 'black@0.45',
        boxborderw: round(layout.labelSize * 0.5),
        x: round(layout.margin * 0.5),
        y: round(layout.margin * 0.5),
        alpha: fade,
      }) +
      ',format=yuv420p[v]',
  ].join(';');
}

export interface MotionStyle {
  size: FrameSize;
  brandColor?: string;
  /** The Channel's persona.language: the card labels ("PART 2", "TEIL 2") are written in it. */
  language?: string;
  /** Local image files for Ken Burns moves. */
  images: string[];
}

/** The text files of a drawing, written where ffmpeg's drawtext reads them (never into filter syntax). */
export interface DrawingTexts {
  heading: string;
  label: string;
  number: string;
  marker: string;
  keywords: string[];
}

/** The number a beat's cards show: its position from 1, two digits at least. */
const beatNumberText = (beatIndex: number) => String(beatIndex + 1).padStart(2, '0');

/** Writes a drawing's texts beside `stem` (a path without extension). */
export async function writeDrawingTexts(drawing: MotionDrawing, stem: string): Promise<DrawingTexts> {
  const [heading, label, number, marker, keywords] = await Promise.all([
    writeTextFile(`${stem}-heading.txt`, drawing.heading),
    writeTextFile(`${stem}-label.txt`, drawing.label ?? ''),
    writeTextFile(`${stem}-number.txt`, beatNumberText(drawing.beatIndex)),
    writeTextFile(`${stem}-marker.txt`, '●'),
    Promise.all((drawing.keywords ?? []).map((keyword, index) => writeTextFile(`${stem}-keyword-${index + 1}.txt`, keyword))),
  ]);
  return { heading, label, number, marker, keywords };
}

/** Filtergraph of a drawing over `frames` frames: input [0:v] is its still, output [v]. */
export function drawingFilter(
  drawing: MotionDrawing,
  texts: DrawingTexts,
  style: Pick<MotionStyle, 'size' | 'brandColor'>,
  frames: number,
): string {
  const { size } = style;
  const palette = brandPalette(style.brandColor, drawing.beatIndex);
  if (drawing.kind === 'kenburns') return kenBurnsFilter({ size, frames, variant: drawing.variant ?? 0, headingFile: texts.heading });
  if (drawing.kind === 'title') {
    return titleCardFilter({
      size,
      frames,
      palette,
      headingFile: texts.heading,
      headingLineCount: Math.max(1, drawing.heading.length),
      labelFile: texts.label,
      numberFile: texts.number,
      numberCharacters: beatNumberText(drawing.beatIndex).length,
    });
  }
  return keywordsCardFilter({
    size,
    frames,
    palette,
    headingFile: texts.heading,
    keywordFiles: texts.keywords,
    markerFile: texts.marker,
    numberFile: texts.number,
    numberCharacters: beatNumberText(drawing.beatIndex).length,
  });
}

const MOTION_KINDS: readonly MotionKind[] = ['title', 'keywords', 'kenburns'];
const isText = (value: unknown): value is string => typeof value === 'string' && value.length <= 500;
const isTextList = (value: unknown): value is string[] => Array.isArray(value) && value.length <= 12 && value.every(isText);

/** A drawing as read from a B-roll manifest (an artifact): checked field by field, or an error naming the field. */
export function checkDrawing(value: unknown, field: string): MotionDrawing {
  const drawing = value as Partial<MotionDrawing> | null;
  const problem = (what: string) => new Error(`${field}.${what}`);
  if (typeof drawing !== 'object' || drawing === null) throw new Error(`${field} is not an object`);
  if (!MOTION_KINDS.includes(drawing.kind as MotionKind)) throw problem(`kind must be one of ${MOTION_KINDS.join(', ')}`);
  if (!Number.isInteger(drawing.beatIndex) || drawing.beatIndex! < 0 || drawing.beatIndex! > 999)
    throw problem('beatIndex must be a whole number from 0 to 999');
  if (!isTextList(drawing.heading)) throw problem('heading must be a list of at most 12 lines of at most 500 characters');
  if (drawing.label !== undefined && !isText(drawing.label)) throw problem('label must be text of at most 500 characters');
  if (drawing.keywords !== undefined && !isTextList(drawing.keywords))
    throw problem('keywords must be a list of at most 12 lines of at most 500 characters');
  if (drawing.variant !== undefined && !Number.isInteger(drawing.variant)) throw problem('variant must be a whole number');
  const { kind, beatIndex, heading, label, keywords, variant } = drawing as MotionDrawing;
  return { kind, beatIndex, heading, label, keywords, variant };
}

/**
 * What the assembly draws for a clip of the offline B-roll: the drawing checked, its texts written
 * beside `stem`, then its filtergraph at any length with the labels the episode's graph gives it.
 */
export async function motionClipDrawer(
  value: unknown,
  field: string,
  stem: string,
  style: Pick<MotionStyle, 'size' | 'brandColor'>,
): Promise<ClipDrawer> {
  const drawing = checkDrawing(value, field);
  const texts = await writeDrawingTexts(drawing, stem);
  return (frames, labels) => relabelGraph(drawingFilter(drawing, texts, style, frames), labels);
}

/** A clip prepared for drawing: the still it is drawn over, and what is drawn. */
export interface PreparedMotion {
  /** Local path of the still. */
  still: string;
  /** A name for the still among the stage's artifacts, the same for every clip drawn over it. */
  stillName: string;
  drawing: MotionDrawing;
}

/** Prepares and renders planned clips as motion graphics in a workdir; keeps its gradients for the next clip. */
export class MotionRenderer {
  readonly workdir: string;
  readonly style: MotionStyle;
  readonly signal?: AbortSignal;
  private readonly assets: string;
  private readonly gradients = new Map<string, Promise<string>>();
  private prepared?: Promise<unknown>;

  constructor(workdir: string, style: MotionStyle, signal?: AbortSignal) {
    this.workdir = workdir;
    this.style = style;
    this.signal = signal;
    this.assets = join(workdir, 'motion-graphics');
  }

  /** The clip as a drawing over its still; `kind` defaults to motionKind's choice (a Ken Burns move without images is a keyword card). */
  async prepare(clip: PlannedClip, kind: MotionKind = motionKind(clip, this.style.images.length)): Promise<PreparedMotion> {
    this.prepared ??= mkdir(this.assets, { recursive: true });
    await this.prepared;
    const { size } = this.style;
    const palette = brandPalette(this.style.brandColor, clip.beatIndex);
    const layout = cardLayout(size);
    const labels = labelsFor(this.style.language);
    const { beatIndex } = clip;
    if (kind === 'kenburns' && this.style.images.length > 0) {
      const imageIndex = (clip.beatIndex + clip.index) % this.style.images.length;
      const still = this.style.images[imageIndex];
      return {
        still,
        stillName: `motion-image-${imageIndex + 1}${extname(still).toLowerCase() || '.png'}`,
        drawing: { kind, beatIndex, heading: wrapText(clip.heading, layout.keywordChars * 2, 1), variant: clip.beatIndex + clip.index },
      };
    }
    if (kind === 'title') {
      const wrapped = wrapText(clip.heading, layout.headingChars, layout.headingLines);
      const still = await this.gradient(palette, clip.beatIndex % 2 === 0 ? 25 : 155);
      return {
        still,
        stillName: basename(still),
        drawing: {
          kind,
          beatIndex,
          heading: wrapped.length > 0 ? wrapped : [labels.headings.part(clip.beatIndex + 1)],
          label: labels.cardLabel(clip.beatIndex + 1),
        },
      };
    }
    const wrapped = clipKeywords(clip).flatMap((keyword) => wrapText(capitalize(keyword), layout.keywordChars, 1));
    const still = await this.gradient(palette, clip.beatIndex % 2 === 0 ? 205 : 335);
    return {
      still,
      stillName: basename(still),
      drawing: {
        kind: 'keywords',
        beatIndex,
        heading: wrapText(clip.heading, layout.keywordChars + 8, 1),
        keywords: wrapped.length > 0 ? wrapped : [labels.headings.part(clip.beatIndex + 1)],
      },
    };
  }

  /** Renders the clip to clip.file in the workdir (a video of its own, for providers that hand over videos); `kind` as prepare's. */
  async render(clip: PlannedClip, kind?: MotionKind): Promise<MotionKind> {
    const { still, drawing } = await this.prepare(clip, kind);
    const texts = await writeDrawingTexts(drawing, join(this.assets, clip.file.replace(/\.mp4$/, '')));
    await runFfmpeg(
      [
        '-i',
        still,
        '-filter_complex',
        drawingFilter(drawing, texts, this.style, clip.frames),
        '-map',
        '[v]',
        '-an',
        ...INTERMEDIATE_H264_ARGS,
        '-r',
        String(FRAME_RATE),
        '-frames:v',
        String(clip.frames),
        '-y',
        join(this.workdir, clip.file),
      ],
      {
        signal: this.signal,
        totalSeconds: clip.seconds,
        logLevel: 'error',
        purpose: `motion graphics for ${clip.file}`,
      },
    );
    return drawing.kind;
  }

  private gradient(palette: Palette, angle: number): Promise<string> {
    const { size } = this.style;
    const key = `${ffmpegColor(palette.backgroundFrom)}-${ffmpegColor(palette.backgroundTo)}-${angle}`;
    let pending = this.gradients.get(key);
    if (!pending) {
      const width = round((size.width * DRIFT_SCALE) / 2) * 2;
      const height = round((size.height * DRIFT_SCALE) / 2) * 2;
      pending = renderGradient(
        join(this.assets, `motion-gradient-${key}.png`),
        { width, height, from: palette.backgroundFrom, to: palette.backgroundTo, angle, vignette: 0.35 },
        this.signal,
      );
      this.gradients.set(key, pending);
    }
    return pending;
  }
}

/** Up to four words or phrases for a keyword card: the cue's keywords, else words of its description or the heading. */
export function clipKeywords(clip: Pick<PlannedClip, 'cue' | 'heading'>): string[] {
  const keywords = (clip.cue?.keywords ?? []).map((keyword) => keyword.trim()).filter(Boolean);
  if (keywords.length > 0) return [...new Set(keywords)].slice(0, 4);
  const source = (clip.cue?.description || clip.heading).trim();
  const words = source.split(/\s+/).filter((word) => word.replace(/[^\p{L}\p{N}]/gu, '').length > 3);
  return (words.length > 0 ? words : [source]).filter(Boolean).slice(0, 4);
}

export interface MotionGraphicsOptions {
  /** Local copies of channel images that are not file:// URIs (s3://, https://). */
  imagePaths?: string[];
}

export function createMotionGraphicsBroll(spec?: BrollProvider, options: MotionGraphicsOptions = {}): BrollSource {
  return {
    name: 'motion-graphics',
    async clips(ctx: ProviderContext, script: BrollScript): Promise<Produced<BrollManifest>> {
      const format = ctx.channel.format;
      const plan = planBrollClips(script, {
        clipSeconds: spec?.clipSeconds,
        wordsPerMinute: narrationWordsPerMinute(ctx.channel, ctx.episode.spec),
      });
      const images = await channelImagePaths(format.images, options.imagePaths);
      const renderer = new MotionRenderer(
        ctx.workdir,
        { size: frameSize(format.aspectRatio), brandColor: format.brandColor, language: ctx.channel.persona.language, images },
        ctx.signal,
      );
      const clips: BrollClip[] = [];
      const stills = new Map<string, string>();
      const started = Date.now();
      // The gradients render side by side (each is one small ffmpeg run; most of its time is starting).
      const prepared = await Promise.all(plan.map((clip) => renderer.prepare(clip)));
      for (const [index, clip] of plan.entries()) {
        const { still, stillName, drawing } = prepared[index];
        if (!stills.has(stillName)) {
          stills.set(stillName, still);
          await copyFile(still, join(ctx.workdir, stillName));
        }
        ctx.log(`motion graphics: ${clip.beatId} clip ${clip.index + 1} (${drawing.kind}, ${clip.seconds.toFixed(2)} s) over ${stillName}`);
        clips.push({ beatId: clip.beatId, file: stillName, durationSeconds: clip.seconds, drawing });
      }
      const seconds = clips.reduce((sum, clip) => sum + clip.durationSeconds, 0);
      ctx.log(
        `motion graphics: ${clips.length} clips (${seconds.toFixed(1)} s) over ${stills.size} stills in ${((Date.now() - started) / 1000).toFixed(1)} s, drawn by the assembly`,
      );
      return { value: { clips }, usage: { clips: clips.length, seconds }, costUSD: 0 };
    },
  };
}
