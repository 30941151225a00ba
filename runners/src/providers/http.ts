// HTTP for every provider client: timeouts, bounded retries with backoff and jitter on 429, 5xx
// and network failures, Retry-After honoured, errors that say what to do (401/403 name the
// secret), and media streamed to disk rather than buffered.
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { DEFAULT_RETRY, withRetry, type RetryOptions } from '@acog/kube/backoff';

/** quota: the account's credit or quota is spent (billing), which no retry can fix. */
export type ProviderErrorKind =
  'auth' | 'quota' | 'rate-limit' | 'server' | 'timeout' | 'network' | 'client' | 'not-found' | 'bad-response';

export class ProviderError extends Error {
  readonly provider: string;
  readonly kind: ProviderErrorKind;
  readonly status?: number;
  readonly retryAfterMs?: number;
  constructor(
    provider: string,
    kind: ProviderErrorKind,
    message: string,
    options: { status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'ProviderError';
    this.provider = provider;
    this.kind = kind;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
  get retryable(): boolean {
    return this.kind === 'rate-limit' || this.kind === 'server' || this.kind === 'timeout' || this.kind === 'network';
  }
}

export function isRetryable(error: unknown): boolean {
  return error instanceof ProviderError && error.retryable;
}

/**
 * Whether a stage failed on a provider's refusal that another attempt with the same input meets
 * again (found along the error's causes): the credential (401, 403), the account's quota or
 * credit, or the request itself as the API validated it (400, 422). The runner then exits with
 * PERMANENT_FAILURE_EXIT_CODE and the operator does not retry it. A render the provider gave up
 * on, a 404 (a task or output that expired) and every passing trouble stay retried: a new attempt
 * starts a new task.
 */
export function isPermanentRefusal(error: unknown): boolean {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 10; cause = cause.cause, depth++) {
    if (!(cause instanceof ProviderError)) continue;
    return cause.kind === 'auth' || cause.kind === 'quota' || (cause.kind === 'client' && (cause.status === 400 || cause.status === 422));
  }
  return false;
}

/** Retry-After is either seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export interface ProviderHttpOptions {
  /** Name shown in messages, e.g. "ElevenLabs". */
  provider: string;
  baseUrl: string;
  /** Where the credential comes from, for messages, e.g. "ELEVENLABS_API_KEY of Secret voice-keys". */
  credential?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
  retry?: Partial<Omit<RetryOptions, 'retryable'>>;
  fetch?: typeof fetch;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/** An onRetry that logs each failed attempt and the wait: "… (429) …; attempt 1 failed, trying again in 1.5 s". */
export function logRetries(log: (line: string) => void): NonNullable<ProviderHttpOptions['onRetry']> {
  return (error, attempt, delayMs) =>
    log(`${(error as Error).message}; attempt ${attempt} failed, trying again in ${(delayMs / 1000).toFixed(1)} s`);
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** Statuses that are an answer, not an error (e.g. 308 of a resumable upload). */
  accept?: number[];
  signal?: AbortSignal;
}

/** The provider's own words from an error body: {error: {message}}, {detail: {message}}, {message}, or text. */
export async function errorDetail(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const pick = (value: unknown): string | undefined => {
      if (typeof value === 'string') return value;
      if (value && typeof value === 'object') {
        const record = value as Record<string, unknown>;
        return pick(record.message) ?? pick(record.detail) ?? pick(record.error) ?? pick(record.status);
      }
      return undefined;
    };
    return pick(body.error) ?? pick(body.detail) ?? pick(body.message) ?? text.slice(0, 500);
  } catch {
    return text.slice(0, 500);
  }
}

export class ProviderHttp {
  readonly options: ProviderHttpOptions;
  constructor(options: ProviderHttpOptions) {
    this.options = options;
  }

  url(path: string, query?: RequestOptions['query']): URL {
    const url = /^https?:\/\//.test(path) ? new URL(path) : new URL(path.replace(/^\//, ''), this.options.baseUrl.replace(/\/?$/, '/'));
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    return url;
  }

