// kubectl acog retry: asks the operator to try an Episode again, by annotation. Without --stage
// the failed stages run again; with --stage that stage and everything downstream of it.
import { isStageName, RETRY_REQUESTED_ANNOTATION, RETRY_STAGE_ANNOTATION, STAGES, type StageName } from '@acog/api';
import { CommandError } from '../../kube/errors.ts';
import type { RegisterCommand } from '../types.ts';
import {
  dryRunOption,
  dryRunSuffix,
  findChannel,
  getEpisode,
  list,
  mergePatchEpisode,
  now,
  phaseOf,
  resourceRef,
  stagesRun,
  target,
  withDownstream,
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
      const phase = phaseOf(episode);
      if (phase === 'Cancelled' || episode.spec.cancel) {
        throw new CommandError(`episode ${name} is cancelled; a cancelled episode cannot run again: create a new Episode`);
      }

      let plan: string;
      let stage: StageName | undefined;
      if (options.stage !== undefined) {
        if (!isStageName(options.stage)) throw new CommandError(`"${options.stage}" is not a stage (stages: ${STAGES.join(', ')})`);
        stage = options.stage;
        const runs = stagesRun(episode, episode.status?.stages?.length ? undefined : await findChannel(t, episode.spec.channelRef.name));
        if (!runs.includes(stage)) throw new CommandError(`episode ${name} does not run the ${stage} stage (it runs ${list(runs)})`);
        const downstream = withDownstream(stage).filter((candidate) => candidate !== stage && runs.includes(candidate));
        plan = `the operator runs ${stage} again${downstream.length ? `, then ${list(downstream)} (downstream of it)` : ''}; the stages before it are kept`;
      } else {
        if (phase !== 'Failed') {
          throw new CommandError(
            `episode ${name} is ${phase}; nothing to retry (to run a stage again anyway: kubectl acog retry ${name} --stage <stage>)`,
          );
        }
        const failed = (episode.status?.stages ?? []).filter((entry) => entry.phase === 'Failed');
        const which = failed.length
          ? list(failed.map((entry) => (entry.message ? `${entry.name} (${entry.message})` : entry.name)))
          : 'the failed stages';
        plan = `the operator runs ${which} again, with fresh attempts; finished stages are kept`;
      }

      // A stage left over from an earlier request must not apply to this one: null removes it.
      const patch = { metadata: { annotations: { [RETRY_REQUESTED_ANNOTATION]: now(), [RETRY_STAGE_ANNOTATION]: stage ?? null } } };
      if (options.dryRun !== 'client') await mergePatchEpisode(t, name, patch, options.dryRun);
      io.stdout.write(`${resourceRef('Episode', name)} retry requested${stage ? ` (from ${stage})` : ''}${dryRunSuffix(options.dryRun)}\n`);
      io.stdout.write(`  ${plan}\n`);
      if (episode.spec.suspend) io.stdout.write(`  the episode is suspended: nothing starts until kubectl acog resume ${name}\n`);
    });
};
