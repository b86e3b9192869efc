/**
 * Announces virtual addresses after they move to this host: gratuitous ARP for IPv4, unsolicited Neighbor
 * Advertisements for IPv6, so neighbors replace the old master's MAC now instead of when their entry goes stale.
 *
 * Rules:
 * - keepalived 2.2.7's pattern (vrrp_send_link_update): `repeat` rounds (its default is 5), each round one frame per
 *   address. keepalived sends rounds back to back unless `garp_interval`/`gna_interval` is set; `delayMs` is ours.
 * - One packet socket per interface, opened on first use and kept until `close()`: a failover announces several
 *   addresses several times, and reopening would redo two ioctls per frame.
 * - A socket that fails to send is dropped from the cache, so the next announcement reopens it (an interface that
 *   was deleted and recreated has a new index).
 * - A socket whose interface's MAC changed is dropped too, as the link's events tell (a bond's `fail_over_mac`,
 *   `ip link set address`): its frames say the old MAC, and a client that believed them would send the VIP's traffic
 *   where nobody answers. keepalived follows IFLA_ADDRESS the same way; like it, nothing is announced again then.
 */
import type { AnnouncementSender } from './vip-manager.js';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AddressFamily } from '../core/advertisement.js';
import { parseIp } from '../core/ip-address.js';
import { gratuitousArpFrame, unsolicitedNeighborAdvertisementFrame } from './announce-frames.js';
import { openPacketSocket, type PacketSocket } from './packet-socket.js';
import { warmAnnouncement } from './warm-up.js';
import { watchLink } from './link-monitor.js';
import { sameBytes } from './interfaces.js';

/** One address to announce. */
export interface AnnouncedAddress {
  /** The address as text, e.g. `10.0.0.5` or `2001:db8::5` (no prefix length). */
  address: string;
  /** Its family; must match the text. */
  family: AddressFamily;
}

/** How many times to announce, and how far apart. */
export interface AnnounceOptions {
  /** Rounds to send, each with one frame per address: an integer ≥ 1 (keepalived's default is 5). */
  repeat: number;
  /** Pause between rounds in milliseconds; default 0, back to back as keepalived does. */
  delayMs?: number;
}

// /proc/net/if_inet6 flags (IFA_F_*, linux/if_addr.h) that make an address unusable as a source (RFC 4862 §5.4).
const IFA_F_DADFAILED = 0x08;
const IFA_F_TENTATIVE = 0x40;
// Scope column value of a link-local address (IPV6_ADDR_LINKLOCAL).
const SCOPE_LINK_LOCAL = 0x20;

/**
 * A prepared announcement round: its frames and the socket to send them on (see {@link Announcer.prepareRound}).
 *
 * @internal
 */
export interface AnnouncementRound {
  /** Interface. */
  readonly ifname: string;
  /** The socket the frames are for (their source MAC is its interface's). */
  readonly socket: PacketSocket;
  /** One frame per address. */
  readonly frames: readonly Uint8Array[];
  /** The Router flag its unsolicited NAs carry; undefined when it has none (no IPv6 address). */
  readonly router?: boolean;
  /** When that flag was last read from the interface's `forwarding` (performance.now() ms; see {@link Announcer.routerFlagCurrent}). */
  routerReadAtMs?: number;
}

/**
 * How old the Router flag of a prepared round may be before {@link Announcer.routerFlagCurrent} reads `forwarding`
 * again: keepalived 2.2.7 re-reads it before an unsolicited NA when its last read is older than 5 s (vrrp_ndisc.c).
 */
const ROUTER_FLAG_MAX_AGE_MS = 5000;

/** How an {@link Announcer} is made. */
export interface AnnouncerOptions {
  /**
   * Follows an interface's link (its index and MAC) as its events tell (default: the thread's rtnetlink events), to
   * drop a socket whose MAC changed or whose interface was made again (a new index); `false`: never (both are read
   * once per socket).
   */
  followLink?: ((ifname: string, onLink: (link: { index: number; mac: Uint8Array }) => void) => Promise<() => void>) | false;
}

