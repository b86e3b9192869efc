/**
 * What a raw IPv4 socket hands us: the IP header, then the VRRP message. Pure: bytes in, fields out; nothing here
 * throws on garbage — a datagram whose header cannot be read is `undefined`, and the caller counts it.
 */

/** The fields of an IPv4 header that VRRP judges, and where the VRRP message lies. */
export interface Ipv4Datagram {
  /** Source address, 4 bytes (a view into the datagram). */
  src: Uint8Array;
  /** Destination address, 4 bytes (a view into the datagram). */
  dst: Uint8Array;
  /** Time to live as received (RFC 9568 §7.1: must be 255). */
  ttl: number;
  /** Offset of the VRRP message. */
  payloadOffset: number;
  /** End of the VRRP message (exclusive). */
  payloadEnd: number;
}

/**
 * Reads the IPv4 header at the start of `datagram[0, length)`. Linux hands raw IPv4 sockets the datagram as
 * received; the payload is the smaller of what was read and what the header's total length says.
 */
export function parseIpv4Datagram(datagram: Uint8Array, length: number): Ipv4Datagram | undefined {
  if (length < 20 || length > datagram.length || (datagram[0] as number) >> 4 !== 4) return undefined;
  const headerLength = ((datagram[0] as number) & 0x0f) * 4;
  if (headerLength < 20 || headerLength > length) return undefined;
  const totalLength = ((datagram[2] as number) << 8) | (datagram[3] as number);
  return {
    src: datagram.subarray(12, 16),
    dst: datagram.subarray(16, 20),
    ttl: datagram[8] as number,
    payloadOffset: headerLength,
    payloadEnd: Math.min(length, Math.max(totalLength, headerLength)),
  };
}
