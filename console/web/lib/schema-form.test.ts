import { describe, expect, it } from 'vitest';
import { channelSchema, episodeSchema } from '@acog/api/schemas';
import {
  boundsText,
  childPath,
  cleanScript,
  emptyOf,
  errorsByPath,
  fieldKind,
  idOf,
  parseIntOrString,
  parseNumber,
  scriptFromRefined,
  spokenSeconds,
  wordCount,
  type SchemaNode,
} from './schema-form.ts';

const channelSpec = channelSchema.properties.spec as SchemaNode;
const format = channelSpec.properties!.format!;

describe('the form generated from the CRD schema', () => {
  it('gives each node of the Channel schema its control', () => {
    expect(fieldKind(channelSpec.properties!.persona!)).toBe('object');
    expect(fieldKind(format.properties!.aspectRatio!)).toBe('enum');
    expect(fieldKind(format.properties!.targetDurationSeconds!)).toBe('integer');
    expect(fieldKind(channelSpec.properties!.persona!.properties!.name!)).toBe('text');
    expect(fieldKind(channelSpec.properties!.persona!.properties!.bannedTopics!)).toBe('array');
    expect(fieldKind({ type: 'string', maxLength: 4000 })).toBe('longText');
    expect(fieldKind({ type: 'boolean' })).toBe('boolean');
    expect(fieldKind({ type: 'object', additionalProperties: { type: 'string' } })).toBe('map');
    expect(fieldKind({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true })).toBe('json');
    expect(fieldKind({ 'x-kubernetes-int-or-string': true })).toBe('intOrString');
  });

  it('renders every property of both specs with a control it knows', () => {
    const walk = (node: SchemaNode, path: string, out: string[]) => {
      const kind = fieldKind(node);
      if (kind === 'json') out.push(path);
      for (const [key, child] of Object.entries(node.properties ?? {})) walk(child, childPath(path, key), out);
      if (node.items) walk(node.items, childPath(path, 0), out);
      if (typeof node.additionalProperties === 'object') walk(node.additionalProperties, childPath(path, 'key'), out);
      return out;
    };
    // No part of either schema falls back to raw JSON.
    expect(walk(channelSpec, 'spec', [])).toEqual([]);
    expect(walk(episodeSchema.properties.spec as SchemaNode, 'spec', [])).toEqual([]);
  });

  it('names paths as the API server names fields', () => {
    expect(childPath(childPath(childPath('spec', 'script'), 'beats'), 0)).toBe('spec.script.beats[0]');
    expect(idOf('spec.script.beats[0].narration')).toBe('field-spec-script-beats-0-narration');
    const errors = errorsByPath(
      [
        { field: 'spec.format.targetDurationSeconds', message: 'should be greater than or equal to 15' },
        { field: 'spec.format.targetDurationSeconds', message: 'a 9:16 channel makes YouTube Shorts' },
        { field: '', message: 'no field' },
      ],
      'spec',
    );
    expect(errors.get('spec.format.targetDurationSeconds')).toHaveLength(2);
    expect(errors.get('spec')).toEqual(['no field']);
  });

  it('says the bounds and defaults of a field', () => {
    expect(boundsText(format.properties!.targetDurationSeconds!)).toBe('15 to 7200');
    expect(boundsText(format.properties!.wordsPerMinute!)).toBe('80 to 240; default 150');
    expect(boundsText(channelSpec.properties!.persona!.properties!.name!)).toBe('at most 80 characters');
  });

  it('reads the controls back: empty is absent, numbers are numbers', () => {
    expect(parseNumber('')).toBeUndefined();
    expect(parseNumber('42')).toBe(42);
    expect(parseNumber('1e400')).toBeUndefined();
    expect(parseIntOrString('80')).toBe(80);
    expect(parseIntOrString('50%')).toBe('50%');
    expect(parseIntOrString(' ')).toBeUndefined();
    expect(emptyOf({ type: 'object', properties: {} })).toEqual({});
    expect(emptyOf({ type: 'string', enum: ['a', 'b'] })).toBe('a');
    expect(emptyOf({ type: 'integer', minimum: 15 })).toBe(15);
    expect(emptyOf({ type: 'string', default: 'x' })).toBe('x');
  });
});

describe("the script review's arithmetic", () => {
  it('counts words and the seconds they take', () => {
    expect(wordCount("An index turns a scan into a lookup — it's fast, B-trees too.")).toBe(12);
    expect(wordCount('   ')).toBe(0);
    expect(wordCount('Ein Index: schneller als ein Scan.')).toBe(6);
    expect(spokenSeconds(150, 150)).toBe(60);
    expect(spokenSeconds(15, 150)).toBe(6);
    expect(spokenSeconds(10, 0)).toBe(0);
  });

  it('turns the refined script into spec.script within the schema bounds', () => {
    const script = scriptFromRefined(
      {
        title: 'T'.repeat(150),
        beats: [
          {
            heading: 'Lookups',
            narration: 'An index.',
            brollCues: [{ description: 'a card catalogue' }, { description: 'a B-tree drawn' }],
          },
          { heading: '  ', narration: 'Writes pay.', brollCues: [] },
        ],
      },
      { title: 100, heading: 80, broll: 300 },
    );
    expect(script.title).toHaveLength(100);
    expect(script.beats).toEqual([
      { heading: 'Lookups', narration: 'An index.', broll: 'a card catalogue; a B-tree drawn' },
      { heading: undefined, narration: 'Writes pay.', broll: undefined },
    ]);
    expect(cleanScript(script).beats).toEqual([
      { heading: 'Lookups', narration: 'An index.', broll: 'a card catalogue; a B-tree drawn' },
      { narration: 'Writes pay.' },
    ]);
    expect(cleanScript({ title: ' ', beats: [{ narration: 'x' }] })).toEqual({ beats: [{ narration: 'x' }] });
  });
});
