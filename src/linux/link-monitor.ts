/**
 * Link state from rtnetlink multicast events (RTNLGRP_LINK and the address groups), not polling: the instance is
 * told within one kernel notification that its interface went down, lost carrier, or lost its last usable address.
 *
 * "Up" means: the interface exists, is administratively up, has carrier (IFF_RUNNING), and still has an address
 * VRRP can send from (IPv4: any address that is not one of our VIPs; IPv6: a link-local address).
 *
 * One event socket per thread, shared by every watcher: events only say "something changed", so a burst of them
 * (a takeover of 255 instances adds 255 addresses) is coalesced into one re-read per interface on the next turn,
 * and each watcher judges its own state from that one read. With a socket per instance, each address change was
 * read by every instance and each re-read the whole table: instances² dumps at a mass takeover.
 *
 * A notification that only repeats what the last re-read saw is not news: renewing a VIP's lease (an RTM_NEWADDR
 * that changes nothing but the lifetimes) re-reads nothing. Every master renews every few seconds, and each
 * re-read parses every address of the namespace: 255 masters re-read 255 addresses many times a second, garbage
 * that lived long enough to reach the old generation (measured: three quarters of the engine thread's promoted
 * bytes, and tens of MB of RSS at 255 instances; docs/linux.md).
 */
import type { LinkMonitor, LinkWatch } from '../adapters/types.js';
import type { AddressFamily } from '../core/advertisement.js';
import { decodeAddressNotice, getInterface, getInterfaceAddresses, pickPrimaryAddress, readHostU16, readHostU32, type InterfaceAddress, type InterfaceInfo } from './interfaces.js';
import { loadAddon } from './addon.js';
import { loadNetlink } from './native.js';
import { RTM_NEWADDR } from './vip/address-request.js';

/** linux/netlink.h and linux/rtnetlink.h: the route protocol and the groups the hub listens to. */
const NETLINK_ROUTE = 0;
const RTNLGRP_LINK = 1;
const RTNLGRP_IPV4_IFADDR = 5;
const RTNLGRP_IPV6_IFADDR = 9;
/** sizeof(struct ifaddrmsg). */
const IFADDRMSG_BYTES = 8;
/** sizeof(struct nlmsghdr). */
const NLMSG_HEADER_BYTES = 16;

interface Watcher {
  family: AddressFamily;
  /** Judged on the link alone, not on its addresses (see LinkMonitor.watch). */
  linkOnly?: boolean;
  virtualAddresses: ReadonlySet<string> | readonly string[];
  up: boolean;
  /** The address it would send from as last judged (undefined: down, or judged on the link alone). */
  primary: string | undefined;
  onChange: (up: boolean) => void;
  /**
   * Told every address of its family after each re-read, whether the link is up (admin up, carrier), and when the
   * read was asked for (performance.now()): the VIP manager's watch, see {@link watchAddresses}.
   */
  onAddresses?: (addresses: readonly InterfaceAddress[], linkUp: boolean, readAtMs: number) => void;
  /** Told the link as read, after the first read and each re-read: the announcer's MAC watch, see {@link watchLink}. */
  onLink?: (link: InterfaceInfo) => void;
}

interface Snapshot {
  link: InterfaceInfo | undefined;
  addresses: Record<AddressFamily, readonly InterfaceAddress[]>;
}

/** Whether the interface of a read is there, administratively up and running (IFF_RUNNING). Pure. */
function linkUsable(snapshot: Snapshot): boolean {
  const link = snapshot.link;
  return link !== undefined && link.adminUp && link.running;
}

/**
 * The address a watcher would send from, picked once per read for both its verdict ({@link judge}) and the change of
 * it (see #recheck); undefined for a link-only watcher, or a link that is not usable. Pure.
 */
function primaryOf(snapshot: Snapshot, watcher: Pick<Watcher, 'family' | 'virtualAddresses' | 'linkOnly'>): string | undefined {
  if (watcher.linkOnly === true || !linkUsable(snapshot)) return undefined;
  return pickPrimaryAddress(snapshot.addresses[watcher.family], watcher.family, watcher.virtualAddresses);
}

