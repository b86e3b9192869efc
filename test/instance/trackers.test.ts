/**
 * Function trackers as the instance runs them: at start, then `intervalMs` after each check finished (never
 * overlapping), a throw or a timeout counting as a failure, weight-0 trackers driving Fault, nothing after stop.
 */
import { describe, expect, it } from 'vitest';
import type { HookContext, StateChangeEvent } from '../../src/instance.js';
import { VrrpError } from '../../src/errors.js';
import { createHarness, sleep } from './harness.js';

describe('schedule', () => {
  // Given a tracker with intervalMs 500 whose check returns at once
  // when the instance starts and 1600 ms of virtual time pass
  // then the check ran at 0, 500, 1000 and 1500 ms.
  it('runs the check at start and then every intervalMs', async () => {
    const runs: number[] = [];
    const harness = createHarness({
      trackers: [{ type: 'function', name: 'db', weight: 2, intervalMs: 500, check: () => (runs.push(harness.clock.now()), true) }],
    });
    await harness.instance.start();
    await harness.clock.advance(0);
    expect(runs, 'the first check runs at start').toEqual([0]);
    await harness.clock.advance(1600);
    expect(runs).toEqual([0, 500, 1000, 1500]);
  });

  // Given a tracker with intervalMs 100 whose check takes 300 ms of virtual time (timeout 1000 ms)
  // when 1000 ms pass
  // then no two checks ever ran at once, and each started 100 ms after the previous one finished.
  it('never runs two checks of the same tracker at once', async () => {
    const starts: number[] = [];
    let running = 0;
    let maxRunning = 0;
    const harness = createHarness({
      trackers: [
        {
          type: 'function',
          name: 'slow',
          weight: 2,
          intervalMs: 100,
          timeoutMs: 1000,
          check: async () => {
            starts.push(harness.clock.now());
            running++;
            maxRunning = Math.max(maxRunning, running);
            await sleep(harness.clock, 300);
            running--;
            return true;
          },
        },
      ],
    });
    await harness.instance.start();
    await harness.clock.advance(1000);
    expect(maxRunning, 'checks overlapped').toBe(1);
    expect(starts).toEqual([0, 400, 800]);
  });

  // Given a tracker (intervalMs 500) whose check is counted
  // when the instance stops and 10 s of virtual time pass
  // then the check never runs again.
  it('stops running checks after stop()', async () => {
    let runs = 0;
    const harness = createHarness({
      trackers: [{ type: 'function', name: 'db', weight: 2, intervalMs: 500, check: () => (runs++, true) }],
    });
    await harness.instance.start();
    await harness.clock.advance(1200);
    expect(runs, 'set-up: checks at 0, 500 and 1000 ms').toBe(3);
    await harness.instance.stop();
    await harness.clock.advance(10_000);
    expect(runs).toBe(3);
  });

  // Given a tracker whose check is still running (it waits on its signal)
  // when the instance stops
  // then the check's signal is aborted.
  it('aborts the signal of a check still running at stop()', async () => {
    let signal: AbortSignal | undefined;
    const harness = createHarness({
      trackers: [
        {
          type: 'function',
          name: 'db',
          weight: 2,
          timeoutMs: 5000,
          check: (s) => {
            signal = s;
            return new Promise<boolean>(() => {});
          },
        },
      ],
    });
    await harness.instance.start();
    await harness.clock.advance(100);
    expect(signal?.aborted, 'aborted before stop').toBe(false);
    await harness.instance.stop();
    expect(signal?.aborted).toBe(true);
  });
});

