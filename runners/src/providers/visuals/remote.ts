// What the network providers of this folder (HeyGen, Pexels, Runway) share on top of ProviderHttp.
import type { SecretRef } from '@acog/api';
import { ProviderHttp } from '../http.ts';
import { guardedFetch, networkPolicy } from '../network-policy.ts';
import { sleep } from '@acog/kube/backoff';

/** Says where a key comes from, for messages: "PEXELS_API_KEY (key PEXELS_API_KEY of Secret stock-keys)". */
export function credentialHint(envName: string, secretRef?: SecretRef): string {
  return secretRef
    ? `${envName} (key ${secretRef.key ?? envName} of Secret ${secretRef.name})`
    : `${envName} (from the Secret named in the Channel's providers)`;
}

/**
 * A client for media URLs (signed storage links, stock files): no provider credentials, which
 * must not travel to another host, and a long timeout for big files. The URLs come from the
 * provider's answers, so every request and redirect goes only to public addresses, or to those
 * the runner's ACOG_ALLOW_PRIVATE_NETWORKS allows (network-policy.ts).
 */
export function mediaClient(
  provider: string,
  env: Record<string, string | undefined>,
  options: { fetch?: typeof fetch; retry?: ProviderHttp['options']['retry'] } = {},
): ProviderHttp {
  return new ProviderHttp({
    provider,
    baseUrl: 'http://localhost/',
    timeoutMs: 15 * 60_000,
    fetch: guardedFetch(networkPolicy(env), `${provider}'s media URL`, options.fetch),
    retry: options.retry,
  });
}

/** The wait before the next status poll: grows by `factor` from `min` up to `max`. */
export function nextPollDelay(previous: number | undefined, bounds: { min: number; max: number; factor?: number }): number {
  if (previous === undefined) return bounds.min;
  return Math.max(bounds.min, Math.min(bounds.max, Math.round(previous * (bounds.factor ?? 1.5))));
}

/**
 * Sleeps `ms`, or less when `wake` resolves first (a webhook saying the job is done); resolves
 * true when woken. Never waits past `deadline` (epoch ms). A wake that has resolved wakes every
 * later call at once: pass it only until it has.
 */
export async function waitOrWake(
  ms: number,
  options: { wake?: Promise<unknown>; deadline: number; signal?: AbortSignal },
): Promise<boolean> {
  const wait = Math.max(0, Math.min(ms, options.deadline - Date.now()));
  if (!options.wake) {
    await sleep(wait, options.signal);
    return false;
  }
  const controller = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
  const slept = sleep(wait, signal).then(
    () => false,
    (error: unknown) => {
      if (options.signal?.aborted) throw error;
      return false;
    },
  );
  // A wake that fails leaves the sleep to decide.
  const woken = options.wake.then(
    () => true,
    () => new Promise<boolean>(() => undefined),
  );
  const result = await Promise.race([slept, woken]);
  controller.abort();
  await slept.catch(() => undefined);
  return result;
}
