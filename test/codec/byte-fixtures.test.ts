/**
 * Hand-built messages, one per wire shape, with one comment per field; then one rejected message per decode error
 * code. Checksums in the fixtures were computed outside this library (a separate RFC 1071 script), so these tests
 * do not check the codec against itself.
 */
import { describe, it, expect } from 'vitest';
import type { Advertisement } from '../../src/core/advertisement.js';
import { internetChecksum, pseudoHeaderIpv4 } from '../../src/core/checksum.js';
import {
  decodeAdvertisement,
  encodeAdvertisement,
  type CodecContext,
  type DecodeErrorCode,
  type DecodeResult,
} from '../../src/core/codec.js';

const hexOf = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const codeOf = (result: DecodeResult): DecodeErrorCode | undefined => (result.ok ? undefined : result.error.code);

// ── v2, no authentication ──────────────────────────────────────────────────────────────────────────────────────
const v2NoneContext: CodecContext = { family: 'ipv4', src: '192.0.2.2', dst: '224.0.0.18' };
const v2NoneBytes = Uint8Array.of(
  0x21, // version 2, type 1 (advertisement)
  0x01, // virtual router id 1
  0x64, // priority 100
  0x01, // count ip addrs 1
  0x00, // auth type 0 (none)
  0x01, // adver int 1 s
  0xb8, 0xfa, // checksum over the message only
  192, 0, 2, 1, // ip address 192.0.2.1
  0, 0, 0, 0, 0, 0, 0, 0, // authentication data: zeros for type 0
);
const v2NoneAdvertisement: Advertisement = {
  version: 2,
  vrid: 1,
  priority: 100,
  advertIntervalMs: 1000,
  addresses: ['192.0.2.1'],
  authType: 0,
};

// ── v2, simple text password ───────────────────────────────────────────────────────────────────────────────────
const v2PasswordContext: CodecContext = { family: 'ipv4', src: '192.0.2.2', dst: '224.0.0.18' };
const v2PasswordBytes = Uint8Array.of(
  0x21, // version 2, type 1
  0x02, // virtual router id 2
  0xff, // priority 255 (address owner)
  0x02, // count ip addrs 2
  0x01, // auth type 1 (simple text password, RFC 2338)
  0x03, // adver int 3 s
  0xec, 0x52, // checksum over the message only
  192, 0, 2, 10, // ip address 192.0.2.10
  192, 0, 2, 11, // ip address 192.0.2.11
  0x68, 0x75, 0x6e, 0x74, 0x65, 0x72, 0x32, 0x32, // authentication data "hunter22": all 8 bytes, no NUL needed
);
const v2PasswordAdvertisement: Advertisement = {
  version: 2,
  vrid: 2,
  priority: 255,
  advertIntervalMs: 3000,
  addresses: ['192.0.2.10', '192.0.2.11'],
  authType: 1,
  authPassword: 'hunter22',
};

// ── v3 over IPv4, both checksum modes ──────────────────────────────────────────────────────────────────────────
const v3Ipv4Context = { family: 'ipv4', src: '192.0.2.2', dst: '224.0.0.18' } as const;
const v3Ipv4Message = (checksumHigh: number, checksumLow: number): Uint8Array =>
  Uint8Array.of(
    0x31, // version 3, type 1
    0x03, // virtual router id 3
    0x96, // priority 150
    0x01, // count ipvx addr 1
    0x00, 0x64, // reserved 0 | max adver int 100 cs = 1 s
    checksumHigh, checksumLow, // checksum
    192, 0, 2, 100, // ipv4 address 192.0.2.100
  );
// Checksum over the pseudo-header (192.0.2.2 → 224.0.0.18, protocol 112, length 12) and the message.
const v3Ipv4PseudoHeaderBytes = v3Ipv4Message(0xd3, 0xa0);
// Checksum over the message only (RFC 9568 §5.2.8).
const v3Ipv4Rfc9568Bytes = v3Ipv4Message(0x76, 0x32);
const v3Ipv4Advertisement: Advertisement = {
  version: 3,
  vrid: 3,
  priority: 150,
  advertIntervalMs: 1000,
  addresses: ['192.0.2.100'],
};

