/**
 * The seams between `VrrpInstance` and the world. Each is an interface a user may replace: the Linux adapters
 * (`vrrp/linux`) implement them with raw sockets and netlink, the testing kit (`vrrp/testing`) with fakes on a
 * simulated network. Adapters stay thin: no protocol decisions here, only I/O.
 */
import type { AddressFamily } from '../core/advertisement.js';
import type { VirtualAddress, VirtualRoute, VirtualRule } from '../config.js';
import type { TrackerHost } from '../trackers/types.js';

/** A monotonic clock and one-shot timers. Times are in milliseconds. */
export interface Clock {
  /** Monotonic time in ms (fractions allowed); never goes back. */
  now(): number;
  /**
   * Calls `callback` once, no earlier than `delayMs` from now; returns a function that cancels it. `precise` asks
   * for sub-millisecond accuracy where it matters (a backup's Master_Down_Timer, whose expiry is a takeover) at
   * some CPU cost; a clock may ignore it.
   */
  setTimer(delayMs: number, callback: () => void, options?: { precise?: boolean }): () => void;
}

/** A VRRP packet as received: the VRRP message bytes plus what the IP header said. */
export interface ReceivedPacket {
  /** The VRRP message (from the version/type byte on). */
  bytes: Uint8Array;
  /** Source address (canonical text). */
  src: string;
  /** Destination address (canonical text): the multicast group or our unicast address. */
  dst: string;
  /** IPv4 TTL or IPv6 hop limit as received. */
  ttl: number;
  /**
   * Optional: how long ago, in milliseconds, the packet arrived (a kernel receive timestamp), as of the call to
   * `onPacket` — not of some earlier read: the engine dates it as the clock's now minus this age. The engine then
   * handles it as of its arrival, so a Master_Down_Timer starts when the advert came, not when it was read.
   */
  ageMs?: number;
}

/** What a transport needs to know to open. */
export interface TransportOptions {
  /** Interface name. */
  interface: string;
  /** Address family. */
  family: AddressFamily;
  /** VRID, for transports that demultiplex several instances on one socket. */
  vrid: number;
  /** Unicast peers; empty means multicast. */
  unicastPeers: readonly string[];
  /** Configured source address, if any. */
  primaryAddress: string | undefined;
  /**
   * The interface whose addresses the primary address is picked from, when not `interface`: a VMAC's base, since
   * the VMAC holds no address of its own but the VIPs (and, IPv6, a copy of the base's link-local address).
   */
  addressInterface?: string;
  /** Every address we may hold (canonical; the excluded ones too, of either family): never the primary address. */
  virtualAddresses: readonly string[];
}

/** What {@link Transport.open} resolves with. */
export interface TransportOpened {
  /** Our source address and side of the tie-break; undefined while the interface has none to send from. */
  primaryAddress: string | undefined;
}

/** What a shared receive socket counts before any instance sees a packet (see {@link Transport.socketStats}). */
export interface SharedSocketStats {
  /** Datagrams read, absorbed repeats included. */
  readonly received: number;
  /** IPv4 datagrams whose header could not be read, or messages too short to carry a VRID: dropped. */
  readonly malformed: number;
  /** Packets for a VRID no instance of this process serves on the interface (normal on a shared LAN): dropped. */
  readonly otherVrid: number;
  /** Receive calls that failed with something other than "nothing to read". */
  readonly receiveErrors: number;
}

/** The order of {@link SharedSocketStats} as a socket keeps them in a Float64Array shared between threads. */
export const SHARED_SOCKET_COUNTS = ['received', 'malformed', 'otherVrid', 'receiveErrors'] as const satisfies readonly (keyof SharedSocketStats)[];

/** Reads counters kept in {@link SHARED_SOCKET_COUNTS} order. */
export function readSharedSocketStats(counts: Float64Array): SharedSocketStats {
  return { received: counts[0] as number, malformed: counts[1] as number, otherVrid: counts[2] as number, receiveErrors: counts[3] as number };
}

