/**
 * The packet fuzzer behind `npm run fuzz` (bench/fuzz.ts) and test/fuzz/packets.test.ts: seeded random and mutated
 * VRRP messages through the codec and through running state machines.
 *
 * Theory of operation:
 * - One PRNG (mulberry32, bench/stats.ts) draws everything: the scenario, the state its router is driven to, the
 *   seed packet, the mutations, the IP envelope and the clock. The same seed draws the same cases in the same order
 *   whatever the count, so a failure at case i replays with `npm run fuzz -- --seed S --count i+1`.
 * - Scenarios are keepalived 2.2.7's capture configuration (test/fixtures/keepalived-2.2.7.json, a copy of
 *   ../shared/vectors) seen from its peer, 10.99.0.2 / fe80::2: v2 and v3, IPv4 and IPv6, multicast and unicast,
 *   with and without a password, trackers, an owner, both strict checksum modes. An unmutated keepalived packet is
 *   a genuine advert for them, so mutations start from packets that reach the deepest checks.
 * - Each scenario keeps one router for the whole run. Before a packet its router is, now and then, driven to a
 *   drawn state (initialize, backup, master, fault) with the inputs an engine would give (start, stop, link,
 *   tracker, a timeout at its deadline); between packets its clock moves on and a due timeout is delivered first,
 *   as the engine does. So packets meet routers in every state and with whatever history the run gave them.
 * - Seed packets: keepalived's own, or an advert our encoder writes for the scenario (a random peer, priority,
 *   interval, address list, password, checksum mode), or random bytes. Mutations: bit flips, byte sets, field sets
 *   (version/type, VRID, priority, count, auth type, interval, password, addresses), truncation, extension, count
 *   and length made to disagree, the length made to fit a new count, a random source / destination / TTL; then,
 *   half the time, the checksum recomputed, so that what comes after the checksum check is exercised too; and now
 *   and then the bytes handed over as a view into a larger buffer.
 *
 * Invariants, per packet (any violation throws a FuzzFailure naming the case and how to replay it):
 * - `decodeAdvertisement` does not throw; a failure carries a known code and a message; a success re-encodes in
 *   the same context and decodes to an equal advertisement.
 * - `VirtualRouter.handle` does not throw. The packet ends in exactly one place: accepted (`advertisementsReceived`
 *   +1) or one drop counter +1, and the one the receive checks of docs/protocol.md name for it (an independent
 *   model below, `expectedOutcome`). Two documented exceptions, also modelled: a router that is not listening
 *   (initialize, fault) takes nothing in, and a packet from our own primary address is ignored uncounted. An
 *   owner's advert with another address list is accepted and also counted in `addressListErrors` (RFC 6527 counts
 *   every mismatch).
 * - A drop other than another VRID's emits exactly one `protocolError` whose code names that counter; other
 *   counters move with the actions (sends, priority-0 sends, master transitions, priority-0 received).
 * - A packet never makes a router master, never adds VIPs; the transitions it causes chain from the old state to
 *   the new one; every packet the router sends decodes.
 * - The router's state stays valid: one of the four states, a deadline exactly in backup and master and never in
 *   the past, an effective priority 1…255, an interval the protocol allows.
 */
import { readFileSync } from 'node:fs';
import { mulberry32 } from '../../bench/stats.js';
import type { Advertisement, AddressFamily } from '../../src/core/advertisement.js';
import { internetChecksum, pseudoHeaderIpv4, pseudoHeaderIpv6 } from '../../src/core/checksum.js';
import {
  decodeAdvertisement,
  encodeAdvertisement,
  type DecodeErrorCode,
  type DecodeOptions,
  type DecodeResult,
  type V3Ipv4ChecksumMode,
} from '../../src/core/codec.js';
import { canonicalIp, parseIp } from '../../src/core/ip-address.js';
import { VirtualRouter, type RouterAction, type RouterConfig, type RouterInput, type RouterState } from '../../src/core/router.js';
import type { VrrpStats } from '../../src/core/stats.js';
import { DROP_COUNTERS } from '../core/helpers.js';

/** What to run. */
export interface FuzzOptions {
  /** PRNG seed; any integer (taken modulo 2^32). */
  seed: number;
  /** Packets to generate; each goes through the codec and through one router. */
  count: number;
}

/** A drop counter of stats.ts. */
export type DropCounter = (typeof DROP_COUNTERS)[number];

/**
 * Where one packet ended: accepted, one drop counter, or one of the two documented silent cases. `owner-list` is
 * an owner's advert with another address list: accepted and counted in `addressListErrors`.
 */
export type RouterOutcome = 'accepted' | 'owner-list' | DropCounter | 'not-listening' | 'own-address';

/** What a run saw. Counts are per packet; every map sums to `count` except `mutations` and `coverage`'s keys. */
export interface FuzzReport {
  /** The seed the run drew from. */
  seed: number;
  /** Packets generated. */
  count: number;
  /** Wall time of the run, ms. */
  elapsedMs: number;
  /** Where each packet ended in its router. */
  routerOutcomes: Map<RouterOutcome, number>;
  /** `decodeAdvertisement`'s result for each packet, in the context its router decodes it in. */
  codecOutcomes: Map<'ok' | DecodeErrorCode, number>;
  /** Packets that decoded, were encoded again and decoded equal (every one that decoded, or the run fails). */
  roundTrips: number;
  /** Packets per scenario and router state at arrival. */
  coverage: Map<string, Map<RouterState, number>>;
  /** How often each mutation was applied. */
  mutations: Map<string, number>;
  /** Inputs other than packets fed to drive the routers (start, stop, link, tracker, timeout). */
  controlInputs: number;
}

/** A broken invariant, with everything needed to understand and replay it. */
export class FuzzFailure extends Error {
  override readonly name = 'FuzzFailure';
  /** The run's seed. */
  readonly seed: number;
  /** Index of the failing case (0-based); `--count caseIndex+1` replays up to it. */
  readonly caseIndex: number;

  constructor(seed: number, caseIndex: number, problem: string, detail: string) {
    super(
      `fuzz case ${caseIndex} of seed ${seed}: ${problem}\n${detail}\n` +
        `replay: npm run fuzz -- --seed ${seed} --count ${caseIndex + 1}`,
    );
    this.seed = seed;
    this.caseIndex = caseIndex;
  }
}

