// `kubectl acog schedule CHANNEL`: the next times a Channel's schedule makes an Episode, each with
// the topic it would take and the Episode's name, computed by @acog/api as the operator computes them.
import { Option } from 'commander';
import { stringify } from 'yaml';
import { upcomingRuns, type Channel, type ScheduleOverview } from '@acog/api';
import { table } from '../../output/format.ts';
import { CommandError } from '../../kube/errors.ts';
import type { CommandIO, RegisterCommand } from '../types.ts';
import { getObject } from './common.ts';

interface ScheduleOptions {
  output?: 'json' | 'yaml';
  count: number;
}

function count(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > 100)
    throw new CommandError(`--count must be a whole number from 1 to 100, not ${JSON.stringify(value)}`);
  return number;
}

/** "2027-01-04 09:00 GMT+1": a time as the Channel's zone reads it. */
function local(time: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      timeZoneName: 'short',
    })
      .formatToParts(time)
      .map((part) => [part.type, part.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${parts.timeZoneName}`;
}

/** "in 3h", "in 2d": how far off a time is. */
function inTime(time: Date, now: Date): string {
  const minutes = Math.max(0, Math.round((time.getTime() - now.getTime()) / 60_000));
  if (minutes < 60) return `in ${minutes}m`;
  if (minutes < 48 * 60) return `in ${Math.floor(minutes / 60)}h`;
  return `in ${Math.floor(minutes / 1440)}d`;
}

/** The overview as -o json|yaml print it: times as RFC 3339. */
function document(channel: Channel, overview: ScheduleOverview) {
  return {
    channel: channel.metadata.name,
    namespace: channel.metadata.namespace,
    ...overview,
    runs: overview.runs.map((run) => ({ time: run.time.toISOString(), topic: run.topic ?? null, episode: run.episode })),
  };
}

async function run(io: CommandIO, name: string, options: ScheduleOptions): Promise<void> {
  const connection = io.connection();
  if (connection.allNamespaces) throw new CommandError('schedule shows one Channel: drop -A and name its namespace with -n');
  const channel = await getObject<Channel>(connection, 'channel', name);
  const now = new Date();
  const overview = upcomingRuns(channel, now, options.count);
  if (!overview)
    throw new CommandError(
      `channel "${name}" has no schedule: add spec.schedule (cron, timezone, topics) to make Episodes on its own, e.g. kubectl -n ${connection.namespace} edit channel ${name}`,
    );
  if (options.output === 'json') return void io.stdout.write(JSON.stringify(document(channel, overview), null, 4) + '\n');
  if (options.output === 'yaml') return void io.stdout.write(stringify(document(channel, overview)));
  if (overview.suspended) {
    io.stderr.write(
      `the schedule of channel "${name}" is suspended: no Episode is made. Resume it with: kubectl -n ${connection.namespace} patch channel ${name} --type=merge -p '{"spec":{"schedule":{"suspend":false}}}'\n`,
    );
    return;
  }
  io.stdout.write(
    table(
      overview.runs,
      [
        { header: 'Time', value: (r) => local(r.time, overview.timezone) },
        { header: 'In', value: (r) => inTime(r.time, now) },
        { header: 'Topic', value: (r) => r.topic ?? '<none left: add to spec.schedule.topics>' },
        { header: 'Episode', value: (r) => r.episode },
      ],
      false,
    ),
  );
  const missing = overview.runs.filter((r) => !r.topic).length;
  if (missing)
    io.stderr.write(
      `${missing} of these times would make no Episode: every topic is used. Add topics to spec.schedule.topics of channel "${name}".\n`,
    );
}

export const registerSchedule: RegisterCommand = (program, io) => {
  program
    .command('schedule')
    .description("Show the next times a Channel's schedule makes an Episode, with the topic each would take.")
    .argument('<channel>', 'name of the Channel')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['json', 'yaml']))
    .addOption(new Option('--count <n>', 'how many times to show (1 to 100)').default(5).argParser(count))
    .addHelpText(
      'after',
      `
Times are shown in the Channel's spec.schedule.timezone. A time that does not exist that day
(daylight saving) is skipped; a time that happens twice fires once.

Examples:
  kubectl acog schedule engineering-explained
  kubectl acog schedule engineering-explained --count 10 -o yaml`,
    )
    .action((name: string, options: ScheduleOptions) => run(io, name, options));
};
