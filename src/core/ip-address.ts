/**
 * IP addresses as text and as network-order bytes.
 *
 * Rules:
 * - Parsing is strict and total. Text is either exactly a dotted-quad IPv4 address or exactly an RFC 4291 §2.2 IPv6
 *   text address; anything else (zone ids, brackets, prefixes, whitespace, octal-looking octets) is `undefined`.
 *   Parsers never throw, whatever they are given: configuration and wire input pass through them.
 * - Formatting is canonical. IPv4 is dotted decimal; IPv6 follows RFC 5952 §4 (lowercase, no leading zeros, the
 *   longest run of two or more zero groups becomes `::`, the first run on a tie). So two texts name the same
 *   address exactly when their canonical forms are equal, which is how addresses are compared everywhere else.
 * - IPv4-mapped IPv6 addresses are printed in hex like any other IPv6 address (`::ffff:a00:1`): RFC 5952 §5 only
 *   recommends the mixed form, and one rule for every address keeps formatting a bijection with the bytes.
 * - Bytes are always `Uint8Array` in network order: 4 bytes for IPv4, 16 for IPv6. A byte array of any other length
 *   is a programming error and `formatIp` throws on it; the predicates answer `false`.
 */

/** Address family and network-order bytes of a parsed address (4 bytes for IPv4, 16 for IPv6). */
export interface ParsedIp {
  /** `ipv4` for 4 bytes, `ipv6` for 16. */
  family: 'ipv4' | 'ipv6';
  /** The address in network byte order. */
  bytes: Uint8Array;
}

/** A parsed address with the prefix length written after it, or the full length when none was written. */
export interface ParsedIpPrefix extends ParsedIp {
  /** 0…32 for IPv4, 0…128 for IPv6. */
  prefixLength: number;
}

// Longest valid texts: `255.255.255.255` and `ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255`. Checking this first
// keeps hostile input from costing more than a bounded scan.
const MAX_IPV4_TEXT = 15;
const MAX_IPV6_TEXT = 45;

/** Parses dotted-quad IPv4 or RFC 4291 §2.2 IPv6 text into bytes; `undefined` for anything else. Never throws. */
export function parseIp(text: string): ParsedIp | undefined {
  if (typeof text !== 'string') return undefined;
  if (text.includes(':')) {
    const bytes = parseIpv6(text);
    return bytes === undefined ? undefined : { family: 'ipv6', bytes };
  }
  const bytes = parseIpv4(text);
  return bytes === undefined ? undefined : { family: 'ipv4', bytes };
}

/** Formats 4 bytes as dotted decimal or 16 bytes as RFC 5952 text; throws RangeError on any other length. */
export function formatIp(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array) || (bytes.length !== 4 && bytes.length !== 16)) {
    throw new RangeError('ip address must be 4 or 16 bytes');
  }
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;

  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);

  // RFC 5952 §4.2.2/§4.2.3: compress only runs of at least two zero groups, the longest, the first on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let end = i;
    while (end < 8 && groups[end] === 0) end++;
    if (end - i > bestLength) {
      bestStart = i;
      bestLength = end - i;
    }
    i = end;
  }

  const hex = (from: number, to: number): string =>
    groups
      .slice(from, to)
      .map((group) => group.toString(16))
      .join(':');
  if (bestStart === -1) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

/** Canonical text of an address (see `formatIp`), or `undefined` when the text does not parse. Never throws. */
export function canonicalIp(text: string): string | undefined {
  const parsed = parseIp(text);
  return parsed === undefined ? undefined : formatIp(parsed.bytes);
}

/**
 * Orders addresses as unsigned big-endian integers: negative, 0 or positive like a sort comparator.
 * This is VRRP's tie-break at equal priority, "the higher primary IP address wins" (RFC 3768 §6.4.3,
 * RFC 9568 §6.4.3). Arrays of different lengths order by length first (every IPv4 address before every IPv6
 * address) so the order stays total, though VRRP only ever compares within one family.
 */
export function compareIp(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  for (let i = 0; i < a.length; i++) {
    const difference = a[i]! - b[i]!;
    if (difference !== 0) return difference < 0 ? -1 : 1;
  }
  return 0;
}