/** The four router states, in report order. */
export const ROUTER_STATES: readonly RouterState[] = ['initialize', 'backup', 'master', 'fault'];

/**
 * States routers are driven to, as often as listed: mostly the two that listen, where the receive checks run; the
 * other two only need to show that a router not listening takes nothing in.
 */
const TARGET_STATES: readonly RouterState[] = ['backup', 'backup', 'backup', 'backup', 'master', 'master', 'master', 'master', 'initialize', 'fault'];

// ── the receive checks, as docs/protocol.md states them (the model the router is held to) ───────────────────────

/** Counter of each `protocolError` code (docs/protocol.md, "Receive checks and counters"). */
const COUNTER_OF_CODE: Record<string, DropCounter> = {
  ttl: 'ipTtlErrors',
  length: 'packetLengthErrors',
  'address-count': 'packetLengthErrors',
  version: 'versionErrors',
  family: 'versionErrors',
  type: 'invalidTypeErrors',
  checksum: 'checksumErrors',
  vrid: 'vridErrors',
  'auth-type': 'invalidAuthTypeErrors',
  'auth-mismatch': 'authTypeMismatchErrors',
  'auth-failure': 'authFailures',
  'address-list': 'addressListErrors',
  destination: 'addressListErrors',
  interval: 'advIntervalErrors',
};

const DECODE_ERROR_CODES: ReadonlySet<string> = new Set<DecodeErrorCode>([
  'length',
  'version',
  'type',
  'checksum',
  'address-count',
  'auth-type',
  'interval',
  'family',
  'vrid',
]);

/** The decode options a router uses for a packet (router.ts hands the codec the IP header's addresses). */
function decodeOptionsFor(config: RouterConfig, src: string, dst: string): DecodeOptions {
  return { family: config.family, src, dst, v3Ipv4Checksum: config.strictChecksum ? config.v3Ipv4Checksum : 'either' };
}

/**
 * Where a packet must end, from the configuration, the state, the envelope and the codec's verdict: the checks of
 * RFC 9568 §7.1 / RFC 3768 §7.1 in the order docs/protocol.md gives, another VRID first (stats.ts).
 */
function expectedOutcome(
  config: RouterConfig,
  multicast: boolean,
  state: RouterState,
  packet: PacketInput,
  decoded: DecodeResult,
): RouterOutcome {
  if (state !== 'backup' && state !== 'master') return 'not-listening';
  if (packet.bytes.length >= 2 && packet.bytes[1] !== config.vrid) return 'vridErrors';
  if (multicast && packet.ttl !== 255) return 'ipTtlErrors';
  if (!decoded.ok) return COUNTER_OF_CODE[decoded.error.code]!;
  const advert = decoded.advertisement;
  if (advert.vrid !== config.vrid) return 'vridErrors';
  if (advert.version !== config.version) return 'versionErrors';
  if (canonicalIp(packet.src) === canonicalIp(config.primaryAddress!)) return 'own-address';
  if (config.version === 2) {
    const simple = config.authentication.type === 'simple';
    if ((advert.authType ?? 0) !== (simple ? 1 : 0)) return 'authTypeMismatchErrors';
    if (config.authentication.type === 'simple' && advert.authPassword !== config.authentication.password) return 'authFailures';
  }
  // The destination of the instance's kind (keepalived 2.2.7's check): the group for a multicast instance, any other
  // address for a unicast one. Judged from the text: IPv4 224-239 in its first byte, IPv6 ff in its first.
  const first = packet.dst.includes(':') ? parseInt(packet.dst.split(':')[0] || '0', 16) >> 8 : Number(packet.dst.split('.')[0]);
  const toGroup = packet.dst.includes(':') ? first === 0xff : first >= 224 && first <= 239;
  if (toGroup !== multicast) return 'addressListErrors';
  // The list, compared as a multiset: the same addresses, each as often (RFC 6527 vrrpv3StatisticsAddressListErrors:
  // "the address list does not match the locally configured list").
  const listDiffers = !sameMultiset(advert.addresses, config.virtualAddresses);
  if (listDiffers && advert.priority !== 255) return 'addressListErrors';
  if (config.version === 2 && advert.advertIntervalMs !== config.advertIntervalMs) return 'advIntervalErrors';
  return listDiffers ? 'owner-list' : 'accepted';
}

function sameMultiset(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const sortedA = [...a].sort();
  const sortedB = [...b].sort();
  return sortedA.every((value, index) => value === sortedB[index]);
}

// ── scenarios ──────────────────────────────────────────────────────────────────────────────────────────────────

interface Vector {
  family: AddressFamily;
  src: string;
  dst: string;
  ttl: number;
  vrrp: string;
}

interface SeedPacket {
  family: AddressFamily;
  bytes: Uint8Array;
  src: string;
  dst: string;
  ttl: number;
}

type PacketInput = Extract<RouterInput, { type: 'packet' }>;

const IPV4 = { primary: '10.99.0.2', group: '224.0.0.18', keepalived: '10.99.0.1', lowerPeer: '10.99.0.1', higherPeer: '10.99.0.3' };
const IPV6 = { primary: 'fe80::2', group: 'ff02::12', keepalived: 'fe80::dc3d:a2ff:fee0:1ca6', lowerPeer: 'fe80::1', higherPeer: 'fe80::dc3d:a2ff:fee0:1ca6' };

const KEEPALIVED_VIPS = {
  10: ['10.99.0.110'],
  11: ['10.99.0.111', '10.99.0.112', '10.99.0.113'],
  12: ['10.99.0.120', '10.99.0.121'],
  13: ['fe80::13', '2001:db8::130', '2001:db8::131'],
  14: ['10.99.0.140'],
} as const;

/** A router configuration with keepalived's capture settings for `vrid`, seen from the peer; override any field. */
function peerOf(vrid: keyof typeof KEEPALIVED_VIPS, overrides: Partial<RouterConfig>): RouterConfig {
  const family: AddressFamily = vrid === 13 ? 'ipv6' : 'ipv4';
  const net = family === 'ipv4' ? IPV4 : IPV6;
  return {
    vrid,
    version: vrid === 10 || vrid === 11 ? 2 : 3,
    family,
    priority: 100,
    advertIntervalMs: vrid === 11 ? 2000 : vrid === 12 ? 500 : 1000,
    virtualAddresses: KEEPALIVED_VIPS[vrid],
    primaryAddress: net.primary,
    destinations: [net.group],
    preempt: true,
    preemptDelayMs: 0,
    authentication: vrid === 11 ? { type: 'simple', password: 's3cret' } : { type: 'none' },
    v3Ipv4Checksum: 'pseudo-header',
    strictChecksum: false,
    trackers: [],
    ...overrides,
  };
}

