// Standard Kubernetes conditions (metav1.Condition): one per type, lastTransitionTime moves only
// when the status does, observedGeneration says which spec they were computed from.
export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

type Conditions = Condition[];

export interface ConditionUpdate {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

export function setConditions(
  existing: readonly Condition[] | undefined,
  updates: ConditionUpdate[],
  generation: number | undefined,
  now: Date,
): Conditions {
  const byType = new Map((existing ?? []).map((condition) => [condition.type, condition]));
  const out: Conditions = [];
  for (const update of updates) {
    const previous = byType.get(update.type);
    out.push({
      type: update.type,
      status: update.status,
      reason: update.reason,
      message: update.message,
      ...(generation !== undefined && { observedGeneration: generation }),
      lastTransitionTime:
        previous && previous.status === update.status ? previous.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    });
    byType.delete(update.type);
  }
  return [...out, ...byType.values()];
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((condition) => condition.type === type);
}
