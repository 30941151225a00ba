#!/usr/bin/env node
// acog-operator: reconciles Channels and Episodes, running each stage as a Kubernetes Job.
// Every flag can also come from the environment (the chart sets the environment); a bad value
// stops the operator at once with the flag named.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { databaseUrlProblem } from '@acog/db';
import { LOG_LEVELS } from '@acog/kube/logger';
import { DEFAULT_STAGE_SLOTS } from './episode/admission.ts';
import { EPISODE_ORDERS, type EpisodeOrder } from './episode/progress.ts';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function positiveInteger(flag: string) {
  return (value: string): number => {
    const number = Number(value);
    if (!Number.isInteger(number) || number < 1)
      throw new InvalidArgumentError(`${flag} must be a whole number from 1, not ${JSON.stringify(value)}`);
    return number;
  };
}

function wholeNumber(flag: string, meaning: string) {
  return (value: string): number => {
    const number = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(number))
      throw new InvalidArgumentError(`${flag} must be a whole number from 0 (${meaning}), not ${JSON.stringify(value)}`);
    return number;
  };
}

function hostPort(value: string): { host: string; port: number } {
  const match = /^(.*):(\d+)$/.exec(value);
  const port = Number(match?.[2]);
  if (!match || port > 65535) throw new InvalidArgumentError(`expected host:port, e.g. 0.0.0.0:8080, not ${JSON.stringify(value)}`);
  return { host: match[1] || '0.0.0.0', port };
}

// A namespace's name (RFC 1123 label), as Kubernetes takes it.
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * The namespaces to watch from --namespaces (a comma-separated list) and the older --namespace
 * (one; also a list): their union, in the order given, or undefined for every namespace when
 * neither is set. A value that names no namespace, or a name that cannot be one, is an error: the
 * operator would otherwise watch everything, or nothing, where its Roles are not.
 */
export function watchNamespaces(flags: { namespaces?: string; namespace?: string }): string[] | undefined {
  const given = [
    ['--namespaces (or ACOG_WATCH_NAMESPACES)', flags.namespaces],
    ['--namespace (or ACOG_WATCH_NAMESPACE)', flags.namespace],
  ].filter((entry): entry is [string, string] => entry[1] !== undefined);
  if (!given.length) return undefined;
  const namespaces: string[] = [];
  for (const [flag, value] of given) {
    const names = value
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean);
    if (!names.length)
      throw new InvalidArgumentError(
        `${flag} names no namespace (${JSON.stringify(value)}): give one or more, comma-separated (e.g. studio,shorts), or leave it out to watch every namespace`,
      );
    for (const name of names) {
      if (!NAMESPACE.test(name)) throw new InvalidArgumentError(`${flag}: ${JSON.stringify(name)} is not a namespace name`);
      if (!namespaces.includes(name)) namespaces.push(name);
    }
  }
  return namespaces;
}

function url(flag: string, schemes: string[]) {
  return (value: string): string => {
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      throw new InvalidArgumentError(`${flag} must be a URL, not ${JSON.stringify(value)}`);
    }
    if (!schemes.includes(parsed.protocol.replace(/:$/, '')))
      throw new InvalidArgumentError(`${flag} must be a ${schemes.join(' or ')} URL, not ${JSON.stringify(value)}`);
    return value;
  };
}

