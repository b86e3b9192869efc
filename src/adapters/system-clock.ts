/**
 * Clocks on `setTimeout`: the main-thread clock for adapters that keep their engine on the app's thread (custom
 * adapters), and the wake-up source the engine thread's one-timer clock (src/engine/deadline-clock.ts) falls back
 * on without the addon's timerfd.
 */
import type { WakeUpSource } from '../engine/deadline-clock.js';
import type { Clock } from './types.js';

/**
 * How long a precise timer may sleep when `remainingMs` are left before its due time, so that it still wakes up
 * before it. Two lateness sources are covered: Linux lets an `epoll_wait` of T ms end up to T/1000 ms late
 * (select_estimate_accuracy's 0.1% slack, capped at 100 ms: 3.6 ms on a 3.6 s Master_Down_Timer, measured), and
 * Node's timers count whole milliseconds from a cached loop time. 0 means "do not sleep, poll" (under 3 ms left).
 * Sleeping again for what is left converges: each sleep is shorter, and so is its slack.
 */
export function preciseSleepMs(remainingMs: number): number {
  return Math.max(0, Math.floor(remainingMs - 1 - Math.min(remainingMs / 1000, 100)));
}

/**
 * A wake-up source on `setTimeout`, for threads without the addon: it sleeps in steps that end before the due time
 * and polls the last stretch with `setImmediate` (see {@link preciseSleepMs} for why) — some CPU in the final
 * millisecond or two, which the timerfd source does not spend.
 */
export function timeoutWakeUpSource(onWake: () => void, sleepMs: (remainingMs: number) => number = preciseSleepMs): WakeUpSource {
  let dueMs: number | undefined;
  let timeout: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let referenced = true;
  const clear = (): void => {
    clearTimeout(timeout);
    clearImmediate(immediate);
    timeout = undefined;
    immediate = undefined;
  };
  const tick = (): void => {
    timeout = undefined;
    immediate = undefined;
    if (dueMs === undefined) return;
    const remainingMs = dueMs - performance.now();
    if (remainingMs <= 0) {
      dueMs = undefined;
      onWake();
      return;
    }
    const step = sleepMs(remainingMs);
    if (step === 0) immediate = setImmediate(tick);
    else {
      timeout = setTimeout(tick, step);
      if (!referenced) timeout.unref();
    }
  };
  return {
    now: () => performance.now(),
    arm(due) {
      clear();
      dueMs = due;
      tick();
    },
    disarm() {
      dueMs = undefined;
      clear();
    },
    ref(ref) {
      referenced = ref;
      if (ref) timeout?.ref();
      else timeout?.unref();
    },
  };
}

/**
 * The real clock: `performance.now()` and `setTimeout`. A precise timer sleeps in steps that each end before its
 * due time (leaving room for the kernel's timer slack, see `preciseSleepMs` in this file) and polls the last
 * stretch with `setImmediate` — a millisecond or two of spinning, spent only when a takeover is due, never on the
 * periodic advertisement timer.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer(delayMs, callback, options) {
    if (!options?.precise) {
      const handle = setTimeout(callback, Math.max(0, delayMs));
      return () => clearTimeout(handle);
    }
    const source = timeoutWakeUpSource(callback);
    source.arm(performance.now() + delayMs);
    return () => source.disarm();
  },
};
