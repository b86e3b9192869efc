/**
 * The watch of our virtual routes and rules: which of them the kernel says went (RTM_DELROUTE, RTM_DELRULE) while a
 * master holds them — deleted by hand, or with an IPv6 route's device — so that the VIP manager puts them back, as
 * it puts back a VIP removed behind its back (docs/linux.md, "Virtual routes and rules").
 *
 * One socket per thread, open only while some manager of the thread holds routes or rules (a backup costs nothing),
 * joined to the route and rule groups, its kernel filter keeping only deletions of routes of our protocol and of
 * rules (native/events.c, eventsKeepRoutingDeletions). The parsing and matching below are pure: a deletion and a
 * configured route or rule meet as the same key.
 */
import type { VirtualRoute, VirtualRule } from '../../config.js';
import { formatIp, parseIp } from '../../core/ip-address.js';
import { loadAddon } from '../addon.js';
import { HOST_LITTLE_ENDIAN } from '../interfaces.js';
import { RTA_DST, RTA_PRIORITY, RTA_TABLE, RTM_DELROUTE, RTPROT_VRRP } from './route-request.js';
import { FIB_RULE_INVERT, FR_ACT_TO_TBL, FRA, RTM_DELRULE, RULE_ACTIONS } from './rule-request.js';

/** RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV4_RULE, RTNLGRP_IPV6_ROUTE, RTNLGRP_IPV6_RULE (linux/rtnetlink.h). */
const ROUTING_GROUPS = [7, 8, 11, 19] as const;
const NLMSG_HDRLEN = 16;
/** The actions by FR_ACT_* number. */
const ACTION_NAMES = new Map(Object.entries(RULE_ACTIONS).map(([name, code]) => [code, name]));

/** The key of a route: what the kernel tells it by (family, destination, table, metric). */
export function routeKey(route: Pick<VirtualRoute, 'family' | 'to' | 'prefixLength' | 'table' | 'metric'>): string {
  return `${route.family} ${route.to}/${route.prefixLength} table ${route.table} metric ${route.metric}`;
}

/** The key of a rule: its selectors, its action and its preference, as the kernel reports them. */
export function ruleKey(rule: VirtualRule): string {
  const network = (n: VirtualRule['from']): string => (n === undefined || n.prefixLength === 0 ? 'all' : `${n.address}/${n.prefixLength}`);
  // As the kernel keeps them: a mark of 0 is none, and a mark's mask is all ones unless one was given.
  const mark = rule.fwmark ?? 0;
  const mask = rule.fwmask ?? (mark !== 0 ? 0xffffffff : 0);
  return [
    rule.family,
    `pref ${rule.priority}`,
    `from ${network(rule.from)}`,
    `to ${network(rule.to)}`,
    `fwmark ${mark}/${mask}`,
    `iif ${rule.iif ?? '-'}`,
    `oif ${rule.oif ?? '-'}`,
    rule.invert ? 'not' : '',
    rule.action ?? `lookup ${rule.table}`,
  ].join(' ');
}

/** What one datagram of the watch says went: the keys of the routes of our protocol and of the rules of it. */
export interface RoutingDeletions {
  /** Keys ({@link routeKey}) of deleted routes of protocol 112. */
  routes: string[];
  /** Keys ({@link ruleKey}) of deleted rules of protocol 112. */
  rules: string[];
}

/** Reads the deletions in one datagram (one or more netlink messages, host byte order); anything else is skipped. */
export function routingDeletions(datagram: Uint8Array, littleEndian = true): RoutingDeletions {
  const found: RoutingDeletions = { routes: [], rules: [] };
  const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  for (let at = 0; at + NLMSG_HDRLEN <= datagram.length; ) {
    const length = view.getUint32(at, littleEndian);
    if (length < NLMSG_HDRLEN || at + length > datagram.length) break;
    const type = view.getUint16(at + 4, littleEndian);
    const payload = datagram.subarray(at + NLMSG_HDRLEN, at + length);
    if (type === RTM_DELROUTE) {
      const key = deletedRouteKey(payload, littleEndian);
      if (key !== undefined) found.routes.push(key);
    } else if (type === RTM_DELRULE) {
      const key = deletedRuleKey(payload, littleEndian);
      if (key !== undefined) found.rules.push(key);
    }
    at += (length + 3) & ~3;
  }
  return found;
}

