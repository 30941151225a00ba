// Admission of stage Jobs (ADR 0030): at most `slots` stage Jobs run at once in a namespace, and
// when one finishes the Episode that goes first takes its place: the one furthest along its DAG
// (ADR 0020's progress), equal progress first come, first served. Kubernetes' Job controller and
// scheduler work first come, first served, so without a cap every Episode of a burst advances
// together whatever order the operator creates Jobs in; with it, the operator's order decides.
// Each namespace is a tenant with slots of its own: one team's burst never waits for another's.
//
// Pure bookkeeping, no I/O: the operator tells it which Jobs run (from the Job informer, and the
// creates it has in flight) and asks it, with an Episode's wanted Job names, which may be created
// now; `wake` is called with the Episodes that should look again because a slot freed for them.

/** The operator's --stage-slots when not set: chosen by bench/operator.ts (ADR 0030). */
export const DEFAULT_STAGE_SLOTS = 30;

/** How long a Job admitted but not yet seen in the cache counts without being seen. */
export const RESERVATION_MS = 60_000;

export interface StageAdmissionOptions {
  /** Stage Jobs running at once per namespace; 0 for no cap. */
  slots: number;
  /** An Episode (namespace/name) that a freed slot now lets start: reconcile it. */
  wake: (key: string) => void;
  /** Milliseconds, for reservations' age (Date.now by default). */
  now?: () => number;
}

export interface AdmissionDecision {
  /** The wanted Job names that may be created now (a prefix of those asked for, in their order). */
  admitted: string[];
  /** The wanted Job names that wait for a slot. */
  waiting: string[];
}

interface Waiter {
  priority: number;
  /** Order of arrival in the line: the tie-break among equal priorities. */
  sequence: number;
}

interface Namespace {
  /** Stage Jobs holding a slot: running (seen in the cache), or admitted and being created (reservedAt). */
  jobs: Map<string, { reservedAt?: number }>;
  /** Episodes (namespace/name) whose next stage is ready but has no slot. */
  waiting: Map<string, Waiter>;
}

export class StageAdmission {
  readonly slots: number;
  private readonly wake: (key: string) => void;
  private readonly now: () => number;
  private readonly namespaces = new Map<string, Namespace>();
  private sequence = 0;

  constructor(options: StageAdmissionOptions) {
    if (!Number.isInteger(options.slots) || options.slots < 0)
      throw new Error(`stage slots must be a whole number from 0 (0: no cap), not ${options.slots}`);
    this.slots = options.slots;
    this.wake = options.wake;
    this.now = options.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.slots > 0;
  }

  /**
   * Which of an Episode's wanted Jobs may be created now. Waiters that go before the Episode
   * (higher priority, or as high and in line earlier) have first claim on the free slots; what
   * is left is admitted, in the order asked. Admitted Jobs hold their slot at once (the caller
   * creates them; `release` gives back one it could not create). An Episode that gets fewer than
   * it wants stays in the line, or joins it; one that gets all it wants leaves it. `finishing` are
   * the Episode's own Jobs whose end this same reconcile records: their slots are free for its next
   * stages first (a hand-off never waits behind its own finished stage), then for the line.
   */
  admit(key: string, priority: number, wanted: readonly string[], finishing: readonly string[] = []): AdmissionDecision {
    if (!this.enabled) return { admitted: [...wanted], waiting: [] };
    const namespace = this.namespace(namespaceOf(key));
    for (const name of finishing) namespace.jobs.delete(name);
    if (!wanted.length) {
      namespace.waiting.delete(key);
      this.wakeFor(namespace, key);
      this.drop(namespaceOf(key), namespace);
      return { admitted: [], waiting: [] };
    }
    this.expire(namespace);
    const own = namespace.waiting.get(key);
    const me: Waiter = { priority, sequence: own?.sequence ?? Infinity };
    let ahead = 0;
    for (const [other, waiter] of namespace.waiting) if (other !== key && goesBefore(waiter, me)) ahead++;
    const already = wanted.filter((name) => namespace.jobs.has(name));
    const fresh = wanted.filter((name) => !namespace.jobs.has(name));
    const free = Math.max(0, this.slots - namespace.jobs.size - ahead);
    const admitted = [...already, ...fresh.slice(0, free)];
    const waiting = fresh.slice(free);
    const at = this.now();
    for (const name of fresh.slice(0, free)) namespace.jobs.set(name, { reservedAt: at });
    if (!waiting.length) namespace.waiting.delete(key);
    else namespace.waiting.set(key, { priority, sequence: own?.sequence ?? this.sequence++ });
    // Slots left free (to those ahead of it, or freed by its finished stages): their waiters may not know yet.
    this.wakeFor(namespace, key);
    this.drop(namespaceOf(key), namespace);
    return { admitted: wanted.filter((name) => admitted.includes(name)), waiting };
  }

