/**
 * A clock whose time moves only when told to. Timers fire in (time, creation) order, and after each one the
 * promise chains it started are allowed to settle, so async code (the instance's action queue, hooks awaiting
 * fakes) runs to completion at the virtual instant it belongs to. Ten minutes of protocol take milliseconds.
 */
import type { Clock } from '../adapters/types.js';

interface Timer {
  atMs: number;
  seq: number;
  callback: () => void;
  cancelled: boolean;
}

/** Lets every promise chain that is ready run to completion (a macrotask boundary). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A manually advanced {@link Clock} for tests and simulations. */
export class VirtualClock implements Clock {
  #nowMs: number;
  #seq = 0;
  readonly #heap: Timer[] = [];
  #advancing = false;

  /** Starts at `startMs` (default 0). */
  constructor(startMs = 0) {
    this.#nowMs = startMs;
  }

  /** Current virtual time in ms. */
  now(): number {
    return this.#nowMs;
  }

  /** Schedules `callback` at now + `delayMs` (negative delays fire at now). Returns a cancel function. */
  setTimer(delayMs: number, callback: () => void): () => void {
    const timer: Timer = { atMs: this.#nowMs + Math.max(0, delayMs), seq: this.#seq++, callback, cancelled: false };
    this.#push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Number of timers still scheduled. */
  get pendingTimers(): number {
    return this.#heap.filter((timer) => !timer.cancelled).length;
  }

  /** Virtual time of the next timer, if any. */
  nextTimerAt(): number | undefined {
    this.#dropCancelled();
    return this.#heap[0]?.atMs;
  }

  /** Advances time by `ms`, firing every timer due on the way, in order, settling promises after each. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.#nowMs + ms);
  }

  /** Advances to the absolute virtual time `targetMs` (no-op if it is in the past). */
  async advanceTo(targetMs: number): Promise<void> {
    if (this.#advancing) throw new Error('virtual clock is already advancing (await the previous advance)');
    this.#advancing = true;
    try {
      await settle();
      for (;;) {
        this.#dropCancelled();
        const next = this.#heap[0];
        if (!next || next.atMs > targetMs) break;
        this.#pop();
        this.#nowMs = Math.max(this.#nowMs, next.atMs);
        next.callback();
        await settle();
      }
      this.#nowMs = Math.max(this.#nowMs, targetMs);
    } finally {
      this.#advancing = false;
    }
  }

  #dropCancelled(): void {
    while (this.#heap[0]?.cancelled) this.#pop();
  }

  #before(a: Timer, b: Timer): boolean {
    return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
  }

  #push(timer: Timer): void {
    const heap = this.#heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(heap[i] as Timer, heap[parent] as Timer)) break;
      [heap[i], heap[parent]] = [heap[parent] as Timer, heap[i] as Timer];
      i = parent;
    }
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop();
    if (heap.length === 0 || !last) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && this.#before(heap[left] as Timer, heap[smallest] as Timer)) smallest = left;
      if (right < heap.length && this.#before(heap[right] as Timer, heap[smallest] as Timer)) smallest = right;
      if (smallest === i) break;
      [heap[i], heap[smallest]] = [heap[smallest] as Timer, heap[i] as Timer];
      i = smallest;
    }
  }
}
