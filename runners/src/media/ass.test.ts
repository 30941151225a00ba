import { describe, expect, it } from 'vitest';
import { assColor, assDocument, assStyleLine, escapeAssText, formatAssTime, titleTextStyle, type AssStyle } from './ass.ts';

const caption: AssStyle = {
  name: 'Caption',
  fontName: 'DejaVu Sans',
  fontSize: 58,
  primary: '&H00FFFFFF',
  secondary: '&H00FFFFFF',
  outlineColor: '&H30331405',
  back: '&HFF000000',
  bold: true,
  borderStyle: 3,
  outline: 12,
  shadow: 0,
  alignment: 2,
  marginL: 115,
  marginR: 115,
  marginV: 81,
};

describe('ASS', () => {
  it('writes colours as &HAABBGGRR, clamped to bytes', () => {
    expect(assColor({ r: 0x12, g: 0x34, b: 0x56 })).toBe('&H00563412');
    expect(assColor({ r: 255, g: 255, b: 255 }, 0x60)).toBe('&H60FFFFFF');
    expect(assColor({ r: 300, g: -4, b: 127.6 }, 256)).toBe('&HFF8000FF');
  });

  it('writes a style line with every field of the Format line', () => {
    expect(assStyleLine(caption)).toBe(
      'Style: Caption,DejaVu Sans,58,&H00FFFFFF,&H00FFFFFF,&H30331405,&HFF000000,-1,0,0,0,100,100,0,0,3,12,0,2,115,115,81,1',
    );
    expect(assStyleLine({ ...caption, bold: false })).toContain(',&HFF000000,0,0,0,0,100,100,');
  });

  it('writes the header, the styles and the events of a script', () => {
    const script = assDocument(
      { width: 1280, height: 720 },
      [caption],
      [{ layer: 1, start: 1.5, end: 3661.234, style: 'Caption', text: 'Hello' }],
    );
    expect(script).toBe(
      [
        '[Script Info]',
        'ScriptType: v4.00+',
        'PlayResX: 1280',
        'PlayResY: 720',
        'WrapStyle: 0',
        'ScaledBorderAndShadow: yes',
        '',
        '[V4+ Styles]',
        'Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding',
        'Style: Caption,DejaVu Sans,58,&H00FFFFFF,&H00FFFFFF,&H30331405,&HFF000000,-1,0,0,0,100,100,0,0,3,12,0,2,115,115,81,1',
        '',
        '[Events]',
        'Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text',
        'Dialogue: 1,0:00:01.50,1:01:01.23,Caption,,0,0,0,,Hello',
        '',
      ].join('\n'),
    );
  });

  it('styles title text bold and centred, white unless told, with a black outline and shadow', () => {
    const options = { name: 'Card', fontSize: 88, outline: 0, shadow: 4, shadowAlpha: 0xa0, sideMargin: 192 };
    expect(assStyleLine(titleTextStyle(options))).toBe(
      'Style: Card,DejaVu Sans,88,&H00FFFFFF,&H00FFFFFF,&H00000000,&HA0000000,-1,0,0,0,100,100,0,0,1,0,4,5,192,192,0,1',
    );
    const tinted = titleTextStyle({ ...options, textColor: '&H00F0F0F0' });
    expect([tinted.primary, tinted.secondary, tinted.outlineColor]).toEqual(['&H00F0F0F0', '&H00F0F0F0', '&H00000000']);
  });

  it('shows text literally and times in centiseconds', () => {
    expect(escapeAssText('a {b} \\c\nd')).toBe('a (b) /c\\Nd');
    expect(formatAssTime(-1)).toBe('0:00:00.00');
    expect(formatAssTime(59.996)).toBe('0:01:00.00');
  });
});
