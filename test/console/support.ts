// The gateway in-process against the local control plane, as the chart runs it: its own identity
// (here the admin user, in a cluster its ServiceAccount) for the informers and the reviews, and
// each request with the token of one of the local users.
import { CoreV1Api, RbacAuthorizationV1Api, type V1PolicyRule } from '@kubernetes/client-node';
import { pino } from 'pino';
import type { UserRole } from '@acog/hack/local-env';
import { startGateway, type Gateway, type GatewayOptions } from '@acog/console';
import { kubeConfig, localEnv } from '../support/env.ts';

export async function startTestGateway(options: Partial<GatewayOptions> = {}): Promise<Gateway> {
  const { s3, nats } = localEnv();
  const gateway = await startGateway({
    kubeConfig: kubeConfig('admin'),
    address: '127.0.0.1:0',
    s3: {
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    },
    natsUrl: nats.url,
    log: pino({ level: 'silent' }),
    processMetrics: false,
    reviewCacheTtlMs: 1_000,
    ...options,
  });
  await gateway.cache.waitForSync();
  return gateway;
}

export function token(user: UserRole): string {
  return localEnv().kubernetes.tokens[user];
}

export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

/** One request as a user (or with no credentials when user is null). */
export async function call<T = Record<string, unknown>>(
  gateway: Gateway,
  user: UserRole | null,
  method: string,
  path: string,
  body?: unknown,
): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  if (user) headers.authorization = `Bearer ${token(user)}`;
  // The gateway takes no write without the console's header (CSRF), however the user signs in.
  if (!['GET', 'HEAD'].includes(method)) headers['x-acog-console'] = '1';
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${gateway.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: the text itself
  }
  return { status: response.status, body: parsed as T, headers: response.headers };
}

/** Polls until `check` returns a value; the error says what was awaited. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * A ServiceAccount in a namespace with a Role of the given rules, and a token of it (TokenRequest):
 * a user with exactly those rights, whose token stops being accepted when `revoke` deletes it.
 */
export async function serviceAccountUser(
  namespace: string,
  name: string,
  rules: V1PolicyRule[],
): Promise<{ token: string; username: string; revoke: () => Promise<void> }> {
  const admin = kubeConfig('admin');
  const core = admin.makeApiClient(CoreV1Api);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  await rbac.createNamespacedRole({ namespace, body: { metadata: { name }, rules } });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    },
  });
  const request = await core.createNamespacedServiceAccountToken({ namespace, name, body: { spec: { expirationSeconds: 3600 } } });
  if (!request.status?.token) throw new Error(`no token for ServiceAccount ${namespace}/${name}`);
  return {
    token: request.status.token,
    username: `system:serviceaccount:${namespace}:${name}`,
    revoke: async () => {
      await core.deleteNamespacedServiceAccount({ namespace, name });
    },
  };
}
