/**
 * The main-thread clock for adapters that keep their engine on the app's thread (custom adapters): `performance.now()`
 * and `setTimeout`. The Linux engine thread uses its own one-timer clock (src/engine/deadline-clock.ts) instead.
 */
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
 * The real clock: `performance.now()` and `setTimeout`. A precise timer sleeps in steps that each end before its
 * due time (see {@link preciseSleepMs}) and polls the last stretch with `setImmediate` — a millisecond or two of
 * spinning, spent only when a takeover is due, never on the periodic advertisement timer.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer(delayMs, callback, options) {
    if (!options?.precise) {
      const handle = setTimeout(callback, Math.max(0, delayMs));
      return () => clearTimeout(handle);
    }
    const dueMs = performance.now() + delayMs;
    let timeout: NodeJS.Timeout | undefined;
    let immediate: NodeJS.Immediate | undefined;
    const tick = (): void => {
      timeout = undefined;
      immediate = undefined;
      const remainingMs = dueMs - performance.now();
      if (remainingMs <= 0) return callback();
      const sleepMs = preciseSleepMs(remainingMs);
      if (sleepMs === 0) immediate = setImmediate(tick);
      else timeout = setTimeout(tick, sleepMs);
    };
    tick();
    return () => {
      clearTimeout(timeout);
      clearImmediate(immediate);
    };
  },
};
