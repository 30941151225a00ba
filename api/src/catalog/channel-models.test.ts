import { describe, expect, it } from 'vitest';
import type { Providers } from '../generated/types.ts';
import { defaultModel, modelNotices, nextModelNoticeChange } from './index.ts';

const secretRef = { name: 'keys' };
const dec7 = new Date('2026-12-07T12:00:00Z');

describe('modelNotices', () => {
  it('warns about each model within 60 days of its shutdown, naming the field, the date and the replacement', () => {
    const providers: Providers = {
      llm: { provider: 'openai', planModel: 'gpt-6.1-sol', model: 'gpt-4o-mini', secretRef },
      broll: { provider: 'runway', model: 'gen4.5', secretRef },
    };
    expect(modelNotices(providers, dec7).map((notice) => notice.text)).toEqual([
      'providers.llm.model: OpenAI shuts gpt-4o-mini down on 2027-01-14 (in 38 days); it runs until then: set providers.llm.model to gpt-6-luna',
    ]);
  });

  it('says a model past its shutdown fails, and counts a default the Channel did not name', () => {
    const providers: Providers = {
      llm: { provider: 'openai', planModel: 'o4-mini', model: 'gpt-6-luna', secretRef },
      voice: { provider: 'openai', secretRef },
      broll: { provider: 'runway', model: 'gen3a_turbo', secretRef },
    };
    const notices = modelNotices(providers, dec7);
    expect(notices.map(({ field, state, defaulted }) => ({ field, state, defaulted }))).toEqual([
      { field: 'providers.llm.planModel', state: 'retired', defaulted: false },
      { field: 'providers.voice.model', state: 'deprecated', defaulted: true },
      { field: 'providers.broll.model', state: 'retired', defaulted: false },
    ]);
    expect(notices[0]!.text).toBe(
      'providers.llm.planModel: OpenAI shut o4-mini down on 2026-10-23; stages that use it fail: set providers.llm.planModel to gpt-5.6-terra',
    );
    expect(notices[1]!.text).toBe(
      "providers.voice.model (unset, so OpenAI's default gpt-4o-mini-tts): OpenAI shuts gpt-4o-mini-tts down on 2027-01-06 (in 30 days); it runs until then: OpenAI names gpt-realtime-2.1-mini instead, but it speaks only through OpenAI's Realtime API, which ACOG does not call; set providers.voice.provider to elevenlabs (or espeak)",
    );
    expect(notices[2]!.text).toContain(
      'Runway shut gen3a_turbo down on 2026-06-10; stages that use it fail: set providers.broll.model to gen4_turbo',
    );
  });

  it('leaves alone offline providers, current models, and a baseURL server with its own models', () => {
    expect(modelNotices({ llm: { provider: 'offline' }, voice: { provider: 'espeak' } }, dec7)).toEqual([]);
    expect(modelNotices({ llm: { provider: 'openai', model: 'gpt-4o', baseURL: 'http://llama.local:8080/v1' } }, dec7)).toEqual([]);
    expect(modelNotices({ voice: { provider: 'elevenlabs', secretRef }, broll: { provider: 'runway', secretRef } }, dec7)).toEqual([]);
    expect(modelNotices(undefined, dec7)).toEqual([]);
  });

  it('has defaults that are listed and of the right kind', () => {
    expect([defaultModel('openai', 'speech'), defaultModel('elevenlabs', 'speech'), defaultModel('runway', 'video')]).toEqual([
      'gpt-4o-mini-tts',
      'eleven_multilingual_v2',
      'gen4.5',
    ]);
  });
});

describe('nextModelNoticeChange', () => {
  it('is the next start of a notice period or shutdown among the models used', () => {
    const providers: Providers = { llm: { provider: 'openai', planModel: 'gpt-6.1-sol', model: 'gpt-4o', secretRef } };
    // gpt-4o: notice from 2026-11-15, shutdown 2027-01-14.
    expect(nextModelNoticeChange(providers, new Date('2026-11-01T00:00:00Z'))).toEqual(new Date('2026-11-15T00:00:00Z'));
    expect(nextModelNoticeChange(providers, dec7)).toEqual(new Date('2027-01-14T00:00:00Z'));
    expect(nextModelNoticeChange(providers, new Date('2027-02-01T00:00:00Z'))).toBeUndefined();
    expect(nextModelNoticeChange({ llm: { provider: 'offline' } }, dec7)).toBeUndefined();
  });
});