/** Judges whether a watcher's link is up from one read of its interface and the address it picked there. Pure. */
function judge(snapshot: Snapshot, linkOnly: boolean | undefined, primary: string | undefined): boolean {
  return linkUsable(snapshot) && (linkOnly === true || primary !== undefined);
}

/** One re-read of an interface as the hub keeps it, to judge the notifications that follow it. */
export interface LastRead {
  /** The interface's index at the read; undefined when it did not exist. */
  index: number | undefined;
  /** The families the read covered. */
  families: ReadonlySet<AddressFamily>;
  /** What it saw, per family. */
  addresses: Readonly<Record<AddressFamily, readonly InterfaceAddress[]>>;
}

/**
 * True when an added-address notification only repeats what a re-read saw — same interface, address, prefix, flags
 * and label, as a lease renewal does: no watcher could judge differently from a new read. Pure.
 */
export function repeatsLastRead(seen: InterfaceAddress & { index: number }, reads: Iterable<LastRead>): boolean {
  for (const read of reads) {
    if (read.index !== seen.index || !read.families.has(seen.family)) continue;
    const known = read.addresses[seen.family];
    for (let i = 0; i < known.length; i++) if (sameAddress(known[i] as InterfaceAddress, seen)) return true;
  }
  return false;
}

/**
 * Every field the watchers judge by agrees (address, prefix, flags, label). Field by field: this runs for every
 * address of the interface on every renewal's notification, and a key list per call was most of what the link
 * monitor allocated at 50 masters.
 */
function sameAddress(known: InterfaceAddress, seen: InterfaceAddress): boolean {
  return (
    known.address === seen.address &&
    known.prefixLength === seen.prefixLength &&
    known.family === seen.family &&
    known.secondary === seen.secondary &&
    known.tentative === seen.tentative &&
    known.label === seen.label
  );
}

async function readInterface(iface: string, families: ReadonlySet<AddressFamily>): Promise<Snapshot> {
  const link = await getInterface(iface);
  const snapshot: Snapshot = { link, addresses: { ipv4: [], ipv6: [] } };
  if (!link) return snapshot;
  for (const family of families) snapshot.addresses[family] = await getInterfaceAddresses(link.index, family);
  return snapshot;
}

/** The thread's rtnetlink event socket, as the hub uses it. */
interface EventSource {
  /**
   * Drops, in the kernel, each RTM_NEWADDR whose payload starts with one of `entries` (native/events.c); replaces
   * the entries before; returns how many the kernel took (fewer when it refused a filter that long, native/events.c).
   * A source without the addon keeps delivering them (JavaScript judges them, as before): undefined.
   */
  ignore(entries: readonly Uint8Array[]): number | undefined;
  close(): void;
}

/** Largest datagram read from the event socket: notifications are one message of a few hundred bytes. */
const EVENT_BUFFER_BYTES = 32 * 1024;

/**
 * Opens the thread's event socket, joined to `groups`: the addon's when it loads (its filter can drop old news in
 * the kernel), else the netlink module's. `onDatagram` gets each datagram (a view valid during the call);
 * `onLost` is called when notifications were lost. Both run inside a native callback, where a throw ends the thread:
 * they must not throw.
 */
