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

/** The example episode with enough to say for eight minutes: every idea is said once, so long targets need more ideas. */
export function richEpisode(): EpisodeSpec {
  const episode = exampleEpisode();
  return {
    ...episode,
    keyPoints: [
      ...episode.keyPoints!,
      'A covering index answers a query without touching the table at all',
      'A partial index stores only the rows a condition selects',
      'An expression index stores a computed value such as a lower-cased email address',
      'The planner uses statistics to choose between an index scan and a sequential scan',
      'A bitmap scan combines several indexes for one query',
      'A hash index supports equality lookups and nothing else',
      'A GIN index serves full-text search and JSON documents',
      'A BRIN index summarises block ranges of a huge append-only table',
      'Unused indexes cost disk space, memory and write time for nothing',
      'Bloated indexes shrink again after a rebuild',
      'Uniqueness is enforced by an index behind every unique constraint',
      'Foreign keys without an index make deletes on the parent table slow',
      'EXPLAIN ANALYZE shows which index a query really used and what it cost',
      'A sort that an index already provides costs nothing extra',
      'Index-only scans depend on the visibility map being up to date',
      'Creating an index concurrently keeps the table writable while it builds',
    ],
  };
}
