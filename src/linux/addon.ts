/**
 * The one loader of our Node-API addon `vrrp_packet.node` (native/), and its typed surface. Every module that needs
 * the addon asks here; nothing else calls `require` on it.
 *
 * Rules:
 * - The addon is optional at import time: it is built at install time on Linux and may be missing. Nothing loads
 *   it until {@link loadAddon} is called, so importing `vrrp/linux` never fails.
 * - Two places, in order: `build/Release/` (a source build: the install script's fallback, or a developer's
 *   `npm run build:native`, which must win over an older prebuilt binary) and `prebuilds/<platform>-<arch>-<libc>/`
 *   (built at `npm pack` by scripts/build-native.mjs --prebuild; Node-API only, so one binary serves every Node).
 *   Relative paths find both from `src/linux/` (tests) and `dist/linux/` (the package), two levels below the root.
 * - It is context-aware (NAPI_MODULE_INIT): each thread that loads it gets its own instance, and sockets and timers
 *   it opens are watched by the event loop of the thread that opened them. The engine thread relies on this.
 * - Failures are {@link PacketSocketError}s with the errno name as `code` and a short lowercase message that says
 *   what to do, e.g. `packet socket on eth0: EPERM (need CAP_NET_RAW)`.
 */
import { createRequire } from 'node:module';
import { constants } from 'node:os';

/** A source build of the addon, relative to this file, valid from src/linux/ and dist/linux/ alike. */
const SOURCE_BUILD_PATH = '../../build/Release/vrrp_packet.node';

/** The prebuilt binary for this machine, e.g. `prebuilds/linux-x64-glibc/` (scripts/build-native.mjs agrees). */
function prebuiltPath(): string {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return `../../prebuilds/${process.platform}-${process.arch}-${header?.glibcVersionRuntime ? 'glibc' : 'musl'}/vrrp_packet.node`;
}

/** What the C side returns from open(); see native/packet.c. */
export interface NativeOpenResult {
  /** The packet socket: an opaque type-tagged External for send() and close(). */
  handle: unknown;
  /** The interface's index (SIOCGIFINDEX). */
  ifindex: number;
  /** The interface's hardware type (ARPHRD_*, from SIOCGIFHWADDR). */
  hatype: number;
  /** The interface's hardware address. */
  mac: Uint8Array;
}

