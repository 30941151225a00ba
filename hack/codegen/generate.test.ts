import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../paths.ts';
import { generate, inlineRefs } from './generate.ts';

describe('generated code', () => {
  it('is up to date with api/schema (run `npm run generate` when this fails)', async () => {
    const files = await generate();
    expect([...files.keys()].sort()).toEqual([
      'api/src/generated/schemas.ts',
      'api/src/generated/types.ts',
      'crds/acog.dev_channels.yaml',
      'crds/acog.dev_episodes.yaml',
    ]);
    for (const [path, content] of files) {
      expect(await readFile(join(repoRoot, path), 'utf8'), `${path} is stale`).toBe(content);
    }
  });

  it('leaves no $ref in the CRDs, which the API server would refuse', async () => {
    for (const [path, content] of await generate()) if (path.startsWith('crds/')) expect(content).not.toContain('$ref');
  });
});

describe('inlineRefs', () => {
  const definitions = { name: { type: 'string', description: 'a name' } };

  it('replaces a reference with its definition, letting sibling keys win', () => {
    expect(inlineRefs({ properties: { a: { $ref: '#/definitions/name', description: 'the a' } } }, definitions)).toEqual({
      properties: { a: { type: 'string', description: 'the a' } },
    });
  });

  it('refuses unknown and recursive references', () => {
    expect(() => inlineRefs({ $ref: '#/definitions/nope' }, definitions)).toThrow(/unknown \$ref/);
    expect(() => inlineRefs({ $ref: '#/definitions/loop' }, { loop: { items: { $ref: '#/definitions/loop' } } })).toThrow(
      /recursive \$ref/,
    );
  });
});