  /** A stage Job is running (the cache shows it active and its attempt not finished). */
  running(namespaceName: string, job: string): void {
    if (!this.enabled) return;
    this.namespace(namespaceName).jobs.set(job, {});
  }

  /**
   * A stage Job no longer holds a slot: it finished, was deleted, its attempt's end is recorded,
   * or it was admitted but not created. The Episodes first in line for the freed slot are woken.
   */
  release(namespaceName: string, job: string): void {
    const namespace = this.namespaces.get(namespaceName);
    if (!namespace?.jobs.delete(job)) return;
    this.wakeFor(namespace);
    this.drop(namespaceName, namespace);
  }

  /** The Episode no longer waits (it was admitted, suspended, cancelled, deleted, or its reconcile failed). */
  leave(key: string): void {
    const name = namespaceOf(key);
    const namespace = this.namespaces.get(name);
    if (!namespace?.waiting.delete(key)) return;
    // It may have been the one a free slot was kept for.
    this.wakeFor(namespace);
    this.drop(name, namespace);
  }

  /** Stage Jobs holding a slot in a namespace (running or being created). */
  holding(namespaceName: string): number {
    const namespace = this.namespaces.get(namespaceName);
    if (!namespace) return 0;
    this.expire(namespace);
    return namespace.jobs.size;
  }

  /** Episodes of a namespace waiting for a slot. */
  waitingIn(namespaceName: string): number {
    return this.namespaces.get(namespaceName)?.waiting.size ?? 0;
  }

  /** Whether an Episode is in its namespace's line. */
  isWaiting(key: string): boolean {
    return this.namespaces.get(namespaceOf(key))?.waiting.has(key) ?? false;
  }

  /** Wakes the waiters that the free slots are for, first in line first (not `asking`, which is looking already). */
  private wakeFor(namespace: Namespace, asking?: string): void {
    const free = this.slots - namespace.jobs.size;
    if (free <= 0 || !namespace.waiting.size) return;
    for (const key of first(namespace.waiting, free)) if (key !== asking) this.wake(key);
  }

  /** Reservations never seen in the cache (a create that failed unseen) give their slot back. */
  private expire(namespace: Namespace): void {
    const oldest = this.now() - RESERVATION_MS;
    let freed = false;
    for (const [job, slot] of namespace.jobs)
      if (slot.reservedAt !== undefined && slot.reservedAt < oldest) {
        namespace.jobs.delete(job);
        freed = true;
      }
    if (freed) this.wakeFor(namespace);
  }

  private namespace(name: string): Namespace {
    let namespace = this.namespaces.get(name);
    if (!namespace) this.namespaces.set(name, (namespace = { jobs: new Map(), waiting: new Map() }));
    return namespace;
  }

  private drop(name: string, namespace: Namespace): void {
    if (!namespace.jobs.size && !namespace.waiting.size) this.namespaces.delete(name);
  }
}

/** The message of a stage that waits for a slot: the same for as long as it waits (one status write). */
export function waitingForSlotMessage(namespace: string, slots: number): string {
  return `waiting for a stage slot: ${slots} of ${slots} running in namespace ${namespace}; it starts when one finishes, Episodes furthest along first (the operator's --stage-slots)`;
}

function goesBefore(a: Waiter, b: Waiter): boolean {
  return a.priority !== b.priority ? a.priority > b.priority : a.sequence < b.sequence;
}

/** The `count` waiters that go first, in order. */
function first(waiting: Map<string, Waiter>, count: number): string[] {
  const best: [string, Waiter][] = [];
  for (const entry of waiting) {
    if (best.length === count && !goesBefore(entry[1], best[count - 1][1])) continue;
    let i = best.length;
    while (i > 0 && goesBefore(entry[1], best[i - 1][1])) i--;
    best.splice(i, 0, entry);
    if (best.length > count) best.pop();
  }
  return best.map(([key]) => key);
}

function namespaceOf(key: string): string {
  return key.slice(0, key.indexOf('/'));
}
