/**
 * A binary min-heap of timers by due time, ties in the order they were set (`seq`). Shared by the engine thread's
 * {@link DeadlineClock} and the testing kit's VirtualClock, which both fire timers in (due time, creation) order
 * and cancel lazily: a cancelled timer stays in the heap until it reaches the top.
 */

/** What the heap orders. */
export interface HeapTimer {
  /** Due time, ms. */
  dueMs: number;
  /** Creation order: earlier first among equal due times. */
  seq: number;
}

/** A min-heap of {@link HeapTimer}s. */
export class DeadlineHeap<T extends HeapTimer> {
  readonly #items: T[] = [];

  /** Number of timers held (cancelled ones included until they are dropped). */
  get size(): number {
    return this.#items.length;
  }

  /** The earliest timer, if any. */
  peek(): T | undefined {
    return this.#items[0];
  }

  /** Every timer held, in no particular order. */
  values(): readonly T[] {
    return this.#items;
  }

  /** Adds a timer. */
  push(item: T): void {
    const heap = this.#items;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(item, heap[parent] as T)) break;
      heap[i] = heap[parent] as T;
      i = parent;
    }
    heap[i] = item;
  }

  /** Removes and returns the earliest timer. */
  pop(): T | undefined {
    const heap = this.#items;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length === 0 || last === undefined) return top;
    let i = 0;
    const n = heap.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && before(heap[right] as T, heap[left] as T) ? right : left;
      if (!before(heap[child] as T, last)) break;
      heap[i] = heap[child] as T;
      i = child;
    }
    heap[i] = last;
    return top;
  }

  /** Drops the timers at the top for which `dead` holds (lazily cancelled ones). */
  dropWhile(dead: (item: T) => boolean): void {
    while (this.#items.length > 0 && dead(this.#items[0] as T)) this.pop();
  }

  /** Empties the heap. */
  clear(): void {
    this.#items.length = 0;
  }
}

function before(a: HeapTimer, b: HeapTimer): boolean {
  return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.seq < b.seq);
}
