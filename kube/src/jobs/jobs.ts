// batch/v1 Jobs as a controller keeps them in its cache: identity and status, not the pod template.

export interface Job {
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { uid: string }[];
    resourceVersion?: string;
  };
  status?: {
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    startTime?: string;
    completionTime?: string;
  };
}

export type JobState = 'Active' | 'Complete' | 'Failed';

/** What a Job cache keeps of a Job. */
export function slimJob(job: Job): Job {
  const { name, namespace, uid, labels, annotations, ownerReferences, resourceVersion } = job.metadata;
  return {
    metadata: {
      name,
      namespace,
      uid,
      labels,
      annotations,
      ownerReferences: ownerReferences?.map(({ uid: owner }) => ({ uid: owner })),
      resourceVersion,
    },
    status: job.status && { conditions: job.status.conditions, startTime: job.status.startTime, completionTime: job.status.completionTime },
  };
}

/** A Job's outcome from its conditions, the interim ones (SuccessCriteriaMet, FailureTarget) included. */
export function jobState(job: Job): JobState {
  const conditions = job.status?.conditions ?? [];
  const has = (type: string) => conditions.some((condition) => condition.type === type && condition.status === 'True');
  if (has('Complete') || has('SuccessCriteriaMet')) return 'Complete';
  if (has('Failed') || has('FailureTarget')) return 'Failed';
  return 'Active';
}

/**
 * Whether a failed Job failed by a rule of its pod failure policy (the condition reason
 * `PodFailurePolicy`) rather than by running out of pod retries or time.
 */
export function failedByPodFailurePolicy(job: Job): boolean {
  return (job.status?.conditions ?? []).some(
    (condition) =>
      (condition.type === 'Failed' || condition.type === 'FailureTarget') &&
      condition.status === 'True' &&
      condition.reason === 'PodFailurePolicy',
  );
}
