/**
 * Address text ⇄ bytes: strict parsing, RFC 5952 canonical formatting, unsigned ordering, prefixes, predicates.
 */
import { describe, it, expect } from 'vitest';
import {
  canonicalIp,
  compareIp,
  formatIp,
  isIpv6LinkLocal,
  isMulticast,
  parseIp,
  parseIpPrefix,
} from '../../src/core/ip-address.js';

const hex = (bytes: Uint8Array | undefined): string | undefined =>
  bytes === undefined ? undefined : Buffer.from(bytes).toString('hex');
const ip = (text: string): Uint8Array => {
  const parsed = parseIp(text);
  if (parsed === undefined) throw new Error(`test address ${text} does not parse`);
  return parsed.bytes;
};

describe('parseIp: IPv4', () => {
  it('reads a dotted quad into 4 network-order bytes', () => {
    const parsed = parseIp('10.99.0.254');
    expect(parsed?.family).toBe('ipv4');
    expect(hex(parsed?.bytes)).toBe('0a6300fe');
  });

  it('reads the extremes 0.0.0.0 and 255.255.255.255', () => {
    expect(hex(parseIp('0.0.0.0')?.bytes)).toBe('00000000');
    expect(hex(parseIp('255.255.255.255')?.bytes)).toBe('ffffffff');
  });

  it.each([
    ['a leading-zero octet (octal to inet_aton)', '010.0.0.1'],
    ['a zero-padded octet', '10.0.0.01'],
    ['an octet above 255', '256.0.0.1'],
    ['three octets', '10.0.1'],
    ['five octets', '10.0.0.0.1'],
    ['an empty octet', '10..0.1'],
    ['a negative octet', '10.0.0.-1'],
    ['a plus sign', '+10.0.0.1'],
    ['a hex octet', '0x0a.0.0.1'],
    ['an exponent', '1e1.0.0.1'],
    ['leading whitespace', ' 10.0.0.1'],
    ['trailing whitespace', '10.0.0.1 '],
    ['a prefix length', '10.0.0.1/24'],
    ['a single number', '167772161'],
    ['the empty string', ''],
  ])('rejects %s: %j', (_reason, text) => {
    expect(parseIp(text)).toBeUndefined();
  });
});

describe('parseIp: IPv6', () => {
  it('reads eight full groups', () => {
    expect(hex(parseIp('2001:0db8:0000:0000:0000:0000:0000:0001')?.bytes)).toBe('20010db8000000000000000000000001');
  });

  it('reads :: standing for the zero groups in the middle', () => {
    expect(hex(parseIp('fe80::dc3d:a2ff:fee0:1ca6')?.bytes)).toBe('fe80000000000000dc3da2fffee01ca6');
  });

  it('reads :: at the start, at the end, and alone', () => {
    expect(hex(parseIp('::1')?.bytes)).toBe('00000000000000000000000000000001');
    expect(hex(parseIp('fe80::')?.bytes)).toBe('fe800000000000000000000000000000');
    expect(hex(parseIp('::')?.bytes)).toBe('00000000000000000000000000000000');
  });

  it('reads :: standing for a single zero group (RFC 4291 §2.2 allows it, RFC 5952 only avoids printing it)', () => {
    expect(hex(parseIp('1:2:3:4:5:6::8')?.bytes)).toBe('00010002000300040005000600000008');
  });

  it('reads an embedded IPv4 tail as the last 32 bits', () => {
    expect(hex(parseIp('::ffff:192.0.2.1')?.bytes)).toBe('00000000000000000000ffffc0000201');
    expect(hex(parseIp('1:2:3:4:5:6:10.0.0.1')?.bytes)).toBe('0001000200030004000500060a000001');
  });

  it('reads upper-case hex digits', () => {
    expect(hex(parseIp('2001:DB8::ABCD')?.bytes)).toBe('20010db800000000000000000000abcd');
  });

  it('reports the ipv6 family', () => {
    expect(parseIp('ff02::12')?.family).toBe('ipv6');
  });

  it.each([
    ['a zone id', 'fe80::1%eth0'],
    ['brackets', '[::1]'],
    ['a prefix length', '2001:db8::/32'],
    ['two ::', '1::2::3'],
    ['three colons', '1:::2'],
    ['nine groups', '1:2:3:4:5:6:7:8:9'],
    ['seven groups without ::', '1:2:3:4:5:6:7'],
    [':: with eight explicit groups', '1:2:3:4:5:6:7::8'],
    ['a five-digit group', '12345::1'],
    ['a non-hex digit', 'g::1'],
    ['a leading single colon', ':1::2'],
    ['a trailing single colon', '1::2:'],
    ['an IPv4 tail that is not last', '::1.2.3.4:5'],
    ['an IPv4 part before ::', '1.2.3.4::'],
    ['a short IPv4 tail', '::ffff:1.2.3'],
    ['a zero-padded IPv4 tail', '::ffff:01.2.3.4'],
    ['an IPv4 tail making nine groups', '1:2:3:4:5:6:7:1.2.3.4'],
    ['whitespace', ' ::1'],
    ['a lone colon', ':'],
  ])('rejects %s: %j', (_reason, text) => {
    expect(parseIp(text)).toBeUndefined();
  });
});

