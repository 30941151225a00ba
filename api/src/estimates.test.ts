import { describe, expect, it } from 'vitest';
import type { ChannelSpec, EpisodeSpec } from './generated/types.ts';
import { estimateEpisode, estimateStage, formatUSD } from './estimates.ts';
import { budgetMonth, channelTimezone, nextMonthStart } from './budget-month.ts';
import { elevenLabsCostUSD, runwayCostUSD, tokenPrice, unitPrices } from './prices.ts';

const channel = (providers: ChannelSpec['providers'] = {}, skipStages: ChannelSpec['skipStages'] = []): ChannelSpec => ({
  persona: { name: 'Ada', tone: 'warm', audience: 'makers' },
  format: { aspectRatio: '16:9', targetDurationSeconds: 120, wordsPerMinute: 150 },
  providers,
  skipStages,
});
const episode: EpisodeSpec = { channelRef: { name: 'c' }, topic: 'How solder works', brief: 'Flux, heat and wetting.' };

describe('estimateStage', () => {
  it('prices the writer by its model, from the prompt and the tokens expected back', () => {
    const spec = channel({ llm: { provider: 'openai', model: 'gpt-4o-mini', planModel: 'gpt-4o', secretRef: { name: 'k' } } });
    const plan = estimateStage('plan', spec, episode);
    expect(plan.model).toBe('gpt-4o');
    // 300 words of narration: the plan answers 300 + 0.5 × 300 tokens.
    expect(plan.usage.outputTokens).toBe(450);
    const price = tokenPrice('gpt-4o')!;
    expect(plan.costUSD).toBeCloseTo((plan.usage.inputTokens! * price.input + 450 * price.output) / 1e6, 6);
    const script = estimateStage('script', spec, episode);
    expect(script.model).toBe('gpt-4o-mini');
    expect(script.usage.outputTokens).toBe(405); // 300 words × 1.35 tokens
    expect(script.costUSD).toBeGreaterThan(0);
    // A longer episode costs more to write.
    const long = estimateStage('script', spec, { ...episode, overrides: { targetDurationSeconds: 600 } });
    expect(long.costUSD).toBeGreaterThan(script.costUSD * 3);
  });

  it('prices speech by its characters, avatars by their seconds, B-roll by its clip seconds', () => {
    const voice = estimateStage(
      'voice',
      channel({ voice: { provider: 'elevenlabs', model: 'eleven_flash_v2_5', secretRef: { name: 'k' } } }),
      episode,
    );
    expect(voice.usage.characters).toBe(1800);
    expect(voice.costUSD).toBe(elevenLabsCostUSD(1800, 'eleven_flash_v2_5'));
    const avatar = estimateStage('avatar', channel({ avatar: { provider: 'heygen', avatarId: 'a', secretRef: { name: 'k' } } }), episode);
    expect(avatar).toMatchObject({ provider: 'heygen', usage: { seconds: 120 }, costUSD: 8.004 });
    const broll = estimateStage(
      'broll',
      channel({ broll: { provider: 'runway', model: 'gen4_turbo', clipSeconds: 5, secretRef: { name: 'k' } } }),
      episode,
    );
    expect(broll).toMatchObject({ usage: { clips: 24, seconds: 120 }, costUSD: runwayCostUSD('gen4_turbo', 120) });
  });

  it('makes free providers, and models without a price, cost nothing', () => {
    const free = channel();
    for (const stage of ['plan', 'script', 'refine', 'metadata', 'voice', 'avatar', 'broll', 'assemble', 'upload'] as const)
      expect(estimateStage(stage, free, episode).costUSD).toBe(0);
    expect(
      estimateStage(
        'plan',
        channel({ llm: { provider: 'openai', model: 'llama3.1:8b', planModel: 'llama3.1:8b', baseURL: 'http://llm:8080/v1' } }),
        episode,
      ).costUSD,
    ).toBe(0);
    expect(unitPrices('pexels', undefined)).toEqual({});
  });

  it("an Episode's provider override wins over its Channel's", () => {
    const spec = channel({ voice: { provider: 'espeak' } });
    const overridden = {
      ...episode,
      overrides: { providers: { voice: { provider: 'openai' as const, model: 'tts-1', secretRef: { name: 'k' } } } },
    };
    expect(estimateStage('voice', spec, episode).costUSD).toBe(0);
    expect(estimateStage('voice', spec, overridden)).toMatchObject({ provider: 'openai', costUSD: 0.039 }); // 1800 chars × $15/M + 120 s × $0.0001
  });
});

describe('estimateEpisode', () => {
  it('sums the stages the Episode runs, in pipeline order', () => {
    const spec = channel(
      { llm: { provider: 'openai', secretRef: { name: 'k' } }, avatar: { provider: 'heygen', avatarId: 'a', secretRef: { name: 'k' } } },
      ['avatar'],
    );
    const estimate = estimateEpisode(spec, episode);
    expect(estimate.stages.map((stage) => stage.stage)).toEqual([
      'plan',
      'script',
      'refine',
      'metadata',
      'voice',
      'broll',
      'assemble',
      'upload',
    ]);
    expect(estimate.totalUSD).toBeCloseTo(
      estimate.stages.reduce((sum, stage) => sum + stage.costUSD, 0),
      6,
    );
    expect(estimate.totalUSD).toBeGreaterThan(0);
  });

  it('formats dollars as people read them', () => {
    expect(formatUSD(12.345)).toBe('$12.35');
    expect(formatUSD(0)).toBe('$0.00');
    expect(formatUSD(0.0042)).toBe('$0.0042');
  });
});

describe('budget months', () => {
  it("are calendar months in the Channel's timezone", () => {
    const instant = new Date('2026-12-31T23:30:00Z');
    expect(budgetMonth(instant, 'UTC')).toBe('2026-12');
    expect(budgetMonth(instant, 'Europe/Berlin')).toBe('2027-01');
    expect(budgetMonth(instant, 'America/Los_Angeles')).toBe('2026-12');
    expect(channelTimezone({})).toBe('UTC');
    expect(channelTimezone({ schedule: { cron: '@daily', timezone: 'Asia/Tokyo' } })).toBe('Asia/Tokyo');
  });

  it('turn at midnight of the 1st there, across daylight saving', () => {
    expect(nextMonthStart(new Date('2026-12-07T12:00:00Z'), 'UTC').toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(nextMonthStart(new Date('2026-12-07T12:00:00Z'), 'Europe/Berlin').toISOString()).toBe('2026-12-31T23:00:00.000Z');
    // March in Berlin is winter time (+01:00), April summer time (+02:00).
    expect(nextMonthStart(new Date('2026-03-15T12:00:00Z'), 'Europe/Berlin').toISOString()).toBe('2026-03-31T22:00:00.000Z');
    expect(nextMonthStart(new Date('2026-12-31T23:30:00Z'), 'Europe/Berlin').toISOString()).toBe('2027-01-31T23:00:00.000Z');
    expect(() => budgetMonth(new Date(), 'Mars/Olympus')).toThrow(RangeError);
  });
});
