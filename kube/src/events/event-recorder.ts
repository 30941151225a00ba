// Kubernetes Events for what the operator does (kubectl describe shows them). Recording never
// blocks or fails a reconcile: an Event that cannot be written is logged and forgotten.
import { randomBytes } from 'node:crypto';
import type { CoreV1Api } from '@kubernetes/client-node';
import type { Logger } from '../logger/logger.ts';
import { apiMessage } from '../client/errors.ts';

export interface EventSubject {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
}

export interface EventRecorder {
  emit(subject: EventSubject, event: { type: 'Normal' | 'Warning'; reason: string; message: string }): void;
}

const MAX_MESSAGE = 1024;

export class KubeEventRecorder implements EventRecorder {
  private readonly core: CoreV1Api;
  private readonly instance: string;
  private readonly log: Logger;

  constructor(core: CoreV1Api, instance: string, log: Logger) {
    this.core = core;
    this.instance = instance;
    this.log = log;
  }

  emit(subject: EventSubject, event: { type: 'Normal' | 'Warning'; reason: string; message: string }): void {
    const now = new Date();
    const namespace = subject.metadata.namespace ?? 'default';
    const message = event.message.length > MAX_MESSAGE ? `${event.message.slice(0, MAX_MESSAGE - 1)}…` : event.message;
    void this.core
      .createNamespacedEvent({
        namespace,
        body: {
          metadata: { name: `${subject.metadata.name}.${randomBytes(8).toString('hex')}`, namespace },
          involvedObject: {
            apiVersion: subject.apiVersion,
            kind: subject.kind,
            name: subject.metadata.name,
            namespace,
            uid: subject.metadata.uid,
            resourceVersion: subject.metadata.resourceVersion,
          },
          type: event.type,
          reason: event.reason,
          message,
          source: { component: 'acog-operator' },
          reportingComponent: 'acog.dev/operator',
          reportingInstance: this.instance,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      })
      .catch((error: unknown) =>
        this.log.warn(
          { namespace, object: subject.metadata.name, reason: event.reason, error: apiMessage(error) },
          'cannot record an Event',
        ),
      );
  }
}
