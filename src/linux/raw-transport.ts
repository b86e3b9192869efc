/**
 * VRRP over raw IP sockets (IP protocol 112) with raw-socket: IPv4 multicast 224.0.0.18 / IPv6 ff02::12 joined on
 * the instance's interface, or unicast peers. Thin by design: it moves bytes and reads the IP header; the core
 * judges every packet (TTL included, for IPv4).
 *
 * Socket facts this file relies on (Linux):
 * - IPv4 raw sockets deliver the IP header with the payload: TTL, source and destination are read from it.
 * - IPv6 raw sockets deliver no header and raw-socket has no recvmsg for ancillary data, so the hop limit is
 *   enforced by the kernel (IPV6_MINHOPCOUNT 255: anything less never reaches us) and the destination is recovered
 *   by checking which of our candidate destinations makes the VRRP checksum valid.
 * - The socket is bound to the interface (SO_BINDTODEVICE), multicast loop is off (we must not hear ourselves),
 *   and TTL / hop limit 255 is set for both multicast and unicast (RFC 9568 §5.1.1.3, §5.1.2.3).
 * - The source must be the primary address, never one of our VIPs. IPv4: IP_MULTICAST_IF's ip_mreqn fixes it for
 *   multicast, and a VIP added to the primary's subnet is secondary, so unicast keeps the primary. IPv6 has no
 *   primary: the VIP manager adds IPv6 VIPs deprecated (preferred lifetime 0), which source address selection
 *   avoids (RFC 6724 rule 3); raw-socket offers no bind() to pin it otherwise.
 * - Receiving and sending call the native wrap directly (synchronous recvfrom/sendto on a non-blocking fd):
 *   raw-socket's own readiness handler closes the socket on a spurious EAGAIN, and `drain()` must read
 *   synchronously when a late timer fires.
 * - Each packet carries its age from the kernel's receive timestamp (SIOCGSTAMPNS through our addon), so the
 *   engine dates it by its arrival: JavaScript reads an advert 0.2-0.3 ms after it arrived (measured), more while
 *   the app holds the loop. raw-socket keeps its descriptor private; the addon finds it by the socket's SO_COOKIE.
 *   Without the addon (or on a kernel without SO_COOKIE) packets carry no age and are dated when read.
 * - Sends go through the addon's sendto on that same descriptor when it was found, with destinations encoded at
 *   open: raw-socket's send parses the address string and calls back through MakeCallback, and on a takeover (the
 *   first send after a long idle) that wrapper measured 0.1-0.2 ms around the syscall. Without the addon,
 *   raw-socket's send.
 */
import type { ReceivedPacket, Transport, TransportOptions } from '../adapters/types.js';
import { VRRP_IP_PROTOCOL, VRRP_MULTICAST_GROUP } from '../core/advertisement.js';
import { internetChecksum, pseudoHeaderIpv6 } from '../core/checksum.js';
import { canonicalIp, formatIp, parseIp } from '../core/ip-address.js';
import { VrrpError } from '../errors.js';
import { getInterface, getInterfaceAddresses, pickPrimaryAddress } from './interfaces.js';
import { loadRawSocket, type RawSocket } from './native.js';
import { borrowSocket, type BorrowedSocket } from './packet-socket.js';

const SOL_SOCKET = 1;
const SO_BINDTODEVICE = 25;
const SO_RCVBUF = 8;
const SO_RCVBUFFORCE = 33;
const SO_COOKIE = 57;
/** Ages above this are not trusted: the wall clock was stepped between the packet's arrival and its read. */
const MAX_TRUSTED_AGE_MS = 60_000;
const IPPROTO_IP = 0;
const IP_TTL = 2;
const IP_MULTICAST_IF = 32;
const IP_MULTICAST_TTL = 33;
const IP_MULTICAST_LOOP = 34;
const IP_ADD_MEMBERSHIP = 35;
const IPPROTO_IPV6 = 41;
const IPV6_UNICAST_HOPS = 16;
const IPV6_MULTICAST_IF = 17;
const IPV6_MULTICAST_HOPS = 18;
const IPV6_MULTICAST_LOOP = 19;
const IPV6_ADD_MEMBERSHIP = 20;
const IPV6_CHECKSUM = 7;
const IPV6_MINHOPCOUNT = 73;
const GROUP = VRRP_MULTICAST_GROUP;