const FAULT_TRACKER = { name: 'chk_fault', weight: 0, fall: 1, rise: 1, reverse: false };
const REVERSE_FAULT_TRACKER = { name: 'chk_maintenance', weight: 0, fall: 2, rise: 1, reverse: true };
const WEIGHT_TRACKERS = [
  { name: 'chk_plus', weight: 60, fall: 1, rise: 2, reverse: false },
  { name: 'chk_minus', weight: -60, fall: 1, rise: 1, reverse: false },
];

/** The scenarios: every version and family, multicast and unicast, with and without auth, trackers, an owner. */
const SCENARIO_CONFIGS: readonly { name: string; config: RouterConfig }[] = [
  { name: 'v2 ipv4 multicast', config: peerOf(10, {}) },
  { name: 'v2 ipv4 multicast password', config: peerOf(11, { priority: 200, preemptDelayMs: 3000 }) },
  {
    name: 'v2 ipv4 unicast password trackers',
    config: peerOf(11, { priority: 101, destinations: [IPV4.keepalived], trackers: [FAULT_TRACKER, ...WEIGHT_TRACKERS] }),
  },
  { name: 'v2 ipv4 multicast owner', config: peerOf(10, { priority: 255 }) },
  { name: 'v3 ipv4 multicast', config: peerOf(12, {}) },
  {
    name: 'v3 ipv4 strict rfc9568 nopreempt',
    config: peerOf(12, { priority: 201, preempt: false, v3Ipv4Checksum: 'rfc9568', strictChecksum: true }),
  },
  {
    name: 'v3 ipv4 strict pseudo-header wish master',
    config: peerOf(12, { strictChecksum: true, initialState: 'master', trackers: WEIGHT_TRACKERS }),
  },
  { name: 'v3 ipv4 multicast owner', config: peerOf(12, { priority: 255 }) },
  {
    name: 'v3 ipv4 unicast trackers',
    config: peerOf(14, { destinations: [IPV4.keepalived], trackers: [REVERSE_FAULT_TRACKER, ...WEIGHT_TRACKERS] }),
  },
  { name: 'v3 ipv6 multicast', config: peerOf(13, {}) },
  { name: 'v3 ipv6 unicast trackers', config: peerOf(13, { priority: 254, destinations: [IPV6.keepalived], trackers: [FAULT_TRACKER] }) },
  { name: 'v3 ipv6 multicast owner wish backup', config: peerOf(13, { priority: 255, initialState: 'backup' }) },
];

/** Scenario names, in report order. */
export const SCENARIO_NAMES: readonly string[] = SCENARIO_CONFIGS.map((scenario) => scenario.name);

interface Scenario {
  name: string;
  config: RouterConfig;
  multicast: boolean;
  router: VirtualRouter;
  nowMs: number;
  /** Addresses a packet may claim to come from or go to, for this scenario's family. */
  peers: readonly string[];
  /** Where peers send: the group, or (unicast) our primary address. */
  inboundDst: string;
  /** Wrong-family and malformed addresses, for envelope mutations. */
  strangers: readonly string[];
  /** keepalived's packets for this scenario's VRID and family (for every scenario there is at least one). */
  vectors: readonly SeedPacket[];
  /** keepalived's packets of this scenario's family. */
  familyVectors: readonly SeedPacket[];
}

function createScenario(name: string, config: RouterConfig, vectors: readonly SeedPacket[]): Scenario {
  const net = config.family === 'ipv4' ? IPV4 : IPV6;
  const other = config.family === 'ipv4' ? IPV6 : IPV4;
  const multicast = config.destinations.every((dst) => dst === net.group);
  return {
    name,
    config,
    multicast,
    router: new VirtualRouter(config),
    nowMs: 0,
    peers: [net.lowerPeer, net.higherPeer, net.keepalived, net.primary],
    inboundDst: multicast ? net.group : net.primary,
    strangers: [other.primary, other.group, '', 'not-an-address', '10.99.0.256', 'fe80::2%eth0', '::', '0.0.0.0', net.group],
    vectors: vectors.filter((vector) => vector.family === config.family && vector.bytes[1] === config.vrid),
    familyVectors: vectors.filter((vector) => vector.family === config.family),
  };
}

function loadVectors(): SeedPacket[] {
  const vectors = JSON.parse(readFileSync(new URL('../fixtures/keepalived-2.2.7.json', import.meta.url), 'utf8')) as Vector[];
  return vectors.map((vector) => ({
    family: vector.family,
    bytes: Uint8Array.from(Buffer.from(vector.vrrp, 'hex')),
    src: vector.src,
    dst: vector.dst,
    ttl: vector.ttl,
  }));
}

// ── randomness ─────────────────────────────────────────────────────────────────────────────────────────────────

