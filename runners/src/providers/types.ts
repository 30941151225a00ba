// What every provider gets and gives back. One interface per capability lives beside it
// (writer/, voice/, avatar/, broll/, publisher/), each with small implementations.
import type { ChannelSpec, EpisodeSpec } from '@acog/api';

export interface ProviderContext {
  /** Scratch folder of this stage attempt: providers write their files here. */
  workdir: string;
  channel: ChannelSpec;
  episode: { name: string; namespace: string; uid: string; spec: EpisodeSpec };
  /** Provider secrets arrive as environment variables (secretKeyRef), under their conventional names. */
  env: Record<string, string | undefined>;
  log: (line: string) => void;
  signal?: AbortSignal;
  /** Small durable state of the episode across attempts (e.g. a resumable upload's session URI). */
  state: EpisodeState;
  /** Small durable state shared by the namespace's episodes (e.g. a provider webhook endpoint's signing secret). */
  namespaceState: EpisodeState;
}

export interface EpisodeState {
  get<T>(key: string): Promise<T | undefined>;
  put(key: string, value: unknown): Promise<void>;
}

export interface Usage {
  /** What was consumed: tokens, characters, seconds of video… */
  usage: Record<string, number>;
  costUSD: number;
}

export type Produced<T> = { value: T } & Usage;

/** Thrown when a provider is misconfigured (a missing key, say): not worth retrying. */
export class ProviderConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProviderConfigError';
  }
}

/** Reads a secret from the environment or says exactly which one is missing and where it comes from. */
export function requireSecret(ctx: Pick<ProviderContext, 'env'>, name: string, secretRef?: { name: string; key?: string }): string {
  const value = ctx.env[name];
  if (value) return value;
  const from = secretRef ? `key ${secretRef.key ?? name} of Secret ${secretRef.name}` : `a Secret named in the Channel's providers`;
  throw new ProviderConfigError(`${name} is not set: the runner reads it from ${from}`);
}
