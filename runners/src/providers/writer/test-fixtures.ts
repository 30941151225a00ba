// Test inputs of the writer tests: the example Channel and Episode, and a ProviderContext around them.
import { mkdtemp } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { ChannelSpec, EpisodeSpec } from '@acog/api';
import type { ProviderContext } from '../types.ts';

function example<T>(file: string): T {
  return (parse(readFileSync(new URL(`../../../../examples/${file}`, import.meta.url), 'utf8')) as { spec: T }).spec;
}

export function exampleChannel(): ChannelSpec {
  return example<ChannelSpec>('channel.yaml');
}

export function exampleEpisode(): EpisodeSpec {
  return example<EpisodeSpec>('episode.yaml');
}

export async function testContext(
  options: { channel?: ChannelSpec; episode?: EpisodeSpec; env?: Record<string, string | undefined> } = {},
): Promise<ProviderContext & { lines: string[] }> {
  const lines: string[] = [];
  const state = new Map<string, unknown>();
  return {
    workdir: await mkdtemp(join(tmpdir(), 'acog-writer-test-')),
    channel: options.channel ?? exampleChannel(),
    episode: { name: 'how-indexes-work', namespace: 'default', uid: 'uid-1', spec: options.episode ?? exampleEpisode() },
    env: options.env ?? {},
    log: (line) => lines.push(line),
    state: {
      get: async <T>(key: string) => state.get(key) as T | undefined,
      put: async (key, value) => void state.set(key, value),
    },
    lines,
  };
}
