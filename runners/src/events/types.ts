import type { StageEvent } from '@acog/api';

/** Announces the end of a stage attempt. Losing an event delays the operator; it never loses work. */
export interface EventPublisher {
  publish(event: StageEvent): Promise<void>;
  close(): Promise<void>;
}
