// What the write commands share: the Episode and Channel clients, --dry-run, merge patches and
// the kubectl-style result lines ("episode.acog.dev/x approved (voice)").
import { CustomObjectsApi } from '@kubernetes/client-node';
import { isNotFound, MERGE_PATCH } from '@acog/kube';
import { Option } from 'commander';
import { CHANNELS, EPISODES, GROUP, VERSION, type Channel, type Episode, type PatchDecision, type UnchangedDecision } from '@acog/api';
import { CommandError, explainApiError } from '../../kube/errors.ts';
import type { CommandIO } from '../types.ts';

/** The field manager the API server records for our writes (managedFields). */
export const FIELD_MANAGER = 'kubectl-acog';

export type DryRun = 'none' | 'client' | 'server';

/** --dry-run=none|client|server, as kubectl has it. */
export function dryRunOption(): Option {
  return new Option(
    '--dry-run <strategy>',
    'client: only print what would be sent; server: let the API server check it without persisting; none: do it',
  )
    .choices(['none', 'client', 'server'])
    .default('none');
}

/** kubectl's suffix of a result line in a dry run. */
export function dryRunSuffix(dryRun: DryRun): string {
  return dryRun === 'client' ? ' (dry run)' : dryRun === 'server' ? ' (server dry run)' : '';
}

/** The dryRun query parameter of a request. */
export function dryRunParam(dryRun: DryRun): string | undefined {
  return dryRun === 'server' ? 'All' : undefined;
}

/** "episode.acog.dev/x", kubectl's -o name. */
export function resourceRef(kind: 'Channel' | 'Episode', name: string): string {
  return `${kind === 'Channel' ? CHANNELS.singular : EPISODES.singular}.${GROUP}/${name}`;
}

export function describeEpisode(namespace: string, name: string): string {
  return `episode "${name}" in namespace "${namespace}"`;
}

/** The namespace and client a command acts through. */
export interface Target {
  api: CustomObjectsApi;
  namespace: string;
  server: string;
  user: string;
}

export function target(io: CommandIO): Target {
  const connection = io.connection();
  return {
    api: connection.kc.makeApiClient(CustomObjectsApi),
    namespace: connection.namespace,
    server: connection.kc.getCurrentCluster()?.server ?? '',
    user: connection.user,
  };
}

/** Reads an Episode; a missing one is "not found" with the command that lists what there is. */
export async function getEpisode(t: Target, name: string): Promise<Episode> {
  try {
    return (await t.api.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: t.namespace,
      plural: EPISODES.plural,
      name,
    })) as Episode;
  } catch (error) {
    const explained = explainApiError(error, describeEpisode(t.namespace, name), t.server);
    if (isNotFound(error) && !explained.message.includes('CRDs')) {
      throw new CommandError(`${explained.message}: kubectl acog get episodes -n ${t.namespace}`);
    }
    throw explained;
  }
}

/** Reads a Channel; undefined when it does not exist. */
export async function findChannel(t: Target, name: string): Promise<Channel | undefined> {
  try {
    return (await t.api.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: t.namespace,
      plural: CHANNELS.plural,
      name,
    })) as Channel;
  } catch (error) {
    if (isNotFound(error)) {
      const explained = explainApiError(error, `channel "${name}" in namespace "${t.namespace}"`, t.server);
      if (explained.message.includes('CRDs')) throw explained;
      return undefined;
    }
    throw explainApiError(error, `channel "${name}" in namespace "${t.namespace}"`, t.server);
  }
}

/**
 * Sends a JSON merge patch (RFC 7386) to an Episode. client-node sends JSON patches unless told
 * otherwise, so the content type is set explicitly.
 */
export async function mergePatchEpisode(t: Target, name: string, patch: object, dryRun: DryRun): Promise<Episode> {
  try {
    return (await t.api.patchNamespacedCustomObject(
      {
        group: GROUP,
        version: VERSION,
        namespace: t.namespace,
        plural: EPISODES.plural,
        name,
        body: patch,
        dryRun: dryRunParam(dryRun),
        fieldManager: FIELD_MANAGER,
        fieldValidation: 'Strict',
      },
      MERGE_PATCH,
    )) as Episode;
  } catch (error) {
    throw explainApiError(error, describeEpisode(t.namespace, name), t.server);
  }
}

/**
 * Helpers of the Episode actions, in @acog/api beside the decisions; here for the other write
 * commands, under the names they know.
 */
export { andList as list, phaseOf } from '@acog/api';

/** Sends the patch of an action's decision, unless it is a client dry run. */
export async function sendDecision(t: Target, name: string, decision: PatchDecision, dryRun: DryRun): Promise<void> {
  if (dryRun !== 'client') await mergePatchEpisode(t, name, decision.patch, dryRun);
}

/** The result line of a decision: "episode.acog.dev/x approved (voice)", with the dry run's suffix when it changes something. */
export function decisionLine(name: string, decision: PatchDecision | UnchangedDecision, dryRun: DryRun): string {
  return `${resourceRef('Episode', name)} ${decision.message}${decision.outcome === 'patch' ? dryRunSuffix(dryRun) : ''}\n`;
}

/** Asks a yes/no question on the terminal; anything but y/yes is no. */
export async function confirm(io: CommandIO, question: string): Promise<boolean> {
  const stdin = inputOf(io);
  io.stderr.write(`${question} [y/N] `);
  const answer = await new Promise<string>((resolve) => {
    let buffered = '';
    const onData = (chunk: Buffer | string) => {
      buffered += chunk.toString();
      const newline = buffered.indexOf('\n');
      if (newline >= 0) finish(buffered.slice(0, newline));
    };
    const onEnd = () => finish(buffered);
    const finish = (line: string) => {
      stdin.removeListener('data', onData);
      stdin.removeListener('end', onEnd);
      stdin.pause();
      resolve(line.trim().toLowerCase());
    };
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.resume();
  });
  return answer === 'y' || answer === 'yes';
}

/** Standard input: CommandIO carries none yet, so tests may add one; the process's otherwise. */
export function inputOf(io: CommandIO): NodeJS.ReadableStream & { isTTY?: boolean } {
  return io.stdin ?? process.stdin;
}

/** Both ends of the conversation are a terminal. */
export function interactive(io: CommandIO): boolean {
  return Boolean(inputOf(io).isTTY && io.stderr.isTTY);
}
