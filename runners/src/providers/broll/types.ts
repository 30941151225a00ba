import type { BrollManifest, RefinedScript } from '../../contract/documents.ts';
import type { Produced, ProviderContext } from '../types.ts';

/** Finds or makes a clip for each beat's cues; files in ctx.workdir, listed in the manifest. */
export interface BrollSource {
  readonly name: string;
  clips(ctx: ProviderContext, script: RefinedScript): Promise<Produced<BrollManifest>>;
}
