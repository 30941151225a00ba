// kubectl acog create: Channels and Episodes from manifests (-f), or an Episode from flags.
// Everything is checked with the generated validators before anything is sent, then created
// with strict field validation, as kubectl create does.
import { isConflict } from '@acog/kube';
import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  API_VERSION,
  CHANNELS,
  EPISODES,
  estimateEpisode,
  GROUP,
  overrideProblems,
  VERSION,
  validateEpisode,
  type Channel,
  type Episode,
} from '@acog/api';
import { CommandError, explainApiError } from '../../kube/errors.ts';
import { loadManifests, ManifestError } from '../../manifests/load.ts';
import { ESTIMATE_NOTE, estimateTable } from '../../output/estimate.ts';
import { serialise } from '../../output/format.ts';
import { collect } from '../render.ts';
import type { CommandIO, RegisterCommand } from '../types.ts';
import {
  dryRunOption,
  dryRunParam,
  dryRunSuffix,
  FIELD_MANAGER,
  findChannel,
  resourceRef,
  target,
  type DryRun,
  type Target,
} from './common.ts';

type CreateOutput = 'yaml' | 'json' | 'name';

interface CreateOptions {
  filename?: string[];
  output?: CreateOutput;
  dryRun: DryRun;
  namespace?: string;
}

interface EpisodeFlags extends CreateOptions {
  channel: string;
  topic: string;
  name?: string;
  generateName?: boolean;
  brief?: string;
  point?: string[];
  reference?: string[];
  gate?: string[];
  skip?: string[];
  duration?: number;
  publishAt?: string;
  privacy?: 'public' | 'unlisted' | 'private';
  playlist?: string[];
  suspend?: boolean;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Repeatable, and each value may hold a comma-separated list: --gate voice,upload --gate plan. */
function collectList(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean),
  ];
}

function seconds(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError('must be a whole number of seconds');
  return number;
}

/** The Episode the flags describe: exactly the fields asked for, nothing defaulted. */
export function episodeFromFlags(flags: EpisodeFlags, name: string | undefined, namespace: string | undefined): Episode {
  const spec: Record<string, unknown> = { channelRef: { name: flags.channel }, topic: flags.topic };
  if (flags.brief !== undefined) spec.brief = flags.brief;
  if (flags.point?.length) spec.keyPoints = flags.point;
  if (flags.reference?.length) spec.references = flags.reference.map((url) => ({ url }));
  const overrides: Record<string, unknown> = {};
  if (flags.duration !== undefined) overrides.targetDurationSeconds = flags.duration;
  if (flags.skip?.length) overrides.skipStages = flags.skip;
  if (Object.keys(overrides).length) spec.overrides = overrides;
  if (flags.gate?.length) spec.approvalGates = flags.gate;
  const publish: Record<string, unknown> = {};
  // A scheduled release is a public one (the CRD insists); --privacy still wins when given.
  const privacy = flags.privacy ?? (flags.publishAt !== undefined ? 'public' : undefined);
  if (privacy) publish.privacy = privacy;
  if (flags.publishAt !== undefined) publish.at = flags.publishAt;
  if (flags.playlist?.length) publish.playlistIds = flags.playlist;
  if (Object.keys(publish).length) spec.publish = publish;
  if (flags.suspend) spec.suspend = true;
  const metadata: Record<string, string> = name ? { name } : { generateName: `${flags.channel.slice(0, 57)}-` };
  if (namespace) metadata.namespace = namespace;
  return { apiVersion: API_VERSION, kind: EPISODES.kind, metadata, spec } as unknown as Episode;
}

