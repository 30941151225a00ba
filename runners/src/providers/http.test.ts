import { describe, expect, it } from 'vitest';
import { StageFailure } from '../contract/run-stage.ts';
import { isPermanentRefusal, isRetryable, ProviderError, type ProviderErrorKind } from './http.ts';

describe('which provider failures another attempt would meet again', () => {
  const refusal = (kind: ProviderErrorKind, status?: number) =>
    new ProviderError('OpenAI', kind, `OpenAI: ${kind} ${status ?? ''}`, { status });

  it('counts refusals of the credential, the quota and the validated request, not passing trouble', () => {
    const permanent = [refusal('auth', 401), refusal('auth', 403), refusal('quota', 429), refusal('client', 400), refusal('client', 422)];
    for (const error of permanent) expect(isPermanentRefusal(error), error.message).toBe(true);
    const passing = [
      refusal('rate-limit', 429),
      refusal('server', 503),
      refusal('timeout'),
      refusal('network'),
      refusal('bad-response', 200),
      // An output URL or task that expired: a new attempt makes a new one.
      refusal('not-found', 404),
      // A render the provider gave up on (HeyGen's "failed", Runway's FAILED): a new attempt starts a new one.
      refusal('client'),
      refusal('client', 409),
    ];
    for (const error of passing) expect(isPermanentRefusal(error), error.message).toBe(false);
    // The runner's own retries never retry what the stage gives up on.
    for (const error of permanent) expect(isRetryable(error)).toBe(false);
  });

  it('finds the refusal along the causes, as the stage wraps it', () => {
    const wrapped = new StageFailure('script failed: OpenAI refused the key', {
      cause: new Error('call failed', { cause: refusal('auth', 401) }),
    });
    expect(isPermanentRefusal(wrapped)).toBe(true);
    expect(isPermanentRefusal(new StageFailure('cannot fit the script to the target length'))).toBe(false);
    expect(isPermanentRefusal(new Error('x', { cause: refusal('server', 500) }))).toBe(false);
    expect(isPermanentRefusal('a string')).toBe(false);
  });
});
