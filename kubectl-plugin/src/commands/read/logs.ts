// `kubectl acog logs EPISODE [--stage S] [--attempt N] [-f]`: the log of a stage's runner pod.
// The stage's Job is found by the labels the operator sets (LABELS), its pod by the Job's
// job-name label; each step that finds nothing says what that means for the episode.
import { InvalidArgumentError, Option } from 'commander';
import { BatchV1Api, CoreV1Api, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { LABELS, labelValue, STAGES, type Episode, type StageName } from '@acog/api';
import type { Connection } from '../../kube/config.ts';
import { CommandError, explainApiError } from '../../kube/errors.ts';
import type { CommandIO, RegisterCommand } from '../types.ts';
import { getObject, interruption, orderedStages, type StageStatus } from './common.ts';
import { PodLogError, streamPodLog } from './pod-log.ts';

interface LogsOptions {
  stage?: StageName;
  attempt?: number;
  follow?: boolean;
  tail?: number;
  timestamps?: boolean;
}

function wholeNumber(minimum: number) {
  return (value: string): number => {
    const number = Number(value);
    if (!Number.isInteger(number) || number < minimum) throw new InvalidArgumentError(`must be a whole number from ${minimum}`);
    return number;
  };
}

/** The stage whose log to show when none is named: the running one, else the one waiting now, else the last started. */
export function defaultStage(episode: Episode): StageName {
  const name = episode.metadata.name;
  const stages = orderedStages(episode.status);
  const running = stages.filter((stage) => stage.phase === 'Running');
  if (running.length === 1) return running[0].name;
  if (running.length > 1) {
    throw new CommandError(`episode ${name} runs several stages now (${running.map((s) => s.name).join(', ')}): choose one with --stage`);
  }
  const current =
    episode.status?.currentStage
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean) ?? [];
  if (current.length === 1 && (STAGES as readonly string[]).includes(current[0])) return current[0] as StageName;
  const started = stages.filter((stage) => stage.startedAt || stage.jobName);
  if (!started.length) {
    throw new CommandError(
      current.length > 1
        ? `episode ${name} waits at several stages (${current.join(', ')}): choose one with --stage`
        : `episode ${name} has not started any stage yet${episode.status?.phase ? ` (phase ${episode.status.phase})` : ''}`,
    );
  }
  return started.reduce((latest, stage) => ((stage.startedAt ?? '') >= (latest.startedAt ?? '') ? stage : latest)).name;
}

function attemptOf(job: V1Job): number {
  return Number(job.metadata?.labels?.[LABELS.attempt] ?? 0) || 0;
}

function created(object: V1Job | V1Pod): number {
  return object.metadata?.creationTimestamp ? new Date(object.metadata.creationTimestamp).getTime() : 0;
}

async function findJob(
  connection: Connection,
  episode: string,
  stage: StageName,
  attempt: number | undefined,
  stageStatus: StageStatus | undefined,
): Promise<V1Job> {
  const namespace = connection.namespace;
  let jobs: V1Job[];
  try {
    const list = await connection.kc
      .makeApiClient(BatchV1Api)
      .listNamespacedJob({ namespace, labelSelector: `${LABELS.episode}=${labelValue(episode)},${LABELS.stage}=${stage}` });
    jobs = list.items;
  } catch (error) {
    throw explainApiError(error, `the Jobs of episode ${episode} in namespace "${namespace}"`);
  }
  if (!jobs.length) {
    const why =
      stageStatus?.phase === 'AwaitingApproval'
        ? ` (it waits for approval)`
        : stageStatus?.phase === 'Skipped'
          ? ' (the episode skips it)'
          : '';
    throw new CommandError(`stage ${stage} has not started: no Job yet${why}`);
  }
  const chosen = attempt === undefined ? jobs : jobs.filter((job) => attemptOf(job) === attempt);
  if (!chosen.length) {
    const attempts = [...new Set(jobs.map(attemptOf))].sort((a, b) => a - b);
    throw new CommandError(
      `stage ${stage} has no attempt ${attempt}: its Jobs are attempt${attempts.length > 1 ? 's' : ''} ${attempts.join(', ')}`,
    );
  }
  return chosen.reduce((best, job) =>
    attemptOf(job) > attemptOf(best) || (attemptOf(job) === attemptOf(best) && created(job) > created(best)) ? job : best,
  );
}

