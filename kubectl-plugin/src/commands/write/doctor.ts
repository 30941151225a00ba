// kubectl acog doctor: checks what ACOG needs, one line each with ✓ or ✗ (! for a warning) and what
// to do: the CRDs, the operator, NATS JetStream, the S3 buckets, and every Channel's Secrets and
// models (a model within 60 days of its shutdown is a warning, one past it a failure).
// Secrets are read for their key names only; no value is ever printed.
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { ApiextensionsV1Api, AppsV1Api, CoreV1Api, CustomObjectsApi, VersionApi, type V1Deployment } from '@kubernetes/client-node';
import { JetStreamApiCodes, JetStreamApiError, jetstreamManager } from '@nats-io/jetstream';
import { connect as connectNats, type NatsConnection } from '@nats-io/transport-node';
import {
  BUCKETS,
  CHANNELS,
  EPISODES,
  EVENTS_STREAM,
  EVENTS_SUBJECTS,
  GROUP,
  VERSION,
  secretNeeds as apiSecretNeeds,
  type Channel,
  type Providers,
} from '@acog/api';
import { modelNotices, type ModelNotice } from '@acog/api/catalog';
import { ConfigError, type Connection } from '../../kube/config.ts';
import { statusCode } from '@acog/kube';
import { CommandError, explainApiError } from '../../kube/errors.ts';
import type { CommandIO, RegisterCommand } from '../types.ts';
import { list } from './common.ts';
import { addS3Options, explainS3Error, isS3NotFound, redact, s3Connection, type S3Flags } from './s3.ts';

export const OPERATOR_LABEL = 'app.kubernetes.io/name=acog-operator';
export const DEFAULT_OPERATOR = { namespace: 'acog-system', name: 'acog-operator' } as const;

interface DoctorOptions extends S3Flags {
  nats?: string;
  operatorNamespace?: string;
  operatorDeployment?: string;
}

class Report {
  failures = 0;
  warnings = 0;
  private readonly io: CommandIO;
  constructor(io: CommandIO) {
    this.io = io;
  }
  section(title: string): void {
    this.io.stdout.write(`\n${title}\n`);
  }
  private line(mark: string, text: string, hint?: string): void {
    this.io.stdout.write(`  ${mark} ${text}\n${hint ? `      → ${hint}\n` : ''}`);
  }
  ok(text: string): void {
    this.line('✓', text);
  }
  fail(text: string, hint?: string): void {
    this.failures++;
    this.line('✗', text, hint);
  }
  warn(text: string, hint?: string): void {
    this.warnings++;
    this.line('!', text, hint);
  }
}

function apiMessage(error: unknown, what: string, server: string): string {
  return explainApiError(error, what, server).message;
}

// ---------------------------------------------------------------------------------------------
// Kubernetes

async function checkApiServer(report: Report, connection: Connection, server: string): Promise<boolean> {
  try {
    const version = await connection.kc.makeApiClient(VersionApi).getCode();
    report.ok(`API server ${server} answers (Kubernetes ${version.gitVersion}), as user ${connection.user}`);
    return true;
  } catch (error) {
    report.fail(apiMessage(error, `the API server ${server}`, server), 'check --context and --kubeconfig, and that the cluster is up');
    return false;
  }
}

