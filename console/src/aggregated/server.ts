// The gateway's aggregated API, history.acog.dev/v1alpha1, served over TLS to the API server's
// aggregation layer (an APIService in the chart): `kubectl acog history`, `spend` and `pulse ls` reach it with
// whatever credential the user's kubeconfig holds (client certificate, token, exec plugin, OIDC),
// because the API server authenticates them and passes the user on in X-Remote-* headers over its
// front-proxy client certificate. Each request is then the public API's own route (history, spend, pulse),
// authorized per namespace with a SubjectAccessReview for that user; nothing else is reachable here.
import { readFile } from 'node:fs/promises';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { HISTORY_API, HISTORY_GROUP, VERSION } from '@acog/api';
import { API, FRONT_PROXY_USER } from '../http/context.ts';
import { HttpError, notFound } from '../http/errors.ts';
import type { Logger } from '../observability/logger.ts';
import {
  AUTHENTICATION_CONFIGMAP,
  remoteUser,
  requestHeaderConfig,
  requireFrontProxy,
  type RequestHeaderConfig,
} from './request-header.ts';

/** What may be read through the APIService: the archive, spend and pulse decisions of one namespace, nothing else. */
const DELEGATED = /^\/namespaces\/([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/(history(\/.*)?|spend|pulse)$/;
/** Request headers passed on to the route: content negotiation and ranges of a video, no identity. */
const PASSED_HEADERS = ['accept', 'range', 'if-none-match', 'if-modified-since'];

export interface AggregatedApiOptions {
  kubeConfig: KubeConfig;
  host: string;
  /** 0 picks a free one. */
  port: number;
  /** PEM files of the serving certificate (the APIService's caBundle signs it) and its key. */
  certFile: string;
  keyFile: string;
  /** The public API (createApp): the delegated routes are its own. */
  fetch: (request: Request, env: Record<string, unknown>) => Response | Promise<Response>;
  log: Logger;
  /** How often the API server's requestheader settings and the serving certificate are read again. */
  refreshMs?: number;
}

export interface AggregatedApi {
  address: string;
  port: number;
  stop(): Promise<void>;
}

/** A Kubernetes Status for the errors this server answers itself (what kubectl shows). */
function status(c: Context, error: HttpError): Response {
  const reason = error.status === 401 ? 'Unauthorized' : error.status === 404 ? 'NotFound' : error.reason;
  const message = (error.body() as { error: { message: string } }).error.message;
  return c.json(
    { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code: error.status },
    error.status as 401,
  );
}

/** Discovery: the group and its version. It lists no resources: the routes answer the gateway's JSON, not Kubernetes objects for `kubectl get`. */
export const API_GROUP = {
  kind: 'APIGroup',
  apiVersion: 'v1',
  name: HISTORY_GROUP,
  versions: [{ groupVersion: `${HISTORY_GROUP}/${VERSION}`, version: VERSION }],
  preferredVersion: { groupVersion: `${HISTORY_GROUP}/${VERSION}`, version: VERSION },
};
export const API_RESOURCES = { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: `${HISTORY_GROUP}/${VERSION}`, resources: [] };

async function readRequestHeaderConfig(kubeConfig: KubeConfig): Promise<RequestHeaderConfig> {
  const configMap = await kubeConfig
    .makeApiClient(CoreV1Api)
    .readNamespacedConfigMap(AUTHENTICATION_CONFIGMAP)
    .catch((error: unknown) => {
      throw new Error(
        `cannot read ${AUTHENTICATION_CONFIGMAP.namespace}/${AUTHENTICATION_CONFIGMAP.name} (the gateway's ServiceAccount needs the Role extension-apiserver-authentication-reader): ${(error as Error).message.split('\n')[0]}`,
        { cause: error },
      );
    });
  return requestHeaderConfig(configMap.data);
}

export async function startAggregatedApi(options: AggregatedApiOptions): Promise<AggregatedApi> {
  let config = await readRequestHeaderConfig(options.kubeConfig);
  const secureContext = async () => ({
    cert: await readFile(options.certFile),
    key: await readFile(options.keyFile),
    ca: config.clientCa,
  });

  const app = new Hono<{ Bindings: { incoming: IncomingMessage } }>();
  app.onError((error, c) => {
    if (error instanceof HttpError) return status(c, error);
    options.log.error({ path: c.req.path, error: error.message }, 'aggregated API request failed');
    return status(c, new HttpError(500, 'InternalError', error.message));
  });
  app.use('*', async (c, next) => {
    const socket = c.env.incoming.socket as TLSSocket;
    const commonName = socket.getPeerCertificate()?.subject?.CN as string | string[] | undefined;
    requireFrontProxy(
      {
        authorized: socket.authorized,
        commonName: Array.isArray(commonName) ? commonName[0] : commonName,
        error: socket.authorizationError ? String(socket.authorizationError) : undefined,
      },
      config,
    );
    await next();
  });
  // The aggregator reads /apis for aggregated discovery first; a 404 sends it to the group version.
  app.get(`/apis/${HISTORY_GROUP}`, (c) => c.json(API_GROUP));
  app.get(HISTORY_API, (c) => c.json(API_RESOURCES));
  app.on(['GET', 'HEAD'], `${HISTORY_API}/*`, async (c) => {
    const path = c.req.path.slice(HISTORY_API.length);
    if (!DELEGATED.test(path))
      throw notFound(`${c.req.path} is not served: ${HISTORY_API}/namespaces/NAMESPACE/history[/UID], /spend and /pulse are`);
    const user = remoteUser(c.env.incoming.headersDistinct, config);
    const headers = new Headers();
    for (const name of PASSED_HEADERS) {
      const value = c.req.header(name);
      if (value !== undefined) headers.set(name, value);
    }
    const url = new URL(c.req.url);
    return options.fetch(new Request(new URL(`${API}${path}${url.search}`, url), { method: c.req.method, headers }), {
      [FRONT_PROXY_USER]: user,
    });
  });
  app.all('*', (c) => {
    throw notFound(`${c.req.method} ${c.req.path} is not served by ${HISTORY_GROUP}`);
  });

  const { host, port } = options;
  const server = await new Promise<Server>((resolve, reject) => {
    void secureContext().then((context) => {
      const s = serve(
        {
          fetch: app.fetch,
          hostname: host,
          port,
          createServer: createHttpsServer,
          // The client certificate is asked for, checked against the requestheader CA, and decided on per request.
          serverOptions: { ...context, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' },
        },
        () => resolve(s as Server),
      ) as Server;
      s.once('error', reject);
    }, reject);
  });
  // The API server may rotate its front-proxy CA, and cert-manager the serving certificate.
  const refresh = setInterval(() => {
    void readRequestHeaderConfig(options.kubeConfig)
      .then(async (next) => {
        config = next;
        server.setSecureContext(await secureContext());
      })
      .catch((error: unknown) => options.log.warn({ error: (error as Error).message }, 'aggregated API: keeping the settings read before'));
  }, options.refreshMs ?? 60_000);
  refresh.unref();
  const bound = (server.address() as AddressInfo).port;
  options.log.info({ address: `${host}:${bound}`, group: HISTORY_GROUP }, 'aggregated API listening');
  return {
    address: `${host}:${bound}`,
    port: bound,
    stop: () =>
      new Promise<void>((resolve) => {
        clearInterval(refresh);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
