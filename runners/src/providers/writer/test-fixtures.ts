// The ProviderContext of the writer tests: the example Channel and Episode.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChannelSpec, EpisodeSpec } from '@acog/api';
import { exampleChannel, exampleEpisode, providerTestContext, type TestContext } from '../testing.ts';

export function testContext(
  options: { channel?: ChannelSpec; episode?: EpisodeSpec; env?: Record<string, string | undefined> } = {},
): Promise<TestContext> {
  return providerTestContext({
    workdirPrefix: join(tmpdir(), 'acog-writer-test-'),
    channel: options.channel ?? exampleChannel(),
    episode: { name: 'how-indexes-work', namespace: 'default', uid: 'uid-1', spec: options.episode ?? exampleEpisode() },
    env: options.env,
  });
}
