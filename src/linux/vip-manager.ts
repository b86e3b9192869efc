/**
 * Virtual addresses through rtnetlink, and their announcement.
 *
 * Rules:
 * - Never remove an address we did not add: an address that already existed when we added it (EEXIST) stays the
 *   user's. What we add is recorded both in memory and in a marker file, so that a run that crashed with VIPs up
 *   can be cleaned by the next run (`prepare`) — only addresses whose marker names a dead process are touched.
 * - Markers live in <marker dir>/<network namespace>/<interface>/<address>@<pid> (markerDirectory(): /run/vrrp for
 *   root; one file per process, see vip/markers.ts), holding the owner's pid and start time and a state:
 *   `standby` (not held), `adding` (requested), or, once the kernel acknowledged the add, the address's creation
 *   stamp — its identity, so a recycled namespace inode can never make us remove an address configured by hand.
 *   Where /run is a tmpfs, markers vanish at reboot with the addresses; elsewhere a marker naming a dead process
 *   and an absent address is simply deleted.
 * - A takeover does no lookup, no encoding and no file-system call: `prepare` encodes the requests and opens the
 *   markers, and `add` sends inside the call, so the caller can announce in the same turn.
 * - IPv6 VIPs are added with IFA_F_NODAD (duplicate address detection would keep a taking-over master's address
 *   tentative, unusable, for about a second) and deprecated (preferred lifetime 0) so they are never chosen as a
 *   source address: a unicast peer that checks sources, as keepalived does, would drop adverts sent from a VIP.
 * - Announcing (gratuitous ARP / unsolicited NA) is delegated to an {@link AnnouncementSender}; this class only
 *   schedules keepalived's bursts: `repeat` frames at once, a second burst after `delayMs`, and one every
 *   `refreshMs` while the addresses stay up.
 * - Leases (`leaseMs`, docs/linux.md "VIP leases"): an address we add carries a kernel valid lifetime that this
 *   manager renews while it holds the address, so a process that dies or freezes loses its VIPs within the lease
 *   — the kernel removes them, nobody has to. An IPv4 VIP shorter than /32 is leased only when it cannot be the
 *   primary address of its subnet — the interface already has an address of the host in that subnet (the usual
 *   case: the VIP joins as a secondary) — or the interface has `promote_secondaries`: a primary's expiry would
 *   delete the subnet's other addresses, the host's own among them. Otherwise it keeps a lifetime of forever, and
 *   that is reported once.
 * - An add the kernel refuses is thrown to the caller, never only logged: the engine must not report mastership
 *   without the addresses. An address of ours that disappears while we hold it (a network manager removed it) is
 *   added again at once, and reported.
 */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TakeoverBurst as TakeoverBurstHandle, VipManager, VmacRequest } from '../adapters/types.js';
import { formatVirtualRoute, formatVirtualRule, type GarpConfig, type VirtualAddress, type VirtualRoute, type VirtualRule } from '../config.js';
import { parseIp } from '../core/ip-address.js';
import { VrrpError } from '../errors.js';
import { addressTables, AF, getAllAddresses, getInterface, getInterfaceAddresses, HOST_LITTLE_ENDIAN, type InterfaceAddress } from './interfaces.js';
import { watchAddresses, watchLink } from './link-monitor.js';
import { isMarkerOf, judgeLeftover, markerDirectory, markerFileName, markerRecord, networkNamespaceId, ownerAlive, parseMarker, processStartTicks, type MarkerOwner, type MarkerState } from './vip/markers.js';
import { NativeRenewals } from './vip/native-renewals.js';
import { laterBursts } from './vip/schedule.js';
import { keptBytes } from './kept-bytes.js';
import { warmTakeover } from './warm-up.js';
import { addressRequest as encodeAddressRequest, RTM_DELADDR, RTM_NEWADDR, type AddressRequest } from './vip/address-request.js';
import type { NetlinkRequest } from './vip/netlink-request.js';
import { routeRequest, RTM_DELROUTE, RTM_NEWROUTE } from './vip/route-request.js';
import { ruleRequest, RTM_DELRULE, RTM_NEWRULE } from './vip/rule-request.js';
import { holdRouting, releaseRouting, routeKey, ruleKey, type RoutingHolder } from './vip/routing-watch.js';
import type { AnnouncementRound } from './announcer.js';
import { prepareBurst, type Burst, type BurstOperation } from './packet-socket.js';
import { routeRequestSocket, sendNetlinkRequest, sendNetlinkRequestNow } from './vip/netlink-send.js';
import { ensureVmac, releaseVmacs, removeVmac } from './vmac.js';

/** Sends announcement frames; the Linux implementation uses an AF_PACKET socket. */
export interface AnnouncementSender {
  /** Sends `repeat` announcements for each address out of `ifname`. */
  announce(ifname: string, addresses: readonly VirtualAddress[], options: { repeat: number }): Promise<void> | void;
  /**
   * With `ifname`: drops that interface's socket (it failed; the next announcement reopens it). Without: this
   * manager is done with the sender (a sender shared by the thread keeps its sockets for the others).
   */
  close(ifname?: string): void;
  /**
   * Optional: gets ready to announce `addresses` on `ifname` (opens its socket, builds what it can of the frames)
   * so that the first takeover does not pay for it.
   */
  warm?(ifname: string, addresses: readonly VirtualAddress[]): void;
  /**
   * Optional: one announcement round of `addresses` on `ifname`, built now, as a handle for someone else to send
   * (the takeover burst); undefined when it cannot be prepared.
   * Internal: what our own `Announcer` offers the takeover burst; a sender of your own leaves it out.
   *
   * @internal
   */
  prepareRound?(ifname: string, addresses: readonly VirtualAddress[]): AnnouncementRound | undefined;
  /**
   * Optional, with `prepareRound`: whether a prepared round's socket is still its interface's.
   * Internal, like `prepareRound`.
   *
   * @internal
   */
  isCurrent?(round: AnnouncementRound): boolean;
  /**
   * Optional, with `prepareRound`: whether a prepared round's unsolicited NAs still carry the interface's Router
   * flag (re-read at most every 5 s). Internal, like `prepareRound`.
   *
   * @internal
   */
  routerFlagCurrent?(round: AnnouncementRound): boolean;
}

/** Options of {@link NetlinkVipManager}. */
export interface NetlinkVipManagerOptions {
  /** Sends the frames; without one, `announce` does nothing (e.g. where AF_PACKET is unavailable). */
  announcer?: AnnouncementSender;
  /** Burst schedule (keepalived's defaults when omitted). */
  garp?: GarpConfig;
  /** Where markers live (default: markerDirectory(), see vip/markers.ts). */
  stateDir?: string;
  /**
   * Called with what fails where nothing awaits it: a scheduled (second or refresh) burst, a lease renewal, an address
   * removed behind our back, the address watch. Default: a process warning.
   */
  onError?: (error: Error) => void;
  /**
   * Kernel lifetime of the addresses we add, renewed while we hold them, in ms (rounded up to whole seconds: the
   * kernel's unit); 0: no lease, addresses stay until removed. Default 5000 (`DEFAULT_VIP_LEASE_MS`).
   */
  leaseMs?: number;
  /**
   * Watches the addresses of an interface (default: the thread's rtnetlink event socket, see link-monitor.ts);
   * returns a stop function. How a VIP removed behind our back is noticed.
   */
  watchAddresses?: (iface: string, family: 'ipv4' | 'ipv6', onAddresses: (addresses: readonly InterfaceAddress[], linkUp: boolean, readAtMs: number) => void) => Promise<() => void>;
}

/**
 * The lease renewal rounds of this thread, by period: one interval timer renews the leases of every manager that
 * holds addresses. Why: each manager's own timer woke the thread once per instance and period (255 masters at the
 * default lease: 150 wake-ups a second, each a call into JavaScript for one netlink request); a shared round wakes it
 * once per period for all of them. A manager that joins gets its first renewal within one period of its add, as
 * with a timer of its own, so the lease's margin (two missed renewals) is unchanged.
 */
const renewalRounds = new Map<number, { timer: NodeJS.Timeout; members: Set<() => void> }>();

/** Joins the renewal round of period `renewMs`; returns the function that leaves it. Exported for its tests. */
export function joinRenewals(renewMs: number, renew: () => void): () => void {
  let round = renewalRounds.get(renewMs);
  if (round === undefined) {
    const members = new Set<() => void>();
    const timer = setInterval(() => {
      // A member that throws must not cost the others their renewal.
      for (const member of members) {
        try {
          member();
        } catch (error) {
          queueMicrotask(() => {
            throw error;
          });
        }
      }
    }, renewMs);
    timer.unref();
    round = { timer, members };
    renewalRounds.set(renewMs, round);
  }
  const joined = round;
  joined.members.add(renew);
  return () => {
    joined.members.delete(renew);
    if (joined.members.size === 0 && renewalRounds.get(renewMs) === joined) {
      clearInterval(joined.timer);
      renewalRounds.delete(renewMs);
    }
  };
}

/** Default lease of a VIP: a crashed or frozen master's addresses are gone within about this long. */
export const DEFAULT_VIP_LEASE_MS = 5000;


