// Who the API server says is asking, when it proxies a request of the aggregated API
// (history.acog.dev) to the gateway: the X-Remote-* headers, believed only over a TLS client
// certificate that the requestheader client CA signed and whose common name is allowed, exactly as
// Kubernetes' own aggregated API servers do (k8s.io/apiserver's requestheader authenticator). The
// configuration is the API server's own, published in kube-system/extension-apiserver-authentication.
import { unauthorized } from '../http/errors.ts';
import type { User } from '../auth/authenticator.ts';

export interface RequestHeaderConfig {
  /** PEM: the CA that signs the API server's front-proxy client certificate. */
  clientCa: string;
  /** Common names the client certificate may carry; empty: any certificate the CA signed. */
  allowedNames: string[];
  usernameHeaders: string[];
  groupHeaders: string[];
  extraHeaderPrefixes: string[];
}

export const AUTHENTICATION_CONFIGMAP = { namespace: 'kube-system', name: 'extension-apiserver-authentication' } as const;

function stringList(data: Record<string, string>, key: string): string[] {
  const value = data[key];
  if (value === undefined || value === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new Error(`${AUTHENTICATION_CONFIGMAP.namespace}/${AUTHENTICATION_CONFIGMAP.name}: ${key} is not a JSON list of strings`);
  }
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string'))
    throw new Error(`${AUTHENTICATION_CONFIGMAP.namespace}/${AUTHENTICATION_CONFIGMAP.name}: ${key} is not a JSON list of strings`);
  return parsed as string[];
}

/** The requestheader settings of the API server, from its extension-apiserver-authentication ConfigMap's data. */
export function requestHeaderConfig(data: Record<string, string> | undefined): RequestHeaderConfig {
  const where = `${AUTHENTICATION_CONFIGMAP.namespace}/${AUTHENTICATION_CONFIGMAP.name}`;
  const clientCa = data?.['requestheader-client-ca-file']?.trim();
  if (!data || !clientCa)
    throw new Error(
      `${where} has no requestheader-client-ca-file: the API server runs without the aggregation layer (start it with --requestheader-client-ca-file and --proxy-client-cert-file)`,
    );
  const config = {
    clientCa,
    allowedNames: stringList(data, 'requestheader-allowed-names'),
    usernameHeaders: stringList(data, 'requestheader-username-headers'),
    groupHeaders: stringList(data, 'requestheader-group-headers'),
    extraHeaderPrefixes: stringList(data, 'requestheader-extra-headers-prefix'),
  };
  if (config.usernameHeaders.length === 0) throw new Error(`${where}: requestheader-username-headers is empty`);
  return config;
}

/** What the TLS layer learnt of the client: whether its certificate chains to the client CA, and its common name. */
export interface PeerCertificate {
  authorized: boolean;
  commonName?: string;
  error?: string;
}

/**
 * The API server's front-proxy client, or a 401: a certificate the requestheader CA signed and, when
 * the API server lists allowed names, one of them. Identity headers from anyone else are never read.
 */
export function requireFrontProxy(peer: PeerCertificate, config: Pick<RequestHeaderConfig, 'allowedNames'>): void {
  if (!peer.authorized)
    throw unauthorized(
      `this port serves the API server's aggregation layer only: a client certificate signed by its requestheader client CA is required (${peer.error ?? 'none was sent'})`,
    );
  if (config.allowedNames.length > 0 && !config.allowedNames.includes(peer.commonName ?? ''))
    throw unauthorized(
      `the client certificate's common name "${peer.commonName ?? ''}" is not among the API server's requestheader-allowed-names`,
    );
}

/**
 * The user the front proxy names in the request's headers (each header's values, as Node's
 * headersDistinct gives them), or a 401 when it names none. Pure.
 */
export function remoteUser(headers: Record<string, string[] | undefined>, config: RequestHeaderConfig): User {
  const values = (name: string) => headers[name.toLowerCase()] ?? [];
  const username = config.usernameHeaders.map((name) => values(name)[0]?.trim()).find(Boolean);
  if (!username) throw unauthorized(`the API server named no user (${config.usernameHeaders.join(', ')})`);
  const groups = config.groupHeaders.flatMap((name) => values(name)).filter(Boolean);
  const extra: Record<string, string[]> = {};
  for (const prefix of config.extraHeaderPrefixes.map((p) => p.toLowerCase())) {
    for (const [name, list] of Object.entries(headers)) {
      if (!name.startsWith(prefix) || name.length === prefix.length || !list) continue;
      // Keys are lower-cased and percent-encoded by the API server (k8s.io/apiserver requestheader).
      const key = decodeURIComponent(name.slice(prefix.length)).toLowerCase();
      extra[key] = [...(extra[key] ?? []), ...list];
    }
  }
  return { username, groups, ...(Object.keys(extra).length ? { extra } : {}), via: 'proxy' };
}
