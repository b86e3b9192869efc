/**
 * What `instance.status()`, `group.status()` and `vrrp status` report: one JSON-serialisable snapshot of an
 * instance — state and since when, term, effective priority and its parts, the master as heard, the timers, the
 * VIPs and their leases, the virtual routes and rules, the engine thread's lag, and the counters under their RFC
 * 6527 (VRRPv3 MIB) names.
 *
 * Rules:
 * - Plain data only: strings, finite numbers, booleans, arrays, objects and `null` for "none" (never `undefined`,
 *   `NaN` or `Infinity`, which JSON would drop or turn into null): `JSON.parse(JSON.stringify(status))` equals it.
 * - Synchronous: built from what the app's thread already has — the instance's own record of events, and the
 *   engine's shared buffer (src/engine/engine.ts, "runtime"), which the engine thread rewrites with its counters,
 *   so that a status costs no message to the engine thread and no wait. Figures that only the engine thread knows
 *   (the next timer, the VIP leases, its lag) are therefore as of its last step, at most ~100 ms old (the
 *   counters' refresh rate, `vrrpv3StatisticsRefreshRate`).
 * - Counter names: RFC 6527's where it has the object, RFC 2787's (VRRPv2 MIB) for the v2 authentication counters
 *   v3 has none of, ours for the rest (see {@link STATUS_COUNTER_NAMES}).
 */
import type { SharedSocketStats } from './adapters/types.js';
import type { GroupState } from './group.js';
import type { TrackerStatus } from './core/priority.js';
import type { ProtocolErrorCode, RouterState, TransitionReason } from './core/router.js';
import type { AddressFamily, VrrpVersion } from './core/advertisement.js';
import type { TrackerType } from './config.js';

/** One tracker's part in the effective priority. */
export interface TrackerStatusEntry {
  /** The tracker's name. */
  name: string;
  /** The tracker's type. */
  type: TrackerType;
  /** `unknown` until its first result, then `up` or `down` (after `fall` / `rise`). */
  status: TrackerStatus;
  /** Its configured weight (0: fault while down). */
  weight: number;
  /** Whether its sign is flipped (keepalived's `reverse`). */
  reverse: boolean;
  /** What it adds to the base priority now, in priority points (0 while unknown, and for weight 0). */
  contribution: number;
  /** Whether it puts the instance in fault now (a weight-0 tracker down, a `file` tracker faulting). */
  faults: boolean;
  /** A `file` tracker's latest healthy value; null for other trackers or before a reading. */
  value: number | null;
  /**
   * The reason given by its latest result (`exit code 1: …`, `ECONNREFUSED`); null before one, and for
   * `eventLoopLag` trackers, which the engine runs.
   */
  reason: string | null;
}

/** The master as heard. */
export interface MasterStatus {
  /** Its primary address. */
  address: string;
  /** The priority it advertises. */
  priority: number;
  /** The advertisement interval it advertises, in ms. */
  advertIntervalMs: number;
  /** Whether it is this instance. */
  self: boolean;
}

/** The RFC's timers, in ms. */
export interface TimerStatus {
  /** Our Advertisement_Interval. */
  advertIntervalMs: number;
  /** Master_Adver_Interval: ours in Master, the master's (v3) in Backup. */
  masterAdverIntervalMs: number;
  /** Skew_Time at our effective priority. */
  skewTimeMs: number;
  /** Master_Down_Interval: 3 × Master_Adver_Interval + Skew_Time. */
  masterDownIntervalMs: number;
  /** keepalived's `preempt_delay` as configured. */
  preemptDelayMs: number;
  /**
   * The timer that runs now — the Adver_Timer in Master, the Master_Down_Timer in Backup — and how long until it
   * fires (as of the engine's last step, see the file header); null when none runs (initialize, fault).
   */
  next: {
    /** Which of the two runs. */
    timer: 'Adver_Timer' | 'Master_Down_Timer';
    /** Time left until it fires, in ms. */
    inMs: number;
    /**
     * Whether the Linux transport absorbs the master's repeated adverts below JavaScript now: they reach the core in
     * a batch about once a second (docs/linux.md, "Silence watch"), when a live master's move it on. Until then
     * `inMs` is the timer as the core last set it: a lower bound that may read 0 on a healthy backup, not an alarm.
     */
    repeatsAbsorbed: boolean;
  } | null;
}

