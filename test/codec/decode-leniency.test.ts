/**
 * What decode tolerates: fields the RFCs say to ignore on receive, odd-but-valid values, and the judgements it
 * leaves to the state machine. Each message here has a valid checksum, so only the field under test is unusual.
 */
import { describe, it, expect } from 'vitest';
import type { Advertisement } from '../../src/core/advertisement.js';
import { internetChecksum } from '../../src/core/checksum.js';
import { decodeAdvertisement, encodeAdvertisement, type CodecContext } from '../../src/core/codec.js';

const ipv4: CodecContext = { family: 'ipv4', src: '192.0.2.2', dst: '224.0.0.18' };
const ipv6: CodecContext = { family: 'ipv6', src: 'fe80::1', dst: 'ff02::12' };

const v2: Advertisement = {
  version: 2,
  vrid: 7,
  priority: 100,
  advertIntervalMs: 1000,
  addresses: ['192.0.2.7'],
  authType: 0,
};
const v3: Advertisement = { version: 3, vrid: 7, priority: 100, advertIntervalMs: 1000, addresses: ['192.0.2.7'] };

// Encodes with a message-only checksum (v2, or v3 in rfc9568 mode), applies `edit`, and refills the checksum.
function edited(advertisement: Advertisement, edit: (bytes: Uint8Array) => void): Uint8Array {
  const bytes = encodeAdvertisement(advertisement, { ...ipv4, v3Ipv4Checksum: 'rfc9568' });
  edit(bytes);
  bytes[6] = 0;
  bytes[7] = 0;
  const checksum = internetChecksum(bytes);
  bytes[6] = checksum >> 8;
  bytes[7] = checksum & 0xff;
  return bytes;
}

describe('decode leniency', () => {
  it('ignores the v3 reserved bits (RFC 9568 §5.2.6)', () => {
    const bytes = edited(v3, (b) => {
      b[4]! |= 0xf0;
    });
    expect(decodeAdvertisement(bytes, ipv4)).toEqual({ ok: true, advertisement: v3 });
  });

  it('ignores v2 authentication data under auth type 0 (RFC 3768 §5.3.10)', () => {
    const bytes = edited(v2, (b) => b.fill(0x41, 12, 20));
    expect(decodeAdvertisement(bytes, ipv4)).toEqual({ ok: true, advertisement: v2 });
  });

  it('ends the password at the first NUL and ignores what follows it', () => {
    const bytes = edited({ ...v2, authType: 1, authPassword: 'ab' }, (b) => b.set([0x63, 0x64], 15));
    const result = decodeAdvertisement(bytes, ipv4);
    expect(result.ok && result.advertisement.authPassword).toBe('ab');
  });

  it('reads password bytes that are not UTF-8 one character per byte (Latin-1)', () => {
    const bytes = edited({ ...v2, authType: 1, authPassword: 'x' }, (b) => b.set([0xff, 0xc3], 13));
    const result = decodeAdvertisement(bytes, ipv4);
    expect(result.ok && result.advertisement.authPassword).toBe('x\u00ff\u00c3');
  });

  it('reads an all-zero password under auth type 1 as the empty password', () => {
    const bytes = edited({ ...v2, authType: 1, authPassword: '' }, () => {});
    const result = decodeAdvertisement(bytes, ipv4);
    expect(result.ok && result.advertisement).toEqual({ ...v2, authType: 1, authPassword: '' });
  });

  it('accepts a v2 advertisement with no addresses (RFC 3768 §5.3.5 sets no minimum)', () => {
    const bytes = encodeAdvertisement({ ...v2, addresses: [] }, ipv4);
    expect(decodeAdvertisement(bytes, ipv4)).toEqual({ ok: true, advertisement: { ...v2, addresses: [] } });
  });

  it('passes priority 0 (master leaving) and 255 (address owner) through unjudged', () => {
    for (const priority of [0, 255]) {
      const bytes = encodeAdvertisement({ ...v3, priority }, ipv4);
      const result = decodeAdvertisement(bytes, ipv4);
      expect(result.ok && result.advertisement.priority).toBe(priority);
    }
  });

  it('reads the largest v3 interval, 4095 cs, as 40950 ms', () => {
    const bytes = encodeAdvertisement({ ...v3, advertIntervalMs: 40950 }, ipv4);
    const result = decodeAdvertisement(bytes, ipv4);
    expect(result.ok && result.advertisement.advertIntervalMs).toBe(40950);
  });

  it('leaves "first IPv6 address is link-local" (RFC 9568 §5.2.9) to the state machine', () => {
    const advertisement: Advertisement = { ...v3, addresses: ['2001:db8::1', 'fe80::1'] };
    const bytes = encodeAdvertisement(advertisement, ipv6);
    expect(decodeAdvertisement(bytes, ipv6)).toEqual({ ok: true, advertisement });
  });

  it('reads a message that sits at an offset inside a larger buffer', () => {
    const message = encodeAdvertisement(v3, ipv4);
    const frame = new Uint8Array(34 + message.length);
    frame.set(message, 34);
    expect(decodeAdvertisement(frame.subarray(34), ipv4)).toEqual({ ok: true, advertisement: v3 });
  });

  it('reads a Node Buffer (a Uint8Array subclass)', () => {
    const message = Buffer.from(encodeAdvertisement(v3, ipv4));
    expect(decodeAdvertisement(message, ipv4)).toEqual({ ok: true, advertisement: v3 });
  });

  it('returns addresses in canonical text and packet order', () => {
    const advertisement: Advertisement = { ...v3, addresses: ['2001:DB8:0:0::0130', 'FE80::13'] };
    const result = decodeAdvertisement(encodeAdvertisement(advertisement, ipv6), ipv6);
    expect(result.ok && result.advertisement.addresses).toEqual(['2001:db8::130', 'fe80::13']);
  });
});
