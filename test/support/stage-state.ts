// An Episode's status and its stage Jobs written by the test, as the operator and the Job
// controller would write them, for the tests of what reads them (the Jobs view, the Pulse inbox)
// in a namespace no operator watches. The Jobs are marked managedBy this helper, so that the
// control plane's real Job controller leaves them alone (no Pods, no status of its own: ADR 0027).
import { BatchV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { GROUP, LABELS, VERSION, type Episode, type StageName } from '@acog/api';
import { kubeConfig } from './env.ts';

export async function patchStatus(namespace: string, plural: 'channels' | 'episodes', name: string, status: Record<string, unknown>) {
  await kubeConfig()
    .makeApiClient(CustomObjectsApi)
    .patchNamespacedCustomObjectStatus(
      { group: GROUP, version: VERSION, namespace, plural, name, body: { status } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
}

/** A stage Job of the Episode (labels and ownerReference as the operator's Job builder sets them), with the status given. */
export async function createStageJob(
  episode: Episode,
  stage: StageName,
  attempt: number,
  state: 'Running' | 'Failed',
  message = 'BackoffLimitExceeded',
): Promise<string> {
  const namespace = episode.metadata.namespace!;
  const name = `${episode.metadata.name}-${stage}-${attempt}`;
  const batch = kubeConfig().makeApiClient(BatchV1Api);
  await batch.createNamespacedJob({
    namespace,
    body: {
      metadata: {
        name,
        labels: { [LABELS.episode]: episode.metadata.name!, [LABELS.stage]: stage, [LABELS.attempt]: String(attempt) },
        ownerReferences: [
          {
            apiVersion: `${GROUP}/${VERSION}`,
            kind: 'Episode',
            name: episode.metadata.name!,
            uid: episode.metadata.uid!,
            controller: true,
          },
        ],
      },
      spec: {
        managedBy: 'acog.dev/stage-state-test',
        backoffLimit: 0,
        template: { spec: { restartPolicy: 'Never', containers: [{ name: 'runner', image: 'acog/runner:dev', args: [stage] }] } },
      },
    },
  });
  const started = new Date(Date.now() - 60_000).toISOString();
  const now = new Date().toISOString();
  const status =
    state === 'Running'
      ? { startTime: started, active: 1 }
      : {
          startTime: started,
          failed: 1,
          conditions: [
            { type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded', message, lastTransitionTime: now, lastProbeTime: now },
            { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message, lastTransitionTime: now, lastProbeTime: now },
          ],
        };
  await batch.patchNamespacedJobStatus({ namespace, name, body: { status } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  return name;
}
