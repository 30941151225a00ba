// ESLint's side of the package boundaries (package-boundaries.ts): reports each import, export-from
// and dynamic import that crosses a boundary, with what to do instead.
import { relative, sep } from 'node:path';
import type { Rule } from 'eslint';
import { boundaryProblem, loadManifests, type Manifest } from './package-boundaries.ts';

const root = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
let manifests: Map<string, Manifest> | undefined;

const packageBoundaries: Rule.RuleModule = {
  meta: {
    type: 'problem',
    docs: { description: 'imports of another ACOG package go through its declared exports, one way (docs/adr/0009)' },
    schema: [],
  },
  create(context) {
    manifests ??= loadManifests(root);
    const file = relative(root, context.filename).split(sep).join('/');
    const check = (node: Rule.Node, source: unknown) => {
      if (typeof source !== 'string') return;
      const problem = boundaryProblem(root, manifests!, file, source);
      if (problem) context.report({ node, message: problem });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    };
  },
};

export default { rules: { 'package-boundaries': packageBoundaries } };
