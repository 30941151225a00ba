// kubectl acog approve: passes an approval gate by setting the annotation approve.acog.dev/<stage>
// to the time of the approval (a merge patch: nothing else of the Episode changes).
import { APPROVAL_ANNOTATION_PREFIX, approvalGates, isStageName, STAGES, type Channel, type Episode, type StageName } from '@acog/api';
import { CommandError } from '../../kube/errors.ts';
import type { RegisterCommand } from '../types.ts';
import {
  dryRunOption,
  dryRunSuffix,
  findChannel,
  getEpisode,
  inStageOrder,
  list,
  mergePatchEpisode,
  now,
  phaseOf,
  resourceRef,
  target,
  type DryRun,
} from './common.ts';

/** The gates of an Episode: its Channel's and its own. */
export function gatesOf(episode: Episode, channel: Channel | undefined): StageName[] {
  return inStageOrder(approvalGates(channel?.spec, episode.spec));
}

/** The stages the episode waits at for an approval, according to its status. */
export function waitingGates(episode: Episode): StageName[] {
  const waiting = (episode.status?.stages ?? []).filter((stage) => stage.phase === 'AwaitingApproval').map((stage) => stage.name);
  if (!waiting.length && episode.status?.phase === 'AwaitingApproval') {
    waiting.push(
      ...(episode.status.currentStage ?? '')
        .split(',')
        .map((stage) => stage.trim())
        .filter(isStageName),
    );
  }
  return inStageOrder(waiting);
}

function describeGates(episode: Episode, gates: StageName[]): string {
  if (!gates.length) return 'it has no approval gates (spec.approvalGates of the episode and of its channel are empty)';
  const annotations = episode.metadata.annotations ?? {};
  const states = new Map((episode.status?.stages ?? []).map((stage) => [stage.name, stage.phase]));
  const described = gates.map((gate) => {
    const approved = annotations[APPROVAL_ANNOTATION_PREFIX + gate];
    if (approved) return `${gate} (approved ${approved})`;
    return states.get(gate) === 'AwaitingApproval' ? `${gate} (waiting)` : gate;
  });
  return `its gate${gates.length > 1 ? 's are' : ' is'} ${list(described)}`;
}

export const registerApprove: RegisterCommand = (program, io) => {
  program
    .command('approve')
    .description('Approve an Episode at a gate, so the stage after it may start.')
    .argument('<episode>', 'the Episode')
    .option('--stage <stage>', 'the gate to approve; by default the one the episode waits at (a later one may be approved ahead of time)')
    .addOption(dryRunOption())
    .addHelpText(
      'after',
      `
Examples:
  kubectl acog approve how-indexes-work                 # the gate it waits at
  kubectl acog approve how-indexes-work --stage upload  # ahead of time

Sets the annotation ${APPROVAL_ANNOTATION_PREFIX}<stage> to the time of the approval; it may also live in Git.`,
    )
    .action(async (name: string, options: { stage?: string; dryRun: DryRun }) => {
      const t = target(io);
      const episode = await getEpisode(t, name);
      const phase = phaseOf(episode);
      const channel = await findChannel(t, episode.spec.channelRef.name);
      const gates = gatesOf(episode, channel);
      if (phase === 'Succeeded' || phase === 'Cancelled')
        throw new CommandError(`episode ${name} is ${phase}; there is nothing to approve`);

      let stage: StageName;
      if (options.stage !== undefined) {
        if (!isStageName(options.stage)) {
          throw new CommandError(
            `"${options.stage}" is not a stage (stages: ${STAGES.join(', ')}); for episode ${name} ${describeGates(episode, gates)}`,
          );
        }
        if (!gates.includes(options.stage)) {
          throw new CommandError(`episode ${name} has no approval gate before ${options.stage}: ${describeGates(episode, gates)}`);
        }
        stage = options.stage;
      } else {
        const waiting = waitingGates(episode);
        if (!waiting.length) {
          const ahead = gates.length ? `; to approve a gate ahead of time: kubectl acog approve ${name} --stage ${gates[0]}` : '';
          throw new CommandError(
            `episode ${name} is not waiting for an approval (phase ${phase}); ${describeGates(episode, gates)}${ahead}`,
          );
        }
        if (waiting.length > 1) {
          throw new CommandError(
            `episode ${name} waits at ${waiting.length} gates (${list(waiting)}): pass --stage to say which to approve`,
          );
        }
        stage = waiting[0];
      }

      const key = APPROVAL_ANNOTATION_PREFIX + stage;
      const already = episode.metadata.annotations?.[key];
      if (already) {
        io.stdout.write(`${resourceRef('Episode', name)} already approved (${stage}) at ${already}\n`);
        return;
      }
      if (options.dryRun !== 'client') await mergePatchEpisode(t, name, { metadata: { annotations: { [key]: now() } } }, options.dryRun);
      io.stdout.write(`${resourceRef('Episode', name)} approved (${stage})${dryRunSuffix(options.dryRun)}\n`);
    });
};
