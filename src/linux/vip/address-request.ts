/**
 * The rtnetlink requests that add and remove a virtual address (RTM_NEWADDR / RTM_DELADDR), encoded whole — netlink
 * header, `struct ifaddrmsg`, attributes — by this pure function, once per address at `prepare()`: a takeover sends
 * prepared bytes and encodes nothing. Pure: no I/O, no native module, unit-tested byte for byte.
 *
 * Layout (linux/netlink.h, linux/if_addr.h, linux/rtnetlink.h), all in host byte order:
 *   nlmsghdr   { u32 len; u16 type; u16 flags; u32 seq; u32 pid }              16 bytes (seq and pid left 0:
 *                                                                              the sender numbers its requests)
 *   ifaddrmsg  { u8 family; u8 prefixlen; u8 flags; u8 scope; u32 index }     8 bytes
 *   rtattr     { u16 len; u16 type } + payload, padded to 4                    IFA_LOCAL, IFA_ADDRESS, then
 *                                                                              IFA_LABEL or IFA_CACHEINFO
 *
 * IPv6 addresses are added with IFA_F_NODAD and deprecated (preferred lifetime 0): still reachable, never picked
 * as a source address, so our own adverts (and the host's outgoing connections) keep the real address and a unicast
 * peer keeps hearing us (docs/linux.md).
 *
 * A leased address (`leaseS`) carries a kernel valid lifetime of that many seconds (IPv4's preferred lifetime the
 * same, IPv6's 0): the kernel deletes it when nobody renews it — a master that crashed or froze. The renewal is a
 * `refresh` request: RTM_NEWADDR with NLM_F_CREATE | NLM_F_REPLACE and the same lifetimes, which resets them on the
 * address and re-creates it if it is gone (docs/linux.md, "VIP leases"). Without a lease the valid lifetime is
 * forever.
 */
import type { VirtualAddress } from '../../config.js';
import { parseIp } from '../../core/ip-address.js';
import { NLM_F_EXCL_CREATE, NLM_F_REQUEST_ACK, type NetlinkRequest } from './netlink-request.js';

/** RTM_NEWADDR / RTM_DELADDR (linux/rtnetlink.h). */
export const RTM_NEWADDR = 20;
/** See {@link RTM_NEWADDR}. */
export const RTM_DELADDR = 21;
/** NLM_F_REPLACE | NLM_F_CREATE: set the address's lifetimes, creating it if it is gone (a lease renewal). */
export const NLM_F_REPLACE_CREATE = 0x100 | 0x400;
const NLMSG_HDRLEN = 16;
const IFADDRMSG_LEN = 8;
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const IFA_LABEL = 3;
const IFA_CACHEINFO = 6;
const IFA_F_NODAD = 0x02;
const AF_INET = 2;
const AF_INET6 = 10;
/** A lifetime of forever (linux/if_addr.h INFINITY_LIFE_TIME). */
const INFINITY_LIFE_TIME = 0xffffffff;

/** How an address request is built besides its type. */
export interface AddressRequestOptions {
  /** Host byte order (netlink headers are in host order); default little-endian. */
  littleEndian?: boolean;
  /** Kernel valid lifetime in whole seconds (a lease); omitted: forever. Only for RTM_NEWADDR. */
  leaseS?: number;
  /** A lease renewal (NLM_F_CREATE | NLM_F_REPLACE) instead of an exclusive add. Only for RTM_NEWADDR. */
  refresh?: boolean;
  /** Where the message's bytes go: `length` zeroed bytes (a view on a shared buffer is fine); default a new array. */
  allocate?: (length: number) => Uint8Array;
  /**
   * A request the kernel refuses before it looks for the address (EINVAL: a valid lifetime of 0), for a warm-up of
   * the request path that can change nothing — an add meant to meet EEXIST creates the address if it went meanwhile.
   * Only for RTM_NEWADDR.
   */
  refused?: boolean;
}

/** One encoded address request: the whole netlink message (create|excl for an add, create|replace for a renewal). */
export type AddressRequest = NetlinkRequest<typeof RTM_NEWADDR | typeof RTM_DELADDR>;

const align4 = (n: number): number => (n + 3) & ~3;

