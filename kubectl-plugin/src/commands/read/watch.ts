// `kubectl acog watch EPISODE`: the episode's stages live, until it succeeds (exit 0), fails or is
// cancelled (exit 1). A line per stage redrawn on a terminal, a plain line per change otherwise:
// the display of `render` (render/progress.ts) fed from a watch on the one object.
import type { Episode, StageName } from '@acog/api';
import { FINISHED_PHASES, STAGES } from '@acog/api';
import { createProgressDisplay, type ProgressDisplay, type StageLine } from '../../render/progress.ts';
import { CommandError } from '../../kube/errors.ts';
import type { CommandIO, RegisterCommand } from '../types.ts';
import {
  approveCommand,
  collectionPath,
  duration,
  interruption,
  listObjects,
  money,
  notFound,
  orderedStages,
  secondsBetween,
  type StageStatus,
} from './common.ts';
import { watchLoop } from './watch-loop.ts';

/** How a stage of the status shows in the progress display. */
export function stageLine(stage: StageStatus, episode: string, namespace: string): Partial<StageLine> {
  const seconds = secondsBetween(stage.startedAt, stage.finishedAt) ?? 0;
  const attempt = stage.attempt && stage.attempt > 1 ? `attempt ${stage.attempt}` : undefined;
  switch (stage.phase) {
    case 'Running':
      return { state: 'running', detail: [attempt, stage.provider].filter(Boolean).join(', ') || undefined };
    case 'Succeeded':
      return {
        state: 'succeeded',
        seconds,
        detail: [stage.provider, stage.costUSD ? money(stage.costUSD) : undefined].filter(Boolean).join(', ') || undefined,
      };
    case 'Failed':
      return { state: 'failed', seconds, detail: [attempt, stage.message ?? 'failed'].filter(Boolean).join(': ') };
    case 'Cancelled':
      return { state: 'failed', seconds, detail: 'cancelled' };
    case 'AwaitingApproval':
      return { state: 'waiting', detail: `awaiting approval: ${approveCommand(episode, stage.name, namespace)}` };
    case 'Blocked':
      return { state: 'waiting', detail: stage.message ? `blocked: ${stage.message}` : 'blocked' };
    default:
      return { state: 'waiting', detail: stage.nextAttemptAt ? `next attempt at ${stage.nextAttemptAt}` : undefined };
  }
}

/** Feeds episode states into a progress display; says when the episode is done. */
class EpisodeProgress {
  private display: ProgressDisplay | undefined;
  private readonly attempts = new Map<StageName, number>();
  private lastPhase: string | undefined;
  private readonly io: CommandIO;
  private readonly interactive: boolean;
  private readonly stream: NodeJS.WriteStream;

  constructor(io: CommandIO) {
    this.io = io;
    this.stream = io.stdout as NodeJS.WriteStream;
    this.interactive = Boolean(this.stream.isTTY);
  }

