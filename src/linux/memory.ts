/**
 * Start-up's pages given back once start-up is over (native/memory.c): the node executable's read-only pages that
 * only start-up read (bootstrap, parser, compilers) are unmapped from the process, and free malloc memory goes back
 * to the system. The pages stay in the page cache; one used again is mapped again at its next access.
 *
 * Why: on the machine we measured on (with the kernel it ran until 2026-12-03; not with its next one), every wake-up
 * of a thread cost more the more pages its process had mapped, and a VRRP engine is a thread that wakes ten times a
 * second (docs/benchmarks.md, "What a wake-up costs"): whether it pays off depends on the machine, so measure.
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

/** Why a move to huge pages did nothing: the administrator turned them off, or the kernel predates Linux 6.1. */
export type HugePagesUnavailable = 'disabled' | 'unsupported';

/** What one move of the executable to huge pages did, in kB. */
export interface HugePagesMove {
  /** Moved into huge pages. */
  readonly movedKb: number;
  /** Mapped less than the threshold: left as it was. */
  readonly leftKb: number;
  /** No huge page to be had at the moment (memory too fragmented): left as it was. */
  readonly failedKb: number;
  /** The process's resident set just before. */
  readonly rssBeforeKb: number;
  /** The process's resident set just after: higher by the unmapped parts of what moved. */
  readonly rssAfterKb: number;
  /** Set when nothing could be tried, and why. */
  readonly unavailable?: HugePagesUnavailable;
}

/**
 * The share of a huge page's worth of the executable that must be mapped already for it to move. A `vrrp run`
 * process at one instance moved 37 MB at 50 % and 45 MB at 25 % (RSS +4–5 and +9.5 MB), and its run time fell about
 * as much either way (docs/benchmarks.md, "What a wake-up costs").
 */
export const HUGE_PAGES_MIN_RESIDENT_PERCENT = 50;

/**
 * Moves every huge-page-sized stretch of the node executable's text and read-only data of which at least
 * `minResidentPercent` is mapped into one anonymous transparent huge page at the same address (native/memory.c):
 * same bytes, far fewer page-table entries, which is what a wake-up paid for on the machine we measured on with the
 * kernel it ran until 2026-12-03 (with its next one, page-table entries cost a wake-up nothing measurable and the
 * move bought nothing: docs/benchmarks.md, "What a wake-up costs"). The price on that machine: touching memory in
 * huge pages right after a wake-up is slower, and a settled backup's takeover was 0.2–0.3 ms later at the median,
 * so it is not done by default; `vrrp run` does it when asked (`VRRP_HUGE_PAGES=1`), and an app embedding the
 * library decides for itself (it is process-wide). Does nothing, and says why, where transparent huge pages are
 * turned off or the kernel is older than 6.1. Throws {@link PacketSocketError} without the addon.
 */
export function moveExecutableToHugePages(minResidentPercent: number = HUGE_PAGES_MIN_RESIDENT_PERCENT): HugePagesMove {
  let values: Float64Array;
  try {
    values = loadAddon().moveExecutableToHugePages(minResidentPercent);
  } catch (error) {
    throw toPacketSocketError('move of the executable to huge pages', error);
  }
  const status = values[5];
  return {
    movedKb: values[0]!,
    leftKb: values[1]!,
    failedKb: values[2]!,
    rssBeforeKb: values[3]!,
    rssAfterKb: values[4]!,
    ...(status === 1 ? { unavailable: 'disabled' as const } : status === 2 ? { unavailable: 'unsupported' as const } : {}),
  };
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