describe('failures', () => {
  // Given a tracker with weight -10 whose check throws
  // when it runs at start
  // then it counts as failed: priority drops from 100 to 90.
  it('counts a check that throws as failed', async () => {
    const harness = createHarness({
      trackers: [
        {
          type: 'function',
          name: 'db',
          weight: -10,
          check: () => {
            throw new Error('connection refused');
          },
        },
      ],
    });
    await harness.instance.start();
    await harness.clock.advance(0);
    expect(harness.instance.effectivePriority).toBe(90);
  });

  // Given a tracker with weight -10 whose check returns a rejected promise
  // when it runs at start
  // then it counts as failed: priority drops from 100 to 90.
  it('counts a check that rejects as failed', async () => {
    const harness = createHarness({
      trackers: [{ type: 'function', name: 'db', weight: -10, check: () => Promise.reject(new Error('connection refused')) }],
    });
    await harness.instance.start();
    await harness.clock.advance(0);
    expect(harness.instance.effectivePriority).toBe(90);
  });

  // Given a tracker with weight -10 and timeoutMs 200 whose check never resolves
  // when 199 ms and then 200 ms of virtual time have passed
  // then it still counts as unknown at 199 ms (priority 100) and as failed at 200 ms (priority 90).
  it('counts a check that never resolves as failed after timeoutMs', async () => {
    const harness = createHarness({
      trackers: [{ type: 'function', name: 'db', weight: -10, intervalMs: 1000, timeoutMs: 200, check: () => new Promise<boolean>(() => {}) }],
    });
    await harness.instance.start();
    await harness.clock.advanceTo(199);
    expect(harness.instance.effectivePriority, 'failed before timeoutMs').toBe(100);
    await harness.clock.advanceTo(200);
    expect(harness.instance.effectivePriority).toBe(90);
  });

  // Given a tracker with timeoutMs 200 whose check never resolves
  // when it times out
  // then the check's signal is aborted with a 'tracker_failed' error, so the check can give up.
  it('aborts the signal of a check that timed out', async () => {
    let signal: AbortSignal | undefined;
    const harness = createHarness({
      trackers: [
        {
          type: 'function',
          name: 'db',
          weight: -10,
          timeoutMs: 200,
          check: (s) => {
            signal = s;
            return new Promise<boolean>(() => {});
          },
        },
      ],
    });
    await harness.instance.start();
    await harness.clock.advanceTo(199);
    expect(signal?.aborted, 'aborted before timeoutMs').toBe(false);
    await harness.clock.advanceTo(200);
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBeInstanceOf(VrrpError);
    expect((signal?.reason as VrrpError).code).toBe('tracker_failed');
  });

  // Given a tracker with weight 2 whose check resolves to a truthy non-boolean ('yes')
  // when it runs
  // then it does not count as passing: only `true` means healthy.
  it('counts only a result of exactly true as passing', async () => {
    const harness = createHarness({
      trackers: [{ type: 'function', name: 'db', weight: 2, check: () => 'yes' as unknown as boolean }],
    });
    await harness.instance.start();
    await harness.clock.advance(0);
    expect(harness.instance.effectivePriority).toBe(100);
  });
});

describe('weight-0 trackers and fault', () => {
  // Given a running backup with a weight-0 tracker (intervalMs 1000) that passed at start
  // when its check starts failing
  // then at the next run the instance enters fault with reason 'tracker-down'.
  it('enters fault when a weight-0 check fails', async () => {
    let healthy = true;
    const harness = createHarness({ trackers: [{ type: 'function', name: 'db', check: () => healthy }] });
    const faults: StateChangeEvent[] = [];
    harness.instance.on('fault', (event) => faults.push(event));
    await harness.instance.start();
    await harness.clock.advance(0);
    expect(harness.instance.state, 'set-up: should start in backup').toBe('backup');
    healthy = false;
    await harness.clock.advance(1000);
    expect(harness.instance.state).toBe('fault');
    expect(faults).toEqual([{ from: 'backup', to: 'fault', reason: 'tracker-down', term: 0 }]);
  });

  // Given a running backup with a weight-0 tracker and an onFault hook
  // when the check fails
  // then the onFault hook runs with the transition to fault.
  it('runs the onFault hook when a weight-0 check fails', async () => {
    let healthy = true;
    const harness = createHarness({ trackers: [{ type: 'function', name: 'db', check: () => healthy }] });
    const hookCalls: Omit<HookContext, 'signal'>[] = [];
    harness.instance.onFault(({ from, to, reason, term }) => {
      hookCalls.push({ from, to, reason, term });
    });
    await harness.instance.start();
    await harness.clock.advance(0);
    healthy = false;
    await harness.clock.advance(1000);
    expect(hookCalls).toEqual([{ from: 'backup', to: 'fault', reason: 'tracker-down', term: 0 }]);
  });

  // Given an instance in fault because its weight-0 check failed
  // when the check passes again
  // then at the next run it returns to backup with reason 'fault-cleared'.
  it('returns to backup when the weight-0 check recovers', async () => {
    let healthy = true;
    const harness = createHarness({ trackers: [{ type: 'function', name: 'db', check: () => healthy }] });
    await harness.instance.start();
    await harness.clock.advance(0);
    healthy = false;
    await harness.clock.advance(1000);
    expect(harness.instance.state, 'set-up: should be in fault').toBe('fault');
    const changes: StateChangeEvent[] = [];
    harness.instance.on('stateChange', (event) => changes.push(event));
    healthy = true;
    await harness.clock.advance(1000);
    expect(harness.instance.state).toBe('backup');
    expect(changes).toEqual([{ from: 'fault', to: 'backup', reason: 'fault-cleared', term: 0 }]);
  });

  // Given a weight-0 tracker whose check fails from the start
  // when the instance starts and 10 s pass
  // then it stays in fault and never advertises.
  it('stays in fault and silent while a weight-0 check keeps failing', async () => {
    const harness = createHarness({ trackers: [{ type: 'function', name: 'db', check: () => false }] });
    await harness.instance.start();
    await harness.clock.advance(10_000);
    expect(harness.instance.state).toBe('fault');
    expect(harness.transport.sent).toEqual([]);
  });
});
