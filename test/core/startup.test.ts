/**
 * Initialize and the Startup event (RFC 9568 §6.4.1, RFC 3768 §6.4.1), plus the `initialState` wish
 * (keepalived's `state`).
 */
import { describe, it, expect } from 'vitest';
import { VirtualRouter } from '../../src/core/router.js';
import { GROUP_V4, makeConfig, selfAsMaster, sentPriorities, transitionsOf, typesOf } from './helpers.js';

describe('before start', () => {
  // Given a freshly built router, when nothing has been fed to it yet,
  // then it sits in Initialize with no timer for the caller to arm.
  it('a new router is in Initialize with no deadline', () => {
    const router = new VirtualRouter(makeConfig());
    expect(router.state).toBe('initialize');
    expect(router.nextDeadline()).toBeUndefined();
  });

  // Given a router that was never started, when a timeout is delivered anyway,
  // then nothing happens: Initialize has no timer.
  it('a timeout before start is a no-op', () => {
    const router = new VirtualRouter(makeConfig());
    expect(router.handle({ type: 'timeout' }, 5000)).toEqual([]);
    expect(router.state).toBe('initialize');
  });
});

describe('a non-owner starts in Backup', () => {
  // Given priority 100, when it starts,
  // then its only action is the transition Initialize → Backup, reason 'startup': a backup sends nothing.
  it('emits exactly one transition initialize → backup with reason startup', () => {
    const router = new VirtualRouter(makeConfig({ priority: 100 }));
    const actions = router.handle({ type: 'start' }, 1000);
    expect(actions).toEqual([{ type: 'transition', from: 'initialize', to: 'backup', reason: 'startup' }]);
    expect(router.state).toBe('backup');
  });

  // Given v3, priority 100, 1 s adverts, when it starts at t=1000,
  // then "Set the Master_Down_Timer to Master_Down_Interval" = 3 × 1000 + (256 − 100) × 1000 / 256.
  it('arms the Master_Down_Timer at exactly start + 3 × interval + Skew_Time (v3)', () => {
    const router = new VirtualRouter(makeConfig({ version: 3, priority: 100, advertIntervalMs: 1000 }));
    router.handle({ type: 'start' }, 1000);
    expect(router.nextDeadline()).toBe(1000 + 3 * 1000 + ((256 - 100) * 1000) / 256);
  });

  // Given v3 at 100 ms adverts and priority 200, when it starts at t=0,
  // then the skew scales with the interval: 3 × 100 + (256 − 200) × 100 / 256 = 321.875 ms.
  it('scales Skew_Time with the advertisement interval (v3, 100 ms)', () => {
    const router = new VirtualRouter(makeConfig({ version: 3, priority: 200, advertIntervalMs: 100 }));
    router.handle({ type: 'start' }, 0);
    expect(router.nextDeadline()).toBe(3 * 100 + ((256 - 200) * 100) / 256);
  });

  // Given v2, priority 200, 3 s adverts, when it starts at t=0,
  // then the v2 skew is (256 − 200) / 256 seconds whatever the interval: 9000 + 218.75 ms.
  it('uses the v2 Skew_Time, independent of the interval (v2, 3 s)', () => {
    const router = new VirtualRouter(makeConfig({ version: 2, priority: 200, advertIntervalMs: 3000 }));
    router.handle({ type: 'start' }, 0);
    expect(router.nextDeadline()).toBe(3 * 3000 + ((256 - 200) * 1000) / 256);
  });

  // Given a started backup, when `start` arrives again,
  // then nothing happens and the running Master_Down_Timer is not restarted.
  it('a second start is a no-op that keeps the running timer', () => {
    const router = new VirtualRouter(makeConfig());
    router.handle({ type: 'start' }, 0);
    const deadline = router.nextDeadline();
    expect(router.handle({ type: 'start' }, 2000)).toEqual([]);
    expect(router.nextDeadline()).toBe(deadline);
    expect(router.state).toBe('backup');
  });
});

describe('the address owner (priority 255) starts as Master at once', () => {
  // Given priority 255, when it starts,
  // then it sends the advertisement, adds the VIPs, announces them, and only then reports Master (§6.4.1).
  it('emits send, addVips, announce, transition in that order', () => {
    const router = new VirtualRouter(makeConfig({ priority: 255 }));
    const actions = router.handle({ type: 'start' }, 0);
    expect(typesOf(actions)).toEqual(['send', 'addVips', 'announce', 'transition']);
  });

  // Given priority 255, when it starts,
  // then the transition is initialize → master with reason 'startup-owner'.
  it('reports the transition with reason startup-owner', () => {
    const config = makeConfig({ priority: 255 });
    const router = new VirtualRouter(config);
    const actions = router.handle({ type: 'start' }, 0);
    expect(transitionsOf(actions)).toEqual([{ type: 'transition', from: 'initialize', to: 'master', reason: 'startup-owner', master: selfAsMaster(config) }]);
    expect(router.state).toBe('master');
  });

  // Given priority 255 on VRID 51 with one VIP, when it starts,
  // then its first advertisement carries priority 255, our VRID, interval and addresses, to the multicast group.
  it('advertises priority 255 with the configured VRID, interval and addresses', () => {
    const router = new VirtualRouter(makeConfig({ priority: 255, vrid: 51, advertIntervalMs: 1000 }));
    const [send] = router.handle({ type: 'start' }, 0);
    expect(send).toMatchObject({
      type: 'send',
      dst: GROUP_V4,
      advertisement: { version: 3, vrid: 51, priority: 255, advertIntervalMs: 1000, addresses: ['192.0.2.100'] },
    });
  });

  // Given priority 255, when it starts at t=500,
  // then "Set the Adver_Timer to Advertisement_Interval": the next deadline is 500 + 1000.
  it('arms the Adver_Timer at exactly start + interval', () => {
    const router = new VirtualRouter(makeConfig({ priority: 255, advertIntervalMs: 1000 }));
    router.handle({ type: 'start' }, 500);
    expect(router.nextDeadline()).toBe(1500);
  });

  // Given priority 255 and two unicast peers, when it starts,
  // then one send per destination comes before the VIPs are added.
  it('sends one advertisement per destination, in order, before addVips', () => {
    const router = new VirtualRouter(makeConfig({ priority: 255, destinations: ['192.0.2.30', '192.0.2.31'] }));
    const actions = router.handle({ type: 'start' }, 0);
    expect(typesOf(actions)).toEqual(['send', 'send', 'addVips', 'announce', 'transition']);
    expect(actions.slice(0, 2).map((action) => (action.type === 'send' ? action.dst : undefined))).toEqual(['192.0.2.30', '192.0.2.31']);
  });

  // Given priority 255, when it starts,
  // then the masterTransitions and advertisementsSent counters each read 1.
  it('counts one master transition and one advertisement sent', () => {
    const router = new VirtualRouter(makeConfig({ priority: 255 }));
    router.handle({ type: 'start' }, 0);
    expect(router.stats).toMatchObject({ masterTransitions: 1, advertisementsSent: 1, priorityZeroSent: 0 });
  });
});

