/**
 * A tracker's loop fails loudly, never silently: when its next check cannot be scheduled (the clock adapter throws),
 * the instance reports `tracker_failed` naming the tracker, and the failure is no unhandled rejection (which would
 * end a Node process). On fakes, in virtual time.
 */
import { describe, expect, it } from 'vitest';
import { VrrpInstance } from '../../src/index.js';
import type { VrrpError } from '../../src/errors.js';
import { FakeTransport, FakeVipManager, VirtualClock } from '../../src/testing/index.js';
import { baseConfig, PRIMARY } from './harness.js';

/** The tracker's interval: the clock refuses a timer of exactly this delay, once. */
const INTERVAL_MS = 4321;

class RefusingClock extends VirtualClock {
  refused = 0;
  override setTimer(delayMs: number, callback: () => void): () => void {
    if (delayMs === INTERVAL_MS && this.refused++ === 0) throw new Error('no timer for you');
    return super.setTimer(delayMs, callback);
  }
}

describe('tracker loop', () => {
  it('reports a next check that cannot be scheduled as tracker_failed, naming the tracker', async () => {
    const clock = new RefusingClock();
    const instance = new VrrpInstance(
      baseConfig({ trackers: [{ type: 'function', name: 'probe', intervalMs: INTERVAL_MS, timeoutMs: 1000, weight: -10, check: () => true }] }),
      { transport: new FakeTransport({ primaryAddress: PRIMARY }), vipManager: new FakeVipManager(), clock },
    );
    const errors: VrrpError[] = [];
    instance.on('error', (error) => errors.push(error));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await instance.start();
      await clock.advance(10);
      await new Promise((resolve) => setImmediate(resolve)); // a rejection is told after the microtasks drain
      expect(clock.refused).toBe(1);
      expect(errors.map((error) => [error.code, error.message])).toEqual([['tracker_failed', 'tracker probe stopped: its next check could not be scheduled: no timer for you']]);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await instance.stop();
    }
  });
});
