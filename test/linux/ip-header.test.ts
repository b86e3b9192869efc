/**
 * The IPv4 header in front of every VRRP message a raw IPv4 socket reads: the fields VRRP judges, and garbage
 * turned into `undefined` (the socket counts it), never an exception.
 */
import { describe, expect, it } from 'vitest';
import { parseIpv4Datagram } from '../../src/linux/transport/ip-header.js';

// 20-byte header: version 4 / IHL 5, total length 28, TTL 255, protocol 112, 10.0.0.1 → 224.0.0.18, then 8 bytes.
const DATAGRAM = Uint8Array.from([
  0x45, 0xc0, 0x00, 0x1c, 0x00, 0x00, 0x00, 0x00, 0xff, 0x70, 0x00, 0x00, 10, 0, 0, 1, 224, 0, 0, 18,
  0x31, 0x33, 0x64, 0x01, 0x00, 0x64, 0x00, 0x00,
]);

describe('parseIpv4Datagram', () => {
  it('reads source, destination, TTL and where the VRRP message lies', () => {
    const parsed = parseIpv4Datagram(DATAGRAM, DATAGRAM.length);
    expect(parsed && [...parsed.src]).toEqual([10, 0, 0, 1]);
    expect(parsed && [...parsed.dst]).toEqual([224, 0, 0, 18]);
    expect(parsed?.ttl).toBe(255);
    expect(parsed?.payloadOffset).toBe(20);
    expect(parsed?.payloadEnd).toBe(28);
  });

  it('ends the message at the total length when the read was longer (padding)', () => {
    const padded = new Uint8Array(40);
    padded.set(DATAGRAM);
    expect(parseIpv4Datagram(padded, 40)?.payloadEnd).toBe(28);
  });

  it('ends the message at what was read when the total length claims more', () => {
    expect(parseIpv4Datagram(DATAGRAM, 24)?.payloadEnd).toBe(24);
  });

  it('refuses what is not an IPv4 header', () => {
    expect(parseIpv4Datagram(DATAGRAM, 19)).toBeUndefined();
    const v6 = DATAGRAM.slice();
    v6[0] = 0x65;
    expect(parseIpv4Datagram(v6, v6.length)).toBeUndefined();
    const shortIhl = DATAGRAM.slice();
    shortIhl[0] = 0x44;
    expect(parseIpv4Datagram(shortIhl, shortIhl.length)).toBeUndefined();
    const longIhl = DATAGRAM.slice();
    longIhl[0] = 0x4f; // 60-byte header in a 28-byte read
    expect(parseIpv4Datagram(longIhl, longIhl.length)).toBeUndefined();
  });

  it('never throws on random bytes', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const bytes = Uint8Array.from({ length: seed % 64 }, (_, i) => (seed * 131 + i * 71) & 0xff);
      expect(() => parseIpv4Datagram(bytes, bytes.length)).not.toThrow();
    }
  });
});
