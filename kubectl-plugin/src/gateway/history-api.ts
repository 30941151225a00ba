// The console gateway's aggregated API, history.acog.dev (an APIService the chart registers): read
// through the API server like any Kubernetes API, with the kubeconfig's own credentials of any kind
// (client certificate, token, exec plugin, OIDC). The API server authenticates the user, checks its
// own RBAC for the group (the chart grants it to every authenticated user), and passes the user on
// to the gateway, which authorizes each namespace with a SubjectAccessReview (docs/adr/0021).
import { HISTORY_API, HISTORY_GROUP, VERSION } from '@acog/api';
import type { Connection } from '../kube/config.ts';
import { CommandError } from '../kube/errors.ts';
import { apiServerRequest, judgeAnswer } from './api-server-request.ts';

const APISERVICE = `${VERSION}.${HISTORY_GROUP}`;

/** GETs a path of history.acog.dev (e.g. /namespaces/NS/history) as the user; the answer's JSON, or a CommandError that says what to do. */
export async function historyApiGet<T>(connection: Connection, path: string): Promise<T> {
  const answer = await apiServerRequest(connection, `${HISTORY_API}${path}`, 'the ACOG history API');
  const judged = judgeAnswer<T>(answer);
  if (judged.ok) return judged.value;
  const { status } = answer;
  const { message } = judged;
  // Not the gateway's answer: the API server's own Status (not signed in, no right, no APIService, console down).
  if (status === 401) throw new CommandError(`the API server did not accept your credentials: ${message}`);
  if (status === 403)
    throw new CommandError(
      `forbidden: ${message}: reading history.acog.dev needs get and list on its history, spend and pulse (the chart grants them to every authenticated user; ask your cluster admin)`,
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

/**
 * Lists a namespace's collection of history.acog.dev (history, pulse) page by page, 500 at most a
 * page, until `limit` items or the last page; `continue` is the token of the next page, if any.
 */
export async function historyApiList<T>(
  connection: Connection,
  collection: 'history' | 'pulse',
  filters: Record<string, string | undefined>,
  limit: number,
): Promise<{ items: T[]; continue?: string }> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(filters)) if (value) query.set(name, value);
    query.set('limit', String(Math.min(500, limit - items.length)));
    if (token) query.set('continue', token);
    const page = await historyApiGet<{ items: T[]; continue?: string }>(
      connection,
      `/namespaces/${encodeURIComponent(connection.namespace)}/${collection}?${query.toString()}`,
    );
    items.push(...page.items);
    token = page.continue;
  } while (token && items.length < limit);
  return { items, continue: token };
}
