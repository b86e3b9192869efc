/**
 * The Linux clock: `systemClock`'s time and ordinary timers, with its precise timers (a backup's
 * Master_Down_Timer, whose expiry is a takeover) on a timerfd through our addon (native/precise_timer.c).
 *
 * Why: the portable precise timer sleeps short of its due time in several steps (Linux lets an epoll_wait of T ms
 * end up to T/1000 late) and polls the event loop with `setImmediate` for the last millisecond or two, running
 * JavaScript and allocating an Immediate on every turn. A timerfd sleeps once, to the nanosecond; for the last
 * {@link SPIN_MS} the loop then turns without sleeping and without JavaScript, the due time checked in C, so the
 * takeover starts on a hot process. (Firing straight from the timerfd, with no spin, took our takeovers from 0.2
 * to 0.3-0.7 ms past the RFC bound in the failover benchmark: a process woken from a long sleep answers late.)
 * Without the addon this clock is `systemClock`.
 *
 * Timers are pooled per thread: a backup re-arms its Master_Down_Timer at every advert, and re-arming a timerfd is
 * one syscall where opening one is several. A disarmed timer does not keep the process alive.
 */
import { systemClock, type Clock } from '../adapters/types.js';
import { openPreciseTimer, type PreciseTimer } from './packet-socket.js';

/** One pooled native timer and the call it is armed for; `armedFor` identifies that call for its cancel. */
interface Slot {
  timer: PreciseTimer;
  armedFor: object | undefined;
  callback: (() => void) | undefined;
}

/**
 * How long before its due time a precise timer stops sleeping and polls the loop: covers the wake-up of a sleeping
 * process (0.3-0.5 ms seen in the failover benchmark) with room to spare. Spent only when a Master_Down_Timer
 * actually runs out, i.e. right before a takeover: a backup hearing its master re-arms the timer long before.
 */
const SPIN_MS = 2;

const idleSlots: Slot[] = [];
/** Set once opening a native timer failed (no addon): every precise timer then falls back to systemClock's. */
let nativeUnavailable = false;

function takeSlot(): Slot | undefined {
  const reused = idleSlots.pop();
  if (reused !== undefined) return reused;
  if (nativeUnavailable) return undefined;
  const slot: Slot = { timer: undefined as unknown as PreciseTimer, armedFor: undefined, callback: undefined };
  try {
    slot.timer = openPreciseTimer(
      () => {
        const callback = slot.callback;
        if (callback === undefined) return;
        slot.armedFor = undefined;
        slot.callback = undefined;
        idleSlots.push(slot);
        callback();
      },
      { spinMs: SPIN_MS },
    );
  } catch {
    nativeUnavailable = true;
    return undefined;
  }
  return slot;
}

/**
 * A {@link Clock} for Linux: `performance.now()`, `setTimeout` for ordinary timers, and a timerfd for precise ones
 * (falls back to {@link systemClock}'s precise timer when the addon is missing).
 */
export const linuxClock: Clock = {
  now: systemClock.now,
  setTimer(delayMs, callback, options) {
    if (!options?.precise) return systemClock.setTimer(delayMs, callback);
    const slot = takeSlot();
    if (slot === undefined) return systemClock.setTimer(delayMs, callback, options);
    const token = {};
    slot.armedFor = token;
    slot.callback = callback;
    try {
      slot.timer.arm(delayMs);
    } catch {
      // A timerfd that cannot be set (never seen): drop it and use the portable timer for this call.
      slot.armedFor = undefined;
      slot.callback = undefined;
      slot.timer.close();
      return systemClock.setTimer(delayMs, callback, options);
    }
    return () => {
      if (slot.armedFor !== token) return; // fired or cancelled already; the slot may serve another timer now
      slot.armedFor = undefined;
      slot.callback = undefined;
      slot.timer.disarm();
      idleSlots.push(slot);
    };
  },
};
