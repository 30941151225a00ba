// What a stage will cost before it runs, from the providers' prices (prices.ts, through
// `unitPrices`) and the stage's inputs: the prompt and the tokens expected back for the writer,
// the script's characters for the voice, narration seconds for the avatar, clip seconds for B-roll.
// Pure: the operator's budget gate reserves these figures, `kubectl acog create --dry-run=client`
// and `describe` and the console show them.
import { stageProvider } from './credentials.ts';
import type { ChannelSpec, EpisodeSpec, StageName } from './generated/types.ts';
import { STAGES } from './pipeline.ts';
import { OPENAI_DEFAULT_PLAN_MODEL, OPENAI_DEFAULT_TEXT_MODEL, unitPrices } from './prices.ts';
import { activeStages, DEFAULT_WORDS_PER_MINUTE } from './stage-inputs.ts';

/** Rules of thumb for English text, stated once: tokens and characters per spoken word. */
const TOKENS_PER_WORD = 1.35;
const CHARACTERS_PER_WORD = 6;
const CHARACTERS_PER_TOKEN = 4;
/** Instructions and the JSON schema each writer call sends besides the episode's own text. */
const PROMPT_OVERHEAD_TOKENS = 700;
/** The plan's beats, hook and cues: a fixed part and a part per word of narration. */
const PLAN_OUTPUT_TOKENS = { fixed: 300, perWord: 0.5 };
const METADATA_OUTPUT_TOKENS = 500;
const DEFAULT_CLIP_SECONDS = 6;

export interface EstimatedUsage {
  inputTokens?: number;
  outputTokens?: number;
  characters?: number;
  seconds?: number;
  clips?: number;
}

export interface StageEstimate {
  stage: StageName;
  provider: string;
  model?: string;
  usage: EstimatedUsage;
  /** Rounded to the micro-dollar; 0 for a free provider. */
  costUSD: number;
}

export interface EpisodeEstimate {
  stages: StageEstimate[];
  totalUSD: number;
}

function tokensOf(...texts: (string | undefined)[]): number {
  return Math.ceil(texts.reduce((sum, text) => sum + (text?.length ?? 0), 0) / CHARACTERS_PER_TOKEN);
}

function round(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}

/** The estimate of one stage of an Episode of a Channel (whether or not the stage is active). */
export function estimateStage(stage: StageName, channel: ChannelSpec, episode: EpisodeSpec): StageEstimate {
  const settings = stageProvider(stage, channel, episode) as
    { provider?: string; model?: string; planModel?: string; clipSeconds?: number } | undefined;
  const provider = settings?.provider ?? 'none';
  const durationSeconds = episode.overrides?.targetDurationSeconds ?? channel.format.targetDurationSeconds;
  const words = (durationSeconds / 60) * (channel.format.wordsPerMinute ?? DEFAULT_WORDS_PER_MINUTE);
  const scriptTokens = Math.ceil(words * TOKENS_PER_WORD);
  const persona = JSON.stringify(channel.persona);

  const writer = (model: string, inputTokens: number, outputTokens: number): StageEstimate => {
    const price = unitPrices(provider, model, 'text').tokens;
    const costUSD = price ? (inputTokens * price.input + outputTokens * price.output) / 1_000_000 : 0;
    return { stage, provider, model, usage: { inputTokens, outputTokens }, costUSD: round(costUSD) };
  };
  const textModel = settings?.model ?? OPENAI_DEFAULT_TEXT_MODEL;
  const planOutput = Math.ceil(PLAN_OUTPUT_TOKENS.fixed + words * PLAN_OUTPUT_TOKENS.perWord);

  switch (stage) {
    case 'plan': {
      const episodeText = [
        episode.topic,
        episode.brief,
        ...(episode.keyPoints ?? []),
        ...(episode.references ?? []).map((r) => JSON.stringify(r)),
      ];
      return writer(
        settings?.planModel ?? OPENAI_DEFAULT_PLAN_MODEL,
        PROMPT_OVERHEAD_TOKENS + tokensOf(persona, ...episodeText),
        planOutput,
      );
    }
    case 'script':
      return writer(textModel, PROMPT_OVERHEAD_TOKENS + tokensOf(persona) + planOutput, scriptTokens);
    case 'refine':
      return writer(textModel, PROMPT_OVERHEAD_TOKENS + tokensOf(persona, channel.persona.styleGuide) + scriptTokens, scriptTokens);
    case 'metadata':
      return writer(textModel, PROMPT_OVERHEAD_TOKENS + tokensOf(persona) + scriptTokens, METADATA_OUTPUT_TOKENS);
    case 'voice': {
      const characters = Math.ceil(words * CHARACTERS_PER_WORD);
      const price = unitPrices(provider, settings?.model, 'speech');
      const costUSD = ((price.characters ?? 0) * characters) / 1_000_000;
      return { stage, provider, model: settings?.model, usage: { characters, seconds: durationSeconds }, costUSD: round(costUSD) };
    }
    case 'avatar': {
      const price = unitPrices(provider, undefined);
      return { stage, provider, usage: { seconds: durationSeconds }, costUSD: round((price.seconds ?? 0) * durationSeconds) };
    }
    case 'broll': {
      const clipSeconds = settings?.clipSeconds ?? DEFAULT_CLIP_SECONDS;
      const clips = Math.max(1, Math.round(durationSeconds / clipSeconds));
      const price = unitPrices(provider, settings?.model);
      return {
        stage,
        provider,
        model: settings?.model,
        usage: { clips, seconds: durationSeconds },
        costUSD: round((price.seconds ?? 0) * durationSeconds),
      };
    }
    default:
      // assemble runs ffmpeg; upload's providers (a folder, YouTube's Data API) charge nothing.
      return { stage, provider: stage === 'assemble' ? 'ffmpeg' : provider, usage: {}, costUSD: 0 };
  }
}

/** The estimate of every stage the Episode runs, in pipeline order, and their total. */
export function estimateEpisode(channel: ChannelSpec, episode: EpisodeSpec): EpisodeEstimate {
  const active = activeStages(channel, episode);
  const stages = STAGES.filter((stage) => active.includes(stage)).map((stage) => estimateStage(stage, channel, episode));
  return { stages, totalUSD: round(stages.reduce((sum, entry) => sum + entry.costUSD, 0)) };
}

/** Dollars as people read them: cents, or a tenth of a cent below a dollar when that is all there is. */
export function formatUSD(usd: number): string {
  if (usd > 0 && usd < 0.01) return `$${usd.toFixed(4)}`;
  return `$${usd.toFixed(2)}`;
}
