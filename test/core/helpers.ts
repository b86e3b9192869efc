/**
 * Shared fixtures for the core state-machine tests: a canonical router configuration, advertisements built with the
 * real encoder, hand-patched packets with a recomputed checksum, and small readers over action lists.
 *
 * Addresses (RFC 5737 documentation ranges): this router is 192.0.2.10; one peer sits below it (192.0.2.5) and one
 * above it (192.0.2.20), so the equal-priority tie-break (the higher primary address wins) can go either way.
 */
import type { Advertisement } from '../../src/core/advertisement.js';
import { internetChecksum, pseudoHeaderIpv4, pseudoHeaderIpv6 } from '../../src/core/checksum.js';
import { encodeAdvertisement, type V3Ipv4ChecksumMode } from '../../src/core/codec.js';
import { parseIp } from '../../src/core/ip-address.js';
import { VirtualRouter, type MasterInfo, type RouterAction, type RouterConfig, type RouterInput } from '../../src/core/router.js';
import type { VrrpStats } from '../../src/core/stats.js';

/** This router's primary address. */
export const SELF = '192.0.2.10';
/** A peer whose primary address is lower than ours: we win a tie against it. */
export const LOWER_PEER = '192.0.2.5';
/** A peer whose primary address is higher than ours: it wins a tie against us. */
export const HIGHER_PEER = '192.0.2.20';
/** The VRRP IPv4 multicast group (RFC 9568 §5.1.1.2). */
export const GROUP_V4 = '224.0.0.18';
/** The virtual address protected by the test router. */
export const VIP = '192.0.2.100';

/** The input type of a received packet. */
export type PacketInput = Extract<RouterInput, { type: 'packet' }>;

/** A v3 IPv4 router, VRID 51, priority 100, 1 s adverts, preempting, no delay, no trackers; override any field. */
export function makeConfig(overrides: Partial<RouterConfig> = {}): RouterConfig {
  return {
    vrid: 51,
    version: 3,
    family: 'ipv4',
    priority: 100,
    advertIntervalMs: 1000,
    virtualAddresses: [VIP],
    primaryAddress: SELF,
    destinations: [GROUP_V4],
    preempt: true,
    preemptDelayMs: 0,
    authentication: { type: 'none' },
    v3Ipv4Checksum: 'pseudo-header',
    strictChecksum: false,
    trackers: [],
    ...overrides,
  };
}

/** A router built from `config` and started at `atMs`; throws (naming the state) unless it is then in Backup. */
export function startedBackup(config: RouterConfig, atMs = 0): VirtualRouter {
  const router = new VirtualRouter(config);
  router.handle({ type: 'start' }, atMs);
  if (router.state !== 'backup') throw new Error(`setup: expected backup after start, got ${router.state}`);
  return router;
}

/**
 * A non-owner router started at `atMs` and made Master by letting its first Master_Down_Timer run out.
 * Returns the router and the instant it became Master; throws (naming the state) if it did not.
 */
export function startedMaster(config: RouterConfig, atMs = 0): { router: VirtualRouter; masterSinceMs: number } {
  const router = startedBackup(config, atMs);
  const masterSinceMs = router.nextDeadline();
  if (masterSinceMs === undefined) throw new Error('setup: backup without a Master_Down_Timer');
  router.handle({ type: 'timeout' }, masterSinceMs);
  if (router.state !== 'master') throw new Error(`setup: expected master after the Master_Down_Timer, got ${router.state}`);
  return { router, masterSinceMs };
}

/** Extra knobs for a received packet. */
export interface PacketOptions {
  /** IP TTL / hop limit as received; 255 unless given. */
  ttl?: number;
  /** IP destination; the first of the config's destinations unless given. */
  dst?: string;
  /** VRRPv3-over-IPv4 checksum mode the sender used; keepalived's pseudo-header unless given. */
  v3Ipv4Checksum?: V3Ipv4ChecksumMode;
}

/**
 * A well-formed advertisement from `src` at `priority`, encoded by the real codec, that matches `config` in every
 * field (version, VRID, interval, addresses, v2 authentication) unless `fields` says otherwise.
 */
