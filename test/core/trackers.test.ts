/**
 * Trackers, effective priority and Fault, with keepalived's semantics (docs/protocol.md, src/core/priority.ts):
 * weight > 0 adds while up, weight < 0 subtracts while down, reverse flips the sign, weight 0 faults while down
 * (while up when reversed); the first result sets the status, rise/fall apply after it; clamp to 1…254; the owner's
 * 255 is never adjusted. Plus the link input, which faults the router the same way.
 *
 * The router under test has base priority 100 and 1 s v3 adverts unless a test says otherwise.
 */
import { describe, it, expect } from 'vitest';
import { carryTrackerState, type TrackerSpec } from '../../src/core/priority.js';
import { decodeAdvertisement } from '../../src/core/codec.js';
import { VirtualRouter } from '../../src/core/router.js';
import { HIGHER_PEER, SELF, advertFrom, makeConfig, sentPriorities, startedBackup, transitionsOf, typesOf } from './helpers.js';

/** A tracker spec: weight as given, fall/rise 1, not reversed, unless overridden. */
function tracker(weight: number, overrides: Partial<TrackerSpec> = {}): TrackerSpec {
  return { name: 'check', weight, fall: 1, rise: 1, reverse: false, ...overrides };
}

/** A started backup (base 100 unless given) with one tracker named 'check'. */
function backupWith(spec: TrackerSpec, priority = 100): VirtualRouter {
  return startedBackup(makeConfig({ priority, trackers: [spec] }));
}

/** Feeds tracker results 'check' = each of `results`, one per millisecond from t=100; returns the last actions. */
function report(router: VirtualRouter, ...results: boolean[]): ReturnType<VirtualRouter['handle']> {
  let actions: ReturnType<VirtualRouter['handle']> = [];
  results.forEach((passed, index) => {
    actions = router.handle({ type: 'tracker', name: 'check', passed }, 100 + index);
  });
  return actions;
}

describe('weights', () => {
  // Given base 100 and a weight-2 tracker, when it reports up,
  // then the effective priority is 102 and a priorityChange 100 → 102 is emitted.
  it('a positive weight is added while the check is up', () => {
    const router = backupWith(tracker(2));
    expect(report(router, true)).toEqual([{ type: 'priorityChange', from: 100, to: 102 }]);
    expect(router.priority).toBe(102);
  });

  // Given base 100 and a weight-2 tracker, when it reports down,
  // then nothing changes: a positive weight only counts while up.
  it('a positive weight adds nothing while the check is down', () => {
    const router = backupWith(tracker(2));
    expect(report(router, false)).toEqual([]);
    expect(router.priority).toBe(100);
  });

  // Given base 100 and a weight −10 tracker, when it reports down,
  // then the effective priority is 90.
  it('a negative weight is subtracted while the check is down', () => {
    const router = backupWith(tracker(-10));
    expect(report(router, false)).toEqual([{ type: 'priorityChange', from: 100, to: 90 }]);
  });

  // Given base 100 and a weight −10 tracker, when it reports up,
  // then nothing changes: a negative weight only counts while down.
  it('a negative weight subtracts nothing while the check is up', () => {
    const router = backupWith(tracker(-10));
    expect(report(router, true)).toEqual([]);
    expect(router.priority).toBe(100);
  });

  // Given base 100 and a weight-2 tracker with reverse, when it reports up,
  // then 2 is subtracted: 98.
  it('reverse turns a positive weight into a subtraction while up', () => {
    const router = backupWith(tracker(2, { reverse: true }));
    report(router, true);
    expect(router.priority).toBe(98);
  });

  // Given base 100 and a weight −10 tracker with reverse, when it reports down,
  // then 10 is added: 110.
  it('reverse turns a negative weight into an addition while down', () => {
    const router = backupWith(tracker(-10, { reverse: true }));
    report(router, false);
    expect(router.priority).toBe(110);
  });

  // Given base 100 and two trackers (+20 up, −5 down), when both report,
  // then the adjustments add up: 115.
  it('adjustments of several trackers add up', () => {
    const router = startedBackup(
      makeConfig({ trackers: [tracker(20, { name: 'a' }), tracker(-5, { name: 'b' })] }),
    );
    router.handle({ type: 'tracker', name: 'a', passed: true }, 100);
    router.handle({ type: 'tracker', name: 'b', passed: false }, 101);
    expect(router.priority).toBe(115);
  });

  // Given a router with a tracker named 'check', when a result for an unknown name arrives,
  // then it is ignored.
  it('a result for an unknown tracker is ignored', () => {
    const router = backupWith(tracker(2));
    expect(router.handle({ type: 'tracker', name: 'nope', passed: true }, 100)).toEqual([]);
    expect(router.priority).toBe(100);
  });
});

