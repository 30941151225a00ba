// Stage logs: the pod of the stage's Job (labels acog.dev/episode, stage, attempt), its log from the
// API server, followed when asked. The gateway reads it with its own credentials after the
// SubjectAccessReview for the user (get pods/log in the namespace).
import { PassThrough, type Readable } from 'node:stream';
import { CoreV1Api, Log, type KubeConfig } from '@kubernetes/client-node';
import { LABELS } from '@acog/api';
import { notFound } from '../http/errors.ts';

export interface LogRequest {
  namespace: string;
  episode: string;
  stage: string;
  attempt: number;
  follow: boolean;
  tailLines?: number;
  signal?: AbortSignal;
}

export class LogStreamer {
  private readonly core: CoreV1Api;
  private readonly log: Log;

  constructor(kubeConfig: KubeConfig) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.log = new Log(kubeConfig);
  }

  async stream(request: LogRequest): Promise<Readable> {
    const selector = `${LABELS.episode}=${request.episode},${LABELS.stage}=${request.stage},${LABELS.attempt}=${request.attempt}`;
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
    const controller = await this.log.log(request.namespace, pod.metadata.name, container, out, {
      follow: request.follow,
      tailLines: request.tailLines,
      timestamps: false,
    });
    request.signal?.addEventListener('abort', () => controller.abort(), { once: true });
    return out;
  }
}
