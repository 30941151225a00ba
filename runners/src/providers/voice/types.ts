import type { Narration, RefinedScript } from '../../contract/documents.ts';
import type { Produced, ProviderContext } from '../types.ts';

/** Speaks the script: an audio file in ctx.workdir, named by narration.audio, with word timings. */
export interface Voice {
  readonly name: string;
  synthesize(ctx: ProviderContext, script: RefinedScript): Promise<Produced<Narration>>;
}
