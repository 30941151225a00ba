import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../paths.ts';
import { parse } from 'yaml';
import { generate, inlineRefs, portableYaml, readsAsNonString } from './generate.ts';

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

describe('CRD YAML portable to YAML 1.1 readers (PyYAML, Ruby, go-yaml v2)', () => {
  it('reads the same with a YAML 1.1 reader as with a YAML 1.2 one', async () => {
    const crds = [...(await generate())].filter(([path]) => path.startsWith('crds/'));
    expect(crds).toHaveLength(2);
    for (const [path, content] of crds) {
      expect(parse(content, { version: '1.1' }), path).toEqual(parse(content, { version: '1.2' }));
    }
  });

  it('writes the aspect ratios quoted, which a YAML 1.1 reader would take for the sexagesimal 969', async () => {
    const channels = (await generate()).get('crds/acog.dev_channels.yaml')!;
    expect(channels).toContain('- "16:9"');
    expect(channels).not.toMatch(/^\s*- 16:9$/m);
  });

  const ambiguous = [
    '16:9',
    '9:16',
    '1:20:30.5',
    'yes',
    'No',
    'on',
    'OFF',
    'y',
    'n',
    '~',
    'null',
    'Null',
    'true',
    '2026-01-01',
    '0o17',
    '017',
    '0x1f',
    '0b101',
    '1_000',
    '1e3',
    '.5',
    '+1',
    '3.0',
    '.inf',
    '.NaN',
  ];

  it('quotes every string either YAML version reads as something else, as keys and as values', () => {
    for (const text of ambiguous) expect(readsAsNonString(text), text).toBe(true);
    const value = { list: ambiguous, map: Object.fromEntries(ambiguous.map((text) => [text, text])) };
    const yaml = portableYaml(value);
    expect(parse(yaml, { version: '1.1' })).toEqual(value);
    expect(parse(yaml, { version: '1.2' })).toEqual(value);
  });

  it('leaves plain words and sentences unquoted', () => {
    for (const text of ['Keep', 'a plain sentence, with a comma', 'acog.dev', 'v1alpha1', 'Delete'])
      expect(readsAsNonString(text), text).toBe(false);
    expect(portableYaml({ policy: ['Keep', 'Delete'] })).toBe('policy:\n  - Keep\n  - Delete\n');
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