function openEvents(groups: readonly number[], onDatagram: (datagram: Uint8Array) => void, onLost: () => void): EventSource {
  try {
    const native = loadAddon();
    const buffer = new Uint8Array(EVENT_BUFFER_BYTES);
    const handle: unknown = native.eventsOpen(groups, () => {
      for (;;) {
        let length: number;
        try {
          length = native.eventsRecv(handle, buffer);
        } catch {
          onLost(); // a failed read says nothing of what changed: look again
          return;
        }
        if (length === -1) return;
        if (length < 0) onLost(); // dropped by the kernel (-2) or too long to read (-3)
        else onDatagram(buffer.subarray(0, length));
      }
    });
    return {
      ignore: (entries) => native.eventsIgnore(handle, entries),
      close: () => native.eventsClose(handle),
    };
  } catch {
    // No addon, or no socket from it: the netlink module's socket, which cannot filter.
  }
  const socket = new (loadNetlink().RawNetlinkSocket)(NETLINK_ROUTE);
  socket.on('message', onDatagram);
  socket.on('truncatedMessage', onLost); // messages lost: anything may have changed
  // A failed read (ENOBUFS: notifications dropped) says nothing of what changed: look again, and say so — a poll
  // error also closes the module's socket, after which only re-reads would tell.
  socket.on('error', (error: Error) => {
    process.emitWarning(`link and address events (netlink module's socket): ${error.message}; reading the links again`, { type: 'VrrpWarning', code: 'VRRP_LINK_EVENTS_FAILED' });
    onLost();
  });
  for (const group of groups) socket.addMembership(group);
  return { ignore: () => undefined, close: () => socket.close() };
}

/**
 * Short byte strings kept back to back in one buffer, each handed out as a view of it; the buffer doubles when full
 * and the views move with it. Why: the link hub keeps one per held VIP (a renewal's notification it drops), and a
 * Uint8Array of its own and its buffer were ~0.3 KB each, one per master (docs/linux.md, "Memory per instance").
 *
 * @internal
 */
export class PackedEntries {
  #slab = new Uint8Array(0);
  #used = 0;
  #views: Uint8Array[] = [];

  /** The entries, in the order added: views valid until the next add or clear. */
  get views(): readonly Uint8Array[] {
    return this.#views;
  }

  /** Keeps a copy of `bytes` as the last entry. */
  add(bytes: Uint8Array): void {
    const at = this.#used;
    if (at + bytes.length > this.#slab.length) {
      const grown = new Uint8Array(Math.max(256, 2 * (at + bytes.length)));
      grown.set(this.#slab.subarray(0, at));
      this.#views = this.#views.map((view) => grown.subarray(view.byteOffset, view.byteOffset + view.length));
      this.#slab = grown;
    }
    this.#slab.set(bytes, at);
    this.#used = at + bytes.length;
    this.#views.push(this.#slab.subarray(at, this.#used));
  }

  /** Forgets every entry; the buffer is kept for the next ones (a renewal round brings them back) unless `release`. */
  clear(release = false): void {
    this.#views = [];
    this.#used = 0;
    if (release) this.#slab = new Uint8Array(0);
  }
}

/** The thread's event socket and the watchers of each interface. */
class LinkHub {
  #socket: EventSource | undefined;
  /**
   * RTM_NEWADDR payload starts the kernel drops (see #isNews): old news as judged since the last news, by bytes
   * (`ignoredKeys`: the same as text, so that one is declared once).
   */
  readonly #ignored = new PackedEntries();
  readonly #ignoredKeys = new Set<string>();
  /** The filter is set once per batch of notifications read (a renewal round brings one per held VIP). */
  #ignoreQueued = false;
  readonly #watchers = new Map<string, Set<Watcher>>();
  readonly #dirty = new Set<string>();
  #scheduled = false;
  #reading: Promise<void> = Promise.resolve();
  /** Re-reads queued or running; while there is one, every notification is news (see #isNews). */
  #reads = 0;
  /** The last re-read of each interface and the families it covered. */
  readonly #last = new Map<string, LastRead>();
  /** One timer for every interface whose read failed: each is read again when it fires. */
  #retry: NodeJS.Timeout | undefined;
  readonly #retryIfaces = new Set<string>();

