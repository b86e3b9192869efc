/**
 * start() and stop() called without awaiting each other, restarts, and what survives a restart. These pin the
 * fixes for races found in review: lifecycle calls are serialized, counters and tracker loops belong to one run.
 */
import { describe, expect, it } from 'vitest';
import { MASTER_DOWN_MS, createHarness, sleep, startAsMaster } from './harness.js';
import { syncGroupHold } from '../../src/sync-hold.js';

describe('lifecycle calls are serialized', () => {
  // Given a running instance; when stop() is called and start() right after, without awaiting the stop
  // then the restart happens after the stop finished: the transport is open and the instance becomes master again.
  it('start() during stop() waits for the stop and then runs', async () => {
    const h = createHarness();
    await startAsMaster(h);
    const stopping = h.instance.stop();
    await h.instance.start();
    await stopping;
    expect(h.transport.isOpen).toBe(true);
    expect(h.instance.state).toBe('backup');
    await h.clock.advance(MASTER_DOWN_MS);
    expect(h.instance.state).toBe('master');
  });

  // Given a fresh instance; when stop() is called while start() is still pending
  // then the instance ends stopped: state initialize, not running, transport closed, and a stop event was seen.
  it('stop() during start() leaves the instance stopped', async () => {
    const h = createHarness();
    const stops: string[] = [];
    h.instance.on('stop', (event) => stops.push(event.reason));
    const starting = h.instance.start();
    await h.instance.stop();
    await starting;
    expect({ running: h.instance.running, state: h.instance.state, open: h.transport.isOpen }).toEqual({ running: false, state: 'initialize', open: false });
    expect(stops).toEqual(['stopped']);
  });

  // Given a start() waiting for the first result of a weight-0 tracker whose check never settles (timeoutMs 60 s)
  // when stop() is called
  // then the stop ends that wait: both settle in the same virtual instant, start() rejecting with 'aborted', and
  // the instance is stopped — not running, in initialize (which it never left: no stop event), transport closed.
  it('stop() ends a start() still waiting for its weight-0 tracker', async () => {
    const h = createHarness({ trackers: [{ type: 'function', name: 'db', weight: 0, timeoutMs: 60_000, check: () => new Promise<boolean>(() => {}) }] });
    const stops: string[] = [];
    h.instance.on('stop', (event) => stops.push(event.reason));
    let startOutcome = 'pending';
    const starting = h.instance.start().then(
      () => (startOutcome = 'resolved'),
      (error: unknown) => (startOutcome = `rejected ${(error as { code?: string }).code}`),
    );
    await h.clock.advance(10);
    expect(startOutcome, 'start() should wait for the tracker').toBe('pending');
    let stopSettled = false;
    const stopping = h.instance.stop().then(() => (stopSettled = true));
    await h.clock.advance(0);
    expect({ startOutcome, stopSettled }, 'stop() waited for the tracker the start waits for').toEqual({ startOutcome: 'rejected aborted', stopSettled: true });
    expect({ running: h.instance.running, state: h.instance.state, open: h.transport.isOpen, stops }).toEqual({ running: false, state: 'initialize', open: false, stops: [] });
    await Promise.all([starting, stopping]);
  });

  // Given an address owner (priority 255) whose start() waits for its weight-0 tracker's first result
  // when stop() is called in the same turn as that result (after it went to the engine, before the transition came)
  // then the transition is applied and told (master, its onMaster hook), the stop stops that run (a stop event), and
  // start() resolves: the run did start. It rejected with 'aborted' after the onMaster hook had run (found by
  // review).
  it('a stop() that comes after the first result left for the engine lets the start resolve', async () => {
    const h = createHarness({ priority: 255, trackers: [{ type: 'function', name: 'db', weight: 0, timeoutMs: 5000, check: async () => true }] });
    const log: string[] = [];
    let stopping: Promise<void> | undefined;
    h.instance.on('trackerChange', () => {
      queueMicrotask(() => {
        log.push('stop() called');
        stopping = h.instance.stop();
      });
    });
    h.instance.on('stateChange', (event) => log.push(`${event.from} → ${event.to}`));
    h.instance.on('stop', () => log.push('stop'));
    h.instance.onMaster(() => void log.push('onMaster'));
    let startOutcome = 'pending';
    const starting = h.instance.start().then(
      () => (startOutcome = 'resolved'),
      (error: unknown) => (startOutcome = `rejected ${(error as { code?: string }).code}`),
    );
    for (let i = 0; i < 20 && stopping === undefined; i++) await h.clock.advance(10);
    await starting;
    await stopping;
    expect({ startOutcome, log }).toEqual({ startOutcome: 'resolved', log: ['stop() called', 'initialize → master', 'onMaster', 'master → initialize', 'stop'] });
  });

  // Given stop() called right after start(), before the start has begun, with a weight-0 tracker that never settles
  // then the start, once it runs, does not wait for that tracker either: it rejects with 'aborted'.
  it('stop() called before a pending start() begins ends its wait too', async () => {
    const h = createHarness({ trackers: [{ type: 'function', name: 'db', weight: 0, timeoutMs: 60_000, check: () => new Promise<boolean>(() => {}) }] });
    let startOutcome = 'pending';
    const starting = h.instance.start().then(
      () => (startOutcome = 'resolved'),
      (error: unknown) => (startOutcome = `rejected ${(error as { code?: string }).code}`),
    );
    let stopSettled = false;
    const stopping = h.instance.stop().then(() => (stopSettled = true));
    await h.clock.advance(0);
    expect({ startOutcome, stopSettled }).toEqual({ startOutcome: 'rejected aborted', stopSettled: true });
    expect({ running: h.instance.running, open: h.transport.isOpen }).toEqual({ running: false, open: false });
    await Promise.all([starting, stopping]);
  });
});

