// Title cards (drawtext), and captions and thumbnails (ASS through libass), draw the letters of
// de, es, fr and pt (ü, ñ, ç, ã) as letters: a character with a diacritic is rendered and compared
// with its base letter. The base letter's part must be the same and the accent must add ink where
// the base letter has none; a missing glyph (a box) or a dropped accent fails either check.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { escapeAssText } from '../../media/ass.ts';
import { FFMPEG } from '../../media/ffmpeg.ts';
import { escapeFilterValue } from '../../media/filter-graph.ts';
import { thumbnailAss } from '../../media/thumbnail.ts';
import { runTool } from '../voice/audio.ts';
import { FONT_BOLD, drawtextFile, writeTextFile } from './text.ts';

const root = await mkdtemp(join(tmpdir(), 'acog-non-ascii-'));
afterAll(() => rm(root, { recursive: true, force: true }));

interface Frame {
  width: number;
  height: number;
  /** Grey levels, one byte a pixel. */
  pixels: Buffer;
}

async function grey(filter: string, width: number, height: number): Promise<Frame> {
  const pixels = await runTool(FFMPEG, [
    ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `color=c=black:s=${width}x${height}:d=1`],
    ...['-vf', `${filter},format=gray`, '-frames:v', '1', '-f', 'rawvideo', '-'],
  ]);
  return { width, height, pixels };
}

/** A title card's text: drawtext with the cards' font, the baseline at a fixed height. */
async function drawnByCard(character: string): Promise<Frame> {
  const file = await writeTextFile(join(root, `card-${character.codePointAt(0)}.txt`), character);
  return grey(drawtextFile(FONT_BOLD, file, { fontsize: 160, fontcolor: 'white', x: 60, y: '200-ascent' }), 300, 300);
}

/** A thumbnail's (and captions') text: the thumbnail's ASS script rendered by libass. */
async function drawnByAss(character: string): Promise<Frame> {
  const path = join(root, `thumb-${character.codePointAt(0)}.ass`);
  await writeFile(path, thumbnailAss(escapeAssText(character)));
  return grey(`ass=filename=${escapeFilterValue(path)}`, 1280, 720);
}

const inked = (frame: Frame, row: number) => {
  for (let x = 0; x < frame.width; x++) if (frame.pixels[row * frame.width + x]! > 160) return true;
  return false;
};

/** The rows that hold ink, first and last. */
function inkRows(frame: Frame): { top: number; bottom: number } {
  const rows = Array.from({ length: frame.height }, (_, row) => row).filter((row) => inked(frame, row));
  return { top: rows[0] ?? -1, bottom: rows.at(-1) ?? -1 };
}

function sameRows(a: Frame, b: Frame, from: number, to: number): number {
  let same = 0;
  let total = 0;
  for (let row = from; row <= to; row++)
    for (let x = 0; x < a.width; x++) {
      total++;
      if (Math.abs(a.pixels[row * a.width + x]! - b.pixels[row * b.width + x]!) < 48) same++;
    }
  return same / total;
}

// [accented, base, where the accent sits]
const PAIRS = [
  ['ü', 'u', 'above'],
  ['ñ', 'n', 'above'],
  ['ã', 'a', 'above'],
  ['ç', 'c', 'below'],
  ['Ü', 'U', 'above'],
] as const;

for (const [name, draw] of [
  ['title cards (drawtext)', drawnByCard],
  ['thumbnails and captions (ASS, libass)', drawnByAss],
] as const) {
  describe(`${name} draw non-ASCII letters`, () => {
    for (const [accented, base, where] of PAIRS) {
      it(`draws ${accented} as ${base} with its accent ${where}`, async () => {
        const [withAccent, plain] = await Promise.all([draw(accented), draw(base)]);
        const baseInk = inkRows(plain);
        const accentInk = inkRows(withAccent);
        expect(baseInk.top).toBeGreaterThan(0);
        // The base letter's rows are the same letter (some ink from the accent's outline may reach them).
        expect(sameRows(withAccent, plain, baseInk.top + 4, baseInk.bottom - 4)).toBeGreaterThan(0.97);
        // The accent adds ink outside the base letter.
        if (where === 'above') expect(accentInk.top).toBeLessThan(baseInk.top - 8);
        else expect(accentInk.bottom).toBeGreaterThan(baseInk.bottom + 8);
      }, 60_000);
    }
  });
}
