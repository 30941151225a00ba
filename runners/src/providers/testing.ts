// For the providers' tests: an in-memory episode state, the example Channel and Episode, and a
// ProviderContext on a fresh temporary folder that keeps what is logged.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { parse } from 'yaml';
import type { ChannelSpec, EpisodeSpec } from '@acog/api';
import type { EpisodeState, ProviderContext } from './types.ts';

/**
 * EpisodeState in memory. Values are copied in and out, as the store's JSON round trip copies
 * them; a key put to null (how providers forget) or undefined is removed.
 */
export class MemoryState implements EpisodeState {
  readonly values = new Map<string, unknown>();
  async get<T>(key: string): Promise<T | undefined> {
    return structuredClone(this.values.get(key)) as T | undefined;
  }
  async put(key: string, value: unknown): Promise<void> {
    if (value === undefined || value === null) this.values.delete(key);
    else this.values.set(key, structuredClone(value));
  }
}

function example<T>(file: string): T {
  return (parse(readFileSync(new URL(`../../../examples/${file}`, import.meta.url), 'utf8')) as { spec: T }).spec;
}

/** The spec of examples/channel.yaml. */
export function exampleChannel(): ChannelSpec {
  return example<ChannelSpec>('channel.yaml');
}

/** The spec of examples/episode.yaml. */
export function exampleEpisode(): EpisodeSpec {
  return example<EpisodeSpec>('episode.yaml');
}

export interface TestContext extends ProviderContext {
  state: MemoryState;
  namespaceState: MemoryState;
  /** What the provider logged, a line each. */
  lines: string[];
  /** Removes the workdir. */
  cleanup(): Promise<void>;
}

export interface TestContextOptions {
  channel: ChannelSpec;
  episode: ProviderContext['episode'];
  env?: Record<string, string | undefined>;
  state?: MemoryState;
  namespaceState?: MemoryState;
  /** The workdir is made by mkdtemp from this prefix (a path). */
  workdirPrefix: string;
}

/** A ProviderContext on a fresh workdir, with an empty MemoryState unless one is given. */
export async function providerTestContext(options: TestContextOptions): Promise<TestContext> {
  const workdir = await mkdtemp(options.workdirPrefix);
  const lines: string[] = [];
  return {
    workdir,
    channel: options.channel,
    episode: options.episode,
    env: options.env ?? {},
    log: (line) => lines.push(line),
    state: options.state ?? new MemoryState(),
    namespaceState: options.namespaceState ?? new MemoryState(),
    lines,
    cleanup: () => rm(workdir, { recursive: true, force: true }),
  };
}
