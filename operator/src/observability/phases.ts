// Where a reconcile's time goes, by kind of work: reads from the artifact store, writes to it, API
// writes, the ledger (PostgreSQL) and the planner itself. Work of one kind may run side by side (a
// Job create beside the status write): a phase's time is the wall time during which at least one
// piece of its work was in flight, so overlapping pieces are counted once.
export const RECONCILE_PHASES = ['s3_read', 's3_write', 'api_write', 'ledger', 'planning'] as const;
export type ReconcilePhase = (typeof RECONCILE_PHASES)[number];

export class PhaseTimer {
  private readonly spans = new Map<ReconcilePhase, [number, number][]>();
  private readonly now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.now = now;
  }

  async time<T>(phase: ReconcilePhase, work: () => Promise<T>): Promise<T> {
    const start = this.now();
    try {
      return await work();
    } finally {
      this.add(phase, start, this.now());
    }
  }

  timeSync<T>(phase: ReconcilePhase, work: () => T): T {
    const start = this.now();
    try {
      return work();
    } finally {
      this.add(phase, start, this.now());
    }
  }

  /** Milliseconds per phase that had any work (the union of its spans). */
  totals(): Partial<Record<ReconcilePhase, number>> {
    const out: Partial<Record<ReconcilePhase, number>> = {};
    for (const [phase, spans] of this.spans) out[phase] = unionLength(spans);
    return out;
  }

  private add(phase: ReconcilePhase, start: number, end: number): void {
    const spans = this.spans.get(phase);
    if (spans) spans.push([start, end]);
    else this.spans.set(phase, [[start, end]]);
  }
}

/** The length of the union of intervals [start, end]. */
export function unionLength(spans: readonly (readonly [number, number])[]): number {
  const sorted = [...spans].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let from = -Infinity;
  let to = -Infinity;
  for (const [start, end] of sorted) {
    if (start > to) {
      if (to > from) total += to - from;
      from = start;
      to = end;
    } else if (end > to) to = end;
  }
  if (to > from) total += to - from;
  return total;
}
