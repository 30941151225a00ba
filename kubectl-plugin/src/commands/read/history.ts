// `kubectl acog history` and `kubectl acog spend`: the archive of finished Episodes and the cost
// ledger, read from the console's gateway through the API server (the aggregated API history.acog.dev) as the user.
import { InvalidArgumentError, Option } from 'commander';
import { stringify } from 'yaml';
import { historyApiGet, historyApiList } from '../../gateway/history-api.ts';
import { age, table, type Column } from '../../output/format.ts';
import type { Connection } from '../../kube/config.ts';
import { CommandError } from '../../kube/errors.ts';
import type { CommandIO, RegisterCommand } from '../types.ts';
import { money } from './common.ts';

// The gateway's wire types (console/src/http/schemas.ts), the fields the plugin prints: an app may
// not import another app (docs/adr/0009), and the gateway's OpenAPI document is the contract.
interface ArchivedEpisodeSummary {
  uid: string;
  namespace: string;
  name: string;
  channel: string;
  phase: string;
  topic: string;
  labels: Record<string, string>;
  totalCostUSD: number;
  videoUrl?: string;
  finishedAt: string;
  inCluster: boolean;
}
interface SpendReport {
  namespace: string;
  month: string;
  months: string[];
  channels: {
    channel: string;
    limitUSD?: number;
    exists: boolean;
    months: { month: string; actualUSD: number; attempts: number }[];
    actualUSD: number;
    reservedUSD: number;
  }[];
  byStageProvider: { channel: string; stage: string; provider: string; actualUSD: number; attempts: number }[];
  totalUSD: number;
}

interface HistoryOptions {
  channel?: string;
  since?: string;
  phase?: string;
  selector?: string;
  search?: string;
  limit: number;
  output?: 'wide' | 'json' | 'yaml';
}
interface SpendOptions {
  channel?: string;
  month?: string;
  months?: number;
  output?: 'json' | 'yaml';
}

