/**
 * The thread's lease renewals sent by the addon (native/renew.c): every VIP manager of the thread puts the renewal
 * request of each address it holds in a slot, and the addon sends them all once per period — at a master's
 * scheduled advert in the last quarter of the period when one comes, else by its own alarm — so no JavaScript runs
 * for a renewal. Before, a JavaScript interval renewed them: one wake-up of the engine thread into JavaScript per
 * round, most of what leases cost a lone master (docs/linux.md, "VIP leases"). Without the addon the managers keep
 * that interval (`joinRenewals` in ../vip-manager.ts).
 */
import { errnoName, loadAddon, type NativeAddon } from '../addon.js';
import { monotonicOffsetMs } from '../clock.js';

/** Slots of one renewer (the addon's limit). */
const SLOTS = 1024;

/** One period's renewer of this thread; see the file comment. */
export class NativeRenewals {
  static readonly #byPeriod = new Map<number, NativeRenewals>();

  /** This thread's renewer of `periodMs`, opened on first use; undefined without the addon (or its socket). */
  static for(periodMs: number): NativeRenewals | undefined {
    let renewals = NativeRenewals.#byPeriod.get(periodMs);
    if (renewals === undefined) {
      try {
        renewals = new NativeRenewals(loadAddon(), periodMs);
      } catch {
        return undefined;
      }
      NativeRenewals.#byPeriod.set(periodMs, renewals);
    }
    return renewals;
  }

  readonly #addon: NativeAddon;
  readonly #periodMs: number;
  readonly #handle: unknown;
  /** Per slot, CLOCK_MONOTONIC ms of its last acknowledged renewal (0: none yet), written by the addon. */
  readonly #okAt = new Float64Array(SLOTS);
  /** Per slot, who hears of a refusal; undefined: free. */
  readonly #owners: (((errno: string) => void) | undefined)[] = [];
  readonly #free: number[] = [];
  #used = 0;
  readonly #failures = new Int32Array(2 * 64);
  /** CLOCK_MONOTONIC ms minus performance.now(): both count from the same clock (read as the thread clock reads it). */
  readonly #offsetMs: number;

  private constructor(addon: NativeAddon, periodMs: number) {
    this.#addon = addon;
    this.#periodMs = periodMs;
    this.#handle = addon.renewOpen(this.#okAt, this.#onFailure);
    addon.renewRef(this.#handle, false); // renewals alone do not keep the thread alive, as the interval did not
    this.#offsetMs = monotonicOffsetMs(addon.monotonicMs);
  }

  /** Renews `message` from the next round on; returns its slot, or undefined when every slot is taken. */
  take(message: Uint8Array, onFailure: (errno: string) => void): number | undefined {
    const reused = this.#free.at(-1);
    const slot = reused ?? (this.#owners.length < SLOTS ? this.#owners.length : undefined);
    if (slot === undefined) return undefined;
    // The period first: should the addon refuse it (or the request), nothing of this slot has been taken.
    if (this.#used === 0) this.#addon.renewEvery(this.#handle, this.#periodMs);
    this.#addon.renewSet(this.#handle, slot, message);
    if (reused !== undefined) this.#free.pop();
    this.#owners[slot] = onFailure;
    this.#used++;
    return slot;
  }

  /** Renews `message` in `slot` instead (the address's request was built again). */
  replace(slot: number, message: Uint8Array): void {
    this.#addon.renewSet(this.#handle, slot, message);
  }

  /** Stops renewing `slot` and frees it. */
  release(slot: number): void {
    if (this.#owners[slot] === undefined) return;
    this.#addon.renewSet(this.#handle, slot, null);
    this.#owners[slot] = undefined;
    this.#free.push(slot);
    if (--this.#used === 0) this.#addon.renewEvery(this.#handle, 0);
  }

  /** When `slot`'s last renewal was acknowledged, on performance.now(); undefined before the first. */
  renewedAt(slot: number): number | undefined {
    const at = this.#okAt[slot] ?? 0;
    return at > 0 ? at - this.#offsetMs : undefined;
  }

  readonly #onFailure = (): void => {
    const count = this.#addon.renewFailures(this.#handle, this.#failures);
    for (let i = 0; i < Math.min(count, this.#failures.length / 2); i++) {
      const owner = this.#owners[this.#failures[2 * i] as number];
      try {
        owner?.(errnoName(this.#failures[2 * i + 1] as number));
      } catch {
        // An owner reports through its own error handler; one must not cost the others theirs.
      }
    }
  };
}
