// The console's gateway reached through the API server's service proxy
// (/api/v1/namespaces/<ns>/services/<name>:http/proxy/...), as transport only: `kubectl acog pulse
// send` delivers signed events to /webhooks/pulse this way when no --url is given. The API server
// checks `create services/proxy` on the console's Service; the gateway judges the delivery by its
// HMAC signature, not by who sent it. Reads as the user go through the aggregated API instead
// (history-api.ts, docs/adr/0021).
import { CoreV1Api } from '@kubernetes/client-node';
import { isForbidden } from '@acog/kube';
import type { Connection } from '../kube/config.ts';
import { CommandError, explainApiError } from '../kube/errors.ts';
import { apiServerRequest, judgeAnswer, type Answer } from './api-server-request.ts';

/** The label the chart puts on the console's public Service, by which the plugin finds it. */
export const CONSOLE_SERVICE_SELECTOR = 'app.kubernetes.io/name=acog,app.kubernetes.io/component=console,acog.dev/service=api';
export const CONSOLE_SERVICE_PORT = 'http';

export interface ConsoleService {
  namespace: string;
  name: string;
}

/** `[NAMESPACE/]NAME`, as --console-service and ACOG_CONSOLE_SERVICE take it. */
export function parseConsoleService(value: string, defaultNamespace: string): ConsoleService {
  const match = /^(?:([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/)?([a-z0-9]([-a-z0-9]*[a-z0-9])?)$/.exec(value.trim());
  if (!match) throw new CommandError(`--console-service: "${value}" is not [NAMESPACE/]NAME of a Service`, 2);
  return { namespace: match[1] ?? defaultNamespace, name: match[3] };
}

/** The console's Service: named by the flag or ACOG_CONSOLE_SERVICE, else found by its label. */
export async function findConsoleService(connection: Connection, named: string | undefined): Promise<ConsoleService> {
  if (named) return parseConsoleService(named, connection.namespace);
  const hint =
    'name it with --console-service NAMESPACE/NAME or ACOG_CONSOLE_SERVICE (the Helm release\'s namespace and "<release>-console", e.g. acog/acog-console)';
  let items;
  try {
    items = (await connection.kc.makeApiClient(CoreV1Api).listServiceForAllNamespaces({ labelSelector: CONSOLE_SERVICE_SELECTOR })).items;
  } catch (error) {
    if (isForbidden(error)) throw new CommandError(`you may not list Services in every namespace to find the ACOG console: ${hint}`);
    throw explainApiError(error, 'the ACOG console Service', connection.kc.getCurrentCluster()?.server);
  }
  if (items.length === 0)
    throw new CommandError(
      `no ACOG console Service (label ${CONSOLE_SERVICE_SELECTOR}) in the cluster: is the console installed? Or ${hint}`,
    );
  if (items.length > 1) {
    const found = items.map((item) => `${item.metadata?.namespace}/${item.metadata?.name}`).join(', ');
    throw new CommandError(`several ACOG console Services (${found}): pick one with --console-service NAMESPACE/NAME`);
  }
  return { namespace: items[0].metadata!.namespace!, name: items[0].metadata!.name! };
}

/** The proxy path of a gateway path (which starts with /api/v1/...). */
export function proxyPath(service: ConsoleService, path: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(service.namespace)}/services/${encodeURIComponent(service.name)}:${CONSOLE_SERVICE_PORT}/proxy${path}`;
}

/** One request to the console's gateway through the service proxy, with the kubeconfig's credentials. */
export function proxyRequest(
  connection: Connection,
  service: ConsoleService,
  path: string,
  init: { method: string; headers?: Record<string, string>; body?: string },
): Promise<Answer> {
  return apiServerRequest(connection, proxyPath(service, path), 'the ACOG console', init);
}

/** The gateway's JSON answer, or a CommandError: the gateway's own message, else what the API server said and what to do. */
export function gatewayAnswer<T>(service: ConsoleService, answer: Answer): T {
  const judged = judgeAnswer<T>(answer);
  if (judged.ok) return judged.value;
  const { status } = answer;
  const { message } = judged;
  // Not the gateway's answer: the API server's own (no right to the proxy, no such Service, no endpoints).
  if (status === 403)
    throw new CommandError(
      `forbidden: ${message}: delivering through the API server needs create on services/proxy of ${service.namespace}/${service.name}: ask an admin, or send straight to the gateway with --url`,
    );
  if (status === 404) throw new CommandError(`the console Service ${service.namespace}/${service.name} was not found: ${message}`);
  if (status === 503)
    throw new CommandError(
      `the console Service ${service.namespace}/${service.name} cannot be reached (${message}): is the console running?`,
    );
  throw new CommandError(`the API server answered ${status} for the console: ${message}`);
}
