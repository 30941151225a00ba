// The waiting keys of a work queue, in the order workers take them: the highest priority first,
// and among equal priorities the key added first (so that with one priority it is a FIFO). A key is
// held once; adding it again may raise its priority (it moves up) but never lowers it, so a key
// never waits longer because it was added twice. A binary heap with lazy deletion: a raised key
// leaves its old entry behind, which is skipped when it comes to the top.
interface Entry {
  key: string;
  priority: number;
  /** Order of insertion, the tie-break; also tells a live entry from one left behind by a raise. */
  sequence: number;
}

export class OrderedKeys {
  private readonly heap: Entry[] = [];
  private readonly live = new Map<string, Entry>();
  private sequence = 0;

  get size(): number {
    return this.live.size;
  }

  has(key: string): boolean {
    return this.live.has(key);
  }

  /** Adds a key, or raises the priority of a key already held; returns whether it was new. */
  add(key: string, priority = 0): boolean {
    const held = this.live.get(key);
    if (held && held.priority >= priority) return false;
    // A raised key keeps its place among its new peers by when it was first added.
    const entry: Entry = { key, priority, sequence: held?.sequence ?? this.sequence++ };
    this.live.set(key, entry);
    this.push(entry);
    return !held;
  }

  /** Removes and returns the key that goes first, or undefined when none waits. */
  shift(): string | undefined {
    while (this.heap.length) {
      const top = this.pop();
      if (this.live.get(top.key) === top) {
        this.live.delete(top.key);
        return top.key;
      }
    }
    return undefined;
  }

  clear(): void {
    this.heap.length = 0;
    this.live.clear();
  }

  private static before(a: Entry, b: Entry): boolean {
    return a.priority !== b.priority ? a.priority > b.priority : a.sequence < b.sequence;
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!OrderedKeys.before(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  private pop(): Entry {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let first = i;
        if (left < heap.length && OrderedKeys.before(heap[left], heap[first])) first = left;
        if (right < heap.length && OrderedKeys.before(heap[right], heap[first])) first = right;
        if (first === i) break;
        [heap[i], heap[first]] = [heap[first], heap[i]];
        i = first;
      }
    }
    return top;
  }
}