/** The attributes after a 12-byte header (struct rtmsg, struct fib_rule_hdr), by type. */
function attributes(payload: Uint8Array, littleEndian: boolean): Map<number, Uint8Array> {
  const found = new Map<number, Uint8Array>();
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  for (let at = 12; at + 4 <= payload.length; ) {
    const length = view.getUint16(at, littleEndian);
    if (length < 4 || at + length > payload.length) break;
    found.set(view.getUint16(at + 2, littleEndian) & 0x3fff, payload.subarray(at + 4, at + length));
    at += (length + 3) & ~3;
  }
  return found;
}

function u32(bytes: Uint8Array | undefined, littleEndian: boolean): number | undefined {
  return bytes === undefined || bytes.length < 4 ? undefined : new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, littleEndian);
}

function familyOf(code: number | undefined): 'ipv4' | 'ipv6' | undefined {
  return code === 2 ? 'ipv4' : code === 10 ? 'ipv6' : undefined;
}

function network(bytes: Uint8Array | undefined, prefixLength: number, family: 'ipv4' | 'ipv6'): string {
  const zero = parseIp(family === 'ipv4' ? '0.0.0.0' : '::')?.bytes as Uint8Array;
  return `${formatIp(bytes !== undefined && bytes.length === zero.length ? bytes : zero)}/${prefixLength}`;
}

function deletedRouteKey(payload: Uint8Array, littleEndian: boolean): string | undefined {
  const family = familyOf(payload[0]);
  if (family === undefined || payload.length < 12 || payload[5] !== RTPROT_VRRP) return undefined;
  const attrs = attributes(payload, littleEndian);
  const to = network(attrs.get(RTA_DST), payload[1] as number, family);
  const table = u32(attrs.get(RTA_TABLE), littleEndian) ?? (payload[4] as number);
  const metric = u32(attrs.get(RTA_PRIORITY), littleEndian) ?? 0;
  return `${family} ${to} table ${table} metric ${metric}`;
}

function deletedRuleKey(payload: Uint8Array, littleEndian: boolean): string | undefined {
  const family = familyOf(payload[0]);
  if (family === undefined || payload.length < 12) return undefined;
  const attrs = attributes(payload, littleEndian);
  if (attrs.get(FRA.PROTOCOL)?.[0] !== RTPROT_VRRP) return undefined;
  const name = (bytes: Uint8Array | undefined): string => (bytes === undefined ? '-' : new TextDecoder().decode(bytes).replace(/\0.*$/s, ''));
  const selector = (bytes: Uint8Array | undefined, prefixLength: number): string => (prefixLength === 0 ? 'all' : network(bytes, prefixLength, family));
  const action = payload[7] as number;
  // Absent when 0 (fib_nl_fill_rule writes a mark only when set, its mask when either is).
  const mark = u32(attrs.get(FRA.FWMARK), littleEndian) ?? 0;
  const mask = u32(attrs.get(FRA.FWMASK), littleEndian) ?? 0;
  const flags = new DataView(payload.buffer, payload.byteOffset + 8, 4).getUint32(0, littleEndian);
  return [
    family,
    `pref ${u32(attrs.get(FRA.PRIORITY), littleEndian) ?? 0}`,
    `from ${selector(attrs.get(FRA.SRC), payload[2] as number)}`,
    `to ${selector(attrs.get(FRA.DST), payload[1] as number)}`,
    `fwmark ${mark}/${mask}`,
    `iif ${name(attrs.get(FRA.IIFNAME))}`,
    `oif ${name(attrs.get(FRA.OIFNAME))}`,
    (flags & FIB_RULE_INVERT) !== 0 ? 'not' : '',
    action === FR_ACT_TO_TBL ? `lookup ${u32(attrs.get(FRA.TABLE), littleEndian) ?? payload[4]}` : (ACTION_NAMES.get(action) ?? `action ${action}`),
  ].join(' ');
}

/** Told when one of the routes or rules it holds went. */
export interface RoutingHolder {
  /** A route it holds went. */
  routeDeleted(route: VirtualRoute): void;
  /** A rule it holds went. */
  ruleDeleted(rule: VirtualRule): void;
  /** Notifications were lost (the socket's buffer overflowed): any of them may have gone. */
  lost(): void;
}

