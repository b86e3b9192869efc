/**
 * Virtual addresses through rtnetlink, and their announcement.
 *
 * Rules:
 * - Never remove an address we did not add: an address that already existed when we added it (EEXIST) stays the
 *   user's. What we add is recorded both in memory and in a marker file, so that a run that crashed with VIPs up
 *   can be cleaned by the next run (`prepare`) — only addresses whose marker names a dead process are touched.
 * - Markers live in /run/vrrp/<network namespace>/<interface>/<address>, holding the owner's pid and a state:
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
 */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';
import { join } from 'node:path';
import type { VipManager } from '../adapters/types.js';
import type { GarpConfig, VirtualAddress } from '../config.js';
import { parseIp } from '../core/ip-address.js';
import { VrrpError } from '../errors.js';
import { AF, changeRequestSocket, getAllAddresses, getInterface, getInterfaceAddresses, netlinkErrno, toInterfaceAddress } from './interfaces.js';
import { judgeLeftover, markerRecord, parseMarker, type MarkerState } from './vip/markers.js';
import { laterBursts } from './vip/schedule.js';
import { warmTakeover } from './warm-up.js';
import { addressRequest as encodeAddressRequest, RTM_DELADDR, RTM_NEWADDR, type AddressRequest } from './vip/address-request.js';
import type { AnnouncementRound } from './announcer.js';
import { openRouteRequestSocket, PacketSocketError, prepareBurst, type Burst, type BurstOperation, type RouteRequestSocket } from './packet-socket.js';

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
   */
  prepareRound?(ifname: string, addresses: readonly VirtualAddress[]): AnnouncementRound | undefined;
  /** Optional, with `prepareRound`: whether a prepared round's socket is still its interface's. */
  isCurrent?(round: AnnouncementRound): boolean;
}

/** Options of {@link NetlinkVipManager}. */
export interface NetlinkVipManagerOptions {
  /** Sends the frames; without one, `announce` does nothing (e.g. where AF_PACKET is unavailable). */
  announcer?: AnnouncementSender;
  /** Burst schedule (keepalived's defaults when omitted). */
  garp?: GarpConfig;
  /** Where markers live (default /run/vrrp). */
  stateDir?: string;
  /** Called when a scheduled (second or refresh) burst fails; nothing awaits those. */
  onError?: (error: Error) => void;
}


/** One add request in flight: its VIP, the kernel's answer to come, and whether the address was ours before. */
interface AddRequest {
  entry: PreparedVip;
  reply: Promise<string | undefined>;
  wasOurs: boolean;
}

/** A VIP ready for a takeover: its interface index, its encoded requests and its open marker. */
interface PreparedVip {
  readonly vip: VirtualAddress;
  readonly index: number;
  readonly addRequest: AddressRequest;
  readonly deleteRequest: AddressRequest;
  marker: number | undefined;
}

/**
 * A takeover of one address list prepared as one native call: for each address its marker write and its request,
 * then `repeat` announcement rounds. Valid while its entries are the prepared ones and its socket the announcer's.
 */
interface TakeoverBurst {
  readonly iface: string;
  /** The addresses it takes over, in order (what a takeover asks for is checked against them). */
  readonly addresses: readonly string[];
  readonly entries: readonly PreparedVip[];
  /** The announcement round it sends, a handle from the announcer. */
  readonly round: AnnouncementRound;
  readonly burst: Burst;
  /** Index of each entry's request among the burst's results. */
  readonly requestIndexes: readonly number[];
  /** Index of the first announcement frame among the burst's results. */
  readonly firstFrame: number;
}

/** A {@link VipManager} over rtnetlink. */
export class NetlinkVipManager implements VipManager {
  readonly #ours = new Set<string>();
  readonly #announcer: AnnouncementSender | undefined;
  readonly #garp: Required<GarpConfig>;
  readonly #stateDir: string;
  #onError: (error: Error) => void;
  readonly #timers = new Set<NodeJS.Timeout>();
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

  /** Creates a manager; nothing touches the system until a method is called. */
  constructor(options: NetlinkVipManagerOptions = {}) {
    this.#announcer = options.announcer;
    this.#garp = { repeat: 5, delayMs: 5000, refreshMs: 0, ...options.garp };
    this.#stateDir = options.stateDir ?? '/run/vrrp';
    this.#onError = options.onError ?? (() => {});
  }

  /** See {@link VipManager.setErrorHandler}. */
  setErrorHandler(handler: (error: Error) => void): void {
    this.#onError = handler;
  }

