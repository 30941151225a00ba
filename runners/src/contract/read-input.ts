// A runner's first step: its input.json. The operator uploads it beside the Job create, not before
// (ADR 0028), so a runner that starts within moments of its Job may find it not there yet: a
// missing input is waited for, for a bounded time, with the one backoff helper; anything else
// (no access, a store that is down, bad JSON, a malformed input) fails at once.
import { withRetry, type RetryOptions } from '@acog/kube/backoff';
import { ArtifactNotFoundError, type ArtifactStore } from '@acog/store';
import type { StageInput } from '@acog/api';
import { checkStageInput, StageFailure } from './run-stage.ts';

/** How long a missing input.json is waited for: up to 10 reads, the waits capped at 8 s (about 20 s in all on average, 40 s at most). */
export const INPUT_WAIT: Pick<RetryOptions, 'attempts' | 'baseDelayMs' | 'maxDelayMs'> = {
  attempts: 10,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
};

export interface ReadInputOptions {
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Overrides INPUT_WAIT (tests use short waits). */
  wait?: Partial<typeof INPUT_WAIT>;
}

/** The checked stage input at `uri`, waiting a bounded time while it does not exist yet. */
export async function readStageInput(
  store: ArtifactStore,
  uri: string,
  stage?: string,
  options: ReadInputOptions = {},
): Promise<StageInput> {
  const wait = { ...INPUT_WAIT, ...options.wait };
  let bytes: Buffer;
  try {
    bytes = await withRetry(() => store.getBytes(uri), {
      ...wait,
      retryable: (error) => error instanceof ArtifactNotFoundError,
      signal: options.signal,
      onRetry: (_error, attempt, delayMs) =>
        options.log?.(`the stage input ${uri} is not there yet (read ${attempt}); reading again in ${delayMs} ms`),
    });
  } catch (error) {
    if (error instanceof ArtifactNotFoundError)
      throw new StageFailure(
        `cannot read the stage input ${uri}: it does not exist after ${wait.attempts} reads; the operator writes it beside the Job ` +
          '(see `kubectl describe episode` and the operator log for why it could not)',
        { cause: error },
      );
    throw new StageFailure(`cannot read the stage input ${uri}: ${(error as Error).message}`, { cause: error });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new StageFailure(`cannot read the stage input ${uri}: not JSON (${(error as Error).message})`, { cause: error });
  }
  return checkStageInput(raw, stage);
}