/** Sends and receives VRRP packets (IP protocol 112) on one interface. */
export interface Transport {
  /**
   * Starts receiving; every packet goes to `onPacket`. Resolves with the primary address used as our source (and
   * in the tie-break), or with none when the interface has no address to send from yet (an IPv6 link that is down
   * has no link-local address): the instance then starts in Fault and, when its link monitor reports the link up,
   * asks {@link Transport.resolvePrimaryAddress} again — so a transport that can resolve none needs that method and
   * a link monitor beside it. Must send with TTL / hop limit 255. `onFailure` is called if the transport dies later
   * (the instance then goes to fault and reports it).
   */
  open(
    options: TransportOptions,
    onPacket: (packet: ReceivedPacket) => void,
    onFailure?: (error: Error) => void,
  ): Promise<TransportOpened>;
  /**
   * Optional: runs the send path once with nothing to send, as at open, so that its code is mapped and compiled
   * again (after `releaseStartupPages`, say). Sends nothing.
   */
  warm?(): void;
  /**
   * Optional: picks the primary address again and sends from it from now on; resolves with it, or undefined when
   * the interface still has none. Called each time the link monitor reports the link up (the interface may have
   * been renumbered, or made again, meanwhile).
   */
  resolvePrimaryAddress?(): Promise<string | undefined>;
  /** Sends one VRRP message to `dst`. */
  send(dst: string, bytes: Uint8Array): void | Promise<void>;
  /**
   * Optional: sends one VRRP message to `dst` before the current task's microtasks are done, together with the other
   * messages queued on the same socket in this task (one system call for all of them); `failed` hears of a message
   * that could not be sent. Must keep the order of everything handed to this transport's socket: a later
   * {@link Transport.send} sends what is queued first. The engine queues only a master's routine adverts.
   */
  queue?(dst: string, bytes: Uint8Array, failed: (dst: string, cause: unknown) => void): void;
  /**
   * Optional: the socket opened again for the same interface and family, the VRID registered again — for a link made
   * again under the same name (a VMAC deleted behind our back), to which the old socket can no longer be bound.
   * Called while the instance is in Fault: nothing is armed, absorbed or scheduled on the transport then.
   */
  reopen?(): void;
  /** Stops receiving and releases the socket. */
  close(): void | Promise<void>;
  /**
   * Optional: the counters of a socket this transport shares with other instances (on Linux, one per interface and
   * family for the thread), for what it drops before any instance sees it; read live, not a copy.
   */
  readonly socketStats?: SharedSocketStats | undefined;
  /**
   * Optional: synchronously hands every packet already waiting in the socket to `onPacket`. Called before a timer
   * expiry is processed, so that a backup whose timer fires late (the event loop was blocked) first hears the
   * adverts that arrived meanwhile instead of declaring a live master dead.
   */
  drain?(): void;
  /**
   * Optional: from now on, absorb exact repeats of `packet` (the same message, source, destination and TTL / hop
   * limit) below JavaScript instead of handing them to `onPacket`, keeping only the last one's arrival and their
   * count for {@link Transport.takeRepeats}; `undefined` absorbs nothing again. Returns whether it absorbs (a
   * transport may decline, e.g. a message too long to keep). The engine asks only while its core says a repeat
   * would do nothing but restart the Master_Down_Timer (docs/linux.md, "Absorbed repeats"). `holdMs`: how long
   * the transport may leave other packets for this instance unread meanwhile (they keep their arrival time).
   * `tally` (only to a transport that {@link Transport.tallies}): count each repeat there as it is absorbed.
   */
  absorbRepeats?(packet: ReceivedPacket | undefined, holdMs?: number, silence?: RepeatSilence, tally?: CounterTally): boolean;
  /**
   * Whether {@link Transport.absorbRepeats} honours its `silence`: the engine then arms no timer of its own to find
   * a master that fell silent (docs/linux.md, "Silence watch"). A transport without it is asked no `silence`.
   */
  readonly watchesSilence?: boolean;
  /**
   * Whether {@link Transport.absorbRepeats} and {@link Transport.repeatAdverts} honour a `tally`: the engine then
   * collects their repeats and firings only when something else happens, not on a timer to keep its published
   * counters current (docs/linux.md, "Tallies"). A transport without it is given no `tally`.
   */
  readonly tallies?: boolean;
  /**
   * Optional: from `inMs` from now, every `intervalMs`, send `sends` (a Master's routine adverts, the core's
   * `routineSends`) without the engine stepping its core for each (docs/linux.md, "Repeated adverts"), until called
   * again; `undefined` stops. Returns whether it does (a transport may decline, e.g. messages too long to keep: the
   * engine then sends them itself). The firings are collected with {@link Transport.takeAdverts}. A send that fails
   * stops the schedule, and `onStopped` is called (later, never inside this call) so that the engine collects it.
   * `tally` (only to a transport that {@link Transport.tallies}): count each firing's adverts there as it goes.
   */
  repeatAdverts?(
    sends: readonly { dst: string; bytes: Uint8Array }[] | undefined,
    inMs?: number,
    intervalMs?: number,
    onStopped?: () => void,
    tally?: CounterTally,
  ): boolean;
  /**
   * Optional, with `repeatAdverts`: the firings since the last call — how many, how long ago the last one was (in
   * ms), and the failure that stopped the schedule if one did — or undefined when there was none of either.
   */
  takeAdverts?(): RepeatedAdverts | undefined;
  /**
   * Optional, with `absorbRepeats`: the repeats absorbed since the last call — how many, and how long ago the last
   * one arrived, in ms — or undefined when there were none. Synchronous: the engine asks before any other input
   * reaches its core and before its Master_Down_Timer may expire.
   */
  takeRepeats?(): AbsorbedRepeats | undefined;
  /**
   * Optional: arms a Backup's takeover (docs/architecture.md, "The prepare → takeover contract"). In `inMs` (the
   * Master_Down_Timer's expiry), unless a repeat of the master's advert arrives or a packet waits unread, the
   * transport sends `sends` (the core's `takeoverSends`) itself, fires `burst` (from the VIP manager's
   * {@link VipManager.takeoverBurst}), and calls `onFired` later, never inside a call. The engine then steps its core
   * as at any expiry; the transport's {@link Transport.send} of those same sends, and the burst's next run, are the
   * ones that went. Calling again re-arms; `undefined` sends disarm. Returns whether it is armed.
   */
  armTakeover?(sends: readonly { dst: string; bytes: Uint8Array }[] | undefined, inMs?: number, burst?: TakeoverBurst, onFired?: () => void): boolean;
  /**
   * Optional, with `armTakeover`: ends what is left of it. An armed takeover is disarmed; a fired one whose sends
   * the engine did not make is forgotten (its burst's results stay for the VIP manager's next `addAndAnnounce`).
   * Returns whether one had fired and was left over (its addresses were added: the engine takes them off).
   */
  settleTakeover?(): boolean;
  /**
   * Optional, with `armTakeover`: whether the armed takeover fired — asked before any input reaches the core while
   * one is armed, since `onFired` may come after an input that was already waiting (its expiry comes first).
   */
  takeoverFired?(): boolean;
}

