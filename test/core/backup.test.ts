/**
 * Backup state: "If an ADVERTISEMENT is received" (RFC 9568 §6.4.2, RFC 3768 §6.4.2), preemption (§6.1
 * Preempt_Mode) and keepalived's preempt_delay.
 *
 * The backup under test has priority 100 and 1 s adverts unless a test says otherwise, so its
 * Master_Down_Interval is 3000 + 156 × 1000 / 256 = 3609.375 ms and its Skew_Time 609.375 ms.
 */
import { describe, it, expect } from 'vitest';
import { HIGHER_PEER, LOWER_PEER, advertFrom, errorCodesOf, makeConfig, nonZeroDropCounters, peerAsMaster, selfAsMaster, startedBackup, transitionsOf, typesOf } from './helpers.js';
import { VirtualRouter } from '../../src/core/router.js';

const DOWN_MS = 3 * 1000 + ((256 - 100) * 1000) / 256; // 3609.375
const SKEW_MS = ((256 - 100) * 1000) / 256; // 609.375

describe('an accepted advertisement', () => {
  // Given a backup, when a higher-priority master advertises, then the backup answers nothing: it re-arms its timer,
  // and reports the master it now knows (masterChange) the first time only — a backup hears its master every
  // interval, and the same master again is no news.
  it('produces no action but the first masterChange', () => {
    const config = makeConfig();
    const router = startedBackup(config);
    expect(router.handle(advertFrom(config, HIGHER_PEER, 200), 1000)).toEqual([{ type: 'masterChange', master: peerAsMaster(HIGHER_PEER, 200) }]);
    expect(router.handle(advertFrom(config, HIGHER_PEER, 200), 2000)).toEqual([]);
    expect(router.master).toEqual(peerAsMaster(HIGHER_PEER, 200));
  });

  // Given a backup, when two adverts are accepted,
  // then advertisementsReceived reads 2 and no drop counter moved.
  it('is counted in advertisementsReceived', () => {
    const config = makeConfig();
    const router = startedBackup(config);
    router.handle(advertFrom(config, HIGHER_PEER, 200), 1000);
    router.handle(advertFrom(config, HIGHER_PEER, 200), 2000);
    expect(router.stats.advertisementsReceived).toBe(2);
    expect(nonZeroDropCounters(router.stats)).toEqual({});
  });
});

describe('priority 0: the master is leaving', () => {
  // Given a backup whose timer runs to 3609.375, when the master sends priority 0 at t=2000,
  // then "Set the Master_Down_Timer to Skew_Time": the deadline becomes 2000 + 609.375.
  it('sets the Master_Down_Timer to Skew_Time', () => {
    const config = makeConfig();
    const router = startedBackup(config);
    router.handle(advertFrom(config, HIGHER_PEER, 0), 2000);
    expect(router.nextDeadline()).toBe(2000 + SKEW_MS);
  });

  // Given that backup after the priority-0 advert at t=2000, when the timer is driven,
  // then 1 ms before 2000 + Skew_Time nothing happens and at exactly that instant it becomes Master.
  it('takes over after exactly Skew_Time', () => {
    const config = makeConfig();
    const router = startedBackup(config);
    router.handle(advertFrom(config, HIGHER_PEER, 0), 2000);
    expect(router.handle({ type: 'timeout' }, 2000 + SKEW_MS - 1)).toEqual([]);
    const actions = router.handle({ type: 'timeout' }, 2000 + SKEW_MS);
    expect(transitionsOf(actions)).toEqual([{ type: 'transition', from: 'backup', to: 'master', reason: 'master-down-timer-expired', master: selfAsMaster(config) }]);
  });

  // Given a backup, when a priority-0 advert is accepted,
  // then priorityZeroReceived and advertisementsReceived each read 1.
  it('is counted in priorityZeroReceived', () => {
    const config = makeConfig();
    const router = startedBackup(config);
    router.handle(advertFrom(config, HIGHER_PEER, 0), 2000);
    expect(router.stats).toMatchObject({ priorityZeroReceived: 1, advertisementsReceived: 1 });
  });

  // Given a v3 backup that adopted a master's 500 ms interval, when that master sends priority 0 at t=3000,
  // then the skew is computed from the adopted interval: 156 × 500 / 256 = 304.6875 ms.
  it('computes the v3 Skew_Time from the adopted Master_Adver_Interval', () => {
    const config = makeConfig({ version: 3, advertIntervalMs: 1000 });
    const router = startedBackup(config);
    router.handle(advertFrom(config, HIGHER_PEER, 200, { advertIntervalMs: 500 }), 1000);
    router.handle(advertFrom(config, HIGHER_PEER, 0, { advertIntervalMs: 500 }), 1500);
    expect(router.nextDeadline()).toBe(1500 + ((256 - 100) * 500) / 256);
  });
});

