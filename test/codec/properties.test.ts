/**
 * Properties of the codec over generated inputs (fast-check).
 *
 * - Round trip: every valid advertisement, v2 or v3, IPv4 or IPv6, either checksum mode, encodes and decodes back
 *   to itself; IP addresses format and parse back to their bytes.
 * - Robustness: decode never throws — not on arbitrary bytes, not on well-framed messages with arbitrary field
 *   values, not on valid messages flipped, cut or extended, not on values that are not bytes at all. Whatever it
 *   accepts, encode can write back.
 *
 * The seed is printed once per run; `FC_SEED=<seed> npx vitest run test/codec/properties.test.ts` replays it.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import type { Advertisement } from '../../src/core/advertisement.js';
import { internetChecksum, pseudoHeaderIpv4, pseudoHeaderIpv6 } from '../../src/core/checksum.js';
import {
  decodeAdvertisement,
  encodeAdvertisement,
  encodingLength,
  type CodecContext,
  type DecodeErrorCode,
  type DecodeOptions,
  type DecodeResult,
  type V3Ipv4ChecksumMode,
} from '../../src/core/codec.js';
import { canonicalIp, formatIp, parseIp } from '../../src/core/ip-address.js';
import { propertySeed, seededCheck } from '../support/seed.js';

const seed = propertySeed('codec/properties');
const check = seededCheck(seed);

// ── generators ─────────────────────────────────────────────────────────────────────────────────────────────────

const ipv4Bytes = fc.uint8Array({ minLength: 4, maxLength: 4 });
// Zero groups are over-weighted so that `::` runs of every length and position are common.
const ipv6Bytes = fc
  .array(
    fc.oneof({ arbitrary: fc.constant(0), weight: 2 }, { arbitrary: fc.integer({ min: 0, max: 0xffff }), weight: 1 }),
    { minLength: 8, maxLength: 8 },
  )
  .map((groups) => {
    const bytes = new Uint8Array(16);
    groups.forEach((group, index) => {
      bytes[index * 2] = group >> 8;
      bytes[index * 2 + 1] = group & 0xff;
    });
    return bytes;
  });
const ipv4Text = ipv4Bytes.map(formatIp);
const ipv6Text = ipv6Bytes.map(formatIp);

const checksumMode = fc.constantFrom<V3Ipv4ChecksumMode>('pseudo-header', 'rfc9568');
const decodeMode = fc.constantFrom<DecodeOptions['v3Ipv4Checksum']>(undefined, 'either', 'pseudo-header', 'rfc9568');
// Any Latin-1 character except NUL, which ends the password on the wire.
const password = fc.string({
  unit: fc.integer({ min: 1, max: 0xff }).map((code) => String.fromCharCode(code)),
  maxLength: 8,
});

interface ValidCase {
  advertisement: Advertisement;
  context: CodecContext;
  mode: V3Ipv4ChecksumMode;
}

const v2Case: fc.Arbitrary<ValidCase> = fc
  .record({
    vrid: fc.integer({ min: 1, max: 255 }),
    priority: fc.integer({ min: 0, max: 255 }),
    seconds: fc.integer({ min: 1, max: 255 }),
    addresses: fc.array(ipv4Text, { maxLength: 16 }),
    password: fc.option(password, { nil: undefined }),
    src: ipv4Text,
    dst: ipv4Text,
    mode: checksumMode,
  })
  .map(({ vrid, priority, seconds, addresses, password, src, dst, mode }) => ({
    advertisement: {
      version: 2,
      vrid,
      priority,
      advertIntervalMs: seconds * 1000,
      addresses,
      ...(password === undefined ? { authType: 0 } : { authType: 1, authPassword: password }),
    },
    context: { family: 'ipv4', src, dst },
    mode,
  }));

const v3Case: fc.Arbitrary<ValidCase> = fc.constantFrom('ipv4' as const, 'ipv6' as const).chain((family) => {
  const address = family === 'ipv4' ? ipv4Text : ipv6Text;
  return fc
    .record({
      vrid: fc.integer({ min: 1, max: 255 }),
      priority: fc.integer({ min: 0, max: 255 }),
      centiseconds: fc.integer({ min: 1, max: 0x0fff }),
      addresses: fc.array(address, { minLength: 1, maxLength: 16 }),
      src: address,
      dst: address,
      mode: checksumMode,
    })
    .map(({ vrid, priority, centiseconds, addresses, src, dst, mode }) => ({
      advertisement: { version: 3, vrid, priority, advertIntervalMs: centiseconds * 10, addresses },
      context: { family, src, dst },
      mode,
    }));
});

const validCase = fc.oneof(v2Case, v3Case);

const context: fc.Arbitrary<CodecContext> = fc.oneof(
  fc.record({ family: fc.constant('ipv4' as const), src: ipv4Text, dst: ipv4Text }),
  fc.record({ family: fc.constant('ipv6' as const), src: ipv6Text, dst: ipv6Text }),
);

type Mutation =
  | { kind: 'flip'; index: number; mask: number }
  | { kind: 'truncate'; length: number }
  | { kind: 'extend'; bytes: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), index: fc.nat(), mask: fc.integer({ min: 1, max: 0xff }) }),
  fc.record({ kind: fc.constant('truncate' as const), length: fc.nat() }),
  fc.record({ kind: fc.constant('extend' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 32 }) }),
);

function mutate(original: Uint8Array, mutations: Mutation[]): Uint8Array {
  let bytes = Uint8Array.from(original);
  for (const change of mutations) {
    if (change.kind === 'flip') {
      if (bytes.length > 0) bytes[change.index % bytes.length]! ^= change.mask;
    } else if (change.kind === 'truncate') {
      bytes = bytes.slice(0, change.length % (bytes.length + 1));
    } else {
      const longer = new Uint8Array(bytes.length + change.bytes.length);
      longer.set(bytes);
      longer.set(change.bytes, bytes.length);
      bytes = longer;
    }
  }
  return bytes;
}

// Refills the checksum field the way a sender in `context` would, so a message gets past the checksum check and
// its other fields are exercised. Works on any bytes; shorter than a header is left alone.
function reseal(bytes: Uint8Array, context: CodecContext, withIpv4PseudoHeader: boolean): Uint8Array {
  if (bytes.length < 8) return bytes;
  const sealed = Uint8Array.from(bytes);
  sealed[6] = 0;
  sealed[7] = 0;
  const src = parseIp(context.src)!.bytes;
  const dst = parseIp(context.dst)!.bytes;
  let checksum: number;
  if (sealed[0]! >> 4 !== 3) checksum = internetChecksum(sealed);
  else if (context.family === 'ipv6') checksum = internetChecksum(pseudoHeaderIpv6(src, dst, sealed.length), sealed);
  else if (withIpv4PseudoHeader) checksum = internetChecksum(pseudoHeaderIpv4(src, dst, sealed.length), sealed);
  else checksum = internetChecksum(sealed);
  sealed[6] = checksum >> 8;
  sealed[7] = checksum & 0xff;
  return sealed;
}

const errorCodes = new Set<DecodeErrorCode>([
  'length',
  'version',
  'type',
  'checksum',
  'address-count',
  'auth-type',
  'interval',
  'family',
  'vrid',
]);

// A result is either a known error with a message, or an advertisement that encode can write back and that
// decodes to itself again: decode never invents something the codec cannot carry.
function wellFormed(result: DecodeResult, context: CodecContext): boolean {
  if (!result.ok) return errorCodes.has(result.error.code) && result.error.message.length > 0;
  const again = decodeAdvertisement(encodeAdvertisement(result.advertisement, context), context);
  expect(again).toEqual(result);
  return true;
}

// ── properties ─────────────────────────────────────────────────────────────────────────────────────────────────

describe('round trip', () => {
  it('decode(encode(advertisement)) is the advertisement, in the mode it was encoded with', () => {
    check(
      fc.property(validCase, ({ advertisement, context, mode }) => {
        const bytes = encodeAdvertisement(advertisement, { ...context, v3Ipv4Checksum: mode });
        const result = decodeAdvertisement(bytes, { ...context, v3Ipv4Checksum: mode });
        expect(result).toEqual({ ok: true, advertisement });
      }),
      10_000,
    );
  });

  it('the default (either) decode mode accepts what either encode mode wrote', () => {
    check(
      fc.property(validCase, ({ advertisement, context, mode }) => {
        const bytes = encodeAdvertisement(advertisement, { ...context, v3Ipv4Checksum: mode });
        expect(decodeAdvertisement(bytes, context)).toEqual({ ok: true, advertisement });
      }),
      5_000,
    );
  });

  it('encodingLength is the length encode produces', () => {
    check(
      fc.property(validCase, ({ advertisement, context, mode }) => {
        const bytes = encodeAdvertisement(advertisement, { ...context, v3Ipv4Checksum: mode });
        expect(encodingLength(advertisement)).toBe(bytes.length);
      }),
      5_000,
    );
  });

  it('every IPv4 and IPv6 address formats to text that parses back to the same bytes', () => {
    check(
      fc.property(fc.oneof(ipv4Bytes, ipv6Bytes), (bytes) => {
        expect(parseIp(formatIp(bytes))?.bytes).toEqual(bytes);
      }),
      10_000,
    );
  });

  it('formatted addresses are already canonical', () => {
    check(
      fc.property(fc.oneof(ipv4Text, ipv6Text), (text) => {
        expect(canonicalIp(text)).toBe(text);
      }),
      5_000,
    );
  });
});

describe('decode never throws', () => {
  it('on arbitrary bytes of any length 0..200, in any context and mode', () => {
    check(
      fc.property(fc.uint8Array({ maxLength: 200 }), context, decodeMode, (bytes, codecContext, mode) => {
        const result = decodeAdvertisement(bytes, { ...codecContext, v3Ipv4Checksum: mode });
        expect(wellFormed(result, codecContext)).toBe(true);
      }),
      30_000,
    );
  });

  it('on well-framed messages whose every field is arbitrary, checksum made valid', () => {
    const fieldByte = fc.oneof(fc.constant(0), { arbitrary: fc.integer({ min: 0, max: 0xff }), weight: 3 });
    const framed = fc
      .record({
        // Zero is over-weighted in every field: vrid 0, count 0 and interval 0 are the interesting rejections.
        header: fc.array(fieldByte, { minLength: 8, maxLength: 8 }),
        version: fc.oneof({ arbitrary: fc.constantFrom(2, 3), weight: 4 }, fc.constantFrom(0, 1, 4, 15)),
        type: fc.oneof({ arbitrary: fc.constant(1), weight: 4 }, fc.constantFrom(0, 2, 15)),
        count: fc.integer({ min: 0, max: 8 }),
        context,
        pseudoHeader: fc.boolean(),
        mode: decodeMode,
        filler: fc.uint8Array({ minLength: 8 + 16 * 8, maxLength: 8 + 16 * 8 }),
      })
      .map(({ header, version, type, count, context: codecContext, pseudoHeader, mode, filler }) => {
        const addressLength = codecContext.family === 'ipv4' ? 4 : 16;
        const length = 8 + count * addressLength + (version === 2 ? 8 : 0);
        const bytes = new Uint8Array(length);
        bytes.set(header);
        bytes.set(filler.subarray(0, length - 8), 8);
        bytes[0] = (version << 4) | type;
        bytes[3] = count;
        return { bytes: reseal(bytes, codecContext, pseudoHeader), context: codecContext, mode };
      });
    check(
      fc.property(framed, ({ bytes, context: codecContext, mode }) => {
        const result = decodeAdvertisement(bytes, { ...codecContext, v3Ipv4Checksum: mode });
        expect(wellFormed(result, codecContext)).toBe(true);
      }),
      20_000,
    );
  });

  it('on valid messages with bytes flipped, cut off or appended, checksum left or made valid', () => {
    check(
      fc.property(
        validCase,
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        decodeMode,
        ({ advertisement, context: codecContext, mode }, mutations, resealed, receiveMode) => {
          const original = encodeAdvertisement(advertisement, { ...codecContext, v3Ipv4Checksum: mode });
          const mutated = mutate(original, mutations);
          const bytes = resealed ? reseal(mutated, codecContext, mode === 'pseudo-header') : mutated;
          const result = decodeAdvertisement(bytes, { ...codecContext, v3Ipv4Checksum: receiveMode });
          expect(wellFormed(result, codecContext)).toBe(true);
        },
      ),
      30_000,
    );
  });

  it('on values that are not bytes and options that are not a context', () => {
    check(
      fc.property(fc.anything(), fc.anything(), (bytes, options) => {
        const result = decodeAdvertisement(bytes as Uint8Array, options as DecodeOptions);
        expect(result.ok).toBe(false);
      }),
      2_000,
    );
  });
});