class Random {
  readonly #next: () => number;
  constructor(seed: number) {
    this.#next = mulberry32(seed);
  }
  /** An integer in 0…n−1. */
  int(n: number): number {
    return Math.floor(this.#next() * n);
  }
  /** An integer in min…max. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }
  chance(probability: number): boolean {
    return this.#next() < probability;
  }
  pick<T>(values: readonly T[]): T {
    return values[this.int(values.length)]!;
  }
  bytes(length: number): Uint8Array {
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i++) bytes[i] = this.int(256);
    return bytes;
  }
}

// ── packets ────────────────────────────────────────────────────────────────────────────────────────────────────

/** Values that sit on the edges of byte fields. */
const INTERESTING_BYTES = [0x00, 0x01, 0x02, 0x03, 0x0f, 0x10, 0x20, 0x21, 0x31, 0x7f, 0x80, 0xfe, 0xff];

/** An advert our encoder writes for `scenario`: mostly what a real peer sends, now and then a field off. */
function freshAdvert(random: Random, scenario: Scenario): SeedPacket {
  const { config } = scenario;
  const priorities = [0, 1, config.priority - 1, config.priority, config.priority + 1, 254, 255, random.int(256)];
  const priority = Math.min(255, Math.max(0, random.pick(priorities)));
  let addresses = [...config.virtualAddresses];
  if (random.chance(0.15)) addresses = addressList(random, scenario, random.between(config.version === 3 ? 1 : 0, 4));
  const version = random.chance(0.05) && config.family === 'ipv4' ? (config.version === 2 ? 3 : 2) : config.version;
  const advertisement: Advertisement = {
    version,
    vrid: random.chance(0.05) ? random.between(1, 255) : config.vrid,
    priority,
    advertIntervalMs: random.chance(0.85)
      ? version === config.version
        ? config.advertIntervalMs
        : 1000
      : version === 2
        ? random.between(1, 255) * 1000
        : random.between(1, 0x0fff) * 10,
    addresses,
  };
  if (version === 2) {
    const simple = config.authentication.type === 'simple';
    const authType = random.chance(0.9) ? (simple ? 1 : 0) : simple ? 0 : 1;
    advertisement.authType = authType;
    if (authType === 1) {
      advertisement.authPassword =
        config.authentication.type === 'simple' && random.chance(0.8) ? config.authentication.password : random.pick(['', 's3cre', 's3cret!', 'x']);
    }
  }
  if (version === 3 && advertisement.addresses.length === 0) advertisement.addresses = [...config.virtualAddresses];
  const src = random.chance(0.9) ? random.pick(scenario.peers.slice(0, 3)) : config.primaryAddress!;
  const dst = scenario.inboundDst;
  const mode: V3Ipv4ChecksumMode = random.chance(0.5) ? 'pseudo-header' : 'rfc9568';
  const bytes = encodeAdvertisement(advertisement, { family: config.family, src, dst, v3Ipv4Checksum: mode });
  return { family: config.family, bytes, src, dst, ttl: 255 };
}

/** `count` addresses of the scenario's family: its VIPs (repeats allowed), keepalived's others, random ones. */
function addressList(random: Random, scenario: Scenario, count: number): string[] {
  const { config } = scenario;
  const pool = [...config.virtualAddresses, ...(config.family === 'ipv4' ? ['10.99.0.111', '10.99.0.199'] : ['2001:db8::199', 'fe80::14'])];
  return Array.from({ length: count }, () => (random.chance(0.9) ? random.pick(pool) : randomAddress(random, config.family)));
}

function randomAddress(random: Random, family: AddressFamily): string {
  const bytes = random.bytes(family === 'ipv4' ? 4 : 16);
  return family === 'ipv4' ? bytes.join('.') : Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16)).join(':');
}

function addressBytes(address: string): Uint8Array {
  return parseIp(address)!.bytes;
}

/** A mutable packet under construction, with the names of the mutations applied to it. */
interface Draft {
  bytes: Uint8Array;
  src: string;
  dst: string;
  ttl: number;
  applied: string[];
}

type Mutation = (random: Random, draft: Draft, scenario: Scenario) => void;

function setByte(draft: Draft, index: number, value: number): void {
  if (index < draft.bytes.length) draft.bytes[index] = value;
}

/** Resizes the message to `length`, keeping its head and filling the rest from `fill`. */
function resize(draft: Draft, length: number, fill: (index: number) => number): void {
  const bytes = new Uint8Array(length);
  bytes.set(draft.bytes.subarray(0, Math.min(length, draft.bytes.length)));
  for (let i = draft.bytes.length; i < length; i++) bytes[i] = fill(i);
  draft.bytes = bytes;
}

const MUTATIONS: readonly { name: string; weight: number; apply: Mutation }[] = [
  {
    name: 'bit flip',
    weight: 6,
    apply: (random, draft) => {
      if (draft.bytes.length === 0) return;
      const index = random.int(draft.bytes.length);
      draft.bytes[index]! ^= 1 << random.int(8);
    },
  },
  {
    name: 'byte set',
    weight: 4,
    apply: (random, draft) => {
      if (draft.bytes.length === 0) return;
      setByte(draft, random.int(draft.bytes.length), random.chance(0.6) ? random.pick(INTERESTING_BYTES) : random.int(256));
    },
  },
  {
    name: 'version/type',
    weight: 2,
    apply: (random, draft) => setByte(draft, 0, random.pick([0x21, 0x31, 0x11, 0x41, 0x22, 0x32, 0x30, 0x20, 0xf1, random.int(256)])),
  },
  {
    name: 'vrid',
    weight: 2,
    apply: (random, draft, scenario) => setByte(draft, 1, random.pick([0, 1, 255, scenario.config.vrid, random.int(256)])),
  },
  {
    name: 'priority',
    weight: 4,
    apply: (random, draft, scenario) => {
      const p = scenario.config.priority;
      setByte(draft, 2, random.pick([0, 1, 254, 255, p, Math.max(0, p - 1), Math.min(255, p + 1), random.int(256)]));
    },
  },
  {
    name: 'count, length kept',
    weight: 2,
    apply: (random, draft) => {
      const count = draft.bytes[3] ?? 0;
      setByte(draft, 3, random.pick([0, 1, 255, (count + 1) & 0xff, (count - 1) & 0xff, random.int(256)]));
    },
  },
  {
    name: 'count, length fitted',
    weight: 4,
    apply: (random, draft, scenario) => {
      if (draft.bytes.length < 8) return;
      const { config } = scenario;
      const count = random.pick([0, 1, 2, 3, config.virtualAddresses.length, random.int(8)]);
      const size = config.family === 'ipv4' ? 4 : 16;
      const version = draft.bytes[0]! >> 4;
      const auth = version === 2 ? draft.bytes.subarray(draft.bytes.length - 8) : new Uint8Array(0);
      const addresses = addressList(random, scenario, count).map(addressBytes);
      const bytes = new Uint8Array(8 + count * size + (version === 2 ? 8 : 0));
      bytes.set(draft.bytes.subarray(0, 8));
      bytes[3] = count;
      addresses.forEach((address, i) => bytes.set(address, 8 + i * size));
      if (version === 2 && auth.length === 8) bytes.set(auth, 8 + count * size);
      draft.bytes = bytes;
    },
  },
  {
    name: 'auth type / interval',
    weight: 3,
    apply: (random, draft) => {
      if (random.chance(0.5)) setByte(draft, 4, random.pick([0, 1, 2, 3, 0x10, 0xf0, 0xff, random.int(256)]));
      else setByte(draft, 5, random.pick([0, 1, 2, 50, 100, 0xff, random.int(256)]));
    },
  },
  {
    name: 'password',
    weight: 2,
    apply: (random, draft) => {
      if (draft.bytes.length < 16) return;
      const at = draft.bytes.length - 8 + random.int(8);
      setByte(draft, at, random.pick([0, 0x73, 0x74, 0xff, random.int(256)]));
    },
  },
  {
    name: 'address',
    weight: 2,
    apply: (random, draft, scenario) => {
      const size = scenario.config.family === 'ipv4' ? 4 : 16;
      const count = Math.floor(Math.max(0, draft.bytes.length - 8) / size);
      if (count === 0) return;
      const address = addressBytes(addressList(random, scenario, 1)[0]!);
      const at = 8 + random.int(count) * size;
      if (at + size <= draft.bytes.length) draft.bytes.set(address, at);
    },
  },
  {
    name: 'truncate',
    weight: 3,
    apply: (random, draft) => {
      if (draft.bytes.length === 0) return;
      draft.bytes = draft.bytes.slice(0, random.int(draft.bytes.length));
    },
  },
  {
    name: 'extend',
    weight: 3,
    apply: (random, draft) => {
      const zeros = random.chance(0.5);
      resize(draft, draft.bytes.length + random.pick([1, 2, 4, 8, 16, random.between(1, 64)]), () => (zeros ? 0 : random.int(256)));
    },
  },
  {
    name: 'source',
    weight: 2,
    apply: (random, draft, scenario) => {
      draft.src = random.chance(0.7) ? random.pick(scenario.peers) : random.pick(scenario.strangers);
    },
  },
  {
    name: 'destination',
    weight: 1,
    apply: (random, draft, scenario) => {
      draft.dst = random.chance(0.6) ? random.pick([scenario.inboundDst, ...scenario.peers]) : random.pick(scenario.strangers);
    },
  },
  {
    name: 'ttl',
    weight: 2,
    apply: (random, draft) => {
      draft.ttl = random.pick([0, 1, 64, 128, 254, 255, random.int(256)]);
    },
  },
];
const MUTATION_WEIGHT = MUTATIONS.reduce((sum, mutation) => sum + mutation.weight, 0);