export function buildCommand(): Command {
  return new Command('acog-operator')
    .description('Reconciles ACOG Channels and Episodes: each pipeline stage runs as a Kubernetes Job.')
    .version(VERSION, '--version', 'print the version and exit')
    .helpOption('-h, --help', 'show this help')
    .addOption(new Option('--kubeconfig <path>', 'kubeconfig to use (default: in-cluster, else ~/.kube/config)').env('KUBECONFIG'))
    .addOption(
      new Option('--namespaces <list>', 'watch only these namespaces, comma-separated, e.g. studio,shorts (default: all)').env(
        'ACOG_WATCH_NAMESPACES',
      ),
    )
    .addOption(new Option('--namespace <namespace>', 'watch this namespace only (older form of --namespaces)').env('ACOG_WATCH_NAMESPACE'))
    .addOption(
      new Option('--runner-config <file>', 'YAML file with the runner image, resources per stage and scheduling (required)').env(
        'ACOG_RUNNER_CONFIG',
      ),
    )
    .addOption(
      new Option('--nats-url <url>', 'NATS server with JetStream for stage events (required)')
        .env('ACOG_NATS_URL')
        .argParser(url('--nats-url', ['nats', 'tls'])),
    )
    .addOption(
      new Option(
        '--database-url <url>',
        'PostgreSQL for the cost ledger and budgets, postgres://USER:PASSWORD@HOST:5432/DB (required; prefer the environment variable: a flag shows in the process list)',
      ).env('ACOG_DATABASE_URL'),
    )
    .addOption(
      new Option('--s3-endpoint <url>', 'S3 endpoint (default: AWS); credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY')
        .env('ACOG_S3_ENDPOINT')
        .argParser(url('--s3-endpoint', ['http', 'https'])),
    )
    .addOption(
      new Option('--http-address <host:port>', 'where /metrics, /healthz and /readyz listen')
        .env('ACOG_HTTP_ADDRESS')
        .default('0.0.0.0:8080')
        .argParser(hostPort),
    )
    .addOption(new Option('--no-leader-elect', 'reconcile at once without a lease (a single replica only)'))
    .addOption(new Option('--lease-name <name>', 'name of the leader-election Lease').env('ACOG_LEASE_NAME').default('acog-operator'))
    .addOption(new Option('--lease-namespace <namespace>', "namespace of the Lease (default: the pod's)").env('POD_NAMESPACE'))
    .addOption(new Option('--identity <name>', "this replica's name in the Lease (default: the pod's)").env('POD_NAME'))
    .addOption(
      new Option('--lease-duration <seconds>', 'how long a lease holds without renewal')
        .env('ACOG_LEASE_DURATION_SECONDS')
        .default(15)
        .argParser(positiveInteger('--lease-duration')),
    )
    .addOption(
      new Option('--workers <n>', 'episodes reconciled at once').env('ACOG_WORKERS').default(8).argParser(positiveInteger('--workers')),
    )
    .addOption(
      new Option(
        '--episode-order <order>',
        'which waiting Episode is reconciled first: progress (the one furthest along its stages, so that Episodes finish one after another) or arrival (first come, first served, so that all advance together)',
      )
        .env('ACOG_EPISODE_ORDER')
        .default('progress')
        .choices(EPISODE_ORDERS),
    )
    .addOption(
      new Option(
        '--stage-slots <n>',
        'stage Jobs running at once per namespace; an Episode whose next stage is ready waits for a slot, the one furthest along first (0: no cap)',
      )
        .env('ACOG_STAGE_SLOTS')
        .default(DEFAULT_STAGE_SLOTS)
        .argParser(wholeNumber('--stage-slots', '0 for no cap')),
    )
    .addOption(
      new Option('--resync <seconds>', 'every object is looked at again this often')
        .env('ACOG_RESYNC_SECONDS')
        .default(300)
        .argParser(positiveInteger('--resync')),
    )
    .addOption(
      new Option(
        '--clock-file <path>',
        'read the time that Channel schedules run on from this file (an RFC 3339 time, read when it changes), e.g. to replay a schedule in a test; default: the system clock',
      ).env('ACOG_CLOCK_FILE'),
    )
    .addOption(
      new Option(
        '--archive-collect-interval <seconds>',
        "archived episodes past their Channel's archive.retentionDays are deleted this often",
      )
        .env('ACOG_ARCHIVE_COLLECT_INTERVAL_SECONDS')
        .default(3600)
        .argParser(positiveInteger('--archive-collect-interval')),
    )
    .addOption(new Option('--log-level <level>', 'log level').env('ACOG_LOG_LEVEL').default('info').choices(LOG_LEVELS));
}

interface Flags {
  kubeconfig?: string;
  namespaces?: string;
  namespace?: string;
  runnerConfig?: string;
  natsUrl?: string;
  databaseUrl?: string;
  s3Endpoint?: string;
  httpAddress: { host: string; port: number } | string;
  leaderElect: boolean;
  leaseName: string;
  leaseNamespace?: string;
  identity?: string;
  leaseDuration: number;
  workers: number;
  episodeOrder: EpisodeOrder;
  stageSlots: number;
  resync: number;
  clockFile?: string;
  archiveCollectInterval: number;
  logLevel: (typeof LOG_LEVELS)[number];
}

