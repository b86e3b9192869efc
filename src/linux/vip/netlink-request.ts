/**
 * One rtnetlink request assembled from its parts — the message type, the flags besides REQUEST|ACK, a fixed header
 * (`struct rtmsg`, `struct fib_rule_hdr`: 12 bytes each) and the attributes — for the virtual routes' and rules'
 * encoders (route-request.ts, rule-request.ts). Pure. Layout (linux/netlink.h), in host byte order:
 *   nlmsghdr { u32 len; u16 type; u16 flags; u32 seq; u32 pid }     16 bytes (seq and pid 0: the sender numbers)
 *   the fixed header
 *   rtattr   { u16 len; u16 type } + payload, each padded to 4
 */

/** NLM_F_REQUEST | NLM_F_ACK (linux/netlink.h). */
export const NLM_F_REQUEST_ACK = 0x1 | 0x4;
/** NLM_F_EXCL | NLM_F_CREATE: an add that the kernel refuses with EEXIST when the object is there. */
export const NLM_F_EXCL_CREATE = 0x200 | 0x400;
const NLMSG_HDRLEN = 16;

/** One encoded request: the whole netlink message, ready for the request socket (an address's, a route's, a rule's). */
export interface NetlinkRequest<Type extends number = number> {
  /** The message type (RTM_*). */
  readonly type: Type;
  /** The request's flags besides REQUEST|ACK. */
  readonly flags: number;
  /** The whole message. */
  readonly message: Uint8Array;
}

/** One attribute: its type and payload. */
export type NetlinkAttribute = readonly [type: number, payload: Uint8Array];

const align4 = (n: number): number => (n + 3) & ~3;

/** Assembles a request; `header` is copied as it is. */
export function netlinkRequest<Type extends number>(type: Type, flags: number, header: Uint8Array, attributes: readonly NetlinkAttribute[], littleEndian = true): NetlinkRequest<Type> {
  const packed = packAttributes(attributes, littleEndian);
  const length = NLMSG_HDRLEN + header.length + packed.length;
  const message = new Uint8Array(length);
  const view = new DataView(message.buffer);
  view.setUint32(0, length, littleEndian);
  view.setUint16(4, type, littleEndian);
  view.setUint16(6, flags | NLM_F_REQUEST_ACK, littleEndian);
  message.set(header, NLMSG_HDRLEN);
  message.set(packed, NLMSG_HDRLEN + header.length);
  return { type, flags, message };
}

/** Attributes one after another, each padded to 4: a request's, or a nested attribute's payload. */
export function packAttributes(attributes: readonly NetlinkAttribute[], littleEndian = true): Uint8Array {
  let length = 0;
  for (const [, payload] of attributes) length += align4(4 + payload.length);
  const bytes = new Uint8Array(length);
  const view = new DataView(bytes.buffer);
  let at = 0;
  for (const [attrType, payload] of attributes) {
    view.setUint16(at, 4 + payload.length, littleEndian);
    view.setUint16(at + 2, attrType, littleEndian);
    bytes.set(payload, at + 4);
    at += align4(4 + payload.length);
  }
  return bytes;
}

/** A u32 attribute payload in host byte order. */
export function u32Payload(value: number, littleEndian = true): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value, littleEndian);
  return bytes;
}
