/**
 * The clock of the thread that runs Linux engines: one {@link DeadlineClock} over the addon's timerfd
 * (native/timer.c), so every instance's timers share one kernel timer that wakes the thread at the due time with
 * no timer slack and no polling — except the last 1–3 ms of a precise timer about to expire (a takeover; see
 * preciseLeadMs), polled with setImmediate. `performance.now()` and CLOCK_MONOTONIC differ by a per-thread origin, measured
 * once. Without the addon, the same heap runs on `setTimeout` with a polled last millisecond.
 */
import { timeoutWakeUpSource } from '../adapters/system-clock.js';
import { DeadlineClock, type WakeUpSource } from '../engine/deadline-clock.js';
import type { Clock } from '../adapters/types.js';
import { loadAddon } from './addon.js';

/** A wake-up source on the addon's timerfd; throws when the addon is missing. */
export function timerfdWakeUpSource(onWake: () => void): WakeUpSource {
  const native = loadAddon();
  const handle = native.timerOpen(onWake);
  native.timerRef(handle, false);
  // performance.now() = CLOCK_MONOTONIC − this thread's time origin; the difference is fixed for the thread.
  const offsetMs = monotonicOffsetMs(native.monotonicMs);
  let closed = false;
  let polling: NodeJS.Immediate | undefined;
  let pollDueMs = 0;
  const stopPolling = (): void => {
    if (polling === undefined) return;
    clearImmediate(polling);
    polling = undefined;
  };
  // One setImmediate per loop turn: the turn's poll phase reads the sockets (timeout 0), then this checks the time.
  const tick = (): void => {
    if (performance.now() >= pollDueMs) {
      polling = undefined;
      onWake();
    } else polling = setImmediate(tick);
  };
  return {
    now: () => performance.now(),
    arm: (dueMs) => {
      stopPolling();
      native.timerArm(handle, dueMs + offsetMs);
    },
    disarm: () => {
      stopPolling();
      native.timerDisarm(handle);
    },
    poll: (dueMs) => {
      native.timerDisarm(handle);
      stopPolling();
      pollDueMs = dueMs;
      polling = setImmediate(tick);
    },
    ref: (ref) => {
      if (!closed) native.timerRef(handle, ref);
    },
    close: () => {
      closed = true;
      stopPolling();
      native.timerClose(handle);
    },
  };
}

/**
 * CLOCK_MONOTONIC − performance.now(), read between two performance.now() readings, keeping the tightest of a few
 * tries: a single reading was off by 0.5 ms (the first native call is slow, and it fell between the two clocks).
 */
export function monotonicOffsetMs(monotonicMs: () => number): number {
  let best = Infinity;
  let offsetMs = 0;
  for (let i = 0; i < 8; i++) {
    const before = performance.now();
    const monotonic = monotonicMs();
    const after = performance.now();
    if (after - before < best) {
      best = after - before;
      offsetMs = monotonic - (before + after) / 2;
    }
  }
  return offsetMs;
}

/**
 * How early a precise timer's thread is woken once before its due time (see DeadlineClock), by the timer's delay:
 * 1 ms per second of it, from 1 to 3 ms. Why: the first call into JavaScript after the thread slept costs more the
 * longer it slept. A fresh backup at 1 s adverts, its master crashed (`bench/failover.ts --runs 5 --intervals 1000
 * --modes crash --pairs keepalived-vrrp`, 2026-12-03, alternating): with a 1 ms lead its first advert left 2.0–2.3 ms
 * past the RFC bound at the median (strace: 2.4 ms from the timerfd's wake-up to the send, no poll — the due time
 * had passed before JavaScript ran), with 2 ms 1.1, with 3 ms 0.6–0.9 (keepalived→keepalived 0.6 in the same
 * hour); at 100 ms and 10 ms adverts (a 0.36 s and a 36 ms timer) the lead stays 1 ms.
 */
export function preciseLeadMs(delayMs: number): number {
  return Math.min(PRECISE_LEAD_MAX_MS, Math.max(PRECISE_LEAD_MIN_MS, delayMs / 1000));
}
const PRECISE_LEAD_MIN_MS = 1;
const PRECISE_LEAD_MAX_MS = 3;

let clock: DeadlineClock | undefined;

/** This thread's one clock for Linux engines (a `DeadlineClock`: timerfd when the addon loads, else `setTimeout`). */
export function threadClock(): Clock {
  if (clock) return clock;
  try {
    clock = new DeadlineClock(timerfdWakeUpSource, undefined, { preciseLeadMs });
  } catch {
    clock = new DeadlineClock((onWake) => timeoutWakeUpSource(onWake));
  }
  return clock;
}