describe('Master_Adver_Interval: v3 adopts, v2 does not', () => {
  // Given a v3 backup configured for 1000 ms, when the master advertises 500 ms at t=1000,
  // then "Set Master_Adver_Interval to Adver Interval contained in the ADVERTISEMENT" and the down interval is
  // 3 × 500 + 156 × 500 / 256.
  it('a v3 backup computes its down interval from the interval the master advertises', () => {
    const config = makeConfig({ version: 3, advertIntervalMs: 1000 });
    const router = startedBackup(config);
    router.handle(advertFrom(config, HIGHER_PEER, 200, { advertIntervalMs: 500 }), 1000);
    expect(router.masterAdverIntervalMs).toBe(500);
    expect(router.nextDeadline()).toBe(1000 + 3 * 500 + ((256 - 100) * 500) / 256);
  });

  // Given a v3 backup that adopted 500 ms, when the master later advertises 2000 ms,
  // then the down interval follows the latest advertisement: 3 × 2000 + 156 × 2000 / 256.
  it('a v3 backup follows each new interval the master advertises', () => {
    const config = makeConfig({ version: 3, advertIntervalMs: 1000 });
    const router = startedBackup(config);
    router.handle(advertFrom(config, HIGHER_PEER, 200, { advertIntervalMs: 500 }), 1000);
    router.handle(advertFrom(config, HIGHER_PEER, 200, { advertIntervalMs: 2000 }), 1500);
    expect(router.nextDeadline()).toBe(1500 + 3 * 2000 + ((256 - 100) * 2000) / 256);
  });

  // Given a v2 backup configured for 1 s, when a master advertises 2 s,
  // then the packet is dropped (RFC 3768 §7.1): the interval is not adopted and the timer is not moved.
  it('a v2 backup does not adopt a different interval and keeps its timer', () => {
    const config = makeConfig({ version: 2, advertIntervalMs: 1000 });
    const router = startedBackup(config);
    const before = router.nextDeadline();
    router.handle(advertFrom(config, HIGHER_PEER, 200, { advertIntervalMs: 2000 }), 1000);
    expect(router.masterAdverIntervalMs).toBe(1000);
    expect(router.nextDeadline()).toBe(before);
    expect(router.stats.advIntervalErrors).toBe(1);
  });

  // Given a v2 backup at 3 s adverts, when the master advertises the same 3 s at t=1000,
  // then the timer re-arms at 1000 + 3 × 3000 + the v2 skew (which ignores the interval).
  it('a v2 backup re-arms with its own interval and the v2 skew', () => {
    const config = makeConfig({ version: 2, advertIntervalMs: 3000 });
    const router = startedBackup(config);
    router.handle(advertFrom(config, HIGHER_PEER, 200), 1000);
    expect(router.nextDeadline()).toBe(1000 + 9000 + ((256 - 100) * 1000) / 256);
  });
});

