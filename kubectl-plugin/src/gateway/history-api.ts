// The console gateway's aggregated API, history.acog.dev (an APIService the chart registers): read
// through the API server like any Kubernetes API, with the kubeconfig's own credentials of any kind
// (client certificate, token, exec plugin, OIDC). The API server authenticates the user, checks its
// own RBAC for the group (the chart grants it to every authenticated user), and passes the user on
// to the gateway, which authorizes each namespace with a SubjectAccessReview (docs/adr/0021).
import { request } from 'node:https';
import type { RequestOptions } from 'node:https';
import { HISTORY_API, HISTORY_GROUP, VERSION } from '@acog/api';
import type { Connection } from '../kube/config.ts';
import { CommandError, explainApiError } from '../kube/errors.ts';

/** The largest answer read from the gateway. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;
const APISERVICE = `${VERSION}.${HISTORY_GROUP}`;

interface GatewayError {
  error?: { status?: number; reason?: string; message?: string };
}

/** GETs a path of history.acog.dev (e.g. /namespaces/NS/history) as the user; the answer's JSON, or a CommandError that says what to do. */
export async function historyApiGet<T>(connection: Connection, path: string): Promise<T> {
  const server = connection.kc.getCurrentCluster()?.server;
  if (!server) throw new CommandError('the kubeconfig names no cluster server');
  const url = new URL(`${server.replace(/\/+$/, '')}${HISTORY_API}${path}`);
  const options: RequestOptions = { method: 'GET', headers: { accept: 'application/json' } };
  // Whatever the kubeconfig holds: a client certificate and key, a token, an exec plugin's answer.
  await connection.kc.applyToHTTPSOptions(options);
  const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
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
    req.end();
  }).catch((error: unknown) => {
    throw explainApiError(error, 'the ACOG history API', server);
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  if (status >= 200 && status < 300 && parsed !== undefined) return parsed as T;
  const gateway = (parsed as GatewayError | undefined)?.error;
  if (gateway?.message) {
    const retry = status === 503 ? ' (the console answered 503: try again shortly)' : '';
    throw new CommandError(`${gateway.message}${retry}`);
  }
  // Not the gateway's answer: the API server's own Status (not signed in, no right, no APIService, console down).
  const message = (parsed as { message?: string } | undefined)?.message ?? body.slice(0, 300).trim();
  if (status === 401) throw new CommandError(`the API server did not accept your credentials: ${message}`);
  if (status === 403)
    throw new CommandError(
      `forbidden: ${message}: reading history.acog.dev needs get and list on its history and spend (the chart grants them to every authenticated user; ask your cluster admin)`,
    );
  if (status === 404)
    throw new CommandError(
      `the API server does not serve ${HISTORY_GROUP} (${message}): is the ACOG console installed with its APIService? Check with kubectl get apiservice ${APISERVICE}`,
    );
  if (status === 503)
    throw new CommandError(
      `the ACOG console behind ${HISTORY_GROUP} cannot be reached (${message}): is it running? kubectl get apiservice ${APISERVICE} says why`,
    );
  throw new CommandError(`the API server answered ${status} for ${HISTORY_GROUP}: ${message}`);
}
