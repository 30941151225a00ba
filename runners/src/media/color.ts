// Colour maths for cards, captions, thumbnails and the visual providers' artwork (pure).

export interface Rgb {
  r: number;
  g: number;
  b: number;
}

export const DEFAULT_BRAND_COLOR = '#1e66f5';

/** #rrggbb (the # optional), and with `short` also #rgb; undefined for anything else. */
function readHexColor(value: string, short: boolean): Rgb | undefined {
  const hex = value.trim().replace(/^#/, '');
  const full = short && /^[0-9a-f]{3}$/i.test(hex) ? [...hex].map((digit) => digit + digit).join('') : hex;
  if (!/^[0-9a-f]{6}$/i.test(full)) return undefined;
  const rgb = parseInt(full, 16);
  return { r: (rgb >> 16) & 0xff, g: (rgb >> 8) & 0xff, b: rgb & 0xff };
}

/** Reads #rrggbb (the # optional); throws on anything else. */
export function parseHexColor(hex: string): Rgb {
  const rgb = readHexColor(hex, false);
  if (!rgb) throw new Error(`brandColor must be #rrggbb, got '${hex}'`);
  return rgb;
}

/**
 * The lenient reading the avatar and B-roll artwork uses: #rgb or #rrggbb (the # optional), and the
 * default brand colour for a missing or unreadable value rather than an error.
 */
export function brandColorOrDefault(value: string | undefined): Rgb {
  return readHexColor(value ?? '', true) ?? parseHexColor(DEFAULT_BRAND_COLOR);
}

export const clampByte = (value: number) => Math.min(255, Math.max(0, Math.round(value)));

/** `0xRRGGBB`, the form ffmpeg's colour options take. */
export function ffmpegColor(color: Rgb): string {
  return '0x' + [color.r, color.g, color.b].map((c) => clampByte(c).toString(16).padStart(2, '0')).join('');
}

/** WCAG relative luminance, 0 (black) … 1 (white). */
export function relativeLuminance(color: Rgb): number {
  const linear = (c: number) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * linear(color.r) + 0.7152 * linear(color.g) + 0.0722 * linear(color.b);
}

/** `amount` 0 keeps `color`, 1 gives `toward`. */
export function mix(color: Rgb, toward: Rgb, amount: number): Rgb {
  return {
    r: clampByte(color.r + (toward.r - color.r) * amount),
    g: clampByte(color.g + (toward.g - color.g) * amount),
    b: clampByte(color.b + (toward.b - color.b) * amount),
  };
}

const WHITE: Rgb = { r: 255, g: 255, b: 255 };
const BLACK: Rgb = { r: 0, g: 0, b: 0 };

export const darken = (color: Rgb, amount: number) => mix(color, BLACK, amount);
export const lighten = (color: Rgb, amount: number) => mix(color, WHITE, amount);

/** The colour mixed toward white just enough to reach `minLuminance` (for text over a dark outline). */
export function lightenTo(color: Rgb, minLuminance: number): Rgb {
  for (let amount = 0; amount <= 1; amount += 0.05) {
    const candidate = mix(color, WHITE, amount);
    if (relativeLuminance(candidate) >= minLuminance) return candidate;
  }
  return WHITE;
}

/** The colour mixed toward black just enough to fall to `maxLuminance` (for a box behind white text). */
export function darkenTo(color: Rgb, maxLuminance: number): Rgb {
  for (let amount = 0; amount <= 1; amount += 0.05) {
    const candidate = mix(color, BLACK, amount);
    if (relativeLuminance(candidate) <= maxLuminance) return candidate;
  }
  return BLACK;
}

/** Rotates the hue by `degrees`, keeping lightness and saturation (through HSL). */
export function rotateHue(color: Rgb, degrees: number): Rgb {
  const r = color.r / 255;
  const g = color.g / 255;
  const b = color.b / 255;
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const lightness = (max + min) / 2;
  if (max === min) return { ...color };
  const delta = max - min;
  const saturation = lightness > 0.5 ? delta / (2 - max - min) : delta / (max + min);
  let hue = max === r ? (g - b) / delta + (g < b ? 6 : 0) : max === g ? (b - r) / delta + 2 : (r - g) / delta + 4;
  hue = (((hue * 60 + degrees) % 360) + 360) % 360;
  const q = lightness < 0.5 ? lightness * (1 + saturation) : lightness + saturation - lightness * saturation;
  const p = 2 * lightness - q;
  const channel = (offset: number) => {
    let t = hue / 360 + offset;
    if (t < 0) t += 1;
    if (t > 1) t -= 1;
    if (t < 1 / 6) return p + (q - p) * 6 * t;
    if (t < 1 / 2) return q;
    if (t < 2 / 3) return p + (q - p) * (2 / 3 - t) * 6;
    return p;
  };
  return { r: channel(1 / 3) * 255, g: channel(0) * 255, b: channel(-1 / 3) * 255 };
}

/** Colours of one motion-graphics card: a dark-to-brand background, a light accent, white text. */
export interface Palette {
  backgroundFrom: Rgb;
  backgroundTo: Rgb;
  accent: Rgb;
  text: Rgb;
}

/**
 * A palette from the brand colour (read leniently, see brandColorOrDefault); `variant` shifts the
 * hue a little so that consecutive beats look related but not identical.
 */
export function brandPalette(brandColor: string | undefined, variant = 0): Palette {
  const shifts = [0, 18, -14, 30, -24];
  const base = rotateHue(brandColorOrDefault(brandColor), shifts[Math.abs(variant) % shifts.length]);
  return {
    backgroundFrom: darken(base, 0.82),
    backgroundTo: darken(base, 0.18),
    accent: lighten(base, 0.5),
    text: WHITE,
  };
}

interface LumaCoefficients {
  kr: number;
  kb: number;
}
const BT601: LumaCoefficients = { kr: 0.299, kb: 0.114 };
const BT709: LumaCoefficients = { kr: 0.2126, kb: 0.0722 };

function rgbToYcbcr({ r, g, b }: Rgb, { kr, kb }: LumaCoefficients): [number, number, number] {
  const y = kr * r + (1 - kr - kb) * g + kb * b;
  return [y, (b - y) / (2 * (1 - kb)), (r - y) / (2 * (1 - kr))];
}

function ycbcrToRgb([y, cb, cr]: [number, number, number], { kr, kb }: LumaCoefficients): Rgb {
  const r = y + 2 * (1 - kr) * cr;
  const b = y + 2 * (1 - kb) * cb;
  const g = (y - kr * r - kb * b) / (1 - kr - kb);
  return { r, g, b };
}

/**
 * The colour to hand ffmpeg 5.1's drawing filters (color, pad, ass) so that a BT.709-tagged video
 * shows `color`: those filters convert RGB to YUV with BT.601 coefficients whatever the output's
 * tag, which shifts saturated brand colours visibly.
 */
export function drawColorForBt709(color: Rgb): Rgb {
  const rgb = ycbcrToRgb(rgbToYcbcr(color, BT709), BT601);
  return { r: clampByte(rgb.r), g: clampByte(rgb.g), b: clampByte(rgb.b) };
}

/** For tests: the YCbCr (0…255 scale, chroma centred on 0) of a colour under BT.601 or BT.709. */
export function ycbcr(color: Rgb, matrix: 'bt601' | 'bt709'): [number, number, number] {
  return rgbToYcbcr(color, matrix === 'bt601' ? BT601 : BT709);
}