describe('clamping and the owner', () => {
  // Given base 250 and a weight-10 tracker, when it reports up,
  // then the effective priority is clamped to 254 (255 is the owner's alone).
  it('clamps at 254', () => {
    const router = backupWith(tracker(10), 250);
    report(router, true);
    expect(router.priority).toBe(254);
  });

  // Given base 5 and a weight −10 tracker, when it reports down,
  // then the effective priority is clamped to 1 (0 means "leaving").
  it('clamps at 1', () => {
    const router = backupWith(tracker(-10), 5);
    report(router, false);
    expect(router.priority).toBe(1);
  });

  // Given an owner (255) with a weight −10 tracker, when it reports down,
  // then the priority stays 255 and no priorityChange is emitted.
  it("never adjusts the owner's 255", () => {
    const router = new VirtualRouter(makeConfig({ priority: 255, trackers: [tracker(-10)] }));
    router.handle({ type: 'start' }, 0);
    expect(router.handle({ type: 'tracker', name: 'check', passed: false }, 100)).toEqual([]);
    expect(router.priority).toBe(255);
  });
});

describe('first result, then fall and rise', () => {
  // Given a weight −10 tracker with fall 3 and rise 3, when its very first result is down,
  // then it counts at once (90): the first result sets the status, ignoring fall.
  it('the first result sets the status directly, ignoring fall/rise', () => {
    const router = backupWith(tracker(-10, { fall: 3, rise: 3 }));
    report(router, false);
    expect(router.priority).toBe(90);
  });

  // Given a weight-2 tracker with fall 3 that is up (102), when it fails twice,
  // then it is still up; on the third consecutive failure it goes down (100).
  it('goes down only after fall consecutive failures', () => {
    const router = backupWith(tracker(2, { fall: 3 }));
    report(router, true, false, false);
    expect(router.priority).toBe(102);
    report(router, false);
    expect(router.priority).toBe(100);
  });

  // Given a weight-2 tracker with fall 3 that is up, when it fails twice, succeeds once and fails twice more,
  // then it is still up: a success resets the failure streak.
  it('a success in between resets the failure streak', () => {
    const router = backupWith(tracker(2, { fall: 3 }));
    report(router, true, false, false, true, false, false);
    expect(router.priority).toBe(102);
  });

  // Given a weight-2 tracker with rise 2 that is down, when it succeeds once,
  // then it is still down; on the second consecutive success it goes up (102).
  it('goes up only after rise consecutive successes', () => {
    const router = backupWith(tracker(2, { rise: 2 }));
    report(router, false, true);
    expect(router.priority).toBe(100);
    report(router, true);
    expect(router.priority).toBe(102);
  });
});

/** A backup at 100 with `spec` reported up, taken over at its Master_Down_Timer: a master, and when it became one. */
function masterWithTrackerUp(spec: TrackerSpec): { router: VirtualRouter; takeoverMs: number } {
  const router = backupWith(spec);
  report(router, true);
  const takeoverMs = router.nextDeadline()!;
  router.handle({ type: 'timeout' }, takeoverMs);
  return { router, takeoverMs };
}