export function advertFrom(
  config: RouterConfig,
  src: string,
  priority: number,
  fields: Partial<Advertisement> = {},
  options: PacketOptions = {},
): PacketInput {
  const advertisement: Advertisement = {
    version: config.version,
    vrid: config.vrid,
    priority,
    advertIntervalMs: config.advertIntervalMs,
    addresses: [...config.virtualAddresses],
    ...fields,
  };
  if (advertisement.version === 2 && fields.authType === undefined && config.authentication.type === 'simple') {
    advertisement.authType = 1;
    advertisement.authPassword ??= config.authentication.password;
  }
  const dst = options.dst ?? config.destinations[0] ?? GROUP_V4;
  const bytes = encodeAdvertisement(advertisement, {
    family: config.family,
    src,
    dst,
    v3Ipv4Checksum: options.v3Ipv4Checksum ?? 'pseudo-header',
  });
  return { type: 'packet', bytes, src, dst, ttl: options.ttl ?? 255 };
}

/** A packet input carrying arbitrary bytes. */
export function rawPacket(bytes: Uint8Array, src: string, dst: string = GROUP_V4, ttl = 255): PacketInput {
  return { type: 'packet', bytes, src, dst, ttl };
}

/**
 * Rewrites the checksum field of a hand-patched message so that only the patched field is wrong: v2 over the
 * message alone, v3 over IPv4 with keepalived's pseudo-header, v3 over IPv6 with the RFC 8200 pseudo-header.
 * The version is read from the message's first nibble. Returns a new array.
 */
export function withValidChecksum(message: Uint8Array, src: string, dst: string): Uint8Array {
  const bytes = Uint8Array.from(message);
  bytes[6] = 0;
  bytes[7] = 0;
  const srcIp = parseIp(src);
  const dstIp = parseIp(dst);
  if (!srcIp || !dstIp) throw new Error(`setup: ${src} or ${dst} is not an address`);
  const version = bytes[0]! >> 4;
  let sum: number;
  if (version === 2) sum = internetChecksum(bytes);
  else if (srcIp.family === 'ipv6') sum = internetChecksum(pseudoHeaderIpv6(srcIp.bytes, dstIp.bytes, bytes.length), bytes);
  else sum = internetChecksum(pseudoHeaderIpv4(srcIp.bytes, dstIp.bytes, bytes.length), bytes);
  bytes[6] = sum >> 8;
  bytes[7] = sum & 0xff;
  return bytes;
}

/** The action types, in order: the shape most tests compare. */
export function typesOf(actions: readonly RouterAction[]): RouterAction['type'][] {
  return actions.map((action) => action.type);
}

/** The priorities carried by the `send` actions, in order. */
export function sentPriorities(actions: readonly RouterAction[]): number[] {
  return actions.flatMap((action) => (action.type === 'send' ? [action.advertisement.priority] : []));
}

/** The `transition` actions, in order. */
export function transitionsOf(actions: readonly RouterAction[]): Extract<RouterAction, { type: 'transition' }>[] {
  return actions.flatMap((action) => (action.type === 'transition' ? [action] : []));
}

/** The router of `config` as the master a `transition` to Master names (at its base priority unless given). */
export function selfAsMaster(config: RouterConfig, priority = config.priority): MasterInfo {
  return { address: config.primaryAddress!, priority, advertIntervalMs: config.advertIntervalMs, self: true };
}

/** A peer as the master a backup hears, advertising `priority` at `advertIntervalMs` (1000 unless given). */
export function peerAsMaster(address: string, priority: number, advertIntervalMs = 1000): MasterInfo {
  return { address, priority, advertIntervalMs, self: false };
}

/** The codes of the `protocolError` actions, in order. */
export function errorCodesOf(actions: readonly RouterAction[]): string[] {
  return actions.flatMap((action) => (action.type === 'protocolError' ? [action.code] : []));
}

/** The drop counters of stats.ts (every counter that counts a discarded packet). */
export const DROP_COUNTERS = [
  'ipTtlErrors',
  'invalidTypeErrors',
  'versionErrors',
  'checksumErrors',
  'vridErrors',
  'packetLengthErrors',
  'advIntervalErrors',
  'addressListErrors',
  'invalidAuthTypeErrors',
  'authTypeMismatchErrors',
  'authFailures',
] as const satisfies readonly (keyof VrrpStats)[];

/** The drop counters that are not zero, by name: `{}` when nothing was dropped. */
export function nonZeroDropCounters(stats: VrrpStats): Partial<Record<(typeof DROP_COUNTERS)[number], number>> {
  const result: Partial<Record<(typeof DROP_COUNTERS)[number], number>> = {};
  for (const name of DROP_COUNTERS) if (stats[name] !== 0) result[name] = stats[name];
  return result;
}
