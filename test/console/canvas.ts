// Reads a bar chart back from the pixels a canvas shows: what was really drawn, not what the page
// meant to draw. Each colour's bars are the runs of columns (wider than a legend's swatch) holding
// that colour; a bar's height is the longest vertical run of the colour in its middle column.
import type { Page } from 'playwright-core';

export interface DrawnBar {
  colour: string;
  /** Left edge, in canvas pixels. */
  x: number;
  width: number;
  height: number;
}

export async function barsOnCanvas(page: Page, selector: string, colours: string[], minWidth = 20): Promise<DrawnBar[]> {
  return page.locator(selector).evaluate(
    (canvas: HTMLCanvasElement, { colours, minWidth }) => {
      const { width, height } = canvas;
      const pixels = canvas.getContext('2d')!.getImageData(0, 0, width, height).data;
      const bars: { colour: string; x: number; width: number; height: number }[] = [];
      for (const colour of colours) {
        const rgb = [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16));
        const matches = (x: number, y: number) => {
          const at = (y * width + x) * 4;
          return pixels[at + 3]! > 250 && rgb.every((value, i) => Math.abs(pixels[at + i]! - value) <= 6);
        };
        const tallest = (x: number) => {
          let best = 0;
          let run = 0;
          for (let y = 0; y < height; y++) {
            run = matches(x, y) ? run + 1 : 0;
            best = Math.max(best, run);
          }
          return best;
        };
        const columns = Array.from({ length: width }, (_, x) => tallest(x));
        for (let x = 0; x < width;) {
          if (!columns[x]) {
            x++;
            continue;
          }
          const start = x;
          while (x < width && columns[x]) x++;
          if (x - start >= minWidth) bars.push({ colour, x: start, width: x - start, height: columns[Math.floor((start + x) / 2)]! });
        }
      }
      return bars.sort((a, b) => a.x - b.x);
    },
    { colours, minWidth },
  );
}
