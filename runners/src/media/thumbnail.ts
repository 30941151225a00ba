// The episode thumbnail: 1280x720 JPEG, a frame of the video (or the brand gradient) with the
// thumbnail text large, bold and outlined.
import { writeFile } from 'node:fs/promises';
import { assDocument, escapeAssText, titleTextStyle } from './ass.ts';
import { DEFAULT_BRAND_COLOR, ffmpegColor, mix, parseHexColor } from './color.ts';
import { escapeFilterValue } from './filter-graph.ts';
import { runFfmpeg, type RunOptions } from './ffmpeg.ts';
import type { FrameSize } from './frame.ts';

export const THUMBNAIL_SIZE: FrameSize = { width: 1280, height: 720 };

export interface ThumbnailSource {
  path: string;
  /** Where in the file the frame is taken. */
  atSeconds: number;
}

export interface ThumbnailSpec {
  outputPath: string;
  /** Where the text's ASS script is written. */
  assPath: string;
  text: string;
  brandColor?: string;
  /** A video to take the frame from; the brand gradient without one. */
  source?: ThumbnailSource;
  fontsDir?: string;
}

/** Large for a few words, smaller as the text grows, so that it stays within about three lines. */
export function thumbnailFontSize(text: string): number {
  const length = text.trim().length;
  if (length <= 12) return 150;
  if (length <= 24) return 124;
  if (length <= 40) return 100;
  return 80;
}

/** The ASS script that draws the thumbnail text, centred, white with a thick black outline and a soft shadow. */
export function thumbnailAss(text: string): string {
  const fontSize = thumbnailFontSize(text);
  const style = titleTextStyle({
    name: 'Thumbnail',
    fontSize,
    outline: Math.round(fontSize * 0.08),
    shadow: Math.round(fontSize * 0.05),
    shadowAlpha: 0x60,
    sideMargin: 60,
  });
  return assDocument(THUMBNAIL_SIZE, [style], [{ layer: 0, start: 0, end: 3600, style: style.name, text: escapeAssText(text.trim()) }]);
}

/** ffmpeg arguments for the thumbnail (pure). The picture is worked in RGB, so colours need no BT.709 care. */
export function buildThumbnailArgs(spec: ThumbnailSpec): string[] {
  const { width: W, height: H } = THUMBNAIL_SIZE;
  const brandRgb = parseHexColor(spec.brandColor ?? DEFAULT_BRAND_COLOR);
  const brand = ffmpegColor(brandRgb);
  const bar = Math.round(H * 0.025);
  const text = `ass=filename=${escapeFilterValue(spec.assPath)}` + (spec.fontsDir ? `:fontsdir=${escapeFilterValue(spec.fontsDir)}` : '');
  const finish = `drawbox=x=0:y=${H - bar}:w=${W}:h=${bar}:color=${brand}:t=fill,${text}`;
  if (spec.source) {
    return [
      ...['-ss', spec.source.atSeconds.toFixed(3), '-i', spec.source.path],
      '-filter_complex',
      // Blurred (the frame may carry its own titles), darkened, more saturated and vignetted, so that
      // the thumbnail's text is the only text that reads.
      `[0:v]scale=${W}:${H}:force_original_aspect_ratio=increase,crop=${W}:${H},setsar=1,boxblur=luma_radius=18:luma_power=2,format=yuv444p,` +
        `eq=brightness=-0.12:saturation=1.3,vignette=angle=PI/4,format=rgb24,${finish}[thumb]`,
      ...['-map', '[thumb]', '-frames:v', '1', '-q:v', '2', '-pix_fmt', 'yuvj420p', '-y', spec.outputPath],
    ];
  }
  const dark = ffmpegColor(mix(brandRgb, { r: 0, g: 0, b: 0 }, 0.6));
  return [
    '-filter_complex',
    `gradients=s=${W}x${H}:c0=${brand}:c1=${dark}:x0=0:y0=0:x1=${W}:y1=${H}:n=2:d=1,format=rgb24,${finish}[thumb]`,
    ...['-map', '[thumb]', '-frames:v', '1', '-q:v', '2', '-pix_fmt', 'yuvj420p', '-y', spec.outputPath],
  ];
}

export async function renderThumbnail(spec: ThumbnailSpec, options: Pick<RunOptions, 'signal'> = {}): Promise<void> {
  await writeFile(spec.assPath, thumbnailAss(spec.text));
  await runFfmpeg(buildThumbnailArgs(spec), { ...options, purpose: 'thumbnail' });
}
