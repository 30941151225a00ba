// kubectl acog cancel: stops an Episode for good (spec.cancel: true); the operator deletes its
// running Jobs and the phase becomes Cancelled. Asks first on a terminal, unless --yes. Decided
// by @acog/api's decideCancel, as for the console.
import { decideCancel, phaseOf } from '@acog/api';
import { CommandError } from '../../kube/errors.ts';
import type { RegisterCommand } from '../types.ts';
import { confirm, decisionLine, dryRunOption, getEpisode, interactive, sendDecision, target, type DryRun } from './common.ts';

export const registerCancel: RegisterCommand = (program, io) => {
  program
    .command('cancel')
    .description('Stop an Episode for good: its running stage Jobs are deleted and it cannot be resumed.')
    .argument('<episode>', 'the Episode')
    .option('-y, --yes', 'do not ask for confirmation')
    .addOption(dryRunOption())
    .action(async (name: string, options: { yes?: boolean; dryRun: DryRun }) => {
      const t = target(io);
      const episode = await getEpisode(t, name);
      const decision = decideCancel(episode, undefined, {}, new Date());
      if (decision.outcome === 'refused') throw new CommandError(decision.message);
      if (decision.outcome === 'patch') {
        if (!options.yes && options.dryRun === 'none' && interactive(io)) {
          const where = episode.status?.currentStage ? `, at ${episode.status.currentStage}` : '';
          const question = `Cancel episode ${name} in namespace ${t.namespace} (${phaseOf(episode)}${where})? It cannot be resumed.`;
          if (!(await confirm(io, question))) throw new CommandError(`episode ${name} was not cancelled`);
        }
        await sendDecision(t, name, decision, options.dryRun);
      }
      io.stdout.write(decisionLine(name, decision, options.dryRun));
    });
};
