// Small helpers over @kubernetes/client-node for the tests.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiException, CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { GROUP, VERSION } from '@acog/api';
import { repoRoot } from '@acog/hack/paths';

export interface ApiFailure {
  code: number;
  reason?: string;
  message: string;
}

/** Runs a request that must fail and returns the API server's status (code, reason, message). */
export async function apiFailure(request: Promise<unknown>): Promise<ApiFailure> {
  try {
    await request;
  } catch (error) {
    if (error instanceof ApiException) {
      const body =
        typeof error.body === 'string'
          ? (JSON.parse(error.body) as { message?: string; reason?: string })
          : (error.body as { message?: string; reason?: string });
      return { code: error.code, reason: body?.reason, message: body?.message ?? String(error.body) };
    }
    throw error;
  }
  throw new Error('the API server accepted a request it should have refused');
}

/**
 * Creates a namespace and waits until Pods can be made in it: the ServiceAccount admission plugin
 * refuses a Pod until the serviceaccount controller has made the namespace's `default`
 * ServiceAccount, as Kubernetes' own e2e framework waits for it (docs/adr/0027).
 */
export async function createNamespace(kc: KubeConfig, name: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name } } });
  await defaultServiceAccount(kc, name);
}

/** Waits for the namespace's `default` ServiceAccount (made by the serviceaccount controller). */
export async function defaultServiceAccount(kc: KubeConfig, namespace: string, timeoutMs = 30_000): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await core.readNamespacedServiceAccount({ namespace, name: 'default' });
      return;
    } catch (error) {
      if (!(error instanceof ApiException && error.code === 404)) throw error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `the namespace ${namespace} has no "default" ServiceAccount after ${timeoutMs / 1000} s: is the serviceaccount controller running?`,
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function example<T = Record<string, unknown>>(file: 'channel.yaml' | 'episode.yaml'): Promise<T> {
  return parse(await readFile(join(repoRoot, 'examples', file), 'utf8')) as T;
}

export type ResourcePlural = 'channels' | 'episodes';

/** Creates an ACOG object as kubectl would (strict field validation: unknown fields are errors). */
export function createObject(kc: KubeConfig, namespace: string, plural: ResourcePlural, body: unknown): Promise<Record<string, unknown>> {
  return kc
    .makeApiClient(CustomObjectsApi)
    .createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural, body, fieldValidation: 'Strict' }) as Promise<
    Record<string, unknown>
  >;
}
