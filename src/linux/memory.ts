/**
 * Start-up's pages given back once start-up is over (native/memory.c): the node executable's read-only pages that
 * only start-up read (bootstrap, parser, compilers) are unmapped from the process, and free malloc memory goes back
 * to the system. The pages stay in the page cache; one used again is mapped again at its next access.
 *
 * Why: on the machine we measure on, every wake-up of a thread costs more the more pages its process has mapped,
 * and a VRRP engine is a thread that wakes ten times a second (docs/benchmarks.md, "What a wake-up costs").
 * Not called by the library or `vrrp run`: a settled backup's takeover maps back, as faults, the code it needs
 * (+5.5 ms against +1.2 ms past the RFC bound at the median, same page), so it is the app's choice.
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
