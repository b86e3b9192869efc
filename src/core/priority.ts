/**
 * Weighted election: how tracked checks move a router's priority, with keepalived's semantics so that users who
 * migrate from `vrrp_script` / `track_script` get the numbers they expect.
 *
 * Theory of operation:
 * - Each tracker has a status: `unknown` until its first result, then `up` or `down`.
 * - The first result sets the status directly; after that a status flips only after `fall` consecutive failures
 *   (up → down) or `rise` consecutive successes (down → up).
 * - A tracker with `weight > 0` adds its weight while up; `weight < 0` adds its (negative) weight while down;
 *   `weight 0` adds nothing but puts the router in Fault while down.
 * - `reverse` flips the sign of the adjustment (weight 2 reverse subtracts 2 while up), and for weight 0 makes
 *   "up" the faulty status — keepalived 2.2.7's `weight_multiplier` of −1.
 * - An `unknown` weighted tracker adjusts nothing (the router runs at its base priority until the first result); an
 *   `unknown` weight-0 tracker holds the router in Initialize until its first result, as keepalived does, so that a
 *   router never advertises before it knows whether it is healthy.
 * - `initFail` (keepalived's `init_fail`) starts a tracker `down` instead of `unknown`: it adjusts (or faults) as
 *   failed from the start and needs `rise` successes to come up; a weight-0 one faults at once instead of holding.
 * - A `valued` tracker (keepalived's `track_file`) reports a number; while up it adds value × weight (× −1 when
 *   reversed), capped at 253. It is down when that product is below −253 or, with weight 0, when the value is
 *   non-zero (zero when reversed), and down means Fault whatever its weight. Until its first result it holds the
 *   router in Initialize, since keepalived reads the file before its instances start.
 * - Effective priority = base + Σ adjustments, clamped to 1…254. A base of 255 (the address owner,
 *   RFC 9568 §6.1) is never adjusted.
 */

/** The parts of a tracker's configuration that decide priority (the check itself lives outside the core). */
export interface TrackerSpec {
  /** Unique name, used in events and inputs. */
  name: string;
  /** Priority adjustment, −253…253 (−254…254 for a process tracker, as keepalived's track_process); 0 means "fault while down". */
  weight: number;
  /** Consecutive failures that turn an `up` tracker `down`. */
  fall: number;
  /** Consecutive successes that turn a `down` tracker `up`. */
  rise: number;
  /** Flip the sign of the adjustment; with weight 0, fault while up instead of down (keepalived's `reverse`). */
  reverse: boolean;
  /** Start `down` instead of `unknown` (keepalived's `init_fail`); default false. */
  initFail?: boolean;
  /** The tracker reports a number and value × weight is its adjustment (keepalived's `track_file`); default false. */
  valued?: boolean;
}

/** A tracker's current status as the election sees it. */
export type TrackerStatus = 'unknown' | 'up' | 'down';

/** Mutable per-tracker state kept by the router. */
export interface TrackerState {
  /** Current status. */
  status: TrackerStatus;
  /** Consecutive results that disagree with `status` (counts toward `fall` or `rise`). */
  streak: number;
  /** A valued tracker's latest healthy value (the one its adjustment is made of); absent until it had one. */
  value?: number;
}

/** Lowest and highest priority a non-owner can have (RFC 9568 §5.2.4: 1…254 for backups). */
export const MIN_EFFECTIVE_PRIORITY = 1;
/** See {@link MIN_EFFECTIVE_PRIORITY}. */
export const MAX_EFFECTIVE_PRIORITY = 254;
/** Priority of the address owner (RFC 9568 §5.2.4). */
export const OWNER_PRIORITY = 255;

/** Fresh state for a tracker that has not reported yet: `unknown`, or `down` with `initFail`. */
export function initialTrackerState(spec?: Pick<TrackerSpec, 'initFail'>): TrackerState {
  return { status: spec?.initFail === true ? 'down' : 'unknown', streak: 0 };
}

/**
 * Applies one check result to a tracker's state and returns the new state (the input is not changed).
 * `up` is the check's result (true: success); `rise`/`fall` apply from the second result on. `value` is a valued
 * tracker's reading: a healthy one (`up`) becomes the state's value, a faulty one leaves the last healthy value.
 */
export function applyTrackerResult(spec: Pick<TrackerSpec, 'rise' | 'fall'>, state: TrackerState, up: boolean, value?: number): TrackerState {
  const next = nextStatus(spec, state, up);
  const kept = value !== undefined && up ? value : state.value;
  if (kept !== undefined) next.value = kept;
  return next;
}