/** Sends gratuitous ARP / unsolicited NA for virtual addresses, with one cached packet socket per interface. */
export class Announcer {
  readonly #sockets = new Map<string, PacketSocket>();
  readonly #followLink: Exclude<AnnouncerOptions['followLink'], false | undefined> | undefined;
  /** The link watch of each interface with an open socket: its stop, once it started. */
  readonly #linkWatches = new Map<string, Promise<(() => void) | undefined>>();

  /** See {@link AnnouncerOptions}. */
  constructor(options: AnnouncerOptions = {}) {
    this.#followLink = options.followLink === false ? undefined : (options.followLink ?? watchLink);
  }

  /** Gratuitous ARP frames by socket (its MAC) and address: the same bytes at every takeover. */
  readonly #arpFrames = new WeakMap<PacketSocket, Map<string, Uint8Array>>();
  /**
   * Sends `repeat` rounds of announcements for `addresses` on `ifname`. Throws RangeError on a bad address or
   * option, and a `PacketSocketError` (exported by `vrrp/linux`) when the socket cannot be opened or a frame
   * cannot be sent; earlier frames have gone out by then, and after a full queue's refusal (EAGAIN, ENOBUFS) the
   * later ones too.
   */
  async announce(ifname: string, addresses: readonly AnnouncedAddress[], options: AnnounceOptions): Promise<void> {
    const { repeat, delayMs = 0 } = options;
    if (!Number.isInteger(repeat) || repeat < 1) throw new RangeError('repeat must be an integer >= 1');
    if (!Number.isFinite(delayMs) || delayMs < 0) throw new RangeError('delayMs must be a number >= 0');
    if (addresses.length === 0) return;
    const socket = this.#socketFor(ifname);
    const frames = this.#frames(socket, ifname, parseTargets(addresses));
    // A frame the kernel had no room for (EAGAIN, ENOBUFS: a full queue) is skipped, not the rest: the frames are
    // repeated anyway, and one address's refusal must not leave the next addresses unannounced. It is thrown once
    // the announcement is done. Any other failure says the socket is bad: it is dropped and thrown at once.
    let skipped: unknown;
    for (let round = 0; round < repeat; round++) {
      if (round > 0 && delayMs > 0) {
        await sleep(delayMs);
        // close() ran during the pause (the instance is stopping): the rest of the burst is no longer wanted.
        if (this.#sockets.get(ifname) !== socket) return;
      }
      for (const frame of frames) {
        try {
          socket.send(frame);
        } catch (error) {
          const code = (error as { code?: unknown }).code;
          if (code === 'EAGAIN' || code === 'EWOULDBLOCK' || code === 'ENOBUFS') {
            skipped ??= error;
            continue;
          }
          this.close(ifname);
          throw error;
        }
      }
    }
    if (skipped !== undefined) throw skipped;
  }

  /**
   * Opens (and caches) the socket of `ifname` now and builds the IPv4 frames of `addresses`, so that the first
   * announcement neither opens a socket nor builds a frame; IPv6 frames are built when sent, since their source
   * (the link-local address, usable only once its DAD is done) and Router flag can change.
   */
  warm(ifname: string, addresses: readonly AnnouncedAddress[] = []): void {
    const socket = this.#socketFor(ifname);
    let targets: { family: AddressFamily; bytes: Uint8Array; text: string }[] = [];
    try {
      targets = parseTargets(addresses);
    } catch {
      // A bad address is reported when an announcement is attempted; nothing to build ahead.
    }
    this.#frames(socket, ifname, targets);
    warmAnnouncement(socket);
  }

  /**
   * One announcement round of `addresses` on `ifname`, built now, as a handle its caller keeps (the VIP manager's
   * takeover burst sends its frames itself); undefined for an empty list. A prepared round may be sent long after
   * it was built, so an IPv6 address's unsolicited NA has the target itself as its source, as keepalived 2.2.7's
   * always has — the address is added just before, without DAD — where {@link announce} picks the link-local
   * address usable as it sends (one that was replaced, or is tentative after a link flap, would be stale here); and
   * its Router flag, read now, is checked by {@link routerFlagCurrent} as keepalived checks its own (re-read when
   * older than 5 s). The handle stays valid while {@link isCurrent} says so. Throws like {@link announce} when the
   * socket cannot be opened.
   * Internal: for the VIP manager's takeover burst; a round holds a packet socket, which is not a public type.
   *
   * @internal
   */
  prepareRound(ifname: string, addresses: readonly AnnouncedAddress[]): AnnouncementRound | undefined {
    if (addresses.length === 0) return undefined;
    const socket = this.#socketFor(ifname);
    const targets = parseTargets(addresses);
    if (!targets.some((target) => target.family === 'ipv6')) return { ifname, socket, frames: this.#frames(socket, ifname, targets) };
    const router = ipv6Forwarding(ifname);
    return { ifname, socket, frames: this.#frames(socket, ifname, targets, { router }), router, routerReadAtMs: performance.now() };
  }

  /**
   * Whether `round`'s socket is still its interface's (a failed socket is dropped and reopened).
   * Internal, like {@link prepareRound}.
   *
   * @internal
   */
  isCurrent(round: AnnouncementRound): boolean {
    return this.#sockets.get(round.ifname) === round.socket;
  }

  /**
   * Whether `round`'s unsolicited NAs still carry the interface's Router flag: `forwarding` read again once the last
   * read is 5 s old, so at most every 5 s however often this is asked; true for a round without IPv6 addresses.
   * Its owner builds a round that is not again (see {@link prepareRound}). Internal, like {@link prepareRound}.
   *
   * @internal
   */
  routerFlagCurrent(round: AnnouncementRound): boolean {
    if (round.router === undefined) return true;
    const now = performance.now();
    if (now - (round.routerReadAtMs ?? 0) < ROUTER_FLAG_MAX_AGE_MS) return true;
    round.routerReadAtMs = now;
    return ipv6Forwarding(round.ifname) === round.router;
  }

  /** Closes the cached socket of `ifname`, or of every interface when none is given, and stops following their links. */
  close(ifname?: string): void {
    for (const [name, socket] of this.#sockets) {
      if (ifname !== undefined && name !== ifname) continue;
      socket.close();
      this.#sockets.delete(name);
    }
    for (const [name, watch] of this.#linkWatches) {
      if (ifname !== undefined && name !== ifname) continue;
      this.#linkWatches.delete(name);
      void watch.then((stop) => stop?.());
    }
  }

  /**
   * Follows `ifname`'s link while its socket is open: a MAC or an index that is not the socket's drops the socket
   * (and with it every round prepared on it: {@link isCurrent} says so), so the next announcement reopens it.
   * A watch that cannot start (no rtnetlink events) leaves the MAC as read at open, as before.
   */
  #followMac(ifname: string): void {
    const follow = this.#followLink;
    if (follow === undefined || this.#linkWatches.has(ifname)) return;
    const watch = follow(ifname, (link) => {
      const socket = this.#sockets.get(ifname);
      if (socket !== undefined && (socket.ifindex !== link.index || !sameBytes(socket.mac, link.mac))) this.close(ifname);
    }).then(
      (stop) => {
        // Closed while the watch started: stop it now.
        if (this.#linkWatches.get(ifname) !== watch) stop();
        return stop;
      },
      () => undefined,
    );
    this.#linkWatches.set(ifname, watch);
  }

  /**
   * The frames announcing `targets` from `socket`: IPv4 ones from the socket's cache, IPv6 ones built now — from the
   * interface's usable link-local address and its `forwarding` as read now, or, given `prepared`, from the target
   * itself with that Router flag (see {@link prepareRound}).
   */
  #frames(
    socket: PacketSocket,
    ifname: string,
    targets: readonly { family: AddressFamily; bytes: Uint8Array; text: string }[],
    prepared?: { router: boolean },
  ): Uint8Array[] {
    let cache = this.#arpFrames.get(socket);
    if (cache === undefined) {
      cache = new Map();
      this.#arpFrames.set(socket, cache);
    }
    let hasIpv6 = false;
    for (const target of targets) hasIpv6 ||= target.family === 'ipv6';
    const linkLocal = hasIpv6 && prepared === undefined ? usableLinkLocal(ifname) : undefined;
    const router = hasIpv6 && (prepared?.router ?? ipv6Forwarding(ifname));
    const frames: Uint8Array[] = [];
    for (const { family, bytes, text } of targets) {
      if (family === 'ipv6') {
        // Without a usable link-local (addr_gen_mode none, DAD still running) fall back to the target itself,
        // which is what keepalived 2.2.7 always uses as the source: it is assigned to the interface too.
        frames.push(unsolicitedNeighborAdvertisementFrame(socket.mac, linkLocal ?? bytes, bytes, { router }));
        continue;
      }
      let frame = cache.get(text);
      if (frame === undefined) {
        frame = gratuitousArpFrame(socket.mac, bytes);
        cache.set(text, frame);
      }
      frames.push(frame);
    }
    return frames;
  }

  #socketFor(ifname: string): PacketSocket {
    let socket = this.#sockets.get(ifname);
    if (socket === undefined) {
      socket = openPacketSocket(ifname);
      this.#sockets.set(ifname, socket);
      this.#followMac(ifname);
    }
    return socket;
  }
}

/** The addresses parsed; throws RangeError for one whose text is not an address of its family. */
function parseTargets(addresses: readonly AnnouncedAddress[]): { family: AddressFamily; bytes: Uint8Array; text: string }[] {
  const targets: { family: AddressFamily; bytes: Uint8Array; text: string }[] = [];
  for (const { address, family } of addresses) {
    const parsed = parseIp(address);
    if (parsed === undefined || parsed.family !== family) throw new RangeError(`${address} is not an ${family} address`);
    targets.push({ family: parsed.family, bytes: parsed.bytes, text: address });
  }
  return targets;
}

// First link-local address of `ifname` that is neither tentative nor failed DAD, from /proc/net/if_inet6 (this
// process's network namespace). Lines: address (32 hex), ifindex, prefix length, scope, flags, name.
function usableLinkLocal(ifname: string): Uint8Array | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/net/if_inet6', 'utf8');
  } catch {
    return undefined; // IPv6 disabled in the kernel: the fallback source is as good as any.
  }
  for (const line of text.split('\n')) {
    const [hex, , , scope, flags, name] = line.trim().split(/\s+/);
    if (name !== ifname || hex === undefined || hex.length !== 32 || scope === undefined || flags === undefined) continue;
    if (Number.parseInt(scope, 16) !== SCOPE_LINK_LOCAL) continue;
    if ((Number.parseInt(flags, 16) & (IFA_F_TENTATIVE | IFA_F_DADFAILED)) !== 0) continue;
    return Uint8Array.from({ length: 16 }, (_, i) => Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16));
  }
  return undefined;
}