describe('priority changes while running', () => {
  // Given a master at 100 with a weight −10 tracker that was up, when the tracker goes down,
  // then it emits priorityChange, sends an advertisement at priority 90 at once, and reports itself as the master
  // at its new priority.
  it('a master whose priority changes advertises the new priority at once', () => {
    const { router, takeoverMs } = masterWithTrackerUp(tracker(-10));
    const actions = router.handle({ type: 'tracker', name: 'check', passed: false }, takeoverMs + 300);
    expect(typesOf(actions)).toEqual(['priorityChange', 'send', 'masterChange']);
    expect(sentPriorities(actions)).toEqual([90]);
    expect(actions.at(-1)).toMatchObject({ type: 'masterChange', master: { priority: 90, self: true } });
  });

  // Given a master at 100 with a weight −10 tracker, when the tracker goes down, up again, and the master stops,
  // then each advert, at once and at the next Adver_Timer, carries the priority of the moment in its bytes too
  // (90, 100, 100) and the stop sends priority 0: the router keeps the packets of one priority and of priority 0
  // only, so a priority come back to is encoded again, never an old one resent.
  it('a priority left and come back to is advertised with its own packets, and a stop with priority 0', () => {
    const { router, takeoverMs } = masterWithTrackerUp(tracker(-10));
    const down = router.handle({ type: 'tracker', name: 'check', passed: false }, takeoverMs + 300);
    const up = router.handle({ type: 'tracker', name: 'check', passed: true }, takeoverMs + 400);
    const timer = router.handle({ type: 'timeout' }, router.nextDeadline()!);
    const stop = router.handle({ type: 'stop' }, takeoverMs + 1500);
    const wire = (actions: ReturnType<VirtualRouter['handle']>): number[] =>
      actions.flatMap((action) => {
        if (action.type !== 'send') return [];
        const decoded = decodeAdvertisement(action.bytes, { family: 'ipv4', src: SELF, dst: action.dst });
        return [decoded.ok ? decoded.advertisement.priority : -1];
      });
    expect([sentPriorities(down), sentPriorities(up), sentPriorities(timer), sentPriorities(stop)]).toEqual([[90], [100], [100], [0]]);
    expect([wire(down), wire(up), wire(timer), wire(stop)], 'the priorities in the packets as sent').toEqual([[90], [100], [100], [0]]);
  });

  // Given a master whose Adver_Timer is due at T + 1000, when its priority changes at T + 300,
  // then the Adver_Timer keeps its rhythm: still T + 1000.
  it("a master's priority change does not move its Adver_Timer", () => {
    const { router, takeoverMs } = masterWithTrackerUp(tracker(-10));
    router.handle({ type: 'tracker', name: 'check', passed: false }, takeoverMs + 300);
    expect(router.nextDeadline()).toBe(takeoverMs + 1000);
  });

  // Given a backup started at 0 (timer at 3000 + 609.375), when a weight-50 tracker goes up at t=100,
  // then the running timer moves by the skew difference: 3609.375 + (106 − 156) × 1000 / 256 = 3414.0625.
  it("a backup's running Master_Down_Timer moves by the Skew_Time difference", () => {
    const router = backupWith(tracker(50));
    report(router, true);
    expect(router.nextDeadline()).toBe(3000 + ((256 - 100) * 1000) / 256 + (((256 - 150) - (256 - 100)) * 1000) / 256);
  });

  // Given a backup that accepted an advert at t=1000 from a master at 200, when its priority drops from 100 to 90
  // at t=2000, then the timer moves later by (166 − 156) × 1000 / 256: 1000 + 3000 + 166 × 1000 / 256.
  it("a backup's timer moves later when its priority drops", () => {
    const config = makeConfig({ trackers: [tracker(-10)] });
    const router = startedBackup(config);
    router.handle(advertFrom(config, HIGHER_PEER, 200), 1000);
    router.handle({ type: 'tracker', name: 'check', passed: false }, 2000);
    expect(router.nextDeadline()).toBe(1000 + 3000 + ((256 - 90) * 1000) / 256);
  });

  // Given a stopped router, when a weighted tracker reports,
  // then the priority still follows (priorityChange) but nothing is sent and no timer starts.
  it('a stopped router tracks priority without sending or arming a timer', () => {
    const router = new VirtualRouter(makeConfig({ trackers: [tracker(2)] }));
    expect(router.handle({ type: 'tracker', name: 'check', passed: true }, 100)).toEqual([{ type: 'priorityChange', from: 100, to: 102 }]);
    expect(router.nextDeadline()).toBeUndefined();
  });
});

