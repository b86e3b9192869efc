/**
 * Timer arithmetic (RFC 3768 §6.1, RFC 9568 §6.1) and the exact instants at which the state machine acts on it.
 * Expected values are written out as the RFC formulas, not computed with the functions under test.
 */
import { describe, it, expect } from 'vitest';
import { masterDownIntervalMs, skewTimeMs } from '../../src/core/timers.js';
import { HIGHER_PEER, advertFrom, makeConfig, selfAsMaster, sentPriorities, startedBackup, startedMaster, transitionsOf, typesOf } from './helpers.js';

describe('Skew_Time', () => {
  // Given v2, when the skew is computed at several priorities and intervals,
  // then it is (256 − Priority) / 256 seconds and ignores the interval (RFC 3768 §6.1).
  it.each([
    { priority: 1, intervalMs: 1000, expected: 996.09375 },
    { priority: 100, intervalMs: 1000, expected: 609.375 },
    { priority: 100, intervalMs: 3000, expected: 609.375 },
    { priority: 200, intervalMs: 1000, expected: 218.75 },
    { priority: 254, intervalMs: 5000, expected: 7.8125 },
    { priority: 255, intervalMs: 1000, expected: 3.90625 },
  ])('v2 at priority $priority, interval $intervalMs ms is $expected ms', ({ priority, intervalMs, expected }) => {
    expect(skewTimeMs(2, priority, intervalMs)).toBe(expected);
  });

  // Given v3, when the skew is computed at several priorities and intervals,
  // then it is (256 − Priority) × Master_Adver_Interval / 256 (RFC 9568 §6.1).
  it.each([
    { priority: 1, intervalMs: 1000, expected: 996.09375 },
    { priority: 100, intervalMs: 1000, expected: 609.375 },
    { priority: 100, intervalMs: 100, expected: 60.9375 },
    { priority: 100, intervalMs: 10, expected: 6.09375 },
    { priority: 150, intervalMs: 100, expected: 41.40625 },
    { priority: 254, intervalMs: 40950, expected: 319.921875 },
    { priority: 255, intervalMs: 30, expected: 0.1171875 },
  ])('v3 at priority $priority, interval $intervalMs ms is $expected ms', ({ priority, intervalMs, expected }) => {
    expect(skewTimeMs(3, priority, intervalMs)).toBe(expected);
  });
});

describe('Master_Down_Interval', () => {
  // Given v2, when the down interval is computed,
  // then it is 3 × Advertisement_Interval + the v2 skew.
  it.each([
    { priority: 100, intervalMs: 1000, expected: 3000 + 609.375 },
    { priority: 100, intervalMs: 3000, expected: 9000 + 609.375 },
    { priority: 254, intervalMs: 1000, expected: 3000 + 7.8125 },
  ])('v2 at priority $priority, interval $intervalMs ms is $expected ms', ({ priority, intervalMs, expected }) => {
    expect(masterDownIntervalMs(2, priority, intervalMs)).toBe(expected);
  });

  // Given v3, when the down interval is computed,
  // then it is 3 × Master_Adver_Interval + the v3 skew (the architecture's measured bounds: 361 ms at 100 ms, 36 ms at 10 ms).
  it.each([
    { priority: 100, intervalMs: 1000, expected: 3000 + 609.375 },
    { priority: 100, intervalMs: 100, expected: 300 + 60.9375 },
    { priority: 100, intervalMs: 10, expected: 30 + 6.09375 },
    { priority: 150, intervalMs: 30, expected: 90 + 12.421875 },
    { priority: 255, intervalMs: 1000, expected: 3000 + 3.90625 },
  ])('v3 at priority $priority, interval $intervalMs ms is $expected ms', ({ priority, intervalMs, expected }) => {
    expect(masterDownIntervalMs(3, priority, intervalMs)).toBe(expected);
  });
});