  async add(iface: string, watcher: Omit<Watcher, 'up' | 'primary'>): Promise<{ up: boolean; stop: () => void }> {
    this.#open();
    // Listen before the first read, so that a change during that read is not lost.
    let set = this.#watchers.get(iface);
    if (!set) this.#watchers.set(iface, (set = new Set()));
    // Spelled out, not spread: a spread copy got a hidden class of its own per watcher (~100 bytes each, two
    // watchers per master at 255; docs/linux.md, "Memory per instance").
    const entry: Watcher = { family: watcher.family, virtualAddresses: watcher.virtualAddresses, up: true, primary: undefined, onChange: watcher.onChange, onAddresses: watcher.onAddresses };
    if (watcher.linkOnly === true) entry.linkOnly = true;
    if (watcher.onLink !== undefined) entry.onLink = watcher.onLink;
    let first: Snapshot;
    try {
      first = await readInterface(iface, new Set([watcher.family]));
      entry.primary = primaryOf(first, entry);
      entry.up = judge(first, entry.linkOnly, entry.primary);
    } catch (error) {
      this.#maybeClose();
      throw error;
    }
    set.add(entry);
    if (first.link !== undefined) entry.onLink?.(first.link);
    this.#markDirty(iface); // catch a change that raced the first read
    return {
      up: entry.up,
      stop: () => {
        set.delete(entry);
        if (set.size === 0 && this.#watchers.get(iface) === set) {
          this.#watchers.delete(iface);
          this.#last.delete(iface);
        }
        this.#maybeClose();
      },
    };
  }

