// kubectl acog retry: asks the operator to try an Episode again, by annotation. Without --stage
// the failed stages run again; with --stage that stage and everything downstream of it. What it
// does is decided by @acog/api's decideRetry, as for the console; this adds the kubectl words.
import { decideRetry, RETRY_REQUESTED_ANNOTATION, RETRY_STAGE_ANNOTATION } from '@acog/api';
import { CommandError } from '../../kube/errors.ts';
import type { RegisterCommand } from '../types.ts';
import {
  decisionLine,
  dryRunOption,
  dryRunSuffix,
  findChannel,
  getEpisode,
  resourceRef,
  sendDecision,
  target,
  type DryRun,
} from './common.ts';

export const registerRetry: RegisterCommand = (program, io) => {
  program
    .command('retry')
    .description('Try a failed Episode again, or run a stage (and everything after it) again.')
    .argument('<episode>', 'the Episode')
    .option('--stage <stage>', 'run this stage again, and every stage downstream of it')
    .addOption(dryRunOption())
    .addHelpText(
      'after',
      `
Examples:
  kubectl acog retry how-indexes-work                # the failed stages
  kubectl acog retry how-indexes-work --stage voice  # voice, avatar, assemble, upload

Sets the annotations ${RETRY_REQUESTED_ANNOTATION} (now) and, with --stage, ${RETRY_STAGE_ANNOTATION}.`,
    )
    .action(async (name: string, options: { stage?: string; dryRun: DryRun }) => {
      const t = target(io);
      const episode = await getEpisode(t, name);
      // The Channel says which stages run only while the status lists none.
      const needsChannel = options.stage !== undefined && !episode.status?.stages?.length;
      const channel = needsChannel ? await findChannel(t, episode.spec.channelRef.name) : undefined;
      const decision = decideRetry(episode, channel, { stage: options.stage }, new Date());
      if (decision.outcome === 'refused') {
        const hint = decision.reason === 'NotFailed' ? ` (to run a stage again anyway: kubectl acog retry ${name} --stage <stage>)` : '';
        throw new CommandError(decision.message + hint);
      }
      if (decision.outcome === 'unchanged') {
        io.stdout.write(decisionLine(name, decision, options.dryRun));
        return;
      }
      await sendDecision(t, name, decision, options.dryRun);
      const from = decision.stage ? ` (from ${decision.stage})` : '';
      io.stdout.write(`${resourceRef('Episode', name)} retry requested${from}${dryRunSuffix(options.dryRun)}\n`);
      io.stdout.write(`  ${decision.plan}\n`);
      if (episode.spec.suspend) io.stdout.write(`  the episode is suspended: nothing starts until kubectl acog resume ${name}\n`);
    });
};
