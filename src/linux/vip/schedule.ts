/**
 * keepalived's announcement schedule after a takeover's first burst, pure: a second burst `garp_master_delay`
 * later and one every `garp_master_refresh` while master (0 disables either). The VIP manager runs it with timers.
 */
import type { GarpConfig } from '../../config.js';

/** One scheduled burst: its delay after the first, and whether it repeats at that period. */
export interface LaterBurst {
  /** Delay after the first burst (or period, when repeating), in ms. */
  delayMs: number;
  /** Repeats every `delayMs` until the addresses are released. */
  repeating: boolean;
}

/** The bursts that follow a takeover's first one, for `garp` (defaults filled in). */
export function laterBursts(garp: Required<GarpConfig>): LaterBurst[] {
  const bursts: LaterBurst[] = [];
  if (garp.repeat === 0) return bursts; // no announcements at all
  if (garp.delayMs > 0) bursts.push({ delayMs: garp.delayMs, repeating: false });
  if (garp.refreshMs > 0) bursts.push({ delayMs: garp.refreshMs, repeating: true });
  return bursts;
}
