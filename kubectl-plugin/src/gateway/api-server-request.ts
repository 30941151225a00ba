// One HTTPS request to the API server with the kubeconfig's own credentials, its answer read up to a
// bound, and the answer judged: the gateway's JSON, the gateway's own error message, or (for the
// caller to explain) the API server's. Used by the aggregated API (history-api.ts) and the service
// proxy (proxy.ts).
import { request } from 'node:https';
import type { RequestOptions } from 'node:https';
import type { Connection } from '../kube/config.ts';
import { CommandError, explainApiError } from '../kube/errors.ts';

/** The largest answer read from the gateway. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

export interface Answer {
  status: number;
  body: string;
}

/** Sends `path` (with its query) to the kubeconfig's server as the kubeconfig's user. `what` names the target in errors. */
export async function apiServerRequest(
  connection: Connection,
  path: string,
  what: string,
  init: { method: string; headers?: Record<string, string>; body?: string } = { method: 'GET' },
): Promise<Answer> {
  const server = connection.kc.getCurrentCluster()?.server;
  if (!server) throw new CommandError('the kubeconfig names no cluster server');
  const url = new URL(`${server.replace(/\/+$/, '')}${path}`);
  const options: RequestOptions = {
    method: init.method,
    headers: {
      accept: 'application/json',
      ...init.headers,
      ...(init.body !== undefined && { 'content-length': String(Buffer.byteLength(init.body)) }),
    },
  };
  // Whatever the kubeconfig holds: a client certificate and key, a token, an exec plugin's answer.
  await connection.kc.applyToHTTPSOptions(options);
  return new Promise<Answer>((resolve, reject) => {
    const req = request(url, options, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) req.destroy(new Error(`the gateway's answer is larger than ${MAX_ANSWER_BYTES} bytes`));
        else chunks.push(chunk);
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  }).catch((error: unknown) => {
    throw explainApiError(error, what, server);
  });
}

/**
 * The answer's JSON when it is a success; throws the gateway's own message when the gateway refused;
 * else returns the API server's message (its Status, or the start of the body) for the caller to
 * explain by status.
 */
export function judgeAnswer<T>({ status, body }: Answer): { ok: true; value: T } | { ok: false; message: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  if (status >= 200 && status < 300 && parsed !== undefined) return { ok: true, value: parsed as T };
  const gateway = (parsed as { error?: { message?: string } } | undefined)?.error;
  if (gateway?.message) {
    const retry = status === 503 ? ' (the console answered 503: try again shortly)' : '';
    throw new CommandError(`${gateway.message}${retry}`);
  }
  return { ok: false, message: (parsed as { message?: string } | undefined)?.message ?? body.slice(0, 300).trim() };
}
