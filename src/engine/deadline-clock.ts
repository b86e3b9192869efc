/**
 * One timer for every instance of a thread: a {@link Clock} whose timers live in one deadline heap over a single
 * underlying one-shot wake-up (the addon's timerfd on Linux, see native/timer.c; `setTimeout` elsewhere).
 *
 * Why: each instance needs one timer (its Master_Down_Timer or its Adver_Timer) plus its trackers'. With one
 * kernel timer per instance, 255 instances at 10 ms adverts are 25,500 timer syscalls and wake-ups a second however
 * few packets there are; here the thread wakes once per distinct due time, and re-arming a timer that is not the
 * earliest costs a heap push and no syscall. CPU grows with packets, not with instances (docs/architecture.md).
 *
 * Rules:
 * - Timers fire in due-time order; two due at the same time fire in the order they were set.
 * - A timer fires no earlier than its due time (the wake-up source guarantees that for itself; a wake-up that comes
 *   early anyway re-arms for what is left).
 * - Cancelling is O(1): the entry is marked and skipped when it reaches the top (its slot is reclaimed then).
 * - A callback that throws does not stop the others due at the same time; the error goes to `onError`.
 */
import type { Clock } from '../adapters/types.js';
import { DeadlineHeap } from './deadline-heap.js';

/** The single wake-up a {@link DeadlineClock} drives: one pending due time at most. */
export interface WakeUpSource {
  /** Monotonic now in ms, the same timeline as the due times. */
  now(): number;
  /** Wake up (call the `onWake` given at creation) at `dueMs`, replacing any earlier arming. */
  arm(dueMs: number): void;
  /** Cancel the pending wake-up, if any (an armed one or a poll). */
  disarm(): void;
  /**
   * Optional: wake up at `dueMs` by polling the event loop until then (the loop keeps reading its sockets),
   * replacing any arming; for the last stretch of a precise timer, where the first call into JavaScript after an
   * idle sleep costs more than the time left.
   */
  poll?(dueMs: number): void;
  /** Whether a pending wake-up keeps the thread alive (ref) or not. */
  ref?(ref: boolean): void;
  /** Releases the source. */
  close?(): void;
}

interface Entry {
  dueMs: number;
  seq: number;
  callback: (() => void) | undefined;
  /** Asked for precision (a backup's Master_Down_Timer): woken this early once, see {@link DeadlineClock}; 0: not. */
  leadMs: number;
}

/** A {@link Clock} multiplexing every timer of a thread onto one {@link WakeUpSource}. */
export class DeadlineClock implements Clock {
  readonly #heap = new DeadlineHeap<Entry>();
  #seq = 0;
  #armedMs: number | undefined;
  #source: WakeUpSource;
  readonly #onError: (error: unknown) => void;
  /** Timers set and not yet fired or cancelled: the source holds the thread alive only while there are some. */
  #live = 0;

  /**
   * `createSource(onWake)` builds the wake-up source that calls `onWake` at its armed time; `onError` receives what
   * a timer callback throws.
   */
  constructor(
    createSource: (onWake: () => void) => WakeUpSource,
    onError: (error: unknown) => void = reportUncaught,
    options: { preciseLeadMs?: number | ((delayMs: number) => number) } = {},
  ) {
    this.#source = createSource(this.#onWake);
    this.#onError = onError;
    const lead = options.preciseLeadMs ?? 0;
    this.#preciseLeadMs = typeof lead === 'function' ? (delayMs) => Math.max(0, lead(delayMs)) : () => Math.max(0, lead);
  }

  /**
   * A precise timer's thread is woken this long before its due time, and the rest is polled (when the source can
   * poll) or armed again for the due time: after a long idle stretch (a backup's life), the first call into
   * JavaScript from the event loop is slow (measured at a takeover: 55–175 µs on the main thread; our takeover
   * 0.5–0.7 ms past the RFC bound on the engine thread with a plain timerfd wake-up); the early wake pays it while
   * there is time. 0: no early wake. Only a precise timer about to expire is polled — a backup whose master is
   * alive never gets there. A number, or the lead for a timer's delay. The Linux thread's lead and why:
   * src/linux/clock.ts, preciseLeadMs.
   */
  readonly #preciseLeadMs: (delayMs: number) => number;
  /** The due time of the entry the source is armed for (#armedMs is earlier when it is a precise entry's early wake). */
  #armedDueMs: number | undefined;

  /** See {@link Clock.now}. */
  now(): number {
    return this.#source.now();
  }

  /** Timers pending (not fired, not cancelled). */
  get pending(): number {
    return this.#live;
  }

