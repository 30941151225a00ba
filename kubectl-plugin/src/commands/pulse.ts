// `kubectl acog pulse ls` (the pulse events a namespace's Channels decided on, what they made and why
// not) and `kubectl acog pulse send` (signs a file of events as a source and delivers it to the
// gateway's POST /webhooks/pulse: for integrators trying their feed, and for the tests).
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, Option } from 'commander';
import { stringify } from 'yaml';
import {
  checkPulseEvents,
  PULSE_MAX_BODY_BYTES,
  PULSE_MAX_EVENTS,
  PULSE_SIGNATURE_HEADER,
  PULSE_SOURCE_PATTERN,
  PULSE_TIMESTAMP_HEADER,
  PulseBodyError,
  signPulseBody,
  type PulseEvent,
} from '@acog/api';
import { historyApiList } from '../gateway/history-api.ts';
import { findConsoleService, gatewayAnswer, proxyRequest } from '../gateway/proxy.ts';
import { CommandError } from '../kube/errors.ts';
import { age, table, type Column } from '../output/format.ts';
import type { CommandIO, RegisterCommand } from './types.ts';

// The gateway's wire type (console/src/http/schemas.ts PulseInboxItem), the fields the plugin prints:
// an app may not import another app (docs/adr/0009).
interface PulseInboxItem {
  source: string;
  id: string;
  title: string;
  url: string;
  score: number;
  keywords: string[];
  channel: string;
  outcome: 'created' | 'skipped';
  reason: string;
  message: string;
  episode?: string;
  decidedAt: string;
  episodeState?: { exists: boolean; phase?: string; waitingGates: string[]; cancelled: boolean };
}
interface DeliveryAnswer {
  accepted: number;
  duplicates: number;
}

/** The environment variable `pulse send` reads the source's secret from when --secret-file is absent. */
export const PULSE_SECRET_ENV = 'ACOG_PULSE_SECRET';

interface LsOptions {
  channel?: string;
  limit: number;
  output?: 'wide' | 'json' | 'yaml';
}
interface SendOptions {
  consoleService?: string;
  filename: string;
  source: string;
  secretFile?: string;
  url?: string;
  output?: 'json' | 'yaml';
}

const consoleServiceOption = () =>
  new Option(
    '--console-service <[namespace/]name>',
    'the console Service to reach through the API server (default: found by its label)',
  ).env('ACOG_CONSOLE_SERVICE');