/** Counters of what the transport itself dropped before the core saw it. */
export interface RawTransportStats {
  /** IPv4 packets whose header could not be read. */
  malformedIpHeaders: number;
  /** Receive calls that failed with something other than "nothing to read". */
  receiveErrors: number;
}

/** A {@link Transport} over raw IP sockets. One per VRRP instance. */
export class RawSocketTransport implements Transport {
  /** What this transport dropped itself. */
  readonly stats: RawTransportStats = { malformedIpHeaders: 0, receiveErrors: 0 };
  #socket: RawSocket | undefined;
  #options: TransportOptions | undefined;
  #onPacket: ((packet: ReceivedPacket) => void) | undefined;
  #sendSuffix = '';
  #candidateDestinations: Uint8Array[] = [];
  #candidateText: string[] = [];
  readonly #buffer = Buffer.alloc(65_536);
  /** raw-socket's socket through the addon, for receive timestamps and sends; undefined when it cannot be found. */
  #borrowed: BorrowedSocket | undefined;
  /** Destinations as the addon's sendTo takes them, by the text the core uses. */
  readonly #destinations = new Map<string, { address: Uint8Array; scopeId: number }>();
  #ifindex = 0;

  /** See {@link Transport.open}. */
  async open(
    options: TransportOptions,
    onPacket: (packet: ReceivedPacket) => void,
    onFailure?: (error: Error) => void,
  ): Promise<{ primaryAddress: string }> {
    // One socket per transport: a second open would leak the first (and the warm-up below relies on it).
    if (this.#socket) throw new VrrpError('transport_failed', 'transport is already open');
    const link = await getInterface(options.interface);
    if (!link) throw new VrrpError('transport_failed', `interface ${options.interface} does not exist`);
    const addresses = await getInterfaceAddresses(link.index, options.family);
    const primaryAddress =
      options.primaryAddress ?? pickPrimaryAddress(addresses, options.family, new Set(options.virtualAddresses), options.unicastPeers);
    if (!primaryAddress) {
      const what = options.family === 'ipv4' ? 'an IPv4 address' : 'an IPv6 link-local address';
      throw new VrrpError('transport_failed', `interface ${options.interface} has no ${what} to send VRRP from`);
    }
    const raw = loadRawSocket();
    const family = options.family === 'ipv4' ? raw.AddressFamily.IPv4 : raw.AddressFamily.IPv6;
    let socket: RawSocket;
    try {
      socket = raw.createSocket({ protocol: VRRP_IP_PROTOCOL, addressFamily: family });
    } catch (cause) {
      throw new VrrpError('transport_failed', `cannot open a raw socket (${errorText(cause)}): needs root or CAP_NET_RAW`, { cause });
    }
    try {
      this.#configure(socket, options, link.index, primaryAddress);
    } catch (cause) {
      socket.close();
      throw new VrrpError('transport_failed', `cannot configure the raw socket on ${options.interface}: ${errorText(cause)}`, { cause });
    }
    // Take reception over from raw-socket's handler (see the header).
    socket.wrap.removeAllListeners('recvReady');
    // A backup's first send is its takeover's advert, so compile send() now (V8 compiles a function at its first
    // call): with no socket yet, it throws at its first line and sends nothing. Measured together with the
    // engine's inlined send: the advert left 0.07 ms sooner. Node's Buffer-over-ArrayBuffer path gets the same
    // treatment (its first call measured 0.05 ms).
    try {
      this.send(GROUP[options.family], EMPTY);
    } catch {
      // expected: "transport is closed"
    }
    Buffer.from(EMPTY.buffer, EMPTY.byteOffset, EMPTY.byteLength);
    ignoreSendResult(0); // raw-socket calls it inside every send: compile it now too
    socket.wrap.on('recvReady', () => this.drain());
    // raw-socket closes its socket on a poll error, and the next send would silently open a fresh, unconfigured one
    // (no interface binding, TTL 64): our packets would be dropped by every peer. Treat the error as fatal instead.
    socket.on('error', (error) => {
      this.stats.receiveErrors++;
      this.close();
      onFailure?.(new VrrpError('transport_failed', `raw socket on ${options.interface} failed: ${errorText(error)}`, { cause: error }));
    });
    // Link-local destinations need the interface as zone for sendto (the index, through the addon).
    this.#sendSuffix = options.family === 'ipv6' ? `%${options.interface}` : '';
    this.#borrowed = borrowRawSocket(socket);
    this.#ifindex = link.index;
    this.#destinations.clear();
    for (const dst of [GROUP[options.family], ...options.unicastPeers]) this.#destination(dst);
    // The addon's side of send, compiled too: an empty address is refused (RangeError) before any syscall.
    try {
      this.#borrowed?.sendTo(EMPTY, EMPTY, 0);
    } catch {
      // expected
    }
    this.#socket = socket;
    this.#options = options;
    this.#onPacket = onPacket;
    if (options.family === 'ipv6') {
      const candidates = [GROUP.ipv6, ...addresses.map((a) => a.address)];
      this.#candidateText = candidates;
      this.#candidateDestinations = candidates.map((text) => (parseIp(text) as { bytes: Uint8Array }).bytes);
    }
    return { primaryAddress };
  }

  #configure(socket: RawSocket, options: TransportOptions, ifindex: number, primaryAddress: string): void {
    const wrap = socket.wrap;
    const ifname = Buffer.from(`${options.interface}\0`);
    wrap.setOption(SOL_SOCKET, SO_BINDTODEVICE, ifname, ifname.length);
    // Room for a burst of adverts while the app blocks the loop; FORCE passes rmem_max (we hold CAP_NET_ADMIN).
    try {
      wrap.setOption(SOL_SOCKET, SO_RCVBUFFORCE, 1 << 20);
    } catch {
      wrap.setOption(SOL_SOCKET, SO_RCVBUF, 1 << 20);
    }
    const multicast = options.unicastPeers.length === 0;
    if (options.family === 'ipv4') {
      wrap.setOption(IPPROTO_IP, IP_TTL, 255);
      wrap.setOption(IPPROTO_IP, IP_MULTICAST_TTL, 255);
      wrap.setOption(IPPROTO_IP, IP_MULTICAST_LOOP, 0);
      // struct ip_mreqn { imr_multiaddr; imr_address; imr_ifindex }: the address also fixes our multicast source.
      const mreqn = Buffer.alloc(12);
      Buffer.from(parseIpBytes(GROUP.ipv4)).copy(mreqn, 0);
      Buffer.from(parseIpBytes(primaryAddress)).copy(mreqn, 4);
      mreqn.writeInt32LE(ifindex, 8);
      wrap.setOption(IPPROTO_IP, IP_MULTICAST_IF, mreqn, 12);
      if (multicast) wrap.setOption(IPPROTO_IP, IP_ADD_MEMBERSHIP, mreqn, 12);
    } else {
      wrap.setOption(IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255);
      wrap.setOption(IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255);
      wrap.setOption(IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0);
      wrap.setOption(IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex);
      wrap.setOption(IPPROTO_IPV6, IPV6_MINHOPCOUNT, 255);
      // The kernel fills in (and on receive verifies) the checksum with the source it really uses, the way
      // keepalived does it: our own checksum cannot know the source address the kernel picks.
      wrap.setOption(IPPROTO_IPV6, IPV6_CHECKSUM, 6);
      if (multicast) {
        // struct ipv6_mreq { ipv6mr_multiaddr; ipv6mr_interface }
        const mreq = Buffer.alloc(20);
        Buffer.from(parseIpBytes(GROUP.ipv6)).copy(mreq, 0);
        mreq.writeUInt32LE(ifindex, 16);
        wrap.setOption(IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, mreq, 20);
      }
    }
  }

