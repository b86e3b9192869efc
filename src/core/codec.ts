/**
 * VRRP advertisement codec: bytes of the VRRP message (from the version/type byte on, no IP header) ⇄
 * `Advertisement`.
 *
 * Wire layouts (network byte order):
 *
 *   v2, RFC 3768 §5.3                         v3, RFC 9568 §5.2
 *   0  version 2 | type 1 (0x21)              0  version 3 | type 1 (0x31)
 *   1  virtual router id                      1  virtual router id
 *   2  priority                               2  priority
 *   3  count ip addrs                         3  count ipvx addr
 *   4  auth type                              4  4 bits reserved | 12 bits max adver int (centiseconds)
 *   5  adver int (seconds)                    5
 *   6  checksum (2 bytes)                     6  checksum (2 bytes)
 *   8  count × 4-byte IPv4 address            8  count × 4- or 16-byte address (family of the IP header)
 *   …  8 bytes authentication data
 *
 * Rules:
 * - Decode never throws, whatever it is given: network garbage becomes a `DecodeError` with a code the caller can
 *   count (the RFC 6527 drop reasons). Encode throws (TypeError for a wrong JS type, RangeError for a bad value):
 *   an invalid advertisement on the way out is a bug in the caller, not an event.
 * - Decode checks structure, then integrity, then field semantics, so a corrupted packet counts as a checksum error
 *   rather than as whatever nonsense its damaged fields say: options → header length → version/type → exact
 *   length → checksum → vrid → address count → auth type → interval. That is the RFC 3768 §7.1 / RFC 9568 §7.1
 *   order, restricted to what the message alone can tell.
 * - Decode reads leniently and judges nothing it cannot see in the message. TTL/hop limit, "is this VRID ours",
 *   password matching, interval mismatch, the address list against the configuration and "first IPv6 address is
 *   link-local" (RFC 9568 §5.2.9) are the state machine's calls. Reserved bits (RFC 9568 §5.2.6) and v2 auth
 *   data under auth type 0 (RFC 3768 §5.3.10) are ignored.
 * - The length must be exact: 8 + count × address size (+ 8 auth bytes for v2). RFC 3768 §7.1 and RFC 9568 §7.1
 *   only require the packet to contain the complete message, but the receive path hands us the IP payload cut to
 *   the IP length, keepalived sends exactly this many bytes, and bytes after the last address mean the count or
 *   the family is not what the sender meant. Both too short and too long are `length` errors.
 * - Checksum (RFC 1071): v2 covers the message only (RFC 3768 §5.3.8). v3 over IPv6 always includes the
 *   RFC 8200 §8.1 pseudo-header (RFC 9568 §5.2.8). v3 over IPv4 is split in the field: RFC 9568 §5.2.8 covers the
 *   message only, while keepalived 2.2.7 and FRR include the IPv4 pseudo-header (RFC 5798 §5.2.8 read literally).
 *   Encode defaults to the pseudo-header so we interoperate with keepalived out of the box; decode accepts either
 *   unless told to be strict — and then also keepalived's old unicast form, whose pseudo-header names 224.0.0.18
 *   as the destination. v3 counts the message length, not the IP length, in the pseudo-header.
 * - Intervals are milliseconds outside this file; seconds (v2) and centiseconds (v3) exist only on the wire.
 */

import { VRRP_MULTICAST_GROUP, type AddressFamily, type Advertisement, type AuthType, type VrrpVersion } from './advertisement.js';
import { internetChecksum, pseudoHeaderIpv4, pseudoHeaderIpv6 } from './checksum.js';
import { formatIp, parseIp } from './ip-address.js';

/** Where a VRRP message travels: the IP family and the IP header's source and destination addresses (as text). */
export interface CodecContext {
  /** Family of the IP packet that carries the message; fixes the address size (4 or 16 bytes). */
  family: AddressFamily;
  /** IP source address: the sender's primary address (IPv4) or link-local address (IPv6). */
  src: string;
  /** IP destination address: 224.0.0.18, ff02::12, or a unicast peer. */
  dst: string;
}

/**
 * How a VRRPv3 message over IPv4 is checksummed: `pseudo-header` includes the IPv4 pseudo-header (keepalived 2.2.7,
 * FRR), `rfc9568` covers the VRRP message only (RFC 9568 §5.2.8, Cisco, Juniper).
 */