/** One virtual address. */
export interface VipStatus {
  /** The address, canonical. */
  address: string;
  /** Its prefix length. */
  prefixLength: number;
  /** The interface it goes on: the instance's, or its own `dev`. */
  interface: string;
  /** Listed in the advertisements (`virtualAddresses`), or held without (`excludedAddresses`). */
  advertised: boolean;
  /** Whether this instance holds it now (it is master: the addresses are up). */
  held: boolean;
  /** The configured lease (`vipLeaseMs`, 0: none) on the Linux adapters; null with adapters of the app's own. */
  leaseMs: number | null;
  /**
   * How long until the kernel removes it unless the lease is renewed (renewed every third of the lease while
   * held), as of the engine's last step; null when not held, not leased, or the VIP manager does not tell.
   */
  leaseRemainingMs: number | null;
}

/** One virtual route or rule (`virtualRoutes`, `virtualRules`). */
export interface RoutingStatus {
  /** As `ip route` / `ip rule` would write it (the rule with its `pref`). */
  text: string;
  /**
   * Whether this instance has it installed now: master, and its latest installation succeeded (a failure is reported
   * as `route_failed`), as of the engine's last word; one deleted behind our back is put back at once.
   */
  held: boolean;
}

/** The engine: where it runs and how late its timers fire. */
export interface EngineStatus {
  /** `worker`: the process's engine thread (the Linux adapters); `main`: the app's thread (adapters given). */
  thread: 'worker' | 'main';
  /** How late the engine's latest timer fired, in ms: the engine thread's lag as its protocol feels it. */
  timerLateMs: number;
  /** The latest timer lateness at its worst since start, in ms. */
  timerLateMaxMs: number;
  /**
   * The receive socket this instance shares with the process's other instances on its interface and family (the
   * Linux adapters: one per thread), counted since that socket opened: what it read, and what it dropped before any
   * instance saw it (malformed, another VRID, receive errors). null: not running, or a transport without one.
   */
  socket: SharedSocketStats | null;
  /** The interface that socket is on: the instance's, or its VMAC when the adverts go from it; null with no socket. */
  socketInterface: string | null;
}

/** The most recent dropped packet. */
export interface ProtocolErrorStatus {
  /** Why it was dropped. */
  code: ProtocolErrorCode;
  /** Detail in words. */
  message: string;
  /** Its sender. */
  src: string;
  /** When, ISO 8601. */
  at: string;
}

/** RFC 6527's `vrrpv3StatisticsNewMasterReason`. */
export type NewMasterReason = 'notMaster' | 'priority' | 'preempted' | 'masterNoResponse';

/** RFC 6527's `vrrpv3StatisticsProtoErrReason`. */
export type ProtoErrReason = 'noError' | 'ipTtlError' | 'versionError' | 'checksumError' | 'vrIdError';

/**
 * Counters since the last start, by their MIB names (RFC 6527 `vrrpv3StatisticsTable` and `vrrpv3Statistics`;
 * RFC 2787 for v2 authentication), then ours.
 */
