// Pre-rendered gradient backgrounds: a still image rendered once (small, then scaled up, since a
// gradient has no detail to lose), fed to the clip through the loop filter. The animated
// `gradients` source costs far more per frame.
import type { Rgb } from '../../media/color.ts';
import { runFfmpeg } from '../../media/ffmpeg.ts';
import type { FrameSize } from '../../media/frame.ts';

export interface GradientSpec extends FrameSize {
  from: Rgb;
  to: Rgb;
  /** Direction of the gradient in degrees: 0 runs left to right, 90 top to bottom. */
  angle: number;
  /** How much the corners darken, 0 to 1. */
  vignette: number;
}

const round3 = (value: number) => Math.round(value * 1000) / 1000;

/** The geq expression of each channel, with X/W and Y/H in 0..1 across the image. */
export function gradientExpressions(spec: Pick<GradientSpec, 'from' | 'to' | 'angle' | 'vignette'>): { r: string; g: string; b: string } {
  const radians = (spec.angle * Math.PI) / 180;
  const cos = round3(Math.cos(radians));
  const sin = round3(Math.sin(radians));
  // Scales the projection so that the two far corners reach exactly 0 and 1.
  const scale = round3(1 / (Math.abs(cos) + Math.abs(sin) || 1));
  const position = `clip(((X/W-0.5)*${cos}+(Y/H-0.5)*${sin})*${scale}+0.5,0,1)`;
  const shade = `(1-${round3(spec.vignette)}*1.414*hypot(X/W-0.5,Y/H-0.5))`;
  const channel = (from: number, to: number) => `(${Math.round(from)}+(${Math.round(to) - Math.round(from)})*${position})*${shade}`;
  return { r: channel(spec.from.r, spec.to.r), g: channel(spec.from.g, spec.to.g), b: channel(spec.from.b, spec.to.b) };
}

/** The filter chain that turns a small black frame into the gradient at full size. */
export function gradientFilter(spec: GradientSpec): string {
  const { r, g, b } = gradientExpressions(spec);
  return `format=rgb24,geq=r='${r}':g='${g}':b='${b}',scale=${spec.width}:${spec.height}:flags=bicubic`;
}

/** Renders the gradient to a PNG at `file`. */
export async function renderGradient(file: string, spec: GradientSpec, signal?: AbortSignal): Promise<string> {
  const small = `${Math.max(2, Math.round(spec.width / 10))}x${Math.max(2, Math.round(spec.height / 10))}`;
  await runFfmpeg(['-f', 'lavfi', '-i', `color=c=black:s=${small}`, '-vf', gradientFilter(spec), '-frames:v', '1', '-y', file], {
    signal,
    logLevel: 'error',
    purpose: 'rendering a gradient',
  });
  return file;
}