/** What a VMAC is made for ({@link VipManager.createVmac}). */
export interface VmacRequest {
  /** The instance's interface, the VMAC's lower device. */
  base: string;
  /** The instance's family (the MAC is 00-00-5E-00-01-VRID for IPv4, 00-00-5E-00-02-VRID for IPv6). */
  family: AddressFamily;
  /** The instance's VRID. */
  vrid: number;
  /** Its configured name; undefined: the manager picks keepalived's. */
  name: string | undefined;
  /** The configured advert source, if any (IPv6: put on the VMAC to send from). */
  source: string | undefined;
  /** The adverts go from `base` (`vmac.xmitBase`): an IPv6 VMAC needs no address to send from. */
  xmitBase?: boolean;
}

/** A VIP manager's takeover prepared for a transport to fire ({@link Transport.armTakeover}); opaque. */
export interface TakeoverBurst {
  /** What the manager's transport-side counterpart recognises; nothing else reads it. */
  readonly native: unknown;
}

/**
 * What an absorbing transport that {@link Transport.watchesSilence} watches for: the time after which the absorbed
 * repeats stopped, so that the engine need not look for them on a timer.
 */
export interface RepeatSilence {
  /** Silent when no repeat arrived this long from now, in ms (the first repeat moves it). */
  inMs: number;
  /** Silent when no repeat arrived this long after the last one, in ms. */
  afterMs: number;
  /**
   * Called once when the repeats stopped for that long, synchronously or later, never before; a repeat that
   * arrives after that watches anew. Not called after the absorbing ended or changed.
   */
  onSilence: () => void;
}

/**
 * Where a transport that {@link Transport.tallies} counts what it does for the engine, as it happens: elements of
 * the engine's counters, a Float64Array that the app's thread may read at any time (on a SharedArrayBuffer). While
 * the transport absorbs or repeats with a tally, the engine leaves those two elements to it.
 */