function whole(flag: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${flag} must be a whole number from ${min} to ${max}`);
    return n;
  };
}

function namespaced(io: CommandIO): Connection {
  const connection = io.connection();
  if (connection.allNamespaces) throw new CommandError('history and spend are per namespace: drop -A and pick one with -n', 2);
  return connection;
}

const HISTORY_COLUMNS: Column<ArchivedEpisodeSummary>[] = [
  { header: 'name', value: (item) => item.name },
  { header: 'channel', value: (item) => item.channel },
  { header: 'phase', value: (item) => item.phase },
  { header: 'cost', value: (item) => money(item.totalCostUSD) },
  { header: 'finished', value: (item) => age(item.finishedAt) },
  { header: 'topic', value: (item) => (item.topic.length > 60 ? `${item.topic.slice(0, 59)}…` : item.topic), wide: true },
  { header: 'video', value: (item) => item.videoUrl ?? '<none>', wide: true },
  { header: 'in-cluster', value: (item) => (item.inCluster ? 'yes' : 'no'), wide: true },
  { header: 'uid', value: (item) => item.uid, wide: true },
];

async function history(io: CommandIO, options: HistoryOptions): Promise<void> {
  const connection = namespaced(io);
  const { items, continue: token } = await historyApiList<ArchivedEpisodeSummary>(
    connection,
    'history',
    { channel: options.channel, since: options.since, phase: options.phase, labelSelector: options.selector, search: options.search },
    options.limit,
  );
  if (options.output === 'json' || options.output === 'yaml') {
    const list = { apiVersion: 'v1', kind: 'List', items, metadata: { continue: token } };
    io.stdout.write(options.output === 'json' ? JSON.stringify(list, null, 4) + '\n' : stringify(list));
    return;
  }
  if (!items.length) {
    io.stderr.write(`No archived episodes found in ${connection.namespace} namespace.\n`);
    return;
  }
  io.stdout.write(table(items, HISTORY_COLUMNS, options.output === 'wide'));
  if (token) io.stderr.write(`(the first ${items.length}; --limit shows more)\n`);
}

async function spend(io: CommandIO, options: SpendOptions): Promise<void> {
  const connection = namespaced(io);
  const query = new URLSearchParams();
  if (options.channel) query.set('channel', options.channel);
  if (options.month) query.set('month', options.month);
  if (options.months) query.set('months', String(options.months));
  const report = await historyApiGet<SpendReport>(
    connection,
    `/namespaces/${encodeURIComponent(connection.namespace)}/spend?${query.toString()}`,
  );
  if (options.output === 'json' || options.output === 'yaml') {
    io.stdout.write(options.output === 'json' ? JSON.stringify(report, null, 4) + '\n' : stringify(report));
    return;
  }
  if (!report.channels.length) {
    io.stderr.write(`No spend recorded in ${connection.namespace} namespace.\n`);
    return;
  }
  const limit = (c: SpendReport['channels'][number]) => (c.limitUSD === undefined ? '<none>' : money(c.limitUSD));
  io.stdout.write(`Spend in ${report.month}:\n`);
  io.stdout.write(
    table(
      report.channels,
      [
        { header: 'channel', value: (c) => (c.exists ? c.channel : `${c.channel} (deleted)`) },
        { header: 'spent', value: (c) => money(c.actualUSD) },
        { header: 'reserved', value: (c) => money(c.reservedUSD) },
        { header: 'limit', value: limit },
        {
          header: 'used',
          value: (c) => (c.limitUSD ? `${Math.round(((c.actualUSD + c.reservedUSD) / c.limitUSD) * 100)}%` : '<none>'),
        },
      ],
      false,
    ),
  );
  io.stdout.write(`\nPer month:\n`);
  io.stdout.write(
    table(
      report.channels,
      [
        { header: 'channel', value: (c) => c.channel },
        ...report.months.map((m) => ({
          header: m,
          value: (c: SpendReport['channels'][number]) => money(c.months.find((x) => x.month === m)?.actualUSD),
        })),
      ],
      false,
    ),
  );
  if (report.byStageProvider.length) {
    io.stdout.write(`\nPer stage and provider in ${report.month}:\n`);
    io.stdout.write(
      table(
        report.byStageProvider,
        [
          { header: 'channel', value: (r) => r.channel },
          { header: 'stage', value: (r) => r.stage },
          { header: 'provider', value: (r) => r.provider },
          { header: 'attempts', value: (r) => String(r.attempts) },
          { header: 'spent', value: (r) => money(r.actualUSD) },
        ],
        false,
      ),
    );
  }
  io.stdout.write(`\nTotal ${report.month}: ${money(report.totalUSD)}\n`);
}

export const registerHistory: RegisterCommand = (program, io) => {
  program
    .command('history')
    .description('Finished Episodes from the archive (also those the cluster no longer holds), newest first.')
    .option('--channel <name>', 'only episodes of this Channel')
    .option('--since <duration|time>', 'only episodes finished since, e.g. 30d, 12h, 2w or 2026-12-01')
    .addOption(new Option('--phase <phase>', 'only episodes that ended so').choices(['Succeeded', 'Failed', 'Cancelled']))
    .option('-l, --selector <selector>', 'label selector, e.g. tier=gold,acog.dev/origin!=pulse')
    .option('--search <text>', 'words in the name, topic or brief ("a phrase", -without)')
    .addOption(new Option('--limit <n>', 'show at most this many').default(100).argParser(whole('--limit', 1, 100_000)))
    .addOption(new Option('-o, --output <format>', 'output format').choices(['wide', 'json', 'yaml']))
    .addHelpText(
      'after',
      `
Examples:
  kubectl acog history
  kubectl acog history --channel engineering-explained --since 30d --phase Failed
  kubectl acog history -l tier=gold --search "b-tree" -o wide

It reads the console's gateway through the API server (the APIService v1alpha1.history.acog.dev)
with your own credentials, whatever your kubeconfig holds: a client certificate, a token or an exec plugin.`,
    )
    .action((options: HistoryOptions) => history(io, options));

  program
    .command('spend')
    .description('Provider spend from the cost ledger: per Channel against its budget, per month, per stage and provider.')
    .option('--channel <name>', 'only this Channel')
    .option('--month <YYYY-MM>', "the month (default: the current one in the Channel's budget timezone, else UTC)")
    .addOption(new Option('--months <n>', 'months of history per Channel').argParser(whole('--months', 1, 36)))
    .addOption(new Option('-o, --output <format>', 'output format').choices(['json', 'yaml']))
    .addHelpText(
      'after',
      `
Examples:
  kubectl acog spend
  kubectl acog spend --channel engineering-explained --month 2026-12`,
    )
    .action((options: SpendOptions) => spend(io, options));
};
