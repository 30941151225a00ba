import type { BrollManifest, RefinedScript } from '../../contract/documents.ts';
import type { Produced, ProviderContext } from '../types.ts';

/** The script whose beats need B-roll. */
export interface BrollScript extends RefinedScript {
  /** Beats the Episode's own media (spec.media) covers: no clip is made or asked for them. */
  ownMediaBeats?: readonly string[];
}

/** Finds or makes a clip for each beat's cues (but ownMediaBeats); files in ctx.workdir, listed in the manifest. */
export interface BrollSource {
  readonly name: string;
  clips(ctx: ProviderContext, script: BrollScript): Promise<Produced<BrollManifest>>;
}