/** The addon's functions, as native/addon.c registers them. Handles are opaque type-tagged externals. */
export interface NativeAddon {
  /** A send-only AF_PACKET socket on `ifname` for gratuitous ARP / unsolicited NA frames (native/packet.c). */
  open(ifname: string): NativeOpenResult;
  /** Sends one whole Ethernet frame that JavaScript built. */
  send(handle: unknown, frame: Uint8Array): void;
  /** Closes a packet socket (idempotent). */
  close(handle: unknown): void;
  /** A NETLINK_ROUTE socket for synchronous requests, subscribed to nothing (native/route.c). */
  routeOpen(): unknown;
  /** Sends one whole request (asking for an ACK) and returns the acknowledgement's errno, 0 for success. */
  routeRequest(handle: unknown, message: Uint8Array): number;
  /** Closes a route socket (idempotent). */
  routeClose(handle: unknown): void;
  /** Checks and copies [kind, target, bytes] operations once (0 pwrite, 1 routeRequest, 2 send; ≤ 256) (native/burst.c). */
  burstPrepare(ops: readonly (readonly [number, unknown, Uint8Array])[]): unknown;
  /** Runs a prepared burst back to back (or hands over a fired one's kept results): one errno per operation, 0 = done. */
  burstRun(prepared: unknown): Int32Array;
  /** Whether a VRRP socket's alarm ran the burst and no burstRun has taken its results yet. */
  burstFired(prepared: unknown): boolean;
  /** A raw protocol-112 socket bound to `ifname` (native/vrrp_socket.c); `onReadable` runs whenever a packet waits; `kernelSilence` false: no kernel silence timers. */
  vrrpOpen(family: 4 | 6, ifname: string, onReadable: () => void, kernelSilence?: boolean): unknown;
  /** Joins 224.0.0.18 / ff02::12 on the socket's interface (once). */
  vrrpJoin(handle: unknown): void;
  /** One datagram into `data`: bytes read, -1 none waits, -2 news for vrrpNotice; addresses = [source, destination], meta = [age ms, hop limit, ifindex]. */
  vrrpRecv(handle: unknown, data: Uint8Array, addresses: Uint8Array, meta: Float64Array): number;
  /** Sends one VRRP message to `dst` (4 or 16 bytes); `source` pins the source address. */
  vrrpSend(handle: unknown, data: Uint8Array, dst: Uint8Array, source: Uint8Array | null): void;
  /** The first `count` messages in one sendmmsg (or as few as the kernel takes); `errnos[i]` 0 if sent; returns the failures. */
  vrrpSendMany(handle: unknown, data: readonly Uint8Array[], dst: readonly Uint8Array[], source: readonly (Uint8Array | null)[], count: number, errnos: Int32Array): number;
  /** Declares `vrid`'s accepted advert so that its exact repeats are read and counted in C, with an optional silence watch and tally (native/vrrp_socket.c, "Absorbed repeats"); null stops. */
  vrrpAbsorb(
    handle: unknown,
    vrid: number,
    payload: Uint8Array | null,
    source?: Uint8Array,
    destination?: Uint8Array,
    ttl?: number,
    silenceInMs?: number,
    silenceAfterMs?: number,
    counts?: Float64Array,
    countIndex?: number,
    deadlineIndex?: number,
    deadlineAfterMs?: number,
  ): boolean;
  /** A VRID with news, once each: its silence watch fired, its advert schedule stopped or its takeover fired (native/vrrp_socket.c); 0: none. */
  vrrpNotice(handle: unknown): number;
  /** From `inMs` on, every `intervalMs`, sends data[i] to dst[i] for `vrid` in C (native/vrrp_socket.c, "Repeated adverts"); null stops. */
  vrrpRepeat(
    handle: unknown,
    vrid: number,
    data: readonly Uint8Array[] | null,
    dst?: readonly Uint8Array[],
    source?: Uint8Array | null,
    inMs?: number,
    intervalMs?: number,
    counts?: Float64Array,
    countIndex?: number,
    deadlineIndex?: number,
  ): boolean;
  /** The firings of `vrid`'s schedule since the last call; meta = [age ms of the last or -1, errno that stopped it or 0]. */
  vrrpRepeated(handle: unknown, vrid: number, meta: Float64Array): number;
  /**
   * In `inMs`, unless a repeat comes or a datagram waits unread, sends data[i] to dst[i] for `vrid` and fires `burst`
   * in C (native/vrrp_socket.c, "Armed takeovers"); null disarms. false: not armed (too long, or a fired one unsettled).
   */
  vrrpArmTakeover(handle: unknown, vrid: number, data: readonly Uint8Array[] | null, dst?: readonly Uint8Array[], source?: Uint8Array | null, inMs?: number, burst?: unknown): boolean;
  /**
   * `vrid`'s takeover: -3 none, -2 armed, else fired (the errno of its first refused advert, 0; meta = [ms late
   * after its due time, ms ago]). settle 1 ends it, 2 also drops its burst's results.
   */
  vrrpTakeover(handle: unknown, vrid: number, settle: 0 | 1 | 2, meta?: Float64Array): number;
  /** The repeats of `vrid` absorbed since the last call; meta[0] = age ms of the last one, -1 none. */
  vrrpAbsorbed(handle: unknown, vrid: number, meta: Float64Array): number;
  /**
   * How many VRIDs the kernel's filters absorb now (native/vrrp_socket.c, "Filtered repeats"), -1 once filtering is
   * off for the socket; `reads` gets [datagrams read from the socket, from its repeat socket] and, when it has room
   * for 4, [the alarm's looks, 1 if the kernel's silence timers serve the socket] (native/silence_bpf.c).
   */
  vrrpFiltered(handle: unknown, reads?: Float64Array): number;
  /** 0 when the kernel silence timers could load here (no socket opened, nothing attached), else the errno refused with. */
  kernelSilenceProbe(family: 4 | 6): number;
  /** After a read found only absorbed repeats, leaves the socket unread for `ms`. */
  vrrpHold(handle: unknown, ms: number): void;
  /** The index of the interface the socket was bound to at its open. */
  vrrpIfindex(handle: unknown): number;
  /** Closes a VRRP socket (idempotent). */
  vrrpClose(handle: unknown): void;
  /** Whether the open socket keeps its thread's loop alive. */
  vrrpRef(handle: unknown, ref: boolean): void;
  /** This thread's precise timerfd (native/timer.c); `onExpire` runs once per expiry. */
  timerOpen(onExpire: () => void): unknown;
  /** Arms the timer for `dueMs`, an absolute CLOCK_MONOTONIC time in ms (fractions kept). */
  timerArm(handle: unknown, dueMs: number): void;
  /** Disarms the timer (a no-op once closed). */
  timerDisarm(handle: unknown): void;
  /** Closes the timer (idempotent). */
  timerClose(handle: unknown): void;
  /** Whether the open timer keeps its thread's loop alive. */
  timerRef(handle: unknown, ref: boolean): void;
  /** CLOCK_MONOTONIC now, in ms. */
  monotonicMs(): number;
  /** Handles in C what is ready in this thread's wait now (native/watcher.c, waitDrain): at most one JavaScript call. */
  waitDrain(): void;
  /** A NETLINK_ROUTE socket joined to `groups` (RTNLGRP_* numbers), watched on this thread's loop (native/events.c). */
  eventsOpen(groups: readonly number[], onReadable: () => void): unknown;
  /** One datagram into `buffer`: its length; -1 none waits, -2 notifications were dropped (ENOBUFS), -3 it was too long. */
  eventsRecv(handle: unknown, buffer: Uint8Array): number;
  /** Drops, in the kernel, each RTM_NEWADDR whose payload starts with one of `entries`; returns how many fit. */
  eventsIgnore(handle: unknown, entries: readonly Uint8Array[]): number;
  /** Keeps, of what the socket's groups send, only RTM_DELROUTE of protocol 112 and RTM_DELRULE (a kernel filter). */
  eventsKeepRoutingDeletions(handle: unknown): void;
  /** Closes the events socket. */
  eventsClose(handle: unknown): void;
  /** Whether the open events socket keeps its thread's loop alive. */
  eventsRef(handle: unknown, ref: boolean): void;
  /** A lease renewer on this thread (native/renew.c): okAt[slot] gets each slot's last acknowledged renewal (CLOCK_MONOTONIC ms). */
  renewOpen(okAt: Float64Array, onFailure: () => void): unknown;
  /** Renews `message` (a whole request asking for an ACK) in `slot` from the next round on; null stops the slot. */
  renewSet(handle: unknown, slot: number, message: Uint8Array | null): void;
  /** A round every `periodMs` (sooner at a master's advert in its last quarter); 0 stops. */
  renewEvery(handle: unknown, periodMs: number): void;
  /** The refusals since the last call as (slot, errno) pairs into `out`; returns how many. */
  renewFailures(handle: unknown, out: Int32Array): number;
  /** Closes the renewer and its socket. */
  renewClose(handle: unknown): void;
  /** Whether the open renewer keeps its thread's loop alive. */
  renewRef(handle: unknown, ref: boolean): void;
  /** Drops the node executable's clean read-only mappings, then trims malloc (native/memory.c): [executableKb, rssBeforeKb, rssAfterKb]. */
  releaseStartupPages(): Float64Array;
  /** Moves the executable's mostly mapped read-only stretches into huge pages (native/memory.c): [movedKb, leftKb, failedKb, rssBeforeKb, rssAfterKb, status]. */
  moveExecutableToHugePages(minResidentPercent: number): Float64Array;
  /** Caps glibc's malloc arenas at `count` for threads that have none yet (native/memory.c); false where malloc is not glibc's. */
  limitMallocArenas(count: number): boolean;
  /** At `vmacIndex`'s egress, IGMP / MLD reports leave with `baseMac` as their source and router solicitations not at all (native/vmac_guard.c). */
  vmacGuardOpen(vmacIndex: number, baseMac: Uint8Array): unknown;
  /** Detaches the guard's classifier (idempotent). */
  vmacGuardClose(handle: unknown): void;
  /** 0 when the guard's classifier loads here, else the errno of the refusal; attaches nothing. */
  vmacGuardProbe(): number;
}

