// Who is asking: the bearer token (Authorization header, or the console's session cookie) checked
// with a TokenReview, or, when configured, the user and groups an authenticating proxy in front of
// the gateway puts in headers (trusted only from the proxy's own addresses). No anonymous access.
// Tokens are kept only as their SHA-256 in the cache and never logged.
import { createHash } from 'node:crypto';
import { AuthenticationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { unauthorized } from '../http/errors.ts';
import { TtlCache } from './ttl-cache.ts';

export interface User {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
  /** The bearer token, when the user came with one: writes go to the API server with it. */
  token?: string;
  via: 'token' | 'proxy';
}

export interface AuthProxyOptions {
  userHeader: string;
  groupsHeader: string;
  /** Remote addresses the proxy connects from; headers from anywhere else are ignored. */
  trustedAddresses: string[];
}

export interface AuthenticatorOptions {
  kubeConfig: KubeConfig;
  /** Audiences the token must be for (TokenReview spec.audiences); empty: the API server's. */
  audiences?: string[];
  proxy?: AuthProxyOptions;
  cacheTtlMs?: number;
  /** Called for each TokenReview sent, for metrics. */
  onReview?: (outcome: 'authenticated' | 'rejected' | 'error') => void;
}

export const SESSION_COOKIE = 'acog_session';

export interface Credentials {
  token?: string;
  proxyUser?: string;
  proxyGroups?: string[];
}

/** The credentials a request carries (pure: headers and the peer address in, credentials out). */
export function credentialsOf(headers: Headers, remoteAddress: string | undefined, proxy?: AuthProxyOptions): Credentials {
  const authorization = headers.get('authorization');
  if (authorization) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) throw unauthorized('the Authorization header must be "Bearer <token>"');
    return { token: match[1] };
  }
  const cookie = headers.get('cookie');
  if (cookie) {
    for (const part of cookie.split(';')) {
      const [name, ...value] = part.trim().split('=');
      if (name === SESSION_COOKIE && value.length) return { token: decodeURIComponent(value.join('=')) };
    }
  }
  if (proxy && remoteAddress && proxy.trustedAddresses.includes(normaliseAddress(remoteAddress))) {
    const user = headers.get(proxy.userHeader)?.trim();
    if (user) {
      const groups = (headers.get(proxy.groupsHeader) ?? '')
        .split(',')
        .map((group) => group.trim())
        .filter(Boolean);
      return { proxyUser: user, proxyGroups: groups };
    }
  }
  return {};
}

function normaliseAddress(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class Authenticator {
  private readonly api: AuthenticationV1Api;
  private readonly cache: TtlCache<User | 'rejected'>;
  private readonly options: AuthenticatorOptions;

  constructor(options: AuthenticatorOptions) {
    this.options = options;
    this.api = options.kubeConfig.makeApiClient(AuthenticationV1Api);
    this.cache = new TtlCache({ ttlMs: options.cacheTtlMs ?? 10_000 });
  }

  get proxy(): AuthProxyOptions | undefined {
    return this.options.proxy;
  }

  /** The user of a request; a 401 HttpError when there is none or the token is not accepted. */
  async authenticate(headers: Headers, remoteAddress: string | undefined): Promise<User> {
    const credentials = credentialsOf(headers, remoteAddress, this.options.proxy);
    if (credentials.proxyUser) return { username: credentials.proxyUser, groups: credentials.proxyGroups ?? [], via: 'proxy' };
    if (!credentials.token) {
      throw unauthorized(
        this.options.proxy
          ? 'no credentials: sign in through the proxy, or send "Authorization: Bearer <token>"'
          : 'no credentials: send "Authorization: Bearer <token>" (a Kubernetes token), or sign in on the console',
      );
    }
    return this.review(credentials.token);
  }

  /** A TokenReview of a token, cached for a few seconds by its digest. */
  async review(token: string): Promise<User> {
    const key = tokenDigest(token);
    const cached = this.cache.get(key);
    if (cached === 'rejected') throw unauthorized('the token was not accepted by the API server (expired or unknown)');
    if (cached) return { ...cached, token };
    let status: {
      authenticated?: boolean;
      user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
    };
    try {
      const review = await this.api.createTokenReview({
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences: this.options.audiences } },
      });
      status = review.status ?? {};
    } catch (error) {
      this.options.onReview?.('error');
      throw new Error(`TokenReview failed: ${(error as { code?: number }).code ?? ''} ${(error as Error).message.split('\n')[0]}`, {
        cause: error,
      });
    }
    if (!status.authenticated || !status.user?.username) {
      this.options.onReview?.('rejected');
      this.cache.set(key, 'rejected', 2_000);
      throw unauthorized('the token was not accepted by the API server (expired or unknown)');
    }
    this.options.onReview?.('authenticated');
    const user: User = {
      username: status.user.username,
      uid: status.user.uid,
      groups: status.user.groups ?? [],
      extra: status.user.extra,
      via: 'token',
    };
    this.cache.set(key, user);
    return { ...user, token };
  }
}
