// Vitest global setup: SvelteKit writes the tsconfig the console's own tsconfig extends
// (console/node_modules/$app/tsconfig.json) when it syncs; without it, vite cannot compile the
// gateway's sources for the tests. `vite build` syncs too (hack/test.sh builds first); this covers
// `npx vitest run test/console` straight after `npm ci`.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@acog/hack/paths';
import { run } from '@acog/hack/local-env/process';

export default async function setup(): Promise<void> {
  const consoleDir = join(repoRoot, 'console');
  if (existsSync(join(consoleDir, 'node_modules', '$app', 'tsconfig.json'))) return;
  await run(process.execPath, [join(repoRoot, 'node_modules', '@sveltejs', 'kit', 'svelte-kit.js'), 'sync'], { cwd: consoleDir });
}
