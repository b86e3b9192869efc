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

/**
 * Caps glibc's malloc arenas at `count` for every thread that has not allocated yet (native/memory.c): their freed
 * memory then stays in pools that every thread reuses instead of one per thread. Returns false where malloc is not
 * glibc's (nothing changed). Process-wide, so `vrrp run` calls it first thing; an app embedding the library decides
 * for itself (the `MALLOC_ARENA_MAX` environment variable does the same from the start). Throws
 * {@link PacketSocketError} without the addon.
 */
export function limitMallocArenas(count: number): boolean {
  try {
    return loadAddon().limitMallocArenas(count);
  } catch (error) {
    throw toPacketSocketError('limit of malloc arenas', error);
  }
}
