// Colours of title cards, gradients and the audiogram, derived from the channel's brandColor.

export interface Rgb {
  r: number;
  g: number;
  b: number;
}

export const DEFAULT_BRAND_COLOR = '#1e66f5';

/** Reads #rgb or #rrggbb (the # optional); anything else gives the default brand colour. */
export function parseHexColor(value: string | undefined): Rgb {
  const hex = (value ?? '').trim().replace(/^#/, '');
  const full = /^[0-9a-f]{3}$/i.test(hex)
    ? hex
        .split('')
        .map((digit) => digit + digit)
        .join('')
    : hex;
  if (!/^[0-9a-f]{6}$/i.test(full)) return parseHexColor(DEFAULT_BRAND_COLOR);
  return { r: parseInt(full.slice(0, 2), 16), g: parseInt(full.slice(2, 4), 16), b: parseInt(full.slice(4, 6), 16) };
}

const clampByte = (value: number) => Math.max(0, Math.min(255, Math.round(value)));

/** ffmpeg's colour syntax: 0xRRGGBB. */
export function ffmpegColor(color: Rgb): string {
  return `0x${[color.r, color.g, color.b].map((channel) => clampByte(channel).toString(16).padStart(2, '0')).join('')}`;
}

/** Linear mix: 0 gives a, 1 gives b. */
export function mix(a: Rgb, b: Rgb, amount: number): Rgb {
  return { r: a.r + (b.r - a.r) * amount, g: a.g + (b.g - a.g) * amount, b: a.b + (b.b - a.b) * amount };
}

const BLACK: Rgb = { r: 0, g: 0, b: 0 };
const WHITE: Rgb = { r: 255, g: 255, b: 255 };

export const darken = (color: Rgb, amount: number) => mix(color, BLACK, amount);
export const lighten = (color: Rgb, amount: number) => mix(color, WHITE, amount);

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

/** Colours of one card: a dark-to-brand background, a light accent, white text. */
export interface Palette {
  backgroundFrom: Rgb;
  backgroundTo: Rgb;
  accent: Rgb;
  text: Rgb;
}

/**
 * A palette from the brand colour; `variant` shifts the hue a little so that consecutive beats
 * look related but not identical.
 */
export function brandPalette(brandColor: string | undefined, variant = 0): Palette {
  const shifts = [0, 18, -14, 30, -24];
  const base = rotateHue(parseHexColor(brandColor), shifts[Math.abs(variant) % shifts.length]);
  return {
    backgroundFrom: darken(base, 0.82),
    backgroundTo: darken(base, 0.18),
    accent: lighten(base, 0.5),
    text: WHITE,
  };
}