/** Field errors of an object built from flags; empty when valid. */
function problemsOf(episode: Episode): string[] {
  const problems: string[] = [];
  const name = episode.metadata.name;
  if (name !== undefined && (name.length > 253 || !DNS_SUBDOMAIN.test(name))) {
    problems.push(
      `metadata.name: Invalid value: ${JSON.stringify(name)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
    );
  }
  const result = validateEpisode(episode);
  problems.push(...result.errors.map((error) => `${error.field}: ${error.message}`));
  if (result.rulesNotChecked) problems.push(result.rulesNotChecked);
  return problems;
}

function displayName(object: Channel | Episode): string {
  return object.metadata.name ?? `${object.metadata.generateName ?? ''}<generated>`;
}

function print(io: CommandIO, objects: (Channel | Episode)[], output: CreateOutput | undefined, dryRun: DryRun): void {
  if (output === 'json' || output === 'yaml') {
    if (objects.length) io.stdout.write(serialise(objects, output, objects.length === 1));
    return;
  }
  for (const object of objects) {
    const ref = resourceRef(object.kind as 'Channel' | 'Episode', displayName(object));
    io.stdout.write(output === 'name' ? `${ref}\n` : `${ref} created${dryRunSuffix(dryRun)}\n`);
  }
}

async function send(t: Target, object: Channel | Episode, dryRun: DryRun): Promise<Channel | Episode> {
  const kind = object.kind === CHANNELS.kind ? CHANNELS : EPISODES;
  const what = `${kind.singular} "${displayName(object)}" in namespace "${t.namespace}"`;
  try {
    return (await t.api.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: t.namespace,
      plural: kind.plural,
      body: object,
      dryRun: dryRunParam(dryRun),
      fieldManager: FIELD_MANAGER,
      fieldValidation: 'Strict',
    })) as Channel | Episode;
  } catch (error) {
    if (isConflict(error)) {
      throw new CommandError(
        `${what} already exists: change metadata.name, or see it with kubectl acog get ${kind.plural} ${object.metadata.name}`,
      );
    }
    throw explainApiError(error, what, t.server);
  }
}

/** An Episode whose overrides name a Secret or server its Channel does not allow is not sent (docs/adr/0010). */
function checkOverrides(episode: Episode, channel: Channel): void {
  const problems = overrideProblems(channel.spec, episode.spec);
  if (!problems.length) return;
  throw new CommandError(
    `${EPISODES.singular} "${displayName(episode)}" was not sent: its overrides name what channel ${channel.metadata.name} does not allow:\n${problems
      .map((problem) => `  ${problem.field}: ${problem.message}`)
      .join('\n')}`,
  );
}

/**
 * Under a client dry run's own output (not -o yaml|json|name, which stay machine-readable), each
 * Episode's cost estimate: from its Channel in the files, else the cluster's; when neither can be
 * read, the reason instead.
 */
async function printEstimates(
  io: CommandIO,
  episodes: Episode[],
  channelOf: (episode: Episode) => Promise<Channel | undefined>,
): Promise<void> {
  for (const episode of episodes) {
    const what = `${resourceRef('Episode', displayName(episode))}`;
    let channel: Channel | undefined;
    let problem: string | undefined;
    try {
      channel = await channelOf(episode);
      if (!channel) problem = `channel ${episode.spec.channelRef.name} is neither in the files nor in the cluster`;
    } catch (error) {
      problem = `channel ${episode.spec.channelRef.name} cannot be read: ${(error as Error).message}`;
    }
    if (!channel) {
      io.stdout.write(`estimate of ${what}: unknown (${problem})\n`);
      continue;
    }
    io.stdout.write(`estimate of ${what} (${ESTIMATE_NOTE}):\n`);
    for (const line of estimateTable(estimateEpisode(channel.spec, episode.spec)).trimEnd().split('\n')) io.stdout.write(`  ${line}\n`);
  }
}

function channelMissing(name: string, namespace: string): CommandError {
  return new CommandError(`channel ${name} not found in namespace ${namespace}: kubectl acog get channels`);
}

async function createEpisodeFromFlags(
  io: CommandIO,
  nameArgument: string | undefined,
  flags: EpisodeFlags,
  command: Command,
): Promise<void> {
  if (nameArgument && flags.name && nameArgument !== flags.name) {
    command.error(`error: the name is given twice (${nameArgument} and --name ${flags.name}); give it once`, { exitCode: 2 });
  }
  const name = nameArgument ?? flags.name;
  if (name && flags.generateName) command.error('error: give either a name or --generate-name, not both', { exitCode: 2 });
  if (!name && !flags.generateName)
    command.error('error: an Episode needs a name: pass NAME (or --name NAME), or --generate-name', { exitCode: 2 });

  const episode = episodeFromFlags(flags, name, flags.namespace);
  const problems = problemsOf(episode);
  if (problems.length) {
    throw new CommandError(`the Episode is invalid, nothing was sent:\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
  }
  if (flags.dryRun === 'client') {
    print(io, [episode], flags.output, 'client');
    if (!flags.output) await printEstimates(io, [episode], () => findChannel(target(io), flags.channel));
    return;
  }
  const t = target(io);
  if (!(await findChannel(t, flags.channel))) throw channelMissing(flags.channel, t.namespace);
  const created = await send(t, episode, flags.dryRun);
  print(io, [created], flags.output, flags.dryRun);
}

async function createFromFiles(io: CommandIO, options: CreateOptions): Promise<void> {
  let loaded;
  try {
    loaded = await loadManifests(options.filename ?? []);
  } catch (error) {
    if (error instanceof ManifestError) throw new CommandError(`${error.message}\nnothing was sent`);
    throw error;
  }
  // What is sent is what the files say: the API server applies the defaults (kubectl create does the same).
  const objects: (Channel | Episode)[] = [...loaded.asWritten.channels, ...loaded.asWritten.episodes];
  if (!objects.length) throw new CommandError(`no Channel or Episode in ${(options.filename ?? []).join(', ')}`);
  const channelInFiles = (episode: Episode) =>
    loaded.asWritten.channels.find(
      (channel) =>
        channel.metadata.name === episode.spec.channelRef.name && (channel.metadata.namespace ?? '') === (episode.metadata.namespace ?? ''),
    );
  if (options.dryRun === 'client') {
    for (const episode of loaded.asWritten.episodes) {
      const channel = channelInFiles(episode);
      if (channel) checkOverrides(episode, channel);
    }
    print(io, objects, options.output, 'client');
    if (!options.output) {
      const base = target(io);
      await printEstimates(
        io,
        loaded.asWritten.episodes,
        async (episode) =>
          channelInFiles(episode) ??
          (await findChannel({ ...base, namespace: episode.metadata.namespace ?? base.namespace }, episode.spec.channelRef.name)),
      );
    }
    return;
  }
  const base = target(io);
  const namespaceOf = (object: Channel | Episode) => object.metadata.namespace ?? base.namespace;
  if (options.namespace) {
    const other = objects.find((object) => object.metadata.namespace && object.metadata.namespace !== options.namespace);
    if (other) {
      throw new CommandError(
        `the namespace of ${resourceRef(other.kind as 'Channel', displayName(other))} (${other.metadata.namespace}) does not match -n ${options.namespace}: pass -n ${other.metadata.namespace}, or remove metadata.namespace from the file`,
      );
    }
  }
  const created: (Channel | Episode)[] = [];
  const failures: string[] = [];
  const channelsHere = new Map(loaded.asWritten.channels.map((channel) => [`${namespaceOf(channel)}/${channel.metadata.name}`, channel]));
  for (const object of objects) {
    const t: Target = { ...base, namespace: namespaceOf(object) };
    try {
      if (object.kind === EPISODES.kind) {
        const name = (object as Episode).spec.channelRef.name;
        const channel = channelsHere.get(`${t.namespace}/${name}`) ?? (await findChannel(t, name));
        if (!channel) throw channelMissing(name, t.namespace);
        checkOverrides(object as Episode, channel);
      }
      const result = await send(t, object, options.dryRun);
      created.push(result);
      if (!options.output || options.output === 'name') print(io, [result], options.output, options.dryRun);
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      failures.push(error.message);
    }
  }
  if (options.output === 'json' || options.output === 'yaml') print(io, created, options.output, options.dryRun);
  if (failures.length) throw new CommandError(failures.join('\nerror: '));
}

export const registerCreate: RegisterCommand = (program, io) => {
  const create = program
    .command('create')
    .description('Create Channels and Episodes from manifests (-f), or an Episode from flags (create episode).')
    .option('-f, --filename <path>', 'Channel and Episode manifests: files, folders or - (repeatable)', collect)
    .addOption(new Option('-o, --output <format>', 'print the created objects: yaml, json or name').choices(['yaml', 'json', 'name']))
    .addOption(dryRunOption())
    .addHelpText(
      'after',
      `
Examples:
  kubectl acog create -f examples/
  kubectl acog create episode how-caches-work --channel engineering-explained --topic "How caches work" --gate voice
  kubectl acog create episode --generate-name --channel engineering-explained --topic "Queues" --dry-run=client -o yaml`,
    )
    .action(async (options: CreateOptions, command: Command) => {
      if (!options.filename?.length) command.error('error: pass -f FILE (manifests), or use create episode (see --help)', { exitCode: 2 });
      await createFromFiles(io, { ...options, namespace: command.optsWithGlobals<{ namespace?: string }>().namespace });
    });

  create
    .command('episode')
    .description('Create an Episode of a Channel from flags.')
    .argument('[name]', 'the Episode name (or --name, or --generate-name)')
    .requiredOption('--channel <name>', 'the Channel in the namespace the episode belongs to')
    .requiredOption('--topic <text>', 'what the episode is about, in a line')
    .option('--name <name>', 'the Episode name')
    .option('--generate-name', 'let the API server pick a name starting with the channel name')
    .option('--brief <text>', 'angle, structure, anything the writers must know')
    .option('--point <text>', 'a point the script must make (repeatable, in order)', collect)
    .option('--reference <url>', 'a source the writers draw on (repeatable)', collect)
    .option('--gate <stage>', 'an approval gate before this stage (repeatable or comma-separated)', collectList)
    .option('--skip <stage>', 'a stage not to run (repeatable or comma-separated)', collectList)
    .option('--duration <seconds>', "target length, instead of the Channel's", seconds)
    .option('--publish-at <time>', 'RFC 3339 time of the public release (implies --privacy public)')
    .addOption(new Option('--privacy <visibility>', 'visibility once published').choices(['public', 'unlisted', 'private']))
    .option('--playlist <id>', 'a YouTube playlist to add the video to (repeatable)', collect)
    .option('--suspend', 'create it paused; kubectl acog resume starts it')
    .addHelpText('after', '\nAlso -o yaml|json|name and --dry-run=client|server, as for create (kubectl acog create --help).')
    .action(async (name: string | undefined, _flags: EpisodeFlags, command: Command) => {
      const flags = command.optsWithGlobals<EpisodeFlags>();
      if (flags.filename?.length)
        command.error('error: create episode takes flags, not -f; for manifests use kubectl acog create -f', { exitCode: 2 });
      await createEpisodeFromFlags(io, name, flags, command);
    });
};
