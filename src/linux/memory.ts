/**
 * Start-up's pages given back once start-up is over (native/memory.c): the node executable's read-only pages that
 * only start-up read (bootstrap, parser, compilers) are unmapped from the process, and free malloc memory goes back
 * to the system. The pages stay in the page cache; one used again is mapped again at its next access.
 *
 * Why: on the machine we measure on, every wake-up of a thread costs more the more pages its process has mapped,
 * and a VRRP engine is a thread that wakes ten times a second (docs/benchmarks.md, "What a wake-up costs").
 * Used by the engine thread when `vrrp run` is asked to (`VRRP_RELEASE_STARTUP_PAGES=1`), which then warms its
 * takeover path again (src/engine/worker.ts, releasePages); not by default.
 */
import { loadAddon, toPacketSocketError } from './addon.js';

/** What one release did, in kB. */
export interface StartupRelease {
  /** Resident kB of the node executable's clean read-only mappings that were dropped. */
  readonly executableKb: number;
  /** The process's resident set just before. */
  readonly rssBeforeKb: number;
  /** The process's resident set just after. */
  readonly rssAfterKb: number;
}

/**
 * Drops the node executable's clean read-only mappings and trims malloc, for the whole process: call it once
 * start-up is over and what runs from then on is warm. Throws {@link PacketSocketError} without the addon.
 */
export function releaseStartupPages(): StartupRelease {
  let values: Float64Array;
  try {
    values = loadAddon().releaseStartupPages();
  } catch (error) {
    throw toPacketSocketError('release of start-up pages', error);
  }
  return { executableKb: values[0]!, rssBeforeKb: values[1]!, rssAfterKb: values[2]! };
}
