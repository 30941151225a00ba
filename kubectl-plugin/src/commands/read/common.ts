// What the read commands share: resource kinds and their aliases, reads of Channels and Episodes,
// API errors as messages, and small formatters (money, durations, the progress bar).
import { InvalidArgumentError } from 'commander';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { isNotFound, statusOf } from '@acog/kube';
import { CHANNELS, EPISODES, GROUP, STAGES, VERSION, type Channel, type Episode, type EpisodeStatus } from '@acog/api';
import type { Connection } from '../../kube/config.ts';
import { CommandError, explainApiError } from '../../kube/errors.ts';

export type Kind = 'episode' | 'channel';
export type AcogObject = Episode | Channel;
export type StageStatus = NonNullable<EpisodeStatus['stages']>[number];

export const RESOURCES = { episode: EPISODES, channel: CHANNELS } as const;

/** The names `get` and `describe` accept for a kind, as kubectl accepts plural, singular, short and qualified names. */
export const KIND_ALIASES: Record<string, Kind> = {
  episodes: 'episode',
  episode: 'episode',
  ep: 'episode',
  epi: 'episode',
  'episodes.acog.dev': 'episode',
  'episode.acog.dev': 'episode',
  channels: 'channel',
  channel: 'channel',
  ch: 'channel',
  'channels.acog.dev': 'channel',
  'channel.acog.dev': 'channel',
};

/** Parses a type argument (episodes, ep, channel, ...); wrong usage (exit 2) otherwise. */
export function parseKind(value: string): Kind {
  const kind = KIND_ALIASES[value.toLowerCase()];
  if (!kind) throw new InvalidArgumentError('Use episodes (ep) or channels (ch).');
  return kind;
}

/** The collection's URL path: one namespace, or every namespace when namespace is undefined. */
export function collectionPath(kind: Kind, namespace: string | undefined): string {
  const plural = RESOURCES[kind].plural;
  return namespace === undefined
    ? `/apis/${GROUP}/${VERSION}/${plural}`
    : `/apis/${GROUP}/${VERSION}/namespaces/${encodeURIComponent(namespace)}/${plural}`;
}

/** `episode "x" not found in namespace "y"`, as kubectl says it. */
export function notFound(kind: Kind, name: string, namespace: string): CommandError {
  return new CommandError(`${kind} "${name}" not found in namespace "${namespace}"`);
}

/** An API error about a Channel or Episode (or their list, without a name) as a message. */
export function objectError(error: unknown, connection: Connection, kind: Kind, name?: string, namespace?: string): CommandError {
  if (error instanceof CommandError) return error;
  const missingCrd = statusOf(error)?.message?.includes('the server could not find the requested resource') ?? false;
  if (isNotFound(error) && name && namespace && !missingCrd) return notFound(kind, name, namespace);
  const scope = namespace ? ` in namespace "${namespace}"` : ' in any namespace';
  const what = name ? `${kind} "${name}"${scope}` : `${RESOURCES[kind].plural}${scope}`;
  return explainApiError(error, what, connection.kc.getCurrentCluster()?.server);
}

function customObjects(connection: Connection): CustomObjectsApi {
  return connection.kc.makeApiClient(CustomObjectsApi);
}

export async function getObject<T extends AcogObject>(
  connection: Connection,
  kind: Kind,
  name: string,
  namespace = connection.namespace,
): Promise<T> {
  try {
    return (await customObjects(connection).getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: RESOURCES[kind].plural,
      name,
    })) as T;
  } catch (error) {
    throw objectError(error, connection, kind, name, namespace);
  }
}

export interface ObjectList<T> {
  items: T[];
  resourceVersion: string;
}

export interface ListOptions {
  /** undefined lists every namespace. */
  namespace: string | undefined;
  labelSelector?: string;
  fieldSelector?: string;
}

export async function listObjects<T extends AcogObject>(connection: Connection, kind: Kind, options: ListOptions): Promise<ObjectList<T>> {
  const api = customObjects(connection);
  const common = {
    group: GROUP,
    version: VERSION,
    plural: RESOURCES[kind].plural,
    labelSelector: options.labelSelector,
    fieldSelector: options.fieldSelector,
  };
  try {
    const list = (
      options.namespace === undefined
        ? await api.listClusterCustomObject(common)
        : await api.listNamespacedCustomObject({ ...common, namespace: options.namespace })
    ) as { items?: T[]; metadata?: { resourceVersion?: string } };
    return { items: list.items ?? [], resourceVersion: list.metadata?.resourceVersion ?? '' };
  } catch (error) {
    const name = options.fieldSelector?.match(/^metadata\.name=(.+)$/)?.[1];
    throw objectError(error, connection, kind, name, options.namespace);
  }
}

/** "$0.42"; "$0.00" when nothing was spent or the cost is not known yet. */
export function money(amount: number | undefined): string {
  return `$${(amount ?? 0).toFixed(2)}`;
}

/** "45s", "1m30s", "2h5m": a duration as kubectl prints one. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return s % 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s / 60}m`;
  const minutes = Math.floor(s / 60);
  return minutes % 60 ? `${Math.floor(minutes / 60)}h${minutes % 60}m` : `${minutes / 60}h`;
}

export function secondsBetween(from: string | undefined, to: string | undefined): number | undefined {
  if (!from || !to) return undefined;
  return (new Date(to).getTime() - new Date(from).getTime()) / 1000;
}

/** Finished stages out of the stages the episode runs: status.progress, else counted from status.stages. */
export function stageProgress(status: EpisodeStatus | undefined): { done: number; total: number } | undefined {
  const match = status?.progress?.match(/^(\d+)\/(\d+)$/);
  if (match) return { done: Number(match[1]), total: Number(match[2]) };
  const stages = (status?.stages ?? []).filter((stage) => stage.phase !== 'Skipped');
  if (!stages.length) return undefined;
  return { done: stages.filter((stage) => stage.phase === 'Succeeded').length, total: stages.length };
}

/** `████░░░░░ 4/9`: a cell per stage (ten cells when an episode runs more than twelve). */
export function progressBar(progress: { done: number; total: number } | undefined): string {
  if (!progress || progress.total <= 0) return '<none>';
  const width = progress.total <= 12 ? progress.total : 10;
  const filled = Math.min(width, Math.round((progress.done / progress.total) * width));
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${progress.done}/${progress.total}`;
}

/** Stage entries of the status in pipeline order. */
export function orderedStages(status: EpisodeStatus | undefined): StageStatus[] {
  return [...(status?.stages ?? [])].sort((a, b) => STAGES.indexOf(a.name) - STAGES.indexOf(b.name));
}

export function approveCommand(episode: string, stage: string, namespace?: string): string {
  return `kubectl acog approve ${episode} --stage ${stage}${namespace ? ` -n ${namespace}` : ''}`;
}

/** Runs until Ctrl-C (or SIGTERM): the signal aborts, dispose() forgets the handlers. */
export function interruption(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const stop = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: controller.signal,
    dispose() {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
    },
  };
}
