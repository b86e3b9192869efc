/**
 * The benchmarks' statistics (bench/stats.ts): the median, the bootstrap interval of a difference of medians that the
 * failover report prints beside the outage verdict, and the stall report's verdict on transitions.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { median, medianDifferenceInterval, noWorseVerdict, rotated, transitionVerdict, type StallVrid } from '../../bench/stats.js';
import { propertySeed, seededCheck } from '../support/seed.js';

const check = seededCheck(propertySeed('bench/stats'));

describe('median', () => {
  it('takes the middle value of an odd count and the mean of the middle two of an even count', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('refuses an empty list instead of returning NaN', () => {
    expect(() => median([])).toThrow(RangeError);
  });
});

describe('medianDifferenceInterval', () => {
  it('is the single difference when both sides are constant', () => {
    expect(medianDifferenceInterval([5, 5, 5], [3, 3])).toEqual({ low: 2, high: 2 });
  });

  it('gives the same interval for the same samples and seed', () => {
    const a = [36.1, 36.4, 36.2, 36.9, 36.3, 36.2, 36.5, 36.3, 36.2, 36.6];
    const b = [36.3, 36.2, 36.8, 36.2, 36.4, 36.1, 36.2, 36.3, 36.7, 36.2];
    expect(medianDifferenceInterval(a, b)).toEqual(medianDifferenceInterval(a, b));
  });

  it('holds 0 for two draws of the same spread, and excludes 0 once one side is shifted well beyond it', () => {
    const spread = [0.0, 0.05, 0.1, 0.12, 0.15, 0.18, 0.2, 0.22, 0.25, 0.3];
    const same = medianDifferenceInterval(spread, [...spread].reverse());
    expect(same.low).toBeLessThanOrEqual(0);
    expect(same.high).toBeGreaterThanOrEqual(0);
    const shifted = medianDifferenceInterval(spread.map((v) => v + 1), spread);
    expect(shifted.low).toBeGreaterThan(0);
  });

  it('never lies outside the smallest and largest difference any resample could give', () => {
    check(
      fc.property(
        fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 12 }),
        fc.double({ min: -10, max: 10, noNaN: true }),
        (values, shift) => {
          const { low, high } = medianDifferenceInterval(values.map((v) => v + shift), values, { resamples: 200 });
          const lowest = Math.min(...values) + shift - Math.max(...values);
          const highest = Math.max(...values) + shift - Math.min(...values);
          return low <= high && low >= lowest - 1e-9 && high <= highest + 1e-9;
        },
      ),
      100,
    );
  });

  it('refuses samples missing on one side and a confidence outside (0, 1)', () => {
    expect(() => medianDifferenceInterval([], [1])).toThrow(RangeError);
    expect(() => medianDifferenceInterval([1], [1], { confidence: 1 })).toThrow(/confidence/);
  });
});

describe('noWorseVerdict', () => {
  const spread = [10.0, 10.05, 10.1, 10.12, 10.15, 10.18, 10.2, 10.22, 10.25, 10.3];

  it('says yes when our median is no larger', () => {
    expect(noWorseVerdict(spread.map((v) => v - 0.05), spread)).toMatchObject({ verdict: 'yes' });
    expect(noWorseVerdict(spread, [...spread].reverse())).toMatchObject({ verdict: 'yes', difference: 0 });
  });

  it('says tie when our median is larger by less than the spread of the runs (the interval reaches 0)', () => {
    const result = noWorseVerdict(spread.map((v) => v + 0.02), spread);
    expect(result.verdict).toBe('tie');
    expect(result.difference).toBeCloseTo(0.02, 9);
    expect(result.low).toBeLessThanOrEqual(0);
  });

  it('says NO when our median is larger beyond the spread (the interval lies above 0)', () => {
    const result = noWorseVerdict(spread.map((v) => v + 0.5), spread);
    expect(result.verdict).toBe('NO');
    expect(result.low).toBeGreaterThan(0);
  });
});

describe("the stall benchmark's verdict on transitions", () => {
  const MDI = 36.09375; // 10 ms adverts, priority 100
  const vrid = (over: Partial<StallVrid>): StallVrid => ({ master: 'keepalived', transitions: { vrrp: 0, keepalived: 0 }, backupTakeovers: [], masterDownIntervalMs: MDI, ...over });

  it('meets the target with no transition', () => {
    expect(transitionVerdict(vrid({}))).toBe('yes');
  });

  it('is NO when the wire shows a takeover that no transition counted (one stamped after the window)', () => {
    expect(transitionVerdict(vrid({ backupTakeovers: [{ masterSilentMs: 500 }] }))).toBe('NO: a takeover on the wire, no transition counted');
  });

  it("excuses our backup's takeover and return after keepalived's master fell silent for its Master_Down_Interval", () => {
    const verdict = transitionVerdict(vrid({ transitions: { vrrp: 2, keepalived: 0 }, backupTakeovers: [{ masterSilentMs: 84 }] }));
    expect(verdict).toBe("yes: after keepalived's master fell silent ≥ the 36.1 ms Master_Down_Interval (longest 84.0 ms)");
  });

  it('does not excuse a takeover after a silence shorter than the Master_Down_Interval', () => {
    expect(transitionVerdict(vrid({ transitions: { vrrp: 2, keepalived: 0 }, backupTakeovers: [{ masterSilentMs: 30 }] }))).toBe('NO');
  });

  it("never excuses keepalived's takeover after our master fell silent", () => {
    expect(transitionVerdict(vrid({ master: 'vrrp', transitions: { vrrp: 2, keepalived: 2 }, backupTakeovers: [{ masterSilentMs: 500 }] }))).toBe('NO');
  });

  it('does not excuse our transitions that no takeover on the wire accounts for', () => {
    expect(transitionVerdict(vrid({ transitions: { vrrp: 4, keepalived: 0 }, backupTakeovers: [{ masterSilentMs: 84 }] }))).toBe('NO');
    expect(transitionVerdict(vrid({ transitions: { vrrp: 1, keepalived: 0 }, backupTakeovers: [] }))).toBe('NO');
  });
});

describe('rotated: the order of one round', () => {
  it('starts one item further on each round, wrapping, so that each item is first as often', () => {
    const pairs = ['ka→ka', 'vrrp→ka', 'ka→vrrp'];
    expect([0, 1, 2, 3].map((round) => rotated(pairs, round)[0])).toEqual(['ka→ka', 'vrrp→ka', 'ka→vrrp', 'ka→ka']);
    expect(rotated(pairs, 1)).toEqual(['vrrp→ka', 'ka→vrrp', 'ka→ka']);
    expect(rotated([], 5)).toEqual([]);
  });
});
