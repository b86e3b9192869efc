/**
 * An app's own failover logic — the part worth testing: a service that must run on one node only (a job
 * scheduler, a queue consumer, the nightly invoice run) runs where the VRRP master is. It starts once this node is
 * master with the VIP up, and stops when the mastership ends: on backup, fault, or stop.
 *
 * The rule it keeps, tested in virtual time in run-on-master.test.ts: once the transitions have settled, the service
 * runs on this node if and only if this node holds the VIP — also when the mastership ends, or the instance stops,
 * while the service is still starting.
 */
import type { VrrpInstance } from 'vrrp';

/** What the app runs on the master only. */
export interface Service {
  /**
   * Starts the service for the mastership `term` (it only grows: a service that writes somewhere shared can stamp its
   * work with it and refuse work of an older term). `signal` aborts if the mastership ends meanwhile.
   */
  start(signal: AbortSignal, term: number): Promise<void>;
  /** Stops it. */
  stop(): Promise<void>;
}

/**
 * Runs `service` while `instance` is master. Returns a function that detaches it (and stops the service if it runs).
 *
 * `whileMaster` does the bookkeeping a pair of onMaster / onBackup hooks would leave to us: the work starts after
 * the VIPs are up, has no timeout while master, gets a signal that aborts when the mastership ends, and runs one
 * mastership at a time — the next start waits until this run, stop included, has settled.
 */
export function runOnMaster(instance: VrrpInstance, service: Service): () => void {
  return instance.whileMaster(async (signal, { term }) => {
    await service.start(signal, term);
    try {
      await aborted(signal);
    } finally {
      // Also after a start that the end of the mastership interrupted, or that finished after it.
      await service.stop();
    }
  });
}

/** Resolves when `signal` aborts (at once if it has). */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