async function findPod(connection: Connection, job: V1Job, stage: StageName): Promise<V1Pod> {
  const namespace = connection.namespace;
  const jobName = job.metadata!.name!;
  const api = connection.kc.makeApiClient(CoreV1Api);
  const pods = new Map<string, V1Pod>();
  try {
    for (const label of ['batch.kubernetes.io/job-name', 'job-name']) {
      for (const pod of (await api.listNamespacedPod({ namespace, labelSelector: `${label}=${jobName}` })).items)
        pods.set(pod.metadata!.uid ?? pod.metadata!.name!, pod);
    }
  } catch (error) {
    throw explainApiError(error, `the pods of job ${jobName} in namespace "${namespace}"`);
  }
  if (!pods.size) {
    const finished = job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
    if (finished) {
      throw new CommandError(
        `job ${jobName} (stage ${stage}, attempt ${attemptOf(job)}) finished (${finished.type}) and its pod is gone: its log went with it`,
      );
    }
    throw new CommandError(
      `job ${jobName} (stage ${stage}, attempt ${attemptOf(job)}) has no pod yet: the Job controller has not created it`,
    );
  }
  return [...pods.values()].reduce((newest, pod) => (created(pod) > created(newest) ? pod : newest));
}

/** Why the API server would not give a pod's log, in words. */
function logRefusal(error: unknown, pod: V1Pod, server: string | undefined): CommandError {
  const name = pod.metadata!.name!;
  const node = pod.spec?.nodeName;
  if (error instanceof PodLogError) {
    if (error.code === 403) return new CommandError(`forbidden: ${error.message}`);
    if (error.code === 401)
      return new CommandError("the API server did not accept your credentials (401): log in again or check the kubeconfig's user");
    if (/dial tcp|connection refused|no route to host|i\/o timeout|containerLogs/.test(error.message)) {
      return new CommandError(
        `cannot read the log of pod ${name}: the API server cannot reach the kubelet of node ${node ?? '<none>'}: ${error.message}`,
      );
    }
    if (error.code === 404 && node) {
      return new CommandError(`cannot read the log of pod ${name}: the API server does not know its node "${node}" (${error.message})`);
    }
    return new CommandError(`cannot read the log of pod ${name}${node ? ` on node ${node}` : ''} (${error.code}): ${error.message}`);
  }
  return explainApiError(error, `the log of pod ${name}`, server);
}

async function run(io: CommandIO, name: string, options: LogsOptions): Promise<void> {
  const connection = io.connection();
  if (connection.allNamespaces) throw new CommandError('logs reads one episode: drop -A and name its namespace with -n');
  const episode = await getObject<Episode>(connection, 'episode', name);
  const stage = options.stage ?? defaultStage(episode);
  const stageStatus = episode.status?.stages?.find((s) => s.name === stage);
  const job = await findJob(connection, name, stage, options.attempt, stageStatus);
  const pod = await findPod(connection, job, stage);
  const podName = pod.metadata!.name!;
  const containers = pod.spec?.containers ?? [];
  const container = containers.find((c) => c.name === stage || c.name === 'runner') ?? containers[0];
  if (!container) throw new CommandError(`pod ${podName} has no containers`);
  if (!options.stage || options.attempt === undefined) {
    io.stderr.write(`stage ${stage}, attempt ${attemptOf(job)}: pod ${podName}\n`);
  }
  const stop = interruption();
  try {
    const result = await streamPodLog(
      connection.kc,
      {
        namespace: connection.namespace,
        pod: podName,
        container: container.name,
        follow: options.follow,
        tailLines: options.tail,
        timestamps: options.timestamps,
      },
      io.stdout,
      stop.signal,
    );
    if (result === 'empty' && !pod.spec?.nodeName) {
      throw new CommandError(
        `pod ${podName} has no node yet: it is not scheduled, so no container ran and there is no log (phase ${pod.status?.phase ?? 'Pending'})`,
      );
    }
    if (result === 'aborted') throw new CommandError('interrupted', 130);
  } catch (error) {
    if (error instanceof CommandError) throw error;
    throw logRefusal(error, pod, connection.kc.getCurrentCluster()?.server);
  } finally {
    stop.dispose();
  }
}

export const registerLogs: RegisterCommand = (program, io) => {
  program
    .command('logs')
    .description("Print the log of a stage's runner pod (the running or last stage, newest attempt, unless told).")
    .argument('<episode>', 'the name of the Episode')
    .addOption(new Option('--stage <stage>', 'the stage').choices([...STAGES]))
    .option('--attempt <n>', 'the attempt (default: the newest)', wholeNumber(1))
    .option('-f, --follow', 'keep printing as the pod writes, until it ends or Ctrl-C')
    .option('--tail <lines>', 'only the last lines', wholeNumber(0))
    .option('--timestamps', 'prefix each line with its time')
    .addHelpText(
      'after',
      '\nExamples:\n  kubectl acog logs how-indexes-work\n  kubectl acog logs how-indexes-work --stage voice --attempt 2\n  kubectl acog logs how-indexes-work -f',
    )
    .action((name: string, options: LogsOptions) => run(io, name, options));
};
