// Writes the cost ledger from the Episode reconciler: this reconcile's finished attempts at once,
// and any earlier finished attempt without a row (the write failed, or the operator died between a
// stage's end and its write) from the Episode's status and result.json, which stay the truth.
import {
  estimateStage,
  isStageResultProblem,
  type Channel,
  type Episode,
  type EpisodeStatus,
  type StageName,
  type StageResult,
  type StageResultProblem,
} from '@acog/api';
import type { LedgerEntry } from '@acog/db/ledger';
import type { Logger } from '@acog/kube';
import type { AttemptOutcome } from '../episode/planner.ts';
import type { LedgerConnection } from './connection.ts';
import { attemptKey, entryBase, ledgerPlan, modelOf, providerOf } from './entries.ts';
import { safeTimezone } from './timezone.ts';

export interface LedgerRecorderDeps {
  connection: LedgerConnection;
  log: Logger;
  readResult: (episode: Episode, stage: StageName, attempt: number) => Promise<StageResult | StageResultProblem | undefined>;
  /** Called with the Channel key after rows were written for it (its spend changed). */
  onRecorded: (channelKey: string) => void;
}

/** Episodes whose recorded attempts this process keeps in memory before it starts over. */
const MAX_EPISODES = 50_000;

export class LedgerRecorder {
  private readonly deps: LedgerRecorderDeps;
  /** Per Episode uid, the attempts known to be in the ledger. */
  private readonly recorded = new Map<string, Set<string>>();

  constructor(deps: LedgerRecorderDeps) {
    this.deps = deps;
  }

  /** Writes what is missing; false when the ledger cannot be written now (the caller looks again later). */
  async sync(episode: Episode, channel: Channel | undefined, status: EpisodeStatus, outcomes: readonly AttemptOutcome[]): Promise<boolean> {
    const uid = episode.metadata.uid!;
    const { namespace, name } = episode.metadata;
    try {
      const ledger = this.deps.connection.get();
      let recorded = this.recorded.get(uid);
      if (!recorded) {
        recorded = new Set((await ledger.recordedAttempts(uid)).map(attemptKey));
        if (this.recorded.size >= MAX_EPISODES) this.recorded.clear();
        this.recorded.set(uid, recorded);
      }
      const timezone = channel ? safeTimezone(channel.spec) : 'UTC';
      const plan = ledgerPlan({ episode, channel, timezone, status, outcomes, recorded });
      const entries: LedgerEntry[] = [...plan.entries];
      const base = entryBase(episode, timezone);
      for (const { stage, attempt } of plan.unresolved) {
        const result = await this.deps.readResult(episode, stage, attempt);
        const finishedAt = new Date(status.stages?.find((entry) => entry.name === stage)?.finishedAt ?? Date.now());
        if (result && !isStageResultProblem(result))
          entries.push({
            ...base(stage, attempt, new Date(result.finishedAt)),
            outcome: 'Succeeded',
            provider: result.provider,
            model: modelOf(stage, channel, episode),
            usage: result.usage,
            costUSD: result.costUSD,
          });
        else
          entries.push({
            ...base(stage, attempt, finishedAt),
            outcome: 'Failed',
            provider: providerOf(stage, channel, episode),
            model: modelOf(stage, channel, episode),
            usage: {},
            costUSD: 0,
          });
      }
      if (!entries.length) return true;
      const written = await ledger.record(entries);
      for (const entry of entries) recorded.add(attemptKey(entry));
      if (written) this.deps.log.debug({ namespace, episode: name, rows: written }, 'recorded stage attempts in the ledger');
      // Rows of free attempts change neither the spend nor the reserve (they never held one): the
      // Channel's figures and the Episodes waiting for its budget are looked at only for paid ones.
      const paid = (entry: LedgerEntry) =>
        !channel || entry.costUSD > 0 || estimateStage(entry.stage as StageName, channel.spec, episode.spec).costUSD > 0;
      if (entries.some(paid)) this.deps.onRecorded(`${namespace}/${episode.spec.channelRef.name}`);
      return true;
    } catch (error) {
      this.deps.log.warn(
        { namespace, episode: name, error: (error as Error).message },
        'cannot write the cost ledger; trying again shortly',
      );
      return false;
    }
  }

  forget(uid: string): void {
    this.recorded.delete(uid);
  }
}
