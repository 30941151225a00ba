// Who is asking: the bearer token (Authorization header, or the console's session cookie) checked
// with a TokenReview, or, when configured, the user and groups an authenticating proxy in front of
// the gateway puts in headers — believed only from the proxy's own addresses, and only with the
// user (groups alone name nobody). No anonymous access. Tokens are kept only as their SHA-256 in
// the cache and never logged. A client that keeps sending tokens the API server does not accept is
// held off (429) before its next unknown token costs a TokenReview.
import { createHash } from 'node:crypto';
import { AuthenticationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { tooMany, unauthorized } from '../http/errors.ts';
import { AddressSet } from '../http/network.ts';
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
  /** Addresses (or CIDR ranges) the proxy connects from; identity headers from anywhere else are refused. */
  trustedAddresses: string[];
}

export interface AuthenticatorOptions {
  kubeConfig: KubeConfig;
  /** Audiences the token must be for (TokenReview spec.audiences); empty: the API server's. */
  audiences?: string[];
  proxy?: AuthProxyOptions;
  cacheTtlMs?: number;
  /** Distinct tokens a client may have refused per minute before it waits (429); 0: no limit. Default 10. */
  failuresPerMinute?: number;
  /** Called for each TokenReview sent (or held off), for metrics. */
  onReview?: (outcome: 'authenticated' | 'rejected' | 'error' | 'limited') => void;
  now?: () => number;
}

export const SESSION_COOKIE = 'acog_session';

export interface Credentials {
  token?: string;
  proxyUser?: string;
  proxyGroups?: string[];
}

/**
 * The credentials a request carries (pure: headers and the peer address in, credentials out). With
 * an authenticating proxy configured, its identity headers count only from its addresses (from
 * anywhere else they are refused, not ignored: a path around the proxy is a misconfiguration to
 * see) and only with the user header (groups alone are refused).
 */
export function credentialsOf(
  headers: Headers,
  remoteAddress: string | undefined,
  proxy?: AuthProxyOptions,
  trusted: AddressSet = new AddressSet(proxy?.trustedAddresses ?? []),
): Credentials {
  let proxyIdentity: Credentials | undefined;
  if (proxy) {
    const user = headers.get(proxy.userHeader)?.trim();
    const groupsHeader = headers.get(proxy.groupsHeader);
    if (user !== undefined || groupsHeader !== null) {
      if (!trusted.has(remoteAddress))
        throw unauthorized(
          `the identity headers ${proxy.userHeader} and ${proxy.groupsHeader} are accepted only from the authenticating proxy's addresses`,
        );
      if (!user) throw unauthorized(`${proxy.groupsHeader} without ${proxy.userHeader}: the authenticating proxy must name the user`);
      const groups = (groupsHeader ?? '')
        .split(',')
        .map((group) => group.trim())
        .filter(Boolean);
      proxyIdentity = { proxyUser: user, proxyGroups: groups };
    }
  }
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
  return proxyIdentity ?? {};
}

/**
 * Tokens refused per client address, counted per minute and by distinct token (a browser that
 * repeats one stale cookie is one failure, a client guessing tokens is many).
 */
export class FailureLimiter {
  private readonly windows = new Map<string, { start: number; tokens: Set<string> }>();
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly maxClients: number;

  constructor(options: { limit: number; windowMs?: number; now?: () => number; maxClients?: number }) {
    this.limit = options.limit;
    this.windowMs = options.windowMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.maxClients = options.maxClients ?? 10_000;
  }

  private window(client: string) {
    const entry = this.windows.get(client);
    if (entry && this.now() - entry.start < this.windowMs) return entry;
    if (entry) this.windows.delete(client);
    return undefined;
  }

  /** Seconds until the client may try another token, or 0 when it may now. */
  retryAfter(client: string | undefined): number {
    if (!client || this.limit <= 0) return 0;
    const entry = this.window(client);
    if (!entry || entry.tokens.size < this.limit) return 0;
    return (entry.start + this.windowMs - this.now()) / 1000;
  }

