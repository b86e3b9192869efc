/**
 * Statistics of the failover benchmark, kept apart from its I/O so that they can be tested.
 *
 * Why an interval at all: the outage target compares two medians of 10 runs each, and two implementations that
 * recover equally fast still differ by a tenth of a millisecond or so from run to run (the probe's phase, the
 * kernel's timing). A bare sign of the difference then reads like a verdict it is not. The bootstrap interval says
 * how far the difference would move if the same row were run again: an interval that holds 0 means this run cannot
 * tell the two apart.
 */

/** Median of a non-empty list (mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Options of {@link medianDifferenceInterval}. */
export interface IntervalOptions {
  /** Probability the interval covers (two-sided); 0.9 leaves 5 % on each side. */
  confidence?: number;
  /** Resamples drawn. */
  resamples?: number;
  /** Seed of the resampling, so that the same samples always give the same interval. */
  seed?: number;
}

/**
 * Percentile bootstrap interval of median(a) − median(b): each resample draws |a| values from `a` and |b| from `b`
 * with replacement. Deterministic for a given seed.
 */
export function medianDifferenceInterval(
  a: readonly number[],
  b: readonly number[],
  { confidence = 0.9, resamples = 4000, seed = 1 }: IntervalOptions = {},
): { low: number; high: number } {
  if (a.length === 0 || b.length === 0) throw new RangeError('an interval needs samples on both sides');
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  const random = mulberry32(seed);
  const draw = (values: readonly number[]): number[] => values.map(() => values[Math.floor(random() * values.length)]!);
  const differences = new Float64Array(resamples);
  for (let i = 0; i < resamples; i += 1) differences[i] = median(draw(a)) - median(draw(b));
  differences.sort();
  const tail = (1 - confidence) / 2;
  const at = (q: number): number => differences[Math.min(resamples - 1, Math.max(0, Math.round(q * (resamples - 1))))]!;
  return { low: at(tail), high: at(1 - tail) };
}

/** A small seeded PRNG (mulberry32): uniform in [0, 1). Math.random cannot be seeded. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** {@link noWorseVerdict}'s answer: ours vs theirs, smaller is better (an outage). */
export interface NoWorseVerdict {
  /**
   * `yes`: our median is no larger; `tie`: it is larger, but the interval of the difference reaches 0, so this run
   * cannot tell the two apart (counted as met: not shown worse); `NO`: larger beyond the run's own spread.
   */
  verdict: 'yes' | 'tie' | 'NO';
  /** median(ours) − median(theirs). */
  difference: number;
  /** The bootstrap interval of that difference ({@link medianDifferenceInterval}). */
  low: number;
  high: number;
}

/**
 * Is `ours` no worse than `theirs` (smaller is better)? Judged on the medians, with the bootstrap interval deciding
 * whether a positive difference is more than this run's noise: see {@link NoWorseVerdict}.
 */
export function noWorseVerdict(ours: readonly number[], theirs: readonly number[], options: IntervalOptions = {}): NoWorseVerdict {
  const difference = median(ours) - median(theirs);
  const { low, high } = medianDifferenceInterval(ours, theirs, options);
  const verdict = difference <= 0 ? 'yes' : low <= 0 ? 'tie' : 'NO';
  return { verdict, difference, low, high };
}

/** What {@link transitionVerdict} judges of one VRID of the stall benchmark. */
export interface StallVrid {
  /** Who is the designated master (priority 150); the other side is the backup. */
  master: 'vrrp' | 'keepalived';
  /** Transitions after settling, each side's. */
  transitions: { vrrp: number; keepalived: number };
  /** The backup's takeovers as the capture shows them, with the master's silence before each (bench/cpu.ts). */
  backupTakeovers: readonly { masterSilentMs: number }[];
  /** The backup's Master_Down_Interval. */
  masterDownIntervalMs: number;
}

/**
 * Whether a VRID's transitions meet the stall benchmark's target of none. Every transition after settling is
 * spurious but one kind: our backup taking over from keepalived's master after that master fell silent on the wire
 * for a whole Master_Down_Interval (and giving way when it spoke again), which is what RFC 9568 asks of a backup;
 * that silence is keepalived's (the machine starved it). A silence of our master is never excused: not sending is
 * what a stalled app must not do. Returns `yes`, `yes: …` (why excused) or `NO`.
 */
export function transitionVerdict(r: StallVrid): string {
  // None counted is not enough: a transition stamped after the window (our app's main thread stamps ours, and it may
  // be stalled at the end) is not counted, and the wire shows the takeover all the same (found by review).
  if (r.transitions.vrrp + r.transitions.keepalived === 0) return r.backupTakeovers.length === 0 ? 'yes' : 'NO: a takeover on the wire, no transition counted';
  const silent = r.backupTakeovers.filter((t) => t.masterSilentMs >= r.masterDownIntervalMs);
  const excused =
    r.master === 'keepalived' &&
    r.transitions.keepalived === 0 &&
    silent.length > 0 &&
    silent.length === r.backupTakeovers.length &&
    r.transitions.vrrp <= 2 * silent.length;
  if (!excused) return 'NO';
  const longest = Math.max(...silent.map((t) => t.masterSilentMs));
  return `yes: after keepalived's master fell silent ≥ the ${r.masterDownIntervalMs.toFixed(1)} ms Master_Down_Interval (longest ${longest.toFixed(1)} ms)`;
}

/**
 * `items` starting at its `by`-th (modulo its length), the ones before it after: the order of one round or run, so
 * that over the rounds each item is first as often as the others (whatever running first does falls on all alike).
 */
export function rotated<T>(items: readonly T[], by: number): T[] {
  if (items.length === 0) return [];
  const start = ((by % items.length) + items.length) % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}