/** One add request in flight: its VIP, the kernel's answer to come, and whether the address was ours before. */
interface AddRequest {
  entry: PreparedVip;
  /** The kernel's answer: an errno name or undefined; a promise only without the addon. */
  reply: string | undefined | Promise<string | undefined>;
  wasOurs: boolean;
}

/**
 * A VIP ready for a takeover: its interface and index, its encoded requests and its open marker; and, while we hold
 * it, its lease's state. One record per address rather than a Map per concern: each Map cost ~200 bytes an
 * instance (docs/linux.md, "Memory per instance").
 */
interface PreparedVip {
  readonly vip: VirtualAddress;
  readonly iface: string;
  readonly index: number;
  readonly addRequest: AddressRequest;
  readonly deleteRequest: AddressRequest;
  /** The lease renewal (replace|create with the same lifetimes); undefined when the address is not leased. */
  readonly renewRequest: AddressRequest | undefined;
  marker: number | undefined;
  /** When the address we hold last got its lifetime, on performance.now() (for status()); undefined: not leased by us. */
  leasedAtMs: number | undefined;
  /** The addon's renewal slot of the lease and the request in it; undefined: not renewed by the addon. */
  renewSlot: number | undefined;
  renewMessage: Uint8Array | undefined;
  /**
   * When we last took the address as ours, on performance.now(): a read of the interface asked for before says
   * nothing of it.
   */
  oursSinceMs: number | undefined;
}

/**
 * A takeover of one address list prepared as one native call: for each address its marker write and its request,
 * then `repeat` announcement rounds. Valid while its entries are the prepared ones and its socket the announcer's.
 * Entry i's marker write is operation 2i and its request 2i + 1 (takeoverRequest), the rounds' frames follow
 * (takeoverFirstFrame): no index arrays and no copy of the address list, which cost ~0.2 KB an instance
 * (docs/linux.md, "Memory per instance").
 */
interface TakeoverBurst {
  readonly iface: string;
  /** One per address taken over, in order (what a takeover asks for is checked against their addresses). */
  readonly entries: readonly PreparedVip[];
  /** The announcement round it sends, a handle from the announcer. */
  readonly round: AnnouncementRound;
  readonly burst: Burst;
}

/** Index among a takeover burst's results of its entry `i`'s address request (see TakeoverBurst). */
function takeoverRequest(i: number): number {
  return 2 * i + 1;
}

/** Index among a takeover burst's results of its first announcement frame, after `entries` entries (see TakeoverBurst). */
function takeoverFirstFrame(entries: number): number {
  return 2 * entries;
}

/** A {@link VipManager} over rtnetlink. */
export class NetlinkVipManager implements VipManager {
  /**
   * Addresses added and not removed yet. Made at the first add (a backup adds none): an empty Set costs ~150
   * bytes an instance (docs/linux.md, "Memory per instance").
   */
  #ours: Set<string> | undefined;
  readonly #announcer: AnnouncementSender | undefined;
  readonly #garp: Required<GarpConfig>;
  readonly #stateDir: string;
  #onError: (error: Error) => void;
  /**
   * Later announcement bursts' timers, each with its interface (an instance's addresses may be on several: `dev`,
   * and announcing on one must not cancel another's). This and the three sets below are made when first written:
   * each is empty most of the time, and an empty Set costs ~150 bytes an instance (docs/linux.md, "Memory per
   * instance").
   */
  #timers: Map<NodeJS.Timeout, string> | undefined;
  /** Acknowledgements of adds still outstanding: `remove` waits for them, so it knows what is ours. */
  #acknowledgements: Promise<void> = Promise.resolve();
  /**
   * Encoded requests and open markers by interface and address, built before the first takeover: looking the
   * interface up (a link dump costs milliseconds) and encoding messages are work a takeover must not wait for.
   */
  readonly #prepared = new Map<string, PreparedVip>();
  #burstCount = 0;
  /** Takeover bursts by address list (an instance's frozen configuration list). */
  #takeover: TakeoverBurst | undefined;
  /**
   * The interface whose addresses get the prepared takeover burst: the first prepared, the instance's own (the
   * engine prepares it before those on other interfaces, `dev`, which it adds and announces after the burst).
   */
  #takeoverIface: string | undefined;
  /** Lease in whole seconds; 0: none. */
  readonly #leaseS: number;
  /** Leaves the thread's lease renewal round (see joinRenewals); set while we hold any address. */
  #leaveRenewals: (() => void) | undefined;
  readonly #watchAddresses: NonNullable<NetlinkVipManagerOptions['watchAddresses']>;
  /** The shared address watches (interface and family, see #watchHeld) this manager is told by while it holds addresses. */
  #watching: string[] | undefined;
  /**
   * This thread's address watches, per watch function, interface and family: one watch tells every manager that
   * holds addresses there, instead of a watcher, a closure, a promise and a Map per manager (~1 KB an instance at 255
   * masters, and a re-read of the interface per manager at a mass takeover; docs/linux.md, "Memory per instance").
   */
  static readonly #sharedWatches = new WeakMap<NonNullable<NetlinkVipManagerOptions['watchAddresses']>, Map<string, { readonly managers: Set<NetlinkVipManager>; readonly stop: Promise<() => void> }>>();
  /** Addresses being removed by us right now: their disappearance is expected. */
  #removing: Set<string> | undefined;
  /** VIPs that could not be leased, reported once each. */
  #unleasedReported: Set<string> | undefined;
  /** VIPs (by interface and address) whose subnet has an address of the host on the interface, seen at `prepare`. */
  #secondaryVips: Set<string> | undefined;
  /** The addon's renewer of this manager's period (./vip/native-renewals.ts); undefined: the JavaScript round. */
  #native: NativeRenewals | undefined;

  /** Creates a manager; nothing touches the system until a method is called. */
  constructor(options: NetlinkVipManagerOptions = {}) {
    this.#announcer = options.announcer;
    this.#garp = { repeat: 5, delayMs: 5000, refreshMs: 0, ...options.garp };
    this.#stateDir = options.stateDir ?? markerDirectory();
    this.#onError = options.onError ?? ((error) => process.emitWarning(error.message, { type: 'VrrpWarning', code: 'VRRP_VIP_FAILED' }));
    const leaseMs = options.leaseMs ?? DEFAULT_VIP_LEASE_MS;
    this.#leaseS = leaseMs > 0 ? Math.ceil(leaseMs / 1000) : 0;
    this.#watchAddresses = options.watchAddresses ?? watchAddresses;
  }

  /** See {@link VipManager.setErrorHandler}. */
  setErrorHandler(handler: (error: Error) => void): void {
    this.#onError = handler;
  }