export interface StatusCounters {
  /** Times this instance became master. */
  vrrpv3StatisticsMasterTransitions: number;
  /** Why it last became master: `priority` (the address owner), `masterNoResponse` (its Master_Down_Timer ran out). */
  vrrpv3StatisticsNewMasterReason: NewMasterReason;
  /** Well-formed advertisements received. */
  vrrpv3StatisticsRcvdAdvertisements: number;
  /** Dropped: advertisement interval not ours (v2). */
  vrrpv3StatisticsAdvIntervalErrors: number;
  /** Dropped: TTL / hop limit not 255. */
  vrrpv3StatisticsIpTtlErrors: number;
  /** The reason of the latest protocol error of RFC 6527's kinds; `noError` while there was none. */
  vrrpv3StatisticsProtoErrReason: ProtoErrReason;
  /** Received with priority 0 (a master resigning). */
  vrrpv3StatisticsRcvdPriZeroPackets: number;
  /** Sent with priority 0. */
  vrrpv3StatisticsSentPriZeroPackets: number;
  /** Dropped: type field not 1. */
  vrrpv3StatisticsRcvdInvalidTypePackets: number;
  /** Dropped: address list not ours. */
  vrrpv3StatisticsAddressListErrors: number;
  /** Dropped: length inconsistent. */
  vrrpv3StatisticsPacketLengthErrors: number;
  /** When the counters started (the last `start()`), ISO 8601; null before a start. */
  vrrpv3StatisticsRowDiscontinuityTime: string | null;
  /** How often the counters are refreshed, in ms (0: read live). */
  vrrpv3StatisticsRefreshRate: number;
  /** Dropped: checksum wrong. */
  vrrpv3RouterChecksumErrors: number;
  /** Dropped: version not ours. */
  vrrpv3RouterVersionErrors: number;
  /** Not ours: another VRID (normal on a shared LAN). */
  vrrpv3RouterVrIdErrors: number;
  /** Dropped: v2 authentication type unknown (RFC 2787). */
  vrrpStatsInvalidAuthType: number;
  /** Dropped: v2 authentication type not ours (RFC 2787). */
  vrrpStatsAuthTypeMismatch: number;
  /** Dropped: v2 password wrong (RFC 2787). */
  vrrpStatsAuthFailures: number;
  /** Advertisements sent, one per destination (no MIB object). */
  advertisementsSent: number;
  /** Sends that failed. */
  sendErrors: number;
  /** VIP add / remove / announce calls that failed. */
  vipErrors: number;
  /** Hooks that threw or timed out. */
  hookErrors: number;
  /** `whileMaster` runs that failed or outlived their abort. */
  whileMasterErrors: number;
  /** Counters added since, under their `instance.stats` names. */
  [counter: string]: number | string | null;
}

/** The counters of `instance.stats` and the name each has in {@link StatusCounters}. */
export const STATUS_COUNTER_NAMES = {
  /** Times this router entered Master. */
  masterTransitions: 'vrrpv3StatisticsMasterTransitions',
  /** Well-formed advertisements accepted for processing. */
  advertisementsReceived: 'vrrpv3StatisticsRcvdAdvertisements',
  /** Dropped: a v2 advertisement interval other than ours. */
  advIntervalErrors: 'vrrpv3StatisticsAdvIntervalErrors',
  /** Dropped: TTL / hop limit not 255. */
  ipTtlErrors: 'vrrpv3StatisticsIpTtlErrors',
  /** Accepted advertisements carrying priority 0. */
  priorityZeroReceived: 'vrrpv3StatisticsRcvdPriZeroPackets',
  /** Priority-0 advertisements this router sent. */
  priorityZeroSent: 'vrrpv3StatisticsSentPriZeroPackets',
  /** Dropped: type field not 1. */
  invalidTypeErrors: 'vrrpv3StatisticsRcvdInvalidTypePackets',
  /** Dropped: a virtual address list other than ours, from a sender that is not the owner. */
  addressListErrors: 'vrrpv3StatisticsAddressListErrors',
  /** Dropped: length inconsistent with the address count. */
  packetLengthErrors: 'vrrpv3StatisticsPacketLengthErrors',
  /** Dropped: checksum wrong. */
  checksumErrors: 'vrrpv3RouterChecksumErrors',
  /** Dropped: a version other than ours. */
  versionErrors: 'vrrpv3RouterVersionErrors',
  /** Not for us: another VRID on the segment. */
  vridErrors: 'vrrpv3RouterVrIdErrors',
  /** Dropped: v2 authentication type unknown (RFC 2787). */
  invalidAuthTypeErrors: 'vrrpStatsInvalidAuthType',
  /** Dropped: v2 authentication type other than ours (RFC 2787). */
  authTypeMismatchErrors: 'vrrpStatsAuthTypeMismatch',
  /** Dropped: v2 password wrong (RFC 2787). */
  authFailures: 'vrrpStatsAuthFailures',
  /** Advertisements this router sent, one per destination (no RFC name). */
  advertisementsSent: 'advertisementsSent',
  /** Sends that failed (no RFC name). */
  sendErrors: 'sendErrors',
  /** VIP add / remove / announce calls that failed (no RFC name). */
  vipErrors: 'vipErrors',
  /** Hooks that threw or timed out (no RFC name). */
  hookErrors: 'hookErrors',
  /** `whileMaster` runs that failed or outlived their abort (no RFC name). */
  whileMasterErrors: 'whileMasterErrors',
} as const satisfies Record<string, keyof StatusCounters>;

