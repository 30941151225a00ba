// The table columns of `get`, as kubectl's printer columns (crds/*.yaml) plus a progress bar.
import type { Channel, Episode } from '@acog/api';
import { age, type Column } from '../../output/format.ts';
import { duration, money, progressBar, stageProgress, type AcogObject, type Kind } from './common.ts';

const none = '<none>';

function readyCondition(channel: Channel) {
  return channel.status?.conditions?.find((condition) => condition.type === 'Ready');
}

/** Attempts made over all stages: 9 for a clean run of nine stages, more after retries. */
function attempts(episode: Episode): string {
  const stages = episode.status?.stages ?? [];
  if (!stages.some((stage) => stage.attempt)) return '0';
  return String(stages.reduce((sum, stage) => sum + (stage.attempt ?? 0), 0));
}

export const EPISODE_COLUMNS: Column<Episode>[] = [
  { header: 'name', value: (e) => e.metadata.name ?? '' },
  { header: 'channel', value: (e) => e.spec.channelRef.name },
  { header: 'phase', value: (e) => e.status?.phase ?? none },
  { header: 'stage', value: (e) => e.status?.currentStage || none },
  { header: 'progress', value: (e) => progressBar(stageProgress(e.status)) },
  { header: 'cost', value: (e) => money(e.status?.totalCostUSD) },
  { header: 'attempts', value: attempts, wide: true },
  { header: 'video', value: (e) => e.status?.youtube?.url ?? e.status?.artifacts?.video ?? none, wide: true },
  { header: 'message', value: (e) => e.status?.message ?? '', wide: true },
  { header: 'age', value: (e) => age(e.metadata.creationTimestamp) },
];

export const CHANNEL_COLUMNS: Column<Channel>[] = [
  { header: 'name', value: (c) => c.metadata.name ?? '' },
  { header: 'ready', value: (c) => readyCondition(c)?.status ?? 'Unknown' },
  { header: 'reason', value: (c) => readyCondition(c)?.reason ?? none, wide: true },
  { header: 'format', value: (c) => c.spec.format.aspectRatio },
  { header: 'duration', value: (c) => duration(c.spec.format.targetDurationSeconds) },
  { header: 'episodes', value: (c) => String(c.status?.episodes?.total ?? 0) },
  {
    header: 'spend/budget',
    value: (c) => `${money(c.status?.spend?.actualUSD)}/${c.spec.budget ? money(c.spec.budget.monthlyLimitUSD) : 'unlimited'}`,
  },
  { header: 'running', value: (c) => String(c.status?.episodes?.running ?? 0), wide: true },
  { header: 'awaiting', value: (c) => String(c.status?.episodes?.awaitingApproval ?? 0), wide: true },
  { header: 'failed', value: (c) => String(c.status?.episodes?.failed ?? 0), wide: true },
  { header: 'age', value: (c) => age(c.metadata.creationTimestamp) },
];

const NAMESPACE_COLUMN: Column<AcogObject> = { header: 'namespace', value: (o) => o.metadata.namespace ?? '' };

/** The columns for a kind, with NAMESPACE first across all namespaces. */
export function columnsFor(kind: Kind, allNamespaces: boolean): Column<AcogObject>[] {
  const columns = (kind === 'episode' ? EPISODE_COLUMNS : CHANNEL_COLUMNS) as Column<AcogObject>[];
  return allNamespaces ? [NAMESPACE_COLUMN, ...columns] : columns;
}

/**
 * Rows after the table's first print (get --watch): cells padded to the widths the table had,
 * widened when a value needs more, as kubectl's watch output keeps its columns.
 */
export class RowPrinter {
  private readonly widths: number[];
  private readonly columns: Column<AcogObject>[];

  constructor(columns: Column<AcogObject>[], wide: boolean, first: AcogObject[]) {
    this.columns = columns.filter((column) => wide || !column.wide);
    this.widths = this.columns.map((column) => Math.max(column.header.length, ...first.map((item) => column.value(item).length)));
  }

  row(item: AcogObject): string {
    const cells = this.columns.map((column) => column.value(item));
    cells.forEach((cell, i) => (this.widths[i] = Math.max(this.widths[i], cell.length)));
    return (
      cells
        .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(this.widths[i] + 3)))
        .join('')
        .trimEnd() + '\n'
    );
  }
}
