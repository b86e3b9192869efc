/**
 * The Linux clock: `systemClock`'s time and ordinary timers, with its precise timers (a backup's
 * Master_Down_Timer, whose expiry is a takeover) on a timerfd through our addon (native/precise_timer.c).
 *
 * Why: the portable precise timer sleeps short of its due time and polls the event loop with `setImmediate` for
 * the last millisecond or two. That poll costs a core while it runs, fired 0.1-0.3 ms after the due time in a
 * namespace lab, and allocates an Immediate per turn, so a garbage collection may start right before a takeover
 * and delay it by its length (scavenges of 0.3-4.5 ms were seen within 12 ms of takeovers in the failover
 * benchmark). A timerfd expires on the kernel's high-resolution clock and wakes the loop like a socket would; the
 * process sleeps until then. Without the addon this clock is `systemClock`.
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

const idleSlots: Slot[] = [];
/** Set once opening a native timer failed (no addon): every precise timer then falls back to systemClock's. */
let nativeUnavailable = false;

function takeSlot(): Slot | undefined {
  const reused = idleSlots.pop();
  if (reused !== undefined) return reused;
  if (nativeUnavailable) return undefined;
  const slot: Slot = { timer: undefined as unknown as PreciseTimer, armedFor: undefined, callback: undefined };
  try {
    slot.timer = openPreciseTimer(() => {
      const callback = slot.callback;
      if (callback === undefined) return;
      slot.armedFor = undefined;
      slot.callback = undefined;
      idleSlots.push(slot);
      callback();
    });
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
