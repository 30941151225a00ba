import { describe, expect, it } from 'vitest';
import {
  CATALOG_PROVIDERS,
  CatalogError,
  DEPRECATION_NOTICE_DAYS,
  costUSD,
  findModel,
  lifecycleOf,
  parseProviderCatalog,
  supports,
} from './catalog.ts';
import { hasCatalog, modelLifecycle, modelSupports, providerCatalog } from './index.ts';

const sample = `
provider: openai
checked: 2026-12-07
models:
  - id: gpt-4o
    kind: chat
    capabilities: { temperature: true, structuredOutputs: true }
    price: { per: million-tokens, input: 2.5, output: 10 }
    shutdown: 2027-01-14
    replacement: gpt-6-luna
  - id: gpt-4o-mini
    kind: chat
    capabilities: { temperature: true }
    price: { per: million-tokens, input: 0.15, output: 0.6 }
  - id: whisper-1
    kind: transcription
    capabilities: { wordTimestamps: true }
    price: { per: audio-minute, usd: 0.006 }
`;

describe('the catalog files', () => {
  it('every provider file loads, passes the checks and is its own provider', () => {
    for (const provider of CATALOG_PROVIDERS) {
      const catalog = providerCatalog(provider);
      expect(catalog.provider).toBe(provider);
      expect(catalog.models.length).toBeGreaterThan(0);
    }
  });

  it('every replacement is a listed model that is not itself retired on the same day (except across APIs, with advice)', () => {
    for (const provider of CATALOG_PROVIDERS) {
      const catalog = providerCatalog(provider);
      for (const model of catalog.models.filter((entry) => entry.replacement)) {
        const replacement = findModel(catalog, model.replacement!);
        if (replacement) expect(replacement.shutdown === undefined || replacement.shutdown > model.shutdown!, model.id).toBe(true);
        else
          expect(model.advice, `${provider} ${model.id} names ${model.replacement}, which is not listed; advice must say why`).toBeTruthy();
      }
    }
  });

  it('knows the drift of issue 13', () => {
    const now = new Date('2026-12-07T12:00:00Z');
    expect(modelLifecycle('openai', 'gpt-4o', now)).toEqual({
      state: 'deprecated',
      shutdown: '2027-01-14',
      daysLeft: 38,
      replacement: 'gpt-6-luna',
    });
    expect(modelLifecycle('openai', 'o4-mini', now)).toMatchObject({ state: 'retired', shutdown: '2026-10-23' });
    expect(modelLifecycle('openai', 'gpt-5-mini', now)).toMatchObject({ state: 'deprecated', shutdown: '2026-12-11', daysLeft: 4 });
    expect(modelLifecycle('openai', 'whisper-1', now)).toEqual({ state: 'active' });
    expect(modelSupports('openai', 'gpt-6-luna', 'temperature')).toBe(false);
    expect(modelSupports('openai', 'gpt-4o-mini-2024-07-18', 'temperature')).toBe(true);
    expect(modelSupports('openai', 'llama3.1:8b', 'temperature')).toBeUndefined();
    expect(modelSupports('elevenlabs', 'eleven_v3', 'stitching')).toBe(false);
    expect(modelSupports('elevenlabs', 'eleven_multilingual_v2', 'stitching')).toBe(true);
    expect(modelSupports('runway', 'gen4_turbo', 'textToVideo')).toBe(false);
    expect(modelLifecycle('runway', 'gen3a_turbo', now)).toMatchObject({ state: 'retired', replacement: 'gen4_turbo' });
    expect(hasCatalog('openai')).toBe(true);
    expect(hasCatalog('pexels')).toBe(false);
  });
});