/** A failed addon operation: `code` is the errno name (`EPERM`, `ENODEV`…) or `ERR_VRRP_NO_ADDON`. */
export class PacketSocketError extends Error {
  /** Errno name, or `ERR_VRRP_NO_ADDON` when the native addon cannot be loaded. */
  readonly code: string;
  /** Numeric errno, 0 when the failure is not a syscall's. */
  readonly errno: number;
  /** The syscall that failed (`socket`, `ioctl(SIOCGIFINDEX)`, `sendto`), empty when none did. */
  readonly syscall: string;

  /** Creates the error; `message` is already the full short lowercase sentence. */
  constructor(message: string, code: string, errno = 0, syscall = '', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PacketSocketError';
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
  }
}

// Loaded at most once per thread. A failure is remembered too, so a missing addon costs one filesystem lookup.
let addon: NativeAddon | undefined;
let addonFailure: string | undefined;
/** Which copy loaded, for the doctor: the package's prebuilt binary, or a source build. */
let addonOrigin: AddonOrigin | undefined;

/** Where the loaded addon came from: `prebuilt` (prebuilds/<tag>/) or `source` (build/Release/). */
export type AddonOrigin = { kind: 'prebuilt'; tag: string } | { kind: 'source' };

/** Loads the addon (once per thread); throws {@link PacketSocketError} `ERR_VRRP_NO_ADDON` saying what to do. */
export function loadAddon(): NativeAddon {
  if (addon !== undefined) return addon;
  if (addonFailure !== undefined) throw new PacketSocketError(`native addon unavailable: ${addonFailure}`, 'ERR_VRRP_NO_ADDON');
  if (process.platform !== 'linux') {
    addonFailure = `raw sockets and af_packet are linux-only here, this is ${process.platform}`;
    throw new PacketSocketError(`native addon unavailable: ${addonFailure}`, 'ERR_VRRP_NO_ADDON');
  }
  const require = createRequire(import.meta.url);
  const failures: { path: string; error: unknown }[] = [];
  for (const path of [SOURCE_BUILD_PATH, prebuiltPath()]) {
    try {
      addon = require(path) as NativeAddon;
      addonOrigin = path === SOURCE_BUILD_PATH ? { kind: 'source' } : { kind: 'prebuilt', tag: path.split('/').at(-2) ?? '' };
      return addon;
    } catch (error) {
      failures.push({ path, error });
    }
  }
  addonFailure = describeLoadFailure(failures);
  throw new PacketSocketError(`native addon unavailable: ${addonFailure}`, 'ERR_VRRP_NO_ADDON', 0, '', { cause: failures.at(-1)?.error });
}

