// The package boundaries of ADR 0009, as one pure check used by ESLint (hack/lint/eslint-plugin.ts)
// and by a test that scans the whole tree: every import of another ACOG package goes through that
// package's declared `exports`, dependencies run one way (api, kube, store, db at the bottom, runners
// above them, the apps on top, no app importing another), each import names a package its
// package.json declares, and no relative path reaches into another package's folder.
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** Folder → the ACOG packages its code may import (besides itself). Folders not listed are free. */
export const ALLOWED_DEPENDENCIES: Readonly<Record<string, readonly string[]>> = {
  api: [],
  kube: [],
  store: [],
  db: [],
  runners: ['api', 'kube', 'store'],
  operator: ['api', 'kube', 'store', 'db', 'runners'],
  console: ['api', 'kube', 'store', 'db', 'runners'],
  'kubectl-plugin': ['api', 'kube', 'store', 'runners'],
  hack: ['api'],
  test: ['api', 'kube', 'store', 'db', 'runners', 'operator', 'console', 'kubectl-plugin', 'hack'],
  bench: ['api', 'kube', 'store', 'db', 'runners', 'operator', 'console', 'kubectl-plugin', 'hack'],
};

/** What test code beside any package may also use: the shared test support and the local control plane;
 * the tests and benchmarks may also reach these two by relative path. */
const TEST_CODE_MAY_ALSO_USE = ['test', 'hack'];

export interface Manifest {
  name: string;
  folder: string;
  exports: string[];
  dependencies: Set<string>;
}

export function loadManifests(root: string): Map<string, Manifest> {
  const manifests = new Map<string, Manifest>();
  for (const folder of Object.keys(ALLOWED_DEPENDENCIES)) {
    let json: { name: string; exports?: Record<string, string> | string; dependencies?: object; devDependencies?: object };
    try {
      json = JSON.parse(readFileSync(join(root, folder, 'package.json'), 'utf8'));
    } catch {
      continue;
    }
    const exports = typeof json.exports === 'string' ? ['.'] : Object.keys(json.exports ?? {});
    const dependencies = new Set([...Object.keys(json.dependencies ?? {}), ...Object.keys(json.devDependencies ?? {})]);
    manifests.set(folder, { name: json.name, folder, exports, dependencies });
  }
  return manifests;
}

export function isTestCode(file: string): boolean {
  return /\.test\.ts$/.test(file) || /(^|\/)testing\.ts$/.test(file);
}

function folderOf(repoPath: string): string | undefined {
  const first = repoPath.split('/')[0];
  return first && first in ALLOWED_DEPENDENCIES && repoPath.includes('/') ? first : undefined;
}

/**
 * Why `specifier`, imported by the file at `file` (a path relative to the repository root), breaks
 * a boundary; undefined when it does not.
 */
export function boundaryProblem(root: string, manifests: Map<string, Manifest>, file: string, specifier: string): string | undefined {
  const from = folderOf(file);
  if (!from) return undefined;
  const testCode = isTestCode(file);
  const may = new Set([...ALLOWED_DEPENDENCIES[from], ...(testCode ? TEST_CODE_MAY_ALSO_USE : [])]);

  if (specifier.startsWith('./') || specifier.startsWith('../')) {
    const target = relative(root, resolve(root, dirname(file), specifier))
      .split(sep)
      .join('/');
    const to = folderOf(target);
    if (!to || to === from) return undefined;
    if ((testCode || from === 'test' || from === 'bench') && (to === 'test' || to === 'hack')) return undefined;
    const manifest = manifests.get(to);
    return `relative import into ${to}/ ("${specifier}"): import ${manifest?.name ?? `the ${to} package`} through its declared exports`;
  }

  const match = /^@acog\/([^/]+)(\/.*)?$/.exec(specifier);
  if (!match) return undefined;
  const entry = [...manifests.values()].find((manifest) => manifest.name === `@acog/${match[1]}`);
  if (!entry) return `"${specifier}": there is no ACOG package @acog/${match[1]}`;
  if (entry.folder === from) return `"${specifier}": a package imports its own files by relative path`;
  if (!may.has(entry.folder)) {
    const allowed = ALLOWED_DEPENDENCIES[from].map((folder) => manifests.get(folder)?.name ?? folder);
    return `${manifests.get(from)?.name ?? from} may not depend on ${entry.name} (dependencies run one way; it may import ${allowed.length ? allowed.join(', ') : 'no other ACOG package'})`;
  }
  const subpath = `.${match[2] ?? ''}`;
  if (!entry.exports.includes(subpath)) {
    return `"${specifier}" is not part of ${entry.name}'s surface (its exports: ${entry.exports.map((key) => (key === '.' ? entry.name : `${entry.name}${key.slice(1)}`)).join(', ')})`;
  }
  const own = manifests.get(from);
  if (own && !own.dependencies.has(entry.name)) return `${own.name} imports ${entry.name} without declaring it in ${from}/package.json`;
  return undefined;
}