  /** See {@link Transport.send}. Synchronous sendto; errors are thrown to the instance, which reports them. */
  send(dst: string, bytes: Uint8Array): void {
    const socket = this.#socket;
    if (!socket) throw new VrrpError('send_failed', 'transport is closed');
    const borrowed = this.#borrowed;
    if (borrowed !== undefined) {
      const destination = this.#destinations.get(dst) ?? this.#destination(dst);
      borrowed.sendTo(bytes, destination.address, destination.scopeId);
      return;
    }
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const zone = this.#sendSuffix && needsZone(dst) ? this.#sendSuffix : '';
    socket.wrap.send(buffer, 0, buffer.length, `${dst}${zone}`, ignoreSendResult);
  }

  /** `dst` as the addon's sendTo takes it, remembered (the core sends to a fixed set of destinations). */
  #destination(dst: string): { address: Uint8Array; scopeId: number } {
    const destination = { address: parseIpBytes(dst), scopeId: this.#sendSuffix && needsZone(dst) ? this.#ifindex : 0 };
    this.#destinations.set(dst, destination);
    return destination;
  }

  /** See {@link Transport.drain}: reads until the socket is empty, handing each packet on at once. */
  drain(): void {
    const socket = this.#socket;
    const onPacket = this.#onPacket;
    if (!socket || !onPacket) return;
    for (;;) {
      let length = -1;
      let source = '';
      try {
        socket.wrap.recv(this.#buffer, (_buffer, bytes, from) => {
          length = bytes;
          source = from;
        });
      } catch (error) {
        if (!/temporarily unavailable|EAGAIN|EWOULDBLOCK/i.test(errorText(error))) this.stats.receiveErrors++;
        return;
      }
      if (length < 0) return;
      const packet = this.#options?.family === 'ipv4' ? this.#parseIpv4(length) : this.#parseIpv6(length, source);
      if (packet) {
        const ageMs = this.#borrowed?.receiveAgeMs();
        if (ageMs !== undefined && ageMs < MAX_TRUSTED_AGE_MS) packet.ageMs = ageMs;
        onPacket(packet);
      }
      if (!this.#socket) return; // closed by a handler
    }
  }

