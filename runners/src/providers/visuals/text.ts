// Text for drawtext: wrapped by hand (ffmpeg 5.1's drawtext does not wrap) and written to files,
// so that no quoting or % expansion can touch what the viewer reads.
import { writeFile } from 'node:fs/promises';
import { escapeFilterValue } from '../../media/filter-graph.ts';

export const FONT_REGULAR = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
export const FONT_BOLD = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';

/** A drawtext filter with its options in the order given. */
export function drawtext(options: Record<string, string | number>): string {
  return `drawtext=${Object.entries(options)
    .map(([key, value]) => `${key}=${value}`)
    .join(':')}`;
}

/** A drawtext filter that draws the text of `file` (see writeTextFile) as it is, in `font`; `options` follow. */
export function drawtextFile(font: string, file: string, options: Record<string, string | number>): string {
  return drawtext({ fontfile: font, textfile: escapeFilterValue(file), expansion: 'none', ...options });
}

/**
 * Breaks text into at most `maxLines` lines of about `maxChars` characters at word boundaries;
 * what does not fit ends in an ellipsis.
 */
export function wrapText(text: string, maxChars: number, maxLines: number): string[] {
  const words = text.replace(/\s+/g, ' ').trim().split(' ').filter(Boolean);
  const lines: string[] = [];
  let current = '';
  for (const word of words) {
    const piece = word.length > maxChars ? `${word.slice(0, maxChars - 1)}…` : word;
    if (!current) current = piece;
    else if (current.length + 1 + piece.length <= maxChars) current += ` ${piece}`;
    else {
      lines.push(current);
      current = piece;
    }
  }
  if (current) lines.push(current);
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  const last = kept[maxLines - 1];
  kept[maxLines - 1] = last.length + 1 <= maxChars ? `${last}…` : `${last.slice(0, maxChars - 1)}…`;
  return kept;
}

/** "Ada Lovelace" → "AL", "Ada" → "A", "" → "?". */
export function initialsOf(name: string): string {
  const words = name
    .trim()
    .split(/[\s\-_.]+/)
    .filter((word) => /\p{L}|\p{N}/u.test(word));
  if (words.length === 0) return '?';
  const letters = [words[0], words.length > 1 ? words[words.length - 1] : undefined]
    .filter((word): word is string => Boolean(word))
    .map((word) => [...word].find((char) => /\p{L}|\p{N}/u.test(char)) ?? '');
  return letters.join('').toUpperCase();
}

/** "cache invalidation" → "Cache invalidation". */
export function capitalize(text: string): string {
  const trimmed = text.trim();
  return trimmed ? trimmed[0].toUpperCase() + trimmed.slice(1) : trimmed;
}

export async function writeTextFile(file: string, lines: string[] | string): Promise<string> {
  await writeFile(file, Array.isArray(lines) ? lines.join('\n') : lines, 'utf8');
  return file;
}
