/**
 * Packets captured from a real keepalived 2.2.7 (test/fixtures/keepalived-2.2.7.json, copied from the shared
 * vectors) decode to exactly what its configuration says, and encode back to the same bytes.
 *
 * The capture host had eth0 = 10.99.0.1/24, 2001:db8::1/64 and ran, all as MASTER:
 *
 *   V2_NONE  vrid 10  prio 150  v2  advert_int 1    no auth             10.99.0.110
 *   V2_PASS  vrid 11  prio 101  v2  advert_int 2    PASS "s3cret"       10.99.0.111 .112 .113
 *   V3_V4    vrid 12  prio 200  v3  advert_int 0.5                      10.99.0.120 .121
 *   V3_V6    vrid 13  prio 254  v3  advert_int 1                        fe80::13 2001:db8::130 2001:db8::131
 *   V3_UNI   vrid 14  prio 100  v3  advert_int 1    unicast to 10.99.0.2  10.99.0.140
 *
 * and on SIGTERM each instance sent one priority-0 advertisement. keepalived's v3 IPv4 checksums include the IPv4
 * pseudo-header; that is the fact the checksum-mode tests below pin down.
 */
import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import type { Advertisement } from '../../src/core/advertisement.js';
import { decodeAdvertisement, encodeAdvertisement, type CodecContext } from '../../src/core/codec.js';

interface Vector {
  family: 'ipv4' | 'ipv6';
  src: string;
  dst: string;
  ttl: number;
  eth_src: string;
  vrrp: string;
}

const vectors: Vector[] = JSON.parse(
  readFileSync(new URL('../fixtures/keepalived-2.2.7.json', import.meta.url), 'utf8'),
) as Vector[];

const instanceNames: Record<number, string> = {
  10: 'V2_NONE',
  11: 'V2_PASS',
  12: 'V3_V4',
  13: 'V3_V6',
  14: 'V3_UNI',
};

// What the keepalived configuration says each packet must carry, keyed by `vrid/priority`.
const v2None = { version: 2, vrid: 10, advertIntervalMs: 1000, addresses: ['10.99.0.110'], authType: 0 } as const;
const v2Pass = {
  version: 2,
  vrid: 11,
  advertIntervalMs: 2000,
  addresses: ['10.99.0.111', '10.99.0.112', '10.99.0.113'],
  authType: 1,
  authPassword: 's3cret',
} as const;
const v3V4 = { version: 3, vrid: 12, advertIntervalMs: 500, addresses: ['10.99.0.120', '10.99.0.121'] } as const;
const v3V6 = {
  version: 3,
  vrid: 13,
  advertIntervalMs: 1000,
  addresses: ['fe80::13', '2001:db8::130', '2001:db8::131'],
} as const;
const v3Uni = { version: 3, vrid: 14, advertIntervalMs: 1000, addresses: ['10.99.0.140'] } as const;

const expected: Record<string, Advertisement> = {
  '10/150': { ...v2None, priority: 150, addresses: [...v2None.addresses] },
  '10/0': { ...v2None, priority: 0, addresses: [...v2None.addresses] },
  '11/101': { ...v2Pass, priority: 101, addresses: [...v2Pass.addresses] },
  '11/0': { ...v2Pass, priority: 0, addresses: [...v2Pass.addresses] },
  '12/200': { ...v3V4, priority: 200, addresses: [...v3V4.addresses] },
  '12/0': { ...v3V4, priority: 0, addresses: [...v3V4.addresses] },
  '13/254': { ...v3V6, priority: 254, addresses: [...v3V6.addresses] },
  '13/0': { ...v3V6, priority: 0, addresses: [...v3V6.addresses] },
  '14/100': { ...v3Uni, priority: 100, addresses: [...v3Uni.addresses] },
  '14/0': { ...v3Uni, priority: 0, addresses: [...v3Uni.addresses] },
};

