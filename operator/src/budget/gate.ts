// The budget gate: before a paid stage starts, it reserves its estimate in the ledger, atomically
// against month-to-date spend and the reserve of the Channel's running paid stages. A stage that
// does not fit, or whose reservation cannot be taken because PostgreSQL is down, is held.
import { budgetMonth, estimateStage, nextMonthStart, type Channel, type Episode, type EpisodeStatus, type StageName } from '@acog/api';
import type { Logger } from '@acog/kube';
import type { StageStart } from '../episode/planner.ts';
import type { LedgerConnection } from './connection.ts';
import { budgetExceeded, ledgerUnavailable, type StageHold } from './holds.ts';
import { safeTimezone } from './timezone.ts';

/** How soon a stage held because the ledger is down is looked at again. */
export const LEDGER_RETRY_MS = 5_000;

/**
 * The longest wait before a held stage is looked at again: the month's turn may be weeks away
 * (beyond what a timer holds), and a look costs one query.
 */
export const MAX_BUDGET_WAIT_MS = 60 * 60_000;

/** How long until `next`, at least a second and at most MAX_BUDGET_WAIT_MS. */
export function waitUntil(next: Date, now: Date): number {
  return Math.min(MAX_BUDGET_WAIT_MS, Math.max(1_000, next.getTime() - now.getTime()));
}

export interface GateDecision {
  holds: Partial<Record<StageName, StageHold>>;
  requeueAfterMs?: number;
}

export class BudgetGate {
  private readonly connection: LedgerConnection;
  private readonly log: Logger;
  /** Episodes waiting for budget, by Channel key: looked at again when the Channel's spend drops. */
  private readonly waiting = new Map<string, Set<string>>();

  constructor(connection: LedgerConnection, log: Logger) {
    this.connection = connection;
    this.log = log;
  }

  /**
   * The holds for the stages a plan would start. Free stages are never held; a stage that runs
   * already (its Job is only made again) holds its reservation from when it started.
   */
  async decide(
    episode: Episode,
    channel: Channel,
    starts: readonly StageStart[],
    observed: EpisodeStatus,
    now: Date,
  ): Promise<GateDecision> {
    const holds: GateDecision['holds'] = {};
    let requeueAfterMs: number | undefined;
    const { namespace, name, uid } = episode.metadata as { namespace: string; name: string; uid: string };
    const channelName = channel.metadata.name!;
    const timezone = safeTimezone(channel.spec);
    const month = budgetMonth(now, timezone);
    const limit = channel.spec.budget?.monthlyLimitUSD ?? null;
    let unavailable: unknown;
    for (const start of starts) {
      const running = observed.stages?.find((entry) => entry.name === start.stage);
      if (running?.phase === 'Running' && running.attempt === start.attempt) continue;
      const estimate = estimateStage(start.stage, channel.spec, episode.spec);
      if (estimate.costUSD <= 0) continue;
      if (unavailable === undefined) {
        try {
          const decision = await this.connection.get().reserve({
            namespace,
            channel: channelName,
            episode: name,
            episodeUid: uid,
            stage: start.stage,
            attempt: start.attempt,
            month,
            estimateUSD: estimate.costUSD,
            limitUSD: limit,
          });
          if (decision.granted) continue;
          const nextMonth = nextMonthStart(now, timezone);
          const fail = channel.spec.budget?.onExceeded === 'Fail';
          holds[start.stage] = budgetExceeded(
            estimate,
            {
              channel: channelName,
              month,
              timezone,
              actualUSD: decision.actualUSD,
              reservedUSD: decision.reservedUSD,
              limitUSD: limit ?? 0,
              nextMonth,
            },
            fail,
          );
          if (!fail) {
            requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, waitUntil(nextMonth, now));
            this.wait(`${namespace}/${channelName}`, `${namespace}/${name}`);
          }
          continue;
        } catch (error) {
          unavailable = error;
          this.log.warn(
            { namespace, episode: name, stage: start.stage, error: (error as Error).message },
            'cannot reserve budget; the paid stage waits',
          );
        }
      }
      holds[start.stage] = ledgerUnavailable(start.stage, unavailable);
      requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, LEDGER_RETRY_MS);
    }
    return { holds, requeueAfterMs };
  }

  /** The Episodes waiting for a Channel's budget, forgotten: the caller looks at them again. */
  takeWaiting(channelKey: string): string[] {
    const keys = this.waiting.get(channelKey);
    this.waiting.delete(channelKey);
    return keys ? [...keys] : [];
  }

  private wait(channelKey: string, episodeKey: string): void {
    let keys = this.waiting.get(channelKey);
    if (!keys) this.waiting.set(channelKey, (keys = new Set()));
    keys.add(episodeKey);
  }
}
