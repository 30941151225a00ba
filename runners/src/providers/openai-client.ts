// The OpenAI connection shared by the OpenAI writer and the OpenAI voice: the official client with
// its own retries off, every call wrapped in the runners' one retry helper, and the client's errors
// turned into ProviderErrors (401/403 name the key and the Secret it comes from).
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { SecretRef } from '@acog/api';
import { ProviderError, isRetryable, parseRetryAfter } from './http.ts';
import { guardedFetch, networkPolicy, NetworkPolicyError } from './network-policy.ts';
import { DEFAULT_RETRY, withRetry, type RetryOptions } from '@acog/kube/backoff';
import { requireSecret, type ProviderContext } from './types.ts';

export const OPENAI_KEY = 'OPENAI_API_KEY';
/** Points every OpenAI client of a runner at another OpenAI-compatible server (a local one, say). */
export const OPENAI_BASE_URL_ENV = 'ACOG_OPENAI_BASE_URL';
export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';
const PROVIDER = 'OpenAI';

export interface OpenAiClientOptions {
  /** Bounds of the retries; the defaults are the runners' (5 attempts, 0.5 s doubling to 30 s). */
  retry?: Partial<Pick<RetryOptions, 'attempts' | 'baseDelayMs' | 'maxDelayMs' | 'maxRetryAfterMs' | 'random' | 'sleep'>>;
  /** Time one request may take, in milliseconds. */
  timeoutMs?: number;
  /**
   * The base URL comes from an Episode's spec, not from its Channel: every request (and redirect)
   * goes only to public addresses, or to those ACOG_ALLOW_PRIVATE_NETWORKS allows (network-policy.ts).
   */
  checkAddresses?: boolean;
}

export interface OpenAiConnection {
  client: OpenAI;
  baseURL: string;
  /** Where the key comes from, for messages: "OPENAI_API_KEY (key OPENAI_API_KEY of Secret x)". */
  credential: string;
  retry: Omit<RetryOptions, 'retryable'>;
}

export function connectOpenAi(
  ctx: Pick<ProviderContext, 'env' | 'log'>,
  settings: { baseURL?: string; secretRef?: SecretRef },
  options: OpenAiClientOptions = {},
): OpenAiConnection {
  const customBaseURL = settings.baseURL ?? ctx.env[OPENAI_BASE_URL_ENV];
  const baseURL = customBaseURL ?? OPENAI_DEFAULT_BASE_URL;
  // OpenAI itself needs a key; a self-hosted OpenAI-compatible server often does not.
  const apiKey = customBaseURL ? ctx.env[OPENAI_KEY] : requireSecret(ctx, OPENAI_KEY, settings.secretRef);
  const credential = settings.secretRef
    ? `${OPENAI_KEY} (key ${settings.secretRef.key ?? OPENAI_KEY} of Secret ${settings.secretRef.name})`
    : `${OPENAI_KEY} (from the Secret named in the Channel's provider secretRef)`;
  const log = (level: string) => (message: string) => ctx.log(`openai client ${level}: ${message}`);
  const client = new OpenAI({
    // Everything explicit, so that nothing is read from the runner's own environment.
    apiKey: apiKey ?? 'unused',
    defaultHeaders: apiKey ? undefined : { Authorization: null },
    baseURL,
    organization: null,
    project: null,
    maxRetries: 0,
    timeout: options.timeoutMs ?? 120_000,
    logger: { error: log('error'), warn: log('warn'), info: log('info'), debug: () => undefined },
    ...(options.checkAddresses ? { fetch: guardedFetch(networkPolicy(ctx.env), `the llm baseURL`) } : {}),
  });
  return { client, baseURL, credential, retry: { ...DEFAULT_RETRY, ...options.retry } };
}

function retryAfterMs(headers: Headers | undefined): number | undefined {
  const milliseconds = Number(headers?.get('retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(milliseconds) && milliseconds >= 0) return milliseconds;
  return parseRetryAfter(headers?.get('retry-after') ?? null);
}

/** The client's errors as ProviderErrors (retryable or not); anything else unchanged. */
export function toProviderError(error: unknown, what: string, credential: string): unknown {
  if (error instanceof ProviderError || error instanceof APIUserAbortError) return error;
  if (error instanceof APIConnectionError && error.cause instanceof NetworkPolicyError) return error.cause;
  if (error instanceof APIConnectionTimeoutError)
    return new ProviderError(PROVIDER, 'timeout', `${PROVIDER} did not answer ${what} in time`, { cause: error });
  if (error instanceof APIConnectionError) {
    const reason = (error.cause as Error | undefined)?.message ?? error.message;
    return new ProviderError(PROVIDER, 'network', `${PROVIDER} could not be reached for ${what}: ${reason}`, { cause: error });
  }
  if (!(error instanceof APIError) || typeof error.status !== 'number') return error;
  const status = error.status;
  const detail = (error.error as { message?: unknown } | undefined)?.message ?? error.message;
  const options = { status, cause: error };
  if (status === 401 || status === 403) {
    return new ProviderError(
      PROVIDER,
      'auth',
      `${PROVIDER} refused the credentials (${status}) for ${what}: ${String(detail)}; check ${credential}`,
      options,
    );
  }
  // 429 is also how OpenAI says the account's credit is spent; waiting does not bring it back.
  if (status === 429 && error.code === 'insufficient_quota') {
    return new ProviderError(
      PROVIDER,
      'quota',
      `${PROVIDER} refused ${what}: the account has no quota left (429 insufficient_quota): ${String(detail)}; check the plan and billing of the organization that owns ${credential} (https://platform.openai.com/settings/organization/billing), then retry the episode`,
      options,
    );
  }
  if (status === 429) {
    return new ProviderError(PROVIDER, 'rate-limit', `${PROVIDER} is rate-limiting (429) ${what}: ${String(detail)}`, {
      ...options,
      retryAfterMs: retryAfterMs(error.headers),
    });
  }
  if (status === 408) return new ProviderError(PROVIDER, 'timeout', `${PROVIDER} timed out (408) on ${what}: ${String(detail)}`, options);
  if (status >= 500) {
    return new ProviderError(PROVIDER, 'server', `${PROVIDER} failed (${status}) on ${what}: ${String(detail)}`, {
      ...options,
      retryAfterMs: retryAfterMs(error.headers),
    });
  }
  if (status === 404)
    return new ProviderError(PROVIDER, 'not-found', `${PROVIDER} found nothing (404) for ${what}: ${String(detail)}`, options);
  return new ProviderError(PROVIDER, 'client', `${PROVIDER} refused ${what} (${status}): ${String(detail)}`, options);
}

/** One OpenAI call with bounded retries on 429 (not insufficient_quota), 5xx, timeouts and network failures. */
export function callOpenAi<T>(
  connection: OpenAiConnection,
  ctx: Pick<ProviderContext, 'log' | 'signal'>,
  what: string,
  operation: (signal: AbortSignal | undefined) => Promise<T>,
): Promise<T> {
  return withRetry(
    async () => {
      try {
        return await operation(ctx.signal);
      } catch (error) {
        throw toProviderError(error, what, connection.credential);
      }
    },
    {
      ...connection.retry,
      retryable: isRetryable,
      signal: ctx.signal,
      onRetry: (error, attempt, delayMs) =>
        ctx.log(`${(error as Error).message}; attempt ${attempt + 1} of ${connection.retry.attempts} in ${(delayMs / 1000).toFixed(1)} s`),
    },
  );
}
