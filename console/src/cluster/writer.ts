// Writes go to the API server with the user's own token, so the API server's RBAC and audit log
// see the user, never the gateway. A user who came through the authenticating proxy has no token:
// their writes go with the gateway's credentials, after the SubjectAccessReview for that user.
import { createHash } from 'node:crypto';
import { ApiException, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { CHANNELS, EPISODES, GROUP, VERSION, type Channel, type Episode } from '@acog/api';
import { kubeConfigForToken, MERGE_PATCH, reuseConnections, statusCauses, statusOf } from '@acog/kube';
import type { User } from '../auth/authenticator.ts';
import { HttpError } from '../http/errors.ts';
import { TtlCache } from '../auth/ttl-cache.ts';

export const FIELD_MANAGER = 'acog-console';

/** The kinds the console writes, by what the API server calls them. */
type Kind = typeof CHANNELS | typeof EPISODES;
type Written<K extends Kind> = K extends typeof CHANNELS ? Channel : Episode;

export class ResourceWriter {
  private readonly gateway: KubeConfig;
  private readonly gatewayApi: CustomObjectsApi;
  private readonly perToken = new TtlCache<CustomObjectsApi>({ ttlMs: 5 * 60_000, maxEntries: 1_000 });

  constructor(gateway: KubeConfig) {
    this.gateway = reuseConnections(gateway);
    this.gatewayApi = gateway.makeApiClient(CustomObjectsApi);
  }

  private api(user: User): CustomObjectsApi {
    if (!user.token) return this.gatewayApi;
    const key = createHash('sha256').update(user.token).digest('hex');
    let api = this.perToken.get(key);
    if (!api) {
      api = kubeConfigForToken(this.gateway, user.token).makeApiClient(CustomObjectsApi);
      this.perToken.set(key, api);
    }
    return api;
  }

  /** Creates the object; with dryRun the API server checks it all (schema, CEL rules, admission) and stores nothing. */
  async create<K extends Kind>(user: User, kind: K, namespace: string, object: Written<K>, dryRun: boolean): Promise<Written<K>> {
    try {
      return (await this.api(user).createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: kind.plural,
        body: object,
        fieldManager: FIELD_MANAGER,
        fieldValidation: 'Strict',
        dryRun: dryRun ? 'All' : undefined,
      })) as Written<K>;
    } catch (error) {
      throw apiError(error, `${kind.singular} "${object.metadata?.name}" in namespace "${namespace}"`);
    }
  }

  /**
   * Replaces the object (an editor's save: the whole spec as the form holds it). Its
   * metadata.resourceVersion makes the API server refuse it (409) if the object changed meanwhile.
   */
  async replace<K extends Kind>(user: User, kind: K, namespace: string, object: Written<K>, dryRun: boolean): Promise<Written<K>> {
    const name = object.metadata.name!;
    try {
      return (await this.api(user).replaceNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: kind.plural,
        name,
        body: object,
        fieldManager: FIELD_MANAGER,
        fieldValidation: 'Strict',
        dryRun: dryRun ? 'All' : undefined,
      })) as Written<K>;
    } catch (error) {
      throw apiError(error, `${kind.singular} "${name}" in namespace "${namespace}"`);
    }
  }

  /** A JSON merge patch (RFC 7386) of an Episode, as the plugin sends. */
  async mergePatch(user: User, namespace: string, name: string, patch: object, dryRun = false): Promise<Episode> {
    try {
      return (await this.api(user).patchNamespacedCustomObject(
        {
          group: GROUP,
          version: VERSION,
          namespace,
          plural: EPISODES.plural,
          name,
          body: patch,
          fieldManager: FIELD_MANAGER,
          fieldValidation: 'Strict',
          dryRun: dryRun ? 'All' : undefined,
        },
        MERGE_PATCH,
      )) as Episode;
    } catch (error) {
      throw apiError(error, `episode "${name}" in namespace "${namespace}"`);
    }
  }
}

/** The API server's refusal as the gateway's error, with its status code and message. */
export function apiError(error: unknown, what: string): Error {
  if (!(error instanceof ApiException)) return error as Error;
  const status = statusOf(error) ?? {};
  const message = status.message ?? `the API server answered ${error.code} for ${what}`;
  const fields = status.details?.causes ? statusCauses(error) : undefined;
  const code = [400, 401, 403, 404, 409, 422].includes(error.code) ? error.code : 502;
  return new HttpError(code, status.reason ?? 'ApiError', message, { fields });
}
