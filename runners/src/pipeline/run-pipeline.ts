// Runs a whole episode's DAG in one process with the same stage code as the runner Jobs:
// independent stages in parallel, each stage's input written where the operator would write it,
// and a stage whose input hash matches a finished attempt reused instead of run again.
// `kubectl acog render` and the runners' end-to-end tests drive episodes through it.
import {
  activeAncestors,
  activeDependencies,
  activeStages,
  stageBucket,
  stageInputHashes,
  stageKeyPrefix,
  type Channel,
  type Episode,
  type StageInput,
  type StageName,
  type StageResult,
} from '@acog/api';
import { runStage, type StageRuntime } from '../contract/run-stage.ts';
import { STAGE_IMPLEMENTATIONS } from '../stages/stages.ts';
import type { ArtifactStore } from '@acog/store';

export type StageProgress =
  | { stage: StageName; state: 'waiting' }
  | { stage: StageName; state: 'running'; attempt: number }
  | { stage: StageName; state: 'reused' | 'succeeded'; result: StageResult; seconds: number }
  | { stage: StageName; state: 'failed'; attempt: number; message: string; seconds: number };

export interface PipelineOptions extends Omit<StageRuntime, 'log'> {
  /** Stages running at once; the media stages are CPU-bound, so a small number. */
  concurrency?: number;
  /** Attempts per stage before the episode fails (the Channel's retry policy by default). */
  maxAttempts?: number;
  onProgress?: (progress: StageProgress) => void;
  log?: (stage: StageName, line: string) => void;
}

export interface PipelineResult {
  results: Partial<Record<StageName, StageResult>>;
  reused: StageName[];
}

export class PipelineFailure extends Error {
  readonly stage: StageName;
  constructor(stage: StageName, message: string, options?: { cause?: unknown }) {
    super(`${stage} failed: ${message}`, options);
    this.name = 'PipelineFailure';
    this.stage = stage;
  }
}

function location(episode: Episode, uid: string, stage: StageName, attempt: number) {
  return stageKeyPrefix({ namespace: episode.metadata.namespace ?? 'default', episode: episode.metadata.name!, uid, stage, attempt });
}

/** The finished attempts of a stage, newest first, from their result.json files. */
async function finishedAttempts(
  store: ArtifactStore,
  episode: Episode,
  uid: string,
  stage: StageName,
): Promise<{ attempt: number; result?: StageResult }[]> {
  const stagePrefix = location(episode, uid, stage, 0).replace(/0\/$/, '');
  const uris = await store.list(store.uri(stageBucket(stage), stagePrefix));
  const attempts = new Map<number, string | undefined>();
  for (const uri of uris) {
    const match = /\/(\d+)\/([^/]+)$/.exec(uri);
    if (!match) continue;
    const attempt = Number(match[1]);
    attempts.set(attempt, match[2] === 'result.json' ? uri : attempts.get(attempt));
  }
  const out: { attempt: number; result?: StageResult }[] = [];
  for (const [attempt, resultUri] of [...attempts].sort(([a], [b]) => b - a)) {
    out.push({ attempt, result: resultUri ? (JSON.parse((await store.getBytes(resultUri)).toString('utf8')) as StageResult) : undefined });
  }
  return out;
}

export async function runPipeline(channel: Channel, episode: Episode, uid: string, options: PipelineOptions): Promise<PipelineResult> {
  const active = activeStages(channel.spec, episode.spec);
  const hashes = stageInputHashes(channel.spec, episode.spec);
  const results: Partial<Record<StageName, StageResult>> = {};
  const reused: StageName[] = [];
  const started = new Set<StageName>();
  const running = new Map<StageName, Promise<void>>();
  const concurrency = options.concurrency ?? 2;
  const maxAttempts = options.maxAttempts ?? channel.spec.retryPolicy?.maxAttempts ?? 1;
  let failure: PipelineFailure | undefined;

  for (const stage of active) options.onProgress?.({ stage, state: 'waiting' });

  const runOne = async (stage: StageName): Promise<void> => {
    const began = Date.now();
    const seconds = () => (Date.now() - began) / 1000;
    const previous = await finishedAttempts(options.store, episode, uid, stage);
    const match = previous.find((p) => p.result?.inputHash === hashes[stage]);
    if (match?.result) {
      results[stage] = match.result;
      reused.push(stage);
      options.onProgress?.({ stage, state: 'reused', result: match.result, seconds: seconds() });
      return;
    }
    let attempt = (previous[0]?.attempt ?? 0) + 1;
    for (let tries = 1; ; tries++, attempt++) {
      const input: StageInput = {
        stage,
        attempt,
        inputHash: hashes[stage]!,
        episode: { namespace: episode.metadata.namespace ?? 'default', name: episode.metadata.name!, uid, spec: episode.spec },
        channel: { name: channel.metadata.name!, spec: channel.spec },
        upstream: Object.fromEntries(activeAncestors(stage, active).map((ancestor) => [ancestor, results[ancestor]])),
      };
      await options.store.putBytes(
        options.store.uri(stageBucket(stage), `${location(episode, uid, stage, attempt)}input.json`),
        JSON.stringify(input, null, 2),
      );
      options.onProgress?.({ stage, state: 'running', attempt });
      try {
        results[stage] = await runStage(input, STAGE_IMPLEMENTATIONS[stage], { ...options, log: (line) => options.log?.(stage, line) });
        options.onProgress?.({ stage, state: 'succeeded', result: results[stage]!, seconds: seconds() });
        return;
      } catch (error) {
        const message = (error as Error).message;
        options.onProgress?.({ stage, state: 'failed', attempt, message, seconds: seconds() });
        if (tries >= maxAttempts || options.signal?.aborted) throw new PipelineFailure(stage, message, { cause: error });
      }
    }
  };

  const ready = () =>
    active.filter((stage) => !started.has(stage) && activeDependencies(stage, active).every((dependency) => results[dependency]));

  while (!failure) {
    for (const stage of ready()) {
      if (running.size >= concurrency) break;
      started.add(stage);
      running.set(
        stage,
        runOne(stage)
          .catch((error: unknown) => {
            failure ??= error instanceof PipelineFailure ? error : new PipelineFailure(stage, (error as Error).message, { cause: error });
          })
          .finally(() => running.delete(stage)),
      );
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  await Promise.allSettled(running.values());
  if (failure) throw failure;
  return { results, reused };
}
