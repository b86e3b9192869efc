/**
 * The hold a `VrrpGroup` (src/group.ts) keeps its members in fault with: a hidden weight-0 tracker the engine gets
 * at start, fed by `VrrpInstance[syncGroupHold]`. Internal: not exported from the package.
 *
 * Why a tracker: a failing weight-0 tracker is exactly keepalived's sync-group fault — a master sends priority 0
 * and removes its VIPs, a backup stops listening — and the core already implements it; the group needs no new
 * protocol state. Why its odd start: an `unknown` weight-0 tracker holds an instance in `initialize` until its
 * first result, so the hold starts `down` (initFail) and reads that as "not held" (reverse) when the run starts
 * released, or as "held" when it starts held.
 */
import type { ResolvedConfig, ResolvedFunctionTrackerConfig } from './config.js';
import type { EngineConfig } from './engine/engine.js';

/** @internal The key of a VrrpGroup's hold method on an instance. */
export const syncGroupHold: unique symbol = Symbol('vrrp.syncGroupHold');

/**
 * @internal The key of an instance's getter that says where its engine runs: `engine-thread` (the default Linux
 * adapters, on the engine thread) or `app` (given adapters, on the app's thread). A group's members change state
 * together on the thread of their engines (src/engine/sync-group.ts), so they must share it.
 */
export const enginePlacement: unique symbol = Symbol('vrrp.enginePlacement');

/** @internal A sync group's hold on one instance: what was last asked, and how this run's tracker reads it. */
export interface SyncHold {
  /** The hidden tracker's name. */
  name: string;
  /** The group's id, unique in the process: its members' engines meet under it (src/engine/sync-group.ts). */
  groupId: string;
  /** Held in fault (true) or released. */
  held: boolean;
  /** This run's tracker faults while `up` (true) or while `down`: fixed at start, see {@link withSyncHold}. */
  reverse: boolean;
}

/** @internal The tracker result that makes `hold` say `held` in the current run. */
export function holdResult(hold: SyncHold, held: boolean): boolean {
  return hold.reverse === held;
}

/**
 * @internal The config the engine gets at start: with a hold, plus its hidden weight-0 tracker, set up to read
 * `down` as the hold's current state (see the file header), and the group's id. Without one, `config` as is.
 */
export function withSyncHold(config: ResolvedConfig, hold: SyncHold | undefined): EngineConfig {
  if (!hold) return config;
  hold.reverse = !hold.held;
  const tracker: ResolvedFunctionTrackerConfig = {
    type: 'function',
    name: hold.name,
    check: () => false, // never run: the instance runs probes of config.trackers only; the group feeds this one
    intervalMs: 1000,
    timeoutMs: 1000,
    weight: 0,
    fall: 1,
    rise: 1,
    reverse: hold.reverse,
    initFail: true,
  };
  return { ...config, trackers: [...config.trackers, tracker], syncGroupId: hold.groupId };
}
