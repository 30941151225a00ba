import { InvalidArgumentError } from 'commander';
import { render, RenderError } from '../render/render.ts';
import { CommandError } from '../kube/errors.ts';
import type { RegisterCommand } from './types.ts';

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError('must be a whole number from 1');
  return number;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export const registerRender: RegisterCommand = (program, io) => {
  program
    .command('render')
    .description('Render an episode on this machine: no cluster, no keys (offline providers unless the Channel names real ones).')
    .requiredOption('-f, --filename <path>', 'Channel and Episode manifests: files, folders or - (repeatable)', collect)
    .option('--out <dir>', 'where the video and its files go', 'out')
    .option('--episode <name>', 'which Episode, when the files hold several')
    .option('--concurrency <n>', 'stages run at once', positiveInteger, 2)
    .addHelpText(
      'after',
      `
Examples:
  kubectl acog render -f examples/channel.yaml -f examples/episode.yaml
  kubectl acog render -f examples/ --out /tmp/videos

A second run reuses every stage whose inputs did not change; Ctrl-C stops cleanly.`,
    )
    .action(async (options: { filename: string[]; out: string; episode?: string; concurrency: number }) => {
      const controller = new AbortController();
      const stop = () => controller.abort(new Error('interrupted'));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        const summary = await render({
          files: options.filename,
          out: options.out,
          episode: options.episode,
          concurrency: options.concurrency,
          stderr: io.stderr,
          signal: controller.signal,
          env: io.env,
        });
        const reused = summary.pipeline.reused.length;
        io.stdout.write(`\nRendered ${summary.episode} in ${summary.seconds.toFixed(1)}s${reused ? ` (${reused} stages reused)` : ''}:\n`);
        for (const file of summary.files) io.stdout.write(`  ${file}\n`);
      } catch (error) {
        if (error instanceof RenderError) throw new CommandError(error.message, controller.signal.aborted ? 130 : 1);
        throw error;
      } finally {
        process.removeListener('SIGINT', stop);
        process.removeListener('SIGTERM', stop);
      }
    });
};