describe('preempt on: a lower-priority master is discarded and preempted', () => {
  // Given a preempting backup (100) that accepted a priority-200 advert at t=1000,
  // when the master's adverts drop to priority 50 at t=2000, then they are discarded: the timer stays at
  // 1000 + 3609.375.
  it('discards lower-priority advertisements without touching the timer', () => {
    const config = makeConfig({ preempt: true });
    const router = startedBackup(config);
    router.handle(advertFrom(config, HIGHER_PEER, 200), 1000);
    // The master is still the master until we take over: its new priority is news, the timer is not touched.
    expect(router.handle(advertFrom(config, HIGHER_PEER, 50), 2000)).toEqual([{ type: 'masterChange', master: peerAsMaster(HIGHER_PEER, 50) }]);
    expect(router.nextDeadline()).toBe(1000 + DOWN_MS);
  });

  // Given the same backup hearing priority-50 adverts every second after t=1000,
  // when its timer runs out at 1000 + 3609.375, then it becomes Master at that instant.
  it('takes over at last accepted advertisement + Master_Down_Interval', () => {
    const config = makeConfig({ preempt: true });
    const router = startedBackup(config);
    router.handle(advertFrom(config, HIGHER_PEER, 200), 1000);
    for (const t of [2000, 3000, 4000]) router.handle(advertFrom(config, HIGHER_PEER, 50), t);
    const actions = router.handle({ type: 'timeout' }, 1000 + DOWN_MS);
    expect(transitionsOf(actions)).toEqual([{ type: 'transition', from: 'backup', to: 'master', reason: 'master-down-timer-expired', master: selfAsMaster(config) }]);
  });

  // Given a preempting backup, when a lower-priority advert is discarded,
  // then it is not an error: no drop counter moves, and it still counts as received.
  it('a discarded lower-priority advertisement is not a protocol error', () => {
    const config = makeConfig({ preempt: true });
    const router = startedBackup(config);
    expect(errorCodesOf(router.handle(advertFrom(config, HIGHER_PEER, 50), 1000))).toEqual([]);
    expect(router.stats.advertisementsReceived).toBe(1);
    expect(nonZeroDropCounters(router.stats)).toEqual({});
  });
});

describe('preempt off: a lower-priority master keeps us Backup', () => {
  // Given a non-preempting backup (100), when a priority-50 master advertises every second from t=1000 to t=10000,
  // then every advert is accepted: it stays Backup with the timer at 10000 + 3609.375.
  it('accepts lower-priority advertisements and never takes over', () => {
    const config = makeConfig({ preempt: false });
    const router = startedBackup(config);
    for (let t = 1000; t <= 10_000; t += 1000) {
      router.handle(advertFrom(config, LOWER_PEER, 50), t);
      router.handle({ type: 'timeout' }, t); // a timer that is not due must change nothing
    }
    expect(router.state).toBe('backup');
    expect(router.nextDeadline()).toBe(10_000 + DOWN_MS);
  });
});

describe('preemptDelayMs (keepalived preempt_delay)', () => {
  const config = makeConfig({ preempt: true, preemptDelayMs: 5000 });

  // Given a backup with a 5 s preempt delay, when a priority-50 master advertises every second from t=1000,
  // then the adverts before 1000 + 5000 are accepted: each one re-arms the timer.
  it('accepts lower-priority advertisements until the delay has passed', () => {
    const router = startedBackup(config);
    for (const t of [1000, 2000, 3000, 4000, 5000]) {
      router.handle(advertFrom(config, LOWER_PEER, 50), t);
      expect(router.nextDeadline()).toBe(t + DOWN_MS);
    }
  });

  // Given the same backup, when the priority-50 advert at 1000 + 5000 arrives,
  // then it is discarded: the timer stays at 5000 + 3609.375 from the last accepted one.
  it('discards lower-priority advertisements from the end of the delay on', () => {
    const router = startedBackup(config);
    for (const t of [1000, 2000, 3000, 4000, 5000, 6000, 7000]) router.handle(advertFrom(config, LOWER_PEER, 50), t);
    expect(router.nextDeadline()).toBe(5000 + DOWN_MS);
  });

  // Given the same backup, when the lower master keeps advertising past the delay,
  // then it takes over at last accepted (t=5000) + Master_Down_Interval.
  it('takes over at the last accepted advertisement + Master_Down_Interval', () => {
    const router = startedBackup(config);
    for (const t of [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000]) router.handle(advertFrom(config, LOWER_PEER, 50), t);
    const actions = router.handle({ type: 'timeout' }, 5000 + DOWN_MS);
    expect(transitionsOf(actions)).toEqual([{ type: 'transition', from: 'backup', to: 'master', reason: 'master-down-timer-expired', master: selfAsMaster(config) }]);
  });

  // Given a backup that heard a priority-200 master from t=1000 to t=8000, when that master drops to priority 50
  // at t=9000, then the delay counts from 9000, not from startup: the advert at 13000 is still accepted.
  it('counts the delay from the first lower-priority advertisement heard, not from startup', () => {
    const router = startedBackup(config);
    for (let t = 1000; t <= 8000; t += 1000) router.handle(advertFrom(config, HIGHER_PEER, 200), t);
    for (let t = 9000; t <= 13_000; t += 1000) router.handle(advertFrom(config, HIGHER_PEER, 50), t);
    expect(router.nextDeadline()).toBe(13_000 + DOWN_MS);
  });

  // Given a backup whose delay started with a priority-50 advert at t=1000, when a priority-200 advert arrives at
  // t=3000 and priority 50 returns at t=4000, then the delay restarts at 4000: the advert at 8000 is accepted.
  it('a higher-priority advertisement in between restarts the delay', () => {
    const router = startedBackup(config);
    router.handle(advertFrom(config, HIGHER_PEER, 50), 1000);
    router.handle(advertFrom(config, HIGHER_PEER, 200), 3000);
    for (const t of [4000, 5000, 6000, 7000, 8000]) router.handle(advertFrom(config, HIGHER_PEER, 50), t);
    expect(router.nextDeadline()).toBe(8000 + DOWN_MS);
  });
});

