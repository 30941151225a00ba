// ASS (Advanced SubStation Alpha), the format ffmpeg's ass filter burns in: colours, styles, the
// script's header and events, and the style of centred title text (cards, the thumbnail).
import { clampByte, type Rgb } from './color.ts';
import type { FrameSize } from './frame.ts';

/** ASS colour `&HAABBGGRR`; alpha 0 is opaque, 255 invisible. */
export function assColor(color: Rgb, alpha = 0): string {
  const hex = (n: number) => clampByte(n).toString(16).padStart(2, '0').toUpperCase();
  return `&H${hex(alpha)}${hex(color.b)}${hex(color.g)}${hex(color.r)}`;
}

/** Text as ASS shows it literally: braces open override blocks and backslashes start tags. */
export function escapeAssText(text: string): string {
  return text.replace(/\\/g, '/').replace(/\{/g, '(').replace(/\}/g, ')').replace(/\r?\n/g, '\\N');
}

const pad2 = (value: number) => String(value).padStart(2, '0');

export const centiseconds = (seconds: number) => Math.max(0, Math.round(seconds * 100));

/** `H:MM:SS.cc`, from a time in centiseconds. */
function formatAssCentiseconds(total: number): string {
  return `${Math.floor(total / 360_000)}:${pad2(Math.floor(total / 6000) % 60)}:${pad2(Math.floor(total / 100) % 60)}.${pad2(total % 100)}`;
}

/** `H:MM:SS.cc` */
export function formatAssTime(seconds: number): string {
  return formatAssCentiseconds(centiseconds(seconds));
}

/** The font of all text drawn through ASS (Debian's fonts-dejavu-core). */
export const ASS_FONT = 'DejaVu Sans';

export interface AssStyle {
  name: string;
  fontName: string;
  fontSize: number;
  primary: string;
  secondary: string;
  outlineColor: string;
  back: string;
  bold: boolean;
  /** 1: outline and shadow; 3: an opaque box (drawn in outlineColor, `outline` pixels of padding). */
  borderStyle: 1 | 3;
  outline: number;
  shadow: number;
  /** Numpad alignment: 2 bottom centre, 5 middle centre, 8 top centre. */
  alignment: number;
  marginL: number;
  marginR: number;
  marginV: number;
}

export interface AssEvent {
  layer: number;
  start: number;
  end: number;
  style: string;
  /** Already escaped, override tags allowed. */
  text: string;
}

export function assStyleLine(s: AssStyle): string {
  const fields = [
    s.name,
    s.fontName,
    s.fontSize,
    s.primary,
    s.secondary,
    s.outlineColor,
    s.back,
    s.bold ? -1 : 0,
    0,
    0,
    0,
    100,
    100,
    0,
    0,
    s.borderStyle,
    s.outline,
    s.shadow,
    s.alignment,
    s.marginL,
    s.marginR,
    s.marginV,
    1,
  ];
  return `Style: ${fields.join(',')}`;
}

/** A complete ASS script at the given resolution. */
export function assDocument(frame: FrameSize, styles: AssStyle[], events: AssEvent[]): string {
  return [
    '[Script Info]',
    'ScriptType: v4.00+',
    `PlayResX: ${frame.width}`,
    `PlayResY: ${frame.height}`,
    'WrapStyle: 0',
    'ScaledBorderAndShadow: yes',
    '',
    '[V4+ Styles]',
    'Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding',
    ...styles.map(assStyleLine),
    '',
    '[Events]',
    'Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text',
    ...events.map((e) => `Dialogue: ${e.layer},${formatAssTime(e.start)},${formatAssTime(e.end)},${e.style},,0,0,0,,${e.text}`),
    '',
  ].join('\n');
}

export interface TitleTextOptions {
  name: string;
  fontSize: number;
  /** ASS colour of the text; white when unset. */
  textColor?: string;
  outline: number;
  shadow: number;
  /** Alpha of the black shadow. */
  shadowAlpha: number;
  /** Left and right margins. */
  sideMargin: number;
}

/** Bold text in the middle of the frame, black-outlined with a black shadow: title cards and the thumbnail. */
export function titleTextStyle(options: TitleTextOptions): AssStyle {
  const text = options.textColor ?? assColor({ r: 255, g: 255, b: 255 });
  return {
    name: options.name,
    fontName: ASS_FONT,
    fontSize: options.fontSize,
    primary: text,
    secondary: text,
    outlineColor: assColor({ r: 0, g: 0, b: 0 }),
    back: assColor({ r: 0, g: 0, b: 0 }, options.shadowAlpha),
    bold: true,
    borderStyle: 1,
    outline: options.outline,
    shadow: options.shadow,
    alignment: 5,
    marginL: options.sideMargin,
    marginR: options.sideMargin,
    marginV: 0,
  };
}
