/**
 * One run of a check for every instance of the process that tracks it, as keepalived runs one `vrrp_script` once per
 * interval whatever the number of instances tracking it: 200 instances tracking `chk_haproxy` every 2 s forked 100
 * commands a second here against keepalived's 0.5, and instances could read different results of a flapping check
 * within the same interval.
 *
 * - Calls with the same key share: a call while a run of that key is under way waits for that run; a call within
 *   `windowMs` of the start of the last run (the tracker's interval: keepalived's results are up to one interval
 *   old too) takes that run's result — unless its caller (one instance's tracker) had it already, or did not exist
 *   yet when that run started (an instance started, or a test begun, since: its first check is a run of its own).
 *   Otherwise the call starts a run, and the others share it.
 * - A run has its own deadline, `timeoutMs` after it started (the tracker's timeout): then it is aborted whoever
 *   still waits for it, as an unshared check would have been by its instance. Before the deadline, a caller whose
 *   signal fires (its timeout, its stop) stops waiting, and the run is aborted once nobody waits for it any more
 *   (the last caller then settles with it, once what it ran has ended).
 * - Runs of one key never overlap: a run that starts while the last one is being aborted starts once that one has
 *   ended (the contract of a probe: src/trackers/types.ts).
 * - Keys name the check wholly (tracker name, command, user, timeout, interval): two different checks never share.
 */
import type { Probe, ProbeResult } from './types.js';

interface SharedRun {
  startedMs: number;
  result: Promise<ProbeResult>;
  settled: boolean;
  /** Callers waiting for it; at 0 while it runs, it is aborted. */
  waiting: number;
  controller: AbortController;
}

/** How a shared run is timed; `now` and `setTimer` are replaceable for tests. */
export interface SharedRunTiming {
  /** How long after a run's start another caller may take its result (the tracker's interval), ms. */
  windowMs: number;
  /** How long a run may take before it is aborted, whoever waits for it (the tracker's timeout), ms. */
  timeoutMs: number;
  /** A monotonic clock in ms (default `performance.now`). */
  now?: () => number;
  /** Calls `callback` after `ms`; returns a cancel function (default: an unref'd setTimeout). */
  setTimer?: (ms: number, callback: () => void) => () => void;
}

/** The runs of this thread, by key. */
const runs = new Map<string, SharedRun>();

function realTimer(ms: number, callback: () => void): () => void {
  const timer = setTimeout(callback, ms);
  timer.unref?.();
  return () => clearTimeout(timer);
}

/** `probe` shared by key (see the file header). */
export function sharedRun(key: string, timing: SharedRunTiming, probe: Probe): Probe {
  const now = timing.now ?? (() => performance.now());
  const setTimer = timing.setTimer ?? realTimer;
  const createdMs = now();
  /** The last run this caller had its result of: never handed to it twice (see below). */
  let seen: SharedRun | undefined;
  return (signal) => {
    let run = runs.get(key);
    // Not handed on: the result of a run that was aborted (no check's result); one this caller had already —
    // whatever the clock says: an instance on a virtual clock checks many times within a real millisecond, and each
    // check must be a run; one of a run that started before this caller existed.
    if (
      run !== undefined &&
      run !== seen &&
      run.settled &&
      !run.controller.signal.aborted &&
      run.startedMs >= createdMs &&
      now() - run.startedMs < timing.windowMs
    ) {
      seen = run;
      return run.result;
    }
    if (run === undefined || run.settled || run.controller.signal.aborted) run = start(key, run, timing.timeoutMs, probe, now, setTimer);
    seen = run;
    return wait(run, signal);
  };
}

/** Starts a run of `key` once `previous` (a run being aborted) has ended; it is aborted at its deadline. */
function start(key: string, previous: SharedRun | undefined, timeoutMs: number, probe: Probe, now: () => number, setTimer: NonNullable<SharedRunTiming['setTimer']>): SharedRun {
  const controller = new AbortController();
  const run: SharedRun = { startedMs: now(), result: Promise.resolve({ up: false, reason: 'not run' }), settled: false, waiting: 0, controller };
  let cancelDeadline: (() => void) | undefined;
  const go = (): Promise<ProbeResult> => {
    if (controller.signal.aborted) return Promise.resolve({ up: false, reason: 'aborted before it ran' });
    cancelDeadline = setTimer(timeoutMs, () => controller.abort(new Error(`timed out after ${timeoutMs} ms`)));
    return probe(controller.signal);
  };
  // At once in the common case; after the last run has ended when that one is still being aborted.
  const ran = previous !== undefined && !previous.settled ? previous.result.then(go) : go();
  run.result = ran
    // A probe never rejects; were one to, every caller gets the failure as a result, as the instance would.
    .catch((error: unknown): ProbeResult => ({ up: false, reason: `check failed: ${error instanceof Error ? error.message : String(error)}` }))
    .then((result) => {
      cancelDeadline?.();
      run.settled = true;
      return result;
    });
  runs.set(key, run);
  return run;
}

/** `run`'s result, or an aborted result as soon as `signal` fires (then the run loses one waiting caller). */
function wait(run: SharedRun, signal: AbortSignal): Promise<ProbeResult> {
  run.waiting++;
  return new Promise<ProbeResult>((resolve) => {
    let waiting = true;
    const leave = (): void => {
      if (!waiting) return;
      waiting = false;
      signal.removeEventListener('abort', onAbort);
      run.waiting--;
    };
    const onAbort = (): void => {
      leave();
      if (run.waiting === 0 && !run.settled) {
        // The last caller: the run is aborted, and this caller settles with it, once what it ran has ended — so
        // that its next run cannot overlap this one.
        run.controller.abort(signal.reason);
        void run.result.then(resolve);
        return;
      }
      resolve({ up: false, reason: 'aborted; the run goes on for the other instances tracking it' });
    };
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    void run.result.then((result) => {
      leave();
      resolve(result);
    });
  });
}