describe('the address owner in Backup', () => {
  // Given an owner (255) that wished to start as Backup, when a priority-100 master advertises every second,
  // then its adverts are discarded (lower priority, preempt on) and the owner takes over at start + 3 × 1000 +
  // (256 − 255) × 1000 / 256.
  it('preempts a lower-priority master when its Master_Down_Timer runs out', () => {
    const config = makeConfig({ priority: 255, initialState: 'backup', preempt: true });
    const router = startedBackup(config);
    for (const t of [1000, 2000, 3000]) router.handle(advertFrom(config, HIGHER_PEER, 100), t);
    const actions = router.handle({ type: 'timeout' }, 3000 + 1000 / 256);
    expect(transitionsOf(actions)).toEqual([{ type: 'transition', from: 'backup', to: 'master', reason: 'master-down-timer-expired', master: selfAsMaster(config) }]);
  });
});

describe('equal priority keeps the backup a backup', () => {
  // Given a preempting backup at priority 100, when an equal-priority master advertises (from a lower or a higher
  // address), then the advert is accepted — "greater than or equal to the local Priority" (RFC 9568 §6.4.2) —
  // and the timer re-arms: the address tie-break is for masters only.
  it.each([
    { peer: LOWER_PEER, side: 'lower' },
    { peer: HIGHER_PEER, side: 'higher' },
  ])('accepts an equal-priority advertisement from a $side address', ({ peer }) => {
    const config = makeConfig({ priority: 100, preempt: true });
    const router = startedBackup(config);
    router.handle(advertFrom(config, peer, 100), 1000);
    expect(router.state).toBe('backup');
    expect(router.nextDeadline()).toBe(1000 + DOWN_MS);
  });
});

describe('the address owner always preempts (RFC 9568 §6.1)', () => {
  // Given an owner (255) with preempt: false that comes back from a link fault while a priority-100 master runs
  // when that master keeps advertising
  // then the owner ignores preempt: false, discards the lower adverts and is Master again — at once, in fact,
  // because leaving Fault is a fresh start and an owner starts as Master (RFC 9568 §6.4.1).
  it('an owner leaving Fault goes Master at once even with preempt: false', () => {
    const config = makeConfig({ priority: 255, preempt: false });
    const router = new VirtualRouter(config);
    router.handle({ type: 'start' }, 0);
    router.handle({ type: 'link', up: false }, 1000);
    const actions = router.handle({ type: 'link', up: true }, 5000);
    expect(typesOf(actions)).toEqual(['send', 'addVips', 'announce', 'transition']);
    expect(router.state).toBe('master');
  });

  // Given an owner that wished to start as backup, with preempt: false, under a priority-100 master
  // when the lower master's adverts arrive every second
  // then they are discarded (the owner preempts regardless) and it takes over one Master_Down_Interval after start.
  it('an owner in Backup discards a lower master even with preempt: false', () => {
    const config = makeConfig({ priority: 255, preempt: false, initialState: 'backup' });
    const router = startedBackup(config);
    for (const t of [500, 1500, 2500]) router.handle(advertFrom(config, LOWER_PEER, 100), t);
    const actions = router.handle({ type: 'timeout' }, 3000 + 1000 / 256);
    expect(transitionsOf(actions).map((t) => t.to)).toEqual(['master']);
  });
});