export interface CounterTally {
  /** The engine's counters. */
  counts: Float64Array;
  /** The counter to add to: 1 per absorbed repeat, or each firing's adverts. */
  index: number;
  /** Where to write the core's next timer expiry after each, as a wall-clock instant (`Date.now()` ms); -1: nowhere. */
  deadlineIndex: number;
  /** Absorbed repeats: that expiry's distance from a repeat's arrival (the Master_Down_Interval), in ms. */
  deadlineAfterMs?: number;
}

/** What {@link Transport.takeAdverts} hands over: a Master's adverts a transport sent since it was last asked. */
export interface RepeatedAdverts {
  /** How many times the schedule fired (each time, every advert of it was sent). */
  count: number;
  /** How long ago the last firing was, in ms (its due time when on time). */
  ageMs: number;
  /** The send that failed and stopped the schedule. */
  error?: {
    /** The destination of the schedule's first advert (canonical text). */
    dst: string;
    /** What the transport could not do: an Error with an errno (`code`), for the engine's `send_failed` report. */
    cause: unknown;
  };
}

/** What {@link Transport.takeRepeats} hands over: the repeats a transport absorbed since it was last asked. */
export interface AbsorbedRepeats {
  /** How many exact repeats arrived. */
  count: number;
  /** How long ago the last of them arrived, in ms. */
  ageMs: number;
}

/**
 * Adds, removes and announces the virtual addresses. `addresses` is every address the instance's master holds: its
 * `virtualAddresses`, then its `excludedAddresses` — which may be of the other family (an IPv6 address beside an
 * IPv4 instance's), so a manager must not take the family of the first for all.
 */