export async function main(argv: string[]): Promise<void> {
  const command = buildCommand();
  command.parse(argv);
  const flags = command.opts<Flags>();
  // commander leaves a default un-parsed; an environment value is parsed.
  const http = typeof flags.httpAddress === 'string' ? hostPort(flags.httpAddress) : flags.httpAddress;
  const envLeaderElect = process.env.ACOG_LEADER_ELECT;
  if (envLeaderElect && !['true', 'false'].includes(envLeaderElect))
    command.error(`error: ACOG_LEADER_ELECT must be true or false, not ${JSON.stringify(envLeaderElect)}`);
  const leaderElect = flags.leaderElect && envLeaderElect !== 'false';
  let namespaces: string[] | undefined;
  try {
    namespaces = watchNamespaces(flags);
  } catch (error) {
    return command.error(`error: ${(error as Error).message}`);
  }
  if (!flags.runnerConfig)
    return command.error('error: --runner-config (or ACOG_RUNNER_CONFIG) is required: the YAML file that says which image runs the stages');
  if (!flags.natsUrl) return command.error('error: --nats-url (or ACOG_NATS_URL) is required, e.g. nats://acog-nats:4222');
  const identity = flags.identity ?? hostname();
  if (leaderElect && !flags.leaseNamespace)
    command.error('error: leader election needs --lease-namespace (or POD_NAMESPACE); or pass --no-leader-elect for a single replica');
  if (!flags.databaseUrl)
    return command.error(
      'error: --database-url (or ACOG_DATABASE_URL) is required: the PostgreSQL that holds the cost ledger and budgets, e.g. postgres://acog:PASSWORD@acog-postgresql:5432/acog',
    );
  const databaseProblem = databaseUrlProblem(flags.databaseUrl);
  if (databaseProblem) return command.error(`error: --database-url (or ACOG_DATABASE_URL) ${databaseProblem}`);

  // The heavy modules load only once the flags are good: --help and a bad flag answer at once.
  const [
    { KubeConfig },
    { S3ArtifactStore, s3OptionsFromEnv },
    { loadRunnerConfig },
    { createLogger },
    { startOperator },
    { openDatabase },
    { fileClock },
  ] = await Promise.all([
    import('@kubernetes/client-node'),
    import('@acog/store/s3'),
    import('./config/runner-config.ts'),
    import('@acog/kube/logger'),
    import('./operator.ts'),
    import('@acog/db'),
    import('./schedule/clock.ts'),
  ]);
  const log = createLogger(flags.logLevel);
  let clock;
  if (flags.clockFile) {
    try {
      clock = fileClock(flags.clockFile, (error) =>
        log.error({ clockFile: flags.clockFile }, `${error.message}; keeping the last time read`),
      );
    } catch (error) {
      return command.error(`error: --clock-file: ${(error as Error).message}`);
    }
  }
  let runner;
  try {
    runner = await loadRunnerConfig(flags.runnerConfig);
  } catch (error) {
    return command.error(`error: ${(error as Error).message}`);
  }
  const kubeConfig = new KubeConfig();
  if (flags.kubeconfig) kubeConfig.loadFromFile(flags.kubeconfig);
  else kubeConfig.loadFromDefault();
  const store = new S3ArtifactStore({
    ...s3OptionsFromEnv(),
    ...(flags.s3Endpoint && { endpoint: flags.s3Endpoint, forcePathStyle: true }),
  });
  const leaseMs = flags.leaseDuration * 1000;
  const database = openDatabase({
    url: flags.databaseUrl,
    onIdleError: (error) => log.warn({ error: error.message }, 'a database connection broke; it is replaced on the next query'),
  });

  const operator = await startOperator({
    kubeConfig,
    namespaces,
    runner,
    natsUrl: flags.natsUrl,
    store,
    database,
    http,
    leaderElection: leaderElect
      ? {
          namespace: flags.leaseNamespace!,
          name: flags.leaseName,
          identity,
          leaseDurationMs: leaseMs,
          renewDeadlineMs: Math.round(leaseMs * (2 / 3)),
          retryPeriodMs: Math.max(500, Math.round(leaseMs / 7.5)),
        }
      : undefined,
    workers: flags.workers,
    episodeOrder: flags.episodeOrder,
    stageSlots: flags.stageSlots,
    resyncMs: flags.resync * 1000,
    archive: { retentionIntervalMs: flags.archiveCollectInterval * 1000 },
    log,
    clock,
    onLostLeadership: () => {
      log.error('lost the leader lease; exiting so that a fresh replica takes over');
      process.exit(1);
    },
  });
  log.info({ version: VERSION, identity, leaderElection: leaderElect, namespaces: namespaces ?? '(all)' }, 'acog-operator started');
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log.info({ signal }, 'stopping');
      void operator
        .stop()
        .then(() => database.close())
        .then(() => process.exit(0));
    });
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/operator/src/main.ts')) {
  main(process.argv).catch((error: unknown) => {
    console.error(`acog-operator: ${(error as Error).message}`);
    process.exit(1);
  });
}
