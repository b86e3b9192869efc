/**
 * The clock of the thread that runs Linux engines: one {@link DeadlineClock} over the addon's timerfd
 * (native/timer.c), so every instance's timers share one kernel timer that wakes the thread at the due time with
 * no timer slack and no polling — except the last 3 ms (8 ms of a timer of a second or more) of a precise timer
 * about to expire (a takeover; see PRECISE_LEAD_MS), polled with setImmediate. `performance.now()` and
 * CLOCK_MONOTONIC differ by a per-thread origin, measured once. Without the addon, the same heap runs on `setTimeout`
 * with a polled last millisecond.
 */
import { timeoutWakeUpSource } from '../adapters/system-clock.js';
import { DeadlineClock, type WakeUpSource } from '../engine/deadline-clock.js';
import type { Clock } from '../adapters/types.js';
import { loadAddon, type NativeAddon } from './addon.js';

/** The addon's calls a {@link timerfdWakeUpSource} makes. */
export type TimerAddon = Pick<NativeAddon, 'timerOpen' | 'timerArm' | 'timerDisarm' | 'timerClose' | 'timerRef' | 'monotonicMs' | 'waitDrain'>;

/** A wake-up source on the addon's timerfd (`native`: the addon, loaded when not given); throws when it is missing. */
export function timerfdWakeUpSource(onWake: () => void, native: TimerAddon = loadAddon()): WakeUpSource {
  const handle = native.timerOpen(onWake);
  native.timerRef(handle, false);
  // performance.now() = CLOCK_MONOTONIC − this thread's time origin; the difference is fixed for the thread.
  const offsetMs = monotonicOffsetMs(native.monotonicMs);
  let closed = false;
  let polling: NodeJS.Immediate | undefined;
  let pollDueMs = 0;
  /** Counts the source's armings (arm, disarm, poll), so that the tick can tell whether what it ran re-armed it. */
  let armings = 0;
  const stopPolling = (): void => {
    if (polling === undefined) return;
    clearImmediate(polling);
    polling = undefined;
  };
  // One setImmediate per loop turn: the turn's poll phase reads the sockets (timeout 0), then this checks the time.
  const tick = (): void => {
    if (performance.now() < pollDueMs) {
      polling = setImmediate(tick);
      return;
    }
    polling = undefined;
    // Ours before JavaScript (docs/linux.md): the thread's own wait is handled in C first, so an armed takeover
    // whose alarm came due while the early wake's JavaScript ran fires from C now, not after this timer's callback
    // (the engine's fallback) takes over in JavaScript, cold — the check phase follows that callback's poll phase
    // with no poll between (perf of a fresh backup at 1 s, crash: JavaScript sent at +1.29 ms past the deadline,
    // the alarm had expired at +0.002).
    const before = armings;
    native.waitDrain();
    // A socket's JavaScript that ran in the drain re-armed the source (a master's advert moved the timers): its
    // arming stands, and waking now would fire the heap as if that later time had come.
    if (armings === before) onWake();
  };
  return {
    now: () => performance.now(),
    arm: (dueMs) => {
      armings++;
      stopPolling();
      native.timerArm(handle, dueMs + offsetMs);
    },
    disarm: () => {
      armings++;
      stopPolling();
      native.timerDisarm(handle);
    },
    poll: (dueMs) => {
      armings++;
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
 * How early a precise timer's thread is woken once before its due time (see DeadlineClock): PRECISE_LEAD_MS, and
 * LONG_SLEEP_LEAD_MS for a timer of LONG_SLEEP_MS or more. Why the longer lead: a fresh backup at 1 s adverts whose
 * master crashed sleeps about 3.6 s before its takeover, and the early wake's JavaScript after such a sleep ran 2–4.5
 * ms (perf, docs/linux.md "Ours before JavaScript"), past a 3 ms lead: the armed takeover's alarm then waited for it.
 * A/B in the failover benchmark's lab (`bench/failover.ts --runs 10 --intervals 1000 --modes crash --pairs
 * keepalived-vrrp`, dist/linux/clock.js edited between the arms, three rounds alternating, 2026-12-04 21:43–21:52,
 * kernel fc-v1272), takeover past the RFC bound at the median (worst): 8 ms +0.54 (+1.52), +0.43 (+2.08), +0.56
 * (+1.62) against 3 ms +1.25 (+2.18), +1.31 (+2.91), +2.02 (+2.11); keepalived→keepalived read +0.7 at the median in
 * the full run of the same evening. Only there: at 100 ms and 10 ms adverts, 8 ms for every timer read the same
 * medians (two rounds each, 21:53–21:58: within 0.1 ms in every row) and worst cases that moved as much between
 * rounds of one lead as between the leads (100 ms clean +1.10 / +1.00 with 8 ms, +0.22 / +3.89 with 3 ms), and a
 * 609 ms Skew_Time does well with 3 ms (below); a longer polled stretch competed for the CPU before (below).
 *
 * The short lead, 3 ms (for every timer, whatever its delay, until the A/B above). Why: the first instants of a thread
 * switched in after a sleep cost more the longer it slept, and the lead must cover them. Until 2026-12-04 the lead grew
 * with the timer's delay (1 ms per second of it, 1 to 3 ms: a fresh backup at 1 s adverts, its master crashed, left
 * 2.0–2.3 ms past the RFC bound with a 1 ms lead, 0.6–0.9 with 3 ms), so a clean stop's 609 ms Skew_Time at 1 s adverts
 * got 1 ms — after 600 ms asleep the thread took no interrupt for about 1 ms once switched in (perf, docs/linux.md
 * "Ours before JavaScript"), past its 1 ms. A/B in the failover benchmark's lab (`bench/failover.ts --runs 10 --pairs
 * keepalived-vrrp`, dist/linux/clock.js edited between the arms, 2026-12-04 15:18–15:58, kernel fc-v1272), takeover
 * past the RFC bound at the median (worst), 1–3 ms against 3 ms: 1 s clean +0.8 (+1.1) against +0.1 (+0.7); 100 ms
 * crash +0.4 (+0.5) / +0.2 (+0.4), clean +0.3 (+0.7) / +0.2 (+0.3); 10 ms crash +0.3 (+0.7) / +0.2 (+0.6), clean +0.2
 * (+2.9) / +0.2 (+0.3); a backup of 15 s at 10 ms, crash, +0.6 (+2.8) / +0.5 (+1.2); of 5 s at 10 ms, clean, +0.3
 * (+0.9) / +0.4 (+1.7). (On 2026-12-02, before takeovers were armed in C, 3 ms made 10 ms clean stops later, +1.0
 * against +0.3 ms: the polled stretch competed for the CPU.) The polled stretch costs up to 3 ms (8 ms) of one core per
 * precise timer that comes due — a takeover, or a silence that a late repeat then ends.
 */
export const PRECISE_LEAD_MS = 3;

/** The lead of a precise timer whose delay is LONG_SLEEP_MS or more (see PRECISE_LEAD_MS). */
export const LONG_SLEEP_LEAD_MS = 8;

/** From this delay on, a precise timer gets LONG_SLEEP_LEAD_MS (see PRECISE_LEAD_MS). */
export const LONG_SLEEP_MS = 1000;

/** The lead of a precise timer of `delayMs` on the Linux engine thread (see PRECISE_LEAD_MS). */
export function preciseLeadMs(delayMs: number): number {
  return delayMs >= LONG_SLEEP_MS ? LONG_SLEEP_LEAD_MS : PRECISE_LEAD_MS;
}

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