  #open(): void {
    if (this.#socket) return;
    // A raw socket, not netlink's rtnetlink one: that one decodes every notification into objects before any
    // listener sees it, and the lease renewals make those most of the engine thread's netlink work (a renewal per
    // VIP every third of the lease); here only the message headers are read, and #isNews decodes only the
    // RTM_NEWADDRs it judges (decodeAddressNotice).
    const changed = (): void => {
      for (const iface of this.#watchers.keys()) this.#markDirty(iface);
    };
    // These run inside a native callback, where a throw ends the thread: #hasNews and #markDirty cannot throw.
    this.#socket = openEvents([RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR], (datagram) => this.#hasNews(datagram) && changed(), changed);
  }

  /** Whether any message of a datagram is news (see #isNews); a datagram that cannot be read is. Never throws. */
  #hasNews(datagram: Uint8Array): boolean {
    try {
      // Messages: { u32 length (header included), u16 type, u16 flags, u32 seq, u32 port }, payload, 4-aligned.
      let at = 0;
      while (at + NLMSG_HEADER_BYTES <= datagram.length) {
        const length = readHostU32(datagram, at);
        if (length < NLMSG_HEADER_BYTES || at + length > datagram.length) return true;
        if (this.#isNews(readHostU16(datagram, at + 4), datagram.subarray(at + NLMSG_HEADER_BYTES, at + length))) return true;
        at += (length + 3) & ~3;
      }
      return false;
    } catch {
      return true;
    }
  }

  /**
   * Whether a notification may change what a watcher judges. Only an RTM_NEWADDR can be old news: one whose
   * address, prefix, flags and label the last re-read of its interface saw already (a lease renewal). Anything
   * else is news, and so is everything while a re-read is queued or running, since that read may predate it.
   */
  #isNews(type: number, payload: Uint8Array): boolean {
    if (type !== RTM_NEWADDR || this.#scheduled || this.#reads > 0) return true;
    const seen = decodeAddressNotice(payload);
    if (seen === undefined || !repeatsLastRead(seen, this.#last.values())) return true;
    this.#ignore(payload);
    return false;
  }

  /**
   * Old news: the same notification again (a lease renewal's, every third of the lease) is dropped by the kernel
   * from now on, instead of waking this thread into JavaScript for the same judgement, until the next news clears
   * it (#markDirty). What the filter compares: the ifaddrmsg (family, prefix, flags — secondary, tentative —
   * scope, index) and the first attribute, the address; not the label, which #isNews compares too (a label changed
   * on an address that keeps everything else is not seen until the next news). See native/events.c.
   */
  #ignore(payload: Uint8Array): void {
    if (payload.length < IFADDRMSG_BYTES + 4) return;
    const attributeBytes = readHostU16(payload, IFADDRMSG_BYTES);
    if (attributeBytes !== 8 && attributeBytes !== 20) return; // an IPv4 or IPv6 address
    const entry = payload.subarray(0, IFADDRMSG_BYTES + attributeBytes);
    const key = entry.join(',');
    if (this.#ignoredKeys.has(key)) return;
    this.#ignoredKeys.add(key);
    this.#ignored.add(entry);
    if (this.#ignoreQueued) return;
    this.#ignoreQueued = true;
    // After the readiness call that read this batch returns (its microtasks run then): one filter for all of it.
    queueMicrotask(() => {
      this.#ignoreQueued = false;
      if (this.#ignored.views.length === 0) return; // news cleared them meanwhile
      const asked = this.#ignored.views.length;
      try {
        const took = this.#socket?.ignore(this.#ignored.views);
        if (took !== undefined && took < asked) reportUnfiltered(`${took} of ${asked} fit`);
      } catch (error) {
        // Not filtered: JavaScript keeps judging them, as before — and says so (reportUnfiltered).
        reportUnfiltered(error instanceof Error ? error.message : String(error));
      }
    });
  }

  /** News: every notification is judged in JavaScript again, until one is old news again. Never throws. */
  #unignore(): void {
    if (this.#ignored.views.length === 0) return;
    this.#ignored.clear();
    this.#ignoredKeys.clear();
    try {
      this.#socket?.ignore([]);
    } catch {
      // A filter that could not be removed drops only exact repeats of what was judged before: the re-read that
      // follows this news sees what they would have said.
    }
  }

  /** Closes the event socket whatever is still watched (the thread is ending). */
  close(): void {
    this.#watchers.clear();
    this.#maybeClose();
  }

  #maybeClose(): void {
    if (this.#watchers.size > 0 || !this.#socket) return;
    this.#socket.close();
    this.#socket = undefined;
    clearTimeout(this.#retry);
    this.#retry = undefined;
    this.#retryIfaces.clear();
    this.#dirty.clear();
    this.#last.clear();
    this.#ignored.clear(true);
    this.#ignoredKeys.clear();
  }

  #markDirty(iface: string): void {
    this.#unignore();
    this.#dirty.add(iface);
    if (this.#scheduled) return;
    this.#scheduled = true;
    // Coalesce: every event of this turn leads to one re-read per interface.
    setImmediate(() => {
      this.#scheduled = false;
      const ifaces = [...this.#dirty];
      this.#dirty.clear();
      this.#reads++;
      // A re-read that failed past its own guards must not end the chain: every later re-read hangs on it.
      this.#reading = this.#reading
        .then(() => this.#recheck(ifaces))
        .catch((error: unknown) => process.emitWarning(`link monitor: re-reading ${ifaces.join(', ')} failed: ${error instanceof Error ? error.message : String(error)}`, { type: 'VrrpWarning' }))
        .finally(() => this.#reads--);
    });
  }

  /** Interfaces whose latest read failed (said once until a read works again). */
  readonly #failingIfaces = new Set<string>();

  async #recheck(ifaces: readonly string[]): Promise<void> {
    // Every interface's read is asked for at once, so that they share their dumps (interfaces.ts, sharedDump): one
    // of the links and one of the addresses for all of them. One after another, each made two of its own, and with
    // a VMAC per instance (an interface each) a change cost 2 × (instances + 1) dumps of the whole namespace.
    const reads: { iface: string; set: Set<Watcher>; families: ReadonlySet<AddressFamily>; readAtMs: number; read: Promise<{ snapshot: Snapshot } | { error: unknown }> }[] = [];
    for (const iface of ifaces) {
      const set = this.#watchers.get(iface);
      if (!set || set.size === 0) continue;
      const families: ReadonlySet<AddressFamily> = new Set([...set].map((w) => w.family));
      // Before the dump is asked for: an address added after this instant may be missing from it (the kernel
      // writes a dump as it is read), and the VIP manager must not take that for a deletion.
      const readAtMs = performance.now();
      const read = readInterface(iface, families).then(
        (snapshot) => ({ snapshot }),
        (error: unknown) => ({ error }),
      );
      reads.push({ iface, set, families, readAtMs, read });
    }
    for (const { iface, set, families, readAtMs, read } of reads) {
      const outcome = await read;
      let snapshot: Snapshot;
      let moved = false;
      if ('snapshot' in outcome) {
        snapshot = outcome.snapshot;
        // Another index under the same name: the interface was deleted and made again between two reads.
        const before = this.#last.get(iface)?.index;
        moved = before !== undefined && snapshot.link !== undefined && snapshot.link.index !== before;
        this.#last.set(iface, { index: snapshot.link?.index, families, addresses: snapshot.addresses });
        this.#failingIfaces.delete(iface);
      } else {
        const { error } = outcome;
        this.#last.delete(iface);
        // Said once per run of failures: the watchers keep the state last read until a read works again.
        if (!this.#failingIfaces.has(iface)) {
          this.#failingIfaces.add(iface);
          process.emitWarning(`link monitor: reading ${iface} failed (${error instanceof Error ? error.message : String(error)}); its last known state holds, reading again every 100 ms`, { type: 'VrrpWarning', code: 'VRRP_LINK_READ_FAILED' });
        }
        // A failed read says nothing about the link: keep the state we know and look again shortly — with any
        // other interface whose read failed meanwhile (a timer of one interface once replaced another's).
        this.#retryIfaces.add(iface);
        if (this.#retry === undefined) {
          this.#retry = setTimeout(() => {
            this.#retry = undefined;
            const again = [...this.#retryIfaces];
            this.#retryIfaces.clear();
            for (const each of again) this.#markDirty(each);
          }, 100);
          this.#retry.unref();
        }
        continue;
      }
      // The watchers of the interface now (one may have left during the read, or the last: then none).
      if (this.#watchers.get(iface) !== set) continue;
      for (const watcher of [...set]) {
        // A watcher that joined during the read, of a family the read did not cover, would be judged on no
        // addresses (a spurious fault at start, found by the chaos run): it gets a read of its own.
        if (!families.has(watcher.family)) {
          this.#markDirty(iface);
          continue;
        }
        if (watcher.onAddresses !== undefined && snapshot.link !== undefined) {
          try {
            watcher.onAddresses(snapshot.addresses[watcher.family], snapshot.link.adminUp && snapshot.link.running, readAtMs);
          } catch (error) {
            // One watcher's failure must not stop the others; it is said, as onChange's below.
            process.emitWarning(`link monitor: a watcher of ${iface}'s addresses failed: ${error instanceof Error ? error.message : String(error)}`, { type: 'VrrpWarning' });
          }
        }
        if (watcher.onLink !== undefined && snapshot.link !== undefined && set.has(watcher)) {
          try {
            watcher.onLink(snapshot.link);
          } catch (error) {
            process.emitWarning(`link monitor: a watcher of ${iface}'s link failed: ${error instanceof Error ? error.message : String(error)}`, { type: 'VrrpWarning' });
          }
        }
        const primary = primaryOf(snapshot, watcher);
        const up = judge(snapshot, watcher.linkOnly, primary);
        // A link made again is a new link: down, then up, as if the two reads had seen it gone (keepalived sees the
        // RTM_DELLINK); and a link that stays up but whose address to send from changed is told up again, so the
        // engine picks that address anew (adverts from one that went are refused).
        const told: boolean[] = [];
        if (moved && watcher.up && up) told.push(false, true);
        else if (up !== watcher.up) told.push(up);
        else if (up && primary !== watcher.primary) told.push(true);
        watcher.primary = primary;
        if (told.length === 0 || !set.has(watcher)) continue;
        watcher.up = up;
        for (const state of told) {
          try {
            watcher.onChange(state);
          } catch (error) {
            // As for onAddresses: one watcher's failure must not keep the others from hearing of their link.
            process.emitWarning(`link monitor: a watcher of ${iface} failed: ${error instanceof Error ? error.message : String(error)}`, { type: 'VrrpWarning' });
          }
        }
      }
    }
  }
}

let hub: LinkHub | undefined;

let unfilteredReported = false;

/**
 * Says once per thread that the kernel did not take the whole filter for lease renewals' notifications: correct
 * either way (the link monitor judges what passes), but each renewal of an unfiltered VIP then wakes this thread into
 * JavaScript — at 255 masters about 150 notifications a second, which went unseen for weeks when the filter did not
 * fit (docs/linux.md, "VIP leases"). A process warning, as for the marker directory: there is no instance to tell.
 */
export function reportUnfiltered(why: string): void {
  if (unfilteredReported) return;
  unfilteredReported = true;
  process.emitWarning(
    `the kernel did not take the link monitor's whole filter for VIP lease renewals (${why}): the renewals it left out wake the engine thread, a CPU cost at many VIPs; nothing is lost`,
    { type: 'VrrpWarning', code: 'VRRP_LINK_FILTER' },
  );
}

/** An address watch's: it judges no link, so it excludes nothing and ignores the verdict (one of each per thread). */
const NO_ADDRESSES: readonly string[] = Object.freeze([]);
const ignoreChange = (): void => {};

/** Closes this thread's link event socket (see closeNetlinkSockets in ./interfaces.ts for why). */
export function closeLinkMonitor(): void {
  hub?.close();
}

/**
 * Calls `onAddresses` with every `family` address of `iface` after each address or link change on it (coalesced per
 * turn, from the thread's shared event socket); resolves with a stop function. How the VIP manager notices an
 * address of ours removed behind its back.
 */
export async function watchAddresses(
  iface: string,
  family: AddressFamily,
  onAddresses: (addresses: readonly InterfaceAddress[], linkUp: boolean, readAtMs: number) => void,
): Promise<() => void> {
  hub ??= new LinkHub();
  const { stop } = await hub.add(iface, { family, virtualAddresses: NO_ADDRESSES, onChange: ignoreChange, onAddresses });
  return stop;
}

/**
 * Calls `onLink` with what `iface`'s link is (index, flags, MAC) once read, and after each link or address change on
 * it (coalesced per turn, from the thread's shared event socket); resolves with a stop function. How the announcer
 * follows a MAC that changes under its socket (a bond's `fail_over_mac`, `ip link set address`), as keepalived
 * follows RTM_NEWLINK's IFLA_ADDRESS.
 */
export async function watchLink(iface: string, onLink: (link: InterfaceInfo) => void): Promise<() => void> {
  hub ??= new LinkHub();
  const { stop } = await hub.add(iface, { family: 'ipv4', linkOnly: true, virtualAddresses: NO_ADDRESSES, onChange: ignoreChange, onLink });
  return stop;
}

/** A {@link LinkMonitor} over rtnetlink events, on the thread's shared event socket. */
export class NetlinkLinkMonitor implements LinkMonitor {
  readonly #family: AddressFamily;
  /** Scanned, not a Set: an instance has a few (docs/linux.md, "Memory per instance"). */
  readonly #virtualAddresses: readonly string[];

  /** `virtualAddresses` are ours and never count as the interface's usable address. */
  constructor(options: { family: AddressFamily; virtualAddresses: readonly string[] }) {
    this.#family = options.family;
    this.#virtualAddresses = Object.freeze([...options.virtualAddresses]); // the caller's list may change later
  }

  /** Reads the state once. */
  async isUp(iface: string): Promise<boolean> {
    const snapshot = await readInterface(iface, new Set([this.#family]));
    return judge(snapshot, false, primaryOf(snapshot, { family: this.#family, virtualAddresses: this.#virtualAddresses }));
  }

  /** See {@link LinkMonitor.watch}. */
  watch(iface: string, onChange: (up: boolean) => void, options?: { linkOnly?: boolean }): Promise<LinkWatch> {
    hub ??= new LinkHub();
    return hub.add(iface, { family: this.#family, virtualAddresses: this.#virtualAddresses, onChange, linkOnly: options?.linkOnly === true });
  }
}