describe('weight 0: Fault', () => {
  // Given a started backup whose weight-0 tracker reported up, when it reports down,
  // then the router enters Fault with reason 'tracker-down', sending nothing, with no timer.
  it('a weight-0 tracker going down puts a backup in Fault', () => {
    const router = new VirtualRouter(makeConfig({ trackers: [tracker(0)] }));
    router.handle({ type: 'start' }, 0);
    router.handle({ type: 'tracker', name: 'check', passed: true }, 10);
    const actions = router.handle({ type: 'tracker', name: 'check', passed: false }, 1000);
    expect(actions).toEqual([{ type: 'transition', from: 'backup', to: 'fault', reason: 'tracker-down' }]);
    expect(router.nextDeadline()).toBeUndefined();
  });

  // Given a reversed weight-0 tracker that reported down (healthy), when it reports up,
  // then the router enters Fault: reverse makes "up" the faulty status.
  it('a reversed weight-0 tracker going up puts the router in Fault', () => {
    const router = new VirtualRouter(makeConfig({ trackers: [tracker(0, { reverse: true })] }));
    router.handle({ type: 'start' }, 0);
    router.handle({ type: 'tracker', name: 'check', passed: false }, 10);
    expect(router.state).toBe('backup');
    router.handle({ type: 'tracker', name: 'check', passed: true }, 1000);
    expect(router.state).toBe('fault');
  });

  // Given a master with a weight-0 tracker, when the tracker goes down,
  // then it sends priority 0 (so the backup takes over after Skew_Time), removes the VIPs, then enters Fault.
  it('a master entering Fault sends priority 0, removes its VIPs, then transitions', () => {
    const router = new VirtualRouter(makeConfig({ trackers: [tracker(0)] }));
    router.handle({ type: 'start' }, 0);
    router.handle({ type: 'tracker', name: 'check', passed: true }, 10);
    const takeoverMs = router.nextDeadline()!;
    router.handle({ type: 'timeout' }, takeoverMs);
    const actions = router.handle({ type: 'tracker', name: 'check', passed: false }, takeoverMs + 100);
    expect(typesOf(actions)).toEqual(['send', 'removeVips', 'transition']);
    expect(sentPriorities(actions)).toEqual([0]);
    expect(transitionsOf(actions)).toEqual([{ type: 'transition', from: 'master', to: 'fault', reason: 'tracker-down' }]);
  });

  // Given a router in Fault because of its weight-0 tracker, when the tracker comes back up at t=5000,
  // then it enters Backup with reason 'fault-cleared' and a full Master_Down_Timer: 5000 + 3609.375.
  it('clearing the fault enters Backup with a full Master_Down_Timer', () => {
    const router = new VirtualRouter(makeConfig({ trackers: [tracker(0)] }));
    router.handle({ type: 'start' }, 0);
    router.handle({ type: 'tracker', name: 'check', passed: true }, 10);
    router.handle({ type: 'tracker', name: 'check', passed: false }, 1000);
    const actions = router.handle({ type: 'tracker', name: 'check', passed: true }, 5000);
    expect(actions).toEqual([{ type: 'transition', from: 'fault', to: 'backup', reason: 'fault-cleared' }]);
    expect(router.nextDeadline()).toBe(5000 + 3000 + ((256 - 100) * 1000) / 256);
  });

  // Given a router in Fault, when its Master_Down_Timer would have fired, a timeout is delivered,
  // then nothing happens: Fault has no timer.
  it('a timeout in Fault is a no-op', () => {
    const router = new VirtualRouter(makeConfig({ trackers: [tracker(0)] }));
    router.handle({ type: 'start' }, 0);
    router.handle({ type: 'tracker', name: 'check', passed: false }, 10);
    expect(router.handle({ type: 'timeout' }, 10_000)).toEqual([]);
    expect(router.state).toBe('fault');
  });
});