async function checkCrd(report: Report, connection: Connection, server: string, plural: string): Promise<void> {
  const name = `${plural}.${GROUP}`;
  try {
    const crd = await connection.kc.makeApiClient(ApiextensionsV1Api).readCustomResourceDefinition({ name });
    const established = crd.status?.conditions?.find((condition) => condition.type === 'Established');
    const served = crd.spec.versions.filter((version) => version.served).map((version) => version.name);
    const storage = crd.spec.versions.find((version) => version.storage)?.name;
    const kind = plural === CHANNELS.plural ? CHANNELS.kind : EPISODES.kind;
    if (crd.spec.group !== GROUP || crd.spec.names.kind !== kind || crd.spec.scope !== 'Namespaced') {
      report.fail(
        `CRD ${name} is not ACOG's (group ${crd.spec.group}, kind ${crd.spec.names.kind}, ${crd.spec.scope}; expected ${GROUP}, ${kind}, Namespaced)`,
        'replace it with the one in crds/: kubectl apply -f crds/',
      );
    } else if (established?.status !== 'True') {
      report.fail(
        `CRD ${name} is not Established${established?.message ? `: ${established.message}` : ''}`,
        `kubectl describe crd ${name}`,
      );
    } else if (!served.includes(VERSION)) {
      report.fail(
        `CRD ${name} does not serve ${VERSION} (it serves ${list(served) || 'nothing'})`,
        'install the CRDs of this version: kubectl apply -f crds/ (or helm upgrade acog .)',
      );
    } else {
      report.ok(`CRD ${name} installed, Established, serves ${VERSION}${storage && storage !== VERSION ? ` (stores ${storage})` : ''}`);
    }
  } catch (error) {
    const code = statusCode(error);
    if (code === 404) {
      report.fail(`CRD ${name} is not installed`, 'kubectl apply -f crds/ (the Helm chart installs them: helm install acog .)');
    } else if (code === 403) {
      // Reading CRDs is cluster-wide and often not allowed; discovery is open to every user.
      await checkDiscovery(report, connection, server, plural, name);
    } else {
      report.fail(`cannot read CRD ${name}: ${apiMessage(error, `CRD ${name}`, server)}`);
    }
  }
}

async function checkDiscovery(report: Report, connection: Connection, server: string, plural: string, name: string): Promise<void> {
  try {
    const resources = await connection.kc.makeApiClient(CustomObjectsApi).getAPIResources({ group: GROUP, version: VERSION });
    if (resources.resources.some((resource) => resource.name === plural)) {
      report.ok(`CRD ${name} serves ${VERSION} (your user may not read CRDs, so only discovery was checked)`);
    } else {
      report.fail(`CRD ${name} is not installed (${GROUP}/${VERSION} has no ${plural})`, 'kubectl apply -f crds/ (or helm install acog .)');
    }
  } catch (error) {
    if (statusCode(error) === 404)
      report.fail(`CRD ${name} is not installed (no API group ${GROUP}/${VERSION})`, 'kubectl apply -f crds/ (or helm install acog .)');
    else report.fail(`cannot discover ${GROUP}/${VERSION}: ${apiMessage(error, `${GROUP}/${VERSION}`, server)}`);
  }
}

function describeDeployment(report: Report, deployment: V1Deployment): void {
  const where = `${deployment.metadata?.namespace}/${deployment.metadata?.name}`;
  const desired = deployment.spec?.replicas ?? 1;
  const available = deployment.status?.availableReplicas ?? 0;
  const condition = deployment.status?.conditions?.find((c) => c.type === 'Available');
  const image = deployment.spec?.template.spec?.containers[0]?.image;
  if (condition?.status === 'True' && available > 0) {
    report.ok(`operator ${where} is available (${available}/${desired} replicas${image ? `, ${image}` : ''})`);
  } else {
    const why = condition?.message ? `: ${condition.message}` : '';
    report.fail(
      `operator ${where} is not available (${available}/${desired} replicas available)${why}`,
      `kubectl -n ${deployment.metadata?.namespace} describe deployment ${deployment.metadata?.name}; kubectl -n ${deployment.metadata?.namespace} logs deployment/${deployment.metadata?.name}`,
    );
  }
}

const NOT_INSTALLED = 'the operator is not installed: helm install acog .';

