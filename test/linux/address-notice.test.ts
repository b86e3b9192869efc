/**
 * decodeAddressNotice (src/linux/interfaces.ts) reads the RTM_NEWADDR payloads the link monitor judges, one per VIP
 * and lease renewal, without netlink's decoder. It must answer as `toInterfaceAddress(netlink's
 * parseAddressMessage(payload))` does, the path it replaces: shown on payloads that netlink's own encoder builds
 * from random fields (families, prefixes, both flag fields, index, address / local, label, other attributes).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeAddressNotice, toInterfaceAddress } from '../../src/linux/interfaces.js';
import { loadNetlink } from '../../src/linux/native.js';
import { propertySeed, seededCheck } from '../support/seed.js';

const check = seededCheck(propertySeed('address notice'));
const netlink = loadNetlink();

/** ifa_flags (8 bits) and IFA_FLAGS (32 bits) by the names netlink gives their bits. */
const LOW_FLAGS = ['secondary', 'nodad', 'optimistic', 'dadfailed', 'homeaddress', 'deprecated', 'tentative', 'permanent'];
const HIGH_FLAGS = ['managetempaddr', 'noprefixroute', 'mcautojoin', 'stableprivacy'];
const flagSet = (names: string[]) => fc.subarray(names).map((set) => Object.fromEntries(set.map((name) => [name, true])) as Record<string, boolean>);
const addressBytes = fc.oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ maxLength: 20 }));

const message = fc.record(
  {
    family: fc.constantFrom(2, 10, 0, 17),
    prefixlen: fc.integer({ min: 0, max: 128 }),
    flags: flagSet(LOW_FLAGS),
    scope: fc.constantFrom(0, 200, 253, 254),
    index: fc.integer({ min: 0, max: 0xffff_ffff }),
    address: addressBytes,
    local: addressBytes,
    label: fc.stringMatching(/^[a-z0-9:.]{0,15}$/),
    attrFlags: flagSet([...LOW_FLAGS, ...HIGH_FLAGS]),
    cacheInfo: fc.record({ ifaPrefered: fc.nat(), ifaValid: fc.nat(), cstamp: fc.nat(), tstamp: fc.nat() }),
  },
  { requiredKeys: ['family', 'prefixlen', 'flags', 'scope', 'index'] },
);

type Fields = typeof message extends fc.Arbitrary<infer T> ? T : never;

function encode(fields: Fields): Buffer {
  const { family, prefixlen, flags, scope, index, address, local, label, attrFlags, cacheInfo } = fields;
  const attrs: Record<string, unknown> = {};
  if (address !== undefined) attrs.address = Buffer.from(address);
  if (local !== undefined) attrs.local = Buffer.from(local);
  if (label !== undefined) attrs.label = label;
  if (attrFlags !== undefined) attrs.flags = attrFlags;
  if (cacheInfo !== undefined) attrs.cacheInfo = cacheInfo;
  const out = new netlink.AttrStream();
  netlink.rt.formatAddressMessage({ kind: 'address', data: { family, prefixlen, flags, scope, index }, attrs: attrs as never }, out);
  return Buffer.concat(out.bufs);
}

describe('decodeAddressNotice', () => {
  it("answers as netlink's decoder and toInterfaceAddress do (property)", () => {
    check(
      fc.property(message, (fields) => {
        const payload = encode(fields);
        expect(decodeAddressNotice(payload)).toEqual(toInterfaceAddress(netlink.rt.parseAddressMessage(payload)));
      }),
      500,
    );
  });

  it('reads an IPv4 VIP as the kernel reports it: local address, prefix, label, secondary from IFA_FLAGS', () => {
    const payload = encode({ family: 2, prefixlen: 32, flags: {}, scope: 0, index: 7, address: new Uint8Array([198, 18, 1, 5]), local: new Uint8Array([198, 18, 1, 5]), label: 'eth0', attrFlags: { secondary: true, permanent: true } });
    expect(decodeAddressNotice(payload)).toEqual({ index: 7, address: '198.18.1.5', prefixLength: 32, family: 'ipv4', secondary: true, tentative: false, label: 'eth0' });
  });

  it('gives up on a payload it cannot read: shorter than an ifaddrmsg, or an attribute past the end', () => {
    expect(decodeAddressNotice(new Uint8Array(7))).toBeUndefined();
    const payload = encode({ family: 2, prefixlen: 24, flags: {}, scope: 0, index: 2, local: new Uint8Array([10, 0, 0, 1]) });
    expect(decodeAddressNotice(payload.subarray(0, payload.length - 1))).toBeUndefined();
  });
});
