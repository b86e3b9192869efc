/**
 * The crash-cleanup markers of the VIP manager, their format and their judgement, pure: what a marker file says,
 * and what a starting run must do about the address it names. The store (files under the marker directory, written
 * in place with pwrite) stays in ../vip-manager.ts; nothing here touches a file or the kernel, except
 * {@link markerDirectory}, which picks that directory (see "Where markers live" below), and {@link processStartTicks}'s
 * caller.
 *
 * Each process writes its own marker file per address, `<address>@<pid>` ({@link markerFileName}), so a second
 * process configured with the same VIP never truncates or deletes the marker of one that holds it; a run still reads
 * the plain `<address>` files of versions before that. A marker is one fixed-width line, `<pid>:<start> <state>`
 * padded with spaces to {@link MARKER_WIDTH} bytes, so a takeover rewrites it in place with one pwrite on a
 * descriptor opened at `prepare` (writeFileSync measured 0.26 ms on an ext4 /run, pwrite 2 µs). `<start>` is the
 * owner's start time (clock ticks since boot, /proc/<pid>/stat): a pid alone is recycled, and a marker whose pid now
 * names another process must not pass for a live owner's, or its leftover is never removed. States:
 * - `standby`: we do not hold the address; a later run leaves it alone.
 * - `adding`: we asked for it (written before the request, so a crash right after still leaves a trace); a later
 *   run removes it if present.
 * - digits: the kernel's creation stamp of the address we added (IFA_CACHEINFO, centiseconds since boot); a later
 *   run removes only that very address — not one configured by hand after the namespace's inode, which names the
 *   marker directory, was recycled.
 */