function pickMutation(random: Random): (typeof MUTATIONS)[number] {
  let ticket = random.int(MUTATION_WEIGHT);
  for (const mutation of MUTATIONS) {
    ticket -= mutation.weight;
    if (ticket < 0) return mutation;
  }
  return MUTATIONS[MUTATIONS.length - 1]!;
}

/**
 * Writes the checksum a sender would have written for the message as it now stands (its version nibble, its
 * length) in the router's family: v2 over the message, v3 IPv6 with the pseudo-header, v3 IPv4 either way.
 * Leaves the message alone when it has no checksum field or the envelope has no usable addresses.
 */
function fixChecksum(random: Random, draft: Draft, family: AddressFamily): boolean {
  const { bytes } = draft;
  if (bytes.length < 8) return false;
  const src = parseIp(draft.src);
  const dst = parseIp(draft.dst);
  if (src === undefined || dst === undefined || src.family !== family || dst.family !== family) return false;
  bytes[6] = 0;
  bytes[7] = 0;
  let sum: number;
  if (bytes[0]! >> 4 === 2) sum = internetChecksum(bytes);
  else if (family === 'ipv6') sum = internetChecksum(pseudoHeaderIpv6(src.bytes, dst.bytes, bytes.length), bytes);
  else if (random.chance(0.5)) sum = internetChecksum(pseudoHeaderIpv4(src.bytes, dst.bytes, bytes.length), bytes);
  else sum = internetChecksum(bytes);
  bytes[6] = sum >> 8;
  bytes[7] = sum & 0xff;
  return true;
}

/** The bytes as a view at a random offset into a larger buffer (a Buffer from a pool looks like this). */
function asOffsetView(random: Random, bytes: Uint8Array): Uint8Array {
  const offset = random.between(1, 13);
  const backing = random.chance(0.5) ? Buffer.alloc(offset + bytes.length + random.int(8), 0xa5) : new Uint8Array(offset + bytes.length + random.int(8)).fill(0x5a);
  backing.set(bytes, offset);
  return backing.subarray(offset, offset + bytes.length);
}

/** One case's packet: a seed, mutated or not, in an envelope. */
function nextPacket(random: Random, scenario: Scenario, vectors: readonly SeedPacket[], mutationCounts: Map<string, number>): Draft {
  const roll = random.int(100);
  let seed: SeedPacket;
  const applied: string[] = [];
  if (roll < 45) {
    // keepalived's own packets: mostly the scenario's VRID, then its family's others (counted as another VRID), now
    // and then the other family's (the family checks).
    const roll = random.int(10);
    seed = random.pick(roll < 7 ? scenario.vectors : roll < 9 ? scenario.familyVectors : vectors);
    applied.push('seed: keepalived');
  } else if (roll < 92) {
    seed = freshAdvert(random, scenario);
    applied.push('seed: encoded');
  } else {
    // Random bytes, half of them shaped like a header of the right version and VRID.
    const length = random.pick([0, 1, 2, 7, 8, 12, 16, 20, 24, 40, 56, random.int(80)]);
    const bytes = random.bytes(length);
    if (random.chance(0.5) && length >= 2) {
      bytes[0] = random.pick([0x21, 0x31]);
      bytes[1] = scenario.config.vrid;
    }
    seed = { family: scenario.config.family, bytes, src: scenario.peers[0]!, dst: scenario.inboundDst, ttl: 255 };
    applied.push('seed: random');
  }
  const draft: Draft = { bytes: Uint8Array.from(seed.bytes), src: seed.src, dst: seed.dst, ttl: seed.ttl, applied };
  const mutations = random.chance(0.2) ? 0 : random.pick([1, 1, 1, 2, 2, 3, 4]);
  for (let i = 0; i < mutations; i++) {
    const mutation = pickMutation(random);
    mutation.apply(random, draft, scenario);
    applied.push(mutation.name);
    mutationCounts.set(mutation.name, (mutationCounts.get(mutation.name) ?? 0) + 1);
  }
  if (mutations > 0 && random.chance(0.5) && fixChecksum(random, draft, scenario.config.family)) {
    applied.push('checksum fixed');
    mutationCounts.set('checksum fixed', (mutationCounts.get('checksum fixed') ?? 0) + 1);
  }
  if (random.chance(0.1)) {
    draft.bytes = asOffsetView(random, draft.bytes);
    applied.push('offset view');
    mutationCounts.set('offset view', (mutationCounts.get('offset view') ?? 0) + 1);
  }
  return draft;
}