/**
 * A tracker's state carried into a new configuration of the same tracker (same name and kind), as keepalived
 * carries a script's result across a reload: its status stays, and a streak under way keeps what it still needs —
 * a `down` one as many successes from `up` as before (within the new `rise`), an `up` one as many failures from
 * `down` as before (within the new `fall`). An `unknown` one is not carried (undefined: start afresh); nor is a
 * valued tracker's state into one that is not valued, or the reverse.
 */
export function carryTrackerState(before: Pick<TrackerSpec, 'rise' | 'fall' | 'valued'>, after: Pick<TrackerSpec, 'rise' | 'fall' | 'valued'>, state: TrackerState): TrackerState | undefined {
  if (state.status === 'unknown' || (before.valued === true) !== (after.valued === true)) return undefined;
  const carried: TrackerState =
    state.status === 'down'
      ? { status: 'down', streak: state.streak === 0 ? 0 : Math.max(0, after.rise - (before.rise - state.streak)) }
      : { status: 'up', streak: state.streak === 0 ? 0 : Math.max(0, Math.min(after.fall - 1, after.fall - before.fall + state.streak)) };
  if (state.value !== undefined) carried.value = state.value;
  return carried;
}

function nextStatus(spec: Pick<TrackerSpec, 'rise' | 'fall'>, state: TrackerState, up: boolean): TrackerState {
  if (state.status === 'unknown') return { status: up ? 'up' : 'down', streak: 0 };
  const agrees = (state.status === 'up') === up;
  if (agrees) return { status: state.status, streak: 0 };
  const streak = state.streak + 1;
  const needed = state.status === 'up' ? spec.fall : spec.rise;
  if (streak >= needed) return { status: up ? 'up' : 'down', streak: 0 };
  return { status: state.status, streak };
}

/**
 * What a valued tracker's reading is worth (keepalived's `track_file`): the adjustment it makes while up, or
 * `'fault'`. Weight 0: a non-zero value faults (a zero one when reversed). Otherwise value × weight (× −1 when
 * reversed), capped at 253; below −253 it faults (keepalived clamps to −254 and treats −254 as FAULT).
 */
export function valuedAdjustment(spec: Pick<TrackerSpec, 'weight' | 'reverse'>, value: number): number | 'fault' {
  if (spec.weight === 0) return (value !== 0) !== spec.reverse ? 'fault' : 0;
  const product = value * spec.weight * (spec.reverse ? -1 : 1);
  if (product < -MAX_ADJUSTMENT) return 'fault';
  return Math.min(MAX_ADJUSTMENT, product);
}

/** Largest adjustment one tracker may make either way (keepalived: −253…253). */
const MAX_ADJUSTMENT = 253;

/**
 * The priority adjustment one tracker contributes in its current status; `value` is a valued tracker's latest
 * healthy value (see {@link TrackerState.value}).
 */
export function trackerAdjustment(spec: TrackerSpec, status: TrackerStatus, value?: number): number {
  if (spec.valued === true) {
    const adjustment = status === 'up' && value !== undefined ? valuedAdjustment(spec, value) : 0;
    return adjustment === 'fault' ? 0 : adjustment;
  }
  const multiplier = spec.reverse ? -1 : 1;
  if (status === 'up' && spec.weight > 0) return spec.weight * multiplier;
  if (status === 'down' && spec.weight < 0) return spec.weight * multiplier;
  return 0;
}

/**
 * True when a tracker puts the router in Fault: a weight-0 tracker in its faulty status (down, or up when
 * reversed), or a valued tracker that is down (its status already has `reverse` applied, see
 * {@link valuedAdjustment}).
 */
export function trackerFaults(spec: TrackerSpec, status: TrackerStatus): boolean {
  if (spec.valued === true) return status === 'down';
  return spec.weight === 0 && status === (spec.reverse ? 'up' : 'down');
}

/** True when a weight-0 or valued tracker has not reported yet: the router waits in Initialize for it. */
export function trackerPending(spec: TrackerSpec, status: TrackerStatus): boolean {
  return (spec.weight === 0 || spec.valued === true) && status === 'unknown';
}

/** Effective priority: base plus adjustments, clamped to 1…254; the owner (255) is never adjusted. */
export function effectivePriority(basePriority: number, adjustments: Iterable<number>): number {
  if (basePriority === OWNER_PRIORITY) return OWNER_PRIORITY;
  let sum = basePriority;
  for (const adjustment of adjustments) sum += adjustment;
  return Math.min(MAX_EFFECTIVE_PRIORITY, Math.max(MIN_EFFECTIVE_PRIORITY, sum));
}