async function checkOperator(report: Report, connection: Connection, server: string, options: DoctorOptions): Promise<void> {
  const apps = connection.kc.makeApiClient(AppsV1Api);
  const namespace = options.operatorNamespace ?? DEFAULT_OPERATOR.namespace;
  const name = options.operatorDeployment ?? DEFAULT_OPERATOR.name;
  const explicit = options.operatorNamespace !== undefined || options.operatorDeployment !== undefined;
  const readNamed = async (): Promise<void> => {
    try {
      describeDeployment(report, await apps.readNamespacedDeployment({ name, namespace }));
    } catch (error) {
      const code = statusCode(error);
      if (code === 404)
        report.fail(NOT_INSTALLED, `no Deployment ${namespace}/${name}${explicit ? '' : ` and none labelled ${OPERATOR_LABEL}`}`);
      else if (code === 403)
        report.warn(
          `cannot check the operator: your user may not read Deployments in ${namespace}`,
          'ask a cluster admin to run kubectl acog doctor',
        );
      else report.fail(`cannot read the operator's Deployment: ${apiMessage(error, `deployment ${namespace}/${name}`, server)}`);
    }
  };
  if (explicit) return readNamed();
  try {
    const found = await apps.listDeploymentForAllNamespaces({ labelSelector: OPERATOR_LABEL });
    if (found.items.length) {
      for (const deployment of found.items) describeDeployment(report, deployment);
      return;
    }
  } catch (error) {
    if (statusCode(error) !== 403) {
      report.fail(`cannot look for the operator: ${apiMessage(error, 'Deployments', server)}`);
      return;
    }
  }
  return readNamed();
}

// ---------------------------------------------------------------------------------------------
// NATS