  #parseIpv4(length: number): ReceivedPacket | undefined {
    const b = this.#buffer;
    if (length < 20 || (b[0] as number) >> 4 !== 4) {
      this.stats.malformedIpHeaders++;
      return undefined;
    }
    const headerLength = ((b[0] as number) & 0x0f) * 4;
    const totalLength = b.readUInt16BE(2);
    if (headerLength < 20 || headerLength > length) {
      this.stats.malformedIpHeaders++;
      return undefined;
    }
    // Linux hands raw IPv4 sockets the datagram as received; trust the smaller of what we read and what it says.
    const end = Math.min(length, Math.max(totalLength, headerLength));
    return {
      bytes: new Uint8Array(b.subarray(headerLength, end)),
      src: formatIp(b.subarray(12, 16)),
      dst: formatIp(b.subarray(16, 20)),
      ttl: b[8] as number,
    };
  }

  #parseIpv6(length: number, source: string): ReceivedPacket | undefined {
    const bytes = new Uint8Array(this.#buffer.subarray(0, length));
    const src = canonicalIp(source.split('%')[0] ?? source) ?? source;
    const srcBytes = parseIp(src)?.bytes;
    let dst: string = GROUP.ipv6;
    if (srcBytes) {
      // The destination is not delivered to us; it is the candidate under which the checksum is valid.
      for (let i = 0; i < this.#candidateDestinations.length; i++) {
        const candidate = this.#candidateDestinations[i] as Uint8Array;
        if (internetChecksum(pseudoHeaderIpv6(srcBytes, candidate, bytes.length), bytes) === 0) {
          dst = this.#candidateText[i] as string;
          break;
        }
      }
    }
    // IPV6_MINHOPCOUNT 255 made the kernel drop anything that was not sent with hop limit 255.
    return { bytes, src, dst, ttl: 255 };
  }

  /** See {@link Transport.close}. */
  close(): void {
    const socket = this.#socket;
    this.#socket = undefined;
    // Our own descriptor of the socket: closed with it (it would otherwise keep the socket, and its multicast
    // membership, open).
    this.#borrowed?.close();
    this.#borrowed = undefined;
    this.#onPacket = undefined;
    if (!socket) return;
    socket.removeAllListeners();
    socket.close();
  }
}

const EMPTY = new Uint8Array(0);

/**
 * raw-socket's socket behind `socket`, found by its SO_COOKIE, with receive timestamps turned on; undefined when
 * the kernel, the addon or the scan cannot tell.
 */
function borrowRawSocket(socket: RawSocket): BorrowedSocket | undefined {
  const cookie = Buffer.alloc(8);
  try {
    socket.wrap.getOption(SOL_SOCKET, SO_COOKIE, cookie, cookie.length);
  } catch {
    return undefined; // a kernel without SO_COOKIE (before 4.12 for raw sockets)
  }
  return borrowSocket(new Uint8Array(cookie));
}

/** raw-socket's send callback: called synchronously with the byte count; errors are thrown instead. */
function ignoreSendResult(_bytes: number): void {}

function parseIpBytes(text: string): Uint8Array {
  const parsed = parseIp(text);
  if (!parsed) throw new TypeError(`${text} is not an IP address`);
  return parsed.bytes;
}

/** Link-local unicast and link-scope multicast IPv6 destinations need a zone on sendto. */
function needsZone(dst: string): boolean {
  const lower = dst.toLowerCase();
  return lower.startsWith('fe8') || lower.startsWith('fe9') || lower.startsWith('fea') || lower.startsWith('feb') || lower.startsWith('ff02');
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
