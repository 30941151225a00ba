// Writes go to the API server with the user's own token, so the API server's RBAC and audit log
// see the user, never the gateway. A user who came through the authenticating proxy has no token:
// their writes go with the gateway's credentials, after the SubjectAccessReview for that user.
import { createHash } from 'node:crypto';
import { ApiException, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { EPISODES, GROUP, VERSION, type Episode } from '@acog/api';
import { kubeConfigForToken, MERGE_PATCH, reuseConnections, statusCauses, statusOf } from '@acog/kube';
import type { User } from '../auth/authenticator.ts';
import { HttpError } from '../http/errors.ts';
import { TtlCache } from '../auth/ttl-cache.ts';

export const FIELD_MANAGER = 'acog-console';

export class EpisodeWriter {
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

  async create(user: User, namespace: string, episode: Episode, dryRun: boolean): Promise<Episode> {
    try {
      return (await this.api(user).createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: EPISODES.plural,
        body: episode,
        fieldManager: FIELD_MANAGER,
        fieldValidation: 'Strict',
        dryRun: dryRun ? 'All' : undefined,
      })) as Episode;
    } catch (error) {
      throw apiError(error, `episode "${episode.metadata?.name}" in namespace "${namespace}"`);
    }
  }

  /** A JSON merge patch (RFC 7386), as the plugin sends. */
  async mergePatch(user: User, namespace: string, name: string, patch: object): Promise<Episode> {
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