export type V3Ipv4ChecksumMode = 'pseudo-header' | 'rfc9568';

/** Encoding context and options. */
export interface EncodeOptions extends CodecContext {
  /** Checksum mode for VRRPv3 over IPv4; default `pseudo-header`. Ignored for v2 and for IPv6. */
  v3Ipv4Checksum?: V3Ipv4ChecksumMode;
}

/** Decoding context and options. */
export interface DecodeOptions extends CodecContext {
  /** Accepted checksum mode for VRRPv3 over IPv4; default `either` (a packet valid under one mode is accepted). */
  v3Ipv4Checksum?: V3Ipv4ChecksumMode | 'either';
}

/**
 * Why a message was rejected. `family` means the decode options themselves are unusable (unknown family, a src/dst
 * that is not an address of that family, an unknown checksum mode): a caller bug, kept apart from wire problems.
 * Every other code names the part of the message that failed.
 */
export type DecodeErrorCode =
  | 'length'
  | 'version'
  | 'type'
  | 'checksum'
  | 'address-count'
  | 'auth-type'
  | 'interval'
  | 'family'
  | 'vrid';

/** A rejected message: a code to count and a short lowercase message to log. */
export interface DecodeError {
  /** Machine-readable reason. */
  code: DecodeErrorCode;
  /** Short lowercase description for logs. */
  message: string;
}

/** Outcome of `decodeAdvertisement`. */
export type DecodeResult =
  | {
      /** Decoded. */
      ok: true;
      /** The advertisement the bytes carry. */
      advertisement: Advertisement;
    }
  | {
      /** Dropped. */
      ok: false;
      /** Why: the first check that failed. */
      error: DecodeError;
    };

const HEADER_LENGTH = 8;
const V2_AUTH_DATA_LENGTH = 8;
const TYPE_ADVERTISEMENT = 1; // RFC 3768 §5.3.2, RFC 9568 §5.2.2: the only defined type.
const V2_MAX_INTERVAL_S = 255; // one byte of seconds, RFC 3768 §5.3.7
const V3_MAX_INTERVAL_CS = 0x0fff; // twelve bits of centiseconds, RFC 9568 §5.2.7
const MAX_ADDRESSES = 255; // one byte of count

interface Endpoints {
  family: AddressFamily;
  src: Uint8Array;
  dst: Uint8Array;
}

/**
 * Decodes one VRRP message. Never throws: every failure is `{ ok: false, error }`. See the file header for what is
 * and is not checked, and in which order.
 */