describe('parseIp: inputs that are not strings', () => {
  it('returns undefined instead of throwing', () => {
    for (const value of [undefined, null, 42, {}, ['1.2.3.4']]) {
      expect(parseIp(value as unknown as string)).toBeUndefined();
    }
  });
});

describe('formatIp', () => {
  it('prints 4 bytes as a dotted quad without leading zeros', () => {
    expect(formatIp(Uint8Array.of(10, 0, 99, 1))).toBe('10.0.99.1');
  });

  it.each([
    ['§4.1 drops leading zeros in a group', '2001:0db8::0001', '2001:db8::1'],
    ['§4.2.1 uses :: for as many zero groups as possible', '2001:db8:0:0:0:0:2:1', '2001:db8::2:1'],
    ['§4.2.2 never uses :: for a single zero group', '2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['§4.2.3 compresses the longest zero run', '2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['§4.2.3 compresses the first of equal runs', '2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['§4.3 prints lower case', '2001:DB8::ABCD', '2001:db8::abcd'],
    ['compresses a leading run', '0:0:0:0:0:0:0:1', '::1'],
    ['compresses a trailing run', 'fe80:0:0:0:0:0:0:0', 'fe80::'],
    ['compresses all zeros', '0:0:0:0:0:0:0:0', '::'],
    ['prints IPv4-mapped addresses in hex', '::ffff:192.0.2.1', '::ffff:c000:201'],
  ])('RFC 5952 %s: %s → %s', (_rule, text, canonical) => {
    expect(formatIp(ip(text))).toBe(canonical);
  });

  it('throws RangeError on a byte array that is neither 4 nor 16 bytes', () => {
    for (const length of [0, 3, 5, 15, 17]) {
      expect(() => formatIp(new Uint8Array(length))).toThrow(RangeError);
    }
  });
});

describe('canonicalIp', () => {
  it('rewrites any valid spelling to the canonical one', () => {
    expect(canonicalIp('FE80:0000::0013')).toBe('fe80::13');
  });

  it('leaves a canonical IPv4 address unchanged', () => {
    expect(canonicalIp('224.0.0.18')).toBe('224.0.0.18');
  });

  it('returns undefined for text that is not an address', () => {
    expect(canonicalIp('not-an-address')).toBeUndefined();
  });
});

describe('compareIp', () => {
  it('orders by the first differing byte', () => {
    expect(compareIp(ip('10.99.0.1'), ip('10.99.0.2'))).toBeLessThan(0);
    expect(compareIp(ip('10.99.0.2'), ip('10.99.0.1'))).toBeGreaterThan(0);
  });

  it('treats bytes as unsigned, so 200.0.0.0 is above 10.255.255.255', () => {
    expect(compareIp(ip('200.0.0.0'), ip('10.255.255.255'))).toBeGreaterThan(0);
  });

  it('is 0 for the same address written differently', () => {
    expect(compareIp(ip('2001:db8::1'), ip('2001:0db8:0:0:0:0:0:0001'))).toBe(0);
  });

  it('orders IPv6 addresses by their high bytes first', () => {
    expect(compareIp(ip('fe80::2'), ip('fe80::1:0'))).toBeLessThan(0);
  });

  it('puts every 4-byte address before every 16-byte address', () => {
    expect(compareIp(ip('255.255.255.255'), ip('::'))).toBeLessThan(0);
    expect(compareIp(ip('::'), ip('0.0.0.0'))).toBeGreaterThan(0);
  });
});

describe('parseIpPrefix', () => {
  it('reads an IPv4 prefix and keeps the host bits', () => {
    const parsed = parseIpPrefix('10.99.0.110/24');
    expect(parsed?.family).toBe('ipv4');
    expect(hex(parsed?.bytes)).toBe('0a63006e');
    expect(parsed?.prefixLength).toBe(24);
  });

  it('reads an IPv6 prefix', () => {
    const parsed = parseIpPrefix('2001:db8::130/64');
    expect(parsed?.family).toBe('ipv6');
    expect(parsed?.prefixLength).toBe(64);
  });

  it('uses the full width when no prefix is written', () => {
    expect(parseIpPrefix('10.99.0.110')?.prefixLength).toBe(32);
    expect(parseIpPrefix('fe80::13')?.prefixLength).toBe(128);
  });

  it('accepts the bounds /0, /32 and /128', () => {
    expect(parseIpPrefix('0.0.0.0/0')?.prefixLength).toBe(0);
    expect(parseIpPrefix('10.0.0.1/32')?.prefixLength).toBe(32);
    expect(parseIpPrefix('::/128')?.prefixLength).toBe(128);
  });

  it.each([
    ['an IPv4 prefix above 32', '10.0.0.1/33'],
    ['an IPv6 prefix above 128', '::1/129'],
    ['a zero-padded prefix', '10.0.0.1/024'],
    ['an empty prefix', '10.0.0.1/'],
    ['two slashes', '10.0.0.1/24/8'],
    ['a negative prefix', '10.0.0.1/-1'],
    ['a spaced prefix', '10.0.0.1/ 24'],
    ['an invalid address', '10.0.0/24'],
    ['a prefix with no address', '/24'],
  ])('rejects %s: %j', (_reason, text) => {
    expect(parseIpPrefix(text)).toBeUndefined();
  });
});

describe('isIpv6LinkLocal', () => {
  it('is true across fe80::/10', () => {
    expect(isIpv6LinkLocal(ip('fe80::13'))).toBe(true);
    expect(isIpv6LinkLocal(ip('febf:ffff::1'))).toBe(true);
  });

  it('is false just outside fe80::/10 and for IPv4', () => {
    expect(isIpv6LinkLocal(ip('fec0::1'))).toBe(false);
    expect(isIpv6LinkLocal(ip('fe7f::1'))).toBe(false);
    expect(isIpv6LinkLocal(ip('169.254.0.1'))).toBe(false);
  });
});

describe('isMulticast', () => {
  it('is true for 224.0.0.0/4 and ff00::/8', () => {
    expect(isMulticast(ip('224.0.0.18'))).toBe(true);
    expect(isMulticast(ip('239.255.255.255'))).toBe(true);
    expect(isMulticast(ip('ff02::12'))).toBe(true);
  });

  it('is false for unicast addresses on either side of 224.0.0.0/4 and for IPv6 unicast', () => {
    expect(isMulticast(ip('223.255.255.255'))).toBe(false);
    expect(isMulticast(ip('240.0.0.0'))).toBe(false);
    expect(isMulticast(ip('fe80::1'))).toBe(false);
  });

  it('is false for a byte array of another length', () => {
    expect(isMulticast(new Uint8Array(5).fill(0xff))).toBe(false);
  });
});
