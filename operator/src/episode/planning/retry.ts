import type { Channel, Episode, RetryPolicy } from '@acog/api';

export const DEFAULT_RETRY_POLICY: Required<RetryPolicy> = { maxAttempts: 3, backoffSeconds: 30, maxBackoffSeconds: 600 };

export function retryPolicyOf(channel: Channel | undefined, episode: Episode): Required<RetryPolicy> {
  return { ...DEFAULT_RETRY_POLICY, ...channel?.spec.retryPolicy, ...episode.spec.overrides?.retryPolicy };
}

/** The wait before the attempt after `failures` failed ones: doubled each time, capped. */
export function retryDelaySeconds(policy: Required<RetryPolicy>, failures: number): number {
  return Math.min(policy.maxBackoffSeconds, policy.backoffSeconds * 2 ** Math.max(0, failures - 1));
}