function whole(flag: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${flag} must be a whole number from ${min} to ${max}`);
    return n;
  };
}

/** What became of the event for the Channel: the Episode and where it stands, or the reason it made none. */
function decision(item: PulseInboxItem): string {
  if (item.outcome !== 'created') return item.reason;
  const state = item.episodeState;
  if (!state?.exists) return 'Created (episode gone)';
  if (state.cancelled || state.phase === 'Cancelled') return 'Created (dismissed)';
  if (state.waitingGates.includes('plan')) return 'Created (awaiting plan approval)';
  return `Created (${state.phase ?? 'Pending'})`;
}

const LS_COLUMNS: Column<PulseInboxItem>[] = [
  { header: 'event', value: (item) => `${item.source}/${item.id}` },
  { header: 'channel', value: (item) => item.channel },
  { header: 'score', value: (item) => item.score.toFixed(2) },
  { header: 'decision', value: decision },
  { header: 'episode', value: (item) => item.episode ?? '<none>' },
  { header: 'age', value: (item) => age(item.decidedAt) },
  { header: 'title', value: (item) => (item.title.length > 60 ? `${item.title.slice(0, 59)}…` : item.title), wide: true },
  { header: 'message', value: (item) => item.message || '<none>', wide: true },
  { header: 'url', value: (item) => item.url, wide: true },
];

async function ls(io: CommandIO, options: LsOptions): Promise<void> {
  const connection = io.connection();
  if (connection.allNamespaces) throw new CommandError('pulse ls is per namespace: drop -A and pick one with -n', 2);
  const { items, continue: token } = await historyApiList<PulseInboxItem>(connection, 'pulse', { channel: options.channel }, options.limit);
  if (options.output === 'json' || options.output === 'yaml') {
    const list = { apiVersion: 'v1', kind: 'List', items, metadata: { continue: token } };
    io.stdout.write(options.output === 'json' ? JSON.stringify(list, null, 4) + '\n' : stringify(list));
    return;
  }
  if (!items.length) {
    const scope = options.channel ? `Channel ${options.channel} in ` : '';
    io.stderr.write(
      `No pulse decisions for ${scope}${connection.namespace} namespace: events appear here once a Channel with spec.pulse.enabled has judged them.\n`,
    );
    return;
  }
  io.stdout.write(table(items, LS_COLUMNS, options.output === 'wide'));
  if (token) io.stderr.write(`(the first ${items.length}; --limit shows more)\n`);
}

/**
 * The events of a file, each with the source (filled in where the file leaves it out), checked as
 * the gateway checks them; the field named as `[index].field` of the file. Pure.
 */
export function eventsOfFile(text: string, source: string, file: string): PulseEvent[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CommandError(`${file}: not JSON (${(error as Error).message})`);
  }
  const single = !Array.isArray(parsed);
  const events = single ? [parsed] : (parsed as unknown[]);
  if (!events.length) throw new CommandError(`${file}: no events (an empty array)`);
  const withSource = events.map((event, index) => {
    const at = single ? 'source' : `[${index}].source`;
    if (typeof event !== 'object' || event === null || Array.isArray(event))
      throw new CommandError(`${file}: ${single ? 'the event' : `[${index}]`} must be a JSON object`);
    const named = (event as Record<string, unknown>).source;
    if (named !== undefined && named !== source)
      throw new CommandError(`${file}: ${at}: "${String(named)}" is not the --source "${source}" whose secret signs the delivery`);
    return { ...event, source };
  });
  try {
    return checkPulseEvents(withSource, single);
  } catch (error) {
    if (error instanceof PulseBodyError) throw new CommandError(`${file}: ${error.message}`);
    throw error;
  }
}

/** The events in deliveries of at most PULSE_MAX_EVENTS events and PULSE_MAX_BODY_BYTES bytes, in order. Pure. */
export function deliveries(events: PulseEvent[]): string[] {
  const bodies: string[] = [];
  let batch: PulseEvent[] = [];
  const size = (list: PulseEvent[]) => Buffer.byteLength(JSON.stringify(list));
  for (const event of events) {
    if (size([event]) > PULSE_MAX_BODY_BYTES)
      throw new CommandError(`the event ${event.id} alone is larger than a delivery may be (${PULSE_MAX_BODY_BYTES} bytes)`);
    if (batch.length === PULSE_MAX_EVENTS || size([...batch, event]) > PULSE_MAX_BODY_BYTES) {
      bodies.push(JSON.stringify(batch));
      batch = [];
    }
    batch.push(event);
  }
  if (batch.length) bodies.push(JSON.stringify(batch));
  return bodies;
}

async function secretOf(io: CommandIO, options: SendOptions): Promise<string> {
  let secret: string | undefined;
  if (options.secretFile) {
    try {
      secret = (await readFile(options.secretFile, 'utf8')).replace(/\r?\n$/, '');
    } catch (error) {
      throw new CommandError(
        `--secret-file: cannot read ${options.secretFile} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      );
    }
    if (!secret) throw new CommandError(`--secret-file: ${options.secretFile} is empty`);
    return secret;
  }
  secret = io.env[PULSE_SECRET_ENV];
  if (!secret)
    throw new CommandError(
      `pulse send signs with the source's shared secret: pass --secret-file FILE or set ${PULSE_SECRET_ENV} (the value in the Secret that the chart's console.pulse.sources names for "${options.source}")`,
      2,
    );
  return secret;
}

/** The gateway's refusal of a delivery as a CommandError, when it is one (400, 401, 413). */
function refusal(status: number, body: string): CommandError | undefined {
  if (![400, 401, 413].includes(status)) return undefined;
  let message: string | undefined;
  try {
    message = (JSON.parse(body) as { error?: { message?: string } }).error?.message;
  } catch {
    message = undefined;
  }
  return message ? new CommandError(`the gateway refused the delivery (${status}): ${message}`) : undefined;
}

async function deliver(io: CommandIO, options: SendOptions, body: string, secret: string): Promise<DeliveryAnswer> {
  const timestamp = Math.floor((io.now?.() ?? new Date()).getTime() / 1000);
  const headers = {
    'content-type': 'application/json',
    [PULSE_TIMESTAMP_HEADER]: String(timestamp),
    [PULSE_SIGNATURE_HEADER]: signPulseBody(secret, timestamp, body),
  };
  let status: number;
  let text: string;
  if (options.url) {
    const base = options.url.replace(/\/+$/, '');
    const url = base.endsWith('/webhooks/pulse') ? base : `${base}/webhooks/pulse`;
    try {
      const response = await fetch(url, { method: 'POST', headers, body });
      status = response.status;
      text = await response.text();
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CommandError(`--url: cannot reach ${url} (${cause?.code ?? cause?.message ?? (error as Error).message})`);
    }
    const refused = refusal(status, text);
    if (refused) throw refused;
    try {
      if (status === 200 || status === 202) return JSON.parse(text) as DeliveryAnswer;
    } catch {
      // not the gateway's JSON: said below
    }
    throw new CommandError(`${url} answered ${status}: ${text.slice(0, 300).trim()}`);
  }
  const connection = io.connection();
  const service = await findConsoleService(connection, options.consoleService ?? io.env.ACOG_CONSOLE_SERVICE);
  ({ status, body: text } = await proxyRequest(connection, service, '/webhooks/pulse', { method: 'POST', headers, body }));
  const refused = refusal(status, text);
  if (refused) throw refused;
  return gatewayAnswer<DeliveryAnswer>(service, { status, body: text });
}

