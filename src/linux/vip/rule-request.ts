/**
 * The rtnetlink requests that install and remove a virtual rule (RTM_NEWRULE / RTM_DELRULE), encoded whole by this
 * pure function, as route-request.ts encodes routes. Layout (linux/fib_rules.h), in host byte order:
 *   nlmsghdr     { u32 len; u16 type; u16 flags; u32 seq; u32 pid }                                 16 bytes
 *   fib_rule_hdr { u8 family, dst_len, src_len, tos, table, res1, res2, action; u32 flags }          12 bytes
 *   rtattr       FRA_SRC, FRA_DST, FRA_IIFNAME, FRA_OIFNAME, FRA_FWMARK, FRA_FWMASK, FRA_PRIORITY, FRA_TABLE,
 *                FRA_PROTOCOL, as the rule has them
 *
 * Our rules carry FRA_PROTOCOL 112, as our routes do: a removal names it, and the kernel then removes only a rule
 * of that protocol, never an administrator's rule of the same shape (fib_nl_delrule matches the protocol when one
 * is given; kernels from 4.17 know it).
 */
import type { VirtualRule, VirtualRuleAction } from '../../config.js';
import { parseIp } from '../../core/ip-address.js';
import { RTPROT_VRRP } from './route-request.js';

/** RTM_NEWRULE / RTM_DELRULE (linux/rtnetlink.h). */
export const RTM_NEWRULE = 32;
/** See {@link RTM_NEWRULE}. */
export const RTM_DELRULE = 33;
const NLM_F_REQUEST_ACK = 0x1 | 0x4;
/** NLM_F_EXCL | NLM_F_CREATE: add, refusing with EEXIST if the same rule is there. */
const NLM_F_EXCL_CREATE = 0x200 | 0x400;
const NLMSG_HDRLEN = 16;
const FIB_RULE_HDR_LEN = 12;
const FRA_DST = 1;
const FRA_SRC = 2;
const FRA_IIFNAME = 3;
const FRA_PRIORITY = 6;
const FRA_FWMARK = 10;
const FRA_TABLE = 15;
const FRA_FWMASK = 16;
const FRA_OIFNAME = 17;
const FRA_PROTOCOL = 21;
/** FIB_RULE_INVERT (linux/fib_rules.h): `not`. */
const FIB_RULE_INVERT = 0x2;
/** FR_ACT_TO_TBL: look the table up. */
const FR_ACT_TO_TBL = 1;
/** FR_ACT_* of the other actions (linux/fib_rules.h). */
const ACTIONS: Readonly<Record<VirtualRuleAction, number>> = { blackhole: 6, unreachable: 7, prohibit: 8 };

/** One encoded rule request: the whole netlink message. */
export interface RuleRequest {
  /** RTM_NEWRULE or RTM_DELRULE. */
  readonly type: typeof RTM_NEWRULE | typeof RTM_DELRULE;
  /** The request's flags besides REQUEST|ACK (create|excl for an add). */
  readonly flags: number;
  /** The whole message. */
  readonly message: Uint8Array;
}

const align4 = (n: number): number => (n + 3) & ~3;

/** Encodes the install (create|excl) or the removal of `rule`; a removal describes the rule as its install did. */
export function ruleRequest(type: typeof RTM_NEWRULE | typeof RTM_DELRULE, rule: VirtualRule, littleEndian = true): RuleRequest {
  const attributes: [number, Uint8Array][] = [];
  const u32 = (value: number): Uint8Array => {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, value, littleEndian);
    return bytes;
  };
  const address = (text: string): Uint8Array => {
    const parsed = parseIp(text);
    if (!parsed) throw new TypeError(`${text} is not an IP address`);
    return parsed.bytes;
  };
  const name = (text: string): Uint8Array => new TextEncoder().encode(`${text}\0`);
  if (rule.from !== undefined && rule.from.prefixLength > 0) attributes.push([FRA_SRC, address(rule.from.address)]);
  if (rule.to !== undefined && rule.to.prefixLength > 0) attributes.push([FRA_DST, address(rule.to.address)]);
  if (rule.iif !== undefined) attributes.push([FRA_IIFNAME, name(rule.iif)]);
  if (rule.oif !== undefined) attributes.push([FRA_OIFNAME, name(rule.oif)]);
  if (rule.fwmark !== undefined) attributes.push([FRA_FWMARK, u32(rule.fwmark)]);
  if (rule.fwmask !== undefined) attributes.push([FRA_FWMASK, u32(rule.fwmask)]);
  attributes.push([FRA_PRIORITY, u32(rule.priority)]);
  const { table, action } = rule;
  if (table !== undefined) attributes.push([FRA_TABLE, u32(table)]);
  attributes.push([FRA_PROTOCOL, Uint8Array.of(RTPROT_VRRP)]);
  let length = NLMSG_HDRLEN + FIB_RULE_HDR_LEN;
  for (const [, payload] of attributes) length += align4(4 + payload.length);
  const message = new Uint8Array(length);
  const view = new DataView(message.buffer);
  view.setUint32(0, length, littleEndian);
  view.setUint16(4, type, littleEndian);
  view.setUint16(6, (type === RTM_NEWRULE ? NLM_F_EXCL_CREATE : 0) | NLM_F_REQUEST_ACK, littleEndian);
  let at = NLMSG_HDRLEN;
  message[at] = rule.family === 'ipv6' ? 10 : 2;
  message[at + 1] = rule.to?.prefixLength ?? 0;
  message[at + 2] = rule.from?.prefixLength ?? 0;
  message[at + 3] = 0; // tos
  message[at + 4] = table !== undefined && table < 256 ? table : 0; // RT_TABLE_UNSPEC: FRA_TABLE says it
  message[at + 7] = action === undefined ? FR_ACT_TO_TBL : ACTIONS[action];
  view.setUint32(at + 8, rule.invert ? FIB_RULE_INVERT : 0, littleEndian);
  at += FIB_RULE_HDR_LEN;
  for (const [attrType, payload] of attributes) {
    view.setUint16(at, 4 + payload.length, littleEndian);
    view.setUint16(at + 2, attrType, littleEndian);
    message.set(payload, at + 4);
    at += align4(4 + payload.length);
  }
  return { type: type, flags: type === RTM_NEWRULE ? NLM_F_EXCL_CREATE : 0, message };
}