import { accessSync, constants, readlinkSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';

/** A marker's state. */
export type MarkerState = 'standby' | 'adding' | number;

/** The process a marker names: its pid and, since markers carry it, its start time in clock ticks since boot. */
export interface MarkerOwner {
  /** The owner's pid. */
  pid: number;
  /** Its start time (field 22 of /proc/<pid>/stat); undefined in a marker of a version that did not write it. */
  startTicks?: number | undefined;
}

/** A parsed marker: who wrote it and what it says. */
export interface Marker {
  /** The process that wrote it. */
  owner: MarkerOwner;
  /** What it says about the address. */
  state: MarkerState;
}

/** Bytes of one marker record, newline included. */
export const MARKER_WIDTH = 40;

/** One marker record: `pid:start state` (or `pid state` without a start time), padded to {@link MARKER_WIDTH}, ending in a newline. */
export function markerRecord(owner: MarkerOwner, state: MarkerState): Uint8Array {
  const who = owner.startTicks === undefined ? `${owner.pid}` : `${owner.pid}:${owner.startTicks}`;
  return new TextEncoder().encode(`${who} ${state}`.padEnd(MARKER_WIDTH - 1, ' ') + '\n');
}

/** What a marker file says; undefined when it is not a marker (then the file is only deleted). */
export function parseMarker(text: string): Marker | undefined {
  const [ownerText = '', stateText = '', extra] = text.trim().split(/\s+/);
  const who = /^(\d+)(?::(\d+))?$/.exec(ownerText);
  if (extra !== undefined || who === null) return undefined;
  const pid = Number(who[1]);
  if (pid <= 0) return undefined;
  const owner: MarkerOwner = who[2] === undefined ? { pid } : { pid, startTicks: Number(who[2]) };
  if (stateText === 'standby' || stateText === 'adding') return { owner, state: stateText };
  if (/^\d+$/.test(stateText)) return { owner, state: Number(stateText) };
  return undefined;
}

/** The file name of `pid`'s marker for `address` (`:` is `_`, for file systems and tools that mind it). */
export function markerFileName(address: string, pid: number): string {
  return `${legacyMarkerFileName(address)}@${pid}`;
}

/** The file name that versions before per-process markers used for `address`'s marker, read at start to clean up. */
export function legacyMarkerFileName(address: string): string {
  return address.replaceAll(':', '_');
}

/**
 * Whether file `name` in a marker directory is a marker of `address`: this name of any process, or the plain one
 * of older versions.
 */
export function isMarkerOf(name: string, address: string): boolean {
  const plain = legacyMarkerFileName(address);
  return name === plain || (name.startsWith(`${plain}@`) && /^\d+$/.test(name.slice(plain.length + 1)));
}

/**
 * The start time of a process from the text of its /proc/<pid>/stat (field 22, clock ticks since boot); undefined
 * when the text is not such a line. The command name (field 2) may hold spaces and parentheses, so the fields are
 * counted after its last `)`.
 */
export function processStartTicks(statText: string): number | undefined {
  const end = statText.lastIndexOf(')');
  if (end < 0) return undefined;
  // After ") " come field 3 (state) onwards: field 22 is the 20th of them.
  const field = statText.slice(end + 2).split(' ')[19];
  return field !== undefined && /^\d+$/.test(field) ? Number(field) : undefined;
}

/** What a starting run knows of a marker's owner: whether its pid is alive, and that process's start time now. */
export interface OwnerFacts {
  /** Whether a process with the marker's pid exists. */
  pidAlive: boolean;
  /** The start time of the process that has the pid now (undefined: unknown, such as /proc unreadable). */
  startTicksNow: number | undefined;
}

/**
 * Whether the process that wrote a marker is still running: its pid is alive and, when the marker carries a start
 * time and the current one is known, they are equal — else the pid was recycled and the writer is dead.
 */
export function ownerAlive(owner: MarkerOwner, facts: OwnerFacts): boolean {
  if (!facts.pidAlive) return false;
  return owner.startTicks === undefined || facts.startTicksNow === undefined || owner.startTicks === facts.startTicksNow;
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
  /** This process: a marker naming it is a leftover of this process (a dead engine thread's). */
  self: MarkerOwner;
  /** Whether the marker's owner is alive ({@link ownerAlive}). */
  ownerAlive: boolean;
  /** The creation stamp of the address on the interface now; undefined when the address is absent. */
  presentStamp: number | undefined;
}

/** Whether a marker's owner is this very process (its pid, and its start time when both are known). */
export function isSelf(owner: MarkerOwner, self: MarkerOwner): boolean {
  return owner.pid === self.pid && (owner.startTicks === undefined || self.startTicks === undefined || owner.startTicks === self.startTicks);
}

/**
 * The verdict for a parsed marker (undefined: not a marker → forget). With a stamp, only that very address is a
 * leftover; without one (a crash before it was written: `adding`), the marker alone says so.
 */
export function judgeLeftover(marker: Marker | undefined, facts: LeftoverFacts): LeftoverVerdict {
  if (marker === undefined) return 'forget';
  if (!isSelf(marker.owner, facts.self) && facts.ownerAlive) return 'keep';
  if (marker.state === 'standby' || facts.presentStamp === undefined) return 'forget';
  if (marker.state === 'adding' || marker.state === facts.presentStamp) return 'remove';
  return 'forget';
}

// ---------------------------------------------------------------------------------------------------------------
// Where markers live

/** Root's marker directory, and anyone's who can write it (systemd's `RuntimeDirectory=vrrp` makes it the unit's). */
export const RUN_MARKER_DIR = '/run/vrrp';

/** Where markers go, and why there; see {@link chooseMarkerDir}. */
export interface MarkerDirChoice {
  /** The directory (markers go under `<dir>/<netns inode>/<interface>/`); undefined when none is usable. */
  dir: string | undefined;
  /** How it was chosen, for a report: `VRRP_STATE_DIR`, `/run/vrrp` or `XDG_RUNTIME_DIR`. */
  source?: 'VRRP_STATE_DIR' | '/run/vrrp' | 'XDG_RUNTIME_DIR';
  /** Without a directory: what was tried and why none will do. */
  problem?: string;
}

/** What {@link chooseMarkerDir} decides from. */
export interface MarkerDirFacts {
  /** `VRRP_STATE_DIR` and `XDG_RUNTIME_DIR` of the process. */
  env: Readonly<Record<string, string | undefined>>;
  /** The effective uid (undefined off POSIX). */
  uid: number | undefined;
  /** Whether this process can create files in `dir`, making it (and missing parents) first if need be. */
  writable(dir: string): boolean;
}

/**
 * Where the crash-cleanup markers live. /run is root's, and a process with only CAP_NET_RAW and CAP_NET_ADMIN
 * cannot write there (neither capability bypasses file permissions), so:
 * 1. `VRRP_STATE_DIR`, when set: the operator's choice, used as is (unusable: no markers, and it is said);
 * 2. /run/vrrp for root, and for a user who can write it: a systemd unit's `RuntimeDirectory=vrrp` creates it
 *    owned by its `User=` (`RuntimeDirectoryPreserve=yes` keeps it, and the markers, over a crash and a restart);
 * 3. `$XDG_RUNTIME_DIR/vrrp`: a login session's /run/user/<uid>, the user's own tmpfs;
 * 4. none: no markers — the VIPs a crashed run left up are then not removed by the next start. Pure: the caller
 *    says it (`markerDirectory` with a process warning, `doctor()` with a check).
 * Every choice is a tmpfs in the usual setups, so markers vanish at reboot with the addresses they describe.
 */
export function chooseMarkerDir(facts: MarkerDirFacts): MarkerDirChoice {
  const who = facts.uid === undefined ? 'this user' : `uid ${facts.uid}`;
  const explicit = facts.env.VRRP_STATE_DIR;
  if (explicit !== undefined && explicit !== '') {
    if (!isAbsolute(explicit)) return { dir: undefined, source: 'VRRP_STATE_DIR', problem: `VRRP_STATE_DIR=${explicit} is not an absolute path` };
    if (!facts.writable(explicit)) return { dir: undefined, source: 'VRRP_STATE_DIR', problem: `VRRP_STATE_DIR=${explicit} is not writable by ${who}` };
    return { dir: explicit, source: 'VRRP_STATE_DIR' };
  }
  if (facts.uid === 0 || facts.writable(RUN_MARKER_DIR)) return { dir: RUN_MARKER_DIR, source: '/run/vrrp' };
  const runtime = facts.env.XDG_RUNTIME_DIR;
  if (runtime === undefined || runtime === '' || !isAbsolute(runtime)) {
    return { dir: undefined, problem: `${RUN_MARKER_DIR} is not writable by ${who} and XDG_RUNTIME_DIR is not set` };
  }
  const dir = join(runtime, 'vrrp');
  if (!facts.writable(dir)) return { dir: undefined, problem: `neither ${RUN_MARKER_DIR} nor ${dir} (XDG_RUNTIME_DIR) is writable by ${who}` };
  return { dir, source: 'XDG_RUNTIME_DIR' };
}

/** What to do when {@link chooseMarkerDir} finds no directory, in one sentence for a warning or a report. */
export const MARKER_DIR_FIX =
  'in a systemd unit, RuntimeDirectory=vrrp with RuntimeDirectoryPreserve=yes (it makes /run/vrrp the service user\'s); elsewhere, set VRRP_STATE_DIR to a directory this user owns on a tmpfs (such as /run), so markers vanish at reboot with the addresses';

/**
 * Whether this process can create files in `dir`: the directory, or its nearest existing ancestor (which the VIP
 * manager would create the rest in), is a directory it may write and enter.
 */
export function canCreateIn(dir: string): boolean {
  for (let path = dir; ; path = dirname(path)) {
    try {
      if (!statSync(path).isDirectory()) return false;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && dirname(path) !== path) continue;
      return false;
    }
    try {
      accessSync(path, constants.W_OK | constants.X_OK);
      return true;
    } catch {
      return false;
    }
  }
}

