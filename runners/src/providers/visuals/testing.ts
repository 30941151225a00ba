// For the tests of the visual providers: a ProviderContext on a fresh temporary folder, an
// in-memory episode state, a small channel, and a script whose beats have known lengths.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChannelSpec } from '@acog/api';
import type { RefinedScript } from '../../contract/documents.ts';
import type { EpisodeState, ProviderContext } from '../types.ts';

export class MemoryState implements EpisodeState {
  readonly values = new Map<string, unknown>();
  async get<T>(key: string): Promise<T | undefined> {
    return this.values.get(key) as T | undefined;
  }
  async put(key: string, value: unknown): Promise<void> {
    if (value === undefined || value === null) this.values.delete(key);
    else this.values.set(key, structuredClone(value));
  }
}

export function testChannel(format: Partial<ChannelSpec['format']> = {}, providers: ChannelSpec['providers'] = {}): ChannelSpec {
  return {
    persona: { name: 'Ada Lovelace', tone: 'warm', audience: 'developers' },
    format: { aspectRatio: '16:9', targetDurationSeconds: 60, wordsPerMinute: 150, layout: 'avatar-pip', brandColor: '#1e66f5', ...format },
    providers,
  };
}

export interface TestContext extends ProviderContext {
  state: MemoryState;
  lines: string[];
  cleanup(): Promise<void>;
}

export async function testContext(
  options: { channel?: ChannelSpec; env?: Record<string, string | undefined>; state?: MemoryState } = {},
): Promise<TestContext> {
  const workdir = await mkdtemp(join(tmpdir(), 'acog-visuals-'));
  const lines: string[] = [];
  return {
    workdir,
    channel: options.channel ?? testChannel(),
    episode: {
      name: 'indexes',
      namespace: 'default',
      uid: '0b5e7c1a-2f44-4c1e-9d7e-6a1f3c2b9d10',
      spec: { channelRef: { name: 'engineering' }, topic: 'Indexes' },
    },
    env: options.env ?? {},
    log: (line) => lines.push(line),
    state: options.state ?? new MemoryState(),
    lines,
    cleanup: () => rm(workdir, { recursive: true, force: true }),
  };
}

/** A script of beats with `words` words each: at 150 words per minute, 5 words are 2 seconds. */
export function testScript(beats: { heading: string; words: number; keywords?: string[] }[]): RefinedScript {
  const filler = 'index rows pages lookup scan tree keys order cost speed'.split(' ');
  const scriptBeats = beats.map((beat, index) => ({
    id: `beat-${index + 1}`,
    heading: beat.heading,
    narration: Array.from({ length: beat.words }, (_, word) => filler[word % filler.length]).join(' '),
    brollCues: [
      { description: `${beat.heading}, close up`, keywords: beat.keywords ?? ['database', 'index'] },
      { description: `${beat.heading}, wide shot`, keywords: ['server', 'data center'] },
    ],
  }));
  const wordCount = beats.reduce((sum, beat) => sum + beat.words, 0);
  return { title: 'How indexes work', beats: scriptBeats, wordCount, estimatedSeconds: (wordCount / 150) * 60, notes: [] };
}