  /** Addresses this manager added and has not removed yet. */
  get added(): ReadonlySet<string> {
    return (this.#ours ??= new Set()); // the live set, as before: a caller may keep it
  }

  /**
   * See {@link VipManager.leaseRemainingMs}: the lifetime left since the kernel last set it (the add, or the
   * latest renewal it accepted), rounded lease included.
   */
  leaseRemainingMs(iface: string, address: string): number | undefined {
    if (this.#ours?.has(address) !== true) return undefined;
    // A scan of this instance's few entries, not a lookup by preparedKey: the engine thread reads every VIP's lease
    // after each step of its instance (its runtime for `status()`), and a key string per read was a tenth of what
    // that thread allocated at 50 masters.
    let entry: PreparedVip | undefined;
    for (const candidate of this.#prepared.values()) {
      if (candidate.vip.address === address && candidate.iface === iface) {
        entry = candidate;
        break;
      }
    }
    if (entry === undefined) return undefined;
    let at = entry.leasedAtMs;
    const renewed = entry.renewSlot === undefined ? undefined : this.#native?.renewedAt(entry.renewSlot);
    if (renewed !== undefined && (at === undefined || renewed > at)) at = renewed;
    return at === undefined ? undefined : Math.max(0, this.#leaseS * 1000 - (performance.now() - at));
  }

  /** Takeovers (`addAndAnnounce`) sent as one prepared native burst; the others went through add and announce. */
  get takeoverBursts(): number {
    return this.#burstCount;
  }

  /**
   * See {@link VipManager.prepare}: removes our leftovers of a crashed run, then gets every address ready for a
   * takeover (requests encoded, markers open, the announcement socket open).
   */
  async prepare(iface: string, addresses: readonly VirtualAddress[]): Promise<void> {
    this.#takeoverIface ??= iface;
    const link = await getInterface(iface);
    if (!link) return;
    this.#followIndex(iface);
    await this.#removeLeftovers(iface, link.index, addresses);
    await this.#noteSecondaries(iface, link.index, addresses);
    this.#prepareRequests(iface, link.index, addresses);
    try {
      this.#announcer?.warm?.(iface, addresses);
    } catch {
      // Reported when an announcement is actually attempted.
    }
    this.#prepareTakeover(iface, addresses);
    await this.#warmTakeover(iface, link.index, addresses);
  }

  /**
   * Notes the IPv4 VIPs shorter than /32 that join a subnet where the host has an address of its own: secondaries,
   * which may be leased (see #leaseFor). Before any request of theirs is made: `prepare`'s, and `adopt`'s, which a
   * reload's new engine calls first — without it an adopted /24 was judged unleasable, its lease turned to forever,
   * and a false `vip_failed` said so at every reload (found by review).
   */
  async #noteSecondaries(iface: string, index: number, addresses: readonly VirtualAddress[]): Promise<void> {
    if (this.#leaseS === 0 || !addresses.some((vip) => vip.family === 'ipv4' && vip.prefixLength < 32)) return;
    const hostAddresses = (await getInterfaceAddresses(index, 'ipv4')).filter((a) => !addresses.some((vip) => vip.address === a.address));
    for (const vip of addresses) {
      if (hostAddresses.some((a) => sameSubnet(a.address, vip.address, vip.prefixLength))) (this.#secondaryVips ??= new Set()).add(preparedKey(iface, vip.address));
    }
  }

  /** See {@link VipManager.warm}: the announcer's frames and the takeover path as `prepare` warmed them. */
  async warm(iface: string, addresses: readonly VirtualAddress[]): Promise<void> {
    const link = await getInterface(iface).catch(() => undefined);
    if (!link) return;
    try {
      this.#announcer?.warm?.(iface, addresses);
    } catch {
      // Reported when an announcement is actually attempted.
    }
    // A master's pending announcement bursts would be cancelled by the empty takeover's announce: it warms the
    // address request path only, and its next takeover (after a backup spell) runs that part of the path cold.
    await this.#warmTakeover(iface, link.index, addresses, (this.#ours?.size ?? 0) === 0);
  }

  async #warmTakeover(iface: string, ifindex: number, addresses: readonly VirtualAddress[], takeover = true): Promise<void> {
    const first = addresses[0];
    // What the engine hands the transport when it arms a takeover (native/vrrp_socket.c, "Armed takeovers").
    this.takeoverBurst(iface, addresses);
    await warmTakeover(iface, {
      addAndAnnounce: (name, list) => (takeover ? this.addAndAnnounce(name, list) : undefined),
      // Refused before any lookup (address-request.ts, `refused`). The exclusive add of another address read here
      // before, which this was, made that address again — for ever, unleased — if it went between read and request.
      ...(first ? { refusedAdd: () => sendNetlinkRequest(addressRequest(RTM_NEWADDR, ifindex, { ...first, label: undefined }, { refused: true })) } : {}),
    });
  }

  /**
   * See {@link VipManager.addAndAnnounce}. Prepared (always, after `prepare` with the addon, of either family): the
   * markers, the address requests and the first announcement burst go out in one native call, nothing in between
   * (measured in a namespace pair, 10 takeovers each: our gratuitous ARP left 0.15–0.23 ms after our advert, median
   * 0.18, against 0.21–0.37, median 0.30, through add and announce; keepalived's 0.08–0.17, median 0.10). Otherwise
   * `add` then `announce`. Acknowledgements are handled as `add` handles them.
   */
  addAndAnnounce(iface: string, addresses: readonly VirtualAddress[]): Promise<void> | void {
    const takeover = this.#takeover;
    // A burst a socket's alarm fired (an armed takeover) is taken even when its announcement socket was dropped
    // since (another instance's refused announcement, a MAC change): its addresses are up — an add now met EEXIST
    // and left them nobody's, unrenewed and never removed (found by review).
    // (Asked of the addon only when the socket check fails: a native call less on the takeover's path otherwise.)
    const current = takeover !== undefined && this.#takeoverValid(takeover, iface, addresses);
    if (takeover === undefined || !(current || (takeover.burst.fired() && this.#takeoverValid(takeover, iface, addresses, true)))) {
      const added = this.add(iface, addresses);
      const announce = (): Promise<void> => this.announce(iface, addresses).catch((cause: unknown) => {
        throw new VrrpError('announce_failed', `cannot announce on ${iface}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
      });
      const announced = added ? added.then(announce) : announce();
      // Ready for the next takeover (the interface may have been recreated, or the socket replaced).
      return announced.finally(() => this.#prepareTakeover(iface, addresses));
    }
    this.#cancelBursts(iface);
    const ours = (this.#ours ??= new Set());
    const nowMs = performance.now();
    for (const entry of takeover.entries) {
      ours.add(entry.vip.address);
      entry.oursSinceMs = nowMs;
    }
    const results = takeover.burst.run();
    this.#burstCount++;
    const requests: AddRequest[] = [];
    for (let i = 0; i < takeover.entries.length; i++) {
      const entry = takeover.entries[i] as PreparedVip;
      requests.push({ entry, reply: results[takeoverRequest(i)], wasOurs: false });
    }
    // A refused add throws here, before any announcement is counted: the caller must not claim the addresses.
    this.#settleAdds(iface, requests);
    let failure: string | undefined;
    for (let i = takeoverFirstFrame(takeover.entries.length); i < results.length && failure === undefined; i++) failure = results[i];
    if (failure !== undefined) {
      // As the announcer does with a socket that failed: drop it, so that the next announcement reopens it.
      this.#announcer?.close(iface);
      // A fired burst whose socket was dropped before it fired sent nothing: announced now on a socket opened anew,
      // then the later bursts as after any takeover (found by a last read: the takeover had no announcement at all).
      if (!current) {
        return this.announce(iface, addresses).then(
          () => this.#scheduleLaterBursts(iface, addresses),
          (cause: unknown) => {
            throw new VrrpError('announce_failed', `cannot announce on ${iface}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
          },
        );
      }
      // The addresses are up: only the announcement failed (the caller keeps the mastership; the next burst may pass).
      throw new VrrpError('announce_failed', `cannot announce on ${iface}: ${failure}`);
    }
    this.#scheduleLaterBursts(iface, addresses);
  }

  /**
   * See {@link VipManager.takeoverBurst}: the prepared burst when `addAndAnnounce` would run it now. Once a
   * transport fired it, that `addAndAnnounce` gets the fired run's results from it (native/burst.c, "Fired bursts").
   */
  takeoverBurst(iface: string, addresses: readonly VirtualAddress[]): TakeoverBurstHandle | undefined {
    let takeover = this.#takeover;
    // Asked as a takeover is armed: a burst whose unsolicited NAs carry a Router flag that `forwarding` no longer
    // says, or whose socket was dropped (a failed send; the interface's MAC changed, so its frames say the old one),
    // is built again now, so that the armed burst and the takeover's addAndAnnounce use the same, current one.
    if (
      takeover !== undefined &&
      takeover.iface === iface &&
      (this.#announcer?.isCurrent?.(takeover.round) === false || this.#announcer?.routerFlagCurrent?.(takeover.round) === false) &&
      // Never one that fired: its results wait for the addAndAnnounce of the takeover it made.
      !takeover.burst.fired()
    ) {
      this.#takeover = undefined;
      this.#prepareTakeover(iface, addresses);
      takeover = this.#takeover;
    }
    return takeover !== undefined && this.#takeoverValid(takeover, iface, addresses) ? takeover.burst : undefined;
  }

  /** Builds the takeover burst of `addresses` on `iface` when everything it needs is ready. */
  #prepareTakeover(iface: string, addresses: readonly VirtualAddress[]): void {
    // One burst per manager, the instance's interface's: another interface's would take its place.
    if (addresses.length === 0 || this.#garp.repeat === 0 || (this.#takeoverIface !== undefined && iface !== this.#takeoverIface)) return;
    const route = routeRequestSocket();
    let round: AnnouncementRound | undefined;
    try {
      round = this.#announcer?.prepareRound?.(iface, addresses);
    } catch {
      return; // no socket (yet): add() and announce() do it, and report why
    }
    if (route === null || round === undefined) return;
    const entries: PreparedVip[] = [];
    const operations: BurstOperation[] = [];
    for (const vip of addresses) {
      const entry = this.#prepared.get(preparedKey(iface, vip.address));
      if (entry?.marker === undefined) return; // no marker descriptor: add() writes it the slow way
      entries.push(entry);
      // Operations 2i and takeoverRequest(i) (see TakeoverBurst).
      operations.push({ kind: 'pwrite', fd: entry.marker, bytes: ADDING_RECORD });
      operations.push({ kind: 'route', socket: route, message: entry.addRequest.message });
    }
    for (let r = 0; r < this.#garp.repeat; r++) {
      for (const frame of round.frames) operations.push({ kind: 'frame', socket: round.socket, frame });
    }
    let burst: Burst;
    try {
      burst = prepareBurst(operations);
    } catch {
      return; // e.g. too many operations for one call: add() and announce() do it
    }
    this.#takeover = { iface, entries, round, burst };
  }

  #takeoverValid(takeover: TakeoverBurst, iface: string, addresses: readonly VirtualAddress[], fired = false): boolean {
    // The burst is this manager's (one per instance), checked against what it is asked to take over: the same
    // interface, the same addresses in the same order, its announcement socket still the interface's (unless it
    // fired: then it is what happened, whatever the socket now).
    if (takeover.iface !== iface || takeover.entries.length !== addresses.length || (!fired && this.#announcer?.isCurrent?.(takeover.round) !== true)) return false;
    for (let i = 0; i < addresses.length; i++) if ((takeover.entries[i] as PreparedVip).vip.address !== (addresses[i] as VirtualAddress).address) return false;
    for (const entry of takeover.entries) {
      // Ours already (a takeover without a release in between): add() knows not to rewrite its marker.
      if (this.#prepared.get(preparedKey(iface, entry.vip.address)) !== entry || this.#ours?.has(entry.vip.address) === true) return false;
    }
    return true;
  }

  /**
   * See {@link VipManager.add}. The requests are sent inside this call when the addresses were prepared (always,
   * after `prepare`): rtnetlink applies a request inside the sendmsg call, and with the addon its answer comes
   * back inside the call too, so the addresses are usable when it returns and the caller can announce them in the
   * same turn. A refusal (any answer but success or EEXIST) throws a `vip_failed` VrrpError naming each address and
   * the kernel's reason — synchronously with the addon, as a rejection without it.
   */
  add(iface: string, addresses: readonly VirtualAddress[]): Promise<void> | void {
    const ready: PreparedVip[] = [];
    for (const vip of addresses) {
      const entry = this.#prepared.get(preparedKey(iface, vip.address));
      if (entry === undefined) break;
      ready.push(entry);
    }
    if (ready.length === addresses.length) return this.#sendAdds(iface, ready);
    return this.#link(iface).then((index) => {
      this.#prepareRequests(iface, index, addresses);
      return this.#sendAdds(iface, addresses.map((vip) => this.#prepared.get(preparedKey(iface, vip.address)) as PreparedVip));
    });
  }

  /**
   * See {@link VipManager.adopt}: each address is ours from now on. Its lease is set anew at once by a
   * create-or-replace request, which also puts back one that went meanwhile; from then on it is renewed, watched and
   * its marker stamped as `add` does. A refusal (the interface went, say) throws a `vip_failed` VrrpError, as `add`.
   */
  adopt(iface: string, addresses: readonly VirtualAddress[]): Promise<void> {
    return this.#link(iface).then(async (index) => {
      // Best effort: an adopt that failed here would leave the addresses nobody's (a clean-up adopts, then removes).
      await this.#noteSecondaries(iface, index, addresses).catch(() => undefined);
      this.#prepareRequests(iface, index, addresses);
      const requests: AddRequest[] = [];
      const ours = (this.#ours ??= new Set());
      for (const vip of addresses) {
        const entry = this.#prepared.get(preparedKey(iface, vip.address)) as PreparedVip;
        const wasOurs = ours.has(vip.address);
        ours.add(vip.address);
        entry.oursSinceMs = performance.now();
        if (!wasOurs) this.#writeMarker(iface, entry, 'adding');
        // Not the add request (create|excl): the address is up, and its EEXIST would leave it nobody's.
        const request = entry.renewRequest ?? addressRequest(RTM_NEWADDR, index, vip, { refresh: true });
        requests.push({ entry, reply: sendNetlinkRequestNow(request), wasOurs });
      }
      return this.#settleAdds(iface, requests);
    });
  }

  #sendAdds(iface: string, entries: readonly PreparedVip[]): Promise<void> | void {
    // A loop, not map(): no function literal on the takeover's path (see prepare's warm-up).
    const requests: AddRequest[] = [];
    for (const entry of entries) {
      // Counted as ours from the moment we ask (create|excl), so that a remove racing the acknowledgement removes
      // it; an EEXIST answer takes it back. The marker goes first: a crash right after the kernel applied the
      // request must still leave a trace for the next run.
      const wasOurs = this.#ours?.has(entry.vip.address) === true;
      (this.#ours ??= new Set()).add(entry.vip.address);
      entry.oursSinceMs = performance.now();
      if (!wasOurs) this.#writeMarker(iface, entry, 'adding');
      requests.push({ entry, reply: sendNetlinkRequestNow(entry.addRequest), wasOurs });
    }
    return this.#settleAdds(iface, requests);
  }

  /**
   * Handles the kernel's answers to add requests: a refusal takes the address back out of ours and throws (see
   * {@link add}); the addresses that are up get their lease renewed and their markers stamped, in the background.
   * Synchronous when every answer is (the addon), else a promise of the same.
   */
  #settleAdds(iface: string, requests: readonly AddRequest[]): Promise<void> | void {
    let pending = false;
    for (let i = 0; i < requests.length; i++) if (typeof (requests[i] as AddRequest).reply === 'object') pending = true;
    if (!pending) return this.#judgeAdds(iface, requests, requests.map((request) => request.reply as string | undefined));
    const judged = Promise.all(requests.map((request) => request.reply)).then((errnos) => this.#judgeAdds(iface, requests, errnos));
    this.#acknowledgements = this.#acknowledgements.then(() => judged.catch(() => {}));
    return judged;
  }

  #judgeAdds(iface: string, requests: readonly AddRequest[], errnos: readonly (string | undefined)[]): void {
    const failures: string[] = [];
    const added: PreparedVip[] = [];
    for (let i = 0; i < requests.length; i++) {
      const { entry, wasOurs } = requests[i] as AddRequest;
      const errno = errnos[i];
      if (errno === undefined) {
        if (this.#ours?.has(entry.vip.address) === true) added.push(entry);
        continue;
      }
      const { vip } = entry;
      if (!wasOurs) {
        this.#ours?.delete(vip.address);
        this.#writeMarker(iface, entry, 'standby');
      }
      // ENODEV: the interface was recreated; look its index up again next time.
      if (errno === 'ENODEV') this.#forget(iface);
      if (errno === 'EEXIST') continue; // somebody else's address (or ours already): not ours to remove
      failures.push(`${vip.address}/${vip.prefixLength}: ${errno}`);
    }
    if (added.length > 0) this.#held(iface, added);
    if (failures.length > 0) throw new VrrpError('vip_failed', `cannot add ${failures.join(', ')} on ${iface}`);
  }

  /**
   * Addresses just added: their leases start being renewed, their interface's addresses watched, their markers
   * stamped — all after this turn, so that what the caller does now (a takeover announces) does not wait.
   */
  #held(iface: string, entries: readonly PreparedVip[]): void {
    const now = performance.now();
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as PreparedVip;
      if (entry.renewRequest !== undefined) entry.leasedAtMs = now;
    }
    if (this.#leaseS > 0) {
      if (this.#leaveRenewals === undefined) this.#native ??= NativeRenewals.for(this.#renewMs);
      this.#syncRenewals();
      if (this.#native === undefined && this.#leaveRenewals === undefined) this.#leaveRenewals = joinRenewals(this.#renewMs, this.#renewLeases);
    }
    // One watch per family held: an instance's excluded addresses may be of the other family.
    let families = 0;
    for (let i = 0; i < entries.length; i++) families |= (entries[i] as PreparedVip).vip.family === 'ipv4' ? 1 : 2;
    if ((families & 1) !== 0) this.#watchHeld(iface, 'ipv4');
    if ((families & 2) !== 0) this.#watchHeld(iface, 'ipv6');
    const stamped = nextTurn().then(() => this.#stampMarkers(iface, entries));
    this.#acknowledgements = this.#acknowledgements.then(() => stamped);
  }

  /**
   * The addon renews exactly the leases of the addresses we hold and are not removing (#renewLeases' rule), from the
   * next round on: called after each change of them. A renewer with no slot left hands this manager back to the
   * JavaScript round.
   */
  #syncRenewals(): void {
    const native = this.#native;
    if (native === undefined) return;
    for (const entry of this.#prepared.values()) {
      const request = this.#renewable(entry);
      if (request === undefined) {
        if (entry.renewSlot !== undefined) {
          native.release(entry.renewSlot);
          entry.renewSlot = entry.renewMessage = undefined;
        }
        continue;
      }
      if (entry.renewSlot === undefined) {
        const slot = native.take(request.message, (errno) => this.#renewalRefused(entry, errno));
        if (slot === undefined) {
          this.#stopNativeRenewals();
          return;
        }
        entry.renewSlot = slot;
        entry.renewMessage = request.message;
      } else if (entry.renewMessage !== request.message) {
        native.replace(entry.renewSlot, request.message);
        entry.renewMessage = request.message;
      }
    }
  }

  /** Frees this manager's slots; with `toRound`, its leases go back to the JavaScript round. */
  #stopNativeRenewals(toRound = true): void {
    for (const entry of this.#prepared.values()) {
      if (entry.renewSlot !== undefined) this.#native?.release(entry.renewSlot);
      entry.renewSlot = entry.renewMessage = undefined;
    }
    this.#native = undefined;
    if (toRound && this.#leaseS > 0 && this.#leaveRenewals === undefined) this.#leaveRenewals = joinRenewals(this.#renewMs, this.#renewLeases);
  }

  /**
   * How often leases are renewed: a third of the lease, so that two renewals may be missed (a loaded host) before
   * the kernel removes the address. The addon's renewer may renew up to a quarter of that sooner.
   */
  get #renewMs(): number {
    return Math.max(250, Math.floor((this.#leaseS * 1000) / 3));
  }

  /** The renewal request of an address whose lease is renewed — held and not being removed — else undefined. */
  #renewable(entry: PreparedVip): AddressRequest | undefined {
    return this.#ours?.has(entry.vip.address) === true && this.#removing?.has(entry.vip.address) !== true ? entry.renewRequest : undefined;
  }

  #renewalRefused(entry: PreparedVip, errno: string): void {
    this.#onError(new VrrpError('vip_failed', `cannot renew the lease of ${entry.vip.address}/${entry.vip.prefixLength} on ${entry.iface}: ${errno}`));
  }

  /** Renews the lease of every address we hold; a refusal is reported (the address may be gone at expiry). */
  readonly #renewLeases = (): void => {
    for (const entry of this.#prepared.values()) {
      const request = this.#renewable(entry);
      if (request === undefined) continue;
      const reply = sendNetlinkRequestNow(request);
      const sentAtMs = performance.now();
      const report = (errno: string | undefined): void => {
        if (errno === undefined) entry.leasedAtMs = sentAtMs; // a record replaced meanwhile kept the time it copied
        else this.#renewalRefused(entry, errno);
      };
      if (typeof reply === 'object') void reply.then(report);
      else report(reply);
    }
  };

  /**
   * An address snapshot of `iface` (after any address change on it): an address we hold that is missing was
   * removed behind our back — by a network manager, DHCP client or a person. It is added again at once (with its
   * lease) and reported: a master without its VIP serves nobody. Not on a link that is down: the kernel drops IPv6
   * addresses with the link, and the link monitor faults the instance (which removes its VIPs) — found by the
   * chaos run, where the VIP went back onto the down link.
   */
  #checkHeld(iface: string, family: 'ipv4' | 'ipv6', addresses: readonly InterfaceAddress[], linkUp: boolean, readAtMs: number): void {
    if (!linkUp) return;
    for (const entry of this.#prepared.values()) {
      const { vip } = entry;
      // `addresses` are the interface's of one family: an address of the other is told by its own watch.
      if (entry.iface !== iface || vip.family !== family || this.#ours?.has(vip.address) !== true || this.#removing?.has(vip.address) === true) continue;
      // A read asked for before we took it (two instances taking over on one interface in one wake-up: the other's
      // add set off this read) may miss it without anyone having deleted it; the next read, which its own add sets
      // off, tells. Found by the dead-engine lab test: a false "removed behind our back" for the second taker.
      if ((entry.oursSinceMs ?? 0) > readAtMs) continue;
      // A scan, not a set of `addresses` per call: every manager is told after each re-read of the interface, and
      // at 255 instances those sets were a sixth of what a mass start allocated (docs/linux.md, "Start-up garbage").
      if (addresses.some((address) => address.address === vip.address)) continue;
      const request = entry.renewRequest ?? entry.addRequest;
      const reply = sendNetlinkRequestNow(request);
      const report = (errno: string | undefined): void => {
        const outcome = errno === undefined || errno === 'EEXIST' ? 'added it again' : `could not add it again: ${errno}`;
        this.#onError(new VrrpError('vip_failed', `${vip.address}/${vip.prefixLength} was removed from ${iface} behind our back; ${outcome}`));
        // The kernel flushed a main-table IPv4 route whose source the VIP was, and the watch's put-back was refused
        // for want of that source (#putBackRoute): with the VIP back, the held routes and rules are checked (one
        // still there is no news).
        if (errno === undefined && this.#heldRoutes.size + this.#heldRules.size > 0) this.#putBackAll();
        // Back, it is a new address to the kernel (a new creation stamp): its marker must say so, or the run after
        // a crash takes it for somebody else's and leaves it up (see #stampMarkers).
        if (errno === undefined) {
          const stamped = this.#stampMarkers(iface, [entry]);
          this.#acknowledgements = this.#acknowledgements.then(() => stamped);
        }
      };
      if (typeof reply === 'object') void reply.then(report);
      else report(reply);
    }
  }

  /** No address held any more: stop renewing and watching. */
  #released(): void {
    if ((this.#ours?.size ?? 0) > 0) return;
    this.#leaveRenewals?.();
    this.#leaveRenewals = undefined;
    this.#unwatchHeld();
  }

  /** Joins the thread's address watch of `iface` and `family` (see #sharedWatches), made by the first to join. */
  #watchHeld(iface: string, family: 'ipv4' | 'ipv6'): void {
    const key = `${iface} ${family}`;
    if (this.#watching?.includes(key) === true) return;
    let watches = NetlinkVipManager.#sharedWatches.get(this.#watchAddresses);
    if (watches === undefined) NetlinkVipManager.#sharedWatches.set(this.#watchAddresses, (watches = new Map()));
    let watch = watches.get(key);
    if (watch === undefined) {
      const managers = new Set<NetlinkVipManager>();
      const stop = this.#watchAddresses(iface, family, (addresses, linkUp, readAtMs) => {
        for (const manager of managers) manager.#checkHeld(iface, family, addresses, linkUp, readAtMs);
      });
      // Without the watch, an address removed behind our back is found only by a lease renewal (if leased): say so.
      stop.catch((error: unknown) => {
        const failure = new VrrpError('vip_failed', `cannot watch the addresses of ${iface} (${family}): ${error instanceof Error ? error.message : String(error)}; an address removed behind our back is not restored until a lease renewal`, { cause: error });
        for (const manager of managers) manager.#onError(failure);
      });
      watches.set(key, (watch = { managers, stop }));
    }
    watch.managers.add(this);
    (this.#watching ??= []).push(key);
  }

  /** Leaves the address watches this manager joined; the last to leave one stops it. */
  #unwatchHeld(): void {
    const watching = this.#watching;
    if (watching === undefined) return;
    this.#watching = undefined;
    const watches = NetlinkVipManager.#sharedWatches.get(this.#watchAddresses);
    for (const key of watching) {
      const watch = watches?.get(key);
      if (watch === undefined || !watch.managers.delete(this) || watch.managers.size > 0) continue;
      watches?.delete(key);
      void watch.stop.then((stop) => stop(), () => {});
    }
  }

  /** See {@link VipManager.remove}. Only addresses this manager added are removed. */
  async remove(iface: string, addresses: readonly VirtualAddress[]): Promise<void> {
    this.#cancelBursts(iface);
    await this.#acknowledgements;
    const failures: string[] = [];
    for (const vip of addresses) {
      if (this.#ours?.has(vip.address) !== true) continue;
      let entry = this.#prepared.get(preparedKey(iface, vip.address));
      (this.#removing ??= new Set()).add(vip.address);
      // Not renewed from here on: a renewal (create|replace) after the delete would bring the address back.
      this.#syncRenewals();
      let removed = false;
      try {
        if (!entry) {
          this.#prepareRequests(iface, await this.#link(iface), [vip]);
          entry = this.#prepared.get(preparedKey(iface, vip.address)) as PreparedVip;
        }
        const errno = await deleteAddress(entry.deleteRequest);
        if (errno !== undefined) throw new Error(errno);
        removed = true;
      } catch (error) {
        failures.push(`${vip.address}/${vip.prefixLength}: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        this.#removing?.delete(vip.address);
      }
      if (removed) {
        this.#ours?.delete(vip.address);
        (entry as PreparedVip).leasedAtMs = undefined;
        this.#writeMarker(iface, entry as PreparedVip, 'standby');
      }
      this.#syncRenewals(); // still ours after a failed delete: renewed again
    }
    this.#released();
    if (failures.length > 0) throw new VrrpError('vip_failed', `cannot remove ${failures.join(', ')} from ${iface}`);
  }

  /**
   * See {@link VipManager.addRoutes}: each route installed with our protocol (112, src/linux/vip/route-request.ts),
   * all tried, the failures named together. A route that is there already (EEXIST) counts as a failure: it is not
   * ours — ours went at start and on release — and is left as it is.
   */
  async addRoutes(routes: readonly VirtualRoute[]): Promise<void> {
    const failures: string[] = [];
    const devices: DeviceIndexes = new Map();
    for (const route of routes) {
      const errno = await this.#installRoute(route, undefined, devices);
      if (errno !== undefined) {
        failures.push(`${formatVirtualRoute(route)}: ${errno === 'EEXIST' ? 'EEXIST (a route to it is there already, not ours; left as it is)' : errno}`);
        continue;
      }
      // Watched from the moment it is in: a deletion while the others go in is put back too.
      this.#heldRoutes.set(routeKey(route), route);
      this.#holdRouting();
    }
    if (failures.length > 0) throw new VrrpError('route_failed', `cannot install ${failures.join(', ')}`);
  }

  /**
   * See {@link VipManager.adoptRouting}: each route and rule installed again if it went meanwhile, and held —
   * watched and put back — from now on. Up already (EEXIST) is what is expected here: the engine before installed it
   * with our protocol, and a rule's EEXIST names ours alone (see addRules).
   */
  async adoptRouting(routes: readonly VirtualRoute[], rules: readonly VirtualRule[]): Promise<void> {
    const failures: string[] = [];
    const devices: DeviceIndexes = new Map();
    for (const route of routes) {
      const errno = await this.#installRoute(route, undefined, devices);
      if (errno !== undefined && errno !== 'EEXIST') failures.push(`${formatVirtualRoute(route)}: ${errno}`);
      else this.#heldRoutes.set(routeKey(route), route);
    }
    for (const rule of rules) {
      const errno = await this.#installRule(rule);
      if (errno !== undefined && errno !== 'EEXIST') failures.push(`${formatVirtualRule(rule)}: ${errno}`);
      else this.#heldRules.set(ruleKey(rule), rule);
    }
    this.#holdRouting();
    if (failures.length > 0) throw new VrrpError('route_failed', `cannot take over ${failures.join(', ')}`);
  }

  /**
   * Installs one route: the errno name of a refusal (or the reason it could not be asked), undefined when done.
   * With `stillWanted`, asked again just before the request goes (the device's index is looked up first, and a
   * removal may have begun meanwhile): false, and nothing is sent.
   */
  async #installRoute(route: VirtualRoute, stillWanted?: () => boolean, devices: DeviceIndexes = new Map()): Promise<string | undefined> {
    try {
      let oif: number | undefined;
      if (route.dev !== undefined) {
        oif = await deviceIndex(route.dev, devices);
        if (oif === undefined) throw new Error(`interface ${route.dev} does not exist`);
      }
      const request = routeRequest(RTM_NEWROUTE, route, oif, HOST_LITTLE_ENDIAN);
      if (stillWanted !== undefined && !stillWanted()) return undefined;
      return await sendNetlinkRequest(request);
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  /** Installs one rule: as {@link #installRoute} (a rule's request needs no look-up). */
  async #installRule(rule: VirtualRule): Promise<string | undefined> {
    try {
      return await sendNetlinkRequest(ruleRequest(RTM_NEWRULE, rule, HOST_LITTLE_ENDIAN));
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  /** The routes and rules this manager installed and has not removed, by key: the ones it puts back when they go. */
  readonly #heldRoutes = new Map<string, VirtualRoute>();
  readonly #heldRules = new Map<string, VirtualRule>();

  /**
   * Told by the thread's routing watch (src/linux/vip/routing-watch.ts) when a route or rule it holds was deleted
   * behind its back — by hand, or an IPv6 route with its device: installed again at once and reported, as a VIP
   * removed behind our back is. keepalived makes the instance backup instead, which takes it back after its skew
   * time and installs them again (docs/linux.md, "Virtual routes and rules"). After notifications were lost, every
   * route and rule held is installed again, and the ones that were missing are reported.
   */
  readonly #routingHolder: RoutingHolder = {
    routeDeleted: (route) => void this.#putBackRoute(route, false),
    ruleDeleted: (rule) => void this.#putBackRule(rule, false),
    lost: () => this.#putBackAll(),
  };

  /** Puts back every route and rule held: after lost notifications, and after a VIP came back (see #checkHeld). */
  #putBackAll(): void {
    for (const route of this.#heldRoutes.values()) void this.#putBackRoute(route, true);
    for (const rule of this.#heldRules.values()) void this.#putBackRule(rule, true);
  }

  /**
   * Installs a held route again and says so. `unsure`: not known to be gone (a check after lost notifications), so
   * a route that is still there (EEXIST) is no news. Never rejects: a throwing error handler is not ours to tell.
   */
  async #putBackRoute(route: VirtualRoute, unsure: boolean): Promise<void> {
    const held = (): boolean => this.#heldRoutes.has(routeKey(route));
    if (!held()) return;
    const errno = await this.#installRoute(route, held);
    if (!held()) return; // released meanwhile: nothing was sent, or the removal under way takes it away again
    // Its source is a VIP of ours that went too (the kernel flushed the route with it): the VIP's own watch puts the
    // VIP back and then the routes (#checkHeld), so this first try, refused for want of the source, is no news.
    if (errno === 'EINVAL' && route.src !== undefined && this.#ours?.has(route.src) === true) return;
    this.#reportPutBack(formatVirtualRoute(route), errno, unsure);
  }

  /** As {@link #putBackRoute}, for a rule. */
  async #putBackRule(rule: VirtualRule, unsure: boolean): Promise<void> {
    const held = (): boolean => this.#heldRules.has(ruleKey(rule));
    if (!held()) return;
    const errno = await this.#installRule(rule);
    if (!held()) return; // released after the request went: the removal that follows takes it away again
    this.#reportPutBack(formatVirtualRule(rule), errno, unsure);
  }

  #reportPutBack(what: string, errno: string | undefined, unsure: boolean): void {
    if (unsure && errno === 'EEXIST') return;
    const outcome = errno === undefined ? 'installed it again' : `could not install it again: ${errno === 'EEXIST' ? 'EEXIST (one like it is there, not ours)' : errno}`;
    try {
      this.#onError(new VrrpError('route_failed', `${what} was removed behind our back; ${outcome}`));
    } catch {
      // The handler's own failure: nobody left to tell.
    }
  }

  #holdRouting(): void {
    holdRouting(this.#routingHolder, this.#heldRoutes, this.#heldRules);
  }

  /**
   * See {@link VipManager.removeRoutes}: only a route of our protocol goes (the kernel matches it). Gone already
   * (ESRCH: the kernel removes a main-table IPv4 route whose source address went, and the routes of a device taken
   * down) is no failure; nor is a `dev` that no longer exists, which took its routes with it.
   */
  async removeRoutes(routes: readonly VirtualRoute[]): Promise<void> {
    const failures: string[] = [];
    // No longer put back: the deletions that follow are ours.
    for (const route of routes) this.#heldRoutes.delete(routeKey(route));
    this.#holdRouting();
    const devices: DeviceIndexes = new Map();
    for (const route of routes) {
      try {
        let oif: number | undefined;
        if (route.dev !== undefined) {
          oif = await deviceIndex(route.dev, devices);
          if (oif === undefined) continue;
        }
        const errno = await sendNetlinkRequest(routeRequest(RTM_DELROUTE, route, oif, HOST_LITTLE_ENDIAN));
        if (errno !== undefined && errno !== 'ESRCH' && errno !== 'ENOENT') failures.push(`${formatVirtualRoute(route)}: ${errno}`);
      } catch (error) {
        failures.push(`${formatVirtualRoute(route)}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (failures.length > 0) throw new VrrpError('route_failed', `cannot remove ${failures.join(', ')}`);
  }

  /**
   * See {@link VipManager.addRules}: each rule installed with our protocol (112), all tried, the failures named
   * together. EEXIST means the same rule of ours is there (the kernel compares the protocol too: an administrator's
   * identical rule does not stop ours from going in beside it); it is left as it is.
   */
  async addRules(rules: readonly VirtualRule[]): Promise<void> {
    const failures: string[] = [];
    for (const rule of rules) {
      const errno = await this.#installRule(rule);
      if (errno !== undefined) {
        failures.push(`${formatVirtualRule(rule)}: ${errno === 'EEXIST' ? 'EEXIST (the same rule is there already; left as it is)' : errno}`);
        continue;
      }
      this.#heldRules.set(ruleKey(rule), rule);
      this.#holdRouting();
    }
    if (failures.length > 0) throw new VrrpError('route_failed', `cannot install ${failures.join(', ')}`);
  }

  /** See {@link VipManager.removeRules}: only a rule of our protocol goes; one gone already (ENOENT) is no failure. */
  async removeRules(rules: readonly VirtualRule[]): Promise<void> {
    const failures: string[] = [];
    for (const rule of rules) this.#heldRules.delete(ruleKey(rule));
    this.#holdRouting();
    for (const rule of rules) {
      let errno: string | undefined;
      try {
        errno = await sendNetlinkRequest(ruleRequest(RTM_DELRULE, rule, HOST_LITTLE_ENDIAN));
      } catch (error) {
        errno = error instanceof Error ? error.message : String(error);
      }
      if (errno !== undefined && errno !== 'ENOENT' && errno !== 'ESRCH') failures.push(`${formatVirtualRule(rule)}: ${errno}`);
    }
    if (failures.length > 0) throw new VrrpError('route_failed', `cannot remove ${failures.join(', ')}`);
  }

  /** See {@link VipManager.announce}: a burst now, then keepalived's second burst and refreshes, until `remove`. */
  async announce(iface: string, addresses: readonly VirtualAddress[]): Promise<void> {
    const announcer = this.#announcer;
    if (!announcer || this.#garp.repeat === 0) return;
    this.#cancelBursts(iface);
    await announcer.announce(iface, addresses, { repeat: this.#garp.repeat });
    this.#scheduleLaterBursts(iface, addresses); // nothing for an empty list (the warm-up's)
  }

  /** keepalived's second burst (`delayMs`) and refreshes (`refreshMs`) after a first burst, until `remove`. */
  #scheduleLaterBursts(iface: string, addresses: readonly VirtualAddress[]): void {
    const announcer = this.#announcer;
    if (!announcer || addresses.length === 0) return;
    const later = (delayMs: number, repeatEvery: boolean): void => {
      const timer = (repeatEvery ? setInterval : setTimeout)(() => {
        if (!repeatEvery) this.#timers?.delete(timer);
        Promise.resolve()
          .then(() => announcer.announce(iface, addresses, { repeat: this.#garp.repeat }))
          .catch((cause: unknown) =>
            this.#onError(new VrrpError('vip_failed', `scheduled announcement on ${iface} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })),
          );
      }, delayMs);
      timer.unref();
      (this.#timers ??= new Map()).set(timer, iface);
    };
    for (const burst of laterBursts(this.#garp)) later(burst.delayMs, burst.repeating);
  }

  /** See {@link VipManager.createVmac}: ./vmac.ts makes it (or takes the one there) and sets its sysctls. */
  async createVmac(request: VmacRequest): Promise<string> {
    const vmac = await ensureVmac({ base: request.base, family: request.family, vrid: request.vrid, name: request.name, source: request.source, xmitBase: request.xmitBase, stateDir: this.#stateDir }, this);
    // A VMAC made again is a new link: what was prepared for the old one (requests, markers, the takeover burst) and
    // the announcer's socket on it would meet ENODEV / ENXIO. The engine's prepare() that follows builds them anew.
    const before = this.#vmacIndexes.get(vmac.name);
    if (before !== undefined && before !== vmac.index) {
      this.#forget(vmac.name);
      this.#announcer?.close(vmac.name);
    }
    this.#vmacIndexes.set(vmac.name, vmac.index);
    // Said once per VMAC and index, whichever engine holds it: it works without its guard, less well (./vmac.ts).
    if (vmac.unguarded !== undefined && !vmac.unguardedSaid) {
      vmac.unguardedSaid = true;
      this.#onError(new VrrpError('vip_failed', vmac.unguarded));
    }
    return vmac.name;
  }

  /** The index each VMAC had when this manager last made or took it (see createVmac). */
  readonly #vmacIndexes = new Map<string, number>();

  /** See {@link VipManager.removeVmac}; `spec`: what the VMAC was made for, when no hold of this thread says it. */
  removeVmac(name: string, spec?: VmacRequest): Promise<void> {
    return removeVmac(name, this, spec === undefined ? undefined : { base: spec.base, family: spec.family, vrid: spec.vrid, name, stateDir: this.#stateDir });
  }

  /**
   * See {@link VipManager.close}. Markers of addresses we no longer hold are deleted; a marker of an address still
   * up (its removal failed) stays for the next run to clean.
   */
  close(): void {
    this.#stopIndexWatches();
    releaseRouting(this.#routingHolder);
    releaseVmacs(this); // held for the next engine after a handover; a stop deletes them next (Engine.stop)
    this.#cancelBursts();
    this.#stopNativeRenewals(false);
    this.#leaveRenewals?.();
    this.#leaveRenewals = undefined;
    this.#unwatchHeld();
    this.#announcer?.close();
    const ifaces = new Set<string>();
    for (const entry of this.#prepared.values()) {
      ifaces.add(entry.iface);
      this.#closeMarker(entry);
      if (this.#ours?.has(entry.vip.address) !== true) rmSync(this.#markerPath(entry.iface, entry.vip.address), { force: true });
    }
    this.#prepared.clear();
    for (const iface of ifaces) this.#removeEmptyMarkerDirs(iface);
  }

  /**
   * The interface's marker directory and its namespace's, when nothing is left in them: a namespace's inode names
   * its directory, and a host that makes namespaces by the thousand (containers) would keep one empty directory per
   * namespace ever used. A directory still holding a marker (another instance's, a failed removal's) stays.
   */
  #removeEmptyMarkerDirs(iface: string): void {
    const dir = this.#markerDir(iface);
    for (const path of [dir, dirname(dir)]) {
      try {
        rmdirSync(path);
      } catch {
        return; // not empty (ENOTEMPTY), already gone, or not ours to remove: leave it
      }
    }
  }

  /** The link watch of each interface prepared on: its stop, once it started (see #followIndex). */
  #indexWatches: Map<string, Promise<(() => void) | undefined>> | undefined;

  /**
   * Follows `iface`'s index: an interface deleted and made again under the same name is a new link, and what was
   * prepared for the old one (requests carrying its index, the takeover burst) would fail the first takeover with
   * ENODEV. So it is prepared again for the new one, in the background; a failure is reported. A watch that cannot
   * start (no rtnetlink events) leaves that to the ENODEV, as before.
   */
  #followIndex(iface: string): void {
    const watches = (this.#indexWatches ??= new Map());
    if (watches.has(iface)) return;
    const watch = watchLink(iface, (link) => {
      // A VMAC of ours is made again by its engine, which prepares it again itself (see createVmac).
      if (this.#vmacIndexes.has(iface)) return;
      let vips: VirtualAddress[] | undefined;
      for (const entry of this.#prepared.values()) {
        if (entry.iface !== iface || entry.index === link.index) continue;
        (vips ??= []).push(entry.vip);
      }
      if (vips === undefined) return;
      this.#forget(iface);
      if (this.#takeover?.iface === iface) this.#takeover = undefined;
      this.prepare(iface, vips).catch((cause: unknown) =>
        this.#onError(new VrrpError('vip_failed', `could not prepare ${iface}'s addresses again after it was made anew: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })),
      );
    }).then(
      (stop) => {
        if (this.#indexWatches?.get(iface) !== watch) stop(); // closed while the watch started
        return stop;
      },
      () => undefined,
    );
    watches.set(iface, watch);
  }

  #stopIndexWatches(): void {
    const watches = this.#indexWatches;
    if (watches === undefined) return;
    this.#indexWatches = undefined;
    for (const watch of watches.values()) void watch.then((stop) => stop?.());
  }

  /** Cancels the later bursts on `iface`, or on every interface. */
  #cancelBursts(iface?: string): void {
    const timers = this.#timers;
    if (timers === undefined) return;
    for (const [timer, on] of timers) {
      if (iface !== undefined && on !== iface) continue;
      clearTimeout(timer);
      timers.delete(timer);
    }
    if (timers.size === 0) this.#timers = undefined;
  }

  async #link(iface: string): Promise<number> {
    for (const entry of this.#prepared.values()) if (entry.iface === iface) return entry.index;
    const link = await getInterface(iface);
    if (!link) throw new VrrpError('vip_failed', `interface ${iface} does not exist`);
    return link.index;
  }

  /** Drops what was prepared for `iface` (its index changed); the next call prepares again. */
  #forget(iface: string): void {
    for (const [key, entry] of this.#prepared) {
      if (entry.iface !== iface) continue;
      this.#closeMarker(entry);
      // The old index's renewals would only be refused now.
      if (entry.renewSlot !== undefined) this.#native?.release(entry.renewSlot);
      this.#prepared.delete(key);
    }
  }

  /** Encodes the requests of `addresses` and opens their markers (state `standby`, or kept if we hold it). */
  #prepareRequests(iface: string, index: number, addresses: readonly VirtualAddress[]): void {
    for (const vip of addresses) {
      const key = preparedKey(iface, vip.address);
      const old = this.#prepared.get(key);
      if (old?.index === index) continue;
      if (old) this.#closeMarker(old);
      const leaseS = this.#leaseFor(iface, vip);
      const entry: PreparedVip = {
        vip,
        iface,
        index,
        addRequest: addressRequest(RTM_NEWADDR, index, vip, { leaseS, kept: true }),
        deleteRequest: addressRequest(RTM_DELADDR, index, { ...vip, label: undefined }, { kept: true }),
        renewRequest: leaseS === undefined ? undefined : addressRequest(RTM_NEWADDR, index, vip, { leaseS, refresh: true, kept: true }),
        marker: this.#openMarker(iface, vip.address),
        // A held address's lease carries over; its renewal slot too, given the new request by #syncRenewals.
        leasedAtMs: old?.leasedAtMs,
        renewSlot: old?.renewSlot,
        renewMessage: old?.renewMessage,
        oursSinceMs: old?.oursSinceMs,
      };
      this.#prepared.set(key, entry);
      this.#writeMarker(iface, entry, this.#ours?.has(vip.address) === true ? 'adding' : 'standby');
    }
  }

  /**
   * The lease of `vip` on `iface` in seconds, or undefined for none: leases off, or an IPv4 VIP shorter than /32
   * that could be its subnet's primary address on an interface without `promote_secondaries` (see the file
   * comment), which is reported once.
   */
  #leaseFor(iface: string, vip: VirtualAddress): number | undefined {
    if (this.#leaseS === 0) return undefined;
    const key = preparedKey(iface, vip.address);
    if (vip.family === 'ipv6' || vip.prefixLength === 32 || this.#secondaryVips?.has(key) === true || promotesSecondaries(iface)) return this.#leaseS;
    if (this.#unleasedReported?.has(key) !== true) {
      (this.#unleasedReported ??= new Set()).add(key);
      this.#onError(
        new VrrpError(
          'vip_failed',
          `${vip.address}/${vip.prefixLength} on ${iface} gets no lease: it would be the primary address of its subnet, and without net.ipv4.conf.${iface}.promote_secondaries=1 its expiry would delete the subnet's other addresses; it stays until removed (use a /32 VIP, an address of the host in its subnet, or set promote_secondaries)`,
        ),
      );
    }
    return undefined;
  }

  /** Removes the addresses that a dead run of ours left behind, as its markers tell; never anything else. */
  async #removeLeftovers(iface: string, index: number, addresses: readonly VirtualAddress[]): Promise<void> {
    const dir = this.#markerDir(iface);
    let markers: string[];
    try {
      markers = readdirSync(dir);
    } catch {
      return;
    }
    for (const marker of markers) {
      const vip = addresses.find((candidate) => isMarkerOf(marker, candidate.address));
      // Ours now (adopted from the engine this one replaced: VipManager.adopt): not a leftover.
      if (!vip || this.#ours?.has(vip.address) === true) continue;
      // This manager's own open marker (a second prepare: a VMAC made again with the same index): not a dead
      // thread's — removed, every later write went to an unlinked file (found by review).
      if (marker === markerFileName(vip.address, process.pid) && this.#prepared.get(preparedKey(iface, vip.address))?.marker !== undefined) continue;
      let text: string;
      try {
        text = readFileSync(join(dir, marker), 'utf8');
      } catch {
        continue;
      }
      const parsed = parseMarker(text);
      const alive = parsed !== undefined && parsed.owner.pid !== process.pid && ownerAlive(parsed.owner, ownerFacts(parsed.owner.pid));
      if (alive) continue; // a live process holds it: not a leftover, and not ours to touch
      // One read of the interface's addresses: the stamp judges the leftover, and its entry gives the prefix to delete.
      const table = parsed !== undefined && parsed.state !== 'standby' ? addressTables(await getAllAddresses()).get(index) : undefined;
      const verdict = judgeLeftover(parsed, { self: selfOwner(), ownerAlive: alive, presentStamp: table?.stamps.get(vip.address) });
      if (verdict === 'keep') continue;
      if (verdict === 'remove') {
        // With the prefix it has, not the configured one: the kernel deletes only an exact match, and a run whose
        // configuration changed the prefix after a crash left its leftover up (found by review).
        const present = [...(table?.ipv4 ?? []), ...(table?.ipv6 ?? [])].find((one) => one.address === vip.address);
        if (present !== undefined) {
          const errno = await deleteAddress(addressRequest(RTM_DELADDR, index, { ...vip, prefixLength: present.prefixLength, label: undefined }));
          if (errno !== undefined) throw new VrrpError('vip_failed', `cannot remove the leftover ${vip.address}/${present.prefixLength} from ${iface}: ${errno}`);
        }
      }
      rmSync(join(dir, marker), { force: true });
    }
  }

  /**
   * Writes the kernel's creation time of each address (centiseconds since boot) into its marker: the address's
   * identity. A later run then removes a leftover only if it is that very address — not one somebody configured by
   * hand after the namespace (and its inode, which names the marker directory) was recycled.
   */
  async #stampMarkers(iface: string, entries: readonly PreparedVip[]): Promise<void> {
    if (entries.length === 0) return;
    try {
      const stamps = await addressCreationStamps(entries[0]?.index ?? 0);
      for (const entry of entries) {
        const stamp = stamps.get(entry.vip.address);
        if (stamp !== undefined && this.#ours?.has(entry.vip.address) === true) this.#writeMarker(iface, entry, stamp);
      }
    } catch {
      // Without the stamp, the pid alone decides (see #removeLeftovers).
    }
  }

  #markerDir(iface: string): string {
    return join(this.#stateDir, networkNamespaceId(), iface);
  }

  #markerPath(iface: string, address: string): string {
    return join(this.#markerDir(iface), markerFileName(address, process.pid));
  }

  #openMarker(iface: string, address: string): number | undefined {
    // Twice: another process of this namespace may remove the directory, empty, between our mkdir and open (see
    // #removeEmptyMarkerDirs).
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        mkdirSync(this.#markerDir(iface), { recursive: true });
        return openSync(this.#markerPath(iface, address), 'w');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') break;
      }
    }
    return undefined; // markers are best effort (see #writeMarker)
  }

  #closeMarker(entry: PreparedVip): void {
    if (entry.marker === undefined) return;
    try {
      closeSync(entry.marker);
    } catch {
      // already closed
    }
    entry.marker = undefined;
  }

  #writeMarker(iface: string, entry: PreparedVip, state: MarkerState): void {
    // Markers only help a later run clean up after a crash; failing to write one must not block a takeover.
    const record = state === 'adding' ? ADDING_RECORD : ownRecord(state);
    try {
      if (entry.marker !== undefined) writeSync(entry.marker, record, 0, record.length, 0);
      else writeFileSync(this.#markerPath(iface, entry.vip.address), record);
    } catch {
      // see above
    }
  }
}

let self: MarkerOwner | undefined;

/** This process as markers name it: its pid and start time (read once; without /proc, the pid alone). */
function selfOwner(): MarkerOwner {
  if (self === undefined) self = { pid: process.pid, startTicks: ownerFacts(process.pid).startTicksNow };
  return self;
}

/** One marker line: this process and the state, padded to the fixed width that lets pwrite replace it in place. */
function ownRecord(state: MarkerState): Uint8Array {
  return markerRecord(selfOwner(), state);
}

/** The record a takeover writes, encoded once: its pwrite sits between the advert and the gratuitous ARP. */
const ADDING_RECORD = ownRecord('adding');

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function preparedKey(iface: string, address: string): string {
  return `${iface} ${address}`;
}

/** Interface indexes by name, looked up once per call that installs or removes routes (see deviceIndex). */
type DeviceIndexes = Map<string, Promise<number | undefined>>;

/**
 * The index of interface `name`, undefined when it does not exist: looked up at each install or removal (an
 * interface made again has a new one), once per call however many of its routes name it (each look-up is a dump).
 */
function deviceIndex(name: string, devices: DeviceIndexes): Promise<number | undefined> {
  let index = devices.get(name);
  if (index === undefined) devices.set(name, (index = getInterface(name).then((link) => link?.index)));
  return index;
}

/** Creation time (IFA_CACHEINFO cstamp, centiseconds since boot) of every address on an interface. */
async function addressCreationStamps(index: number): Promise<ReadonlyMap<string, number>> {
  return addressTables(await getAllAddresses()).get(index)?.stamps ?? new Map<string, number>();
}

/**
 * An address request for this host (netlink headers are in host byte order), leased for `leaseS` seconds; `kept`
 * for a prepared one, which lives as long as its VIP and goes to the addon (see ./kept-bytes.ts).
 */
function addressRequest(type: typeof RTM_NEWADDR | typeof RTM_DELADDR, index: number, vip: VirtualAddress, options: { leaseS?: number | undefined; refresh?: boolean; kept?: boolean; refused?: boolean } = {}): AddressRequest {
  const { leaseS, refresh = false, kept = false, refused = false } = options;
  return encodeAddressRequest(type, index, vip, { littleEndian: HOST_LITTLE_ENDIAN, ...(leaseS === undefined ? {} : { leaseS }), refresh, refused, ...(kept ? { allocate: keptBytes } : {}) });
}

/** Whether two IPv4 addresses share their first `prefixLength` bits. */
function sameSubnet(a: string, b: string, prefixLength: number): boolean {
  const x = parseIp(a)?.bytes;
  const y = parseIp(b)?.bytes;
  if (x === undefined || y === undefined || x.length !== y.length) return false;
  for (let bit = 0; bit < prefixLength; bit++) {
    const mask = 0x80 >> (bit % 8);
    if (((x[bit >> 3] as number) & mask) !== ((y[bit >> 3] as number) & mask)) return false;
  }
  return true;
}

/** Whether the interface promotes a secondary address when its subnet's primary goes (sysctl, per interface). */
function promotesSecondaries(iface: string): boolean {
  // The kernel's IN_DEV_ORCONF: `all` or the interface's own (found by review: `all` alone was not seen).
  const on = (name: string): boolean => {
    try {
      return readFileSync(`/proc/sys/net/ipv4/conf/${name}/promote_secondaries`, 'utf8').trim() === '1';
    } catch {
      return false;
    }
  };
  return on('all') || on(iface);
}

/** Deletes one address: resolves with the errno name of a failure; an address already gone is not one. */
async function deleteAddress(request: AddressRequest): Promise<string | undefined> {
  const errno = await sendNetlinkRequest(request);
  // Already gone: with its interface too (ENODEV: a VMAC deleted behind our back takes its addresses with it).
  if (errno === 'EADDRNOTAVAIL' || errno === 'ENOENT' || errno === 'ESRCH' || errno === 'ENODEV') return undefined;
  return errno;
}

/** Whether `pid` is alive, and the start time of the process that has it now (see vip/markers.ts, ownerAlive). */
function ownerFacts(pid: number): { pidAlive: boolean; startTicksNow: number | undefined } {
  if (!Number.isInteger(pid) || pid <= 0) return { pidAlive: false, startTicksNow: undefined };
  let pidAlive: boolean;
  try {
    process.kill(pid, 0);
    pidAlive = true;
  } catch (error) {
    pidAlive = (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (!pidAlive) return { pidAlive, startTicksNow: undefined };
  try {
    return { pidAlive, startTicksNow: processStartTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')) };
  } catch {
    return { pidAlive, startTicksNow: undefined };
  }
}
