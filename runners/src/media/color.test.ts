import { describe, expect, it } from 'vitest';
import { assColor } from './ass.ts';
import {
  brandColorOrDefault,
  brandPalette,
  darken,
  darkenTo,
  DEFAULT_BRAND_COLOR,
  drawColorForBt709,
  ffmpegColor,
  lighten,
  lightenTo,
  mix,
  parseHexColor,
  relativeLuminance,
  rotateHue,
  ycbcr,
} from './color.ts';

describe('colour', () => {
  it('parses #rrggbb and refuses anything else', () => {
    expect(parseHexColor('#1e66f5')).toEqual({ r: 0x1e, g: 0x66, b: 0xf5 });
    expect(() => parseHexColor('blue')).toThrow(/#rrggbb/);
  });

  it('reads brand colours for artwork leniently: #rgb too, and the default for nonsense', () => {
    expect(brandColorOrDefault('#1e66f5')).toEqual({ r: 30, g: 102, b: 245 });
    expect(brandColorOrDefault('abc')).toEqual({ r: 170, g: 187, b: 204 });
    expect(brandColorOrDefault('purple')).toEqual(brandColorOrDefault('#1e66f5'));
    expect(brandColorOrDefault(undefined)).toEqual(parseHexColor(DEFAULT_BRAND_COLOR));
    expect(() => parseHexColor('abc')).toThrow(/#rrggbb/);
    expect(ffmpegColor({ r: 30, g: 102, b: 245 })).toBe('0x1e66f5');
    expect(ffmpegColor({ r: 300, g: -4, b: 10.6 })).toBe('0xff000b');
  });

  it('mixes, darkens, lightens and turns hues', () => {
    expect(mix({ r: 0, g: 0, b: 0 }, { r: 200, g: 100, b: 50 }, 0.5)).toEqual({ r: 100, g: 50, b: 25 });
    expect(darken({ r: 200, g: 100, b: 50 }, 1)).toEqual({ r: 0, g: 0, b: 0 });
    expect(lighten({ r: 0, g: 0, b: 0 }, 1)).toEqual({ r: 255, g: 255, b: 255 });
    expect(ffmpegColor(rotateHue({ r: 255, g: 0, b: 0 }, 120))).toBe('0x00ff00');
    expect(ffmpegColor(rotateHue({ r: 128, g: 128, b: 128 }, 90))).toBe('0x808080');
  });

  it('gives consecutive beats related palettes', () => {
    const first = brandPalette('#1e66f5', 0);
    const second = brandPalette('#1e66f5', 1);
    expect(first.backgroundFrom).not.toEqual(second.backgroundFrom);
    expect(brandPalette('#1e66f5', 5)).toEqual(first);
    expect(first.text).toEqual({ r: 255, g: 255, b: 255 });
  });

  it('writes ffmpeg and ASS colours', () => {
    expect(ffmpegColor({ r: 0x1e, g: 0x66, b: 0xf5 })).toBe('0x1e66f5');
    expect(assColor({ r: 0x1e, g: 0x66, b: 0xf5 })).toBe('&H00F5661E');
    expect(assColor({ r: 0, g: 0, b: 0 }, 0x80)).toBe('&H80000000');
  });

  it('lightens and darkens to a luminance', () => {
    const brand = parseHexColor('#1e66f5');
    expect(relativeLuminance(lightenTo(brand, 0.4))).toBeGreaterThanOrEqual(0.4);
    expect(relativeLuminance(darkenTo(brand, 0.1))).toBeLessThanOrEqual(0.1);
  });

  it('pre-compensates drawing colours so BT.601 drawing yields the BT.709 values', () => {
    const brand = parseHexColor('#1e66f5');
    const drawn = ycbcr(drawColorForBt709(brand), 'bt601');
    const wanted = ycbcr(brand, 'bt709');
    drawn.forEach((value, i) => expect(Math.abs(value - wanted[i])).toBeLessThan(1.5));
    expect(drawColorForBt709({ r: 255, g: 255, b: 255 })).toEqual({ r: 255, g: 255, b: 255 });
  });
});
