import type { Metadata, Plan, RefinedScript, Script } from '../../contract/documents.ts';
import type { Produced, ProviderContext } from '../types.ts';

/** Writes the plan, script, refined script and metadata (an LLM, or the offline writer). */
export interface Writer {
  readonly name: string;
  plan(ctx: ProviderContext): Promise<Produced<Plan>>;
  script(ctx: ProviderContext, plan: Plan): Promise<Produced<Script>>;
  /** Persona and tone pass and length fit; throws when the script still touches a banned topic. */
  refine(ctx: ProviderContext, script: Script): Promise<Produced<RefinedScript>>;
  metadata(ctx: ProviderContext, script: RefinedScript): Promise<Produced<Metadata>>;
}