describe('parseProviderCatalog', () => {
  const catalog = parseProviderCatalog('sample.yaml', sample);

  it('reads dates as strings and flags as given', () => {
    expect(catalog.checked).toBe('2026-12-07');
    expect(findModel(catalog, 'gpt-4o')).toMatchObject({ shutdown: '2027-01-14', replacement: 'gpt-6-luna' });
    expect(supports(catalog, 'gpt-4o-mini', 'structuredOutputs')).toBe(false);
  });

  it('prices a dated snapshot as its family, the longest listed id first', () => {
    expect(findModel(catalog, 'gpt-4o-mini-2024-07-18')?.id).toBe('gpt-4o-mini');
    expect(findModel(catalog, 'gpt-4o-2024-08-06')?.id).toBe('gpt-4o');
    expect(findModel(catalog, 'gpt-4')).toBeUndefined();
  });

  it.each([
    ['provider: openai', 'provider: anthropic', /sample\.yaml: provider: must be one of openai, elevenlabs, runway/],
    ['checked: 2026-12-07', 'checked: yesterday', /checked: must be a date/],
    ['kind: chat\n', 'kind: image\n', /models\[0\]\.kind: must be one of chat, speech, transcription, video/],
    [
      '{ temperature: true, structuredOutputs: true }',
      '{ temperature: true, vision: true }',
      /models\[0\]\.capabilities\.vision: unknown flag/,
    ],
    [
      '{ temperature: true, structuredOutputs: true }',
      '{ temperature: yes please }',
      /models\[0\]\.capabilities\.temperature: must be true or false/,
    ],
    ['input: 2.5, output: 10', 'input: 2.5', /models\[0\]\.price: per million-tokens takes exactly input and output/],
    ['per: audio-minute', 'per: request', /models\[2\]\.price\.per: must be/],
    ['shutdown: 2027-01-14', 'shutdown: 14 January 2027', /models\[0\]\.shutdown: must be a date/],
    ['replacement: gpt-6-luna', 'replacement: ""', /models\[0\]\.replacement: must be a non-empty string/],
    ['shutdown: 2027-01-14', 'shutdwn: 2027-01-14', /models\[0\]\.shutdwn: unknown field/],
  ])('refuses %s changed to %s, naming the field', (from, to, message) => {
    const text = sample.replace(from, to);
    expect(text).not.toBe(sample);
    expect(() => parseProviderCatalog('sample.yaml', text)).toThrow(CatalogError);
    expect(() => parseProviderCatalog('sample.yaml', text)).toThrow(message);
  });

  it('refuses a shutdown without a replacement and a model listed twice', () => {
    expect(() => parseProviderCatalog('s.yaml', sample.replace('    replacement: gpt-6-luna\n', ''))).toThrow(
      's.yaml: models[0].replacement: a model with a shutdown date names its replacement',
    );
    expect(() => parseProviderCatalog('s.yaml', sample.replace('id: gpt-4o-mini', 'id: gpt-4o'))).toThrow(
      'models[1].id: gpt-4o is listed twice',
    );
  });
});

describe('lifecycleOf', () => {
  const catalog = parseProviderCatalog('sample.yaml', sample);
  const at = (iso: string) => lifecycleOf(catalog, 'gpt-4o', new Date(iso));

  it('is active until the notice period, deprecated within it, retired from the shutdown day on', () => {
    const shutdown = Date.parse('2027-01-14T00:00:00Z');
    const noticeStart = new Date(shutdown - DEPRECATION_NOTICE_DAYS * 86_400_000);
    expect(lifecycleOf(catalog, 'gpt-4o', new Date(noticeStart.getTime() - 1))).toEqual({ state: 'active' });
    expect(lifecycleOf(catalog, 'gpt-4o', noticeStart)).toMatchObject({ state: 'deprecated', daysLeft: 60 });
    expect(at('2027-01-13T23:59:59Z')).toMatchObject({ state: 'deprecated', daysLeft: 1 });
    expect(at('2027-01-14T00:00:00Z')).toEqual({ state: 'retired', shutdown: '2027-01-14', replacement: 'gpt-6-luna' });
    expect(lifecycleOf(catalog, 'gpt-4o-mini', new Date('2030-01-01'))).toEqual({ state: 'active' });
    expect(lifecycleOf(catalog, 'my-local-model', new Date())).toEqual({ state: 'unknown' });
  });
});

describe('costUSD', () => {
  const catalog = parseProviderCatalog('sample.yaml', sample);
  it('prices tokens, audio minutes, and nothing for an unknown model', () => {
    expect(costUSD(catalog, 'gpt-4o', { inputTokens: 1_000_000, outputTokens: 100_000 })).toBe(3.5);
    expect(costUSD(catalog, 'whisper-1', { audioSeconds: 90 })).toBe(0.009);
    expect(costUSD(catalog, 'nobody', { inputTokens: 1 })).toBeUndefined();
  });
});

describe('catalog defaults', () => {
  it('must name a listed model of the same kind', () => {
    const withDefaults = (defaults: string) => sample.replace('models:', `defaults:\n${defaults}\nmodels:`);
    expect(parseProviderCatalog('s.yaml', withDefaults('  transcription: whisper-1')).defaults).toEqual({ transcription: 'whisper-1' });
    expect(() => parseProviderCatalog('s.yaml', withDefaults('  chat: gpt-9'))).toThrow(
      's.yaml: defaults.chat: "gpt-9" is not a listed model',
    );
    expect(() => parseProviderCatalog('s.yaml', withDefaults('  speech: gpt-4o'))).toThrow(
      's.yaml: defaults.speech: gpt-4o is a chat model',
    );
    expect(() => parseProviderCatalog('s.yaml', withDefaults('  image: gpt-4o'))).toThrow('s.yaml: defaults.image: unknown kind');
  });
});