// ── driving the routers ────────────────────────────────────────────────────────────────────────────────────────

/** Feeds a non-packet input and checks what it did; returns the failure, if any. */
function control(scenario: Scenario, input: RouterInput, counter: { inputs: number }): string | undefined {
  counter.inputs++;
  const { router } = scenario;
  const from = router.state;
  let actions: readonly RouterAction[];
  try {
    actions = router.handle(input, scenario.nowMs);
  } catch (error) {
    return `${input.type} input threw: ${describeError(error)}`;
  }
  return checkTransitions(from, router.state, actions) ?? checkRouter(scenario);
}

/** A tracker result that keeps a weight-0 tracker healthy (reverse trackers fault while up). */
function healthy(tracker: { reverse: boolean }): boolean {
  return !tracker.reverse;
}

/** Brings the scenario's router to `target` the way an engine would; may stop short (an owner will not back up). */
function drive(random: Random, scenario: Scenario, target: RouterState, counter: { inputs: number }): string | undefined {
  const { router, config } = scenario;
  const faultTrackers = config.trackers.filter((tracker) => tracker.weight === 0);
  const heal = (): string | undefined => {
    for (const tracker of faultTrackers) {
      const problem = control(scenario, { type: 'tracker', name: tracker.name, passed: healthy(tracker) }, counter);
      if (problem) return problem;
    }
    return control(scenario, { type: 'link', up: true }, counter);
  };
  const toBackup = (): string | undefined => {
    if (router.state === 'fault') return heal();
    if (router.state === 'master') {
      const problem = control(scenario, { type: 'stop' }, counter);
      if (problem) return problem;
    }
    if (router.state === 'initialize') {
      const problem = control(scenario, { type: 'start' }, counter) ?? heal();
      if (problem) return problem;
    }
    return undefined;
  };
  switch (target) {
    case 'initialize':
      return router.state === 'initialize' ? undefined : control(scenario, { type: 'stop' }, counter);
    case 'backup':
      return toBackup();
    case 'master': {
      const problem = toBackup();
      if (problem || router.state !== 'backup') return problem;
      scenario.nowMs = Math.max(scenario.nowMs, router.nextDeadline()!);
      return control(scenario, { type: 'timeout' }, counter);
    }
    case 'fault': {
      if (router.state === 'initialize') {
        const problem = toBackup();
        if (problem) return problem;
      }
      if (router.state === 'fault') return undefined;
      const tracker = faultTrackers.length > 0 && random.chance(0.5) ? random.pick(faultTrackers) : undefined;
      return tracker
        ? control(scenario, { type: 'tracker', name: tracker.name, passed: !healthy(tracker) }, counter)
        : control(scenario, { type: 'link', up: false }, counter);
    }
  }
}

// ── checks ─────────────────────────────────────────────────────────────────────────────────────────────────────

function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** The transitions in `actions` chain from `from` to `to`, or there are none and the state did not move. */
function checkTransitions(from: RouterState, to: RouterState, actions: readonly RouterAction[]): string | undefined {
  let state = from;
  for (const action of actions) {
    if (action.type !== 'transition') continue;
    if (action.from !== state) return `transition from ${action.from} while in ${state}`;
    state = action.to;
  }
  return state === to ? undefined : `actions end in ${state} but the router is in ${to}`;
}

function checkRouter(scenario: Scenario): string | undefined {
  const { router, config, nowMs } = scenario;
  const { state, priority, masterAdverIntervalMs } = router;
  if (!ROUTER_STATES.includes(state)) return `unknown state ${String(state)}`;
  const deadline = router.nextDeadline();
  const timed = state === 'backup' || state === 'master';
  if (timed !== (deadline !== undefined)) return `state ${state} with deadline ${String(deadline)}`;
  if (deadline !== undefined && !(Number.isFinite(deadline) && deadline >= nowMs)) return `deadline ${deadline} before now ${nowMs}`;
  if (!Number.isInteger(priority) || priority < 1 || priority > 255) return `effective priority ${priority}`;
  const intervalOk =
    config.version === 2
      ? masterAdverIntervalMs === config.advertIntervalMs
      : Number.isInteger(masterAdverIntervalMs / 10) && masterAdverIntervalMs >= 10 && masterAdverIntervalMs <= 40_950;
  if (!intervalOk) return `masterAdverIntervalMs ${masterAdverIntervalMs}`;
  return undefined;
}

