// Streams a container's log from the API server (GET .../pods/NAME/log), as kubectl logs does.
// Written on node:https with the kubeconfig's TLS and credentials rather than the client's Log
// class, which drops the API server's message on most failures; the message is what says why.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

export interface PodLogRequest {
  namespace: string;
  pod: string;
  container: string;
  follow?: boolean;
  tailLines?: number;
  timestamps?: boolean;
}

/** The API server refused the log: its HTTP code and message. */
export class PodLogError extends Error {
  readonly code: number;
  readonly reason: string | undefined;
  constructor(code: number, message: string, reason?: string) {
    super(message);
    this.name = 'PodLogError';
    this.code = code;
    this.reason = reason;
  }
}

export type PodLogResult = 'ended' | 'empty' | 'aborted';

function readBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/**
 * Writes the log to `out` (never ends it). Resolves with 'ended' when the server closes the log
 * (at once without follow; when the container stops with it), 'empty' when the server has no log
 * to give (204: the pod has no node), 'aborted' when the signal stops it. Rejects with a
 * PodLogError when the server refuses, or with the network error.
 */
export async function streamPodLog(
  kc: KubeConfig,
  log: PodLogRequest,
  out: NodeJS.WritableStream,
  signal?: AbortSignal,
): Promise<PodLogResult> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig names no cluster');
  const url = new URL(
    `${cluster.server.replace(/\/$/, '')}/api/v1/namespaces/${encodeURIComponent(log.namespace)}/pods/${encodeURIComponent(log.pod)}/log`,
  );
  url.searchParams.set('container', log.container);
  if (log.follow) url.searchParams.set('follow', 'true');
  if (log.tailLines !== undefined) url.searchParams.set('tailLines', String(log.tailLines));
  if (log.timestamps) url.searchParams.set('timestamps', 'true');
  const options: RequestOptions = { method: 'GET', headers: { accept: '*/*' } };
  await kc.applyToHTTPSOptions(options);
  if (signal?.aborted) return 'aborted';
  const request = url.protocol === 'http:' ? httpRequest : httpsRequest;

  return new Promise<PodLogResult>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const req = request(url, options, (response) => {
      const code = response.statusCode ?? 0;
      if (code === 204) {
        response.resume();
        settle(() => resolve('empty'));
        return;
      }
      if (code !== 200) {
        void readBody(response).then((body) => {
          let message = body.trim();
          let reason: string | undefined;
          try {
            const status = JSON.parse(body) as { message?: string; reason?: string };
            message = status.message ?? message;
            reason = status.reason;
          } catch {
            // not a Status object: the text is the message
          }
          settle(() => reject(new PodLogError(code, message || response.statusMessage || `HTTP ${code}`, reason)));
        });
        return;
      }
      response.on('data', (chunk: Buffer) => out.write(chunk));
      response.on('end', () => settle(() => resolve('ended')));
      response.on('error', (error) => settle(() => (signal?.aborted ? resolve('aborted') : reject(error))));
      response.on('aborted', () => settle(() => resolve(signal?.aborted ? 'aborted' : 'ended')));
    });
    function onAbort() {
      req.destroy();
      settle(() => resolve('aborted'));
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (error) => settle(() => (signal?.aborted ? resolve('aborted') : reject(error))));
    req.end();
  });
}
