/**
 * The lease renewal round (src/linux/vip-manager.ts, joinRenewals): every VIP manager of a thread that holds leased
 * addresses is renewed from one interval timer per period, so 255 masters wake the thread once per period, not 255
 * times. Shown with fake timers: what the round calls, when, and that the timer goes with its last member.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { joinRenewals } from '../../src/linux/vip-manager.js';

describe('lease renewal round', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('renews every member in one timer tick per period', () => {
    const calls: string[] = [];
    const leave = ['a', 'b', 'c'].map((name) => joinRenewals(1000, () => calls.push(`${name}@${Date.now()}`)));
    expect(vi.getTimerCount()).toBe(1);
    const start = Date.now();
    vi.advanceTimersByTime(2000);
    expect(calls).toEqual([`a@${start + 1000}`, `b@${start + 1000}`, `c@${start + 1000}`, `a@${start + 2000}`, `b@${start + 2000}`, `c@${start + 2000}`]);
    for (const l of leave) l();
  });

  it('renews a member that joins late within one period of its joining', () => {
    const calls: number[] = [];
    const first = joinRenewals(1000, () => {});
    vi.advanceTimersByTime(700);
    const joinedAt = Date.now();
    const late = joinRenewals(1000, () => calls.push(Date.now()));
    vi.advanceTimersByTime(1000);
    expect(calls).toHaveLength(1);
    expect((calls[0] as number) - joinedAt).toBeLessThanOrEqual(1000);
    first();
    late();
  });

  it('stops its timer when the last member leaves, and a member that left is not called', () => {
    const calls: string[] = [];
    const leaveA = joinRenewals(1000, () => calls.push('a'));
    const leaveB = joinRenewals(1000, () => calls.push('b'));
    leaveA();
    vi.advanceTimersByTime(1000);
    expect(calls).toEqual(['b']);
    leaveB();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps one round per period', () => {
    const leaveA = joinRenewals(1000, () => {});
    const leaveB = joinRenewals(1666, () => {});
    expect(vi.getTimerCount()).toBe(2);
    leaveA();
    leaveB();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a member that throws does not cost the others their renewal, and its error is rethrown, not lost', () => {
    const calls: string[] = [];
    const leaveA = joinRenewals(1000, () => {
      throw new Error('boom');
    });
    const leaveB = joinRenewals(1000, () => calls.push('b'));
    // The round rethrows outside itself (a microtask): captured here instead of reaching the test runner.
    const rethrown: (() => void)[] = [];
    const spy = vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((callback) => void rethrown.push(callback));
    try {
      vi.advanceTimersByTime(1000);
    } finally {
      spy.mockRestore();
    }
    expect(calls).toEqual(['b']);
    expect(rethrown).toHaveLength(1);
    expect(() => rethrown[0]?.()).toThrow('boom');
    leaveA();
    leaveB();
  });
});