export function decodeAdvertisement(bytes: Uint8Array, options: DecodeOptions): DecodeResult {
  const endpoints = readEndpoints(options);
  if (typeof endpoints === 'string') return failure('family', endpoints);
  const mode: unknown = options.v3Ipv4Checksum ?? 'either';
  if (mode !== 'either' && mode !== 'pseudo-header' && mode !== 'rfc9568') {
    return failure('family', 'unknown v3Ipv4Checksum mode');
  }

  if (!(bytes instanceof Uint8Array)) return failure('length', 'message is not a byte array');
  if (bytes.length < HEADER_LENGTH) return failure('length', `${bytes.length} bytes is shorter than the header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  const version = view.getUint8(0) >> 4;
  const type = view.getUint8(0) & 0x0f;
  if (version !== 2 && version !== 3) return failure('version', `unknown version ${version}`);
  if (type !== TYPE_ADVERTISEMENT) return failure('type', `unknown type ${type}`);
  // RFC 3768 defines VRRP for IPv4 only; IPv6 arrives with version 3 (RFC 9568 §1).
  if (version === 2 && endpoints.family === 'ipv6') return failure('version', 'version 2 over ipv6');

  const vrid = view.getUint8(1);
  const priority = view.getUint8(2);
  const count = view.getUint8(3);
  const addressLength = endpoints.family === 'ipv4' ? 4 : 16;
  const addressesEnd = HEADER_LENGTH + count * addressLength;
  const expectedLength = addressesEnd + (version === 2 ? V2_AUTH_DATA_LENGTH : 0);
  if (bytes.length !== expectedLength) {
    return failure('length', `${bytes.length} bytes where ${count} addresses need ${expectedLength}`);
  }

  if (!checksumAccepted(bytes, version, endpoints, mode)) return failure('checksum', 'bad checksum');

  // RFC 3768 §5.3.3, RFC 9568 §5.2.3: VRIDs are 1…255.
  if (vrid === 0) return failure('vrid', 'vrid 0');
  // RFC 9568 §5.2.5 (and erratum 8299 in §7.1): "If the received count is 0, the VRRP advertisement MUST be
  // ignored". RFC 3768 §5.3.5 sets no minimum, so a v2 advertisement may carry no address.
  if (version === 3 && count === 0) return failure('address-count', 'no addresses');

  const addresses: string[] = [];
  for (let offset = HEADER_LENGTH; offset < addressesEnd; offset += addressLength) {
    addresses.push(formatIp(bytes.subarray(offset, offset + addressLength)));
  }

  if (version === 2) {
    // RFC 3768 §5.3.6 keeps types 1 and 2 reserved for RFC 2338 compatibility. Type 1 is RFC 2338's simple text
    // password, which keepalived still speaks (`auth_type PASS`); type 2 is IPsec AH, whose data is not in the
    // VRRP message at all, so it cannot be decoded here.
    const authType = view.getUint8(4);
    if (authType !== 0 && authType !== 1) return failure('auth-type', `unsupported auth type ${authType}`);
    // RFC 3768 §5.3.7: a whole number of seconds; 0 would make every timer fire at once.
    const seconds = view.getUint8(5);
    if (seconds === 0) return failure('interval', 'advertisement interval 0');
    const advertisement: Advertisement = {
      version: 2,
      vrid,
      priority,
      advertIntervalMs: seconds * 1000,
      addresses,
      authType,
    };
    if (authType === 1) advertisement.authPassword = readPassword(bytes.subarray(addressesEnd));
    return { ok: true, advertisement };
  }

  // RFC 9568 §5.2.6: the top four bits are reserved, ignored on receive. §7.1 (erratum 8301): the interval is
  // non-zero.
  const centiseconds = view.getUint16(4) & V3_MAX_INTERVAL_CS;
  if (centiseconds === 0) return failure('interval', 'advertisement interval 0');
  return {
    ok: true,
    advertisement: { version: 3, vrid, priority, advertIntervalMs: centiseconds * 10, addresses },
  };
}

/**
 * Encodes one advertisement as a VRRP message with its checksum filled in. Throws TypeError/RangeError with a short
 * lowercase message when the advertisement or the context is invalid: v2 needs IPv4, a whole number of seconds
 * 1…255 and auth type 0 or 1 (password ≤ 8 Latin-1 characters, no NUL); v3 needs a multiple of 10 ms in
 * 10…40950 and at least one address (RFC 9568 §5.2.5); every address must be of `options.family`.
 */
export function encodeAdvertisement(advertisement: Advertisement, options: EncodeOptions): Uint8Array {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const endpoints = readEndpoints(options);
  if (typeof endpoints === 'string') throw new RangeError(endpoints);
  const mode: unknown = options.v3Ipv4Checksum ?? 'pseudo-header';
  if (mode !== 'pseudo-header' && mode !== 'rfc9568') throw new RangeError('unknown v3Ipv4Checksum mode');

  const fields = checkAdvertisement(advertisement);
  const { version } = fields;
  if (version === 2 && endpoints.family === 'ipv6') throw new RangeError('vrrp version 2 is ipv4 only');
  if (version === 3 && fields.addresses.length === 0) throw new RangeError('vrrp version 3 needs an address');
  const addressLength = endpoints.family === 'ipv4' ? 4 : 16;
  for (const address of fields.addresses) {
    if (address.length !== addressLength) throw new RangeError(`address is not ${endpoints.family}`);
  }

  const addressesEnd = HEADER_LENGTH + fields.addresses.length * addressLength;
  const bytes = new Uint8Array(addressesEnd + (version === 2 ? V2_AUTH_DATA_LENGTH : 0));
  const view = new DataView(bytes.buffer);
  view.setUint8(0, (version << 4) | TYPE_ADVERTISEMENT);
  view.setUint8(1, fields.vrid);
  view.setUint8(2, fields.priority);
  view.setUint8(3, fields.addresses.length);
  if (version === 2) {
    view.setUint8(4, fields.authType);
    view.setUint8(5, fields.advertInterval);
  } else {
    // Reserved bits are zero on send (RFC 9568 §5.2.6).
    view.setUint16(4, fields.advertInterval);
  }
  fields.addresses.forEach((address, index) => bytes.set(address, HEADER_LENGTH + index * addressLength));
  // v2 auth data: the password NUL-padded for type 1 (RFC 2338 §5.3.10), zeros otherwise (RFC 3768 §5.3.10).
  if (version === 2) bytes.set(fields.password, addressesEnd);

  view.setUint16(6, computeChecksum(bytes, version, endpoints, mode));
  return bytes;
}

/**
 * Size in bytes of the message `encodeAdvertisement` would produce. The address size comes from the addresses
 * themselves; throws RangeError when they do not parse or mix families, TypeError when they are not strings.
 */
export function encodingLength(advertisement: Advertisement): number {
  const fields = checkAdvertisement(advertisement);
  const addressLength = fields.version === 2 ? 4 : (fields.addresses[0]?.length ?? 4);
  if (fields.addresses.some((address) => address.length !== addressLength)) {
    throw new RangeError(fields.version === 2 ? 'vrrp version 2 is ipv4 only' : 'addresses mix ipv4 and ipv6');
  }
  const addressesLength = fields.addresses.length * addressLength;
  return HEADER_LENGTH + addressesLength + (fields.version === 2 ? V2_AUTH_DATA_LENGTH : 0);
}

interface CheckedAdvertisement {
  version: VrrpVersion;
  vrid: number;
  priority: number;
  /** Wire units: seconds for v2, centiseconds for v3. */
  advertInterval: number;
  addresses: Uint8Array[];
  authType: AuthType;
  /** The 8 bytes of v2 authentication data. */
  password: Uint8Array;
}

// Validates everything about an advertisement that does not depend on the context, and converts to wire units.
function checkAdvertisement(advertisement: Advertisement): CheckedAdvertisement {
  if (typeof advertisement !== 'object' || advertisement === null) {
    throw new TypeError('advertisement must be an object');
  }
  const { version, vrid, priority, advertIntervalMs, addresses, authType, authPassword } = advertisement;
  if (version !== 2 && version !== 3) throw new RangeError('version must be 2 or 3');
  checkInteger(vrid, 'vrid', 1, 255);
  checkInteger(priority, 'priority', 0, 255);

  if (typeof advertIntervalMs !== 'number') throw new TypeError('advertIntervalMs must be a number');
  let advertInterval: number;
  if (version === 2) {
    advertInterval = advertIntervalMs / 1000;
    if (!Number.isInteger(advertInterval) || advertInterval < 1 || advertInterval > V2_MAX_INTERVAL_S) {
      throw new RangeError('v2 advertIntervalMs must be whole seconds 1000..255000');
    }
  } else {
    advertInterval = advertIntervalMs / 10;
    if (!Number.isInteger(advertInterval) || advertInterval < 1 || advertInterval > V3_MAX_INTERVAL_CS) {
      throw new RangeError('v3 advertIntervalMs must be a multiple of 10 in 10..40950');
    }
  }

  if (!Array.isArray(addresses)) throw new TypeError('addresses must be an array');
  if (addresses.length > MAX_ADDRESSES) throw new RangeError('at most 255 addresses');
  const addressBytes = addresses.map((address: unknown) => {
    if (typeof address !== 'string') throw new TypeError('addresses must be strings');
    const parsed = parseIp(address);
    if (parsed === undefined) throw new RangeError(`invalid address ${JSON.stringify(address)}`);
    return parsed.bytes;
  });

  const password = new Uint8Array(V2_AUTH_DATA_LENGTH);
  if (version === 3) {
    if ((authType !== undefined && authType !== 0) || authPassword !== undefined) {
      throw new RangeError('authentication is version 2 only');
    }
    return { version, vrid, priority, advertInterval, addresses: addressBytes, authType: 0, password };
  }
  if (authType !== undefined && authType !== 0 && authType !== 1) throw new RangeError('authType must be 0 or 1');
  if (authType === 1) {
    if (typeof authPassword !== 'string') throw new TypeError('authType 1 needs an authPassword string');
    if (authPassword.length > V2_AUTH_DATA_LENGTH) throw new RangeError('authPassword is longer than 8 characters');
    for (let i = 0; i < authPassword.length; i++) {
      const code = authPassword.charCodeAt(i);
      // NUL ends the password on the wire; above 0xff is not one byte. Either would not survive a round trip.
      if (code === 0 || code > 0xff) throw new RangeError('authPassword must be latin-1 text without nul');
      password[i] = code;
    }
  } else if (authPassword !== undefined) {
    throw new RangeError('authPassword needs authType 1');
  }
  return { version, vrid, priority, advertInterval, addresses: addressBytes, authType: authType ?? 0, password };
}

function checkInteger(value: unknown, name: string, min: number, max: number): void {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer ${min}..${max}`);
  }
}

