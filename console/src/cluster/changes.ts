// The log of changes the informers saw, for server-sent events. Each change gets an id
// "<epoch>.<sequence>": the epoch is this process's start, so a client that reconnects to another
// replica (or after a restart) is told to reload instead of being replayed the wrong history.
// The log keeps the last `capacity` changes; a Last-Event-ID older than that also means reload.

export type ChangeKind = 'Episode' | 'Channel' | 'Event';
export type ChangeType = 'add' | 'update' | 'delete';

export interface Change {
  id: string;
  seq: number;
  kind: ChangeKind;
  type: ChangeType;
  namespace: string;
  name: string;
  /** The view the API serves for the object (a summary), or for an Event the Event itself. */
  data: unknown;
}

export type ChangeListener = (change: Change) => void;

export class ChangeLog {
  readonly epoch: string;
  /** How many changes the log keeps. */
  readonly capacity: number;
  private readonly ring: Change[] = [];
  private seq = 0;
  private readonly listeners = new Set<ChangeListener>();

  constructor(options: { capacity?: number; epoch?: string } = {}) {
    this.capacity = options.capacity ?? 10_000;
    this.epoch = options.epoch ?? Date.now().toString(36);
  }

  get lastId(): string {
    return `${this.epoch}.${this.seq}`;
  }

  /** The sequence number of the last change (0 before the first). */
  get lastSeq(): number {
    return this.seq;
  }

  /** The id of the change with this sequence number (a stream's position, as a Last-Event-ID). */
  idOf(seq: number): string {
    return `${this.epoch}.${seq}`;
  }

  /** The change with this sequence number, while the log keeps it. */
  at(seq: number): Change | undefined {
    const oldest = this.ring[0]?.seq;
    if (oldest === undefined || seq < oldest || seq > this.seq) return undefined;
    return this.ring[seq - oldest];
  }

  /**
   * The sequence number a Last-Event-ID stands for, when the changes after it can be told exactly;
   * else 'reset' (another epoch, older than the log keeps, or an id that is not ours).
   */
  position(lastEventId: string): number | 'reset' {
    const match = /^([0-9a-z]+)\.(\d+)$/.exec(lastEventId.trim());
    if (!match || match[1] !== this.epoch) return 'reset';
    const after = Number(match[2]);
    if (after > this.seq) return 'reset';
    const oldest = this.ring[0]?.seq ?? this.seq + 1;
    if (after < oldest - 1) return 'reset';
    return after;
  }

  append(change: Omit<Change, 'id' | 'seq'>): Change {
    const seq = ++this.seq;
    const full: Change = { ...change, seq, id: `${this.epoch}.${seq}` };
    this.ring.push(full);
    if (this.ring.length > this.capacity) this.ring.shift();
    for (const listener of this.listeners) listener(full);
    return full;
  }

  /**
   * The changes after a Last-Event-ID, or 'reset' when they cannot be told exactly (another epoch,
   * or older than the log keeps, or an id that is not ours): the client must reload its state.
   */
  since(lastEventId: string): Change[] | 'reset' {
    const after = this.position(lastEventId);
    if (after === 'reset') return 'reset';
    if (after === this.seq) return [];
    const oldest = this.ring[0]!.seq;
    return this.ring.slice(after - oldest + 1);
  }

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscribers(): number {
    return this.listeners.size;
  }
}
