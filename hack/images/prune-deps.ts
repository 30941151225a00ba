// Keeps in node_modules only what a program needs at run time, for a small image.
// `npm ci --workspace X` installs the production dependencies of every workspace in the lockfile,
// and a workspace that imports one module of another (the operator imports the runners' S3 store)
// would drag in all of that one's packages (googleapis, openai, ...). This follows the program's
// static imports from its entry file through the workspace sources, takes the packages they name,
// closes over those packages' own dependencies as Node resolves them in the lockfile, and deletes
// every other package, including the links to workspaces the program does not import.
//   node hack/images/prune-deps.ts <root> <entry file> [...]        e.g. /app operator/src/main.ts
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';

export interface LockEntry {
  name?: string;
  link?: boolean;
  resolved?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  exports?: unknown;
}

/** The lockfile location Node would load `name` from, required from the package or workspace at `from`. */
export function resolveLocation(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!dir) return undefined;
    const at = dir.lastIndexOf('/node_modules/');
    dir = at >= 0 ? dir.slice(0, at) : dir.includes('/') ? dir.slice(0, dir.lastIndexOf('/')) : '';
  }
}

/** Every lockfile location reachable from `start` through run-time dependencies (links followed). */
export function closure(packages: Record<string, LockEntry>, start: string[]): Set<string> {
  const keep = new Set<string>();
  const queue = [...start];
  while (queue.length) {
    const location = queue.pop()!;
    if (keep.has(location)) continue;
    keep.add(location);
    const entry = packages[location];
    if (!entry) throw new Error(`${location} is not in package-lock.json`);
    if (entry.link && entry.resolved) {
      queue.push(entry.resolved);
      continue;
    }
    const names = { ...entry.peerDependencies, ...entry.optionalDependencies, ...entry.dependencies };
    for (const name of Object.keys(names)) {
      const found = resolveLocation(packages, location, name);
      if (found) queue.push(found);
      else if (!entry.optionalDependencies?.[name] && !entry.peerDependencies?.[name])
        throw new Error(`${location} needs ${name}, which package-lock.json does not have`);
    }
  }
  return keep;
}

/** The module specifiers a TypeScript or JavaScript source loads at run time (type-only imports are erased). */
export function importsOf(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found: string[] = [];
  const statement = /(?:^|[;\n}])\s*(import|export)\s+(type\s+)?(?:[^;'"]*?\bfrom\s*)?['"]([^'"\n]+)['"]/g;
  for (const match of code.matchAll(statement)) if (!match[2]) found.push(match[3]);
  for (const match of code.matchAll(/\bimport\(\s*['"]([^'"\n]+)['"]\s*\)/g)) found.push(match[1]);
  return found;
}

function packageName(specifier: string): { name: string; subpath: string } {
  const parts = specifier.split('/');
  const count = specifier.startsWith('@') ? 2 : 1;
  return { name: parts.slice(0, count).join('/'), subpath: parts.slice(count).join('/') };
}

/**
 * A workspace package's file for `subpath`, by its package.json `exports` ("." and "./*" patterns);
 * without `exports`, as Node resolves it then: the subpath is a file of the package (the console
 * imports the plugin's @acog/kubectl-plugin/src/commands/write/approve.ts so).
 */
export function workspaceFile(root: string, workspace: string, subpath: string): string {
  const manifest = JSON.parse(readFileSync(join(root, workspace, 'package.json'), 'utf8')) as {
    exports?: Record<string, string> | string;
    main?: string;
  };
  if (manifest.exports === undefined) return join(workspace, subpath || manifest.main || 'index.js');
  const exportsMap = typeof manifest.exports === 'string' ? { '.': manifest.exports } : (manifest.exports ?? {});
  const key = subpath ? `./${subpath}` : '.';
  if (exportsMap[key]) return join(workspace, exportsMap[key]);
  for (const [pattern, target] of Object.entries(exportsMap)) {
    if (!pattern.includes('*')) continue;
    const [before, after] = pattern.split('*');
    if (key.startsWith(before) && key.endsWith(after))
      return join(workspace, target.replace('*', key.slice(before.length, key.length - after.length)));
  }
  throw new Error(`${workspace}/package.json exports nothing for ${key}`);
}

/** Follows the entry files' imports through workspace sources; returns the lockfile locations of the packages they use. */
export function usedPackages(root: string, packages: Record<string, LockEntry>, entries: string[]): Set<string> {
  const workspaces = Object.keys(packages).filter((location) => location && !location.includes('node_modules/'));
  const workspaceOf = (file: string) =>
    workspaces.filter((w) => file === w || file.startsWith(`${w}/`)).sort((a, b) => b.length - a.length)[0] ?? '';
  const builtins = new Set(builtinModules);
  const used = new Set<string>();
  const seen = new Set<string>();
  const queue = [...entries];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const from = workspaceOf(file);
    for (const specifier of importsOf(readFileSync(join(root, file), 'utf8'))) {
      if (specifier.startsWith('node:') || builtins.has(specifier)) continue;
      if (specifier.startsWith('.')) {
        const target = relative(root, join(root, dirname(file), specifier));
        if (existsSync(join(root, target))) queue.push(target);
        else throw new Error(`${file} imports ${specifier}, which does not exist`);
        continue;
      }
      const { name, subpath } = packageName(specifier);
      const location = resolveLocation(packages, from, name);
      if (!location) throw new Error(`${file} imports ${specifier}: no package ${name} in package-lock.json`);
      const entry = packages[location];
      if (entry.link && entry.resolved) {
        used.add(location);
        queue.push(workspaceFile(root, entry.resolved, subpath));
      } else {
        used.add(location);
      }
    }
  }
  return used;
}

if (import.meta.main) {
  const [root, ...entries] = process.argv.slice(2);
  if (!root || entries.length === 0) {
    console.error('usage: node prune-deps.ts <root> <entry file> [...]');
    process.exit(2);
  }
  const { packages } = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const used = usedPackages(root, packages, entries);
  // Links to workspaces stay (they are how the sources import each other); their package.json
  // dependencies are not followed, only the packages their imported files name.
  const keep = closure(
    packages,
    [...used].filter((location) => !packages[location].link),
  );
  for (const location of used) if (packages[location].link) keep.add(location);
  let removed = 0;
  for (const location of Object.keys(packages)) {
    if (!location.includes('node_modules/') || keep.has(location)) continue;
    if (!existsSync(join(root, location))) continue;
    rmSync(join(root, location), { recursive: true, force: true });
    removed++;
  }
  console.log(`prune-deps: ${entries.join(', ')} use ${keep.size} packages; removed ${removed}`);
}
