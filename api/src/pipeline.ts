// The stage DAG of DESIGN.md, as data. Pure: the operator and `kubectl acog render` both plan from it.
import type { StageName } from './generated/types.ts';

export const STAGES: readonly StageName[] = ['plan', 'script', 'refine', 'metadata', 'voice', 'avatar', 'broll', 'assemble', 'upload'];

/** What each stage needs finished before it can start. */
export const STAGE_DEPENDENCIES: Readonly<Record<StageName, readonly StageName[]>> = {
  plan: [],
  script: ['plan'],
  refine: ['script'],
  metadata: ['refine'],
  voice: ['refine'],
  avatar: ['voice'],
  broll: ['refine'],
  assemble: ['metadata', 'avatar', 'broll'],
  upload: ['assemble'],
};

export function isStageName(value: string): value is StageName {
  return (STAGES as readonly string[]).includes(value);
}
