/**
 * The rtnetlink requests that install and remove a virtual rule (RTM_NEWRULE / RTM_DELRULE), encoded whole by this
 * pure function (assembled by netlink-request.ts), as route-request.ts encodes routes. After the netlink header,
 * `struct fib_rule_hdr` { u8 family, dst_len, src_len, tos, table, res1, res2, action; u32 flags }
 * (linux/fib_rules.h), then FRA_SRC, FRA_DST, FRA_IIFNAME, FRA_OIFNAME, FRA_FWMARK, FRA_FWMASK, FRA_PRIORITY,
 * FRA_TABLE, FRA_PROTOCOL as the rule has them
 *
 * Our rules carry FRA_PROTOCOL 112, as our routes do: a removal names it, and the kernel then removes only a rule
 * of that protocol, never an administrator's rule of the same shape (fib_nl_delrule matches the protocol when one
 * is given; kernels from 4.17 know it).
 */
import type { VirtualRule, VirtualRuleAction } from '../../config.js';
import { parseIp } from '../../core/ip-address.js';
import { netlinkRequest, NLM_F_EXCL_CREATE, u32Payload, type NetlinkAttribute, type NetlinkRequest } from './netlink-request.js';
import { RTPROT_VRRP } from './route-request.js';

/** RTM_NEWRULE / RTM_DELRULE (linux/rtnetlink.h). */
export const RTM_NEWRULE = 32;
/** See {@link RTM_NEWRULE}. */
export const RTM_DELRULE = 33;
/** FRA_* attribute types (linux/fib_rules.h), which the routing watch reads back too. */
export const FRA = { DST: 1, SRC: 2, IIFNAME: 3, PRIORITY: 6, FWMARK: 10, TABLE: 15, FWMASK: 16, OIFNAME: 17, PROTOCOL: 21 } as const;
/** FIB_RULE_INVERT (linux/fib_rules.h): `not`. */
export const FIB_RULE_INVERT = 0x2;
/** FR_ACT_TO_TBL: look the table up. */
export const FR_ACT_TO_TBL = 1;
/** FR_ACT_* of the other actions (linux/fib_rules.h). */
export const RULE_ACTIONS: Readonly<Record<VirtualRuleAction, number>> = { blackhole: 6, unreachable: 7, prohibit: 8 };

/** One encoded rule request: the whole netlink message (create|excl for an add). */
export type RuleRequest = NetlinkRequest<typeof RTM_NEWRULE | typeof RTM_DELRULE>;

/** Encodes the install (create|excl) or the removal of `rule`; a removal describes the rule as its install did. */
export function ruleRequest(type: typeof RTM_NEWRULE | typeof RTM_DELRULE, rule: VirtualRule, littleEndian = true): RuleRequest {
  const address = (text: string): Uint8Array => {
    const parsed = parseIp(text);
    if (!parsed) throw new TypeError(`${text} is not an IP address`);
    return parsed.bytes;
  };
  const name = (text: string): Uint8Array => new TextEncoder().encode(`${text}\0`);
  const attributes: NetlinkAttribute[] = [];
  if (rule.from !== undefined && rule.from.prefixLength > 0) attributes.push([FRA.SRC, address(rule.from.address)]);
  if (rule.to !== undefined && rule.to.prefixLength > 0) attributes.push([FRA.DST, address(rule.to.address)]);
  if (rule.iif !== undefined) attributes.push([FRA.IIFNAME, name(rule.iif)]);
  if (rule.oif !== undefined) attributes.push([FRA.OIFNAME, name(rule.oif)]);
  if (rule.fwmark !== undefined) attributes.push([FRA.FWMARK, u32Payload(rule.fwmark, littleEndian)]);
  if (rule.fwmask !== undefined) attributes.push([FRA.FWMASK, u32Payload(rule.fwmask, littleEndian)]);
  attributes.push([FRA.PRIORITY, u32Payload(rule.priority, littleEndian)]);
  const { table, action } = rule;
  if (table !== undefined) attributes.push([FRA.TABLE, u32Payload(table, littleEndian)]);
  attributes.push([FRA.PROTOCOL, Uint8Array.of(RTPROT_VRRP)]);
  // struct fib_rule_hdr: family, dst_len, src_len, tos, table, res1, res2, action; u32 flags.
  const header = new Uint8Array(12);
  header[0] = rule.family === 'ipv6' ? 10 : 2;
  header[1] = rule.to?.prefixLength ?? 0;
  header[2] = rule.from?.prefixLength ?? 0;
  header[4] = table !== undefined && table < 256 ? table : 0; // RT_TABLE_UNSPEC: FRA_TABLE says it
  header[7] = action === undefined ? FR_ACT_TO_TBL : RULE_ACTIONS[action];
  new DataView(header.buffer).setUint32(8, rule.invert ? FIB_RULE_INVERT : 0, littleEndian);
  return netlinkRequest(type, type === RTM_NEWRULE ? NLM_F_EXCL_CREATE : 0, header, attributes, littleEndian);
}
