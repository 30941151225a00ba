// An Episode's cost estimate as a table: per stage (provider, model, the usage it was reckoned
// from) and in total. `create --dry-run=client` and `describe` print it.
import { formatUSD, type EpisodeEstimate, type EstimatedUsage, type StageEstimate } from '@acog/api';
import { table } from './format.ts';

const count = (value: number) => Math.round(value).toLocaleString('en-US');

function usageText(usage: EstimatedUsage): string {
  const parts: string[] = [];
  if (usage.inputTokens !== undefined || usage.outputTokens !== undefined)
    parts.push(`${count(usage.inputTokens ?? 0)} in + ${count(usage.outputTokens ?? 0)} out tokens`);
  if (usage.characters !== undefined) parts.push(`${count(usage.characters)} characters`);
  if (usage.clips !== undefined) parts.push(`${count(usage.clips)} clips`);
  if (usage.seconds !== undefined) parts.push(`${count(usage.seconds)} s`);
  return parts.join(', ') || '-';
}

/** The table, then the total line; free stages show $0.00. */
export function estimateTable(estimate: EpisodeEstimate): string {
  const rows: (StageEstimate | { total: number })[] = [...estimate.stages, { total: estimate.totalUSD }];
  const isTotal = (row: (typeof rows)[number]): row is { total: number } => 'total' in row;
  return table(
    rows,
    [
      { header: 'stage', value: (row) => (isTotal(row) ? 'total' : row.stage) },
      { header: 'provider', value: (row) => (isTotal(row) ? '' : row.provider) },
      { header: 'model', value: (row) => (isTotal(row) ? '' : (row.model ?? '-')) },
      { header: 'usage', value: (row) => (isTotal(row) ? '' : usageText(row.usage)) },
      { header: 'estimate', value: (row) => formatUSD(isTotal(row) ? row.total : row.costUSD) },
    ],
    false,
  );
}

/** The note under the table: what the figures are and what the budget does with them. */
export const ESTIMATE_NOTE = "list prices × the expected usage; the budget reserves each paid stage's estimate before it starts";
