// kubectl acog approve: passes an approval gate by setting the annotation approve.acog.dev/<stage>
// to the time of the approval (a merge patch: nothing else of the Episode changes). What it does is
// decided by @acog/api's decideApprove, as for the console; this adds the kubectl words.
import { APPROVAL_ANNOTATION_PREFIX, decideApprove, type Refusal } from '@acog/api';
import { CommandError } from '../../kube/errors.ts';
import type { RegisterCommand } from '../types.ts';
import { decisionLine, dryRunOption, findChannel, getEpisode, sendDecision, target, type DryRun } from './common.ts';

/** What to type instead, after a refusal's message. */
function hint(name: string, refusal: Refusal): string {
  if (refusal.reason === 'NotWaiting' && refusal.gates?.length)
    return `; to approve a gate ahead of time: kubectl acog approve ${name} --stage ${refusal.gates[0]}`;
  if (refusal.reason === 'WaitingAtSeveral') return ': pass --stage to say which to approve';
  return '';
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
      const channel = await findChannel(t, episode.spec.channelRef.name);
      const decision = decideApprove(episode, channel, { stage: options.stage }, new Date());
      if (decision.outcome === 'refused') throw new CommandError(decision.message + hint(name, decision));
      if (decision.outcome === 'patch') await sendDecision(t, name, decision, options.dryRun);
      io.stdout.write(decisionLine(name, decision, options.dryRun));
    });
};
