// The Spend page's figures: the gateway's spend report turned into the series its charts draw and
// the rows its tables show. Pure: no I/O, so the same functions are tested without a browser.
import type { SpendReport } from '../../src/http/schemas.ts';

/** Okabe and Ito's palette: told apart by people with any common colour-vision deficiency. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];

export interface BarSeries {
  label: string;
  data: number[];
  color: string;
}

export interface BarData {
  labels: string[];
  series: BarSeries[];
}

/** A colour per name, stable for a set of names (sorted), so a channel keeps its colour as pages change. */
export function colours(names: Iterable<string>): Map<string, string> {
  const sorted = [...new Set(names)].sort();
  return new Map(sorted.map((name, i) => [name, PALETTE[i % PALETTE.length]!]));
}

/** Cents, so that sums of many small costs do not drift (0.1 + 0.2). */
const cents = (usd: number) => Math.round(usd * 100) / 100;

/** Spend per Channel per month: the months along the axis, a bar per Channel in each. */
export function monthlyByChannel(report: SpendReport): BarData {
  const colour = colours(report.channels.map((c) => c.channel));
  return {
    labels: [...report.months],
    series: report.channels.map((c) => {
      const byMonth = new Map(c.months.map((m) => [m.month, m.actualUSD]));
      return { label: c.channel, color: colour.get(c.channel)!, data: report.months.map((month) => cents(byMonth.get(month) ?? 0)) };
    }),
  };
}

/**
 * The month's spend per stage, a stacked bar per provider: stages in pipeline order (`stageOrder`;
 * a stage it does not know goes last), only those that cost something; the Channels of the report
 * added together.
 */
export function monthByStageAndProvider(report: SpendReport, stageOrder: readonly string[]): BarData {
  const totals = new Map<string, Map<string, number>>();
  for (const row of report.byStageProvider) {
    const perProvider = totals.get(row.stage) ?? new Map<string, number>();
    perProvider.set(row.provider, (perProvider.get(row.provider) ?? 0) + row.actualUSD);
    totals.set(row.stage, perProvider);
  }
  const rank = (stage: string) => {
    const i = stageOrder.indexOf(stage);
    return i < 0 ? stageOrder.length : i;
  };
  const stages = [...totals.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const providers = [...new Set(report.byStageProvider.map((row) => row.provider))].sort();
  const colour = colours(providers);
  return {
    labels: stages,
    series: providers.map((provider) => ({
      label: provider,
      color: colour.get(provider)!,
      data: stages.map((stage) => cents(totals.get(stage)?.get(provider) ?? 0)),
    })),
  };
}

export interface ChannelMonthRow {
  channel: string;
  /** The Channel still exists (the ledger keeps the spend of deleted ones). */
  exists: boolean;
  costUSD: number;
  /** Estimates held now by its paid stages still running. */
  reservedUSD: number;
  limitUSD?: number;
  /** Spend over the limit, 0..; undefined without a limit. */
  share?: number;
}

/** Each Channel's spend in the report's month, against its limit. */
export function channelsInMonth(report: SpendReport): ChannelMonthRow[] {
  return report.channels.map((c) => {
    const costUSD = cents(c.actualUSD);
    return {
      channel: c.channel,
      exists: c.exists,
      costUSD,
      reservedUSD: cents(c.reservedUSD),
      limitUSD: c.limitUSD,
      share: c.limitUSD === undefined ? undefined : c.limitUSD > 0 ? costUSD / c.limitUSD : costUSD > 0 ? Infinity : 0,
    };
  });
}
