// How far along its DAG an Episode is, as the episode queue's priority: work already started goes
// before work not yet begun, so that in a burst the first Episodes finish early instead of every
// Episode finishing near the end (ADR 0020).
import type { EpisodeStatus } from '@acog/api';

/** The orders the operator's --episode-order offers; progress is the default. */
export const EPISODE_ORDERS = ['progress', 'arrival'] as const;
export type EpisodeOrder = (typeof EPISODE_ORDERS)[number];

const STARTED = new Set(['Running', 'Succeeded', 'Failed', 'Skipped']);

/** The number of stages that have started (running, finished or skipped); 0 for a new Episode. */
export function episodeProgress(status: EpisodeStatus | undefined): number {
  let started = 0;
  for (const entry of status?.stages ?? []) if (STARTED.has(entry.phase)) started++;
  return started;
}
