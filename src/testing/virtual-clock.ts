/**
 * A clock whose time moves only when told to. Timers fire in (time, creation) order, and after each one the
 * promise chains it started are allowed to settle, so async code (the instance's action queue, hooks awaiting
 * fakes) runs to completion at the virtual instant it belongs to. Ten minutes of protocol take milliseconds.
 */
import { AsyncResource } from 'node:async_hooks';
import type { Clock } from '../adapters/types.js';
import { DeadlineHeap } from '../engine/deadline-heap.js';

interface Timer {
  dueMs: number;
  seq: number;
  callback: () => void;
  /** The async context the timer was set in, which its callback runs in (see setTimer). */
  context: AsyncResource;
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
  readonly #heap = new DeadlineHeap<Timer>();
  #advancing = false;

  /** Starts at `startMs` (default 0). */
  constructor(startMs = 0) {
    this.#nowMs = startMs;
  }

  /** Current virtual time in ms. */
  now(): number {
    return this.#nowMs;
  }

  /**
   * Schedules `callback` at now + `delayMs` (negative delays fire at now), to run in the async context of this call
   * (AsyncLocalStorage stores), as a `setTimeout` callback does. Returns a cancel function. Throws a RangeError for
   * a delay that is not a finite number: NaN made the clock's time NaN for good.
   */
  setTimer(delayMs: number, callback: () => void): () => void {
    if (!Number.isFinite(delayMs)) throw new RangeError(`virtual clock: a timer's delay must be a finite number of ms, not ${delayMs}`);
    // The context goes with the timer, as with the system clock: code that tells by async context whose work it
    // is (VrrpInstance.stop() from its own hook) must see in the sim what it sees in production. One AsyncResource
    // per timer, entered when it fires: no wrapper function per timer (AsyncResource.bind makes one around such a
    // resource), and it carries the context both where async hooks do (Node 20) and async context frames (later).
    const context = new AsyncResource('VirtualClockTimer');
    const timer: Timer = { dueMs: this.#nowMs + Math.max(0, delayMs), seq: this.#seq++, callback, context, cancelled: false };
    this.#heap.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Number of timers still scheduled. */
  get pendingTimers(): number {
    return this.#heap.values().filter((timer) => !timer.cancelled).length;
  }

  /** Virtual time of the next timer, if any. */
  nextTimerAt(): number | undefined {
    this.#heap.dropWhile(isCancelled);
    return this.#heap.peek()?.dueMs;
  }

  /** Advances time by `ms`, firing every timer due on the way, in order, settling promises after each. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.#nowMs + ms);
  }

  /**
   * Advances to the absolute virtual time `targetMs` (no-op if it is in the past). Rejects with a RangeError for a
   * time that is not a finite number: every timer counted as due before NaN, so a periodic one never let it end.
   */
  async advanceTo(targetMs: number): Promise<void> {
    if (!Number.isFinite(targetMs)) throw new RangeError(`virtual clock: cannot advance to ${targetMs}: give a finite time in ms`);
    if (this.#advancing) throw new Error('virtual clock is already advancing (await the previous advance)');
    this.#advancing = true;
    try {
      await settle();
      for (;;) {
        this.#heap.dropWhile(isCancelled);
        const next = this.#heap.peek();
        if (!next || next.dueMs > targetMs) break;
        this.#heap.pop();
        this.#nowMs = Math.max(this.#nowMs, next.dueMs);
        next.context.runInAsyncScope(next.callback);
        await settle();
      }
      this.#nowMs = Math.max(this.#nowMs, targetMs);
    } finally {
      this.#advancing = false;
    }
  }
}

function isCancelled(timer: Timer): boolean {
  return timer.cancelled;
}
