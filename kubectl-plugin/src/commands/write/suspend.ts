// kubectl acog suspend / resume: spec.suspend, as a Job's. Running stages finish; no new one starts.
import { CommandError } from '../../kube/errors.ts';
import type { CommandIO, RegisterCommand } from '../types.ts';
import { dryRunOption, dryRunSuffix, getEpisode, mergePatchEpisode, phaseOf, resourceRef, target, type DryRun } from './common.ts';

async function setSuspend(io: CommandIO, name: string, suspend: boolean, dryRun: DryRun): Promise<void> {
  const t = target(io);
  const episode = await getEpisode(t, name);
  const phase = phaseOf(episode);
  const ref = resourceRef('Episode', name);
  if (suspend && (phase === 'Succeeded' || phase === 'Cancelled'))
    throw new CommandError(`episode ${name} is ${phase}; there is nothing to suspend`);
  if (Boolean(episode.spec.suspend) === suspend) {
    io.stdout.write(`${ref} already ${suspend ? 'suspended' : 'running (not suspended)'}\n`);
    return;
  }
  if (dryRun !== 'client') await mergePatchEpisode(t, name, { spec: { suspend } }, dryRun);
  io.stdout.write(`${ref} ${suspend ? 'suspended' : 'resumed'}${dryRunSuffix(dryRun)}\n`);
  if (suspend && dryRun === 'none') io.stdout.write(`  running stages finish; no new stage starts until kubectl acog resume ${name}\n`);
}

export const registerSuspend: RegisterCommand = (program, io) => {
  program
    .command('suspend')
    .description('Pause an Episode: running stages finish, no new stage starts (spec.suspend: true).')
    .argument('<episode>', 'the Episode')
    .addOption(dryRunOption())
    .action((name: string, options: { dryRun: DryRun }) => setSuspend(io, name, true, options.dryRun));
};

export const registerResume: RegisterCommand = (program, io) => {
  program
    .command('resume')
    .description('Continue a suspended Episode (spec.suspend: false).')
    .argument('<episode>', 'the Episode')
    .addOption(dryRunOption())
    .action((name: string, options: { dryRun: DryRun }) => setSuspend(io, name, false, options.dryRun));
};
