import { describe, expect, it } from 'vitest';
import type { ChannelSpec } from '@acog/api';
import { channelReadiness, type SecretLookup } from './readiness.ts';

const base: ChannelSpec = {
  persona: { name: 'Ada', tone: 'warm', audience: 'devs' },
  format: { aspectRatio: '16:9', targetDurationSeconds: 60 },
};
const secrets =
  (known: Record<string, string[] | 'forbidden'>) =>
  async (name: string): Promise<SecretLookup> => {
    const keys = known[name];
    if (keys === 'forbidden') return { state: 'forbidden' };
    return keys ? { state: 'found', keys } : { state: 'missing' };
  };

describe('channelReadiness', () => {
  it('is ready with offline providers, reading no Secret', async () => {
    const lookups: string[] = [];
    const readiness = await channelReadiness('ns', base, async (name) => (lookups.push(name), { state: 'missing' }));
    expect(readiness).toEqual({ ready: true, reason: 'ProvidersReady', message: 'every provider the Channel names is usable' });
    expect(lookups).toEqual([]);
  });

  it('names the missing Secret, the missing key and what to do', async () => {
    const spec: ChannelSpec = {
      ...base,
      providers: {
        llm: { provider: 'openai', secretRef: { name: 'ai' } },
        voice: { provider: 'elevenlabs', secretRef: { name: 'voice', key: 'XI_KEY' } },
        publisher: { provider: 'youtube', secretRef: { name: 'yt' } },
      },
    };
    const readiness = await channelReadiness('team-a', spec, secrets({ voice: ['OTHER'], yt: ['YOUTUBE_CLIENT_ID'] }));
    expect(readiness.ready).toBe(false);
    expect(readiness.reason).toBe('SecretNotFound');
    expect(readiness.message.split('; ')).toEqual([
      'providers.llm: secret "ai" not found in namespace team-a: create it with kubectl create secret generic ai --from-literal=OPENAI_API_KEY=…',
      'providers.voice: secret "voice" has no key XI_KEY',
      'providers.publisher: secret "yt" has no key YOUTUBE_CLIENT_SECRET, YOUTUBE_REFRESH_TOKEN (all are needed)',
    ]);
  });

  it('says when the operator may not read a Secret, and where to grant it', async () => {
    const spec: ChannelSpec = { ...base, providers: { broll: { provider: 'pexels', secretRef: { name: 'stock' } } } };
    const readiness = await channelReadiness('team-b', spec, secrets({ stock: 'forbidden' }));
    expect(readiness).toMatchObject({ ready: false, reason: 'SecretNotReadable' });
    expect(readiness.message).toContain('episodeNamespaces');
  });

  it('is not ready when the offline writer has no text for persona.language, naming the field and the languages it has', async () => {
    const japanese: ChannelSpec = { ...base, persona: { ...base.persona, language: 'ja' } };
    const readiness = await channelReadiness('ns', japanese, secrets({}));
    expect(readiness).toMatchObject({ ready: false, reason: 'LanguageUnsupported' });
    expect(readiness.message).toBe(
      'persona.language: the offline writer has no text for "ja"; it writes en, de, es, fr, pt, it (regional tags such as de-DE or pt-BR resolve to their language). ' +
        'Set persona.language to one of them, or name a writer that writes "ja" in providers.llm (provider: openai)',
    );
    for (const language of ['de', 'pt-BR', 'es-419', 'fr-CA', 'it', 'en-GB'])
      expect(await channelReadiness('ns', { ...base, persona: { ...base.persona, language } }, secrets({}))).toMatchObject({ ready: true });
    // A model writes any language: only the offline writer is held to its languages.
    const withModel: ChannelSpec = { ...japanese, providers: { llm: { provider: 'openai', secretRef: { name: 'ai' } } } };
    expect(await channelReadiness('ns', withModel, secrets({ ai: ['OPENAI_API_KEY'] }))).toMatchObject({ ready: true });
  });

  it('flags a paid provider without a secretRef and an unknown provider', async () => {
    const spec = { ...base, providers: { avatar: { provider: 'heygen' }, llm: { provider: 'gpt-local' } } } as unknown as ChannelSpec;
    const readiness = await channelReadiness('ns', spec, secrets({}));
    expect(readiness.message).toContain('providers.llm.provider: unknown provider "gpt-local" (known: offline, openai)');
    expect(readiness.message).toContain('providers.avatar.secretRef: heygen needs a Secret with HEYGEN_API_KEY');
  });
});

describe('channelReadiness: models', () => {
  const openai = (model: string): ChannelSpec => ({
    ...base,
    providers: { llm: { provider: 'openai', planModel: 'gpt-6.1-sol', model, secretRef: { name: 'ai' } } },
  });
  const keys = secrets({ ai: ['OPENAI_API_KEY'] });

  it('stays ready within 60 days of a shutdown, with reason ModelDeprecated naming the date and the replacement', async () => {
    const readiness = await channelReadiness('ns', openai('gpt-4o-mini'), keys, new Date('2026-12-07T12:00:00Z'));
    expect(readiness).toEqual({
      ready: true,
      reason: 'ModelDeprecated',
      message:
        'providers.llm.model: OpenAI shuts gpt-4o-mini down on 2027-01-14 (in 38 days); it runs until then: set providers.llm.model to gpt-6-luna',
      recheckAt: new Date('2027-01-14T00:00:00Z'),
    });
  });

  it('is plainly ready before the notice period, and says when to look again', async () => {
    const readiness = await channelReadiness('ns', openai('gpt-4o-mini'), keys, new Date('2026-11-14T23:00:00Z'));
    expect(readiness).toEqual({
      ready: true,
      reason: 'ProvidersReady',
      message: 'every provider the Channel names is usable',
      recheckAt: new Date('2026-11-15T00:00:00Z'),
    });
  });

  it('is not ready from the shutdown day on (ModelRetired), and lists Secret problems first', async () => {
    const retired = await channelReadiness('ns', openai('gpt-4o-mini'), keys, new Date('2027-01-14T00:00:00Z'));
    expect(retired).toEqual({
      ready: false,
      reason: 'ModelRetired',
      message:
        'providers.llm.model: OpenAI shut gpt-4o-mini down on 2027-01-14; stages that use it fail: set providers.llm.model to gpt-6-luna',
    });
    const both = await channelReadiness('ns', openai('o4-mini'), secrets({}), new Date('2026-12-07T12:00:00Z'));
    expect(both.reason).toBe('SecretNotFound');
    expect(both.message).toContain('; providers.llm.model: OpenAI shut o4-mini down on 2026-10-23');
  });
});