/** Largest datagram read: a deletion notification is a message of a hundred bytes or so. */
const BUFFER_BYTES = 8 * 1024;

/** The thread's watch: holders and what each holds (its own maps, by key), and the socket while any holds something. */
const held = new Map<RoutingHolder, { routes: ReadonlyMap<string, VirtualRoute>; rules: ReadonlyMap<string, VirtualRule> }>();
let close: (() => void) | undefined;
/** Whether the failure to watch was said: once until a watch opens (it is tried again at each hold). */
let failureSaid = false;

/** Says, once until a watch opens, that deletions cannot be watched and why. */
function sayWatchFailed(why: string): void {
  if (failureSaid) return;
  failureSaid = true;
  process.emitWarning(`virtual routes and rules: cannot watch for their deletion (${why}); one deleted behind our back stays gone until the next takeover`, {
    type: 'VrrpWarning',
    code: 'VRRP_ROUTE_WATCH_FAILED',
  });
}

/**
 * Tells `holder` when one of `routes` or `rules` (keyed by {@link routeKey} and {@link ruleKey}) is deleted, from now
 * until {@link releaseRouting}. The maps are the holder's own, read as they are when a deletion comes: call again
 * after changing them, so that the socket opens or closes. Without the addon nothing is watched (returns false): the
 * kernel's filter is the addon's.
 */
export function holdRouting(holder: RoutingHolder, routes: ReadonlyMap<string, VirtualRoute>, rules: ReadonlyMap<string, VirtualRule>): boolean {
  if (routes.size === 0 && rules.size === 0) {
    releaseRouting(holder);
    return true;
  }
  if (close === undefined && !open()) return false;
  held.set(holder, { routes, rules });
  return true;
}

/** Stops telling `holder`; the socket closes with the last holder. Call it before removing the routes and rules. */
export function releaseRouting(holder: RoutingHolder): void {
  held.delete(holder);
  if (held.size === 0 && close !== undefined) {
    close();
    close = undefined;
  }
}

function open(): boolean {
  let native: ReturnType<typeof loadAddon>;
  try {
    native = loadAddon();
  } catch (error) {
    // Said as docs/linux.md promises (nothing was said before), once (found by review).
    sayWatchFailed(error instanceof Error ? error.message : String(error));
    return false;
  }
  const buffer = new Uint8Array(BUFFER_BYTES);
  let handle: unknown;
  try {
    handle = native.eventsOpen(ROUTING_GROUPS, () => {
      for (;;) {
        let length: number;
        try {
          length = native.eventsRecv(handle, buffer);
        } catch {
          tellLost(); // a failed read says nothing of what went: every holder looks at all it holds
          return;
        }
        if (length === -1) return;
        // A loss (-2: dropped, -3: too long) says nothing of which went: every holder looks at all it holds.
        if (length >= 0) deliver(routingDeletions(buffer.subarray(0, length), HOST_LITTLE_ENDIAN));
        else tellLost();
      }
    });
    native.eventsKeepRoutingDeletions(handle);
    native.eventsRef(handle, false);
  } catch (error) {
    if (handle !== undefined) native.eventsClose(handle);
    // Once, not at every hold (one per installed route at each takeover), found by review.
    sayWatchFailed(error instanceof Error ? error.message : String(error));
    return false;
  }
  close = () => native.eventsClose(handle);
  failureSaid = false;
  return true;
}

/** Runs inside a native callback, where a throw would end the thread: a holder's failure is its own. */
function tellLost(): void {
  for (const holder of [...held.keys()]) {
    try {
      holder.lost();
    } catch {
      // The holder reports its own failures.
    }
  }
}

/** Runs inside a native callback, where a throw would end the thread: a holder's failure is its own. */
function deliver(deletions: RoutingDeletions): void {
  for (const [holder, what] of [...held]) {
    for (const key of deletions.routes) {
      const route = what.routes.get(key);
      if (route === undefined) continue;
      try {
        holder.routeDeleted(route);
      } catch {
        // The holder reports its own failures.
      }
    }
    for (const key of deletions.rules) {
      const rule = what.rules.get(key);
      if (rule === undefined) continue;
      try {
        holder.ruleDeleted(rule);
      } catch {
        // The holder reports its own failures.
      }
    }
  }
}
