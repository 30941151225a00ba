// API clients for the operator and the gateway. Every request goes through one middleware that
// counts it by verb, so the metric and the benchmark see each write. Objects travel as plain JSON (the custom
// objects API serves any group, batch and coordination included), as the watch delivers them.
import { createHash } from 'node:crypto';
import {
  CoreV1Api,
  CustomObjectsApi,
  ServerConfiguration,
  KubeConfig,
  Watch,
  createConfiguration,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';

export type RequestVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

export interface KubeClients {
  kubeConfig: KubeConfig;
  custom: CustomObjectsApi;
  core: CoreV1Api;
  watch: Watch;
}

function verbOf(context: RequestContext): RequestVerb {
  const method = context.getHttpMethod();
  const url = context.getUrl();
  switch (method) {
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
    default:
      // A collection ends with a plural; an object ends with its name. The informers' lists are
      // counted by the informers themselves, so a GET here is a list only when it is one.
      return /[?&]watch=true/.test(url) ? 'watch' : 'get';
  }
}

type DispatcherFactory = (cluster: { server?: string } | null, options: Record<string, unknown>) => unknown;

/**
 * @kubernetes/client-node 2.x makes a new undici Agent for every request, so each request pays a
 * TCP connect and a TLS handshake (measured: most of the operator's CPU under load, and seconds of
 * hand-off latency). This keeps one Agent per cluster and TLS settings, so connections are reused
 * with keep-alive, as client-go's transport cache does.
 */
export function reuseConnections(kubeConfig: KubeConfig): KubeConfig {
  const target = kubeConfig as unknown as { createDispatcher: DispatcherFactory; __acogPooled?: boolean };
  if (target.__acogPooled || typeof target.createDispatcher !== 'function') return kubeConfig;
  const create = target.createDispatcher.bind(kubeConfig);
  const pool = new Map<string, unknown>();
  target.createDispatcher = (cluster, options) => {
    const fingerprint = createHash('sha256');
    for (const field of ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'])
      fingerprint.update(`${field}=${String(options[field] ?? '')};`);
    const key = `${cluster?.server}|${fingerprint.digest('hex')}`;
    if (!pool.has(key)) pool.set(key, create(cluster, options));
    return pool.get(key);
  };
  target.__acogPooled = true;
  return kubeConfig;
}

export function createKubeClients(kubeConfig: KubeConfig, onRequest?: (verb: RequestVerb, resource: string) => void): KubeClients {
  reuseConnections(kubeConfig);
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kubeConfig },
    promiseMiddleware: [
      {
        pre: async (context: RequestContext) => {
          const path = new URL(context.getUrl()).pathname.split('/').filter(Boolean);
          const namespaced = path.indexOf('namespaces');
          const resource = namespaced >= 0 && path.length > namespaced + 2 ? path[namespaced + 2] : path[path.length - 1];
          onRequest?.(verbOf(context), resource ?? '');
          return context;
        },
        post: async (context: ResponseContext) => context,
      },
    ],
  });
  return {
    kubeConfig,
    custom: new CustomObjectsApi(configuration),
    core: new CoreV1Api(configuration),
    watch: new Watch(kubeConfig),
  };
}

/** A kubeconfig for the same cluster that authenticates with a bearer token (the gateway's users). */
export function kubeConfigForToken(base: KubeConfig, token: string): KubeConfig {
  const cluster = base.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'user', token }],
    contexts: [{ name: 'user', cluster: cluster.name, user: 'user' }],
    currentContext: 'user',
  });
  return reuseConnections(kubeConfig);
}