// keepalived 2.2.7 sets the NA Router flag exactly when IPv6 forwarding is on for the interface; so do we (see
// NeighborAdvertisementOptions.router for why it matters).
function ipv6Forwarding(ifname: string): boolean {
  try {
    return readFileSync(`/proc/sys/net/ipv6/conf/${ifname}/forwarding`, 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

let shared: Announcer | undefined;
/** The one view of `shared` that every VIP manager of the thread gets (see threadAnnouncer). */
let sharedSender: AnnouncementSender | undefined;

/**
 * The thread's announcer, as its VIP managers see it: announcements go through one AF_PACKET socket per interface for
 * the whole thread (with 255 instances, 255 sockets cost 255 closes of about 12 ms each at stop — the kernel waits
 * for an RCU grace period on every packet socket it releases — and the exit's shutdown ran out of time). `close()`
 * without an interface leaves the shared sockets to the others; `close(ifname)` drops a failed one for everybody,
 * and the next announcement reopens it. One view for every manager, not one each: its five functions were ~0.4 KB
 * an instance (docs/linux.md, "Memory per instance").
 */
export function threadAnnouncer(): AnnouncementSender {
  if (sharedSender !== undefined) return sharedSender;
  const announcer = (shared ??= new Announcer());
  return (sharedSender = {
    announce: (ifname, addresses, options) => announcer.announce(ifname, addresses, options),
    warm: (ifname, addresses) => announcer.warm(ifname, addresses),
    prepareRound: (ifname, addresses) => announcer.prepareRound(ifname, addresses),
    isCurrent: (round) => announcer.isCurrent(round),
    routerFlagCurrent: (round) => announcer.routerFlagCurrent(round),
    close: (ifname) => {
      if (ifname !== undefined) announcer.close(ifname);
    },
  });
}

/** Closes the thread announcer's sockets (the thread is ending or idle). */
export function closeThreadAnnouncer(): void {
  shared?.close();
}