describe('the backup takes over at exactly the Master_Down_Interval after the last accepted advertisement', () => {
  const config = makeConfig({ version: 3, priority: 100, advertIntervalMs: 1000 });
  const lastAdvertMs = 2500;
  const takeoverMs = lastAdvertMs + 3 * 1000 + ((256 - 100) * 1000) / 256; // 6109.375

  // Given a backup that accepted a priority-200 advertisement at t=2500,
  // when it is asked for its next deadline, then it is t + 3 × 1000 + 156 × 1000 / 256 = 6109.375.
  it('an accepted advertisement re-arms the Master_Down_Timer at receipt + Master_Down_Interval', () => {
    const router = startedBackup(config);
    router.handle(advertFrom(config, HIGHER_PEER, 200), lastAdvertMs);
    expect(router.nextDeadline()).toBe(takeoverMs);
  });

  // Given that backup, when a timeout arrives 1 ms before the deadline,
  // then it is a no-op: no action, still Backup, deadline unchanged.
  it('a timeout 1 ms early is a no-op', () => {
    const router = startedBackup(config);
    router.handle(advertFrom(config, HIGHER_PEER, 200), lastAdvertMs);
    expect(router.handle({ type: 'timeout' }, takeoverMs - 1)).toEqual([]);
    expect(router.state).toBe('backup');
    expect(router.nextDeadline()).toBe(takeoverMs);
  });

  // Given that backup, when the timeout arrives at exactly the deadline,
  // then it becomes Master with reason 'master-down-timer-expired', sending, adding and announcing first.
  it('a timeout at exactly the deadline makes it Master', () => {
    const router = startedBackup(config);
    router.handle(advertFrom(config, HIGHER_PEER, 200), lastAdvertMs);
    const actions = router.handle({ type: 'timeout' }, takeoverMs);
    expect(typesOf(actions)).toEqual(['send', 'addVips', 'announce', 'transition']);
    expect(transitionsOf(actions)).toEqual([
      { type: 'transition', from: 'backup', to: 'master', reason: 'master-down-timer-expired', master: selfAsMaster(config) },
    ]);
  });

  // Given a backup that just took over at its deadline, when the same timeout is delivered again,
  // then nothing happens: the Adver_Timer is one interval away.
  it('a repeated timeout at the takeover instant is a no-op', () => {
    const router = startedBackup(config);
    router.handle(advertFrom(config, HIGHER_PEER, 200), lastAdvertMs);
    router.handle({ type: 'timeout' }, takeoverMs);
    expect(router.handle({ type: 'timeout' }, takeoverMs)).toEqual([]);
    expect(router.nextDeadline()).toBe(takeoverMs + 1000);
  });

  // Given v3 at 10 ms adverts and priority 100, when the master falls silent after an advert at t=1000,
  // then the backup takes over at 1000 + 30 + 6.09375 ms, not a millisecond rounded either way.
  it('keeps sub-millisecond precision at 10 ms adverts', () => {
    const fast = makeConfig({ version: 3, priority: 100, advertIntervalMs: 10 });
    const router = startedBackup(fast);
    router.handle(advertFrom(fast, HIGHER_PEER, 200), 1000);
    expect(router.nextDeadline()).toBe(1000 + 30 + 6.09375);
  });
});

describe('the master re-advertises every Advertisement_Interval exactly', () => {
  const config = makeConfig({ version: 3, priority: 100, advertIntervalMs: 1000 });

  // Given a router that became Master at T, when its Adver_Timer is driven three times,
  // then each firing sends exactly one advertisement at its own priority and re-arms exactly one interval later.
  it('each Adver_Timer firing sends one advertisement and re-arms at now + interval', () => {
    const { router, masterSinceMs } = startedMaster(config);
    for (let n = 1; n <= 3; n++) {
      const at = masterSinceMs + n * 1000;
      expect(router.nextDeadline()).toBe(at);
      const actions = router.handle({ type: 'timeout' }, at);
      expect(typesOf(actions)).toEqual(['send']);
      expect(sentPriorities(actions)).toEqual([100]);
    }
    expect(router.nextDeadline()).toBe(masterSinceMs + 4000);
  });

  // Given a master whose Adver_Timer is due at T + 1000, when a timeout arrives 1 ms early,
  // then nothing is sent.
  it('an early Adver_Timer timeout sends nothing', () => {
    const { router, masterSinceMs } = startedMaster(config);
    expect(router.handle({ type: 'timeout' }, masterSinceMs + 999)).toEqual([]);
    expect(router.nextDeadline()).toBe(masterSinceMs + 1000);
  });

  // Given a v3 backup that adopted a master's 500 ms interval and then took over,
  // when it is Master, then its Adver_Timer runs on its own Advertisement_Interval (1000 ms), not the adopted one.
  it("a master advertises at its own interval even after adopting another master's as backup", () => {
    const router = startedBackup(config);
    router.handle(advertFrom(config, HIGHER_PEER, 200, { advertIntervalMs: 500 }), 1000);
    const takeoverMs = 1000 + 3 * 500 + ((256 - 100) * 500) / 256;
    router.handle({ type: 'timeout' }, takeoverMs);
    expect(router.state).toBe('master');
    expect(router.nextDeadline()).toBe(takeoverMs + 1000);
    expect(router.masterAdverIntervalMs).toBe(1000);
  });
});

describe('the clock never goes back', () => {
  // Given a router started at t=10000, when a packet arrives stamped t=5000 (a clock that went back),
  // then it is handled as if at t=10000: the down timer is re-armed from 10000, not from 5000.
  it('an input stamped earlier than a previous one is handled at the latest instant seen', () => {
    const config = makeConfig();
    const router = startedBackup(config, 10_000);
    router.handle(advertFrom(config, HIGHER_PEER, 200), 5000);
    expect(router.nextDeadline()).toBe(10_000 + 3000 + ((256 - 100) * 1000) / 256);
  });
});
