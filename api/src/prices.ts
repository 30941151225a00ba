// Providers' list prices, in US dollars, and what one call costs by them. The runners price each
// attempt with these; the operator, the plugin and the console estimate a stage before it starts
// with the same figures (estimates.ts), through `unitPrices` alone.

/** The writer's models when the Channel names none: a stronger one plans, a cheaper one writes. */
export const OPENAI_DEFAULT_PLAN_MODEL = 'gpt-4o';
export const OPENAI_DEFAULT_TEXT_MODEL = 'gpt-4o-mini';

/**
 * US dollars per million tokens (input, output), OpenAI's standard-tier list prices as published on
 * https://openai.com/api/pricing (checked mid-2025). Dated snapshots ("gpt-4o-2024-08-06") are
 * priced as their family. A model not listed is recorded at 0 and the log says so.
 */
export const OPENAI_TOKEN_PRICES: Record<string, { input: number; output: number }> = {
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'gpt-5': { input: 1.25, output: 10 },
  'gpt-5-mini': { input: 0.25, output: 2 },
  'gpt-5-nano': { input: 0.05, output: 0.4 },
  o3: { input: 2, output: 8 },
  'o4-mini': { input: 1.1, output: 4.4 },
};

/** The price entry of a model: exact, else the longest listed name the model starts with. */
export function tokenPrice(model: string): { input: number; output: number } | undefined {
  if (OPENAI_TOKEN_PRICES[model]) return OPENAI_TOKEN_PRICES[model];
  const family = Object.keys(OPENAI_TOKEN_PRICES)
    .filter((name) => model.startsWith(`${name}-`))
    .sort((a, b) => b.length - a.length)[0];
  return family ? OPENAI_TOKEN_PRICES[family] : undefined;
}

/**
 * US dollars per million input characters, from OpenAI's pricing page (openai.com/api/pricing,
 * mid-2025): tts-1 $15, tts-1-hd $30. gpt-4o-mini-tts is billed by tokens; OpenAI estimates it at
 * $0.015 a minute, which at about 1,000 characters a spoken minute is $15 per million characters.
 */
export const OPENAI_TTS_PRICES_PER_MILLION_CHARACTERS: Record<string, number> = { 'tts-1': 15, 'tts-1-hd': 30, 'gpt-4o-mini-tts': 15 };
/** whisper-1: $0.006 a minute of audio (same source and date). */
export const OPENAI_WHISPER_PRICE_PER_MINUTE = 0.006;

/** The price per million characters of an OpenAI speech model (or its dated snapshot); undefined when unknown. */
export function openAiSpeechPrice(model: string): number | undefined {
  const family = Object.keys(OPENAI_TTS_PRICES_PER_MILLION_CHARACTERS)
    .filter((name) => model === name || model.startsWith(`${name}-`))
    .sort((a, b) => b.length - a.length)[0];
  return family ? OPENAI_TTS_PRICES_PER_MILLION_CHARACTERS[family] : undefined;
}

export function openAiVoiceCostUSD(model: string, characters: number, transcribedSeconds: number): number | undefined {
  const perMillion = openAiSpeechPrice(model);
  if (perMillion === undefined) return undefined;
  const cost = (characters * perMillion) / 1_000_000 + (transcribedSeconds / 60) * OPENAI_WHISPER_PRICE_PER_MINUTE;
  return Math.round(cost * 1e6) / 1e6;
}

/**
 * USD per 1,000 characters, from ElevenLabs' API pricing (elevenlabs.io/pricing/api, 2026):
 * Flash and Turbo $0.05, Multilingual v2/v3 and the rest $0.10. Plans with included credits pay
 * less in effect; this is what the characters cost beyond them.
 */
export function elevenLabsPricePerThousandCharacters(model: string): number {
  return /^eleven_(flash|turbo)_/.test(model) ? 0.05 : 0.1;
}

export function elevenLabsCostUSD(characters: number, model: string): number {
  return Math.round((characters / 1000) * elevenLabsPricePerThousandCharacters(model) * 1e6) / 1e6;
}

export const RUNWAY_DEFAULT_MODEL = 'gen4.5';

/**
 * USD per second of output: Runway bills credits at $0.01, gen4_turbo and gen3a_turbo 5 credits
 * a second, gen4.5 12, veo3.1_fast 15, veo3 and veo3.1 40 (Runway's API pricing, 2026).
 */
export const RUNWAY_PRICE_PER_SECOND: Record<string, number> = {
  'gen4.5': 0.12,
  gen4_turbo: 0.05,
  gen3a_turbo: 0.05,
  'veo3.1_fast': 0.15,
  'veo3.1': 0.4,
  veo3: 0.4,
};

export function runwayPricePerSecond(model: string): number {
  return RUNWAY_PRICE_PER_SECOND[model] ?? RUNWAY_PRICE_PER_SECOND[RUNWAY_DEFAULT_MODEL];
}

export function runwayCostUSD(model: string, seconds: number, pricePerSecond?: number): number {
  return Math.round(seconds * (pricePerSecond ?? runwayPricePerSecond(model)) * 10_000) / 10_000;
}

/** Avatar IV, digital twin or studio avatar, 720p/1080p (developers.heygen.com/docs/pricing, 2026); a photo avatar costs 0.05. */
export const HEYGEN_PRICE_PER_SECOND_USD = 0.0667;

/** What one unit of a provider's work costs, for estimates; every field absent is free. */
export interface UnitPrices {
  /** Per million input and output tokens. */
  tokens?: { input: number; output: number };
  /** Per million characters spoken. */
  characters?: number;
  /** Per second of audio transcribed, of avatar video or of generated clip. */
  seconds?: number;
}

/**
 * The one lookup the estimates use: the unit prices of `provider` with `model` (the provider's
 * default model when absent). Free providers (offline, espeak, audiogram, motion-graphics, pexels,
 * folder, youtube) and models without a known price have none.
 */
export const ELEVENLABS_DEFAULT_MODEL = 'eleven_multilingual_v2';
export const OPENAI_DEFAULT_TTS_MODEL = 'gpt-4o-mini-tts';

export function unitPrices(provider: string, model: string | undefined, use?: 'speech' | 'text'): UnitPrices {
  switch (provider) {
    case 'openai': {
      if (use === 'speech') {
        const perMillion = openAiSpeechPrice(model ?? OPENAI_DEFAULT_TTS_MODEL);
        return perMillion === undefined ? {} : { characters: perMillion, seconds: OPENAI_WHISPER_PRICE_PER_MINUTE / 60 };
      }
      const tokens = tokenPrice(model ?? OPENAI_DEFAULT_TEXT_MODEL);
      return tokens ? { tokens } : {};
    }
    case 'elevenlabs':
      return { characters: elevenLabsPricePerThousandCharacters(model ?? ELEVENLABS_DEFAULT_MODEL) * 1000 };
    case 'heygen':
      return { seconds: HEYGEN_PRICE_PER_SECOND_USD };
    case 'runway':
      return { seconds: runwayPricePerSecond(model ?? RUNWAY_DEFAULT_MODEL) };
    default:
      return {};
  }
}