describe('a sync group changing its hold while a member starts', () => {
  // Given an instance in a group, released (the group's hold made before start, as VrrpGroup does)
  // when the group holds it while its engine is still opening the transport (before its core exists)
  // then the run starts held: in fault, and status says held — not backup on a hold that was dropped.
  it('a hold set while the engine starts is applied once it has started', async () => {
    const h = createHarness();
    void h.instance[syncGroupHold]('sync-hold', false, 'group-under-test');
    const open = h.transport.open.bind(h.transport);
    h.transport.open = (...args) => {
      void h.instance[syncGroupHold]('sync-hold', true, 'group-under-test');
      return open(...args);
    };
    await h.instance.start();
    expect({ state: h.instance.state, held: h.instance.status().priority.heldByGroup }).toEqual({ state: 'fault', held: true });
    await h.instance.stop();
  });
});

describe('one run at a time', () => {
  // Given a send failure counted in one run; when the instance is stopped and started again
  // then the I/O counters start from zero, like the protocol counters.
  it('resets the I/O counters on start', async () => {
    const h = createHarness();
    h.transport.failNextSend = new Error('boom');
    await startAsMaster(h);
    expect(h.instance.stats.sendErrors).toBe(1);
    await h.instance.stop();
    await h.instance.start();
    expect(h.instance.stats.sendErrors).toBe(0);
  });

  // Given a weight-0 tracker; when start() resolves
  // then the tracker's first result is already in and the first transition applied (state backup, not initialize).
  it('start() with a weight-0 tracker resolves after the first transition', async () => {
    const h = createHarness({ trackers: [{ type: 'function', name: 'db', check: () => true }] });
    await h.instance.start();
    expect(h.instance.state).toBe('backup');
  });

  // Given a tracker whose check takes 500 ms and ignores its signal; when the instance is stopped and restarted
  // at 100 ms while that check is still running
  // then only the new run's loop schedules checks: at 100, 1600, 3100 — never two loops at once.
  it('a check finishing after a restart does not start a second tracker loop', async () => {
    const h = createHarness({ trackers: [{ type: 'function', name: 'slow', weight: 2, intervalMs: 1000, timeoutMs: 800, check: async () => { runs.push(h.clock.now()); await sleep(h.clock, 500); return true; } }] });
    const runs: number[] = [];
    await h.instance.start();
    await h.clock.advance(100);
    await h.instance.stop();
    await h.instance.start();
    await h.clock.advance(3200);
    expect(runs).toEqual([0, 100, 1600, 3100]);
  });
});
