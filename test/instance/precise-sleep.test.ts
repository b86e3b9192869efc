/**
 * The real clock's precise timer sleeps in steps chosen by preciseSleepMs. Each step must end before the due time
 * even when the kernel adds its full slack to the sleep (0.1% of it, capped at 100 ms: select_estimate_accuracy)
 * and Node adds up to a millisecond of its own; and it must not spin for long. Checked as properties over the
 * whole range of Master_Down_Timers (a few ms to several minutes), not by sleeping, which would flake.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { preciseSleepMs } from '../../src/adapters/types.js';
import { propertySeed, seededCheck } from '../support/seed.js';

const check = seededCheck(propertySeed('precise-sleep'));
const kernelSlackMs = (sleepMs: number): number => Math.min(sleepMs / 1000, 100);
const remaining = fc.double({ min: 0.001, max: 600_000, noNaN: true });

describe('precise timer steps', () => {
  // For any time left, a sleep (if any) plus its worst lateness still ends at or before the due time.
  it('never sleeps past the due time, even with the kernel slack and Node’s millisecond', () => {
    check(
      fc.property(remaining, (remainingMs) => {
        const sleepMs = preciseSleepMs(remainingMs);
        return sleepMs === 0 || sleepMs + kernelSlackMs(sleepMs) + 1 <= remainingMs;
      }),
      20_000,
    );
  });

  // Polling (sleep 0) happens only in the last 3 ms; before that the timer sleeps in whole milliseconds.
  it('polls only in the last three milliseconds', () => {
    check(
      fc.property(remaining, (remainingMs) => {
        const sleepMs = preciseSleepMs(remainingMs);
        return Number.isInteger(sleepMs) && (remainingMs >= 3 ? sleepMs >= 1 : true);
      }),
      20_000,
    );
  });

  // The 3.6 s Master_Down_Timer of a 1 s interval (the case that fired 1.5-3.6 ms late with one long sleep) first
  // sleeps 3604 ms, leaving room for the 3.6 ms kernel slack and the millisecond of Node.
  it('wakes a 3.6 s timer early enough for the kernel slack', () => {
    expect(preciseSleepMs(3609.375)).toBe(3604);
  });
});
