// What a provider's work costs, in US dollars, from the model catalog (api/catalog/*.yaml): the
// runners price each attempt from it, and the operator, the plugin and the console estimate a stage
// before it starts with the same figures (estimates.ts), through `unitPrices` alone.
import { defaultModel, modelCostUSD, modelEntry } from './catalog/index.ts';

/** The writer's models when the Channel names none: a stronger one plans, a cheaper one writes. */
export const OPENAI_DEFAULT_PLAN_MODEL = 'gpt-6.1-sol';
export const OPENAI_DEFAULT_TEXT_MODEL = 'gpt-6-luna';
export const OPENAI_DEFAULT_TTS_MODEL = defaultModel('openai', 'speech')!;
export const ELEVENLABS_DEFAULT_MODEL = defaultModel('elevenlabs', 'speech')!;
export const RUNWAY_DEFAULT_MODEL = defaultModel('runway', 'video')!;

/** Avatar IV, digital twin or studio avatar, 720p/1080p (developers.heygen.com/docs/pricing, 2026); a photo avatar costs 0.05. */
export const HEYGEN_PRICE_PER_SECOND_USD = 0.0667;

/** US dollars per million input and output tokens of a chat model (or its dated snapshot); undefined when the catalog has no price. */
export function tokenPrice(model: string): { input: number; output: number } | undefined {
  const price = modelEntry('openai', model)?.price;
  return price?.per === 'million-tokens' ? { input: price.input, output: price.output } : undefined;
}

/** What `characters` cost with an ElevenLabs model: its catalog price, the default model's for one it does not list. */
export function elevenLabsCostUSD(characters: number, model: string): number {
  return modelCostUSD('elevenlabs', model, { characters }) ?? modelCostUSD('elevenlabs', ELEVENLABS_DEFAULT_MODEL, { characters }) ?? 0;
}

/** What `seconds` of Runway output cost: the given price, else the catalog's (the default model's for one it does not list). */
export function runwayCostUSD(model: string, seconds: number, pricePerSecond?: number): number {
  const cost =
    pricePerSecond === undefined
      ? (modelCostUSD('runway', model, { videoSeconds: seconds }) ??
        modelCostUSD('runway', RUNWAY_DEFAULT_MODEL, { videoSeconds: seconds }) ??
        0)
      : seconds * pricePerSecond;
  return Math.round(cost * 10_000) / 10_000;
}

/** What one unit of a provider's work costs, for estimates; every field absent is free. */
export interface UnitPrices {
  /** Per million input and output tokens. */
  tokens?: { input: number; output: number };
  /** Per million characters spoken. */
  characters?: number;
  /** Per second of avatar video or of generated clip. */
  seconds?: number;
}

function perMillionCharacters(provider: 'openai' | 'elevenlabs', model: string): number | undefined {
  const price = modelEntry(provider, model)?.price;
  return price?.per === 'million-characters' ? price.usd : undefined;
}

/**
 * The one lookup the estimates use: the unit prices of `provider` with `model` (the provider's
 * default model when absent). Free providers (offline, espeak, piper, audiogram, motion-graphics,
 * pexels, folder, youtube) and models without a known price have none.
 */
export function unitPrices(provider: string, model: string | undefined, use?: 'speech' | 'text'): UnitPrices {
  switch (provider) {
    case 'openai': {
      if (use === 'speech') {
        const characters = perMillionCharacters('openai', model ?? OPENAI_DEFAULT_TTS_MODEL);
        return characters === undefined ? {} : { characters };
      }
      const tokens = tokenPrice(model ?? OPENAI_DEFAULT_TEXT_MODEL);
      return tokens ? { tokens } : {};
    }
    case 'elevenlabs': {
      const characters =
        perMillionCharacters('elevenlabs', model ?? ELEVENLABS_DEFAULT_MODEL) ??
        perMillionCharacters('elevenlabs', ELEVENLABS_DEFAULT_MODEL);
      return characters === undefined ? {} : { characters };
    }
    case 'heygen':
      return { seconds: HEYGEN_PRICE_PER_SECOND_USD };
    case 'runway': {
      const price = modelEntry('runway', model ?? RUNWAY_DEFAULT_MODEL)?.price ?? modelEntry('runway', RUNWAY_DEFAULT_MODEL)?.price;
      return price?.per === 'video-second' ? { seconds: price.usd } : {};
    }
    default:
      return {};
  }
}
