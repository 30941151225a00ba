// @acog/kube: what every ACOG process needs to talk to Kubernetes, on @kubernetes/client-node and pino
// only. The retry helper is also exported alone as `@acog/kube/backoff`, for code that must not load
// the Kubernetes client (the runners).
export { createKubeClients, kubeConfigForToken, reuseConnections, type KubeClients, type RequestVerb } from './client/client.ts';
export {
  apiMessage,
  ignoreNotFound,
  isConflict,
  isForbidden,
  isNotFound,
  MERGE_PATCH,
  statusCauses,
  statusCode,
  statusOf,
  statusReason,
  type KubeStatus,
  type KubeStatusCause,
} from './client/errors.ts';
export {
  Informer,
  objectKey,
  slimObject,
  type InformerEvent,
  type InformerHandler,
  type InformerOptions,
  type KubeObject,
  type ListPage,
} from './cache/informer.ts';
export { customObjectSource, type CustomObjectSource, type CustomObjectSourceOptions } from './cache/custom-object-source.ts';
export { WorkQueue, type WorkQueueOptions } from './controller/work-queue.ts';
export { LeaderElector, microTime, type LeaderElectionOptions } from './controller/leader-election.ts';
export { findCondition, setConditions, type Condition, type ConditionStatus, type ConditionUpdate } from './status/conditions.ts';
export { KubeEventRecorder, type EventRecorder, type EventSubject } from './events/event-recorder.ts';
export { failedByPodFailurePolicy, jobState, slimJob, type Job, type JobState } from './jobs/jobs.ts';
export { backoffDelay, DEFAULT_RETRY, sleep, withRetry, type RetryAfter, type RetryOptions } from './backoff/backoff.ts';
export { LabelSelectorError, matchesLabels, parseLabelSelector, type LabelRequirement } from './labels/selector.ts';
export { createLogger, LOG_LEVELS, type Logger } from './logger/logger.ts';