  /** Addresses this manager added and has not removed yet. */
  get added(): ReadonlySet<string> {
    return this.#ours;
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
    const link = await getInterface(iface);
    if (!link) return;
    await this.#removeLeftovers(iface, link.index, addresses);
    this.#prepareRequests(iface, link.index, addresses);
    try {
      this.#announcer?.warm?.(iface, addresses);
    } catch {
      // Reported when an announcement is actually attempted.
    }
    this.#prepareTakeover(iface, addresses);
    const family = addresses[0]?.family ?? 'ipv4';
    const existing = (await getInterfaceAddresses(link.index, family)).find((a) => !addresses.some((vip) => vip.address === a.address));
    await warmTakeover(iface, {
      addAndAnnounce: (name, list) => this.addAndAnnounce(name, list),
      ...(existing ? { refusedAdd: () => sendAddressRequest(addressRequest(RTM_NEWADDR, link.index, { ...existing, label: undefined })) } : {}),
    });
  }

  /**
   * See {@link VipManager.addAndAnnounce}. Prepared (always, after `prepare` with the addon and an IPv4 list): the
   * markers, the address requests and the first announcement burst go out in one native call, nothing in between
   * (measured in a namespace pair, 10 takeovers each: our gratuitous ARP left 0.15–0.23 ms after our advert, median
   * 0.18, against 0.21–0.37, median 0.30, through add and announce; keepalived's 0.08–0.17, median 0.10). Otherwise
   * `add` then `announce`. Acknowledgements are handled as `add` handles them.
   */
  addAndAnnounce(iface: string, addresses: readonly VirtualAddress[]): Promise<void> | void {
    const takeover = this.#takeover;
    if (takeover === undefined || !this.#takeoverValid(takeover, iface, addresses)) {
      const added = this.add(iface, addresses);
      const announced = added ? added.then(() => this.announce(iface, addresses)) : this.announce(iface, addresses);
      // Ready for the next takeover (the interface may have been recreated, or the socket replaced).
      return announced.finally(() => this.#prepareTakeover(iface, addresses));
    }
    this.#cancelBursts();
    for (const entry of takeover.entries) this.#ours.add(entry.vip.address);
    const results = takeover.burst.run();
    this.#burstCount++;
    const requests: AddRequest[] = [];
    for (let i = 0; i < takeover.entries.length; i++) {
      const entry = takeover.entries[i] as PreparedVip;
      requests.push({ entry, reply: Promise.resolve(results[takeover.requestIndexes[i] as number]), wasOurs: false });
    }
    this.#settleAdds(iface, requests);
    let failure: string | undefined;
    for (let i = takeover.firstFrame; i < results.length && failure === undefined; i++) failure = results[i];
    if (failure !== undefined) {
      // As the announcer does with a socket that failed: drop it, so that the next announcement reopens it.
      this.#announcer?.close(iface);
      throw new VrrpError('vip_failed', `cannot announce on ${iface}: ${failure}`);
    }
    this.#scheduleLaterBursts(iface, addresses);
  }

  /** Builds the takeover burst of `addresses` on `iface` when everything it needs is ready. */
  #prepareTakeover(iface: string, addresses: readonly VirtualAddress[]): void {
    if (addresses.length === 0 || this.#garp.repeat === 0) return;
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
    const requestIndexes: number[] = [];
    for (const vip of addresses) {
      const entry = this.#prepared.get(preparedKey(iface, vip.address));
      if (entry?.marker === undefined) return; // no marker descriptor: add() writes it the slow way
      entries.push(entry);
      operations.push({ kind: 'pwrite', fd: entry.marker, bytes: ADDING_RECORD });
      requestIndexes.push(operations.length);
      operations.push({ kind: 'route', socket: route, message: entry.addRequest.message });
    }
    const firstFrame = operations.length;
    for (let r = 0; r < this.#garp.repeat; r++) {
      for (const frame of round.frames) operations.push({ kind: 'frame', socket: round.socket, frame });
    }
    let burst: Burst;
    try {
      burst = prepareBurst(operations);
    } catch {
      return; // e.g. too many operations for one call: add() and announce() do it
    }
    this.#takeover = { iface, addresses: addresses.map((vip) => vip.address), entries, round, burst, requestIndexes, firstFrame };
  }

  #takeoverValid(takeover: TakeoverBurst, iface: string, addresses: readonly VirtualAddress[]): boolean {
    // The burst is this manager's (one per instance), checked against what it is asked to take over: the same
    // interface, the same addresses in the same order, its announcement socket still the interface's.
    if (takeover.iface !== iface || takeover.addresses.length !== addresses.length || this.#announcer?.isCurrent?.(takeover.round) !== true) return false;
    for (let i = 0; i < addresses.length; i++) if (takeover.addresses[i] !== (addresses[i] as VirtualAddress).address) return false;
    for (const entry of takeover.entries) {
      // Ours already (a takeover without a release in between): add() knows not to rewrite its marker.
      if (this.#prepared.get(preparedKey(iface, entry.vip.address)) !== entry || this.#ours.has(entry.vip.address)) return false;
    }
    return true;
  }

  /**
   * See {@link VipManager.add}. The requests are sent inside this call when the addresses were prepared (always,
   * after `prepare`): rtnetlink applies a request inside the sendmsg call, so the addresses are usable when it
   * returns, and the caller can announce them in the same turn. The acknowledgements are checked in the background;
   * a refusal is reported through the error handler as a VrrpError naming the address and the kernel's reason.
   */
  add(iface: string, addresses: readonly VirtualAddress[]): Promise<void> | void {
    const ready: PreparedVip[] = [];
    for (const vip of addresses) {
      const entry = this.#prepared.get(preparedKey(iface, vip.address));
      if (entry === undefined) break;
      ready.push(entry);
    }
    if (ready.length === addresses.length) {
      this.#sendAdds(iface, ready);
      return; // the addresses are up: nothing to wait for
    }
    return this.#link(iface).then((index) => {
      this.#prepareRequests(iface, index, addresses);
      this.#sendAdds(iface, addresses.map((vip) => this.#prepared.get(preparedKey(iface, vip.address)) as PreparedVip));
    });
  }

