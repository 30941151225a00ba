// For the tests of the visual providers: a ProviderContext on a fresh temporary folder with a
// small channel, a script whose beats have known lengths, and a spoken narration.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChannelSpec } from '@acog/api';
import type { Narration, RefinedScript } from '../../contract/documents.ts';
import { probe, runFfmpeg } from '../../media/ffmpeg.ts';
import { providerTestContext, type MemoryState, type TestContext } from '../testing.ts';

/**
 * The local stand-ins of HeyGen, Pexels and Runway listen on 127.0.0.1, and the media URLs they
 * answer with point there: the runner downloads from private addresses only when told so.
 */
export const STAND_IN_NETWORKS = { ACOG_ALLOW_PRIVATE_NETWORKS: '127.0.0.0/8' } as const;

export function testChannel(format: Partial<ChannelSpec['format']> = {}, providers: ChannelSpec['providers'] = {}): ChannelSpec {
  return {
    persona: { name: 'Ada Lovelace', tone: 'warm', audience: 'developers' },
    format: { aspectRatio: '16:9', targetDurationSeconds: 60, wordsPerMinute: 150, layout: 'avatar-pip', brandColor: '#1e66f5', ...format },
    providers,
  };
}

export function testContext(
  options: { channel?: ChannelSpec; env?: Record<string, string | undefined>; state?: MemoryState; namespaceState?: MemoryState } = {},
): Promise<TestContext> {
  return providerTestContext({
    workdirPrefix: join(tmpdir(), 'acog-visuals-'),
    channel: options.channel ?? testChannel(),
    episode: {
      name: 'indexes',
      namespace: 'default',
      uid: '0b5e7c1a-2f44-4c1e-9d7e-6a1f3c2b9d10',
      spec: { channelRef: { name: 'engineering' }, topic: 'Indexes' },
    },
    env: options.env,
    state: options.state,
    namespaceState: options.namespaceState,
  });
}

/**
 * `text` (no quotes in it) spoken by flite into `folder`/narration.wav, and the Narration of that
 * file: timed by sentence, without words or beats.
 */
export async function testNarration(folder: string, text: string): Promise<{ audio: string; narration: Narration }> {
  const audio = join(folder, 'narration.wav');
  await runFfmpeg(['-f', 'lavfi', '-i', `flite=text='${text}':voice=slt`, '-ar', '22050', '-ac', '1', audio]);
  return {
    audio,
    narration: { audio: 'narration.wav', durationSeconds: (await probe(audio)).durationSeconds, words: [], beats: [], timing: 'sentence' },
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