describe('weight 0: held in Initialize until the first result', () => {
  // Given a weight-0 tracker that has not reported, when the router is started,
  // then it stays in Initialize: no action, no timer.
  it('start is held while a weight-0 tracker has not reported', () => {
    const router = new VirtualRouter(makeConfig({ trackers: [tracker(0)] }));
    expect(router.handle({ type: 'start' }, 0)).toEqual([]);
    expect(router.state).toBe('initialize');
    expect(router.nextDeadline()).toBeUndefined();
  });

  // Given a held start, when the weight-0 tracker's first result (up) arrives at t=2000,
  // then the router enters Backup with reason 'startup' and a full timer from 2000.
  it('the first up result releases the start into Backup', () => {
    const router = new VirtualRouter(makeConfig({ trackers: [tracker(0)] }));
    router.handle({ type: 'start' }, 0);
    const actions = router.handle({ type: 'tracker', name: 'check', passed: true }, 2000);
    expect(actions).toEqual([{ type: 'transition', from: 'initialize', to: 'backup', reason: 'startup' }]);
    expect(router.nextDeadline()).toBe(2000 + 3000 + ((256 - 100) * 1000) / 256);
  });

  // Given a held start, when the weight-0 tracker's first result is down,
  // then the router goes straight from Initialize to Fault with reason 'tracker-down'.
  it('a first down result releases the start into Fault', () => {
    const router = new VirtualRouter(makeConfig({ trackers: [tracker(0)] }));
    router.handle({ type: 'start' }, 0);
    const actions = router.handle({ type: 'tracker', name: 'check', passed: false }, 2000);
    expect(actions).toEqual([{ type: 'transition', from: 'initialize', to: 'fault', reason: 'tracker-down' }]);
  });

  // Given an owner (255) with a weight-0 tracker, when it is started and the tracker then reports up,
  // then it becomes Master only at the first result, never before.
  it('an owner is held too, and becomes Master at the first up result', () => {
    const router = new VirtualRouter(makeConfig({ priority: 255, trackers: [tracker(0)] }));
    expect(router.handle({ type: 'start' }, 0)).toEqual([]);
    const actions = router.handle({ type: 'tracker', name: 'check', passed: true }, 2000);
    expect(typesOf(actions)).toEqual(['send', 'addVips', 'announce', 'transition']);
  });

  // Given a weighted (non-zero) tracker that has not reported, when the router is started,
  // then it is not held: it enters Backup at its base priority.
  it('an unreported weighted tracker does not hold the start', () => {
    const router = new VirtualRouter(makeConfig({ trackers: [tracker(5)] }));
    router.handle({ type: 'start' }, 0);
    expect(router.state).toBe('backup');
    expect(router.priority).toBe(100);
  });

  // Given a held start, when the router is stopped before the first result and the tracker then reports up,
  // then nothing happens: the stop cancelled the pending start.
  it('a stop cancels a held start', () => {
    const router = new VirtualRouter(makeConfig({ trackers: [tracker(0)] }));
    router.handle({ type: 'start' }, 0);
    expect(router.handle({ type: 'stop' }, 100)).toEqual([]);
    expect(router.handle({ type: 'tracker', name: 'check', passed: true }, 200)).toEqual([]);
    expect(router.state).toBe('initialize');
  });
});