async function send(io: CommandIO, options: SendOptions): Promise<void> {
  if (!PULSE_SOURCE_PATTERN.test(options.source))
    throw new CommandError(`--source: "${options.source}" is not a source name (1 to 100 letters, digits, ".", "_" or "-")`, 2);
  if (options.url !== undefined && !/^https?:\/\/\S+$/.test(options.url))
    throw new CommandError(`--url: "${options.url}" is not an http or https URL (e.g. https://acog.example.com)`, 2);
  const file = options.filename;
  let text: string;
  try {
    text = file === '-' ? await readStdin(io) : await readFile(file, 'utf8');
  } catch (error) {
    throw new CommandError(`-f: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const events = eventsOfFile(text, options.source, file === '-' ? '(stdin)' : file);
  const bodies = deliveries(events);
  const secret = await secretOf(io, options);
  const total: DeliveryAnswer = { accepted: 0, duplicates: 0 };
  for (const body of bodies) {
    const answer = await deliver(io, options, body, secret);
    total.accepted += answer.accepted;
    total.duplicates += answer.duplicates;
  }
  if (options.output) {
    const report = { source: options.source, events: events.length, deliveries: bodies.length, ...total };
    io.stdout.write(options.output === 'json' ? JSON.stringify(report, null, 4) + '\n' : stringify(report));
    return;
  }
  const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  io.stdout.write(
    `${count(events.length, 'event', 'events')} from ${options.source} sent in ${count(bodies.length, 'delivery', 'deliveries')}: ${total.accepted} accepted, ${count(total.duplicates, 'duplicate', 'duplicates')}\n`,
  );
}

async function readStdin(io: CommandIO): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin ?? process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

export const registerPulse: RegisterCommand = (program, io) => {
  const pulse = program
    .command('pulse')
    .description('Pulse (trending-topic) events: what your Channels made of them, and sending signed events to the gateway.');

  pulse
    .command('ls')
    .alias('list')
    .description('The pulse events the Channels of the namespace judged: the Episode made, or why none, newest first.')
    .option('--channel <name>', 'only the decisions of this Channel')
    .addOption(new Option('--limit <n>', 'show at most this many').default(100).argParser(whole('--limit', 1, 100_000)))
    .addOption(new Option('-o, --output <format>', 'output format').choices(['wide', 'json', 'yaml']))
    .addHelpText(
      'after',
      `
Examples:
  kubectl acog pulse ls -n team-a
  kubectl acog pulse ls --channel engineering-explained -o wide

It reads the console's gateway through the API server (the aggregated API history.acog.dev) with your
own credentials, whatever your kubeconfig holds.`,
    )
    .action((options: LsOptions) => ls(io, options));

  pulse
    .command('send')
    .description(
      'Sign a file of events as a source (HMAC-SHA256 of "timestamp.body") and deliver it to the gateway\'s POST /webhooks/pulse.',
    )
    .requiredOption('-f, --filename <file>', 'a JSON file of one event or an array of events ("-" for stdin); split into deliveries of 100')
    .requiredOption(
      '--source <name>',
      "the source: its name in the events (filled in where they leave it out) and in the chart's console.pulse.sources",
    )
    .option('--secret-file <file>', `a file holding the source's shared secret (default: $${PULSE_SECRET_ENV})`)
    .option('--url <url>', "the gateway's address, e.g. https://acog.example.com (default: through the API server's service proxy)")
    .addOption(new Option('-o, --output <format>', 'output format').choices(['json', 'yaml']))
    .addOption(consoleServiceOption())
    .addHelpText(
      'after',
      `
Examples:
  ACOG_PULSE_SECRET=... kubectl acog pulse send -f events.json --source trends
  kubectl acog pulse send -f events.json --source trends --secret-file ./trends.secret --url https://acog.example.com

Without --url the delivery goes through the API server's service proxy, which needs create on the
console Service's services/proxy (the chart grants only get to every user: ask an admin, or use --url).
The events are checked before anything is sent; a field in error is named as [index].field.`,
    )
    .action((options: SendOptions) => send(io, options));
};