  /** Turns a non-success response into a ProviderError with a message that says what to do. */
  async failure(response: Response, method: string, url: URL): Promise<ProviderError> {
    const { provider, credential } = this.options;
    const detail = await errorDetail(response);
    const where = `${method} ${url.pathname}`;
    const status = response.status;
    if (status === 401 || status === 403) {
      const fix = credential ? `check ${credential}` : 'check the API key';
      return new ProviderError(provider, 'auth', `${provider} refused the credentials (${status}) on ${where}: ${detail}; ${fix}`, {
        status,
      });
    }
    if (status === 429) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      return new ProviderError(provider, 'rate-limit', `${provider} is rate-limiting (429) on ${where}: ${detail}`, {
        status,
        retryAfterMs,
      });
    }
    if (status >= 500) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      return new ProviderError(provider, 'server', `${provider} failed (${status}) on ${where}: ${detail}`, { status, retryAfterMs });
    }
    if (status === 404)
      return new ProviderError(provider, 'not-found', `${provider} found nothing (404) at ${where}: ${detail}`, { status });
    return new ProviderError(provider, 'client', `${provider} refused the request (${status}) on ${where}: ${detail}`, { status });
  }

  /** One request with retries; resolves with the response of a 2xx (or accepted) status. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const url = this.url(path, options.query);
    const doFetch = this.options.fetch ?? fetch;
    const retry = { ...DEFAULT_RETRY, ...this.options.retry };
    return withRetry(
      async () => {
        const timeout = AbortSignal.timeout(options.timeoutMs ?? this.options.timeoutMs ?? 60_000);
        const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
        const headers: Record<string, string> = { ...this.options.headers, ...options.headers };
        let body = options.body;
        if (options.json !== undefined) {
          headers['content-type'] = 'application/json';
          body = JSON.stringify(options.json);
        }
        let response: Response;
        try {
          response = await doFetch(url, { method, headers, body, signal, redirect: 'follow' });
        } catch (cause) {
          if (options.signal?.aborted) throw cause;
          // A refusal of the network policy (a guarded fetch) is an answer, not a network failure.
          if (cause instanceof ProviderError) throw cause;
          const timedOut = timeout.aborted;
          throw new ProviderError(
            this.options.provider,
            timedOut ? 'timeout' : 'network',
            `${this.options.provider} ${timedOut ? 'did not answer in time' : 'could not be reached'} on ${method} ${url.pathname}: ${(cause as Error).message}`,
            { cause },
          );
        }
        if (response.ok || options.accept?.includes(response.status)) return response;
        throw await this.failure(response, method, url);
      },
      { ...retry, retryable: isRetryable, signal: options.signal, onRetry: this.options.onRetry },
    );
  }

  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.request(method, path, options);
    const text = await response.text();
    try {
      return JSON.parse(text) as T;
    } catch (cause) {
      throw new ProviderError(
        this.options.provider,
        'bad-response',
        `${this.options.provider} answered ${method} ${path} with something that is not JSON: ${text.slice(0, 200)}`,
        {
          cause,
        },
      );
    }
  }

  /** Streams a response body to a file; the file appears only once complete. */
  async download(path: string, file: string, options: RequestOptions & { method?: string } = {}): Promise<number> {
    const response = await this.request(options.method ?? 'GET', path, options);
    return saveBody(response, file, this.options.provider);
  }
}

/** Streams a response body to a file, refusing one longer than maxBytes; the file appears only once complete. */
export async function saveBody(response: Response, file: string, provider: string, options: { maxBytes?: number } = {}): Promise<number> {
  if (!response.body) throw new ProviderError(provider, 'bad-response', `${provider} sent an empty body`);
  const { maxBytes } = options;
  const tooBig = () => new ProviderError(provider, 'bad-response', `${provider} sent more than the ${maxBytes} bytes allowed`);
  const announced = Number(response.headers.get('content-length'));
  if (maxBytes !== undefined && announced > maxBytes) {
    await response.body.cancel();
    throw tooBig();
  }
  const partial = `${file}.partial`;
  let bytes = 0;
  const counted = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  counted.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (maxBytes !== undefined && bytes > maxBytes) counted.destroy(tooBig());
  });
  try {
    await pipeline(counted, createWriteStream(partial));
    const expected = Number(response.headers.get('content-length'));
    if (expected && bytes !== expected) throw new ProviderError(provider, 'network', `${provider} sent ${bytes} of ${expected} bytes`);
    await rename(partial, file);
    return bytes;
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}
