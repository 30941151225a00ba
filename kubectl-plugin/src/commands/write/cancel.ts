// kubectl acog cancel: stops an Episode for good (spec.cancel: true); the operator deletes its
// running Jobs and the phase becomes Cancelled. Asks first on a terminal, unless --yes.
import { FINISHED_PHASES } from '@acog/api';
import { CommandError } from '../../kube/errors.ts';
import type { RegisterCommand } from '../types.ts';
import {
  confirm,
  dryRunOption,
  dryRunSuffix,
  getEpisode,
  interactive,
  mergePatchEpisode,
  phaseOf,
  resourceRef,
  target,
  type DryRun,
} from './common.ts';

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
      const phase = phaseOf(episode);
      if (FINISHED_PHASES.includes(phase))
        throw new CommandError(`episode ${name} already finished (${phase}); there is nothing to cancel`);
      if (episode.spec.cancel) throw new CommandError(`episode ${name} is already being cancelled (phase ${phase})`);
      if (!options.yes && options.dryRun === 'none' && interactive(io)) {
        const where = episode.status?.currentStage ? `, at ${episode.status.currentStage}` : '';
        const ok = await confirm(io, `Cancel episode ${name} in namespace ${t.namespace} (${phase}${where})? It cannot be resumed.`);
        if (!ok) throw new CommandError(`episode ${name} was not cancelled`);
      }
      if (options.dryRun !== 'client') await mergePatchEpisode(t, name, { spec: { cancel: true } }, options.dryRun);
      io.stdout.write(`${resourceRef('Episode', name)} cancelled${dryRunSuffix(options.dryRun)}\n`);
    });
};