describe('link down / up', () => {
  // Given a backup, when its link goes down,
  // then it enters Fault with reason 'link-down' and sends nothing.
  it('a backup whose link goes down enters Fault', () => {
    const router = startedBackup(makeConfig());
    expect(router.handle({ type: 'link', up: false }, 1000)).toEqual([
      { type: 'transition', from: 'backup', to: 'fault', reason: 'link-down' },
    ]);
  });

  // Given a master, when its link goes down,
  // then it sends priority 0, removes its VIPs, then enters Fault with reason 'link-down'.
  it('a master whose link goes down sends priority 0, removes its VIPs, then enters Fault', () => {
    const router = startedBackup(makeConfig());
    const takeoverMs = router.nextDeadline()!;
    router.handle({ type: 'timeout' }, takeoverMs);
    const actions = router.handle({ type: 'link', up: false }, takeoverMs + 100);
    expect(typesOf(actions)).toEqual(['send', 'removeVips', 'transition']);
    expect(sentPriorities(actions)).toEqual([0]);
    expect(transitionsOf(actions)).toEqual([{ type: 'transition', from: 'master', to: 'fault', reason: 'link-down' }]);
  });

  // Given a router in Fault because its link went down, when the link comes back at t=5000,
  // then it enters Backup with reason 'fault-cleared' and a full Master_Down_Timer from 5000.
  it('link up clears the fault into Backup with a full Master_Down_Timer', () => {
    const router = startedBackup(makeConfig());
    router.handle({ type: 'link', up: false }, 1000);
    const actions = router.handle({ type: 'link', up: true }, 5000);
    expect(actions).toEqual([{ type: 'transition', from: 'fault', to: 'backup', reason: 'fault-cleared' }]);
    expect(router.nextDeadline()).toBe(5000 + 3000 + ((256 - 100) * 1000) / 256);
  });

  // Given a router in Fault for both its link and its weight-0 tracker, when only the link comes back,
  // then it stays in Fault.
  it('link up does not clear a fault that a tracker still holds', () => {
    const router = new VirtualRouter(makeConfig({ trackers: [tracker(0)] }));
    router.handle({ type: 'start' }, 0);
    router.handle({ type: 'tracker', name: 'check', passed: false }, 10);
    router.handle({ type: 'link', up: false }, 20);
    expect(router.handle({ type: 'link', up: true }, 30)).toEqual([]);
    expect(router.state).toBe('fault');
  });

  // Given a router whose link is down before it starts, when it is started,
  // then it goes straight to Fault with reason 'link-down'.
  it('starting with the link down enters Fault', () => {
    const router = new VirtualRouter(makeConfig());
    expect(router.handle({ type: 'link', up: false }, 0)).toEqual([]);
    expect(router.handle({ type: 'start' }, 10)).toEqual([{ type: 'transition', from: 'initialize', to: 'fault', reason: 'link-down' }]);
  });

  // Given a backup with its link up, when another link-up arrives,
  // then nothing happens.
  it('a link up while up is a no-op', () => {
    const router = startedBackup(makeConfig());
    const deadline = router.nextDeadline();
    expect(router.handle({ type: 'link', up: true }, 1000)).toEqual([]);
    expect(router.nextDeadline()).toBe(deadline);
  });
});

describe('a tracker carried into a new configuration (a reload)', () => {
  const spec = (rise: number, fall: number, valued?: boolean): Pick<TrackerSpec, 'rise' | 'fall' | 'valued'> => (valued === undefined ? { rise, fall } : { rise, fall, valued });

  // Given a settled status (no streak), when rise and fall change, then the status is kept, settled.
  it('keeps a settled status whatever rise and fall become', () => {
    expect(carryTrackerState(spec(1, 1), spec(5, 5), { status: 'down', streak: 0 })).toEqual({ status: 'down', streak: 0 });
    expect(carryTrackerState(spec(1, 1), spec(5, 5), { status: 'up', streak: 0 })).toEqual({ status: 'up', streak: 0 });
  });

  // Given a down tracker 2 successes into a rise of 3 (1 to go), when rise becomes 5,
  // then it still needs 1 (keepalived: new result = new rise − (old rise − old result)); with rise 1, none past it.
  it('keeps what a rise under way still needs', () => {
    expect(carryTrackerState(spec(3, 1), spec(5, 1), { status: 'down', streak: 2 })).toEqual({ status: 'down', streak: 4 });
    expect(carryTrackerState(spec(3, 1), spec(1, 1), { status: 'down', streak: 2 })).toEqual({ status: 'down', streak: 0 });
  });

  // Given an up tracker 1 failure into a fall of 3, when fall becomes 5 or 2,
  // then the failures still needed stay as they were where they fit (keepalived's rescaling), never a fall's worth.
  it('keeps what a fall under way still needs, within the new fall', () => {
    expect(carryTrackerState(spec(1, 3), spec(1, 5), { status: 'up', streak: 1 })).toEqual({ status: 'up', streak: 3 });
    expect(carryTrackerState(spec(1, 3), spec(1, 2), { status: 'up', streak: 2 })).toEqual({ status: 'up', streak: 1 });
  });

  // Given a tracker that never reported, or one that changed between valued and not, then nothing is carried.
  it('carries neither an unknown status nor a valued state into a tracker that is not valued', () => {
    expect(carryTrackerState(spec(1, 1), spec(1, 1), { status: 'unknown', streak: 0 })).toBeUndefined();
    expect(carryTrackerState(spec(1, 1, true), spec(1, 1), { status: 'up', streak: 0, value: 3 })).toBeUndefined();
    expect(carryTrackerState(spec(1, 1, true), spec(2, 2, true), { status: 'up', streak: 0, value: 3 })).toEqual({ status: 'up', streak: 0, value: 3 });
  });
});