async function checkNats(report: Report, options: DoctorOptions, env: Record<string, string | undefined>): Promise<void> {
  const url = options.nats ?? env.ACOG_NATS_URL;
  if (!url) {
    report.warn(
      'NATS not checked: no address',
      'pass --nats nats://HOST:4222 or set ACOG_NATS_URL (e.g. after kubectl port-forward to the NATS service)',
    );
    return;
  }
  const shown = redact(url);
  let nc: NatsConnection;
  try {
    nc = await connectNats({ servers: url, timeout: 5_000, reconnect: false, name: 'kubectl-acog doctor' });
  } catch (error) {
    report.fail(
      `cannot reach NATS at ${shown}: ${(error as Error).message}`,
      'check --nats / ACOG_NATS_URL, and that NATS runs (the chart can bundle it)',
    );
    return;
  }
  try {
    const jsm = await jetstreamManager(nc, { timeout: 5_000 });
    report.ok(`NATS ${shown} reachable, JetStream enabled`);
    try {
      const stream = await jsm.streams.info(EVENTS_STREAM);
      const subjects = stream.config.subjects ?? [];
      if (subjects.includes(EVENTS_SUBJECTS)) {
        report.ok(`stream ${EVENTS_STREAM} exists (${stream.state.messages} messages on ${subjects.join(', ')})`);
      } else {
        report.warn(
          `stream ${EVENTS_STREAM} takes ${list(subjects) || 'no subjects'}, not ${EVENTS_SUBJECTS}`,
          'the operator reconfigures it when it starts; stage events are lost until then',
        );
      }
    } catch (error) {
      if (
        (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) ||
        /stream not found/i.test((error as Error).message)
      ) {
        report.warn(
          `stream ${EVENTS_STREAM} does not exist yet`,
          'the operator creates it when it starts; until then stages complete through the Job watch only',
        );
      } else {
        report.fail(`cannot read stream ${EVENTS_STREAM}: ${(error as Error).message}`);
      }
    }
  } catch (error) {
    if ((error as Error).name === 'JetStreamNotEnabled' || /jetstream not enabled/i.test((error as Error).message)) {
      report.fail(
        `NATS ${shown} is reachable but JetStream is not enabled`,
        'run nats-server with -js (the chart enables it on its bundled NATS)',
      );
    } else {
      report.fail(`NATS ${shown}: ${(error as Error).message}`);
    }
  } finally {
    await nc.close().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// S3

async function checkS3(report: Report, options: DoctorOptions, env: Record<string, string | undefined>): Promise<void> {
  const s3 = s3Connection(options, env);
  try {
    for (const bucket of [BUCKETS.assets, BUCKETS.scripts]) {
      try {
        await s3.client.send(new HeadBucketCommand({ Bucket: bucket }));
        report.ok(`bucket ${bucket} exists at ${s3.where}`);
      } catch (error) {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (isS3NotFound(error)) {
          report.fail(
            `bucket ${bucket} does not exist at ${s3.where}`,
            `create it (aws s3 mb s3://${bucket}${s3.endpoint ? ` --endpoint-url ${s3.where}` : ''}), or let the chart's bundled S3 make it`,
          );
        } else if (status === 403) {
          report.fail(
            `bucket ${bucket} at ${s3.where}: access denied (403)`,
            'check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and the bucket policy',
          );
        } else {
          // Unreachable or no credentials: the other bucket would say the same.
          report.fail(explainS3Error(error, s3));
          return;
        }
      }
    }
  } finally {
    s3.client.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// Channels and their Secrets

/** Which Secret keys a Channel's providers read (the operator's list, from @acog/api). Offline providers read none. */
function secretNeeds(providers: Providers | undefined): { capability: string; provider: string; secret: string; keys: string[] }[] {
  return apiSecretNeeds(providers).map((need) => ({ ...need, keys: Object.values(need.env) }));
}

type SecretKeys = { keys: Set<string> } | { missing: true } | { forbidden: true } | { error: string };

/** What to run to move a Channel off a model: a merge patch of the field, or the advice when there is no drop-in replacement. */
function replacementHint(notice: ModelNotice, namespace: string, channel: string): string {
  if (notice.advice) return notice.advice;
  const patch = notice.field
    .split('.')
    .reverse()
    .reduce<unknown>((inner, key) => ({ [key]: inner }), notice.replacement);
  return `kubectl -n ${namespace} patch channel ${channel} --type merge -p '${JSON.stringify({ spec: patch })}'`;
}

function checkModels(report: Report, label: string, channel: Channel, namespace: string, now: Date): void {
  for (const notice of modelNotices(channel.spec.providers, now)) {
    const hint = replacementHint(notice, namespace, channel.metadata.name!);
    const where = notice.defaulted ? `${notice.field} (unset: the default ${notice.model})` : `${notice.field} ${notice.model}`;
    if (notice.state === 'retired') report.fail(`${label}: ${where} was shut down on ${notice.shutdown}; its stages fail`, hint);
    else
      report.warn(
        `${label}: ${where} shuts down on ${notice.shutdown}; ${notice.advice ? 'no drop-in replacement' : `use ${notice.replacement}`}`,
        hint,
      );
  }
}

async function checkChannels(report: Report, connection: Connection, server: string, now: Date): Promise<void> {
  const api = connection.kc.makeApiClient(CustomObjectsApi);
  const core = connection.kc.makeApiClient(CoreV1Api);
  const scope = connection.allNamespaces ? 'all namespaces' : `namespace ${connection.namespace}`;
  let channels: Channel[];
  try {
    const listed = (
      connection.allNamespaces
        ? await api.listCustomObjectForAllNamespaces({ group: GROUP, version: VERSION, resourcePlural: CHANNELS.plural })
        : await api.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: connection.namespace, plural: CHANNELS.plural })
    ) as { items: Channel[] };
    channels = listed.items;
  } catch (error) {
    if (statusCode(error) === 403) report.warn(`cannot list Channels in ${scope}: ${apiMessage(error, 'Channels', server)}`);
    else report.fail(`cannot list Channels in ${scope}: ${apiMessage(error, 'Channels', server)}`);
    return;
  }
  if (!channels.length) {
    report.ok(`no Channels in ${scope} (kubectl acog create -f examples/channel.yaml)`);
    return;
  }

  const secrets = new Map<string, Promise<SecretKeys>>();
  const readKeys = (namespace: string, name: string): Promise<SecretKeys> => {
    const id = `${namespace}/${name}`;
    let pending = secrets.get(id);
    if (!pending) {
      pending = core.readNamespacedSecret({ name, namespace }).then(
        // Only the key names leave this function; the values are dropped here.
        (secret) => ({ keys: new Set([...Object.keys(secret.data ?? {}), ...Object.keys(secret.stringData ?? {})]) }),
        (error: unknown) => {
          const code = statusCode(error);
          if (code === 404) return { missing: true };
          if (code === 403) return { forbidden: true };
          return { error: apiMessage(error, `Secret ${id}`, server) };
        },
      );
      secrets.set(id, pending);
    }
    return pending;
  };

  for (const channel of channels) {
    const namespace = channel.metadata.namespace ?? connection.namespace;
    const label = connection.allNamespaces ? `channel ${namespace}/${channel.metadata.name}` : `channel ${channel.metadata.name}`;
    checkModels(report, label, channel, namespace, now);
    const needs = secretNeeds(channel.spec.providers);
    if (!needs.length) {
      report.ok(`${label}: offline providers only, no Secret needed`);
      continue;
    }
    for (const need of needs) {
      const uses = `providers.${need.capability} ${need.provider}`;
      const found = await readKeys(namespace, need.secret);
      if ('missing' in found) {
        report.fail(
          `${label}: Secret ${need.secret} not found (${uses} needs key${need.keys.length > 1 ? 's' : ''} ${list(need.keys)})`,
          `kubectl -n ${namespace} create secret generic ${need.secret} ${need.keys.map((key) => `--from-literal=${key}=<value>`).join(' ')}`,
        );
      } else if ('forbidden' in found) {
        report.warn(
          `${label}: cannot check Secret ${need.secret} for ${list(need.keys)} (${uses}): your user may not read Secrets in ${namespace}`,
          `the operator reports a missing Secret in the Channel's Ready condition: kubectl acog describe channel ${channel.metadata.name}`,
        );
      } else if ('error' in found) {
        report.fail(`${label}: cannot read Secret ${need.secret}: ${found.error}`);
      } else {
        const absent = need.keys.filter((key) => !found.keys.has(key));
        if (absent.length) {
          report.fail(
            `${label}: Secret ${need.secret} has no key ${list(absent)} (${uses})`,
            `kubectl -n ${namespace} patch secret ${need.secret} --type merge -p '{"stringData":{${absent.map((key) => `"${key}":"<value>"`).join(',')}}}'`,
          );
        } else {
          report.ok(`${label}: Secret ${need.secret} holds ${list(need.keys)} (${uses})`);
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------

async function doctor(io: CommandIO, options: DoctorOptions): Promise<void> {
  const report = new Report(io);
  let connection: Connection | undefined;
  report.section('Kubernetes');
  try {
    connection = io.connection();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    report.fail(error.message);
  }
  const server = connection?.kc.getCurrentCluster()?.server ?? '';
  const reachable = connection ? await checkApiServer(report, connection, server) : false;

  report.section('Custom resources');
  if (connection && reachable) {
    for (const plural of [CHANNELS.plural, EPISODES.plural]) await checkCrd(report, connection, server, plural);
  } else report.fail('not checked: the API server is not reachable');

  report.section('Operator');
  if (connection && reachable) await checkOperator(report, connection, server, options);
  else report.fail('not checked: the API server is not reachable');

  report.section('NATS JetStream');
  await checkNats(report, options, io.env);

  report.section('Object storage (S3)');
  await checkS3(report, options, io.env);

  if (connection && reachable) {
    report.section(`Channels in ${connection.allNamespaces ? 'all namespaces' : `namespace ${connection.namespace}`}`);
    await checkChannels(report, connection, server, io.now?.() ?? new Date());
  }

  const warnings = report.warnings ? `, ${report.warnings} warning${report.warnings > 1 ? 's' : ''}` : '';
  if (report.failures) throw new CommandError(`${report.failures} check${report.failures > 1 ? 's' : ''} failed${warnings}`);
  io.stdout.write(`\nAll checks passed${warnings}.\n`);
}

export const registerDoctor: RegisterCommand = (program, io) => {
  addS3Options(
    program
      .command('doctor')
      .description('Check the cluster and its services for ACOG: CRDs, operator, NATS, S3, and the Secrets and models of every Channel.')
      .option('--nats <url>', 'the NATS server (default: $ACOG_NATS_URL)')
      .option(
        '--operator-namespace <name>',
        `where the operator runs (default: found by label ${OPERATOR_LABEL}, else ${DEFAULT_OPERATOR.namespace})`,
      )
      .option('--operator-deployment <name>', `the operator's Deployment (default: ${DEFAULT_OPERATOR.name})`),
  )
    .addHelpText(
      'after',
      `
Exit status 0 when every check passes (warnings allowed), 1 when one fails.
Secrets are read for their key names only; values are never printed.`,
    )
    .action((options: DoctorOptions) => doctor(io, options));
};
