/**
 * Whole Ethernet frames that tell a LAN a virtual address has moved: gratuitous ARP for IPv4, an unsolicited
 * Neighbor Advertisement for IPv6. Pure byte builders (no I/O, no node:* imports) sent by `packet-socket.ts`.
 *
 * Rules:
 * - The sender is the interface's own MAC, as keepalived 2.2.7 does without `use_vmac`: routers and hosts must see
 *   us exactly as they see keepalived, so mixed clusters fail over the same way.
 * - Frames are not padded to Ethernet's 60-byte minimum: the NIC/driver pads (IEEE 802.3), keepalived sends the
 *   same 42-byte ARP frame, and virtual links (veth, bridges) carry short frames as they are.
 * - Invalid input is a programming error: RangeError, never a malformed frame on the wire.
 */
import { internetChecksum, pseudoHeaderIpv6 } from '../core/checksum.js';

/** Length of a gratuitous ARP frame: 14-byte Ethernet header + 28-byte ARP payload for Ethernet/IPv4. */
export const GRATUITOUS_ARP_FRAME_LENGTH = 42;

/** Length of an unsolicited NA frame: Ethernet 14 + IPv6 40 + NA 24 + Target Link-Layer Address option 8. */
export const UNSOLICITED_NA_FRAME_LENGTH = 86;

// EtherTypes (IEEE 802 numbers, RFC 7042 §B.1).
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_ARP = 0x0806;
const ETHERTYPE_IPV6 = 0x86dd;
// ARP hardware type 1 = Ethernet (RFC 826, IANA "Hardware Types").
const ARP_HARDWARE_ETHERNET = 1;
// ARP opcode 1 = request (RFC 826). See gratuitousArpFrame for why a request and not a reply.
const ARP_OP_REQUEST = 1;
// IPv6 next header 58 = ICMPv6 (RFC 4443).
const NEXT_HEADER_ICMPV6 = 58;
// RFC 4861 §4.4: Neighbor Advertisement is ICMPv6 type 136, code 0.
const ICMPV6_NEIGHBOR_ADVERTISEMENT = 136;
// RFC 4861 §4.6.1: option type 2 = Target Link-Layer Address; its length is in 8-byte units (1 for a MAC).
const ND_OPTION_TARGET_LINK_LAYER_ADDRESS = 2;
// RFC 4861 §4.4 flag bits in the first byte after the checksum.
const NA_FLAG_ROUTER = 0x80;
const NA_FLAG_OVERRIDE = 0x20;
// RFC 4861 §7.1.2: receivers drop ND messages whose hop limit is not 255, which proves they came from on-link.
const ND_HOP_LIMIT = 255;
// ICMPv6 length of an NA with one Target Link-Layer Address option: 24 + 8.
const NA_ICMP_LENGTH = 32;

const BROADCAST_MAC = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
// RFC 2464 §7: IPv6 multicast ff02::1 maps to Ethernet 33:33 followed by its last 32 bits.
const ALL_NODES_MAC = new Uint8Array([0x33, 0x33, 0x00, 0x00, 0x00, 0x01]);
// ff02::1, the link-local all-nodes group (RFC 4291 §2.7.1).
const ALL_NODES_IPV6 = new Uint8Array([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01]);

/** Options of {@link unsolicitedNeighborAdvertisementFrame}. */
export interface NeighborAdvertisementOptions {
  /**
   * Sets the Router flag. Default false. RFC 9568 §6.4.1/§6.4.2 ask a VRRP router for R=1; keepalived 2.2.7 sets it
   * only when IPv6 forwarding is on for the interface, because a host that sees R=0 from an address removes it from
   * its Default Router List (RFC 4861 §7.2.5) and one that sees R=1 from a non-router is misled the other way.
   */
  router?: boolean;
}

/**
 * An ARP Announcement (RFC 5227 §3) of `ipv4` from `senderMac`, in keepalived 2.2.7's form: broadcast Ethernet
 * destination, opcode REQUEST, sender = target protocol address = the announced address, target hardware address
 * broadcast. 42 bytes. Throws RangeError unless `senderMac` is a 6-byte unicast MAC and `ipv4` is 4 bytes.
 */
export function gratuitousArpFrame(senderMac: Uint8Array, ipv4: Uint8Array): Uint8Array {
  checkUnicastMac(senderMac);
  if (!(ipv4 instanceof Uint8Array) || ipv4.length !== 4) throw new RangeError('gratuitous arp needs a 4-byte ipv4 address');

  const frame = new Uint8Array(GRATUITOUS_ARP_FRAME_LENGTH);
  const view = new DataView(frame.buffer);
  // Ethernet: broadcast, so every host on the segment (not only those already caching us) sees it.
  frame.set(BROADCAST_MAC, 0);
  frame.set(senderMac, 6);
  view.setUint16(12, ETHERTYPE_ARP);
  // ARP for Ethernet/IPv4 (RFC 826): htype, ptype, hlen, plen.
  view.setUint16(14, ARP_HARDWARE_ETHERNET);
  view.setUint16(16, ETHERTYPE_IPV4);
  frame[18] = 6;
  frame[19] = 4;
  // A request, not a reply: RFC 5227 §3 explains why announcements use broadcast ARP requests (every stack
  // processes a request; an unexpected, broadcast reply may be ignored), and keepalived 2.2.7 (vrrp_arp.c) sends
  // ARPOP_REQUEST. Linux treats sender IP == target IP as gratuitous and overrides an existing cache entry.
  view.setUint16(20, ARP_OP_REQUEST);
  frame.set(senderMac, 22);
  frame.set(ipv4, 28);
  // Target hardware address: RFC 5227 §2.1.1/§2.3 say it is ignored (zeros suggested); keepalived 2.2.7 writes the
  // broadcast address here, and we copy keepalived so no peer can tell the two apart.
  frame.set(BROADCAST_MAC, 32);
  frame.set(ipv4, 38);
  return frame;
}

