import { describe, expect, it } from 'vitest';
import { assColor, darkenTo, drawColorForBt709, ffmpegColor, lightenTo, parseHexColor, relativeLuminance, ycbcr } from './color.ts';

describe('colour', () => {
  it('parses #rrggbb and refuses anything else', () => {
    expect(parseHexColor('#1e66f5')).toEqual({ r: 0x1e, g: 0x66, b: 0xf5 });
    expect(() => parseHexColor('blue')).toThrow(/#rrggbb/);
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
