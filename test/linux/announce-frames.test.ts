/**
 * Gratuitous ARP (RFC 5227 §3) and unsolicited Neighbor Advertisement (RFC 4861 §7.2.6) frames, byte by byte.
 * Expected bytes are written out, and checksums are recomputed here without src/core/checksum.ts. The two
 * "keepalived" fixtures are frames keepalived 2.2.7 sent on this machine kind (captured with `tcpdump -xx` on a veth
 * peer): our frames must be identical to them, byte for byte.
 */
import { describe, it, expect } from 'vitest';
import {
  GRATUITOUS_ARP_FRAME_LENGTH,
  UNSOLICITED_NA_FRAME_LENGTH,
  gratuitousArpFrame,
  unsolicitedNeighborAdvertisementFrame,
} from '../../src/linux/announce-frames.js';

const hex = (text: string): Uint8Array => Uint8Array.from(text.replace(/\s+/g, '').match(/../g)!, (pair) => Number.parseInt(pair, 16));
const u16 = (bytes: Uint8Array, at: number): number => (bytes[at]! << 8) | bytes[at + 1]!;

const MAC = hex('02 98 00 00 00 01');
const VIP4 = hex('0a 62 00 64'); // 10.98.0.100
const LINK_LOCAL = hex('fe80 0000 0000 0000 0098 00ff fe00 0001'); // fe80::98:ff:fe00:1
const VIP6 = hex('2001 0db8 0098 0000 0000 0000 0000 0100'); // 2001:db8:98::100

// keepalived 2.2.7, VIP 10.98.0.100 on an interface with MAC 02:98:00:00:00:01 (no vmac).
const KEEPALIVED_GARP = hex(`
  ffff ffff ffff 0298 0000 0001 0806 0001
  0800 0604 0001 0298 0000 0001 0a62 0064
  ffff ffff ffff 0a62 0064`);
// keepalived 2.2.7, VIP 2001:db8:98::100, same MAC, forwarding off; keepalived uses the VIP as IPv6 source.
const KEEPALIVED_NA = hex(`
  3333 0000 0001 0298 0000 0001 86dd 6000
  0000 0020 3aff 2001 0db8 0098 0000 0000
  0000 0000 0100 ff02 0000 0000 0000 0000
  0000 0000 0001 8800 f564 2000 0000 2001
  0db8 0098 0000 0000 0000 0000 0100 0201
  0298 0000 0001`);

// RFC 1071 written independently of src/core/checksum.ts: one concatenated buffer, 32-bit sum, fold at the end.
function referenceChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

// RFC 8200 §8.1 pseudo-header for ICMPv6, built by hand: src, dst, 32-bit length, 3 zero bytes, next header 58.
function icmpv6PseudoHeader(src: Uint8Array, dst: Uint8Array, length: number): Uint8Array {
  const header = new Uint8Array(40);
  header.set(src, 0);
  header.set(dst, 16);
  header[34] = length >> 8;
  header[35] = length & 0xff;
  header[39] = 58;
  return header;
}

describe('gratuitousArpFrame', () => {
  const frame = gratuitousArpFrame(MAC, VIP4);

  // Given keepalived's own GARP for the same address and MAC, when we build ours, then they are identical.
  it('is byte for byte the frame keepalived 2.2.7 sends', () => {
    expect(frame).toEqual(KEEPALIVED_GARP);
  });

  // Given a MAC and an address, when the frame is built, then every field is where RFC 826 / RFC 5227 put it.
  it('has every field in place', () => {
    expect(frame.length).toBe(GRATUITOUS_ARP_FRAME_LENGTH); // 14 Ethernet + 28 ARP, unpadded like keepalived
    expect(frame.subarray(0, 6)).toEqual(hex('ffffffffffff')); // Ethernet destination: broadcast
    expect(frame.subarray(6, 12)).toEqual(MAC); // Ethernet source: the interface MAC
    expect(u16(frame, 12)).toBe(0x0806); // EtherType ARP
    expect(u16(frame, 14)).toBe(1); // hardware type Ethernet
    expect(u16(frame, 16)).toBe(0x0800); // protocol type IPv4
    expect(frame[18]).toBe(6); // hardware address length
    expect(frame[19]).toBe(4); // protocol address length
    expect(u16(frame, 20)).toBe(1); // opcode REQUEST (RFC 5227 §3), as keepalived
    expect(frame.subarray(22, 28)).toEqual(MAC); // sender hardware address: the interface MAC
    expect(frame.subarray(28, 32)).toEqual(VIP4); // sender protocol address: the announced address
    expect(frame.subarray(32, 38)).toEqual(hex('ffffffffffff')); // target hardware address: broadcast, as keepalived
    expect(frame.subarray(38, 42)).toEqual(VIP4); // target protocol address = sender's: that makes it gratuitous
  });

  // Given inputs that would put a malformed or misleading frame on the wire, then the builder refuses them.
  it.each([
    ['a 5-byte mac', hex('0298000000'), VIP4],
    ['a multicast mac', hex('01005e000001'), VIP4],
    ['an all-zero mac', hex('000000000000'), VIP4],
    ['a 16-byte address', MAC, VIP6],
  ])('rejects %s with RangeError', (_label, mac, ip) => {
    expect(() => gratuitousArpFrame(mac, ip)).toThrow(RangeError);
  });
});

