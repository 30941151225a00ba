// axe-core in the page under test: inject it, run it on the whole document, and fail naming every
// serious or critical violation (rule, impact, help and the elements it found).
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import type { AxeResults, Result } from 'axe-core';

const axeSource = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The impacts a page must not have. */
const BLOCKING = new Set(['serious', 'critical']);

/** Every violation axe finds on the page as it is now (the page's own state: wait for it first). */
export async function axeViolations(page: Page): Promise<Result[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: await axeSource });
  const results = await page.evaluate(() =>
    (window as unknown as { axe: { run: (context: Document, options: object) => Promise<AxeResults> } }).axe.run(document, {
      resultTypes: ['violations'],
    }),
  );
  return results.violations;
}

/** Fails with a list of the serious and critical violations on the page, if there are any. */
export async function expectNoSeriousViolations(page: Page, what: string): Promise<void> {
  const blocking = (await axeViolations(page)).filter((violation) => BLOCKING.has(violation.impact ?? ''));
  if (blocking.length === 0) return;
  const lines = blocking.map(
    (v) =>
      `- ${v.id} (${v.impact}): ${v.help}\n${v.nodes.map((node) => `    ${node.target.join(' ')}: ${node.failureSummary?.split('\n').join(' ')}`).join('\n')}`,
  );
  throw new Error(`axe: ${blocking.length} serious or critical violation(s) on ${what} (${page.url()}):\n${lines.join('\n')}`);
}