export interface VipManager {
  /**
   * Adds the addresses to the interface; resolves once they are usable. May return nothing when they are usable
   * on return: the announcement then follows in the same turn, without waiting for a microtask. Throws (or rejects)
   * when they could not all be added: the engine then reports the failure, does not report mastership, faults
   * (priority 0, so a peer serves) and tries again later.
   */
  add(iface: string, addresses: readonly VirtualAddress[]): Promise<void> | void;
  /** Removes the addresses this manager added. */
  remove(iface: string, addresses: readonly VirtualAddress[]): Promise<void>;
  /** Tells the LAN where the addresses are now: gratuitous ARP (IPv4) or unsolicited Neighbor Advertisement (IPv6). */
  announce(iface: string, addresses: readonly VirtualAddress[]): Promise<void>;
  /**
   * Optional: `add` then `announce` in one step, which a takeover asks for (the engine calls this instead of the
   * two when the core asks for both in a row), so that a manager can send the announcement the moment the
   * addresses are up. The Linux manager does both in one native call. Without it the engine calls the two. A
   * failure after the addresses are up (only the announcement) throws a VrrpError with code `announce_failed`,
   * which keeps the mastership; any other failure counts as the addresses' (see `add`).
   */
  addAndAnnounce?(iface: string, addresses: readonly VirtualAddress[]): Promise<void> | void;
  /**
   * Optional, with `addAndAnnounce`: the takeover of `addresses` on `iface` prepared for a transport to fire at the
   * deadline ({@link Transport.armTakeover}), or undefined when there is none. A fired burst's next
   * `addAndAnnounce` does the manager's bookkeeping with the results it got, and no syscall again.
   */
  takeoverBurst?(iface: string, addresses: readonly VirtualAddress[]): TakeoverBurst | undefined;
  /**
   * Optional: called once at start, before the protocol runs. The Linux manager removes addresses of ours that a
   * crashed run left behind (and nothing else).
   */
  prepare?(iface: string, addresses: readonly VirtualAddress[]): Promise<void>;
  /**
   * Optional: takes as this manager's own the addresses that are up already because the engine this one replaces,
   * in the same process, held them (a Master's handover to a new configuration: `VrrpInstance.reconfigure`). From
   * then on they are this manager's as if it had added them: renewed, watched, removed when it removes. Called
   * before `prepare`, whose clean-up of leftovers must leave them alone, and before the protocol starts. A manager that tells its addresses from others' needs it (the Linux
   * manager's `add` of an address that is up leaves it to whoever added it); a fake that does not may leave it out.
   */
  adopt?(iface: string, addresses: readonly VirtualAddress[]): Promise<void> | void;
  /**
   * Optional: runs the takeover path once with nothing to add, as `prepare` did, so that its code is mapped and
   * compiled again (after `releaseStartupPages`, say). Adds, removes and announces nothing.
   */
  warm?(iface: string, addresses: readonly VirtualAddress[]): Promise<void>;
  /**
   * Optional: installs the instance's virtual routes, after its addresses are up (keepalived's `virtual_routes`).
   * Throws (or rejects) naming each route that failed; the engine reports that as `route_failed` and stays master.
   * Needed only by instances that configure routes (their start fails without it).
   */
  addRoutes?(routes: readonly VirtualRoute[]): Promise<void> | void;
  /**
   * Optional, with `addRoutes`: removes those routes — at start (what a crashed run left: only routes this manager
   * marks as its own may go), on leaving mastership before the addresses go, and at stop. A route already gone is
   * no failure.
   */
  removeRoutes?(routes: readonly VirtualRoute[]): Promise<void> | void;
  /**
   * Optional, with `addRoutes`: takes as this manager's the routes and rules the engine this one replaces left
   * installed (as `adopt` for addresses): held from now on as if `addRoutes` / `addRules` had installed them, and put
   * in again if they went meanwhile. Called on the new engine's first mastership, instead of installing them.
   */
  adoptRouting?(routes: readonly VirtualRoute[], rules: readonly VirtualRule[]): Promise<void> | void;
  /** Optional: installs the instance's policy routing rules, after its routes (keepalived's `virtual_rules`); as `addRoutes`. */
  addRules?(rules: readonly VirtualRule[]): Promise<void> | void;
  /** Optional, with `addRules`: removes those rules, before the routes; as `removeRoutes`. */
  removeRules?(rules: readonly VirtualRule[]): Promise<void> | void;
  /**
   * Optional: makes the instance's VMAC (`vmac` in its config; docs/vmac.md), or takes the one there, before the
   * transport opens; resolves with its interface name, which then holds the instance's addresses. Called again
   * while it runs when the VMAC or its base may have been lost (a link down): makes it again if it is gone.
   */
  createVmac?(vmac: VmacRequest): Promise<string>;
  /** Optional, with `createVmac`: deletes the VMAC at a stop (not at a handover, which leaves it to the next engine). */
  removeVmac?(name: string): Promise<void>;
  /** Optional: releases resources (sockets, timers) at stop. */
  close?(): void | Promise<void>;
  /** Optional: where to report failures of work nobody awaits (scheduled announcement bursts). */
  setErrorHandler?(handler: (error: Error) => void): void;
  /**
   * Optional, for `status()`: how long until `address` on `iface` expires unless renewed, in ms — undefined when
   * this manager does not hold it or gave it no lifetime. Called after engine steps: keep it cheap (no I/O).
   */
  leaseRemainingMs?(iface: string, address: string): number | undefined;
}

/** A link being watched: what {@link LinkMonitor.watch} resolves with. */
export interface LinkWatch {
  /** Whether the link is up now (up and running, with a usable address). */
  up: boolean;
  /** Stops watching: `onChange` is not called again. */
  stop: () => void;
}

/** Reports the interface's link state (up with a usable address, or not). */
export interface LinkMonitor {
  /**
   * Starts watching; calls `onChange` whenever the state changes, and with `true` again when a link that stays up
   * changed what the instance should send from (its address to send from went, or the interface was made again).
   * Returns the state now and a stop function.
   * `linkOnly`: up is the link's own state (there, administratively up, running), whatever its addresses — a VMAC's,
   * which has none to send from until it is master.
   */
  watch(iface: string, onChange: (up: boolean) => void, options?: { linkOnly?: boolean }): Promise<LinkWatch>;
}

/** The adapters an instance runs on. `linkMonitor` is optional: without it the link is assumed up. */
export interface Adapters {
  /** Packet I/O. */
  transport: Transport;
  /** Virtual address management. */
  vipManager: VipManager;
  /** Time and timers. */
  clock: Clock;
  /** Link state. */
  linkMonitor?: LinkMonitor;
  /**
   * What the built-in trackers read (`interface` trackers' links, `process` trackers' /proc); each field optional,
   * the real system's otherwise. A test fakes an `interface` tracker's link here.
   */
  trackerHost?: Partial<TrackerHost>;
}

export { systemClock, preciseSleepMs } from './system-clock.js';