/** The packet ended where `expectedOutcome` says, and the counters and actions agree with that. */
function checkPacket(
  scenario: Scenario,
  input: PacketInput,
  decoded: DecodeResult,
  stateBefore: RouterState,
  before: VrrpStats,
  after: VrrpStats,
  actions: readonly RouterAction[],
): { outcome: RouterOutcome } | { problem: string } {
  const { config, router } = scenario;
  const expected = expectedOutcome(config, scenario.multicast, stateBefore, input, decoded);

  const grown = DROP_COUNTERS.filter((counter) => after[counter] !== before[counter]);
  const acceptedDelta = after.advertisementsReceived - before.advertisementsReceived;
  if (grown.some((counter) => after[counter] - before[counter] !== 1)) return { problem: `a drop counter grew by more than 1: ${grown.join(', ')}` };
  let actual: RouterOutcome | 'ignored' | undefined;
  if (acceptedDelta === 0 && grown.length === 0) actual = 'ignored';
  else if (acceptedDelta === 0 && grown.length === 1) actual = grown[0]!;
  else if (acceptedDelta === 1 && grown.length === 0) actual = 'accepted';
  else if (acceptedDelta === 1 && grown.length === 1 && grown[0] === 'addressListErrors') actual = 'owner-list';
  if (actual === undefined) return { problem: `accepted +${acceptedDelta} and drop counters ${grown.join(', ') || 'none'} grew` };
  const matches = actual === expected || (actual === 'ignored' && (expected === 'not-listening' || expected === 'own-address'));
  if (!matches) return { problem: `expected ${expected}, the router's counters say ${actual}` };

  // protocolError: one for a reported drop, none otherwise, its code naming the counter that moved.
  const errors = actions.filter((action) => action.type === 'protocolError');
  const reported = expected !== 'accepted' && expected !== 'owner-list' && expected !== 'vridErrors' && expected !== 'not-listening' && expected !== 'own-address';
  if (errors.length !== (reported ? 1 : 0)) return { problem: `${errors.length} protocolError actions for ${expected}` };
  const error = errors[0];
  if (error && (COUNTER_OF_CODE[error.code] !== expected || error.src !== input.src)) {
    return { problem: `protocolError ${error.code} from ${error.src} for ${expected}` };
  }
  // A dropped or ignored packet does nothing else.
  if (expected !== 'accepted' && expected !== 'owner-list' && actions.length !== errors.length) {
    return { problem: `a ${expected} packet produced ${actions.map((action) => action.type).join(', ')}` };
  }

  // The other counters move with the actions.
  const sends = actions.filter((action) => action.type === 'send');
  if (after.advertisementsSent - before.advertisementsSent !== sends.length) return { problem: 'advertisementsSent does not match the sends' };
  const zeroSends = sends.filter((send) => send.advertisement.priority === 0).length;
  if (after.priorityZeroSent - before.priorityZeroSent !== zeroSends) return { problem: 'priorityZeroSent does not match the sends' };
  const zeroReceived = decoded.ok && decoded.advertisement.priority === 0 && (expected === 'accepted' || expected === 'owner-list') ? 1 : 0;
  if (after.priorityZeroReceived - before.priorityZeroReceived !== zeroReceived) return { problem: 'priorityZeroReceived is off' };
  if (after.masterTransitions !== before.masterTransitions) return { problem: 'a packet counted a master transition' };

  // A packet never promotes and never adds VIPs: only timers do (RFC 9568 §6.4.2).
  if (actions.some((action) => action.type === 'addVips')) return { problem: 'a packet added the VIPs' };
  const transitionProblem = checkTransitions(stateBefore, router.state, actions);
  if (transitionProblem) return { problem: transitionProblem };
  if (router.state !== stateBefore && !(stateBefore === 'master' && router.state === 'backup')) {
    return { problem: `a packet moved the router from ${stateBefore} to ${router.state}` };
  }
  for (const send of sends) {
    const ours = decodeAdvertisement(send.bytes, decodeOptionsFor(config, config.primaryAddress!, send.dst));
    if (!ours.ok || ours.advertisement.priority !== send.advertisement.priority) return { problem: `a sent packet does not decode: ${JSON.stringify(ours)}` };
  }
  const routerProblem = checkRouter(scenario);
  if (routerProblem) return { problem: routerProblem };
  return { outcome: expected };
}

/** decodeAdvertisement's verdict is well formed; a success encodes again and decodes equal. */
function checkCodec(decoded: DecodeResult, options: DecodeOptions): string | undefined {
  if (!decoded.ok) {
    const { code, message } = decoded.error;
    if (!DECODE_ERROR_CODES.has(code)) return `unknown decode error code ${String(code)}`;
    if (typeof message !== 'string' || message === '') return `decode error ${code} without a message`;
    return undefined;
  }
  const advert = decoded.advertisement;
  const mode: V3Ipv4ChecksumMode = options.v3Ipv4Checksum === 'rfc9568' ? 'rfc9568' : 'pseudo-header';
  let again: Uint8Array;
  try {
    again = encodeAdvertisement(advert, { family: options.family, src: options.src, dst: options.dst, v3Ipv4Checksum: mode });
  } catch (error) {
    return `a decoded advertisement does not encode: ${describeError(error)}\n${JSON.stringify(advert)}`;
  }
  const redecoded = decodeAdvertisement(again, options);
  if (!redecoded.ok) return `a re-encoded advertisement does not decode: ${redecoded.error.code}`;
  if (!sameAdvertisement(advert, redecoded.advertisement)) {
    return `round trip changed the advertisement: ${JSON.stringify(advert)} → ${JSON.stringify(redecoded.advertisement)}`;
  }
  return undefined;
}

