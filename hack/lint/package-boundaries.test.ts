import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../paths.ts';
import { ALLOWED_DEPENDENCIES, boundaryProblem, loadManifests } from './package-boundaries.ts';

const manifests = loadManifests(repoRoot);
const check = (file: string, specifier: string) => boundaryProblem(repoRoot, manifests, file, specifier);

/** Every module specifier a source names: static imports, export-from and dynamic imports. */
function specifiersOf(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g)) found.push(match[1]);
  for (const match of text.matchAll(/(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)) found.push(match[1]);
  for (const match of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(match[1]);
  return found;
}

describe('package boundaries (ADR 0009)', () => {
  it('hold everywhere in the tree', () => {
    const files = execFileSync(
      'git',
      ['ls-files', '--cached', '--others', '--exclude-standard', '--', ...Object.keys(ALLOWED_DEPENDENCIES)],
      {
        cwd: repoRoot,
        encoding: 'utf8',
      },
    )
      .split('\n')
      .filter((file) => /\.(ts|svelte)$/.test(file) && !file.includes('/generated/'));
    expect(files.length).toBeGreaterThan(200);
    const problems: string[] = [];
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(join(repoRoot, file), 'utf8');
      } catch {
        continue;
      }
      for (const specifier of specifiersOf(text)) {
        const problem = check(file, specifier);
        if (problem) problems.push(`${file}: ${problem}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('every package declares explicit exports, without wildcards', () => {
    for (const manifest of manifests.values()) {
      if (manifest.folder === 'test') continue;
      expect({ name: manifest.name, exports: manifest.exports.length > 0 }).toEqual({ name: manifest.name, exports: true });
      expect(manifest.exports.filter((key) => key.includes('*'))).toEqual([]);
    }
    for (const manifest of manifests.values()) {
      const raw = JSON.parse(readFileSync(join(repoRoot, manifest.folder, 'package.json'), 'utf8')) as { exports?: Record<string, string> };
      expect(Object.keys(raw.exports ?? {}).filter((key) => key.includes('*'))).toEqual([]);
    }
  });

  it('refuses a deep import past the declared surface', () => {
    expect(check('operator/src/operator.ts', '@acog/runners/stages/stages')).toMatch(
      /"@acog\/runners\/stages\/stages" is not part of @acog\/runners's surface \(its exports: @acog\/runners, @acog\/runners\/media\)/,
    );
    expect(check('operator/src/operator.ts', '@acog/kube')).toBeUndefined();
    expect(check('runners/src/providers/http.ts', '@acog/kube/backoff')).toBeUndefined();
  });

  it('refuses dependencies that run the wrong way, and app-to-app imports', () => {
    expect(check('api/src/pipeline.ts', '@acog/kube')).toMatch(/@acog\/api may not depend on @acog\/kube/);
    expect(check('runners/src/cli.ts', '@acog/operator')).toMatch(/@acog\/runners may not depend on @acog\/operator/);
    expect(check('console/src/http/app.ts', '@acog/kubectl-plugin')).toMatch(/@acog\/console may not depend on @acog\/kubectl-plugin/);
    expect(check('kubectl-plugin/src/cli.ts', '@acog/console')).toMatch(/may not depend on @acog\/console/);
    expect(check('db/src/database.ts', '@acog/kube')).toMatch(/@acog\/db may not depend on @acog\/kube/);
    expect(check('runners/src/cli.ts', '@acog/db')).toMatch(/@acog\/runners may not depend on @acog\/db/);
  });

  it('refuses a relative path into another package, except test code using the test support', () => {
    expect(check('console/src/gateway.ts', '../../operator/src/operator.ts')).toMatch(/relative import into operator\//);
    expect(check('kube/src/cache/informer.test.ts', '../../../test/support/env.ts')).toBeUndefined();
    expect(check('kube/src/cache/informer.ts', '../../../test/support/env.ts')).toMatch(/relative import into test\//);
    expect(check('operator/src/episode/reconciler.ts', '../config/runner-config.ts')).toBeUndefined();
  });

  it('refuses an ACOG package its package.json does not declare', () => {
    const undeclared = new Map(manifests);
    const operator = manifests.get('operator')!;
    undeclared.set('operator', { ...operator, dependencies: new Set([...operator.dependencies].filter((name) => name !== '@acog/kube')) });
    expect(boundaryProblem(repoRoot, undeclared, 'operator/src/operator.ts', '@acog/kube')).toMatch(
      /@acog\/operator imports @acog\/kube without declaring it in operator\/package.json/,
    );
  });
});