/**
 * Parses `address` or `address/prefix` (decimal, no leading zeros, 0…32 for IPv4, 0…128 for IPv6); without a
 * prefix the length is the full width. Host bits are kept, not masked: `10.0.0.5/24` is an interface address, as
 * in keepalived's `virtual_ipaddress`. Never throws.
 */
export function parseIpPrefix(text: string): ParsedIpPrefix | undefined {
  if (typeof text !== 'string') return undefined;
  const slash = text.indexOf('/');
  const parsed = parseIp(slash === -1 ? text : text.slice(0, slash));
  if (parsed === undefined) return undefined;
  const maxLength = parsed.family === 'ipv4' ? 32 : 128;
  if (slash === -1) return { ...parsed, prefixLength: maxLength };
  const prefixText = text.slice(slash + 1);
  if (!/^(?:0|[1-9][0-9]{0,2})$/.test(prefixText)) return undefined;
  const prefixLength = Number(prefixText);
  if (prefixLength > maxLength) return undefined;
  return { ...parsed, prefixLength };
}

/** True for an IPv6 link-local unicast address, fe80::/10 (RFC 4291 §2.5.6); false for anything else. */
export function isIpv6LinkLocal(bytes: Uint8Array): boolean {
  return bytes.length === 16 && bytes[0] === 0xfe && (bytes[1]! & 0xc0) === 0x80;
}

/** True for IPv4 224.0.0.0/4 (RFC 5771) or IPv6 ff00::/8 (RFC 4291 §2.7); false for anything else. */
export function isMulticast(bytes: Uint8Array): boolean {
  if (bytes.length === 4) return (bytes[0]! & 0xf0) === 0xe0;
  if (bytes.length === 16) return bytes[0] === 0xff;
  return false;
}

// Strict dotted quad: exactly four decimal octets, no leading zeros (`010` is octal to inet_aton, so refuse it
// rather than guess), each at most 255.
function parseIpv4(text: string): Uint8Array | undefined {
  if (text.length > MAX_IPV4_TEXT) return undefined;
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    if (!/^(?:0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    bytes[i] = value;
  }
  return bytes;
}

// RFC 4291 §2.2: eight groups of 1–4 hex digits; at most one `::` standing for one or more zero groups; the last
// 32 bits may be written as a dotted quad.
function parseIpv6(text: string): Uint8Array | undefined {
  if (text.length > MAX_IPV6_TEXT || !/^[0-9A-Fa-f:.]+$/.test(text)) return undefined;

  const gap = text.indexOf('::');
  if (gap !== -1 && text.indexOf('::', gap + 1) !== -1) return undefined;
  const splitGroups = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const head = gap === -1 ? splitGroups(text) : splitGroups(text.slice(0, gap));
  const tail = gap === -1 ? [] : splitGroups(text.slice(gap + 2));

  const words: number[] = [];
  const readGroups = (parts: string[], mayEndInIpv4: boolean): boolean => {
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (part.includes('.')) {
        if (!mayEndInIpv4 || i !== parts.length - 1) return false;
        const ipv4 = parseIpv4(part);
        if (ipv4 === undefined) return false;
        words.push((ipv4[0]! << 8) | ipv4[1]!, (ipv4[2]! << 8) | ipv4[3]!);
      } else {
        if (!/^[0-9A-Fa-f]{1,4}$/.test(part)) return false;
        words.push(parseInt(part, 16));
      }
    }
    return true;
  };

  // An embedded IPv4 tail must end the address, so it may only appear in the part after `::` (or in the whole
  // text when there is no `::`).
  if (!readGroups(head, gap === -1)) return undefined;
  const headWords = words.length;
  if (!readGroups(tail, true)) return undefined;
  const tailWords = words.length - headWords;

  if (gap === -1 ? words.length !== 8 : words.length > 7) return undefined;

  const bytes = new Uint8Array(16);
  const writeWord = (index: number, word: number): void => {
    bytes[index * 2] = word >> 8;
    bytes[index * 2 + 1] = word & 0xff;
  };
  for (let i = 0; i < headWords; i++) writeWord(i, words[i]!);
  for (let i = 0; i < tailWords; i++) writeWord(8 - tailWords + i, words[headWords + i]!);
  return bytes;
}
