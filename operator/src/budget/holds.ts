// Why a paid stage may not start now, in words a person can act on. Pure.
import { formatUSD, type StageEstimate } from '@acog/api';

/**
 * A stage kept from starting: by the budget gate, it waits (Pause, or the ledger is down) or fails
 * (Fail); by admission (ADR 0030), it waits for a stage slot in its namespace.
 */
export interface StageHold {
  reason: 'BudgetExceeded' | 'LedgerUnavailable' | 'WaitingForSlot';
  message: string;
  /** onExceeded Fail: the stage (and so the Episode) fails with the message instead of waiting. */
  fail: boolean;
}

export interface BudgetFigures {
  channel: string;
  month: string;
  timezone: string;
  actualUSD: number;
  reservedUSD: number;
  limitUSD: number;
  /** When the month turns in the Channel's timezone. */
  nextMonth: Date;
}

export function budgetExceeded(estimate: StageEstimate, figures: BudgetFigures, fail: boolean): StageHold {
  const sum = `month-to-date spend ${formatUSD(figures.actualUSD)} + reserve of running paid stages ${formatUSD(figures.reservedUSD)} + its estimate ${formatUSD(estimate.costUSD)}`;
  const over = `${sum} is more than the monthly limit ${formatUSD(figures.limitUSD)} of channel "${figures.channel}" (${figures.month}, ${figures.timezone})`;
  const next = fail
    ? 'onExceeded is Fail: raise spec.budget.monthlyLimitUSD and run kubectl acog retry'
    : `it starts when the month turns (${figures.nextMonth.toISOString()}) or when spec.budget.monthlyLimitUSD is raised`;
  return { reason: 'BudgetExceeded', message: `budget exceeded: ${estimate.stage} (${estimate.provider}): ${over}; ${next}`, fail };
}

export function ledgerUnavailable(stage: string, error: unknown): StageHold {
  const cause = (error as Error)?.message || String(error);
  return {
    reason: 'LedgerUnavailable',
    message: `the cost ledger (PostgreSQL) cannot be reached (${cause.slice(0, 200)}): paid stage ${stage} waits so that no budget is bypassed; free stages go on`,
    fail: false,
  };
}