let chosen: MarkerDirChoice | undefined;

/**
 * The marker directory of this process (chosen once per thread, from its environment and uid): the VIP manager's
 * default. Without a usable one, a process warning says so once — what was tried, what it costs, how to fix it — and
 * the manager's marker writes fail quietly, as any marker write may (they must never block a takeover).
 */
export function markerDirectory(): string {
  if (chosen === undefined) {
    chosen = chooseMarkerDir({ env: process.env, uid: process.geteuid?.(), writable: canCreateIn });
    if (chosen.dir === undefined) {
      process.emitWarning(
        `no directory for the VIP markers: ${chosen.problem}. VIPs that a crashed run leaves up will not be removed when it starts again. Fix: ${MARKER_DIR_FIX}.`,
        { type: 'VrrpWarning', code: 'VRRP_NO_MARKER_DIR' },
      );
    }
  }
  // Unusable: the directory that was refused, so writes fail as the warning says (never a relative path).
  const explicit = process.env.VRRP_STATE_DIR;
  return chosen.dir ?? (explicit !== undefined && isAbsolute(explicit) ? explicit : RUN_MARKER_DIR);
}

let namespaceId: string | undefined;

/**
 * The network namespace's inode, which names its directory under the marker directory (the VIP markers', a VMAC's
 * saved sysctls): a process cannot change namespace under us, so it is read once.
 */
export function networkNamespaceId(): string {
  if (namespaceId === undefined) {
    try {
      namespaceId = /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/net'))?.[1] ?? 'default';
    } catch {
      namespaceId = 'default';
    }
  }
  return namespaceId;
}
