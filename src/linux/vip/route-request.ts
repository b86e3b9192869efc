/**
 * The rtnetlink requests that install and remove a virtual route (RTM_NEWROUTE / RTM_DELROUTE), encoded whole by
 * this pure function (assembled by netlink-request.ts): no I/O, no native module, unit-tested byte for byte. After
 * the netlink header, `struct rtmsg` { u8 family, dst_len, src_len, tos, table, protocol, scope, type; u32 flags }
 * (linux/rtnetlink.h), then RTA_DST, RTA_TABLE, RTA_GATEWAY, RTA_OIF, RTA_PREFSRC, RTA_PRIORITY as the route has
 * them (RTA_DST not for a default route).
 *
 * Our routes carry protocol {@link RTPROT_VRRP} (`ip route` shows "proto 112"): a delete names it, and the kernel
 * then removes only a route of that protocol — never an administrator's route to the same destination — which is
 * what lets a start remove what a crashed run of ours left without touching anything else.
 */
import type { VirtualRoute, VirtualRouteScope, VirtualRouteType } from '../../config.js';
import { parseIp } from '../../core/ip-address.js';
import { netlinkRequest, NLM_F_EXCL_CREATE, u32Payload, type NetlinkAttribute, type NetlinkRequest } from './netlink-request.js';

/** RTM_NEWROUTE / RTM_DELROUTE (linux/rtnetlink.h). */
export const RTM_NEWROUTE = 24;
/** See {@link RTM_NEWROUTE}. */
export const RTM_DELROUTE = 25;
/**
 * The rtm_protocol of our routes: VRRP's IP protocol number, unassigned among the kernel's RTPROT_* values and
 * iproute2's rt_protos (keepalived's own is 18).
 */
export const RTPROT_VRRP = 112;
/** RTA_DST, RTA_PRIORITY, RTA_TABLE (linux/rtnetlink.h), which the routing watch reads back too. */
export const RTA_DST = 1;
const RTA_OIF = 4;
const RTA_GATEWAY = 5;
export const RTA_PRIORITY = 6;
const RTA_PREFSRC = 7;
export const RTA_TABLE = 15;
const AF_INET = 2;
const AF_INET6 = 10;
/** RT_TABLE_UNSPEC: the table travels in RTA_TABLE only (tables above 255 do not fit in rtm_table). */
const RT_TABLE_UNSPEC = 0;
/** RT_SCOPE_* (linux/rtnetlink.h). */
const SCOPES: Readonly<Record<VirtualRouteScope, number>> = { global: 0, site: 200, link: 253, host: 254 };
/** RT_SCOPE_NOWHERE: a removal's scope, which matches any. */
const RT_SCOPE_NOWHERE = 255;
/** RTN_* (linux/rtnetlink.h). */
const TYPES: Readonly<Record<VirtualRouteType, number>> = { unicast: 1, blackhole: 6, unreachable: 7, prohibit: 8 };

/** One encoded route request: the whole netlink message (create|excl for an add). */
export type RouteRequest = NetlinkRequest<typeof RTM_NEWROUTE | typeof RTM_DELROUTE>;

/**
 * Encodes the install (create|excl: EEXIST if the route is there) or removal of `route`; `oif` is the index of its
 * `dev` (undefined without one). A removal describes the route as its install did, with scope nowhere (any scope
 * matches, as `ip route del` asks), so the kernel removes that route and only it.
 */
export function routeRequest(type: typeof RTM_NEWROUTE | typeof RTM_DELROUTE, route: VirtualRoute, oif: number | undefined, littleEndian = true): RouteRequest {
  const address = (text: string | undefined): Uint8Array | undefined => {
    if (text === undefined) return undefined;
    const parsed = parseIp(text);
    if (!parsed) throw new TypeError(`${text} is not an IP address`);
    return parsed.bytes;
  };
  const dst = address(route.to) as Uint8Array;
  const gateway = address(route.via);
  const prefsrc = address(route.src);
  const attributes: NetlinkAttribute[] = [];
  if (route.prefixLength > 0) attributes.push([RTA_DST, dst]);
  attributes.push([RTA_TABLE, u32Payload(route.table, littleEndian)]);
  if (gateway) attributes.push([RTA_GATEWAY, gateway]);
  if (oif !== undefined) attributes.push([RTA_OIF, u32Payload(oif, littleEndian)]);
  if (prefsrc) attributes.push([RTA_PREFSRC, prefsrc]);
  // Metric 0 (IPv4 only: the config makes an IPv6 one 1024, what the kernel stores) is left out, as `ip route`
  // does; a removal then matches the route of the lowest metric, which is that one.
  if (route.metric !== 0) attributes.push([RTA_PRIORITY, u32Payload(route.metric, littleEndian)]);
  // struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type; u32 flags (0).
  const header = new Uint8Array(12);
  header[0] = route.family === 'ipv6' ? AF_INET6 : AF_INET;
  header[1] = route.prefixLength;
  header[4] = route.table < 256 ? route.table : RT_TABLE_UNSPEC;
  header[5] = RTPROT_VRRP;
  header[6] = type === RTM_NEWROUTE ? SCOPES[route.scope] : RT_SCOPE_NOWHERE;
  header[7] = TYPES[route.type];
  return netlinkRequest(type, type === RTM_NEWROUTE ? NLM_F_EXCL_CREATE : 0, header, attributes, littleEndian);
}