describe('unsolicitedNeighborAdvertisementFrame', () => {
  const frame = unsolicitedNeighborAdvertisementFrame(MAC, LINK_LOCAL, VIP6);

  // Given keepalived's source choice (the VIP itself), when we build the NA, then it equals keepalived's frame,
  // including the checksum keepalived computed (0xf564).
  it('is byte for byte the frame keepalived 2.2.7 sends when given the same source', () => {
    expect(unsolicitedNeighborAdvertisementFrame(MAC, VIP6, VIP6)).toEqual(KEEPALIVED_NA);
  });

  // Given a link-local source, when the frame is built, then every field is where RFC 8200 / RFC 4861 put it.
  it('has every field in place', () => {
    expect(frame.length).toBe(UNSOLICITED_NA_FRAME_LENGTH); // 14 + 40 + 24 + 8
    // Ethernet
    expect(frame.subarray(0, 6)).toEqual(hex('333300000001')); // destination: ff02::1 mapped per RFC 2464 §7
    expect(frame.subarray(6, 12)).toEqual(MAC); // source: the interface MAC
    expect(u16(frame, 12)).toBe(0x86dd); // EtherType IPv6
    // IPv6 header
    expect(frame[14]! >> 4).toBe(6); // version 6
    expect(frame.subarray(14, 18)).toEqual(hex('60000000')); // traffic class 0, flow label 0
    expect(u16(frame, 18)).toBe(32); // payload length: NA 24 + option 8
    expect(frame[20]).toBe(58); // next header ICMPv6
    expect(frame[21]).toBe(255); // hop limit 255 (RFC 4861 §7.1.2: receivers drop anything else)
    expect(frame.subarray(22, 38)).toEqual(LINK_LOCAL); // source: the interface's link-local
    expect(frame.subarray(38, 54)).toEqual(hex('ff020000000000000000000000000001')); // destination ff02::1
    // ICMPv6 Neighbor Advertisement
    expect(frame[54]).toBe(136); // type 136 = Neighbor Advertisement
    expect(frame[55]).toBe(0); // code 0
    expect(frame[58]).toBe(0x20); // flags: Router=0 (0x80), Solicited=0 (0x40), Override=1 (0x20)
    expect(frame.subarray(59, 62)).toEqual(hex('000000')); // rest of the 29 reserved bits: zero
    expect(frame.subarray(62, 78)).toEqual(VIP6); // target address: the announced address
    // Target Link-Layer Address option (RFC 4861 §4.6.1)
    expect(frame[78]).toBe(2); // option type 2 = Target Link-Layer Address
    expect(frame[79]).toBe(1); // option length 1 × 8 bytes
    expect(frame.subarray(80, 86)).toEqual(MAC); // the new link-layer address for the target
  });

  // Given the frame, when the ICMPv6 checksum is recomputed here over a hand-built pseudo-header, then it matches the
  // stored one, and summing over the stored checksum gives 0 as a receiver's check does.
  it('carries a correct ICMPv6 checksum', () => {
    const icmp = frame.subarray(54);
    const pseudo = icmpv6PseudoHeader(frame.subarray(22, 38), frame.subarray(38, 54), icmp.length);
    const zeroed = Uint8Array.from(icmp);
    zeroed[2] = 0;
    zeroed[3] = 0;
    const expected = referenceChecksum(Uint8Array.from([...pseudo, ...zeroed]));
    expect(u16(frame, 56)).toBe(expected);
    expect(referenceChecksum(Uint8Array.from([...pseudo, ...icmp]))).toBe(0);
  });

  // Given router: true (IPv6 forwarding on, keepalived's rule), then only the R bit changes, and the checksum with it.
  it('sets the Router flag on request and keeps the checksum valid', () => {
    const routed = unsolicitedNeighborAdvertisementFrame(MAC, LINK_LOCAL, VIP6, { router: true });
    expect(routed[58]).toBe(0xa0); // Router=1, Solicited=0, Override=1
    const icmp = routed.subarray(54);
    expect(referenceChecksum(Uint8Array.from([...icmpv6PseudoHeader(LINK_LOCAL, routed.subarray(38, 54), 32), ...icmp]))).toBe(0);
    expect(u16(routed, 56)).not.toBe(u16(frame, 56));
  });

  // Given inputs RFC 4861 §7.1.2 / §7.2.4 rule out, then the builder refuses them instead of sending a dud.
  it.each([
    ['a 6-byte mac that is multicast', hex('333300000001'), LINK_LOCAL, VIP6],
    ['a 4-byte source', MAC, VIP4, VIP6],
    ['a 4-byte target', MAC, LINK_LOCAL, VIP4],
    ['a multicast source', MAC, hex('ff020000000000000000000000000001'), VIP6],
    ['the unspecified source', MAC, new Uint8Array(16), VIP6],
    ['a multicast target', MAC, LINK_LOCAL, hex('ff020000000000000000000000000001')],
  ])('rejects %s with RangeError', (_label, mac, source, target) => {
    expect(() => unsolicitedNeighborAdvertisementFrame(mac, source, target)).toThrow(RangeError);
  });
});
