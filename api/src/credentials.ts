// Which Secret keys each provider reads, and under which environment variable the runner finds
// them (the original design's names). The operator turns these into secretKeyRef env of a Job;
// the Channel's Ready condition and `kubectl acog doctor` check them. Names only, never values.
import type { ChannelSpec, EpisodeSpec, Providers, StageName } from './generated/types.ts';

export type Capability = keyof Providers;
export const CAPABILITIES: readonly Capability[] = ['llm', 'voice', 'avatar', 'broll', 'publisher'];

/** The provider capability a stage calls, if any. */
export const STAGE_CAPABILITY: Readonly<Record<StageName, Capability | undefined>> = {
  plan: 'llm',
  script: 'llm',
  refine: 'llm',
  metadata: 'llm',
  voice: 'voice',
  avatar: 'avatar',
  broll: 'broll',
  assemble: undefined,
  upload: 'publisher',
};

/** The key a provider reads when its secretRef names none; offline providers are absent. */
export const DEFAULT_SECRET_KEYS: Readonly<Record<string, string>> = {
  openai: 'OPENAI_API_KEY',
  elevenlabs: 'ELEVENLABS_API_KEY',
  heygen: 'HEYGEN_API_KEY',
  pexels: 'PEXELS_API_KEY',
  runway: 'RUNWAY_API_KEY',
};
/** YouTube reads three keys of its Secret, always under these names. */
export const YOUTUBE_KEYS: readonly string[] = ['YOUTUBE_CLIENT_ID', 'YOUTUBE_CLIENT_SECRET', 'YOUTUBE_REFRESH_TOKEN'];

export interface SecretNeed {
  capability: Capability;
  provider: string;
  secret: string;
  /** Environment variable → key in the Secret. */
  env: Record<string, string>;
}

/** Whether a provider authenticates at all (and so needs a secretRef). */
export function providerNeedsSecret(provider: string): boolean {
  return provider === 'youtube' || provider in DEFAULT_SECRET_KEYS;
}

/** The Secret keys one capability's provider reads; none for offline providers or without a secretRef. */
export function secretNeed(capability: Capability, settings: Providers[Capability] | undefined): SecretNeed | undefined {
  if (!settings?.secretRef || !providerNeedsSecret(settings.provider)) return undefined;
  const ref = settings.secretRef;
  const env =
    settings.provider === 'youtube'
      ? Object.fromEntries(YOUTUBE_KEYS.map((key) => [key, key]))
      : { [DEFAULT_SECRET_KEYS[settings.provider]]: ref.key ?? DEFAULT_SECRET_KEYS[settings.provider] };
  return { capability, provider: settings.provider, secret: ref.name, env };
}

/** Which Secret keys a set of providers reads. */
export function secretNeeds(providers: Providers | undefined): SecretNeed[] {
  return CAPABILITIES.map((capability) => secretNeed(capability, providers?.[capability])).filter((need): need is SecretNeed => !!need);
}

/** The provider settings a stage uses: the Episode's override, else the Channel's. */
export function stageProvider(stage: StageName, channel: ChannelSpec, episode: EpisodeSpec): Providers[Capability] | undefined {
  const capability = STAGE_CAPABILITY[stage];
  if (!capability) return undefined;
  return episode.overrides?.providers?.[capability] ?? channel.providers?.[capability];
}