const bytesOf = (vector: Vector): Uint8Array => Uint8Array.from(Buffer.from(vector.vrrp, 'hex'));
const contextOf = (vector: Vector): CodecContext => ({ family: vector.family, src: vector.src, dst: vector.dst });
// The table key comes from the raw bytes (vrid at offset 1, priority at offset 2), not from the decoder under test.
const keyOf = (vector: Vector): string => {
  const bytes = bytesOf(vector);
  return `${bytes[1]}/${bytes[2]}`;
};

const cases = vectors.map((vector) => {
  const bytes = bytesOf(vector);
  return {
    name: `${instanceNames[bytes[1]!] ?? `vrid ${bytes[1]}`} priority ${bytes[2]}`,
    vector,
    isV3Ipv4: bytes[0]! >> 4 === 3 && vector.family === 'ipv4',
  };
});
const v3Ipv4Cases = cases.filter((entry) => entry.isV3Ipv4);
const otherCases = cases.filter((entry) => !entry.isV3Ipv4);

describe('keepalived 2.2.7 vectors', () => {
  it('hold one running and one priority-0 shutdown advertisement for each of the five instances', () => {
    expect(vectors.map(keyOf).sort()).toEqual(Object.keys(expected).sort());
  });

  it.each(cases)('$name decodes to what the configuration says', ({ vector }) => {
    const result = decodeAdvertisement(bytesOf(vector), contextOf(vector));
    expect(result).toEqual({ ok: true, advertisement: expected[keyOf(vector)] });
  });

  it.each(cases)('$name re-encodes to the captured bytes', ({ vector }) => {
    const encoded = encodeAdvertisement(expected[keyOf(vector)]!, contextOf(vector));
    expect(Buffer.from(encoded).toString('hex')).toBe(vector.vrrp);
  });
});

describe('keepalived 2.2.7 vectors: v3 over IPv4 checksums include the IPv4 pseudo-header', () => {
  it('are the running and shutdown advertisements of V3_V4 (multicast) and V3_UNI (unicast)', () => {
    expect(v3Ipv4Cases.map(({ name }) => name).sort()).toEqual([
      'V3_UNI priority 0',
      'V3_UNI priority 100',
      'V3_V4 priority 0',
      'V3_V4 priority 200',
    ]);
  });

  it.each(v3Ipv4Cases)('$name fails with code checksum under strict rfc9568 checksums', ({ vector }) => {
    const result = decodeAdvertisement(bytesOf(vector), { ...contextOf(vector), v3Ipv4Checksum: 'rfc9568' });
    expect(result.ok ? undefined : result.error.code).toBe('checksum');
  });

  it.each(v3Ipv4Cases)('$name decodes under strict pseudo-header checksums', ({ vector }) => {
    const result = decodeAdvertisement(bytesOf(vector), { ...contextOf(vector), v3Ipv4Checksum: 'pseudo-header' });
    expect(result).toEqual({ ok: true, advertisement: expected[keyOf(vector)] });
  });

  it.each(v3Ipv4Cases)('$name decodes under the default (either) mode', ({ vector }) => {
    const result = decodeAdvertisement(bytesOf(vector), contextOf(vector));
    expect(result.ok).toBe(true);
  });

  it.each(v3Ipv4Cases)('$name encodes differently under rfc9568 mode, only in the checksum', ({ vector }) => {
    const encoded = encodeAdvertisement(expected[keyOf(vector)]!, { ...contextOf(vector), v3Ipv4Checksum: 'rfc9568' });
    const captured = bytesOf(vector);
    expect(Buffer.from(encoded.subarray(6, 8))).not.toEqual(Buffer.from(captured.subarray(6, 8)));
    expect(Buffer.from(encoded.subarray(0, 6))).toEqual(Buffer.from(captured.subarray(0, 6)));
    expect(Buffer.from(encoded.subarray(8))).toEqual(Buffer.from(captured.subarray(8)));
  });

  it.each(otherCases)('$name (v2 or IPv6) decodes the same under every checksum mode', ({ vector }) => {
    for (const mode of ['rfc9568', 'pseudo-header', 'either'] as const) {
      const result = decodeAdvertisement(bytesOf(vector), { ...contextOf(vector), v3Ipv4Checksum: mode });
      expect(result, mode).toEqual({ ok: true, advertisement: expected[keyOf(vector)] });
    }
  });
});