// ── v3 over IPv6 ───────────────────────────────────────────────────────────────────────────────────────────────
const v3Ipv6Context: CodecContext = { family: 'ipv6', src: 'fe80::1', dst: 'ff02::12' };
const v3Ipv6Bytes = Uint8Array.of(
  0x31, // version 3, type 1
  0x04, // virtual router id 4
  0xc8, // priority 200
  0x02, // count ipvx addr 2
  0x00, 0x0a, // reserved 0 | max adver int 10 cs = 100 ms
  0xdc, 0x7d, // checksum over the IPv6 pseudo-header (fe80::1 → ff02::12, length 40, next header 112) and message
  0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x04, // ipv6 address fe80::4 (link-local first, §5.2.9)
  0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x04, // ipv6 address 2001:db8::4
);
const v3Ipv6Advertisement: Advertisement = {
  version: 3,
  vrid: 4,
  priority: 200,
  advertIntervalMs: 100,
  addresses: ['fe80::4', '2001:db8::4'],
};

describe('byte fixture: v2 without authentication', () => {
  it('decodes field by field', () => {
    expect(decodeAdvertisement(v2NoneBytes, v2NoneContext)).toEqual({ ok: true, advertisement: v2NoneAdvertisement });
  });

  it('encodes to the same bytes', () => {
    expect(hexOf(encodeAdvertisement(v2NoneAdvertisement, v2NoneContext))).toBe(hexOf(v2NoneBytes));
  });

  it('encodes an omitted authType as type 0', () => {
    const { authType: _omitted, ...withoutAuthType } = v2NoneAdvertisement;
    expect(hexOf(encodeAdvertisement(withoutAuthType, v2NoneContext))).toBe(hexOf(v2NoneBytes));
  });
});

describe('byte fixture: v2 with a simple text password', () => {
  it('decodes field by field, password included', () => {
    expect(decodeAdvertisement(v2PasswordBytes, v2PasswordContext)).toEqual({
      ok: true,
      advertisement: v2PasswordAdvertisement,
    });
  });

  it('encodes to the same bytes', () => {
    expect(hexOf(encodeAdvertisement(v2PasswordAdvertisement, v2PasswordContext))).toBe(hexOf(v2PasswordBytes));
  });
});

describe('byte fixture: v3 over IPv4', () => {
  it('decodes the pseudo-header form', () => {
    expect(decodeAdvertisement(v3Ipv4PseudoHeaderBytes, { ...v3Ipv4Context, v3Ipv4Checksum: 'pseudo-header' })).toEqual(
      { ok: true, advertisement: v3Ipv4Advertisement },
    );
  });

  it('decodes the rfc9568 form', () => {
    expect(decodeAdvertisement(v3Ipv4Rfc9568Bytes, { ...v3Ipv4Context, v3Ipv4Checksum: 'rfc9568' })).toEqual({
      ok: true,
      advertisement: v3Ipv4Advertisement,
    });
  });

  it('encodes the pseudo-header form by default', () => {
    expect(hexOf(encodeAdvertisement(v3Ipv4Advertisement, v3Ipv4Context))).toBe(hexOf(v3Ipv4PseudoHeaderBytes));
  });

  it('encodes the rfc9568 form when asked', () => {
    const encoded = encodeAdvertisement(v3Ipv4Advertisement, { ...v3Ipv4Context, v3Ipv4Checksum: 'rfc9568' });
    expect(hexOf(encoded)).toBe(hexOf(v3Ipv4Rfc9568Bytes));
  });

  it('accepts both forms under the default (either) mode', () => {
    expect(decodeAdvertisement(v3Ipv4PseudoHeaderBytes, v3Ipv4Context).ok).toBe(true);
    expect(decodeAdvertisement(v3Ipv4Rfc9568Bytes, v3Ipv4Context).ok).toBe(true);
  });

  // keepalived built with OLD_CHKSUM_COMPAT (Debian's 2.2.7 is) sends unicast VRRPv3 adverts with `old_unicast_checksum`
  // — and after hearing one — with 224.0.0.18 as the pseudo-header's destination, whatever the real one; it takes
  // both forms itself (vrrp.c, vrrp_check_packet). This advert of VRID 14 from 10.99.0.1 to 10.99.0.2 is one.
  it("accepts keepalived's old unicast form under the default (either) mode, and only there", () => {
    const bytes = Uint8Array.from(Buffer.from('310e6401006474aa0a63008c', 'hex'));
    const unicast = { family: 'ipv4' as const, src: '10.99.0.1', dst: '10.99.0.2' };
    expect(decodeAdvertisement(bytes, unicast)).toEqual({ ok: true, advertisement: { version: 3, vrid: 14, priority: 100, advertIntervalMs: 1000, addresses: ['10.99.0.140'] } });
    expect(codeOf(decodeAdvertisement(bytes, { ...unicast, v3Ipv4Checksum: 'pseudo-header' }))).toBe('checksum');
    // To the multicast group itself, the old form is the ordinary one: a changed byte is still a checksum error.
    const changed = Uint8Array.from(bytes);
    changed[11] = 0x8d;
    expect(codeOf(decodeAdvertisement(changed, unicast))).toBe('checksum');
  });

  it('rejects the rfc9568 form under strict pseudo-header mode', () => {
    const result = decodeAdvertisement(v3Ipv4Rfc9568Bytes, { ...v3Ipv4Context, v3Ipv4Checksum: 'pseudo-header' });
    expect(codeOf(result)).toBe('checksum');
  });

  it('rejects the pseudo-header form under strict rfc9568 mode', () => {
    const result = decodeAdvertisement(v3Ipv4PseudoHeaderBytes, { ...v3Ipv4Context, v3Ipv4Checksum: 'rfc9568' });
    expect(codeOf(result)).toBe('checksum');
  });

  // Summed for 224.0.0.18 and sent to a unicast address: strict, a checksum error; the default mode takes it for
  // keepalived's old unicast form (above).
  it('rejects the pseudo-header form when the IP destination differs from the one summed, in strict mode', () => {
    const result = decodeAdvertisement(v3Ipv4PseudoHeaderBytes, { ...v3Ipv4Context, dst: '192.0.2.3', v3Ipv4Checksum: 'pseudo-header' });
    expect(codeOf(result)).toBe('checksum');
  });
});