  #sendAdds(iface: string, entries: readonly PreparedVip[]): void {
    // A loop, not map(): no function literal on the takeover's path (see prepare's warm-up).
    const requests: AddRequest[] = [];
    for (const entry of entries) {
      // Counted as ours from the moment we ask (create|excl), so that a remove racing the acknowledgement removes
      // it; an EEXIST answer takes it back. The marker goes first: a crash right after the kernel applied the
      // request must still leave a trace for the next run.
      const wasOurs = this.#ours.has(entry.vip.address);
      this.#ours.add(entry.vip.address);
      if (!wasOurs) this.#writeMarker(iface, entry, 'adding');
      requests.push({ entry, reply: sendAddressRequest(entry.addRequest), wasOurs });
    }
    this.#settleAdds(iface, requests);
  }

  /** Handles the kernel's answers to add requests (refusals reported, markers stamped), in the next loop turn. */
  #settleAdds(iface: string, requests: readonly AddRequest[]): void {
    // The bookkeeping of the answers waits for the next turn of the loop: what the caller does in this one (a
    // takeover announces the addresses right after this call) must not queue behind it.
    const settled = nextTurn().then(() => Promise.all(
      requests.map(async ({ entry, reply, wasOurs }) => {
        const { vip } = entry;
        const errno = await reply;
        if (errno === undefined) return undefined;
        if (!wasOurs) {
          this.#ours.delete(vip.address);
          this.#writeMarker(iface, entry, 'standby');
        }
        // ENODEV: the interface was recreated; look its index up again next time.
        if (errno === 'ENODEV') this.#forget(iface);
        if (errno === 'EEXIST') return undefined; // somebody else's address (or ours already): not ours to remove
        return `${vip.address}/${vip.prefixLength}: ${errno}`;
      }),
    )).then(async (results) => {
      const failures = results.filter((failure): failure is string => failure !== undefined);
      if (failures.length > 0) this.#onError(new VrrpError('vip_failed', `cannot add ${failures.join(', ')} on ${iface}`));
      const added = requests.filter((request, i) => results[i] === undefined && this.#ours.has(request.entry.vip.address));
      await this.#stampMarkers(iface, added.map((request) => request.entry));
    });
    this.#acknowledgements = this.#acknowledgements.then(() => settled);
  }

  /** See {@link VipManager.remove}. Only addresses this manager added are removed. */
  async remove(iface: string, addresses: readonly VirtualAddress[]): Promise<void> {
    this.#cancelBursts();
    await this.#acknowledgements;
    const failures: string[] = [];
    for (const vip of addresses) {
      if (!this.#ours.has(vip.address)) continue;
      let entry = this.#prepared.get(preparedKey(iface, vip.address));
      try {
        if (!entry) {
          this.#prepareRequests(iface, await this.#link(iface), [vip]);
          entry = this.#prepared.get(preparedKey(iface, vip.address)) as PreparedVip;
        }
        const errno = await deleteAddress(entry.deleteRequest);
        if (errno !== undefined) throw new Error(errno);
      } catch (error) {
        failures.push(`${vip.address}/${vip.prefixLength}: ${error instanceof Error ? error.message : String(error)}`);
        continue;
      }
      this.#ours.delete(vip.address);
      this.#writeMarker(iface, entry, 'standby');
    }
    if (failures.length > 0) throw new VrrpError('vip_failed', `cannot remove ${failures.join(', ')} from ${iface}`);
  }

  /** See {@link VipManager.announce}: a burst now, then keepalived's second burst and refreshes, until `remove`. */
  async announce(iface: string, addresses: readonly VirtualAddress[]): Promise<void> {
    const announcer = this.#announcer;
    if (!announcer || this.#garp.repeat === 0) return;
    this.#cancelBursts();
    await announcer.announce(iface, addresses, { repeat: this.#garp.repeat });
    this.#scheduleLaterBursts(iface, addresses); // nothing for an empty list (the warm-up's)
  }

  /** keepalived's second burst (`delayMs`) and refreshes (`refreshMs`) after a first burst, until `remove`. */
  #scheduleLaterBursts(iface: string, addresses: readonly VirtualAddress[]): void {
    const announcer = this.#announcer;
    if (!announcer || addresses.length === 0) return;
    const later = (delayMs: number, repeatEvery: boolean): void => {
      const timer = (repeatEvery ? setInterval : setTimeout)(() => {
        if (!repeatEvery) this.#timers.delete(timer);
        Promise.resolve()
          .then(() => announcer.announce(iface, addresses, { repeat: this.#garp.repeat }))
          .catch((cause: unknown) =>
            this.#onError(new VrrpError('vip_failed', `scheduled announcement on ${iface} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })),
          );
      }, delayMs);
      timer.unref();
      this.#timers.add(timer);
    };
    for (const burst of laterBursts(this.#garp)) later(burst.delayMs, burst.repeating);
  }

  /**
   * See {@link VipManager.close}. Markers of addresses we no longer hold are deleted; a marker of an address still
   * up (its removal failed) stays for the next run to clean.
   */
  close(): void {
    this.#cancelBursts();
    this.#announcer?.close();
    for (const [key, entry] of this.#prepared) {
      const iface = key.slice(0, key.indexOf(' '));
      this.#closeMarker(entry);
      if (!this.#ours.has(entry.vip.address)) rmSync(this.#markerPath(iface, entry.vip.address), { force: true });
    }
    this.#prepared.clear();
  }

  #cancelBursts(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  async #link(iface: string): Promise<number> {
    const cached = [...this.#prepared.entries()].find(([key]) => key.startsWith(`${iface} `))?.[1].index;
    if (cached !== undefined) return cached;
    const link = await getInterface(iface);
    if (!link) throw new VrrpError('vip_failed', `interface ${iface} does not exist`);
    return link.index;
  }

  /** Drops what was prepared for `iface` (its index changed); the next call prepares again. */
  #forget(iface: string): void {
    for (const [key, entry] of this.#prepared) {
      if (!key.startsWith(`${iface} `)) continue;
      this.#closeMarker(entry);
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
      const entry: PreparedVip = {
        vip,
        index,
        addRequest: addressRequest(RTM_NEWADDR, index, vip),
        deleteRequest: addressRequest(RTM_DELADDR, index, { ...vip, label: undefined }),
        marker: this.#openMarker(iface, vip.address),
      };
      this.#prepared.set(key, entry);
      this.#writeMarker(iface, entry, this.#ours.has(vip.address) ? 'adding' : 'standby');
    }
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
    const wanted = new Map(addresses.map((vip) => [markerName(vip.address), vip]));
    for (const marker of markers) {
      const vip = wanted.get(marker);
      if (!vip) continue;
      let text: string;
      try {
        text = readFileSync(join(dir, marker), 'utf8');
      } catch {
        continue;
      }
      const parsed = parseMarker(text);
      const ownerAlive = parsed !== undefined && parsed.owner !== process.pid && processAlive(parsed.owner);
      if (ownerAlive) continue; // a live process holds it: not a leftover
      const stamps = parsed !== undefined && parsed.state !== 'standby' ? await addressCreationStamps(index) : undefined;
      const verdict = judgeLeftover(parsed, { selfPid: process.pid, ownerAlive, presentStamp: stamps?.get(vip.address) });
      if (verdict === 'keep') continue;
      if (verdict === 'remove') {
        const errno = await deleteAddress(addressRequest(RTM_DELADDR, index, { ...vip, label: undefined }));
        if (errno !== undefined) throw new VrrpError('vip_failed', `cannot remove the leftover ${vip.address}/${vip.prefixLength} from ${iface}: ${errno}`);
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
        if (stamp !== undefined && this.#ours.has(entry.vip.address)) this.#writeMarker(iface, entry, stamp);
      }
    } catch {
      // Without the stamp, the pid alone decides (see #removeLeftovers).
    }
  }

  #markerDir(iface: string): string {
    return join(this.#stateDir, networkNamespaceId(), iface);
  }

  #markerPath(iface: string, address: string): string {
    return join(this.#markerDir(iface), markerName(address));
  }

  #openMarker(iface: string, address: string): number | undefined {
    try {
      mkdirSync(this.#markerDir(iface), { recursive: true });
      return openSync(this.#markerPath(iface, address), 'w');
    } catch {
      return undefined; // markers are best effort (see #writeMarker)
    }
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

/** One marker line: our pid and the state, padded to the fixed width that lets pwrite replace it in place. */
function ownRecord(state: MarkerState): Uint8Array {
  return markerRecord(process.pid, state);
}

/** The record a takeover writes, encoded once: its pwrite sits between the advert and the gratuitous ARP. */
const ADDING_RECORD = ownRecord('adding');

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function preparedKey(iface: string, address: string): string {
  return `${iface} ${address}`;
}

function markerName(address: string): string {
  return address.replaceAll(':', '_');
}

/** Creation time (IFA_CACHEINFO cstamp, centiseconds since boot) of every address on an interface. */
async function addressCreationStamps(index: number): Promise<Map<string, number>> {
  const stamps = new Map<string, number>();
  for (const message of await getAllAddresses()) {
    const address = toInterfaceAddress(message);
    const stamp = message.attrs.cacheInfo?.cstamp;
    if (address && address.index === index && stamp !== undefined) stamps.set(address.address, stamp);
  }
  return stamps;
}

/** An address request for this host (netlink headers are in host byte order). */
function addressRequest(type: typeof RTM_NEWADDR | typeof RTM_DELADDR, index: number, vip: VirtualAddress): AddressRequest {
  return encodeAddressRequest(type, index, vip, HOST_LITTLE_ENDIAN);
}

const HOST_LITTLE_ENDIAN = endianness() === 'LE';

let routeSocket: RouteRequestSocket | null | undefined;

/**
 * Sends one address request and resolves with the errno name of the kernel's refusal, undefined on success.
 * Through the addon when it loads: the request is sent and acknowledged inside this call, so the address is up
 * when it returns. Otherwise through the netlink module, whose acknowledgement comes a loop turn later (the
 * address itself is still applied inside its send).
 */
export function sendAddressRequest(request: AddressRequest): Promise<string | undefined> {
  const routeSocket = routeRequestSocket();
  if (routeSocket !== null) {
    try {
      return Promise.resolve(routeSocket.request(request.message));
    } catch (error) {
      return Promise.resolve(error instanceof PacketSocketError ? error.code : String(error));
    }
  }
  return changeRequestSocket()
    .socket.request(request.type, [Buffer.from(request.payload.buffer, request.payload.byteOffset, request.payload.byteLength)], { flags: request.flags })
    .then(
      () => undefined,
      (error: unknown) => netlinkErrno(error) ?? String(error),
    );
}

/** The process's addon request socket, opened on first use; null without the addon. */
function routeRequestSocket(): RouteRequestSocket | null {
  if (routeSocket === undefined) {
    try {
      routeSocket = openRouteRequestSocket();
    } catch {
      routeSocket = null; // no addon (or no socket): the netlink module does the same, a little later
    }
  }
  return routeSocket;
}

/** Deletes one address: resolves with the errno name of a failure; an address already gone is not one. */
async function deleteAddress(request: AddressRequest): Promise<string | undefined> {
  const errno = await sendAddressRequest(request);
  if (errno === 'EADDRNOTAVAIL' || errno === 'ENOENT' || errno === 'ESRCH') return undefined; // already gone
  return errno;
}

let namespaceId: string | undefined;

/** The network namespace's inode (a process cannot change namespace under us, so it is read once). */
function networkNamespaceId(): string {
  if (namespaceId === undefined) {
    try {
      namespaceId = /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/net'))?.[1] ?? 'default';
    } catch {
      namespaceId = 'default';
    }
  }
  return namespaceId;
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
