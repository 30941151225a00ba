// What a user may do: a SubjectAccessReview for the user, verb, resource and namespace, cached
// for a few seconds. Lists are filtered to the namespaces the user may list in.
import { AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { forbidden, type Permission } from '../http/errors.ts';
import type { User } from './authenticator.ts';
import { TtlCache } from './ttl-cache.ts';

export interface Decision {
  allowed: boolean;
  reason?: string;
}

export interface AuthorizerOptions {
  kubeConfig: KubeConfig;
  cacheTtlMs?: number;
  onReview?: (outcome: 'allowed' | 'denied' | 'error') => void;
}

/**
 * Everything a SubjectAccessReview is asked about the user, as one unambiguous key: JSON of the
 * fields with groups sorted and `extra` sorted by key and value (an authorizer may decide on
 * extra, e.g. scopes), so that two users differing in any of them never share a decision.
 */
export function userKey(user: Pick<User, 'username' | 'uid' | 'groups' | 'extra'>): string {
  const extra = Object.keys(user.extra ?? {})
    .sort()
    .map((key) => [key, [...(user.extra![key] ?? [])].sort()]);
  return JSON.stringify([user.username, user.uid ?? null, [...user.groups].sort(), extra]);
}

export function permissionKey(permission: Permission): string {
  return JSON.stringify([
    permission.verb,
    permission.group,
    permission.resource,
    permission.subresource ?? null,
    permission.namespace ?? null,
    permission.name ?? null,
  ]);
}

export class Authorizer {
  private readonly api: AuthorizationV1Api;
  private readonly cache: TtlCache<Decision>;
  private readonly inflight = new Map<string, Promise<Decision>>();
  private readonly options: AuthorizerOptions;

  constructor(options: AuthorizerOptions) {
    this.options = options;
    this.api = options.kubeConfig.makeApiClient(AuthorizationV1Api);
    this.cache = new TtlCache({ ttlMs: options.cacheTtlMs ?? 10_000, maxEntries: 50_000 });
  }

  async check(user: User, permission: Permission): Promise<Decision> {
    const key = `${userKey(user)}${permissionKey(permission)}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const request = this.review(user, permission).finally(() => this.inflight.delete(key));
    this.inflight.set(key, request);
    const decision = await request;
    this.cache.set(key, decision);
    return decision;
  }

  /** Throws a 403 naming the missing permission unless the user has it. */
  async require(user: User, permission: Permission): Promise<void> {
    const decision = await this.check(user, permission);
    if (!decision.allowed) throw forbidden(user.username, permission, decision.reason);
  }

  /** Of the namespaces given, those where the user may do it ('all' when cluster-wide). */
  async namespacesAllowed(
    user: User,
    permission: Omit<Permission, 'namespace'>,
    namespaces: Iterable<string>,
  ): Promise<'all' | Set<string>> {
    if ((await this.check(user, permission)).allowed) return 'all';
    const allowed = new Set<string>();
    await Promise.all(
      [...new Set(namespaces)].map(async (namespace) => {
        if ((await this.check(user, { ...permission, namespace })).allowed) allowed.add(namespace);
      }),
    );
    return allowed;
  }

  private async review(user: User, permission: Permission): Promise<Decision> {
    try {
      const review = await this.api.createSubjectAccessReview({
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: {
            user: user.username,
            uid: user.uid,
            groups: user.groups,
            extra: user.extra,
            resourceAttributes: {
              verb: permission.verb,
              group: permission.group,
              resource: permission.resource,
              subresource: permission.subresource,
              namespace: permission.namespace,
              name: permission.name,
            },
          },
        },
      });
      const allowed = Boolean(review.status?.allowed) && !review.status?.denied;
      this.options.onReview?.(allowed ? 'allowed' : 'denied');
      return { allowed, reason: review.status?.reason || undefined };
    } catch (error) {
      this.options.onReview?.('error');
      throw new Error(`SubjectAccessReview failed: ${(error as { code?: number }).code ?? ''} ${(error as Error).message.split('\n')[0]}`, {
        cause: error,
      });
    }
  }
}

/** The permissions the gateway's routes check, by what they do. */
export const ACOG_GROUP = 'acog.dev';
export const can = {
  listEpisodes: (namespace?: string): Permission => ({ verb: 'list', group: ACOG_GROUP, resource: 'episodes', namespace }),
  getEpisode: (namespace: string, name: string): Permission => ({ verb: 'get', group: ACOG_GROUP, resource: 'episodes', namespace, name }),
  createEpisode: (namespace: string): Permission => ({ verb: 'create', group: ACOG_GROUP, resource: 'episodes', namespace }),
  patchEpisode: (namespace: string, name: string): Permission => ({
    verb: 'patch',
    group: ACOG_GROUP,
    resource: 'episodes',
    namespace,
    name,
  }),
  updateEpisode: (namespace: string, name: string): Permission => ({
    verb: 'update',
    group: ACOG_GROUP,
    resource: 'episodes',
    namespace,
    name,
  }),
  createChannel: (namespace: string): Permission => ({ verb: 'create', group: ACOG_GROUP, resource: 'channels', namespace }),
  updateChannel: (namespace: string, name: string): Permission => ({
    verb: 'update',
    group: ACOG_GROUP,
    resource: 'channels',
    namespace,
    name,
  }),
  listChannels: (namespace?: string): Permission => ({ verb: 'list', group: ACOG_GROUP, resource: 'channels', namespace }),
  getChannel: (namespace: string, name: string): Permission => ({ verb: 'get', group: ACOG_GROUP, resource: 'channels', namespace, name }),
  listEvents: (namespace?: string): Permission => ({ verb: 'list', group: '', resource: 'events', namespace }),
  listJobs: (namespace: string): Permission => ({ verb: 'list', group: 'batch', resource: 'jobs', namespace }),
  podLogs: (namespace: string): Permission => ({ verb: 'get', group: '', resource: 'pods', subresource: 'log', namespace }),
};
