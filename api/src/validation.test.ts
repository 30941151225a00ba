import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { assertValid, validateChannel, validateEpisode, ValidationError, type Channel, type Episode } from './index.ts';

const examples = join(import.meta.dirname, '..', '..', 'examples');
const channel = (): Channel => parse(readFileSync(join(examples, 'channel.yaml'), 'utf8'));
const episode = (): Episode => parse(readFileSync(join(examples, 'episode.yaml'), 'utf8'));

describe('validateChannel', () => {
  it('accepts the example and applies the schema defaults without touching the input', () => {
    const input = channel();
    const result = validateChannel(input);
    expect(result.errors).toEqual([]);
    expect(result.value.spec.format.captions?.maxWordsPerCue).toBe(7);
    expect(result.value.spec.providers?.publisher?.containsSyntheticMedia).toBe(true);
    expect(input.spec.format.captions?.maxWordsPerCue).toBeUndefined();
  });

  it('fills in offline providers for a minimal channel', () => {
    const minimal = {
      apiVersion: 'acog.dev/v1alpha1',
      kind: 'Channel',
      metadata: { name: 'm' },
      spec: {
        persona: { name: 'A', tone: 't', audience: 'a' },
        format: { aspectRatio: '9:16', targetDurationSeconds: 60 },
        providers: { llm: {}, voice: {} },
      },
    };
    const { value, errors } = validateChannel(minimal);
    expect(errors).toEqual([]);
    expect(value.spec.providers?.llm?.provider).toBe('offline');
    expect(value.spec.providers?.voice?.provider).toBe('piper');
    expect(value.spec.persona.language).toBe('en');
  });

  it('reports every bad field at once', () => {
    const bad = channel() as unknown as { spec: Record<string, Record<string, unknown>> };
    bad.spec.format.aspectRatio = '1:1';
    bad.spec.persona.tone = '';
    const { errors } = validateChannel(bad);
    expect(errors.map((e) => e.field).sort()).toEqual(['spec.format.aspectRatio', 'spec.persona.tone']);
  });

  it('checks apiVersion and kind', () => {
    const wrong = { ...channel(), apiVersion: 'acog.dev/v1', kind: 'Episode' };
    expect(validateChannel(wrong).errors.map((e) => e.field)).toEqual(['apiVersion', 'kind']);
  });

  it('refuses what is not an object', () => {
    expect(validateChannel('channel').errors).toEqual([{ field: '', message: 'a Channel must be an object' }]);
  });
});

describe('validateEpisode', () => {
  it('runs transition rules only when the old object is given', () => {
    const old = episode();
    const moved = episode();
    moved.spec.channelRef.name = 'elsewhere';
    expect(validateEpisode(moved).valid).toBe(true);
    const { errors } = validateEpisode(moved, old);
    expect(errors).toEqual([{ field: 'spec.channelRef', message: expect.stringMatching(/channelRef.name cannot be changed/) }]);
  });

  it('compares integers as CEL does (int, not double)', () => {
    const shorts = channel();
    shorts.spec.format.aspectRatio = '9:16';
    shorts.spec.format.targetDurationSeconds = 180;
    expect(validateChannel(shorts).valid).toBe(true);
    shorts.spec.format.targetDurationSeconds = 181;
    expect(validateChannel(shorts).errors[0].field).toBe('spec.format.targetDurationSeconds');
  });
});

describe('assertValid', () => {
  it('throws a ValidationError whose message names the object and each field', () => {
    const bad = episode();
    bad.spec.topic = 'x';
    expect(() => assertValid(validateEpisode, 'Episode', bad)).toThrow(ValidationError);
    expect(() => assertValid(validateEpisode, 'Episode', bad)).toThrow(
      /^Episode "how-indexes-work" is invalid: spec.topic: Invalid value: "x": spec.topic in body should be at least 3 chars long$/,
    );
  });
});

describe("every error, in the API server's wording", () => {
  it('reports a schema error and a CEL rule together, as the API server does', () => {
    const bad = episode();
    bad.spec.topic = 'AI';
    bad.spec.overrides = { skipStages: ['plan'] };
    expect(validateEpisode(bad).errors).toEqual([
      { field: 'spec.topic', message: 'Invalid value: "AI": spec.topic in body should be at least 3 chars long' },
      {
        field: 'spec.overrides.skipStages',
        message: 'Invalid value: plan and script cannot be skipped; every episode is planned and scripted',
      },
    ]);
  });

  it('runs no CEL rule after a wrong type, an unsupported value or a missing field, and says so', () => {
    const bad = episode() as unknown as { spec: Record<string, unknown> };
    bad.spec.topic = 42;
    bad.spec.overrides = { skipStages: ['plan'], targetDurationSeconds: 99_999 };
    const { errors, rulesNotChecked } = validateEpisode(bad);
    expect(errors).toContainEqual({
      field: 'spec.topic',
      message: 'Invalid value: "integer": spec.topic in body must be of type string: "integer"',
    });
    expect(errors).toContainEqual({
      field: 'spec.overrides.targetDurationSeconds',
      message: 'Invalid value: 99999: spec.overrides.targetDurationSeconds in body should be less than or equal to 7200',
    });
    expect(errors.map((error) => error.field)).not.toContain('spec.overrides.skipStages');
    expect(rulesNotChecked).toBe(
      'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
    );
  });

  it('shows a scalar value before a CEL message', () => {
    const bad = episode();
    bad.spec.topic = '   ';
    const result = validateEpisode(bad);
    expect(result.errors).toEqual([{ field: 'spec.topic', message: 'Invalid value: "   ": topic must hold more than spaces' }]);
    expect(result.rulesNotChecked).toBeUndefined();
  });
});
