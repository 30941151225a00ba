// Stage logs: the pod of the stage's Job (labels acog.dev/episode, stage, attempt), its log from the
// API server, followed when asked. The gateway reads it with its own credentials after the
// SubjectAccessReview for the user (get pods/log in the namespace).
import { PassThrough, type Readable } from 'node:stream';
import { ApiException, CoreV1Api, Log, type KubeConfig } from '@kubernetes/client-node';
import { LABELS, labelValue } from '@acog/api';
import { HttpError, notFound } from '../http/errors.ts';

export interface LogRequest {
  namespace: string;
  episode: string;
  stage: string;
  attempt: number;
  follow: boolean;
  tailLines?: number;
  signal?: AbortSignal;
}

/**
 * The label selector of a stage attempt's Pods: the labels the operator's Job builder gives, with
 * the name as a label value (labelValue: a name longer than 63 characters is shortened).
 */
export function podSelector(request: Pick<LogRequest, 'episode' | 'stage' | 'attempt'>): string {
  return `${LABELS.episode}=${labelValue(request.episode)},${LABELS.stage}=${request.stage},${LABELS.attempt}=${request.attempt}`;
}

export class LogStreamer {
  private readonly core: CoreV1Api;
  private readonly log: Log;

  constructor(kubeConfig: KubeConfig) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.log = new Log(kubeConfig);
  }

  async stream(request: LogRequest): Promise<Readable> {
    const selector = podSelector(request);
    const pods = await this.core.listNamespacedPod({ namespace: request.namespace, labelSelector: selector });
    const pod = pods.items.sort((a, b) =>
      String(b.metadata?.creationTimestamp ?? '').localeCompare(String(a.metadata?.creationTimestamp ?? '')),
    )[0];
    if (!pod?.metadata?.name) {
      throw notFound(
        `no pod for stage ${request.stage} (attempt ${request.attempt}) of episode ${request.episode}: it has not started, or its Job was cleaned up`,
      );
    }
    const out = new PassThrough();
    const container = pod.spec?.containers?.[0]?.name ?? 'runner';
    let controller: AbortController;
    try {
      controller = await this.log.log(request.namespace, pod.metadata.name, container, out, {
        follow: request.follow,
        tailLines: request.tailLines,
        timestamps: false,
      });
    } catch (error) {
      // The API server has no log of a container that has not started: 204 while the pod has no
      // node, 400 while its container waits (image pulling, ContainerCreating).
      if (error instanceof ApiException && (error.code === 204 || error.code === 400))
        throw new HttpError(
          409,
          'NotStarted',
          `pod ${pod.metadata.name} of stage ${request.stage} has no log yet: it has not started (${pod.status?.phase ?? 'Pending'})`,
        );
      throw error;
    }
    request.signal?.addEventListener('abort', () => controller.abort(), { once: true });
    return out;
  }
}