describe('byte fixture: v3 over IPv6', () => {
  it('decodes field by field', () => {
    expect(decodeAdvertisement(v3Ipv6Bytes, v3Ipv6Context)).toEqual({ ok: true, advertisement: v3Ipv6Advertisement });
  });

  it('encodes to the same bytes', () => {
    expect(hexOf(encodeAdvertisement(v3Ipv6Advertisement, v3Ipv6Context))).toBe(hexOf(v3Ipv6Bytes));
  });

  it('always includes the IPv6 pseudo-header, even in rfc9568 mode', () => {
    const encoded = encodeAdvertisement(v3Ipv6Advertisement, { ...v3Ipv6Context, v3Ipv4Checksum: 'rfc9568' });
    expect(hexOf(encoded)).toBe(hexOf(v3Ipv6Bytes));
  });

  it('rejects the message when the IP source differs from the one summed', () => {
    expect(codeOf(decodeAdvertisement(v3Ipv6Bytes, { ...v3Ipv6Context, src: 'fe80::2' }))).toBe('checksum');
  });
});

// Copies a v2 message, applies byte changes, and refills the checksum so that only the changed field is wrong.
function v2With(changes: Record<number, number>): Uint8Array {
  const bytes = Uint8Array.from(v2NoneBytes);
  for (const [offset, value] of Object.entries(changes)) bytes[Number(offset)] = value;
  bytes[6] = 0;
  bytes[7] = 0;
  const checksum = internetChecksum(bytes);
  bytes[6] = checksum >> 8;
  bytes[7] = checksum & 0xff;
  return bytes;
}

// The same for the v3 IPv4 fixture, with the pseudo-header of `v3Ipv4Context`.
function v3Ipv4With(changes: Record<number, number>, length = v3Ipv4PseudoHeaderBytes.length): Uint8Array {
  const bytes = new Uint8Array(length);
  bytes.set(v3Ipv4PseudoHeaderBytes.subarray(0, length));
  for (const [offset, value] of Object.entries(changes)) bytes[Number(offset)] = value;
  bytes[6] = 0;
  bytes[7] = 0;
  const pseudoHeader = pseudoHeaderIpv4(Uint8Array.of(192, 0, 2, 2), Uint8Array.of(224, 0, 0, 18), length);
  const checksum = internetChecksum(pseudoHeader, bytes);
  bytes[6] = checksum >> 8;
  bytes[7] = checksum & 0xff;
  return bytes;
}