/** A snapshot of one instance: see {@link VrrpInstance.status}. */
export interface VrrpStatus {
  /** The instance's name. */
  name: string;
  /** Its VRID. */
  vrid: number;
  /** VRRP version. */
  version: VrrpVersion;
  /** Address family. */
  family: AddressFamily;
  /** Its interface. */
  interface: string;
  /** Whether `start()` has run and `stop()` has not. */
  running: boolean;
  /** The state now (`master` only once the VIPs are up). */
  state: RouterState;
  /** When it entered this state, ISO 8601 (as the app's thread applied the transition). */
  since: string;
  /** How long it has been in this state, in ms, by the instance's clock. */
  inStateMs: number;
  /** Why it entered this state; null before its first transition. */
  reason: TransitionReason | null;
  /** Masterships of this instance so far (see `instance.term`). */
  term: number;
  /** The effective priority and its parts. */
  priority: {
    /** Effective priority: base plus the trackers' contributions, clamped to 1…254 (255 for the owner). */
    effective: number;
    /** Configured priority. */
    base: number;
    /** Each tracker's part, in config order. */
    trackers: TrackerStatusEntry[];
    /** In a sync group: whether the group holds this instance in fault (another member is faulty); else null. */
    heldByGroup: boolean | null;
  };
  /** The master as heard (ourselves while master); null when unknown. */
  master: MasterStatus | null;
  /** The timers. */
  timers: TimerStatus;
  /** The addresses a master holds, in config order: `virtualAddresses`, then `excludedAddresses`. */
  vips: VipStatus[];
  /** The virtual routes (`virtualRoutes`), in config order. */
  routes: RoutingStatus[];
  /** The virtual rules (`virtualRules`), in config order. */
  rules: RoutingStatus[];
  /** The engine. */
  engine: EngineStatus;
  /** Counters since the last start. */
  counters: StatusCounters;
  /** The latest dropped packet since start; null when none was. */
  lastProtocolError: ProtocolErrorStatus | null;
}

/** A snapshot of a sync group: see {@link VrrpGroup.status}. */
export interface VrrpGroupStatus {
  /** The group's name. */
  name: string;
  /** The group's state. */
  state: GroupState;
  /** When it entered it, ISO 8601. */
  since: string;
  /** Members the group holds in fault now (another member is faulty). */
  holding: string[];
  /** Each member's status, in the order given. */
  members: VrrpStatus[];
}

/** RFC 6527's reason for a protocol error code, when it has one. */
export function protoErrReason(code: ProtocolErrorCode): ProtoErrReason | undefined {
  switch (code) {
    case 'ttl':
      return 'ipTtlError';
    case 'version':
      return 'versionError';
    case 'checksum':
      return 'checksumError';
    case 'vrid':
      return 'vrIdError';
    default:
      return undefined;
  }
}

/**
 * RFC 6527's reason for becoming master. The address owner takes over by priority; any other router becomes master
 * when its Master_Down_Timer runs out. (`preempted` is not told apart: a backup that outranks the master waits out
 * that timer while ignoring the lower-priority adverts, so its takeover looks the same.)
 */
export function newMasterReason(reason: TransitionReason, basePriority: number): NewMasterReason {
  return reason === 'startup-owner' || basePriority === 255 ? 'priority' : 'masterNoResponse';
}

/**
 * Builds {@link StatusCounters} from an instance's counters: each under its MIB name from
 * {@link STATUS_COUNTER_NAMES}, a counter that has none under its own.
 */
export function statusCounters(
  stats: Readonly<Record<string, number>>,
  extra: Pick<StatusCounters, 'vrrpv3StatisticsNewMasterReason' | 'vrrpv3StatisticsProtoErrReason' | 'vrrpv3StatisticsRowDiscontinuityTime' | 'vrrpv3StatisticsRefreshRate'>,
): StatusCounters {
  const names: Readonly<Record<string, string>> = STATUS_COUNTER_NAMES;
  const counters: Record<string, number | string | null> = {};
  for (const [ours, mib] of Object.entries(names)) counters[mib] = stats[ours] ?? 0;
  for (const [ours, value] of Object.entries(stats)) if (!(ours in names)) counters[ours] = value;
  return { ...counters, ...extra } as StatusCounters;
}
