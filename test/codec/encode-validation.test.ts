/**
 * Encode refuses what cannot go on the wire, loudly: an invalid advertisement is a programming error, so it throws
 * TypeError (wrong JS type) or RangeError (bad value) with a short lowercase message. encodingLength agrees with
 * encode on every size.
 */
import { describe, it, expect } from 'vitest';
import type { Advertisement } from '../../src/core/advertisement.js';
import { encodeAdvertisement, encodingLength, type EncodeOptions } from '../../src/core/codec.js';

const ipv4: EncodeOptions = { family: 'ipv4', src: '192.0.2.2', dst: '224.0.0.18' };
const ipv6: EncodeOptions = { family: 'ipv6', src: 'fe80::1', dst: 'ff02::12' };
const v2: Advertisement = { version: 2, vrid: 1, priority: 100, advertIntervalMs: 1000, addresses: ['192.0.2.1'] };
const v3: Advertisement = { version: 3, vrid: 1, priority: 100, advertIntervalMs: 1000, addresses: ['192.0.2.1'] };
const v3Ipv6: Advertisement = { ...v3, addresses: ['fe80::1', '2001:db8::1'] };

// Loosely typed on purpose: these are the values a JavaScript caller or a bad cast could pass.
const encodeLoose = (advertisement: unknown, options: unknown = ipv4): Uint8Array =>
  encodeAdvertisement(advertisement as Advertisement, options as EncodeOptions);

describe('encode throws RangeError on a value out of range', () => {
  it.each<[string, unknown, unknown?]>([
    ['version 4', { ...v3, version: 4 }],
    ['vrid 0', { ...v3, vrid: 0 }],
    ['vrid 256', { ...v3, vrid: 256 }],
    ['a fractional vrid', { ...v3, vrid: 1.5 }],
    ['priority -1', { ...v3, priority: -1 }],
    ['priority 256', { ...v3, priority: 256 }],
    ['a v2 interval that is not whole seconds', { ...v2, advertIntervalMs: 1500 }],
    ['a v2 interval of 0', { ...v2, advertIntervalMs: 0 }],
    ['a v2 interval above 255 s', { ...v2, advertIntervalMs: 256_000 }],
    ['a v3 interval that is not a multiple of 10 ms', { ...v3, advertIntervalMs: 15 }],
    ['a v3 interval of 0', { ...v3, advertIntervalMs: 0 }],
    ['a v3 interval above 40950 ms', { ...v3, advertIntervalMs: 40_960 }],
    ['an interval that is not finite', { ...v3, advertIntervalMs: Number.NaN }],
    ['v2 in an IPv6 context', v2, ipv6],
    ['v3 with no addresses (RFC 9568 §5.2.5)', { ...v3, addresses: [] }],
    ['an IPv6 address in an IPv4 context', { ...v3, addresses: ['2001:db8::1'] }],
    ['an IPv4 address in an IPv6 context', { ...v3, addresses: ['192.0.2.1'] }, ipv6],
    ['an address that does not parse', { ...v3, addresses: ['192.0.2.300'] }],
    ['256 addresses', { ...v3, addresses: Array.from({ length: 256 }, () => '192.0.2.1') }],
    ['auth type 2', { ...v2, authType: 2 }],
    ['a password of 9 characters', { ...v2, authType: 1, authPassword: '123456789' }],
    ['a password containing NUL', { ...v2, authType: 1, authPassword: 'a\u0000b' }],
    ['a password character above Latin-1', { ...v2, authType: 1, authPassword: '\u20ac' }],
    ['a password without auth type 1', { ...v2, authPassword: 'secret' }],
    ['v3 with auth type 1', { ...v3, authType: 1 }],
    ['v3 with a password', { ...v3, authPassword: 'secret' }],
    ['a context source of the other family', v3, { ...ipv4, src: 'fe80::1' }],
    ['a context destination that does not parse', v3, { ...ipv4, dst: '224.0.0' }],
    ['an unknown context family', v3, { ...ipv4, family: 'ipx' }],
    ['an unknown checksum mode', v3, { ...ipv4, v3Ipv4Checksum: 'either' }],
  ])('%s', (_case, advertisement, options) => {
    expect(() => encodeLoose(advertisement, options)).toThrow(RangeError);
  });
});

describe('encode throws TypeError on a value of the wrong type', () => {
  it.each<[string, unknown, unknown?]>([
    ['an advertisement that is null', null],
    ['options that are null', v3, null],
    ['a vrid given as a string', { ...v3, vrid: '1' }],
    ['a priority given as a string', { ...v3, priority: '100' }],
    ['an interval given as a string', { ...v3, advertIntervalMs: '1000' }],
    ['addresses that are not an array', { ...v3, addresses: '192.0.2.1' }],
    ['an address that is not a string', { ...v3, addresses: [0xc0000201] }],
    ['auth type 1 without a password', { ...v2, authType: 1 }],
  ])('%s', (_case, advertisement, options) => {
    expect(() => encodeLoose(advertisement, options)).toThrow(TypeError);
  });
});

describe('encode error messages', () => {
  it('are short, start lower case and name the field as the API spells it', () => {
    const invalid: unknown[] = [{ ...v3, vrid: 0 }, { ...v3, addresses: '192.0.2.1' }, { ...v2, authType: 2 }];
    for (const advertisement of invalid) {
      expect(() => encodeLoose(advertisement)).toThrow(/^[a-z].{0,78}[^.]$/);
    }
  });
});

describe('encode accepts the edges of every range', () => {
  it('takes vrid 255, priority 0, a 255 s v2 interval and an 8-character password', () => {
    const edge: Advertisement = {
      ...v2,
      vrid: 255,
      priority: 0,
      advertIntervalMs: 255_000,
      authType: 1,
      authPassword: '\u00ff'.repeat(8),
    };
    expect(encodeAdvertisement(edge, ipv4)).toHaveLength(20);
  });

  it('takes 255 addresses', () => {
    const many = { ...v3, addresses: Array.from({ length: 255 }, (_, i) => `10.0.0.${i}`) };
    expect(encodeAdvertisement(many, ipv4)).toHaveLength(8 + 255 * 4);
  });

  it('takes the smallest v3 interval, 10 ms', () => {
    expect(encodeAdvertisement({ ...v3, advertIntervalMs: 10 }, ipv4)[5]).toBe(1);
  });

  it('takes auth type 0 written out on v3 as "no authentication"', () => {
    expect(encodeAdvertisement({ ...v3, authType: 0 }, ipv4)).toEqual(encodeAdvertisement(v3, ipv4));
  });
});

describe('encodingLength', () => {
  it('is 8 + 4 per address + 8 auth bytes for v2', () => {
    expect(encodingLength({ ...v2, addresses: ['192.0.2.1', '192.0.2.2', '192.0.2.3'] })).toBe(28);
  });

  it('is 8 + 4 per address for v3 over IPv4', () => {
    expect(encodingLength(v3)).toBe(12);
  });

  it('is 8 + 16 per address for v3 over IPv6', () => {
    expect(encodingLength(v3Ipv6)).toBe(40);
  });

  it('equals the length encode produces', () => {
    expect(encodingLength(v3Ipv6)).toBe(encodeAdvertisement(v3Ipv6, ipv6).length);
  });

  it('throws RangeError on addresses that mix families', () => {
    expect(() => encodingLength({ ...v3, addresses: ['192.0.2.1', 'fe80::1'] })).toThrow(RangeError);
  });

  it('throws RangeError on IPv6 addresses in a v2 advertisement', () => {
    expect(() => encodingLength({ ...v2, addresses: ['fe80::1'] })).toThrow(RangeError);
  });
});
