// The offline writer: no network, no key. It writes a plan, a narration script fitted to the
// target length, a persona pass and YouTube metadata from the episode's topic, brief, key points
// and references and the channel's persona, in persona.language (runners/src/language: en, de, es,
// fr, pt, it; any other language is refused before any work). Every choice is seeded from a hash
// of the input, so the same episode always gets the same text.
import type { Produced, ProviderContext } from '../../types.ts';
import { describeLength } from '../rules.ts';
import { countWords } from '../text.ts';
import type { Writer } from '../types.ts';
import { writeMetadata } from './metadata.ts';
import { writePlan } from './plan.ts';
import { refineScript } from './refine.ts';
import { writeScript } from './script.ts';
import { episodeSource, type EpisodeSource } from './source.ts';

export { episodeSource, narrateBrief, type EpisodeSource } from './source.ts';
export { beatSeconds, writePlan } from './plan.ts';
export { writeScript } from './script.ts';
export { refineScript } from './refine.ts';
export { writeMetadata } from './metadata.ts';

export function createOfflineWriter(): Writer {
  return {
    name: 'offline',
    async plan(ctx) {
      const plan = writePlan(sourceOf(ctx));
      return free(plan, countWords([plan.hook, ...plan.beats.map((beat) => beat.summary), plan.outro].join(' ')));
    },
    async script(ctx, plan) {
      const source = sourceOf(ctx);
      const script = writeScript(source, plan);
      ctx.log(`offline writer: script of ${describeLength(script.wordCount, source.target)}`);
      return free(script, script.wordCount);
    },
    async refine(ctx, script) {
      const refined = refineScript(sourceOf(ctx), script);
      for (const note of refined.notes) ctx.log(`offline writer: ${note}`);
      return free(refined, refined.wordCount);
    },
    async metadata(ctx, script) {
      const metadata = writeMetadata(sourceOf(ctx), script);
      return free(metadata, countWords(`${metadata.title} ${metadata.description}`));
    },
  };
}

function free<T>(value: T, words: number): Produced<T> {
  return { value, usage: { words }, costUSD: 0 };
}

function sourceOf(ctx: ProviderContext): EpisodeSource {
  return episodeSource(ctx.channel, ctx.episode.spec);
}