/** Whether the addon loads here and which copy did, or why not (a doctor's question). Never throws. */
export function probeAddon(): { ok: true; origin: AddonOrigin } | { ok: false; reason: string } {
  try {
    loadAddon();
    return { ok: true, origin: addonOrigin ?? { kind: 'source' } };
  } catch {
    return { ok: false, reason: addonFailure ?? 'unknown failure' };
  }
}

/** Why no candidate loaded: a binary that exists but fails says most; else neither exists. */
function describeLoadFailure(failures: readonly { path: string; error: unknown }[]): string {
  const broken = failures.find(({ error }) => (error as { code?: unknown } | null)?.code !== 'MODULE_NOT_FOUND');
  if (broken) {
    const message = broken.error instanceof Error ? broken.error.message.split('\n')[0]! : String(broken.error);
    return `native addon does not load (${broken.path.replace('../../', '')}): ${message}`;
  }
  const prebuilt = failures[1]?.path.replace('../../', '') ?? 'prebuilds/';
  return `no native addon: no prebuilt binary for this machine (${prebuilt}) and no source build (build/Release/vrrp_packet.node); install python3, make and a c compiler, then run \`npm rebuild vrrp --foreground-scripts\` (on npm 11+, \`npm install-scripts approve vrrp\` first)`;
}

// Why each errno happens here, in the words an operator needs; anything else keeps the kernel's own text.
const HINTS: Readonly<Record<string, string>> = {
  EPERM: 'need CAP_NET_RAW',
  EACCES: 'need CAP_NET_RAW',
  ENODEV: 'no such interface',
  ENXIO: 'interface is gone',
  ENETDOWN: 'interface is down',
  EAGAIN: 'device queue full, frame dropped',
  ENOBUFS: 'no buffer space, frame dropped',
  EMSGSIZE: 'frame larger than the interface mtu',
  EAFNOSUPPORT: 'kernel without af_packet',
  EBADF: 'socket is closed',
};

/**
 * Maps the addon's `{ errno, syscall }` errors to {@link PacketSocketError} named `context: ERRNO (hint)`;
 * TypeErrors and RangeErrors (our own misuse) pass through untouched.
 */
export function toPacketSocketError(context: string, error: unknown): unknown {
  const errno = (error as { errno?: unknown } | null)?.errno;
  if (typeof errno !== 'number') return error;
  const syscall = String((error as { syscall?: unknown }).syscall ?? '');
  const name = errnoName(errno);
  const kernelText = error instanceof Error ? error.message.slice(error.message.indexOf(': ') + 2).toLowerCase() : '';
  const hint = HINTS[name] ?? kernelText;
  return new PacketSocketError(`${context}: ${name}${hint === '' ? '' : ` (${hint})`}`, name, errno, syscall, { cause: error });
}

/** The errno's name (`EPERM`), or `E<number>` for one this platform does not name. */
export function errnoName(errno: number): string {
  return (errnoNames ??= errnoTable()).get(errno) ?? `E${errno}`;
}

// Built at the first failure: a mass start asks for names hundreds of times (every instance clears its leftover
// addresses, EADDRNOTAVAIL), and walking constants.errno's entries each time was a steady stream of garbage.
let errnoNames: Map<number, string> | undefined;

function errnoTable(): Map<number, string> {
  const table = new Map<number, string>();
  // The first name wins for an errno two names share (EAGAIN before EWOULDBLOCK), as the walk it replaces did.
  for (const [name, value] of Object.entries(constants.errno)) if (!table.has(value)) table.set(value, name);
  return table;
}
