/**
 * A start that carries on from the router a new configuration replaced (the `start` input's `resume`, used by
 * `VrrpInstance.reconfigure` and `vrrp run`'s reload): the state it had, its trackers' states, and Fault first.
 */
import { describe, it, expect } from 'vitest';
import type { TrackerSpec } from '../../src/core/priority.js';
import { VirtualRouter } from '../../src/core/router.js';
import { GROUP_V4, makeConfig, selfAsMaster, sentPriorities, transitionsOf, typesOf } from './helpers.js';

function tracker(name: string, weight: number, overrides: Partial<TrackerSpec> = {}): TrackerSpec {
  return { name, weight, fall: 1, rise: 1, reverse: false, ...overrides };
}

describe('resuming as Master', () => {
  // Given a router whose predecessor was Master, when it starts with resume master,
  // then it is Master at once, with a takeover's actions: advert, addresses, announcement, then the transition.
  it('goes Master at once with an advert, addVips and announce, reason reconfigured', () => {
    const config = makeConfig({ priority: 90 });
    const router = new VirtualRouter(config);
    const actions = router.handle({ type: 'start', resume: { state: 'master' } }, 500);
    expect(typesOf(actions)).toEqual(['send', 'addVips', 'announce', 'transition']);
    expect(sentPriorities(actions)).toEqual([90]);
    expect(transitionsOf(actions)).toEqual([{ type: 'transition', from: 'initialize', to: 'master', reason: 'reconfigured', master: selfAsMaster(config) }]);
    expect(router.nextDeadline()).toBe(500 + config.advertIntervalMs);
  });

  // Given a weight-0 tracker that has not reported (a fresh start would wait in Initialize for it),
  // when a Master resumes, then it does not wait: the router was running already, and waiting would silence it.
  it('is not held by a weight-0 tracker that has not reported yet', () => {
    const router = new VirtualRouter(makeConfig({ trackers: [tracker('new-check', 0)] }));
    router.handle({ type: 'start', resume: { state: 'master' } }, 0);
    expect(router.state).toBe('master');
  });

  // Given a weight-0 tracker that was down before the reload, when the router resumes as Master,
  // then Fault wins, as a Master faulting: priority 0 (a peer takes over within Skew_Time), the addresses that are
  // still up removed, then the transition.
  it('goes to Fault when a kept weight-0 tracker is down, with priority 0 and its addresses removed first', () => {
    const router = new VirtualRouter(makeConfig({ trackers: [tracker('db', 0)] }));
    const actions = router.handle({ type: 'start', resume: { state: 'master', trackers: { db: { status: 'down', streak: 0 } } } }, 0);
    expect(typesOf(actions)).toEqual(['send', 'removeVips', 'transition']);
    expect(sentPriorities(actions)).toEqual([0]);
    expect(transitionsOf(actions)).toEqual([{ type: 'transition', from: 'initialize', to: 'fault', reason: 'tracker-down' }]);
  });

  // Given a resumed mastership, when the counters are read, then it is not counted as a new one.
  it('does not count a resumed mastership as a new one', () => {
    const router = new VirtualRouter(makeConfig());
    router.handle({ type: 'start', resume: { state: 'master' } }, 0);
    expect(router.stats.masterTransitions).toBe(0);
  });

  // Given a predecessor that was Backup, when a weight-0 tracker it kept is down, then it goes to Fault sending
  // nothing and removing nothing: a Backup holds no address.
  it('goes from a resumed Backup to Fault sending nothing', () => {
    const router = new VirtualRouter(makeConfig({ trackers: [tracker('db', 0)] }));
    const actions = router.handle({ type: 'start', resume: { state: 'backup', trackers: { db: { status: 'down', streak: 0 } } } }, 0);
    expect(typesOf(actions)).toEqual(['transition']);
  });

  // Given a weighted tracker that was up before the reload, when the router resumes,
  // then its weight counts from the first advert: the peers never see the base priority in between.
  it('advertises the priority its kept trackers give from the first advert', () => {
    const router = new VirtualRouter(makeConfig({ priority: 100, trackers: [tracker('web', 20)] }));
    const actions = router.handle({ type: 'start', resume: { state: 'master', trackers: { web: { status: 'up', streak: 0 } } } }, 0);
    expect(sentPriorities(actions)).toEqual([120]);
    expect(router.priority).toBe(120);
  });

  // Given resume trackers naming a tracker the new configuration dropped, when the router resumes,
  // then that name is ignored and the configured trackers keep their own states.
  it('ignores kept states of trackers the new configuration does not have', () => {
    const router = new VirtualRouter(makeConfig({ priority: 100, trackers: [tracker('web', 20)] }));
    router.handle({ type: 'start', resume: { state: 'master', trackers: { gone: { status: 'up', streak: 0 } } } }, 0);
    expect([...router.trackers.keys()]).toEqual(['web']);
    expect(router.trackers.get('web')?.status).toBe('unknown');
    expect(router.priority).toBe(100);
  });

  // Given an interface with no address to send from, when a Master resumes,
  // then it goes to Fault (link-down), as a fresh start would: nothing can be sent, its addresses are removed.
  it('goes to Fault without a primary address, removing its addresses', () => {
    const router = new VirtualRouter(makeConfig({ primaryAddress: undefined }));
    const actions = router.handle({ type: 'start', resume: { state: 'master' } }, 0);
    expect(typesOf(actions)).toEqual(['removeVips', 'transition']);
    expect(transitionsOf(actions)).toEqual([{ type: 'transition', from: 'initialize', to: 'fault', reason: 'link-down' }]);
  });
});

describe('resuming as Backup', () => {
  // Given the owner's priority (255), which a fresh start takes Master at once, when its predecessor was Backup,
  // then it resumes as Backup: a reload must not move a mastership by itself.
  it('keeps an owner that was Backup in Backup', () => {
    const router = new VirtualRouter(makeConfig({ priority: 255 }));
    const actions = router.handle({ type: 'start', resume: { state: 'backup' } }, 0);
    expect(transitionsOf(actions)).toEqual([{ type: 'transition', from: 'initialize', to: 'backup', reason: 'reconfigured' }]);
    expect(typesOf(actions)).toEqual(['transition']);
  });

  // Given v3, priority 100, 1 s adverts, resumed at t=2000 as Backup,
  // then its Master_Down_Timer is a full Master_Down_Interval from the resume.
  it('arms a full Master_Down_Timer from the resume', () => {
    const router = new VirtualRouter(makeConfig({ version: 3, priority: 100, advertIntervalMs: 1000 }));
    router.handle({ type: 'start', resume: { state: 'backup' } }, 2000);
    expect(router.nextDeadline()).toBe(2000 + 3 * 1000 + ((256 - 100) * 1000) / 256);
  });

  // Given a predecessor in Fault whose cause is gone with the new configuration, when the router resumes,
  // then it is a Backup; a Fault that persists (the link is down) is found again by the new router's own inputs.
  it('resumes a predecessor in Fault as Backup when nothing faults it now', () => {
    const router = new VirtualRouter(makeConfig());
    router.handle({ type: 'start', resume: { state: 'fault' } }, 0);
    expect(router.state).toBe('backup');
  });
});

describe('resume is only a start', () => {
  // Given a router already running, when a start with resume arrives, then nothing happens.
  it('is ignored by a router that has left Initialize', () => {
    const router = new VirtualRouter(makeConfig({ destinations: [GROUP_V4] }));
    router.handle({ type: 'start' }, 0);
    expect(router.handle({ type: 'start', resume: { state: 'master' } }, 10)).toEqual([]);
    expect(router.state).toBe('backup');
  });
});