describe('initialState is only a starting wish', () => {
  // Given an owner whose initialState is 'backup', when it starts,
  // then it enters Backup and waits a full Master_Down_Interval: 3 × 1000 + (256 − 255) × 1000 / 256.
  it("an owner with initialState 'backup' waits in Backup for a full Master_Down_Interval", () => {
    const router = new VirtualRouter(makeConfig({ priority: 255, initialState: 'backup' }));
    const actions = router.handle({ type: 'start' }, 0);
    expect(typesOf(actions)).toEqual(['transition']);
    expect(router.state).toBe('backup');
    expect(router.nextDeadline()).toBe(3 * 1000 + ((256 - 255) * 1000) / 256);
  });

  // Given a non-owner whose initialState is 'master', when it starts,
  // then it still starts in Backup (a running master must be heard first) and sends nothing.
  it("a non-owner with initialState 'master' still starts in Backup", () => {
    const router = new VirtualRouter(makeConfig({ priority: 100, initialState: 'master' }));
    const actions = router.handle({ type: 'start' }, 0);
    expect(actions).toEqual([{ type: 'transition', from: 'initialize', to: 'backup', reason: 'startup' }]);
  });

  // Given a non-owner whose initialState is 'master', when it starts at t=1000,
  // then its first Master_Down_Timer is shortened to one interval and the smallest skew, as keepalived 2.2.7 waits
  // for a sync group member in state MASTER (vrrp_scheduler.c: master_adver_int + VRRP_TIMER_SKEW_MIN): 1000 + 1000
  // + 1000 / 256 — not its own skew (156 × 1000 / 256 at priority 100).
  it("a non-owner with initialState 'master' shortens its first timer to one interval and the smallest skew", () => {
    const router = new VirtualRouter(makeConfig({ version: 2, priority: 100, initialState: 'master' }));
    router.handle({ type: 'start' }, 1000);
    expect(router.nextDeadline()).toBe(1000 + 1000 + 1000 / 256);
  });

  // The same in VRRPv3, where the skew is in units of the interval: 1000 + 100 + 100 / 256.
  it("a VRRPv3 non-owner with initialState 'master' waits one interval and 1/256 of it", () => {
    const router = new VirtualRouter(makeConfig({ version: 3, advertIntervalMs: 100, priority: 100, initialState: 'master' }));
    router.handle({ type: 'start' }, 1000);
    expect(router.nextDeadline()).toBe(1000 + 100 + 100 / 256);
  });

  // Given a non-owner with initialState 'master' that hears nothing, when its shortened timer fires,
  // then it becomes Master at that instant.
  it("a non-owner with initialState 'master' takes over when the shortened timer fires", () => {
    const router = new VirtualRouter(makeConfig({ priority: 100, initialState: 'master' }));
    router.handle({ type: 'start' }, 0);
    const actions = router.handle({ type: 'timeout' }, 1000 + 1000 / 256);
    expect(typesOf(actions)).toEqual(['send', 'addVips', 'announce', 'transition']);
    expect(router.state).toBe('master');
  });

  // Given an owner whose initialState is 'master', when it starts,
  // then it is Master at once, as without a wish.
  it("an owner with initialState 'master' is Master at once", () => {
    const router = new VirtualRouter(makeConfig({ priority: 255, initialState: 'master' }));
    const actions = router.handle({ type: 'start' }, 0);
    expect(sentPriorities(actions)).toEqual([255]);
    expect(router.state).toBe('master');
  });
});

describe('restart', () => {
  // Given a router that was started and stopped, when it is started again at t=10000,
  // then it re-enters Backup with a fresh Master_Down_Timer from that instant.
  it('a stopped router starts again into Backup with a fresh timer', () => {
    const router = new VirtualRouter(makeConfig());
    router.handle({ type: 'start' }, 0);
    router.handle({ type: 'stop' }, 1000);
    const actions = router.handle({ type: 'start' }, 10_000);
    expect(actions).toEqual([{ type: 'transition', from: 'initialize', to: 'backup', reason: 'startup' }]);
    expect(router.nextDeadline()).toBe(10_000 + 3000 + ((256 - 100) * 1000) / 256);
  });
});