/**
 * Encodes an add (create|excl: EEXIST if present; or a lease renewal, see {@link AddressRequestOptions}) or delete
 * request for `vip` on interface `index`. A delete carries no label (the kernel matches the address, and a label
 * would have to match too) and no lifetimes.
 */
export function addressRequest(
  type: typeof RTM_NEWADDR | typeof RTM_DELADDR,
  index: number,
  vip: VirtualAddress,
  options: AddressRequestOptions = {},
): AddressRequest {
  const littleEndian = options.littleEndian ?? true;
  const parsed = parseIp(vip.address);
  if (!parsed) throw new TypeError(`${vip.address} is not an IP address`);
  const leaseS = type === RTM_NEWADDR ? options.leaseS : undefined;
  if (leaseS !== undefined && (!Number.isInteger(leaseS) || leaseS < 1 || leaseS >= INFINITY_LIFE_TIME)) {
    throw new RangeError(`a lease is a whole number of seconds from 1, not ${leaseS}`);
  }
  const ipv6 = vip.family === 'ipv6';
  const label = type === RTM_NEWADDR && !ipv6 && vip.label !== undefined ? new TextEncoder().encode(`${vip.label}\0`) : undefined;
  // Lifetimes travel in IFA_CACHEINFO: always for IPv6 (deprecated; a delete carries it too, and the kernel ignores
  // it there), for IPv4 only with a lease.
  const refused = type === RTM_NEWADDR && options.refused === true;
  const cacheInfo = ipv6 || leaseS !== undefined || refused;
  const addressAttrLength = 4 + parsed.bytes.length;
  let length = NLMSG_HDRLEN + IFADDRMSG_LEN + 2 * align4(addressAttrLength);
  if (label) length += align4(4 + label.length);
  if (cacheInfo) length += 4 + 16;
  const message = options.allocate?.(length) ?? new Uint8Array(length);
  if (message.length !== length) throw new RangeError(`allocate gave ${message.length} bytes for a ${length}-byte request`);
  const view = new DataView(message.buffer, message.byteOffset, length);
  const flags = type === RTM_NEWADDR ? (options.refresh === true ? NLM_F_REPLACE_CREATE : NLM_F_EXCL_CREATE) : 0;
  view.setUint32(0, length, littleEndian);
  view.setUint16(4, type, littleEndian);
  view.setUint16(6, flags | NLM_F_REQUEST_ACK, littleEndian);
  let at = NLMSG_HDRLEN;
  message[at] = ipv6 ? AF_INET6 : AF_INET;
  message[at + 1] = vip.prefixLength;
  message[at + 2] = ipv6 ? IFA_F_NODAD : 0;
  message[at + 3] = 0; // scope: universe
  view.setUint32(at + 4, index, littleEndian);
  at += IFADDRMSG_LEN;
  const attribute = (attrType: number, payload: Uint8Array): void => {
    view.setUint16(at, 4 + payload.length, littleEndian);
    view.setUint16(at + 2, attrType, littleEndian);
    message.set(payload, at + 4);
    at += align4(4 + payload.length);
  };
  attribute(IFA_LOCAL, parsed.bytes);
  attribute(IFA_ADDRESS, parsed.bytes);
  if (label) attribute(IFA_LABEL, label);
  if (cacheInfo) {
    const bytes = new Uint8Array(16);
    const info = new DataView(bytes.buffer);
    // A valid lifetime of 0 is refused by inet_rtm_newaddr and inet6_rtm_newaddr alike, before any lookup.
    const validS = refused ? 0 : (leaseS ?? INFINITY_LIFE_TIME);
    info.setUint32(0, ipv6 ? 0 : validS, littleEndian); // ifa_prefered
    info.setUint32(4, validS, littleEndian); // ifa_valid
    attribute(IFA_CACHEINFO, bytes);
  }
  return { type, flags, message };
}

/**
 * The request's payload after the netlink header, for the netlink module's `request` (the path without our addon).
 * A view made when asked: a request is kept per VIP three times over, and a view costs ~80 bytes.
 */
export function requestPayload(request: Pick<AddressRequest, 'message'>): Uint8Array {
  return request.message.subarray(NLMSG_HDRLEN);
}
