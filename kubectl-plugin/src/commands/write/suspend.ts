// kubectl acog suspend / resume: spec.suspend, as a Job's. Running stages finish; no new one starts.
// Decided by @acog/api's decideSuspend and decideResume, as for the console.
import { decideResume, decideSuspend } from '@acog/api';
import { CommandError } from '../../kube/errors.ts';
import type { CommandIO, RegisterCommand } from '../types.ts';
import { decisionLine, dryRunOption, getEpisode, sendDecision, target, type DryRun } from './common.ts';

async function setSuspend(io: CommandIO, name: string, suspend: boolean, dryRun: DryRun): Promise<void> {
  const t = target(io);
  const episode = await getEpisode(t, name);
  const decision = (suspend ? decideSuspend : decideResume)(episode, undefined, {}, new Date());
  if (decision.outcome === 'refused') throw new CommandError(decision.message);
  if (decision.outcome === 'patch') await sendDecision(t, name, decision, dryRun);
  io.stdout.write(decisionLine(name, decision, dryRun));
  if (decision.outcome === 'patch' && suspend && dryRun === 'none')
    io.stdout.write(`  running stages finish; no new stage starts until kubectl acog resume ${name}\n`);
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