  /** Shows the new state; true when the episode reached Succeeded, Failed or Cancelled. */
  update(episode: Episode): boolean {
    const name = episode.metadata.name!;
    const namespace = episode.metadata.namespace!;
    const status = episode.status;
    const stages = orderedStages(status).filter((stage) => stage.phase !== 'Skipped');
    if (!this.display && stages.length) {
      this.display = createProgressDisplay(
        STAGES.filter((stage) => stages.some((s) => s.name === stage)),
        this.stream,
        this.interactive,
      );
    }
    for (const stage of stages) {
      const change = stageLine(stage, name, namespace);
      this.display?.update(stage.name, change);
      // The display keeps the time it saw a stage start; the server's start time is the truth.
      if (change.state === 'running' && stage.startedAt)
        this.display?.update(stage.name, { startedAt: new Date(stage.startedAt).getTime() });
      const before = this.attempts.get(stage.name);
      if (!this.interactive && stage.phase === 'Running' && before !== undefined && stage.attempt !== undefined && stage.attempt > before) {
        this.stream.write(`${stage.name}: attempt ${stage.attempt}${stage.message ? ` (${stage.message})` : ''}\n`);
      }
      if (stage.attempt !== undefined) this.attempts.set(stage.name, stage.attempt);
    }
    const phase = status?.phase;
    const changed = phase !== this.lastPhase;
    this.lastPhase = phase;
    if (changed && !this.interactive) {
      if (phase === 'AwaitingApproval') {
        const waiting = stages.filter((stage) => stage.phase === 'AwaitingApproval');
        for (const stage of waiting)
          this.stream.write(`episode ${name} awaits approval before ${stage.name}: ${approveCommand(name, stage.name, namespace)}\n`);
        if (!waiting.length) this.stream.write(`episode ${name} awaits approval${status?.message ? `: ${status.message}` : ''}\n`);
      } else if (phase && !FINISHED_PHASES.includes(phase)) {
        this.stream.write(`episode ${name}: ${phase}${status?.message ? ` (${status.message})` : ''}\n`);
      }
    }
    return FINISHED_PHASES.includes(phase ?? '');
  }

  stop(): void {
    this.display?.stop();
  }
}

function finish(io: CommandIO, episode: Episode): void {
  const name = episode.metadata.name!;
  const status = episode.status!;
  const took = secondsBetween(status.startedAt, status.finishedAt);
  if (status.phase === 'Succeeded') {
    const video = status.youtube?.url ?? status.artifacts?.video;
    io.stdout.write(
      `episode ${name} succeeded${took !== undefined ? ` in ${duration(took)}` : ''}, cost ${money(status.totalCostUSD)}${video ? `: ${video}` : ''}\n`,
    );
    return;
  }
  const verb = status.phase === 'Cancelled' ? 'was cancelled' : 'failed';
  throw new CommandError(`episode ${name} ${verb}${status.message ? `: ${status.message}` : ''}`);
}

export const registerWatch: RegisterCommand = (program, io) => {
  program
    .command('watch')
    .description('Follow an episode stage by stage until it succeeds (exit 0), fails or is cancelled (exit 1).')
    .argument('<episode>', 'the name of the Episode')
    .addHelpText(
      'after',
      '\nExamples:\n  kubectl acog watch how-indexes-work\n  kubectl acog watch how-indexes-work -n team-a && echo published',
    )
    .action(async (name: string) => {
      const connection = io.connection();
      const namespace = connection.namespace;
      const fieldSelector = `metadata.name=${name}`;
      const list = await listObjects<Episode>(connection, 'episode', { namespace, fieldSelector });
      const initial = list.items[0];
      if (!initial) throw notFound('episode', name, namespace);
      const progress = new EpisodeProgress(io);
      io.stdout.write(`Watching episode ${name} in namespace ${namespace} (Ctrl-C stops watching; the episode goes on)\n`);
      let last = initial;
      let deleted = false;
      if (!progress.update(initial)) {
        const stop = interruption();
        try {
          const result = await watchLoop<Episode>({
            kc: connection.kc,
            path: collectionPath('episode', namespace),
            fieldSelector,
            initial: list,
            relist: () => listObjects<Episode>(connection, 'episode', { namespace, fieldSelector }),
            onEvent: (type, episode) => {
              last = episode;
              if (type !== 'DELETED') return progress.update(episode);
              deleted = true;
              return true;
            },
            signal: stop.signal,
            what: `episode "${name}" in namespace "${namespace}"`,
          });
          if (result === 'aborted') {
            progress.stop();
            throw new CommandError(`interrupted: episode ${name} is ${last.status?.phase ?? 'not started'} and goes on without you`, 130);
          }
        } finally {
          stop.dispose();
        }
      }
      progress.stop();
      if (deleted)
        throw new CommandError(`episode ${name} was deleted while being watched (it was ${last.status?.phase ?? 'not started'})`);
      finish(io, last);
    });
};
