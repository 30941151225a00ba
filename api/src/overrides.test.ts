import { describe, expect, it } from 'vitest';
import type { ChannelSpec, EpisodeSpec } from './generated/types.ts';
import { overrideProblems } from './overrides.ts';

const channel = {
  providers: {
    llm: { provider: 'openai', secretRef: { name: 'openai', key: 'OPENAI_API_KEY' }, baseURL: 'https://llm.example/v1' },
    publisher: { provider: 'youtube', secretRef: { name: 'youtube' } },
  },
  episodeOverrides: {
    secretRefs: [{ name: 'team-openai' }, { name: 'shared', key: 'ONLY_THIS' }],
    baseURLs: ['https://ollama.internal/v1/'],
  },
} as unknown as ChannelSpec;

const episode = (providers: object): EpisodeSpec =>
  ({ channelRef: { name: 'c' }, topic: 'Topic', overrides: { providers } }) as EpisodeSpec;

describe('overrideProblems', () => {
  it("lets an override change models and repeat the Channel's own Secret and base URL", () => {
    const repeat = episode({
      llm: {
        provider: 'openai',
        model: 'gpt-4.1',
        secretRef: { name: 'openai', key: 'OPENAI_API_KEY' },
        baseURL: 'https://llm.example/v1/',
      },
      voice: { provider: 'espeak', voiceId: 'de' },
    });
    expect(overrideProblems(channel, repeat)).toEqual([]);
    expect(overrideProblems(channel, { channelRef: { name: 'c' }, topic: 'Topic' } as EpisodeSpec)).toEqual([]);
  });

  it('refuses a Secret of another capability or Channel, naming the field', () => {
    const steal = episode({
      llm: { provider: 'openai', baseURL: 'https://attacker.example/v1', secretRef: { name: 'youtube', key: 'YOUTUBE_REFRESH_TOKEN' } },
      publisher: { provider: 'youtube', secretRef: { name: 'other-channel-youtube' } },
    });
    const problems = overrideProblems(channel, steal);
    expect(problems.map((problem) => problem.field)).toEqual([
      'spec.overrides.providers.llm.secretRef',
      'spec.overrides.providers.llm.baseURL',
      'spec.overrides.providers.publisher.secretRef',
    ]);
    expect(problems[0].message).toMatch(/Secret "youtube" \(key YOUTUBE_REFRESH_TOKEN\) is not the Channel's own for llm/);
    expect(problems[1].message).toMatch(/^https:\/\/attacker.example\/v1 is not the Channel's own base URL/);
  });

  it('allows what spec.episodeOverrides lists, a listed key only', () => {
    expect(overrideProblems(channel, episode({ llm: { provider: 'openai', secretRef: { name: 'team-openai', key: 'ANY' } } }))).toEqual([]);
    expect(overrideProblems(channel, episode({ llm: { provider: 'openai', baseURL: 'https://ollama.internal/v1' } }))).toEqual([]);
    expect(
      overrideProblems(channel, episode({ voice: { provider: 'elevenlabs', secretRef: { name: 'shared', key: 'ONLY_THIS' } } })),
    ).toEqual([]);
    expect(
      overrideProblems(channel, episode({ voice: { provider: 'elevenlabs', secretRef: { name: 'shared', key: 'OTHER' } } })),
    ).toHaveLength(1);
  });

  it('with no Channel (or none with that capability), any Secret or base URL is refused', () => {
    expect(overrideProblems(undefined, episode({ broll: { provider: 'pexels', secretRef: { name: 'pexels' } } }))).toHaveLength(1);
    expect(overrideProblems({} as ChannelSpec, episode({ llm: { provider: 'openai', baseURL: 'http://10.0.0.1/v1' } }))).toHaveLength(1);
  });
});