// Parses the context; returns a message when it is unusable. Written not to throw on any value at all.
function readEndpoints(options: CodecContext): Endpoints | string {
  if (typeof options !== 'object' || options === null) return 'context must be an object';
  const { family } = options;
  if (family !== 'ipv4' && family !== 'ipv6') return 'family must be ipv4 or ipv6';
  const src = parseIp(options.src);
  if (src === undefined || src.family !== family) return `src is not an ${family} address`;
  const dst = parseIp(options.dst);
  if (dst === undefined || dst.family !== family) return `dst is not an ${family} address`;
  return { family, src: src.bytes, dst: dst.bytes };
}

// The checksum field, computed with the field zeroed (RFC 1071 via RFC 3768 §5.3.8 / RFC 9568 §5.2.8).
function computeChecksum(
  bytes: Uint8Array,
  version: VrrpVersion,
  endpoints: Endpoints,
  mode: V3Ipv4ChecksumMode,
): number {
  bytes[6] = 0;
  bytes[7] = 0;
  const pseudoHeader = pseudoHeaderFor(bytes.length, version, endpoints, mode === 'pseudo-header');
  return pseudoHeader === undefined ? internetChecksum(bytes) : internetChecksum(pseudoHeader, bytes);
}

// A message with a correct checksum field sums to zero (RFC 1071 §1); under `either` one matching mode suffices.
function checksumAccepted(
  bytes: Uint8Array,
  version: VrrpVersion,
  endpoints: Endpoints,
  mode: V3Ipv4ChecksumMode | 'either',
): boolean {
  const verifies = (withIpv4PseudoHeader: boolean): boolean => {
    const pseudoHeader = pseudoHeaderFor(bytes.length, version, endpoints, withIpv4PseudoHeader);
    return (pseudoHeader === undefined ? internetChecksum(bytes) : internetChecksum(pseudoHeader, bytes)) === 0;
  };
  if (version === 3 && endpoints.family === 'ipv4' && mode === 'either') {
    if (verifies(true) || verifies(false)) return true;
    // keepalived's old unicast form (`old_unicast_checksum`, and its answer to a peer that sends it; built into
    // Debian's 2.2.7): the pseudo-header's destination is the multicast group whatever the packet's.
    return endpoints.dst[0] !== 224 && internetChecksum(pseudoHeaderIpv4(endpoints.src, VRRP_GROUP_IPV4, bytes.length), bytes) === 0;
  }
  return verifies(mode === 'pseudo-header');
}

/** VRRP's IPv4 multicast group as bytes, for keepalived's old unicast checksum form. */
const VRRP_GROUP_IPV4 = (parseIp(VRRP_MULTICAST_GROUP.ipv4) as { bytes: Uint8Array }).bytes;

function pseudoHeaderFor(
  length: number,
  version: VrrpVersion,
  endpoints: Endpoints,
  withIpv4PseudoHeader: boolean,
): Uint8Array | undefined {
  if (version === 2) return undefined;
  if (endpoints.family === 'ipv6') return pseudoHeaderIpv6(endpoints.src, endpoints.dst, length);
  return withIpv4PseudoHeader ? pseudoHeaderIpv4(endpoints.src, endpoints.dst, length) : undefined;
}

// RFC 2338 §5.3.10: the password, NUL-padded to 8 bytes. One byte is one character (Latin-1): deterministic for any
// bytes, no decoder that can throw or substitute.
function readPassword(authData: Uint8Array): string {
  let password = '';
  for (const byte of authData) {
    if (byte === 0) break;
    password += String.fromCharCode(byte);
  }
  return password;
}

function failure(code: DecodeErrorCode, message: string): DecodeResult {
  return { ok: false, error: { code, message } };
}
