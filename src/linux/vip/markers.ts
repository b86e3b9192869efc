/**
 * The crash-cleanup markers of the VIP manager, their format and their judgement, pure: what a marker file says,
 * and what a starting run must do about the address it names. The store (files under /run/vrrp, written in place
 * with pwrite) stays in ../vip-manager.ts; nothing here touches a file or the kernel.
 *
 * A marker is one fixed-width line, `<pid> <state>` padded with spaces to {@link MARKER_WIDTH} bytes, so a takeover
 * rewrites it in place with one pwrite on a descriptor opened at `prepare` (writeFileSync measured 0.26 ms on an
 * ext4 /run, pwrite 2 µs). States:
 * - `standby`: we do not hold the address; a later run leaves it alone.
 * - `adding`: we asked for it (written before the request, so a crash right after still leaves a trace); a later
 *   run removes it if present.
 * - digits: the kernel's creation stamp of the address we added (IFA_CACHEINFO, centiseconds since boot); a later
 *   run removes only that very address — not one configured by hand after the namespace's inode, which names the
 *   marker directory, was recycled.
 */

/** A marker's state. */
export type MarkerState = 'standby' | 'adding' | number;

/** Bytes of one marker record, newline included. */
export const MARKER_WIDTH = 40;

/** One marker record: `pid state`, padded to {@link MARKER_WIDTH}, ending in a newline. */
export function markerRecord(pid: number, state: MarkerState): Uint8Array {
  return new TextEncoder().encode(`${pid} ${state}`.padEnd(MARKER_WIDTH - 1, ' ') + '\n');
}

/** What a marker file says; undefined when it is not a marker (then the file is only deleted). */
export function parseMarker(text: string): { owner: number; state: MarkerState } | undefined {
  const [ownerText = '', stateText = '', extra] = text.trim().split(/\s+/);
  const owner = Number(ownerText);
  if (extra !== undefined || !/^\d+$/.test(ownerText) || owner <= 0) return undefined;
  if (stateText === 'standby' || stateText === 'adding') return { owner, state: stateText };
  if (/^\d+$/.test(stateText)) return { owner, state: Number(stateText) };
  return undefined;
}

/** What a starting run does with a marker of one of its configured addresses. */
export type LeftoverVerdict =
  /** A live process (not us) holds it: touch neither the marker nor the address. */
  | 'keep'
  /** The address is ours from a dead run: delete it, then the marker. */
  | 'remove'
  /** Nothing of ours on the interface: delete the marker only. */
  | 'forget';

/** What a starting run knows when it judges a marker. */
export interface LeftoverFacts {
  /** This process's pid (a marker naming it is a leftover of this process: a dead engine thread's). */
  selfPid: number;
  /** Whether the marker's owner is alive. */
  ownerAlive: boolean;
  /** The creation stamp of the address on the interface now; undefined when the address is absent. */
  presentStamp: number | undefined;
}

/**
 * The verdict for a parsed marker (undefined: not a marker → forget). With a stamp, only that very address is a
 * leftover; without one (a crash before it was written: `adding`), the marker alone says so.
 */
export function judgeLeftover(marker: { owner: number; state: MarkerState } | undefined, facts: LeftoverFacts): LeftoverVerdict {
  if (marker === undefined) return 'forget';
  if (marker.owner !== facts.selfPid && facts.ownerAlive) return 'keep';
  if (marker.state === 'standby' || facts.presentStamp === undefined) return 'forget';
  if (marker.state === 'adding' || marker.state === facts.presentStamp) return 'remove';
  return 'forget';
}