  /** See {@link Clock.setTimer}. Every timer of this clock is precise: the source wakes at the due time. */
  setTimer(delayMs: number, callback: () => void, options?: { precise?: boolean }): () => void {
    const entry = this.#spare.pop() ?? { dueMs: 0, seq: 0, callback: undefined, leadMs: 0 };
    entry.dueMs = this.#source.now() + Math.max(0, delayMs);
    const seq = this.#seq++;
    entry.seq = seq;
    entry.callback = callback;
    entry.leadMs = options?.precise === true ? this.#preciseLeadMs(Math.max(0, delayMs)) : 0;
    this.#heap.push(entry);
    this.#live++;
    if (this.#live === 1) this.#source.ref?.(true);
    // While a wake-up fires its timers, the source is armed once at its end, for whatever is then the earliest.
    if (!this.#firing && (this.#armedDueMs === undefined || entry.dueMs < this.#armedDueMs)) this.#arm(entry);
    return () => {
      // Fired, cancelled, or since reused for another timer (its seq is then another): nothing to cancel.
      if (entry.seq !== seq || entry.callback === undefined) return;
      entry.callback = undefined;
      this.#released();
      // The heap keeps the entry until it reaches the top. If it was the one the source is armed for, re-arm for
      // the next live one at the end of this turn: a backup's Master_Down_Timer is cancelled by every advert, so
      // the earliest timer is cancelled about once per packet, and waking for nothing cost more (a wake-up and a
      // call into JavaScript) than one re-arm per turn shared by every packet of the turn (a syscall).
      if (entry.dueMs === this.#armedDueMs && !this.#rearmQueued && !this.#firing) {
        this.#rearmQueued = true;
        queueMicrotask(this.#rearm);
      }
    };
  }

  #rearmQueued = false;
  /**
   * Entries that left the heap, for the next timers. Why: V8 pretenured the entries' allocation site (at start, the
   * timers of every instance live long), so each new entry and its due time went straight to the old generation
   * and stayed there as garbage until a full GC — at 255 masters, one entry and one boxed number per advert, about
   * 200 KB of old generation a second (docs/linux.md, "Memory per instance").
   */
  readonly #spare: Entry[] = [];

  /** Puts an entry that left the heap aside for reuse (its callback is cleared already). */
  #recycle(entry: Entry): void {
    if (this.#spare.length < SPARE_ENTRIES_MAX) this.#spare.push(entry);
  }

  /** Drops cancelled entries from the top of the heap, keeping them for reuse. */
  #dropCancelled(): void {
    const heap = this.#heap;
    for (let top = heap.peek(); top !== undefined && top.callback === undefined; top = heap.peek()) this.#recycle(heap.pop() as Entry);
  }

  /**
   * Set while #onWake fires due timers. Why: the timers they set (each master's next Adver_Timer, often the same
   * instant) re-armed the source one by one, a timerfd syscall each, where one at the end of the wake-up does.
   */
  #firing = false;

  /** Re-arms the source for the earliest live timer, dropping cancelled ones from the top (see the cancel above). */
  readonly #rearm = (): void => {
    this.#rearmQueued = false;
    this.#dropCancelled();
    const next = this.#heap.peek();
    if (next?.dueMs === this.#armedDueMs) return;
    if (next === undefined) {
      this.#armedMs = undefined;
      this.#armedDueMs = undefined;
      this.#source.disarm();
    } else this.#arm(next);
  };

  /** Cancels every timer and releases the source. */
  close(): void {
    for (const entry of this.#heap.values()) entry.callback = undefined;
    this.#heap.clear();
    this.#live = 0;
    this.#armedMs = undefined;
    this.#armedDueMs = undefined;
    this.#source.disarm();
    this.#source.close?.();
  }

  readonly #onWake = (): void => {
    // The source woke us for the time it was armed at: that time has come, whatever our own reading of the clock
    // says. Two readings of one clock through two paths (timerfd's CLOCK_MONOTONIC, performance.now()) can differ
    // by a few microseconds; trusting our reading alone re-armed a due time already past, and the source fired
    // again at once, until the readings agreed (measured: 19 wake-ups per timer before this).
    const armedMs = this.#armedMs ?? -Infinity;
    this.#armedMs = undefined;
    this.#armedDueMs = undefined;
    const now = Math.max(this.#source.now(), armedMs);
    const heap = this.#heap;
    // Fire everything due. A callback may set new timers (due now or later): they join the heap and, when due,
    // fire in this same loop, in order.
    this.#firing = true;
    try {
      for (;;) {
        this.#dropCancelled();
        const top = heap.peek();
        if (top === undefined || top.dueMs > now) break;
        heap.pop();
        const callback = top.callback as () => void;
        top.callback = undefined;
        this.#recycle(top);
        this.#released();
        try {
          callback();
        } catch (error) {
          this.#onError(error);
        }
      }
    } finally {
      this.#firing = false;
    }
    this.#dropCancelled();
    const next = heap.peek();
    if (next !== undefined) this.#arm(next);
  };

  #released(): void {
    this.#live--;
    if (this.#live === 0) this.#source.ref?.(false);
  }

  #arm(entry: Entry): void {
    this.#armedDueMs = entry.dueMs;
    if (entry.leadMs > 0) {
      // (A margin of 50 µs: the early wake itself must not look early by the microseconds two clocks disagree.)
      if (entry.dueMs - this.#source.now() > entry.leadMs + 0.05) {
        // A precise entry's early wake: the lead before its due time.
        this.#armedMs = entry.dueMs - entry.leadMs;
        this.#source.arm(this.#armedMs);
        return;
      }
      // Within the lead (after its early wake): the last stretch is polled where the source can, which also reads
      // the sockets on every turn, so an advert that arrives meanwhile still counts.
      if (this.#source.poll) {
        this.#armedMs = entry.dueMs;
        this.#source.poll(entry.dueMs);
        return;
      }
    }
    this.#armedMs = entry.dueMs;
    this.#source.arm(entry.dueMs);
  }
}

/** The most entries kept for reuse: more than one thread's timers at once (255 instances, a few each). */
const SPARE_ENTRIES_MAX = 1024;

function reportUncaught(error: unknown): void {
  // Rethrown outside the loop, so one failing callback cannot stop the timers due with it.
  queueMicrotask(() => {
    throw error;
  });
}
