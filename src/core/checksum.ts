/**
 * The Internet checksum (RFC 1071) and the pseudo-headers VRRP may put under it.
 *
 * Rules:
 * - `internetChecksum` sums its chunks as if they were one concatenated buffer: a chunk of odd length leaves its
 *   last byte as the high half of a word that the next chunk completes, so `(pseudoHeader, message)` gives the same
 *   result as the two copied into one array, without the copy.
 * - The result is the 16-bit ones' complement of the ones' complement sum (RFC 1071 §1). Computing it over data
 *   that already contains a correct checksum field gives 0, which is how receivers verify.
 * - Which pseudo-header (if any) a VRRP message uses is the codec's decision, not this file's (RFC 3768 §5.3.8,
 *   RFC 9568 §5.2.8).
 */

// IANA protocol number for VRRP (RFC 3768 §5.2.4, RFC 9568 §5.1.1.4 / §5.1.2.4).
const VRRP_PROTOCOL = 112;

/** RFC 1071 checksum of the concatenation of `chunks`: the complemented 16-bit ones' complement sum, 0…0xffff. */
export function internetChecksum(...chunks: Uint8Array[]): number {
  let sum = 0;
  // True when the previous chunk ended halfway through a 16-bit word, so the next byte is that word's low half.
  let pendingLowByte = false;
  for (const chunk of chunks) {
    const length = chunk.length;
    let i = 0;
    if (pendingLowByte && length > 0) {
      sum += chunk[0]!;
      i = 1;
      pendingLowByte = false;
    }
    for (; i + 1 < length; i += 2) sum += (chunk[i]! << 8) | chunk[i + 1]!;
    if (i < length) {
      sum += chunk[i]! << 8;
      pendingLowByte = true;
    }
    // Folding per chunk keeps `sum` an exact integer for any realistic input (2^37 bytes per chunk).
    sum = fold(sum);
  }
  return ~fold(sum) & 0xffff;
}

/**
 * IPv4 pseudo-header (the TCP/UDP layout, RFC 9293 §3.1): source, destination, a zero byte, protocol 112, and
 * the 16-bit length of the VRRP message. Throws RangeError on addresses that are not 4 bytes or a bad length.
 */
export function pseudoHeaderIpv4(src: Uint8Array, dst: Uint8Array, upperLength: number): Uint8Array {
  if (src.length !== 4 || dst.length !== 4) throw new RangeError('ipv4 pseudo-header needs 4-byte addresses');
  if (!Number.isInteger(upperLength) || upperLength < 0 || upperLength > 0xffff) {
    throw new RangeError('ipv4 pseudo-header length must be an integer 0..65535');
  }
  const header = new Uint8Array(12);
  header.set(src, 0);
  header.set(dst, 4);
  header[9] = VRRP_PROTOCOL;
  header[10] = upperLength >> 8;
  header[11] = upperLength & 0xff;
  return header;
}

/**
 * IPv6 pseudo-header (RFC 8200 §8.1): source, destination, the 32-bit upper-layer packet length, three zero bytes,
 * next header 112. Throws RangeError on addresses that are not 16 bytes or a bad length.
 */
export function pseudoHeaderIpv6(src: Uint8Array, dst: Uint8Array, upperLength: number): Uint8Array {
  if (src.length !== 16 || dst.length !== 16) throw new RangeError('ipv6 pseudo-header needs 16-byte addresses');
  if (!Number.isInteger(upperLength) || upperLength < 0 || upperLength > 0xffffffff) {
    throw new RangeError('ipv6 pseudo-header length must be an integer 0..4294967295');
  }
  const header = new Uint8Array(40);
  header.set(src, 0);
  header.set(dst, 16);
  new DataView(header.buffer).setUint32(32, upperLength);
  header[39] = VRRP_PROTOCOL;
  return header;
}

// End-around carry (RFC 1071 §2(B)): add the carries back in until the sum fits in 16 bits.
function fold(sum: number): number {
  let folded = sum;
  while (folded > 0xffff) folded = (folded % 0x10000) + Math.floor(folded / 0x10000);
  return folded;
}