  fail(client: string | undefined, digest: string): void {
    if (!client || this.limit <= 0) return;
    let entry = this.window(client);
    if (!entry) {
      entry = { start: this.now(), tokens: new Set() };
      this.windows.set(client, entry);
      while (this.windows.size > this.maxClients) this.windows.delete(this.windows.keys().next().value as string);
    }
    if (entry.tokens.size < this.limit) entry.tokens.add(digest);
  }
}

export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class Authenticator {
  private readonly api: AuthenticationV1Api;
  private readonly cache: TtlCache<User | 'rejected'>;
  private readonly options: AuthenticatorOptions;
  private readonly trustedProxy: AddressSet;
  private readonly failures: FailureLimiter;

  constructor(options: AuthenticatorOptions) {
    this.options = options;
    this.api = options.kubeConfig.makeApiClient(AuthenticationV1Api);
    this.cache = new TtlCache({ ttlMs: options.cacheTtlMs ?? 10_000, now: options.now });
    this.trustedProxy = new AddressSet(options.proxy?.trustedAddresses ?? []);
    this.failures = new FailureLimiter({ limit: options.failuresPerMinute ?? 10, now: options.now });
  }

  get proxy(): AuthProxyOptions | undefined {
    return this.options.proxy;
  }

  /** Whether the address is the authenticating proxy's. */
  trustsProxy(address: string | undefined): boolean {
    return Boolean(this.options.proxy) && this.trustedProxy.has(address);
  }

  /**
   * The user of a request; a 401 HttpError when there is none or the token is not accepted, a 429
   * when the client has had too many tokens refused. `client` is the address failures count against
   * (the peer, or the client a trusted reverse proxy names).
   */
  async authenticate(headers: Headers, remoteAddress: string | undefined, client: string | undefined = remoteAddress): Promise<User> {
    const credentials = credentialsOf(headers, remoteAddress, this.options.proxy, this.trustedProxy);
    if (credentials.proxyUser) return { username: credentials.proxyUser, groups: credentials.proxyGroups ?? [], via: 'proxy' };
    if (!credentials.token) {
      throw unauthorized(
        this.options.proxy
          ? 'no credentials: sign in through the proxy, or send "Authorization: Bearer <token>"'
          : 'no credentials: send "Authorization: Bearer <token>" (a Kubernetes token), or sign in on the console',
      );
    }
    return this.review(credentials.token, client);
  }

  /** A TokenReview of a token, cached for a few seconds by its digest. */
  async review(token: string, client?: string): Promise<User> {
    const key = tokenDigest(token);
    const cached = this.cache.get(key);
    if (cached && cached !== 'rejected') return { ...cached, token };
    const wait = this.failures.retryAfter(client);
    if (wait > 0) {
      this.options.onReview?.('limited');
      throw tooMany(`too many tokens were refused from ${client}: try again in ${Math.ceil(wait)} s`, wait);
    }
    if (cached === 'rejected') {
      this.failures.fail(client, key);
      throw unauthorized('the token was not accepted by the API server (expired or unknown)');
    }
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
      this.failures.fail(client, key);
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

  /** Forgets a token's review, so that the next use asks the API server again (an event stream's periodic check). */
  forget(token: string): void {
    this.cache.delete(tokenDigest(token));
  }
}

/**
 * When a token stops being valid by itself: the `exp` of a JWT (a ServiceAccount token, an OIDC
 * ID token), read without checking the signature (the TokenReview did), or undefined for a token
 * that is not a JWT or has no exp (a static token, a webhook token: only a new review tells).
 */
export function tokenExpiry(token: string): Date | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' && Number.isFinite(payload.exp) ? new Date(payload.exp * 1000) : undefined;
  } catch {
    return undefined;
  }
}