describe('decode error codes', () => {
  it('length: a message shorter than the 8-byte header', () => {
    expect(codeOf(decodeAdvertisement(v2NoneBytes.subarray(0, 7), v2NoneContext))).toBe('length');
  });

  it('length: a v2 message cut inside its authentication data', () => {
    expect(codeOf(decodeAdvertisement(v2NoneBytes.subarray(0, 19), v2NoneContext))).toBe('length');
  });

  it('length: a count that promises more addresses than the message holds', () => {
    expect(codeOf(decodeAdvertisement(v2With({ 3: 2 }), v2NoneContext))).toBe('length');
  });

  it('length: a trailing byte after a complete message, even though the checksum still verifies', () => {
    // A trailing zero byte adds nothing to the ones' complement sum, so only the length can catch it.
    const longer = Uint8Array.of(...v2NoneBytes, 0);
    expect(internetChecksum(longer)).toBe(0);
    expect(codeOf(decodeAdvertisement(longer, v2NoneContext))).toBe('length');
  });

  it('length: an IPv4-sized v3 message read in an IPv6 context', () => {
    const result = decodeAdvertisement(v3Ipv4PseudoHeaderBytes, { family: 'ipv6', src: 'fe80::1', dst: 'ff02::12' });
    expect(codeOf(result)).toBe('length');
  });

  it('length: a value that is not a byte array', () => {
    expect(codeOf(decodeAdvertisement('2101' as unknown as Uint8Array, v2NoneContext))).toBe('length');
  });

  it('version: version 4', () => {
    expect(codeOf(decodeAdvertisement(v2With({ 0: 0x41 }), v2NoneContext))).toBe('version');
  });

  it('version: version 2 over IPv6 (RFC 3768 is IPv4 only)', () => {
    const result = decodeAdvertisement(v2NoneBytes, { family: 'ipv6', src: 'fe80::1', dst: 'ff02::12' });
    expect(codeOf(result)).toBe('version');
  });

  it('type: type 2 (only 1, advertisement, is defined)', () => {
    expect(codeOf(decodeAdvertisement(v2With({ 0: 0x22 }), v2NoneContext))).toBe('type');
  });

  it('checksum: one flipped bit in an address', () => {
    const corrupted = Uint8Array.from(v2NoneBytes);
    corrupted[11]! ^= 0x01;
    expect(codeOf(decodeAdvertisement(corrupted, v2NoneContext))).toBe('checksum');
  });

  it('address-count: a v3 message with count 0 (RFC 9568 §5.2.5)', () => {
    const noAddresses = v3Ipv4With({ 3: 0 }, 8);
    expect(codeOf(decodeAdvertisement(noAddresses, v3Ipv4Context))).toBe('address-count');
  });

  it('auth-type: v2 auth type 2 (IPsec AH, not carried in the message)', () => {
    expect(codeOf(decodeAdvertisement(v2With({ 4: 2 }), v2NoneContext))).toBe('auth-type');
  });

  it('auth-type: an unknown v2 auth type', () => {
    expect(codeOf(decodeAdvertisement(v2With({ 4: 0x7f }), v2NoneContext))).toBe('auth-type');
  });

  it('interval: v2 adver int 0', () => {
    expect(codeOf(decodeAdvertisement(v2With({ 5: 0 }), v2NoneContext))).toBe('interval');
  });

  it('interval: v3 max adver int 0, whatever the reserved bits say', () => {
    expect(codeOf(decodeAdvertisement(v3Ipv4With({ 4: 0xf0, 5: 0 }), v3Ipv4Context))).toBe('interval');
  });

  it('family: a context whose source address is not of its family', () => {
    const result = decodeAdvertisement(v2NoneBytes, { ...v2NoneContext, src: 'fe80::1' });
    expect(codeOf(result)).toBe('family');
  });

  it('family: a context with an unknown family', () => {
    const result = decodeAdvertisement(v2NoneBytes, { ...v2NoneContext, family: 'ipx' as 'ipv4' });
    expect(codeOf(result)).toBe('family');
  });

  it('family: options with an unknown checksum mode', () => {
    const options = { ...v2NoneContext, v3Ipv4Checksum: 'strict' as 'rfc9568' };
    expect(codeOf(decodeAdvertisement(v2NoneBytes, options))).toBe('family');
  });

  it('vrid: virtual router id 0', () => {
    expect(codeOf(decodeAdvertisement(v2With({ 1: 0 }), v2NoneContext))).toBe('vrid');
  });

  it('every error carries a short lowercase message', () => {
    const result = decodeAdvertisement(v2With({ 1: 0 }), v2NoneContext);
    const message = result.ok ? '' : result.error.message;
    expect(message).toMatch(/^[a-z0-9][a-z0-9 .:/-]*$/);
  });
});