/**
 * An unsolicited Neighbor Advertisement (RFC 4861 §7.2.6) for `target` from `senderMac`, sent from
 * `sourceLinkLocal` to all nodes (ff02::1, Ethernet 33:33:00:00:00:01) with hop limit 255, flags Override=1
 * Solicited=0 Router=`options.router`, and a Target Link-Layer Address option carrying `senderMac`. 86 bytes, ICMPv6
 * checksum over the RFC 8200 §8.1 pseudo-header. Throws RangeError on a MAC that is not 6-byte unicast, addresses
 * that are not 16 bytes, a multicast or unspecified source, or a multicast target (RFC 4861 §7.1.2).
 */
export function unsolicitedNeighborAdvertisementFrame(
  senderMac: Uint8Array,
  sourceLinkLocal: Uint8Array,
  target: Uint8Array,
  options: NeighborAdvertisementOptions = {},
): Uint8Array {
  checkUnicastMac(senderMac);
  if (!(sourceLinkLocal instanceof Uint8Array) || sourceLinkLocal.length !== 16) {
    throw new RangeError('neighbor advertisement source must be a 16-byte ipv6 address');
  }
  if (!(target instanceof Uint8Array) || target.length !== 16) {
    throw new RangeError('neighbor advertisement target must be a 16-byte ipv6 address');
  }
  // RFC 4861 §7.2.4: the source is an address assigned to the interface, so never multicast nor ::.
  if (sourceLinkLocal[0] === 0xff || sourceLinkLocal.every((byte) => byte === 0)) {
    throw new RangeError('neighbor advertisement source must be a unicast address');
  }
  // RFC 4861 §7.1.2: receivers discard an NA whose target is multicast.
  if (target[0] === 0xff) throw new RangeError('neighbor advertisement target must not be multicast');

  const frame = new Uint8Array(UNSOLICITED_NA_FRAME_LENGTH);
  const view = new DataView(frame.buffer);
  // Ethernet: the all-nodes multicast MAC, so the frame reaches every IPv6 host without flooding as broadcast.
  frame.set(ALL_NODES_MAC, 0);
  frame.set(senderMac, 6);
  view.setUint16(12, ETHERTYPE_IPV6);

  // IPv6 header (RFC 8200 §3): version 6, traffic class 0, flow label 0.
  frame[14] = 0x60;
  view.setUint16(18, NA_ICMP_LENGTH);
  frame[20] = NEXT_HEADER_ICMPV6;
  frame[21] = ND_HOP_LIMIT;
  frame.set(sourceLinkLocal, 22);
  // RFC 4861 §7.2.6: unsolicited advertisements go to the all-nodes multicast address.
  frame.set(ALL_NODES_IPV6, 38);

  // ICMPv6 Neighbor Advertisement (RFC 4861 §4.4), from byte 54.
  const icmp = frame.subarray(54);
  icmp[0] = ICMPV6_NEIGHBOR_ADVERTISEMENT;
  icmp[1] = 0;
  // Override=1 so caches replace the old (dead master's) MAC; Solicited=0 because nobody asked (RFC 4861 §7.2.6).
  icmp[4] = NA_FLAG_OVERRIDE | (options.router === true ? NA_FLAG_ROUTER : 0);
  icmp.set(target, 8);
  // RFC 4861 §7.2.6: the Target Link-Layer Address option is what carries the new MAC; without it the NA says
  // nothing a cache can use.
  icmp[24] = ND_OPTION_TARGET_LINK_LAYER_ADDRESS;
  icmp[25] = 1;
  icmp.set(senderMac, 26);

  // RFC 4443 §2.3: the checksum covers the RFC 8200 §8.1 pseudo-header. pseudoHeaderIpv6 builds VRRP's (next header
  // 112); the layout is the same for every upper layer, so only the next-header byte changes.
  const pseudoHeader = pseudoHeaderIpv6(sourceLinkLocal, ALL_NODES_IPV6, NA_ICMP_LENGTH);
  pseudoHeader[39] = NEXT_HEADER_ICMPV6;
  new DataView(icmp.buffer, icmp.byteOffset).setUint16(2, internetChecksum(pseudoHeader, icmp));
  return frame;
}

// A group MAC (I/G bit set) as sender would make every receiver drop the frame or cache garbage.
function checkUnicastMac(mac: Uint8Array): void {
  if (!(mac instanceof Uint8Array) || mac.length !== 6) throw new RangeError('sender mac must be 6 bytes');
  if ((mac[0]! & 0x01) !== 0) throw new RangeError('sender mac must be unicast');
  if (mac.every((byte) => byte === 0)) throw new RangeError('sender mac must not be all zeros');
}
