/**
 * The core's two additions for the built-in trackers (src/core/priority.ts): `initFail` (keepalived's `init_fail`:
 * a tracker starts failed instead of unknown) and valued trackers (keepalived's `track_file`: the value reported,
 * times the weight, is the adjustment; weight 0 faults on non-zero; a product below −253 faults).
 *
 * Routers here have base priority 100, 1 s v3 adverts and one tracker named 'check'.
 */
import { describe, expect, it } from 'vitest';
import { applyTrackerResult, initialTrackerState, trackerAdjustment, valuedAdjustment, type TrackerSpec } from '../../src/core/priority.js';
import { VirtualRouter } from '../../src/core/router.js';
import { makeConfig, sentPriorities, startedBackup, transitionsOf } from '../core/helpers.js';

function spec(weight: number, overrides: Partial<TrackerSpec> = {}): TrackerSpec {
  return { name: 'check', weight, fall: 1, rise: 1, reverse: false, ...overrides };
}

describe('initFail', () => {
  // Given a tracker with initFail and rise 2
  // when it reports one success, then a second
  // then it stays down after the first (the first result does not decide, unlike an unknown tracker) and is up after the second.
  it('starts down and needs rise successes to come up', () => {
    const s = spec(5, { initFail: true, rise: 2 });
    const start = initialTrackerState(s);
    expect(start.status).toBe('down');
    const once = applyTrackerResult(s, start, true);
    expect(once.status, 'one success of rise 2').toBe('down');
    expect(applyTrackerResult(s, once, true).status).toBe('up');
  });

  // Given a started router with a weight −10 initFail tracker
  // when nothing has been reported yet
  // then its priority is already 90: the tracker counts as failed from the start.
  it('adjusts a weighted tracker as failed before its first result', () => {
    const router = startedBackup(makeConfig({ trackers: [spec(-10, { initFail: true })] }));
    expect(router.priority).toBe(90);
  });

  // Given a router with a weight-0 initFail tracker
  // when it starts
  // then it enters fault at once (it does not wait in initialize), and leaves it on the first success.
  it('faults a weight-0 tracker at start, instead of holding it in initialize', () => {
    const router = new VirtualRouter(makeConfig({ trackers: [spec(0, { initFail: true })] }));
    const actions = router.handle({ type: 'start' }, 0);
    expect(transitionsOf(actions).map((t) => [t.to, t.reason])).toEqual([['fault', 'tracker-down']]);
    const recovered = router.handle({ type: 'tracker', name: 'check', passed: true }, 10);
    expect(transitionsOf(recovered).map((t) => [t.to, t.reason])).toEqual([['backup', 'fault-cleared']]);
  });
});

describe('valued trackers (track_file)', () => {
  // Given the weights and values of keepalived's track_file rules
  // then each value is worth what keepalived makes of it.
  it('is worth value × weight, capped at 253, faulting below −253 or on non-zero with weight 0', () => {
    expect(valuedAdjustment({ weight: 10, reverse: false }, 3)).toBe(30);
    expect(valuedAdjustment({ weight: -10, reverse: false }, 3)).toBe(-30);
    expect(valuedAdjustment({ weight: 10, reverse: true }, 3), 'reverse flips the sign').toBe(-30);
    expect(valuedAdjustment({ weight: 100, reverse: false }, 3), 'capped at 253').toBe(253);
    expect(valuedAdjustment({ weight: 1, reverse: false }, -253), '−253 still adjusts').toBe(-253);
    expect(valuedAdjustment({ weight: 1, reverse: false }, -254), 'below −253 faults').toBe('fault');
    expect(valuedAdjustment({ weight: 0, reverse: false }, 0)).toBe(0);
    expect(valuedAdjustment({ weight: 0, reverse: false }, 7)).toBe('fault');
    expect(valuedAdjustment({ weight: 0, reverse: true }, 0), 'weight 0 reversed faults on zero').toBe('fault');
    expect(valuedAdjustment({ weight: 0, reverse: true }, 7)).toBe(0);
  });

  // Given a valued tracker that is up with value 3
  // when a faulting value comes but fall (2) is not reached
  // then the last healthy value still counts; after the second, the tracker is down and adjusts nothing.
  it('keeps the last healthy value while fall is not reached', () => {
    const s = spec(10, { valued: true, fall: 2 });
    const up = applyTrackerResult(s, initialTrackerState(s), true, 3);
    expect(trackerAdjustment(s, up.status, up.value)).toBe(30);
    const once = applyTrackerResult(s, up, false, -100);
    expect(once.status).toBe('up');
    expect(trackerAdjustment(s, once.status, once.value)).toBe(30);
    const twice = applyTrackerResult(s, once, false, -100);
    expect(twice.status).toBe('down');
    expect(trackerAdjustment(s, twice.status, twice.value)).toBe(0);
  });

  // Given a router with a valued tracker (weight 1)
  // when it starts
  // then it waits in initialize until the first value, as keepalived reads the file before its instances start.
  it('holds the router in initialize until its first value', () => {
    const router = new VirtualRouter(makeConfig({ trackers: [spec(1, { valued: true })] }));
    expect(transitionsOf(router.handle({ type: 'start' }, 0))).toEqual([]);
    expect(router.state).toBe('initialize');
    const actions = router.handle({ type: 'tracker', name: 'check', passed: true, value: 5 }, 10);
    expect(router.state).toBe('backup');
    expect(actions).toContainEqual({ type: 'priorityChange', from: 100, to: 105 });
  });

  // Given a started backup with a valued tracker of weight −50 reporting 1 (priority 50)
  // when it reports 2, then 6 (−300: below −253, so not healthy)
  // then the priority follows the value (0), and the router faults.
  it('moves the priority with the value and faults on a product below −253', () => {
    const router = new VirtualRouter(makeConfig({ trackers: [spec(-50, { valued: true })] }));
    router.handle({ type: 'start' }, 0);
    router.handle({ type: 'tracker', name: 'check', passed: true, value: 1 }, 1);
    expect(router.priority).toBe(50);
    router.handle({ type: 'tracker', name: 'check', passed: true, value: 2 }, 2);
    expect(router.priority).toBe(1);
    const actions = router.handle({ type: 'tracker', name: 'check', passed: valuedAdjustment(spec(-50), 6) !== 'fault', value: 6 }, 3);
    expect(transitionsOf(actions).map((t) => t.to)).toEqual(['fault']);
  });

  // Given a master with a valued weight-0 tracker
  // when a non-zero value comes
  // then it sends priority 0 and faults, as for any weight-0 tracker.
  it('faults a master on a non-zero value with weight 0, sending priority 0', () => {
    const router = new VirtualRouter(makeConfig({ trackers: [spec(0, { valued: true })] }));
    router.handle({ type: 'start' }, 0);
    router.handle({ type: 'tracker', name: 'check', passed: true, value: 0 }, 1);
    const deadline = router.nextDeadline() ?? 0;
    router.handle({ type: 'timeout' }, deadline);
    expect(router.state).toBe('master');
    const actions = router.handle({ type: 'tracker', name: 'check', passed: false, value: 1 }, deadline + 1);
    expect(sentPriorities(actions)).toEqual([0]);
    expect(router.state).toBe('fault');
  });
});