function sameAdvertisement(a: Advertisement, b: Advertisement): boolean {
  return (
    a.version === b.version &&
    a.vrid === b.vrid &&
    a.priority === b.priority &&
    a.advertIntervalMs === b.advertIntervalMs &&
    a.authType === b.authType &&
    a.authPassword === b.authPassword &&
    a.addresses.length === b.addresses.length &&
    a.addresses.every((address, index) => address === b.addresses[index])
  );
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

// ── the run ────────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * Runs `count` fuzz cases from `seed` and returns what they did. Throws a FuzzFailure at the first broken invariant
 * (see the file header); the same seed replays the same cases.
 */
export function runFuzz(options: FuzzOptions): FuzzReport {
  const { seed, count } = options;
  if (!Number.isSafeInteger(seed)) throw new RangeError('seed must be an integer');
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError('count must be a whole number');
  const random = new Random(seed);
  const vectors = loadVectors();
  const scenarios = SCENARIO_CONFIGS.map(({ name, config }) => createScenario(name, config, vectors));
  const report: FuzzReport = {
    seed,
    count,
    elapsedMs: 0,
    routerOutcomes: new Map(),
    codecOutcomes: new Map(),
    roundTrips: 0,
    coverage: new Map(scenarios.map((scenario) => [scenario.name, new Map(ROUTER_STATES.map((state) => [state, 0]))])),
    mutations: new Map(),
    controlInputs: 0,
  };
  const counter = { inputs: 0 };
  const started = performance.now();

  for (let caseIndex = 0; caseIndex < count; caseIndex++) {
    const scenario = random.pick(scenarios);
    const fail = (problem: string, detail = ''): never => {
      throw new FuzzFailure(seed, caseIndex, problem, `scenario: ${scenario.name}, router ${scenario.router.state} at ${scenario.nowMs} ms\n${detail}`);
    };

    // Now and then, take the router somewhere else; always let its clock run and its timer fire, as an engine does.
    if (caseIndex === 0 || random.chance(1 / 8)) {
      const target = random.pick(TARGET_STATES);
      const problem = drive(random, scenario, target, counter);
      if (problem) fail(`driving to ${target}: ${problem}`);
    }
    if (random.chance(0.03) && scenario.config.trackers.length > 0) {
      const tracker = random.pick(scenario.config.trackers);
      const problem = control(scenario, { type: 'tracker', name: tracker.name, passed: random.chance(0.5) }, counter);
      if (problem) fail(`tracker ${tracker.name}: ${problem}`);
    }
    scenario.nowMs += random.chance(0.02) ? random.int(5000) : random.int(40);
    const deadline = scenario.router.nextDeadline();
    if (deadline !== undefined && scenario.nowMs >= deadline) {
      const problem = control(scenario, { type: 'timeout' }, counter);
      if (problem) fail(`timeout: ${problem}`);
    }

    const draft = nextPacket(random, scenario, vectors, report.mutations);
    const input: PacketInput = { type: 'packet', bytes: draft.bytes, src: draft.src, dst: draft.dst, ttl: draft.ttl };
    const detail = (): string =>
      `packet: ${hex(draft.bytes)} (${draft.bytes.length} bytes) src ${JSON.stringify(draft.src)} dst ${JSON.stringify(draft.dst)} ttl ${draft.ttl}\n` +
      `made by: ${draft.applied.join(', ')}`;

    // The codec, in the context the router will decode in.
    const decodeOptions = decodeOptionsFor(scenario.config, input.src, input.dst);
    let decoded: DecodeResult;
    try {
      decoded = decodeAdvertisement(input.bytes, decodeOptions);
    } catch (error) {
      return fail(`decodeAdvertisement threw: ${describeError(error)}`, detail());
    }
    const codecProblem = checkCodec(decoded, decodeOptions);
    if (codecProblem) fail(codecProblem, detail());
    const codecOutcome = decoded.ok ? 'ok' : decoded.error.code;
    report.codecOutcomes.set(codecOutcome, (report.codecOutcomes.get(codecOutcome) ?? 0) + 1);
    if (decoded.ok) report.roundTrips++;

    // The router.
    const { router } = scenario;
    const stateBefore = router.state;
    const coverage = report.coverage.get(scenario.name)!;
    coverage.set(stateBefore, coverage.get(stateBefore)! + 1);
    const before = router.stats;
    let actions: readonly RouterAction[];
    try {
      actions = router.handle(input, scenario.nowMs);
    } catch (error) {
      return fail(`VirtualRouter.handle threw: ${describeError(error)}`, detail());
    }
    const verdict = checkPacket(scenario, input, decoded, stateBefore, before, router.stats, actions);
    if ('problem' in verdict) {
      fail(verdict.problem, `${detail()}\ndecoded: ${JSON.stringify(decoded)}\nactions: ${actions.map((action) => action.type).join(', ') || 'none'}`);
    } else {
      report.routerOutcomes.set(verdict.outcome, (report.routerOutcomes.get(verdict.outcome) ?? 0) + 1);
    }
  }

  report.controlInputs = counter.inputs;
  report.elapsedMs = performance.now() - started;
  return report;
}

// ── the report ─────────────────────────────────────────────────────────────────────────────────────────────────

const OUTCOME_LABELS: Record<RouterOutcome, string> = {
  accepted: 'accepted (advertisementsReceived)',
  'owner-list': "accepted, owner's list differs (+ addressListErrors)",
  ipTtlErrors: 'ipTtlErrors',
  invalidTypeErrors: 'invalidTypeErrors',
  versionErrors: 'versionErrors',
  checksumErrors: 'checksumErrors',
  vridErrors: 'vridErrors',
  packetLengthErrors: 'packetLengthErrors',
  advIntervalErrors: 'advIntervalErrors',
  addressListErrors: 'addressListErrors',
  invalidAuthTypeErrors: 'invalidAuthTypeErrors',
  authTypeMismatchErrors: 'authTypeMismatchErrors',
  authFailures: 'authFailures',
  'not-listening': 'not listening (initialize, fault)',
  'own-address': 'ignored: our own source address',
};

function table(title: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [title, ...rows.map((row) => row.map(String))];
  const widths = title.map((_, column) => Math.max(...cells.map((row) => row[column]?.length ?? 0)));
  return cells
    .map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  '))
    .join('\n');
}

function percent(part: number, whole: number): string {
  return whole === 0 ? '-' : `${((100 * part) / whole).toFixed(2)} %`;
}

/** The report as text: seed, count, time, then where the packets ended, the codec's verdicts and the coverage. */
export function formatReport(report: FuzzReport): string {
  const { seed, count, elapsedMs } = report;
  const rate = elapsedMs > 0 ? Math.round((count / elapsedMs) * 1000) : 0;
  const outcomeRows = (Object.keys(OUTCOME_LABELS) as RouterOutcome[]).map((outcome) => {
    const n = report.routerOutcomes.get(outcome) ?? 0;
    return [OUTCOME_LABELS[outcome], n, percent(n, count)];
  });
  const codecKeys: ('ok' | DecodeErrorCode)[] = ['ok', 'length', 'version', 'type', 'checksum', 'vrid', 'address-count', 'auth-type', 'interval', 'family'];
  const codecRows = codecKeys.map((key) => {
    const n = report.codecOutcomes.get(key) ?? 0;
    return [key, n, percent(n, count)];
  });
  const coverageRows = [...report.coverage].map(([name, states]) => [name, ...ROUTER_STATES.map((state) => states.get(state) ?? 0)]);
  const mutationRows = [...report.mutations].sort((a, b) => b[1] - a[1]).map(([name, n]) => `${name} ${n}`);
  return [
    `seed ${seed}, ${count} packets, ${(elapsedMs / 1000).toFixed(1)} s (${rate} packets/s), ${report.controlInputs} control inputs`,
    `replay: npm run fuzz -- --seed ${seed} --count ${count}`,
    '',
    table(['router: where each packet ended', 'packets', 'share'], [...outcomeRows, ['total', count, '']]),
    '',
    table(['codec: decodeAdvertisement', 'packets', 'share'], codecRows),
    `decoded, re-encoded and decoded equal: ${report.roundTrips} of ${report.codecOutcomes.get('ok') ?? 0}`,
    '',
    table(['packets per scenario and state', ...ROUTER_STATES], coverageRows),
    '',
    `mutations applied: ${mutationRows.join(', ')}`,
  ].join('\n');
}
