/**
 * One run of a check for every instance of the process that tracks it, as keepalived runs one `vrrp_script` once per
 * interval whatever the number of instances tracking it: 200 instances tracking `chk_haproxy` every 2 s forked 100
 * commands a second here against keepalived's 0.5, and instances could read different results of a flapping check
 * within the same interval.
 *
 * - Calls with the same key share: a call while a run of that key is under way waits for that run; a call within
 *   `windowMs` of the start of the last run (the tracker's interval: keepalived's results are up to one interval
 *   old too) takes that run's result, unless its caller (one instance's tracker) had it already. Otherwise the call
 *   starts a run of its own, and the others share it.
 * - A caller whose signal fires (its timeout, its stop) stops waiting; the run is aborted only once every caller
 *   waiting for it has stopped waiting, so one instance's stop does not kill the check another still waits for.
 *   The last one settles when the aborted run has ended, as an unshared probe would.
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

/** The runs of this thread, by key. */
const runs = new Map<string, SharedRun>();

/**
 * `probe` shared by key (see the file header). `now` is a monotonic clock in ms (default `performance.now`).
 */
export function sharedRun(key: string, windowMs: number, probe: Probe, now: () => number = () => performance.now()): Probe {
  /** The last run this caller had its result of: never handed to it twice (see below). */
  let seen: SharedRun | undefined;
  return (signal) => {
    let run = runs.get(key);
    // The result of a run every caller left (killed) is no check's result: never handed on. Nor is a result this
    // caller had already — whatever the clock says: an instance on a virtual clock checks many times within a
    // real millisecond, and each check must be a run.
    if (run !== undefined && run !== seen && run.settled && !run.controller.signal.aborted && now() - run.startedMs < windowMs) {
      seen = run;
      return run.result;
    }
    // A run that every caller left is being killed: a new call starts afresh rather than join it.
    if (run === undefined || run.settled || run.controller.signal.aborted) {
      const controller = new AbortController();
      const started: SharedRun = { startedMs: now(), result: Promise.resolve({ up: false, reason: 'not run' }), settled: false, waiting: 0, controller };
      started.result = probe(controller.signal).then(
        (result) => {
          started.settled = true;
          return result;
        },
        (error: unknown) => {
          // A probe never rejects; were one to, every caller gets the failure as a result, as the instance would.
          started.settled = true;
          return { up: false, reason: `check failed: ${error instanceof Error ? error.message : String(error)}` };
        },
      );
      runs.set(key, started);
      run = started;
    }
    seen = run;
    return wait(run, signal);
  };
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
        // that its next run cannot overlap this one (the contract of a probe: src/trackers/types.ts).
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
