/**
 * The engine: the pure core wired to the adapters — transport, timer, VIP changes, link events. It is the part
 * whose timing matters. With the default Linux adapters it runs on the engine thread (./worker.ts), one per
 * process, so an app that blocks its main thread cannot delay an advertisement; with custom adapters (and in
 * `SimNetwork`) it runs on the app's thread. Either way it:
 * - talks to its owner only through {@link EngineCommand}s (tracker results) and {@link EngineEvent}s, which are
 *   plain data (structured-clone safe: no functions; an error's `cause` is an Error, which structured clone
 *   carries across threads);
 * - knows nothing of hooks, trackers' check functions or event listeners, which stay with the app.
 *
 * Theory of operation (docs/architecture.md, "The run loop"): one private step function reads the clock, hands the
 * input to the core, queues the actions it returns on one serial queue (so VIP work never interleaves) and re-arms
 * exactly one timer at `nextDeadline()`. A transition is reported only after the actions before it were applied.
 */
import type { Adapters, CounterTally, ReceivedPacket, SharedSocketStats, VmacRequest } from '../adapters/types.js';
import type { ResolvedConfig, VirtualAddress, VirtualRoute, VirtualRule } from '../config.js';
import { VRRP_MULTICAST_GROUP } from '../core/advertisement.js';
import { effectivePriority, type TrackerState, type TrackerStatus } from '../core/priority.js';
import {
  VirtualRouter,
  type MasterInfo,
  type ProtocolErrorCode,
  type RouterAction,
  type RouterConfig,
  type RouterInput,
  type RouterState,
  type ResumeState,
  type TransitionReason,
} from '../core/router.js';
import { createStats, type VrrpStats } from '../core/stats.js';
import { masterDownIntervalMs, skewTimeMs } from '../core/timers.js';
import { VrrpError, type VrrpErrorCode } from '../errors.js';
import { abandonHandOff, syncGroupLink, type SyncGroupLink, type SyncMember } from './sync-group.js';
import { advertReceivedChannel, advertSentChannel, type AdvertChannelMessage, type ChannelInstance } from '../diagnostics.js';
import { decodeAdvertisement } from '../core/codec.js';
import type { Advertisement } from '../core/advertisement.js';


/** What the engine reports, as plain data. */
export type EngineEvent =
  /** `master`: the master as known in `to` (see the core's transition action); absent: unknown. */
  | { type: 'transition'; from: RouterState; to: RouterState; reason: TransitionReason; peer?: string; master?: MasterInfo }
  | { type: 'priorityChange'; from: number; to: number }
  | { type: 'protocolError'; code: ProtocolErrorCode; message: string; src: string }
  /** The master as heard changed between transitions; absent: unknown. */
  | { type: 'masterChange'; master?: MasterInfo }
  /** A master heard a master it outranks (a healed split brain), once per episode. */
  | { type: 'lowerMasterHeard'; src: string; priority: number; advertIntervalMs: number }
  /** The virtual addresses were added (`add`) or removed (`remove`): for logs, the `vrrp:vip` channel, metrics. */
  | { type: 'vips'; action: 'add' | 'remove'; addresses: string[] }
  /** The VMAC the engine made or took (its name), or deleted (undefined): where the own addresses are. */
  | { type: 'vmac'; name: string | undefined }
  | { type: 'error'; code: VrrpErrorCode; message: string; cause?: unknown };

/**
 * The config an engine runs: the instance's, plus `syncGroupId` for a member of a sync group (set by
 * src/sync-hold.ts; plain data, so it crosses to the engine thread with the rest).
 */
export type EngineConfig = ResolvedConfig & { syncGroupId?: string };

/**
 * What a Master's engine that a new configuration replaces leaves up for the next one (docs/architecture.md,
 * "Reconfiguring a running instance"): the held addresses, virtual routes and rules of the new configuration that
 * the old one had too, field for field. Plain data.
 */
export interface HandoverKept {
  /** Held addresses (virtual and excluded) of both configurations. */
  addresses: readonly VirtualAddress[];
  /** Virtual routes of both. */
  routes: readonly VirtualRoute[];
  /** Virtual rules of both. */
  rules: readonly VirtualRule[];
}

/** How an engine starts in place of the one a new configuration replaced (see {@link Engine.start}). */
export interface EngineResume extends ResumeState {
  /** What the engine before left up as Master, now this one's; absent when it was not Master. */
  kept?: HandoverKept;
  /** The VMAC the engine before held (its name), which this one takes — or deletes, if its start fails. */
  vmac?: string;
}

/** A key that two configurations' addresses, routes or rules share only when every field is the same. */
function handoverKey(item: VirtualAddress | VirtualRoute | VirtualRule): string {
  return JSON.stringify(item);
}

/** What of `before`'s held addresses, routes and rules `after` has too, exactly: what a handover keeps up. */
export function handoverKept(before: ResolvedConfig, after: ResolvedConfig): HandoverKept {
  const kept = <T extends VirtualAddress | VirtualRoute | VirtualRule>(old: readonly T[], next: readonly T[]): T[] => {
    const keys = new Set(old.map(handoverKey));
    return next.filter((item) => keys.has(handoverKey(item)));
  };
  return { addresses: kept(before.heldAddresses, after.heldAddresses), routes: kept(before.virtualRoutes, after.virtualRoutes), rules: kept(before.virtualRules, after.virtualRules) };
}

/** The key a sync group member's place is handed off under (see SyncGroupLink.handOff): its virtual router. */
export function syncPlaceKey(config: Pick<ResolvedConfig, 'interface' | 'family' | 'vrid'>): string {
  return `${config.interface} ${config.family} ${config.vrid}`;
}

/** What the engine accepts from its owner besides start/stop, as plain data. */
export type EngineCommand = {
  /** A tracker's result, checked on the owner's thread. */
  type: 'tracker';
  /** The tracker's name. */
  name: string;
  /** Whether the check passed. */
  passed: boolean;
  /** A valued tracker's number (keepalived's track_file), when it reports one. */
  value?: number;
};

/** Engine-side counters: the core's plus I/O failures. */
export interface EngineStats extends VrrpStats {
  /** Sends that failed. */
  sendErrors: number;
  /** VIP add/remove/announce calls that failed. */
  vipErrors: number;
  /** Virtual addresses added or removed (each address counts once per add or remove). */
  vipChanges: number;
  /** Master_Down_Timer expiries that made this router master (a backup that stopped hearing its master). */
  masterDownExpirations: number;
}

/** The counters of {@link EngineStats}, in the order a stats sink holds them. */
export const ENGINE_STATS_KEYS: readonly (keyof EngineStats)[] = [
  ...(Object.keys(createStats()) as (keyof VrrpStats)[]),
  'sendErrors',
  'vipErrors',
  'vipChanges',
  'masterDownExpirations',
];

/**
 * Writes the counters into `sink` in {@link ENGINE_STATS_KEYS} order. Field by field, not a loop over the key
 * names: this runs after every step of every instance (a master's every advert), and a load by a name that varies
 * is a megamorphic lookup in V8, a miss for each of the four I/O counters — 9 % of the engine thread at 50 masters
 * (perf, docs/linux.md). A test holds the order to the key list.
 */
export function writeCounters(
  sink: Float64Array,
  router: Pick<VirtualRouter, 'statsView'>,
  io: Pick<EngineStats, 'sendErrors' | 'vipErrors' | 'vipChanges' | 'masterDownExpirations'>,
  tallied: TalliedCounters = NO_TALLIES,
): void {
  const core = router.statsView;
  sink[0] = core.masterTransitions;
  // A counter the transport tallies is its to write (see Engine#lend); once back, it holds what the transport
  // counted beyond the core (`extra`), so that it never goes back.
  if ((tallied.lent & TALLY_RECEIVED) === 0) sink[RECEIVED_AT] = core.advertisementsReceived + tallied.receivedExtra;
  if ((tallied.lent & TALLY_SENT) === 0) sink[SENT_AT] = core.advertisementsSent + tallied.sentExtra;
  sink[3] = core.priorityZeroReceived;
  sink[4] = core.priorityZeroSent;
  sink[5] = core.ipTtlErrors;
  sink[6] = core.invalidTypeErrors;
  sink[7] = core.versionErrors;
  sink[8] = core.checksumErrors;
  sink[9] = core.vridErrors;
  sink[10] = core.packetLengthErrors;
  sink[11] = core.advIntervalErrors;
  sink[12] = core.addressListErrors;
  sink[13] = core.invalidAuthTypeErrors;
  sink[14] = core.authTypeMismatchErrors;
  sink[15] = core.authFailures;
  sink[16] = io.sendErrors;
  sink[17] = io.vipErrors;
  sink[18] = io.vipChanges;
  sink[19] = io.masterDownExpirations;
}

/**
 * Which counters of a shared buffer a transport tallies (Transport.tallies), and what the published ones hold
 * beyond the core's count after a tally (repeats the core heard as one packet): see {@link writeCounters}.
 */
export interface TalliedCounters {
  /** TALLY_RECEIVED and / or TALLY_SENT: the transport writes them now. */
  lent: number;
  /** Adverts received beyond the core's count (repeats it heard as one), kept once the transport gave the counter back. */
  receivedExtra: number;
  /** Adverts sent beyond the core's count (the transport's repeated firings), kept likewise. */
  sentExtra: number;
}
const NO_TALLIES: TalliedCounters = Object.freeze({ lent: 0, receivedExtra: 0, sentExtra: 0 });
/** advertisementsReceived, tallied by a transport that absorbs repeats. */
const TALLY_RECEIVED = 1;
/** advertisementsSent, tallied by a transport that sends a Master's adverts on its own schedule. */
const TALLY_SENT = 2;
/** Where writeCounters puts those two ({@link ENGINE_STATS_KEYS} order). */
const RECEIVED_AT = 1;
const SENT_AT = 2;

/**
 * What an engine knows beyond its counters, for `status()`: the core's next timer and tracker states, its timers'
 * lateness, the VIPs' leases. Read in place from a local engine; from the engine thread, as of its last publish
 * into the shared buffer (after a step that did anything, at least every {@link STATS_PUBLISH_MS} otherwise).
 */
export interface EngineRuntime {
  /** How long until the core's timer fires (Adver_Timer in Master, Master_Down_Timer in Backup), in ms; undefined: none runs. */
  nextTimerInMs: number | undefined;
  /**
   * Whether the transport absorbs the master's repeated adverts now: they reach the core in batches (before its
   * Master_Down_Timer could fire), so that timer's `nextTimerInMs` is a lower bound until then.
   */
  absorbingRepeats: boolean;
  /** Master_Adver_Interval as the core holds it, in ms. */
  masterAdverIntervalMs: number;
  /** How late the engine's latest timer fired, in ms. */
  timerLateMs: number;
  /** The worst lateness since start, in ms. */
  timerLateMaxMs: number;
  /** Each VIP's remaining lease in config order, in ms; undefined: not held, not leased, or not told. */
  vipLeaseRemainingMs: (number | undefined)[];
  /** Each tracker's state as the core holds it, by name. */
  trackers: Record<string, TrackerState>;
  /** Whether the virtual routes are installed: added at the latest mastership and not removed since (none: false). */
  routesHeld: boolean;
  /** Whether the virtual rules are installed, as {@link EngineRuntime.routesHeld} says of the routes. */
  rulesHeld: boolean;
}

/** Tracker statuses as the shared buffer codes them (their index). */
const TRACKER_STATUS_CODES: readonly TrackerStatus[] = ['unknown', 'up', 'down'];

/**
 * Length of a shared buffer (in float64s) that holds an engine's counters and its runtime: the counters in
 * {@link ENGINE_STATS_KEYS} order; the publish instant, the next timer's instant (NaN: none), Master_Adver_Interval,
 * the latest and worst timer lateness, whether repeats are absorbed (1) or not (0), which of the virtual routes (1)
 * and rules (2) are installed; each VIP's lease expiry instant (NaN: none); each tracker's status code and value
 * (NaN: none). Instants are wall-clock ms.
 */
export function runtimeSinkLength(config: Pick<ResolvedConfig, 'heldAddresses' | 'trackers'>): number {
  return ENGINE_STATS_KEYS.length + 7 + config.heldAddresses.length + 2 * config.trackers.length;
}

/** Reads the runtime an engine thread published into `sink` (see {@link runtimeSinkLength}), as of now. */
export function readRuntime(sink: Float64Array, config: Pick<ResolvedConfig, 'heldAddresses' | 'trackers'>): EngineRuntime {
  const wallMs = Date.now();
  const remaining = (instant: number): number | undefined => (Number.isNaN(instant) ? undefined : Math.max(0, instant - wallMs));
  let at = ENGINE_STATS_KEYS.length + 1; // past the publish instant
  const nextTimerInMs = remaining(sink[at++] as number);
  const masterAdverIntervalMs = sink[at++] as number;
  const timerLateMs = sink[at++] as number;
  const timerLateMaxMs = sink[at++] as number;
  const absorbingRepeats = sink[at++] === 1;
  const routing = sink[at++] as number;
  const vipLeaseRemainingMs = config.heldAddresses.map(() => remaining(sink[at++] as number));
  const trackers: Record<string, TrackerState> = {};
  for (const tracker of config.trackers) {
    const code = sink[at++] as number;
    const value = sink[at++] as number;
    const status = TRACKER_STATUS_CODES[code];
    if (status === undefined) continue;
    trackers[tracker.name as string] = Number.isNaN(value) ? { status, streak: 0 } : { status, streak: 0, value };
  }
  return {
    nextTimerInMs,
    absorbingRepeats,
    masterAdverIntervalMs,
    timerLateMs,
    timerLateMaxMs,
    vipLeaseRemainingMs,
    trackers,
    routesHeld: (routing & ROUTES_HELD) !== 0,
    rulesHeld: (routing & RULES_HELD) !== 0,
  };
}

/** The held addresses that go on one interface (see {@link vipsByInterface}). */
export interface VipsOnInterface {
  /** The interface. */
  readonly iface: string;
  /** Its addresses, in config order. */
  readonly addresses: readonly VirtualAddress[];
}

/**
 * The held addresses by the interface they go on: the instance's own first (possibly none: every address has a
 * `dev`), then each other interface in the order first named. Without a `dev` (nearly always) the one entry holds
 * the configuration's own frozen list: no copy, and the VIP manager's prepared takeover is checked against it.
 */
export function vipsByInterface(config: Pick<ResolvedConfig, 'interface' | 'heldAddresses'>): readonly VipsOnInterface[] {
  if (!config.heldAddresses.some((vip) => vip.dev !== undefined)) return [{ iface: config.interface, addresses: config.heldAddresses }];
  const byInterface = new Map<string, VirtualAddress[]>([[config.interface, []]]);
  for (const vip of config.heldAddresses) {
    const iface = vip.dev ?? config.interface;
    let list = byInterface.get(iface);
    if (list === undefined) byInterface.set(iface, (list = []));
    list.push(vip);
  }
  return Object.freeze([...byInterface].map(([iface, addresses]) => Object.freeze({ iface, addresses: Object.freeze(addresses) })));
}

/** An announcement that failed once the addresses were up: the mastership stands (see Engine.#apply). */
function isAnnounceFailure(cause: unknown): boolean {
  return cause instanceof VrrpError && cause.code === 'announce_failed';
}

/** Bits of the runtime's routing word (see {@link runtimeSinkLength}). */
const ROUTES_HELD = 1;
const RULES_HELD = 2;

/** How an engine is hosted: where it learns the main thread's lag, where it publishes its counters. */
export interface EngineOptions {
  /**
   * How long the app's main thread has not answered, in ms, for `eventLoopLag` trackers. Given on the engine thread;
   * without it (an engine on the main thread) the lag is how late the tracker's own timer fired.
   */
  mainThreadLagMs?: () => number;
  /**
   * Receives every counter of {@link EngineStats} (in {@link ENGINE_STATS_KEYS} order) after each step, and the
   * runtime after them when it is {@link runtimeSinkLength} long.
   */
  statsSink?: Float64Array;
  /**
   * Puts a Master's Adver_Timer on a grid of {@link ADVERT_GRID_DIVISOR}ths of its interval, so that the adverts of
   * many instances share the thread's wake-ups (see {@link advertDueMs}). Set on the Linux engine thread; off
   * elsewhere, where a simulation keeps the RFC's exact instants.
   */
  advertGrid?: boolean;
}

/** The core plus adapters of one instance. */
export class Engine {
  readonly #config: ResolvedConfig;
  readonly #adapters: Adapters;
  readonly #emit: (event: EngineEvent) => void;
  #router: VirtualRouter | undefined;
  /** Set by stop: the core keeps the run's counters for `stats`, but hears nothing more (a late tracker result, a link pick). */
  #stopped = false;
  #actionQueue: Promise<void> = Promise.resolve();
  /** Batches queued or running: with none, a new batch's leading sends go out at once (see #step). */
  #batchesInFlight = 0;
  #cancelTimer: (() => void) | undefined;
  /** Counts link changes, see #onLink. */
  #linkChanges = 0;
  #timerDeadline: number | undefined;
  /** When the armed timer is due: the core's deadline, or a repeat check before it (see #step). */
  #timerDueMs: number | undefined;
  /** What the armed timer is for while repeats are absorbed (TIMER_*; see #step). */
  #timerMode = TIMER_PLAIN;
  /** The armed timer is a Master's Adver_Timer put on the advert grid: its timeout is dated at its due time. */
  #timerOnGrid = false;
  /**
   * The packet whose exact repeats the transport absorbs (docs/linux.md, "Absorbed repeats"); undefined: none. Set
   * only while the core says a repeat would do nothing but restart the Master_Down_Timer (`repeatIsQuiet`).
   */
  #repeat: Extract<RouterInput, { type: 'packet' }> | undefined;
  /**
   * The transport watches the absorbed repeats for silence (Transport.watchesSilence): no timer of ours looks for
   * them; `#silent`: it said they stopped, and the precise timer is armed for the deadline (see #onSilence).
   */
  #silenceWatched = false;
  #silent = false;
  /** Inside the step that answers a silence (see #takeRepeats). */
  #answeringSilence = false;
  /**
   * The Master's routine adverts (the core's `routineSends`) that the transport sends on its own schedule
   * (Transport.repeatAdverts; docs/linux.md, "Repeated adverts"); undefined: none, the Adver_Timer is ours.
   */
  #adverts: readonly Extract<RouterAction, { type: 'send' }>[] | undefined;
  /** The transport's schedule stopped on a failed send: the adverts stay ours for the rest of this mastership. */
  #advertsRefused = false;
  /**
   * The counters the transport tallies in the stats sink now (Transport.tallies; docs/linux.md, "Tallies"): while
   * it does, no refresh timer collects its repeats or firings, and #publishStats leaves those counters and the
   * next timer's instant to it.
   */
  readonly #tallied: TalliedCounters = { lent: 0, receivedExtra: 0, sentExtra: 0 };
  /** The state the owner was last told of: a mastership whose addresses failed is never reported (see #apply). */
  #reportedState: RouterState = 'initialize';
  /** Wait before the next try after the addresses could not be added; doubles per failure (see #vipsFailed). */
  #vipRetryMs = VIP_RETRY_MIN_MS;
  #cancelVipRetry: (() => void) | undefined;
  /** Which of the virtual routes and rules are installed (ROUTES_HELD, RULES_HELD; see #changeRouting). */
  #routingHeld = 0;
  /** The routes and rules a Master's handover left up for this engine, by key, until its first routing change. */
  #keptRouting: { routes: ReadonlySet<string>; rules: ReadonlySet<string> } | undefined;
  /** The addresses a Master's handover left up for this engine, by key, until its first change of addresses. */
  #keptAddresses: ReadonlySet<string> | undefined;
  #stopLink: (() => void) | undefined;
  #io = { sendErrors: 0, vipErrors: 0, vipChanges: 0, masterDownExpirations: 0 };
  readonly #options: EngineOptions;
  /** Who we are in diagnostics-channel messages; `src` is our primary address once the transport named it. */
  readonly #channelInstance: ChannelInstance;
  #channelSrc = '';
  /** The addresses as the `vips` event names them, built once (the event follows a takeover). */
  readonly #vipAddresses: readonly string[];
  /** The held addresses that go on the instance's interface: its takeover burst is theirs. */
  readonly #vips: readonly VirtualAddress[];
  /** The held addresses on other interfaces (`dev`), by interface in the order first named; undefined: none. */
  readonly #otherVips: readonly VipsOnInterface[] | undefined;
  /**
   * The interface the instance's own addresses go on: its interface, or its VMAC once start made it (see
   * VipManager.createVmac; docs/vmac.md).
   */
  #vipIface: string;
  /** The VMAC this engine made or took at start, until a stop deletes it; undefined: none. */
  #vmac: string | undefined;
  /** With a VMAC, its link's state and its base's as the link monitor last said (up only when both are). */
  #vmacLinks: VmacLinks | undefined;
  /** Made at the first eventLoopLag tracker: most engines have none, and an empty Map costs ~180 bytes. */
  #lagTimers: Map<string, () => void> | undefined;
  /** The sync group this engine's core is a member of (see ./sync-group.ts), while it runs. */
  #syncLink: SyncGroupLink | undefined;
  /**
   * This engine as its sync group sees it: the group's word goes through the one step function. Made when it joins
   * one: most engines are in none, and the object and its function were ~0.15 KB an instance.
   */
  #syncMember: SyncMember | undefined;

  /** Creates an idle engine; nothing is opened until `start()`. */
  constructor(config: ResolvedConfig, adapters: Adapters, emit: (event: EngineEvent) => void, options: EngineOptions = {}) {
    this.#config = config;
    this.#adapters = adapters;
    this.#emit = emit;
    this.#options = options;
    this.#channelInstance = { name: config.name, vrid: config.vrid, family: config.family, interface: config.interface };
    this.#vipAddresses = Object.freeze(config.heldAddresses.map((vip) => vip.address));
    this.#vipIface = config.interface;
    // With a VMAC, the own addresses go on it (named at start); those with the interface as `dev` are others then.
    const [own, ...others] = vipsByInterface(config.vmac === undefined ? config : { interface: VMAC_NOT_NAMED_YET, heldAddresses: config.heldAddresses });
    this.#vips = (own as VipsOnInterface).addresses;
    if (others.length > 0) this.#otherVips = Object.freeze(others);
  }

  /** Current effective priority. */
  get priority(): number {
    return this.#router?.priority ?? effectivePriority(this.#config.priority, []);
  }

  /** Counters of the current run. */
  get stats(): EngineStats {
    return { ...(this.#router?.stats ?? createStats()), ...this.#io };
  }

  /** The counters of the receive socket the transport shares with other instances, when it has one (Transport.socketStats). */
  socketStats(): SharedSocketStats | undefined {
    return this.#adapters.transport.socketStats;
  }

  /** What the engine knows beyond counters, for `status()`: see {@link EngineRuntime}. */
  runtime(): EngineRuntime {
    const router = this.#router;
    const clock = this.#adapters.clock;
    const deadline = router?.nextDeadline();
    const leases = this.#adapters.vipManager.leaseRemainingMs;
    const trackers: Record<string, TrackerState> = {};
    if (router) for (const [name, state] of router.trackers) trackers[name] = { ...state };
    return {
      nextTimerInMs: deadline === undefined ? undefined : this.#adverts !== undefined ? nextOnSchedule(deadline, this.#config.advertIntervalMs, clock.now()) : Math.max(0, deadline - clock.now()),
      absorbingRepeats: this.#repeat !== undefined,
      masterAdverIntervalMs: router?.masterAdverIntervalMs ?? this.#config.advertIntervalMs,
      timerLateMs: this.#timerLateMs,
      timerLateMaxMs: this.#timerLateMaxMs,
      vipLeaseRemainingMs: this.#config.heldAddresses.map((vip) => (router && leases ? leases.call(this.#adapters.vipManager, vip.dev ?? this.#vipIface, vip.address) : undefined)),
      trackers,
      routesHeld: (this.#routingHeld & ROUTES_HELD) !== 0,
      rulesHeld: (this.#routingHeld & RULES_HELD) !== 0,
    };
  }

  /**
   * Opens the transport, cleans leftovers, starts watching the link and starts the protocol. With `resume`, it
   * carries on from the engine a new configuration replaced (see {@link stop}'s handover): the core starts in the
   * state that one had, and a Master's addresses, routes and rules that both configurations have are taken over as
   * they are — never removed and added again.
   */
  async start(resume?: EngineResume): Promise<void> {
    const config = this.#config;
    const adapters = this.#adapters;
    this.#stopped = false;
    this.#io = { sendErrors: 0, vipErrors: 0, vipChanges: 0, masterDownExpirations: 0 };
    this.#reportedState = 'initialize';
    this.#vipRetryMs = VIP_RETRY_MIN_MS;
    this.#timerLateMs = 0;
    this.#timerLateMaxMs = 0;
    this.#tallied.lent = 0;
    this.#tallied.receivedExtra = 0;
    this.#tallied.sentExtra = 0;
    /** The advert source once the transport is open: a failed resumed Master then has what it needs to resign. */
    let resignFrom: string | undefined;
    try {
      adapters.vipManager.setErrorHandler?.((error) => {
        // A route or rule put back (src/linux/vip/routing-watch.ts) is its own kind of failure, not the addresses'.
        if (error instanceof VrrpError && error.code === 'route_failed') {
          this.#error('route_failed', error.message, error);
          return;
        }
        this.#io.vipErrors++;
        this.#error('vip_failed', error.message, error);
      });
      if (resume?.vmac !== undefined) {
        // Held from here on: a start that fails next removes the kept addresses from it, and deletes it.
        this.#vmac = resume.vmac;
        this.#vipIface = resume.vmac;
      }
      if (config.vmac !== undefined) await this.#makeVmac();
      // The adverts go from the VMAC unless it is to send on its base (keepalived's vmac_xmit_base).
      const onVmac = this.#vmac !== undefined && config.vmac?.xmitBase !== true;
      const { primaryAddress } = await adapters.transport.open(
        {
          interface: onVmac ? this.#vipIface : config.interface,
          ...(onVmac ? { addressInterface: config.interface } : {}),
          family: config.family,
          vrid: config.vrid,
          unicastPeers: config.unicastPeers,
          primaryAddress: config.primaryAddress,
          // Every address we may hold, so that none is taken for the interface's own (the excluded ones too).
          virtualAddresses: this.#vipAddresses,
        },
        this.#onPacket,
        (error) => {
          // A dead transport is a dead link: go to fault (a master sends priority 0 if it still can) and say why.
          this.#error('transport_failed', error.message, error);
          this.#step({ type: 'link', up: false });
        },
      );
      this.#channelSrc = config.primaryAddress ?? primaryAddress ?? '';
      resignFrom = config.primaryAddress ?? primaryAddress;
      if (config.virtualRoutes.length > 0 && (!adapters.vipManager.addRoutes || !adapters.vipManager.removeRoutes)) {
        throw new VrrpError('route_failed', 'virtualRoutes are configured but the VIP manager cannot install routes (it has no addRoutes / removeRoutes)');
      }
      if (config.virtualRules.length > 0 && (!adapters.vipManager.addRules || !adapters.vipManager.removeRules)) {
        throw new VrrpError('route_failed', 'virtualRules are configured but the VIP manager cannot install rules (it has no addRules / removeRules)');
      }
      const kept = resume?.kept;
      // What a crashed run of ours left: rules and routes, then addresses, the order a master leaving removes them.
      // Not after a Master's handover: the routes and rules up are the engine's before, and those kept are ours now.
      if (this.#routing && kept === undefined) await this.#changeRouting(false);
      // Adopted before `prepare`, whose clean-up of leftovers would take them for ours of a run that ended.
      if (kept !== undefined) await this.#adoptKept(kept);
      if (this.#vips.length > 0) await adapters.vipManager.prepare?.(this.#vipIface, this.#vips);
      for (const other of this.#otherVips ?? []) await adapters.vipManager.prepare?.(other.iface, other.addresses);
      const source = config.primaryAddress ?? primaryAddress;
      if (source === undefined && (!adapters.linkMonitor || !adapters.transport.resolvePrimaryAddress)) {
        // Nothing would tell us when an address comes, so waiting in Fault would be waiting for ever.
        const what = config.family === 'ipv4' ? 'IPv4 address' : 'IPv6 link-local address';
        throw new VrrpError('transport_failed', `interface ${config.interface} has no ${what} to send VRRP from`);
      }
      const coreConfig = routerConfig(config, source);
      rehearseTakeover(coreConfig);
      this.#rehearseTakeoverPath();
      this.#router = new VirtualRouter(coreConfig);
      const groupId = (config as EngineConfig).syncGroupId;
      // The group's word to a member handed off to this engine, sent while it was being replaced (see #handOver).
      let word: RouterInput | undefined;
      if (groupId !== undefined) {
        this.#syncLink = syncGroupLink(groupId);
        word = this.#syncLink.join((this.#syncMember ??= { sync: (input) => this.#step(input) }), this.#syncKey, resume !== undefined);
      }
      if (adapters.linkMonitor) {
        const link = await adapters.linkMonitor.watch(config.interface, this.#vmac === undefined ? (up) => this.#onLink(up) : (up) => this.#onVmacLink('base', up));
        this.#stopLink = link.stop;
        let linkUp = link.up;
        if (this.#vmac !== undefined) {
          // A VMAC down, or gone, is the link down (keepalived tracks it as it tracks the base).
          const vmacLinks: VmacLinks = { base: link.up, vmac: true, remaking: false, generation: 0, pending: undefined, retry: undefined, retryMs: VIP_RETRY_MIN_MS, stopVmac: undefined, live: false };
          this.#vmacLinks = vmacLinks;
          const watch = await adapters.linkMonitor.watch(this.#vmac, (up) => this.#onVmacLink('vmac', up), { linkOnly: true });
          vmacLinks.stopVmac = watch.stop;
          vmacLinks.vmac = watch.up;
          // Gone (or down) already, between its make and its watch: as a change would, it is made again if gone.
          if (!watch.up) {
            vmacLinks.remaking = true;
            this.#remakeVmac();
          }
          // Both as they are now (the base's may have changed while the VMAC's watch was being set up), and not while
          // a change meanwhile has the VMAC being made again.
          linkUp = this.#vmacLinkUp(vmacLinks);
          vmacLinks.live = true;
        }
        if (!linkUp) this.#step({ type: 'link', up: false });
        else if (source === undefined) this.#onLink(true);
      }
      // A resumed Master that does not go on as one (a kept tracker is down, the link is) sends priority 0 and
      // removes what it took over, as the core's resume says.
      this.#step(resume === undefined ? START : { type: 'start', resume: resume.trackers === undefined ? { state: resume.state } : { state: resume.state, trackers: resume.trackers } });
      if (word !== undefined) this.#step(word);
      this.#startLagTrackers();
    } catch (error) {
      const groupId = (this.#config as EngineConfig).syncGroupId;
      if (resume !== undefined && groupId !== undefined && this.#syncLink === undefined) abandonHandOff(groupId, this.#syncKey);
      // A resumed Master leaves as a stop would have it leave: priority 0 first, so that a peer takes over within
      // Skew_Time rather than at its Master_Down_Timer — when the transport opened; before that there is nothing
      // to send it with, and the peers take over at their Master_Down_Timer.
      if (resume?.state === 'master' && resignFrom !== undefined) await this.#resign(routerConfig(config, resignFrom));
      // What the engine before left up for this one, which no engine holds now: gone, as a stop would take it.
      if (resume?.kept !== undefined) {
        await this.#actionQueue;
        await this.#releaseKept(resume.kept);
      }
      await this.#teardown();
      await this.#removeVmac();
      throw error instanceof VrrpError
        ? error
        : new VrrpError('transport_failed', `could not start the transport${error instanceof Error ? `: ${error.message}` : ''}`, { cause: error });
    }
  }

  /**
   * A failed resumed start's priority 0 (see {@link start}): the adverts a Master's stop sends, from a core of their
   * own that resumes Master and stops at once — this engine's may not exist yet, and must not run its other
   * actions (the kept addresses' removal follows, reported on its own). A send that fails is reported.
   */
  async #resign(config: RouterConfig): Promise<void> {
    const router = new VirtualRouter(config);
    const now = this.#adapters.clock.now();
    router.handle({ type: 'start', resume: { state: 'master' } }, now);
    for (const action of router.handle({ type: 'stop' }, now)) {
      if (action.type !== 'send') continue;
      try {
        await this.#adapters.transport.send(action.dst, action.bytes);
      } catch (cause) {
        this.#sendFailed(action.dst, cause);
      }
    }
  }

  /**
   * Runs the takeover path once with nothing to do, as start did — the core's rehearsal and the adapters' warm-ups
   * — so that its code is mapped and compiled again after the process gave back its start-up pages
   * (src/linux/memory.ts). Sends, adds and announces nothing; does nothing before start or after stop.
   */
  async warm(): Promise<void> {
    if (!this.#router || this.#stopped) return;
    rehearseTakeover(routerConfig(this.#config, undefined));
    this.#rehearseTakeoverPath();
    this.#adapters.transport.warm?.();
    if (this.#vips.length > 0) await this.#adapters.vipManager.warm?.(this.#vipIface, this.#vips);
    for (const other of this.#otherVips ?? []) await this.#adapters.vipManager.warm?.(other.iface, other.addresses);
  }

  /**
   * The engine's own part of the takeover path, run once with nothing to do (docs/architecture.md, "The prepare →
   * takeover contract"): the timer's and the packets' callbacks and the armed takeover's functions, so that V8 has
   * compiled them — the first call of the transport's arming, cold, moved its deadline 0.16 ms later (in-process
   * trace).
   */
  #rehearseTakeoverPath(): void {
    this.#onTimer(true);
    this.#onPacket(undefined);
    this.#armTakeover(undefined, 0);
    // A rehearsal: a takeover armed now stays armed (a warm-up disarmed it, found by review).
    this.#disarmTakeover(true);
    this.#onTakeoverFired(true);
    this.#takeFiredTakeover(undefined);
  }

  /**
   * The addresses, routes and rules the engine before left up (see {@link start}): the addresses become the VIP
   * manager's own now (their leases renewed, removed when this engine leaves Master); the routes and rules are taken
   * over at this engine's first mastership (`adoptRouting`, see #changeRouting), not installed again (an install of
   * a route that is up is refused).
   */
  async #adoptKept(kept: HandoverKept): Promise<void> {
    const { vipManager } = this.#adapters;
    if (kept.routes.length > 0 || kept.rules.length > 0) this.#keptRouting = { routes: new Set(kept.routes.map(handoverKey)), rules: new Set(kept.rules.map(handoverKey)) };
    if (kept.addresses.length > 0) this.#keptAddresses = new Set(kept.addresses.map(handoverKey));
    if (kept.addresses.length === 0 || vipManager.adopt === undefined) return;
    for (const { iface, addresses } of vipsByInterface({ interface: this.#vipIface, heldAddresses: [...kept.addresses] })) {
      if (addresses.length === 0) continue;
      try {
        await vipManager.adopt(iface, addresses);
      } catch (cause) {
        // The takeover's add that follows tries them again, and reports what still fails.
        this.#io.vipErrors++;
        this.#error('vip_failed', `could not take over the addresses of the engine before on ${iface}${cause instanceof Error ? `: ${cause.message}` : ''}`, cause);
      }
    }
  }

  /**
   * Stops the protocol (a master sends priority 0 and removes its VIPs), then closes the adapters. With `handover`,
   * the engine is being replaced by one with a new configuration ({@link start} with `resume`): nothing is sent and
   * the core is not stopped; a Master removes only the rules, routes and addresses the new configuration does not
   * keep, and leaves the rest up for the next engine.
   */
  async stop(handover?: { keep: HandoverKept }): Promise<void> {
    if (handover !== undefined) {
      await this.#handOver(handover.keep);
      return;
    }
    this.#step({ type: 'stop' });
    this.#stopped = true;
    await this.#actionQueue;
    if (this.#options.statsSink && this.#router) this.#publishStats(this.#options.statsSink); // the run's last word
    await this.#teardown();
    await this.#removeVmac();
  }

  /**
   * Makes the VMAC (or takes the one there) through the VIP manager, whose interface then holds the own addresses.
   * Refused when the VIP manager cannot make one: the addresses would go on the interface with its own MAC, which is
   * not what the configuration says.
   */
  async #makeVmac(): Promise<void> {
    const config = this.#config;
    const vipManager = this.#adapters.vipManager;
    if (vipManager.createVmac === undefined) throw new VrrpError('vip_failed', `vmac is configured but the VIP manager cannot make one (it has no createVmac)`);
    this.#vmac = await vipManager.createVmac(this.#vmacRequest(config.vmac?.name));
    this.#vipIface = this.#vmac;
    this.#emit({ type: 'vmac', name: this.#vmac });
  }

  #vmacRequest(name: string | undefined): VmacRequest {
    const config = this.#config;
    return { base: config.interface, family: config.family, vrid: config.vrid, name, source: config.primaryAddress, xmitBase: config.vmac?.xmitBase === true };
  }

  /**
   * The VMAC's or its base's link changed. The link is up for the core only when both are and the VMAC is not being
   * made again. A VMAC down, and a base that comes back, have the VIP manager make the VMAC again if it is gone
   * (deleted behind our back, or with its base) — keepalived does the same, and does not set up a VMAC someone set
   * down, nor does this — after which the transport is opened again: a VMAC made again is a new link, and the
   * socket stayed bound to the one that went.
   */
  #onVmacLink(which: 'base' | 'vmac', up: boolean): void {
    const links = this.#vmacLinks;
    if (links === undefined) return;
    const before = this.#vmacLinkUp(links);
    links[which] = up;
    if ((which === 'vmac' && !up) || (which === 'base' && up)) {
      links.remaking = true;
      this.#remakeVmac();
    }
    const now = this.#vmacLinkUp(links);
    if (links.live && now !== before) this.#onLink(now);
  }

  #vmacLinkUp(links: VmacLinks): boolean {
    return links.base && links.vmac && !links.remaking;
  }

  /**
   * Has the VIP manager make the VMAC again (see #onVmacLink), then opens the transport again on it and prepares
   * the addresses' requests again (they carry the link's index) — all while the link is down for the core, so in
   * Fault: nothing is armed, absorbed or scheduled on the transport then. Only the latest make counts (a base that
   * flaps starts another before the first is done); one that fails is reported and tried again later.
   */
  #remakeVmac(): void {
    const links = this.#vmacLinks;
    const vipManager = this.#adapters.vipManager;
    if (links === undefined || this.#vmac === undefined || vipManager.createVmac === undefined || this.#stopped) return;
    links.retry?.();
    links.retry = undefined;
    const generation = ++links.generation;
    const name = this.#vmac;
    const latest = (): boolean => this.#vmacLinks === links && !this.#stopped && links.generation === generation;
    links.pending = vipManager
      .createVmac(this.#vmacRequest(name))
      .then(async () => {
        if (!latest()) return;
        if (this.#config.vmac?.xmitBase !== true) {
          const transport = this.#adapters.transport;
          // A transport that cannot reopen stays on the link that went: said, since it hears nothing from now on.
          if (transport.reopen === undefined) throw new VrrpError('transport_failed', `the transport cannot open again on VMAC ${name} (it has no reopen): it is bound to the link that went`);
          transport.reopen();
        }
        if (this.#vips.length > 0) await vipManager.prepare?.(name, this.#vips);
        if (!latest()) return;
        links.retryMs = VIP_RETRY_MIN_MS;
        const before = this.#vmacLinkUp(links);
        links.remaking = false;
        if (links.live && this.#vmacLinkUp(links) !== before) this.#onLink(this.#vmacLinkUp(links));
      })
      .catch((cause: unknown) => {
        if (!latest()) return;
        // Without its base there is nothing to make it on: the base's return makes it (#onVmacLink), not a timer.
        if (!links.base) {
          this.#error('vip_failed', `could not make VMAC ${name} again until ${this.#config.interface} is back${cause instanceof Error ? `: ${cause.message}` : ''}`, cause);
          return;
        }
        this.#error('vip_failed', `could not make VMAC ${name} again (trying again in ${links.retryMs / 1000} s)${cause instanceof Error ? `: ${cause.message}` : ''}`, cause);
        // Tried again while it is needed: a base that comes back tries at once.
        links.retry = this.#adapters.clock.setTimer(links.retryMs, () => {
          links.retry = undefined;
          this.#remakeVmac();
        });
        links.retryMs = Math.min(links.retryMs * 2, VIP_RETRY_MAX_MS);
      });
  }

  /** Deletes the VMAC this engine made or took (a stop, a failed start); a failure is reported, not thrown. */
  async #removeVmac(): Promise<void> {
    const name = this.#vmac;
    this.#vmac = undefined;
    if (name === undefined) return;
    this.#emit({ type: 'vmac', name: undefined });
    try {
      await this.#adapters.vipManager.removeVmac?.(name);
    } catch (cause) {
      this.#error('vip_failed', `could not delete VMAC ${name}${cause instanceof Error ? `: ${cause.message}` : ''}`, cause);
    }
  }

  /**
   * A failed resumed start's clean-up: the kept rules, routes and addresses go (the addresses adopted first: a
   * manager removes only its own). Failures are reported, not thrown: the start's own failure is what its caller
   * hears.
   */
  async #releaseKept(kept: HandoverKept): Promise<void> {
    await this.#removeSome(kept.rules, kept.routes, kept.addresses, 'a failed start took over', true);
  }

  /**
   * Removes these rules, then routes, then addresses (each interface's), a master's leaving order, reporting each
   * failure as `what` says (`route_failed`, `vip_failed`) and going on; with `adopt`, each interface's addresses are
   * adopted first (a manager removes only its own). Resolves whether every address went.
   */
  async #removeSome(rules: readonly VirtualRule[], routes: readonly VirtualRoute[], addresses: readonly VirtualAddress[], what: string, adopt: boolean): Promise<boolean> {
    const { vipManager } = this.#adapters;
    try {
      if (rules.length > 0) await vipManager.removeRules?.(rules);
      if (routes.length > 0) await vipManager.removeRoutes?.(routes);
    } catch (cause) {
      this.#error('route_failed', `could not remove the virtual routes or rules ${what}${cause instanceof Error ? `: ${cause.message}` : ''}`, cause);
    }
    let removed = true;
    for (const { iface, addresses: onIface } of vipsByInterface({ interface: this.#vipIface, heldAddresses: [...addresses] })) {
      if (onIface.length === 0) continue;
      try {
        if (adopt) await vipManager.adopt?.(iface, onIface);
        await vipManager.remove(iface, onIface);
      } catch (cause) {
        removed = false;
        this.#io.vipErrors++;
        this.#error('vip_failed', `could not remove the addresses ${what} on ${iface}${cause instanceof Error ? `: ${cause.message}` : ''}`, cause);
      }
    }
    return removed;
  }

  /** This engine's place in its sync group, the same for the engine that replaces it (see #handOver). */
  get #syncKey(): string {
    return syncPlaceKey(this.#config);
  }

  async #handOver(keep: HandoverKept): Promise<void> {
    // A takeover the transport fired already is the core's first: its adverts went and its addresses are up.
    const router = this.#router;
    if (router !== undefined && !this.#stopped && (this.#takeoverFired || (this.#takeoverSends !== undefined && this.#adapters.transport.takeoverFired?.() === true))) {
      this.#takeFiredTakeover(router);
    }
    this.#disarmTakeover();
    this.#stopped = true;
    // The sync group keeps this member's place for the engine that replaces it (not a leave: see SyncGroupLink),
    // from now on: a word the group sends while this one finishes goes to the stand-in, not to a stopped step.
    if (this.#syncMember !== undefined) this.#syncLink?.handOff(this.#syncMember, this.#syncKey);
    this.#syncLink = undefined;
    await this.#actionQueue;
    if (this.#router?.state === 'master') {
      // A master leaving removes rules, routes, then addresses (see #apply); so does a handover, of what goes.
      const keys = new Set([...keep.addresses, ...keep.routes, ...keep.rules].map(handoverKey));
      const rules = this.#config.virtualRules.filter((rule) => !keys.has(handoverKey(rule)));
      const routes = this.#config.virtualRoutes.filter((route) => !keys.has(handoverKey(route)));
      const dropped = this.#config.heldAddresses.filter((vip) => !keys.has(handoverKey(vip)));
      const removed = await this.#removeSome(rules, routes, dropped, 'the new configuration drops', false);
      if (removed && dropped.length > 0) {
        this.#io.vipChanges += dropped.length;
        this.#emit({ type: 'vips', action: 'remove', addresses: dropped.map((vip) => vip.address) });
      }
    }
    if (this.#options.statsSink && this.#router) this.#publishStats(this.#options.statsSink); // the run's last word
    await this.#teardown();
  }

  /** Resolves when every action queued so far has been applied. */
  async idle(): Promise<void> {
    await this.#actionQueue;
  }

  /**
   * A link change from the link monitor. A link that comes up first has the transport pick the address to send
   * from — every time, not only when the router has none: the interface may have been renumbered (DHCP, an
   * administrator) or made again while it was down, and adverts from the old address are refused by the kernel
   * (a master that sends nothing while it holds the VIPs). The core leaves Fault only with one. `#linkChanges` drops
   * the answer of a pick that a later change overtook.
   */
  #onLink(up: boolean): void {
    const change = ++this.#linkChanges;
    const resolve = this.#adapters.transport.resolvePrimaryAddress;
    if (!up || resolve === undefined) {
      this.#step({ type: 'link', up });
      return;
    }
    resolve.call(this.#adapters.transport).then(
      (primaryAddress) => {
        if (change !== this.#linkChanges) return;
        this.#step(primaryAddress === undefined ? { type: 'link', up } : { type: 'link', up, primaryAddress });
      },
      (cause: unknown) => this.#error('transport_failed', 'could not pick an address to send VRRP from', cause),
    );
  }

  /** Feeds a command from the owner. */
  command(command: EngineCommand): void {
    this.#step(command);
  }

  /**
   * Collects what the transport did for the core and decides again whether it may go on: call when a
   * `vrrp:advert:*` channel gained or lost its subscribers. While the transport tallies, no timer steps the core,
   * so without this the absorbing or the advert schedule — which keep each advert from the channels — would go on
   * unnoticed for as long as nothing else happens.
   */
  reconsider(): void {
    if (this.#router === undefined || this.#stopped) return;
    // As a timer's expiry would be (see #onTimer): adverts waiting unread come first, so that a deadline the
    // collected repeats have not moved cannot fire ahead of them.
    this.#adapters.transport.drain?.();
    this.#step(TIMEOUT);
  }

  /**
   * The one way into the core: clock → handle → queue actions → re-arm the single timer. `atMs` dates an input
   * that happened before now (a packet with a receive timestamp, read by its caller as it came: see datedBefore);
   * the core never lets its time go backwards.
   */
  #step(input: RouterInput, atMs?: number): void {
    const router = this.#router;
    if (!router || this.#stopped) return;
    const clock = this.#adapters.clock;
    // Dated now, before the work below: that work (collecting the repeats absorbed ahead of a packet, cold after a
    // quiet spell) moved an arrival — and a Skew_Time or Master_Down_Timer counted from it — later (a 10 ms master's
    // priority 0 in the failover bench's lab: up to 1.0 ms; after, 0.06 ms at most). A timer's timeout is not: it
    // is handled at the time the work leaves, as before.
    const datedMs = atMs ?? (input === TIMEOUT ? undefined : clock.now());
    if (this.#takeoverFired || (this.#takeoverSends !== undefined && this.#adapters.transport.takeoverFired?.() === true)) {
      this.#takeFiredTakeover(router);
      if (input === TIMEOUT) return;
    }
    // The repeats the transport absorbed came before this input: the core hears them first, so that its state is
    // what it would have been had each reached it.
    if (this.#repeat !== undefined && input !== this.#repeat && input.type !== 'repeats') this.#takeRepeats(router, this.#repeat);
    // Likewise the adverts the transport sent for us: the core counts them and restarts its Adver_Timer first.
    if (this.#adverts !== undefined && input.type !== 'adverts') this.#takeAdverts();
    const actions = router.handle(input, datedMs ?? clock.now());
    const sink = this.#options.statsSink;
    // Counters cross to the app at most every STATS_PUBLISH_MS, and at once with any other action (a transition, a
    // drop): a backup's every advert moves a counter, and copying them all per packet was per-packet work that the
    // app, reading `stats` now and then, does not need.
    if (sink !== undefined && (actions.length > 0 || clock.now() - this.#statsPublishedMs >= STATS_PUBLISH_MS)) this.#publishStats(sink);
    if (actions.length > 0 && !(this.#batchesInFlight === 0 && this.#sendAtOnce(actions, input === TIMEOUT))) this.#queueBatch(actions);
    if (this.#syncLink !== undefined) this.#tellSyncGroup(this.#syncLink, actions);
    if (this.#adapters.transport.absorbRepeats !== undefined) this.#considerRepeats(input, actions, router);
    if (this.#adapters.transport.repeatAdverts !== undefined) this.#considerAdverts(actions, router);
    const deadline = router.nextDeadline();
    const mode =
      this.#adverts !== undefined
        ? TIMER_REFRESH
        : this.#repeat === undefined
          ? TIMER_PLAIN
          : !this.#silenceWatched
            ? TIMER_CHECK
            : this.#silent
              ? TIMER_PLAIN
              : TIMER_REFRESH;
    if (deadline === this.#timerDeadline && mode === this.#timerMode) {
      // The same expiry, but what it would send may have changed (a new priority): armed again with that.
      if (this.#takeoverSends !== undefined && !this.#takeoverFired && router.takeoverSends !== this.#takeoverSends && deadline !== undefined) {
        if (!this.#armTakeover(router, deadline)) this.#disarmTakeover();
      }
      return;
    }
    this.#disarmTakeover();
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    this.#timerDeadline = deadline;
    this.#timerDueMs = deadline;
    this.#timerMode = mode;
    this.#timerOnGrid = false;
    if (deadline !== undefined) {
      if (mode === TIMER_REFRESH) {
        // The transport sends a Master's adverts (#considerAdverts), or tells of a Backup's silent master
        // (#onSilence): the deadline is not ours to watch, and this timer only collects what the transport did,
        // for the counters: at the deadline or later, on a whole-second grid that every instance of the thread
        // shares — at 100 ms adverts one wake-up a second for all of them, where a master's Adver_Timer woke ten
        // times a second and a backup's checks about three (docs/linux.md, "Repeated adverts", "Silence watch").
        // Not even that when the transport tallies those counters itself (#lend): nothing is left to collect for.
        if ((this.#tallied.lent & (this.#adverts !== undefined ? TALLY_SENT : TALLY_RECEIVED)) !== 0) {
          this.#timerDueMs = undefined;
          return;
        }
        const dueMs = Math.ceil(Math.max(clock.now() + 1, deadline) / REPEAT_REFRESH_MS) * REPEAT_REFRESH_MS;
        this.#timerDueMs = dueMs;
        this.#cancelTimer = clock.setTimer(dueMs - clock.now(), this.#onTimer, NOT_PRECISE);
        return;
      }
      const checkMs = mode === TIMER_CHECK ? repeatCheckMs(deadline, router.masterAdverIntervalMs) : undefined;
      if (checkMs !== undefined && checkMs > clock.now()) {
        // Absorbed repeats do not move the core's deadline: look for them shortly before it, where the timeout
        // step takes them first (its timeout, early, changes nothing), and the deadline moves on; a master that
        // fell silent leaves it in place, and the precise timer below is armed for it. Not precise: a precise
        // timer polls its last stretch, which would cost every instance that per check. On a grid of a quarter
        // Master_Adver_Interval (at most REPEAT_CHECK_GRID_MS), so that the checks of many instances share one
        // wake-up of the thread; a check early by that much still finds the repeats of a live master. A check
        // that found none leaves a check time already past: the precise timer follows.
        this.#timerDueMs = checkMs;
        this.#cancelTimer = clock.setTimer(checkMs - clock.now(), this.#onTimer, NOT_PRECISE);
        return;
      }
      // Only a Backup's timer (the Master_Down_Timer) asks for precision: its expiry is a takeover, where every
      // millisecond is outage; a Master's advert may leave a millisecond late at no cost.
      const precise = router.state === 'backup';
      if (router.state === 'master' && this.#options.advertGrid === true) {
        const dueMs = advertDueMs(deadline, this.#config.advertIntervalMs);
        this.#timerDueMs = dueMs;
        this.#timerOnGrid = true;
        this.#cancelTimer = clock.setTimer(dueMs - clock.now(), this.#onTimer, NOT_PRECISE);
        return;
      }
      // A Backup's takeover that the transport can fire at the deadline itself (docs/architecture.md, "The prepare
      // → takeover contract"). Once the repeats are absorbed, armed only when the deadline is near (a silence or a
      // check said so); before (a fresh backup's first adverts), at each packet, as the timer is. The precise
      // timer then follows just after it, for when the transport left the takeover to us.
      if (precise && this.#armTakeover(router, deadline)) {
        // Precise: its early wake keeps the thread awake, polling the loop, through the deadline, so the alarm does
        // not wait for an idle CPU to wake up. Asleep instead, the alarm fired as late at the median (0.06-0.16 ms,
        // against 0.02-0.19 polled) but our takeover was once 2.2 and once 3.3 ms past the bound at 100 ms (30 clean
        // takeovers), where keepalived's worst was 0.5.
        this.#timerDueMs = deadline + TAKEOVER_FALLBACK_MS;
        this.#cancelTimer = clock.setTimer(deadline + TAKEOVER_FALLBACK_MS - clock.now(), this.#onTimer, PRECISE);
        return;
      }
      // The delay as of this call: read before the code above, cold at a first takeover, it was up to 0.6 ms stale.
      this.#cancelTimer = clock.setTimer(deadline - clock.now(), this.#onTimer, precise ? PRECISE : NOT_PRECISE);
    }
  }

  /**
   * Whether the transport armed a takeover at `deadline` (its sends, and the VIP manager's prepared burst). Why:
   * between the Master_Down_Timer's expiry and the takeover's advert, this thread ran 0.2-0.35 ms of JavaScript
   * (the step, the core, the send path: cold code, most of it run for the first time), and as much again before the
   * gratuitous ARP; the transport's alarm sends and fires them in C at the deadline (native/vrrp_socket.c, "Armed
   * takeovers"), and the step that follows finds them made (#onTakeoverFired).
   */
  #armTakeover(router: VirtualRouter | undefined, deadline: number): boolean {
    const { transport, vipManager } = this.#adapters;
    const sends = router?.takeoverSends;
    if (transport.armTakeover === undefined || sends === undefined) return false;
    // The instance's interface's addresses only: those on other interfaces follow in the step (#apply).
    const burst = this.#vips.length > 0 ? vipManager.takeoverBurst?.(this.#vipIface, this.#vips) : undefined;
    this.#takeoverSends = transport.armTakeover(sends, deadline - this.#adapters.clock.now(), burst, this.#onTakeoverFired) ? sends : undefined;
    return this.#takeoverSends !== undefined;
  }

  /** The sends of the takeover armed in the transport (see #armTakeover), while armed (at #timerDeadline). */
  #takeoverSends: readonly RouterAction[] | undefined;
  /** The transport fired the armed takeover, and no step has handled its expiry yet. */
  #takeoverFired = false;

  /**
   * Disarms an armed takeover that has not fired (a fired one waits for the step that handles it); `rehearsal`: only
   * runs (for #rehearseTakeoverPath), disarms nothing.
   */
  #disarmTakeover(rehearsal = false): void {
    if (this.#takeoverSends === undefined || rehearsal) return;
    this.#takeoverSends = undefined;
    if (!this.#takeoverFired) this.#adapters.transport.armTakeover?.(undefined);
  }

  /**
   * Every packet the transport hands over; one function for all, compiled at start (#rehearseTakeoverPath). Why: a
   * packet's age is as of this call, and the JavaScript between it and the step's own reading of the clock, cold at
   * a backup's first packets, dated the master's advert 0.06-0.12 ms after its arrival (in-process trace, failover
   * benchmark, 100 ms adverts) — its Master_Down_Timer, and the takeover, that much late. So the clock is read first.
   */
  readonly #onPacket = (packet: ReceivedPacket | undefined): void => {
    const nowMs = this.#adapters.clock.now();
    if (packet === undefined) return; // a rehearsal
    const ageMs = packet.ageMs ?? 0;
    this.#step({ type: 'packet', bytes: packet.bytes, src: packet.src, dst: packet.dst, ttl: packet.ttl, ageMs }, datedBefore(nowMs, ageMs));
    // After the step, so that a subscriber never delays what the packet makes the core do; one property read per
    // packet when nobody listens (src/diagnostics.ts).
    if (advertReceivedChannel.hasSubscribers) this.#publishReceived(packet.bytes, packet.src, packet.dst, packet.ttl);
  };

  /** The transport fired the takeover: its Master_Down_Timer expired, handled now (its sends and burst are made). */
  readonly #onTakeoverFired = (rehearsal?: boolean): void => {
    if (rehearsal === true) return;
    this.#takeoverFired = true;
    this.#step(TIMEOUT);
  };

  /**
   * The expiry of a fired takeover, ahead of any other input (what the transport did comes first, as with the
   * repeats): the core becomes Master and asks for the sends and the burst that went. Should it not (no step since
   * the arming changed what the expiry does, so only in a race this engine does not know of), the addresses the
   * burst added are taken off again.
   */
  #takeFiredTakeover(router: VirtualRouter | undefined): void {
    if (router === undefined) return; // a rehearsal (see #rehearseTakeoverPath)
    this.#takeoverFired = false;
    this.#takeoverSends = undefined;
    // Dated no earlier than the deadline it fired at (a fallback timer that came first cleared it: it is past then).
    const now = this.#adapters.clock.now();
    this.#step(TIMEOUT, Math.max(now, this.#timerDeadline ?? now));
    if (router.state === 'master') return;
    if (this.#adapters.transport.settleTakeover?.() !== true) return;
    // The burst's addresses only: those on other interfaces were never added (see #apply).
    this.#queueBatch([{ type: 'addVips' }, { type: 'announce' }, { type: 'removeVips' }], true);
  }

  /**
   * Applies `actions` after the batches before them, in order; `ownInterfaceOnly`: their address actions are for
   * the instance's interface only (a fired burst's settling).
   */
  #queueBatch(actions: readonly RouterAction[], ownInterfaceOnly = false): void {
    this.#batchesInFlight++;
    const run = (): Promise<void> =>
      this.#apply(actions, ownInterfaceOnly)
        // Self-healing chain: whatever one batch throws, the next batches still run (a stuck queue would keep the
        // VIPs while no advert goes out — a split brain).
        .catch((cause: unknown) => this.#error('transport_failed', 'an action failed unexpectedly', cause))
        .finally(() => this.#batchesInFlight--);
    // Nothing queued: the batch starts now, in this call — a takeover's advert and VIP requests leave before the
    // step's timer bookkeeping and before any microtask turn (measured: 0.1-0.2 ms sooner at a first takeover).
    // Otherwise it waits its turn behind the batches before it.
    this.#actionQueue = this.#batchesInFlight === 1 ? run() : this.#actionQueue.then(run);
  }

  /**
   * Hands the core the repeats of `repeat` the transport absorbed since it last asked, as of the last one's arrival:
   * while a repeat is quiet (as it was when the absorbing began, unless a step since said otherwise) as one
   * `repeats` input — each counts as received and the Master_Down_Timer restarts from the last, without the core
   * decoding the packet again (that decode was a third of a backup's engine thread at 50 VRIDs); otherwise the last
   * is handled as the packet it is.
   */
  #takeRepeats(router: VirtualRouter, repeat: Extract<RouterInput, { type: 'packet' }>): void {
    const taken = this.#adapters.transport.takeRepeats?.();
    if (taken === undefined) return;
    const nowMs = this.#adapters.clock.now(); // as for a packet: the age is as of that call
    // Repeats collected after the one collection that answered a silence came after that silence: the transport
    // watches again (RepeatSilence.onSilence). Those collected by that very collection may be older than it (the
    // ones since the collection before), and tell nothing of the silence: the precise timer decides.
    if (!this.#answeringSilence) this.#silent = false;
    // The packet again, dated by the last repeat (its age is part of the input: see RouterInput); a copy, and rare:
    // only once a repeat would do more than restart the timer.
    this.#step(
      router.repeatIsQuiet ? { type: 'repeats', count: taken.count } : { ...repeat, ageMs: taken.ageMs },
      datedBefore(nowMs, taken.ageMs),
    );
    // A subscriber that arrived while they were absorbed (the absorbing ends at the next step) still hears each one,
    // late: every advert received is told on vrrp:advert:received.
    if (advertReceivedChannel.hasSubscribers) this.#publishReceived(repeat.bytes, repeat.src, repeat.dst, repeat.ttl, taken.count);
  }

  /**
   * After a step: lets the transport absorb exact repeats of a packet the core accepted quietly (`repeatIsQuiet`: a
   * repeat would do nothing but restart the Master_Down_Timer), and stops it as soon as anything else happened —
   * another packet, an action, a state in which a repeat would do more. See docs/linux.md, "Absorbed repeats".
   */
  #considerRepeats(input: RouterInput, actions: readonly RouterAction[], router: VirtualRouter): void {
    // Not while someone subscribes to `vrrp:advert:received`: every advert is published there.
    const quiet = actions.length === 0 && router.repeatIsQuiet && !advertReceivedChannel.hasSubscribers;
    if (input.type === 'packet' && quiet) {
      if (input === this.#repeat) return;
      // Other packets may then wait unread for a while: less than half the Skew_Time, so that a priority 0 is
      // handled well before the takeover it asks for (a packet keeps its arrival time, so the takeover is on time).
      const holdMs = Math.min(REPEAT_HOLD_MAX_MS, skewTimeMs(this.#config.version, router.priority, router.masterAdverIntervalMs) / 2);
      const transport = this.#adapters.transport;
      const deadline = router.nextDeadline();
      // Silent a margin before the deadline, which is the packet's arrival plus the Master_Down_Interval: the
      // transport says so, and the precise timer takes it from there.
      const watch = transport.watchesSilence === true && deadline !== undefined;
      const masterDownMs = masterDownIntervalMs(this.#config.version, router.priority, router.masterAdverIntervalMs);
      const leadMs = Math.min(SILENCE_LEAD_MS, masterDownMs / 4);
      const silence = watch ? { inMs: deadline - leadMs - this.#adapters.clock.now(), afterMs: masterDownMs - leadMs, onSilence: this.#onSilence } : undefined;
      const tally = this.#lend(TALLY_RECEIVED, router, deadline, masterDownMs);
      const absorbed = transport.absorbRepeats?.(input, holdMs, silence, tally);
      this.#repeat = absorbed === true ? input : undefined;
      if (absorbed !== true) this.#reclaim(TALLY_RECEIVED, router);
      else if (tally !== undefined) this.#publishStats(tally.counts); // the rest of the runtime: no step may follow
      this.#silenceWatched = absorbed === true && watch;
      this.#silent = false;
    } else if (!quiet && this.#repeat !== undefined) {
      this.#repeat = undefined;
      this.#silenceWatched = false;
      this.#silent = false;
      this.#adapters.transport.absorbRepeats?.(undefined);
      this.#reclaim(TALLY_RECEIVED, router);
    }
  }

  /**
   * Where the transport may tally counter `which` (docs/linux.md, "Tallies"), when it can and the engine publishes
   * into a sink long enough: that counter and the next timer's instant are brought up to date in the sink first,
   * and from the call that hands the tally over until #reclaim they are the transport's to write.
   */
  #lend(which: number, router: VirtualRouter, deadline: number | undefined, deadlineAfterMs?: number): CounterTally | undefined {
    const sink = this.#options.statsSink;
    if (sink === undefined || this.#adapters.transport.tallies !== true || sink.length < runtimeSinkLength(this.#config)) return undefined;
    const tallied = this.#tallied;
    // Lent already: a packet the transport handed over (or a send of ours) was counted by the core alone meanwhile;
    // taking the counter back and lending it again adds it. Between the transport's calls on this thread, as here,
    // the addon writes nothing.
    this.#reclaim(which, router);
    const core = router.statsView;
    sink[which === TALLY_RECEIVED ? RECEIVED_AT : SENT_AT] =
      which === TALLY_RECEIVED ? core.advertisementsReceived + tallied.receivedExtra : core.advertisementsSent + tallied.sentExtra;
    if (deadline !== undefined) sink[DEADLINE_AT] = Date.now() + (deadline - this.#adapters.clock.now());
    tallied.lent |= which;
    const tally: CounterTally = { counts: sink, index: which === TALLY_RECEIVED ? RECEIVED_AT : SENT_AT, deadlineIndex: DEADLINE_AT };
    if (deadlineAfterMs !== undefined) tally.deadlineAfterMs = deadlineAfterMs;
    return tally;
  }

  /**
   * Takes counter `which` back from the transport, which no longer tallies it: what it counted beyond the core (the
   * core heard a run of repeats as one packet, or not at all) stays in the published counter, which never goes back.
   */
  #reclaim(which: number, router: VirtualRouter): void {
    const tallied = this.#tallied;
    const sink = this.#options.statsSink;
    if ((tallied.lent & which) === 0 || sink === undefined) return;
    tallied.lent &= ~which;
    const core = router.statsView;
    if (which === TALLY_RECEIVED) tallied.receivedExtra = Math.max(tallied.receivedExtra, (sink[RECEIVED_AT] as number) - core.advertisementsReceived);
    else tallied.sentExtra = Math.max(tallied.sentExtra, (sink[SENT_AT] as number) - core.advertisementsSent);
  }

  /**
   * Collects the adverts the transport sent for us (see #considerAdverts) into the core, and reports the send that
   * stopped its schedule, if one did: the Adver_Timer is then ours again.
   */
  #takeAdverts(): void {
    const taken = this.#adapters.transport.takeAdverts?.();
    if (taken === undefined) return;
    const nowMs = this.#adapters.clock.now(); // as for a packet: the age is as of that call
    const sends = this.#adverts;
    if (taken.error !== undefined) {
      this.#adverts = undefined;
      this.#advertsRefused = true;
      this.#sendFailed(taken.error.dst, taken.error.cause);
    }
    if (taken.count > 0) {
      this.#step({ type: 'adverts', count: taken.count }, datedBefore(nowMs, taken.ageMs));
      // A subscriber that arrived meanwhile (the schedule stops at the next step) still hears each advert, late.
      if (advertSentChannel.hasSubscribers && sends !== undefined) {
        for (let n = 0; n < taken.count; n++) {
          for (const send of sends) this.#publishSent(send.dst, send.advertisement);
        }
      }
    }
    // The stopped schedule counts no more: advertisementsSent is ours again, once the core counted its firings.
    if (taken.error !== undefined && this.#router !== undefined) this.#reclaim(TALLY_SENT, this.#router);
  }

  /**
   * After a step: lets the transport send a Master's routine adverts on its own schedule, from the core's deadline
   * on (on the advert grid when the engine uses it), and moves or stops that schedule as soon as the adverts or
   * their phase changed — another priority, a send at once (which restarts the Adver_Timer), another state. Not
   * while someone subscribes to `vrrp:advert:sent`, who hears of every advert as it leaves. See docs/linux.md,
   * "Repeated adverts".
   */
  #considerAdverts(actions: readonly RouterAction[], router: VirtualRouter): void {
    const transport = this.#adapters.transport;
    const deadline = router.nextDeadline();
    const sends = advertSentChannel.hasSubscribers || deadline === undefined ? undefined : router.routineSends;
    if (router.state !== 'master') this.#advertsRefused = false;
    if (sends === undefined || this.#advertsRefused) {
      if (this.#adverts !== undefined) {
        this.#adverts = undefined;
        transport.repeatAdverts?.(undefined);
        this.#reclaim(TALLY_SENT, router);
      }
      return;
    }
    if (sends === this.#adverts && !sendsIn(actions)) return;
    const intervalMs = this.#config.advertIntervalMs;
    const dueMs = this.#options.advertGrid === true ? advertDueMs(deadline as number, intervalMs) : (deadline as number);
    const inMs = dueMs - this.#adapters.clock.now();
    const tally = this.#lend(TALLY_SENT, router, dueMs);
    const repeated = transport.repeatAdverts?.(sends, inMs, intervalMs, this.#onAdvertsStopped, tally);
    this.#adverts = repeated === true ? sends : undefined;
    if (repeated !== true) this.#reclaim(TALLY_SENT, router);
    else if (tally !== undefined) this.#publishStats(tally.counts); // the rest of the runtime: no step may follow
  }

  /** The transport's schedule stopped on a failed send: collect it (and its report) now, not at the next refresh. */
  readonly #onAdvertsStopped = (): void => {
    if (this.#adverts !== undefined) this.#step(TIMEOUT);
  };

  /**
   * The transport found the absorbed repeats stopped, a margin before the deadline: collect what came (a step takes
   * them first), after which the precise timer is armed for the deadline as it then stands (see #step).
   */
  readonly #onSilence = (): void => {
    if (!this.#silenceWatched || this.#repeat === undefined) return;
    this.#silent = true;
    this.#answeringSilence = true;
    try {
      this.#step(TIMEOUT);
    } finally {
      this.#answeringSilence = false;
    }
  };

  /**
   * Tells the sync group of the core's transitions and wishes as the core makes them, not once applied: the group's
   * other members follow within the same step (their VIPs go up beside this member's, not after them).
   */
  #tellSyncGroup(link: SyncGroupLink, actions: readonly RouterAction[]): void {
    const member = this.#syncMember as SyncMember; // made when it joined the group behind `link`
    for (let i = 0; i < actions.length; i++) {
      const action = actions[i] as RouterAction;
      if (action.type === 'transition') link.transition(member, action.from, action.to, action.reason);
      else if (action.type === 'wantMaster') link.wish(member, action.want);
    }
  }

  /**
   * Every timer's callback: one function, compiled at start (see {@link Engine.start}). A backup's timer never
   * fires until its takeover, and V8 compiles a function at its first call: as a closure created per arming, this
   * was compiled at the takeover, 53-75 µs between the Master_Down_Timer's expiry and the engine's step (measured
   * inside the process, failover benchmark, 100 ms adverts; 18-24 µs since). `rehearsal` runs it with nothing to
   * do.
   */
  readonly #onTimer = (rehearsal?: boolean): void => {
    const deadline = this.#timerDueMs;
    if (rehearsal === true || deadline === undefined) return;
    this.#cancelTimer = undefined;
    this.#timerDeadline = undefined;
    this.#timerDueMs = undefined;
    // Packets that arrived while the loop was busy come first: libuv runs expired timers before it polls
    // sockets, so without this a late Master_Down_Timer would fire although the master's adverts are waiting.
    // A timer on time needs no drain: the loop polled the socket within the last moments (a precise timer
    // polls it on every turn of its final millisecond), and an empty read costs 0.06-0.3 ms at a takeover.
    const lateMs = this.#adapters.clock.now() - deadline;
    // The engine thread's lag as the protocol feels it, for status(): kept, not reported per timer.
    this.#timerLateMs = lateMs;
    if (lateMs > this.#timerLateMaxMs) this.#timerLateMaxMs = lateMs;
    // So does the fallback of an armed takeover: the transport left it to us because a datagram waited unread (it
    // may be the master's), and nothing says the loop has read it since.
    if (lateMs > DRAIN_WHEN_LATE_MS || this.#takeoverSends !== undefined) this.#adapters.transport.drain?.();
    // A grid timer on time (within one grid step: the wake-up's other instances come first) is dated at its due
    // time, not at the moment the thread got to it: the next deadline is then on the grid again (due + interval),
    // and the instances sharing this wake-up share the next one too. Later than that, the thread was busy: real time.
    if (this.#timerOnGrid && lateMs < this.#config.advertIntervalMs / ADVERT_GRID_DIVISOR) this.#step(TIMEOUT, deadline);
    else this.#step(TIMEOUT);
  };

  async #apply(actions: readonly RouterAction[], ownInterfaceOnly = false): Promise<void> {
    const { vipManager } = this.#adapters;
    const iface = this.#vipIface;
    const vips = this.#vips;
    // Set when this batch's addresses could not be added: its announcement and its transition to Master are not
    // performed — the owner is never told of a mastership without addresses — and the core is told (#vipsFailed).
    let vipsFailed = false;
    for (let i = 0; i < actions.length; i++) {
      const action = actions[i] as RouterAction;
      // Counted whether or not the mastership it starts is reported (its addresses may fail below).
      if (action.type === 'transition' && action.reason === 'master-down-timer-expired') this.#io.masterDownExpirations++;
      if (vipsFailed && (action.type === 'announce' || (action.type === 'transition' && action.to === 'master'))) continue;
      switch (action.type) {
        case 'send':
          // Inline, not a helper: a backup's first send is its takeover, and V8 compiles a function at its first
          // call (see the Linux adapters' warm-ups); this method is compiled already, at start.
          try {
            const sent = this.#adapters.transport.send(action.dst, action.bytes);
            if (sent) await sent;
            if (advertSentChannel.hasSubscribers) this.#publishSent(action.dst, action.advertisement);
          } catch (cause) {
            this.#sendFailed(action.dst, cause);
          }
          break;
        // Direct calls, no closures: a takeover runs this case for the first time, and V8 compiles every function
        // literal at its first call (measured: tens of microseconds each, before the gratuitous ARP).
        // A takeover's add and announce, in a row, go to addAndAnnounce when the manager has it (one step, so the
        // announcement can leave the moment the addresses are up); the announce is then skipped.
        case 'addVips':
        case 'removeVips':
        case 'announce': {
          const both = action.type === 'addVips' && actions[i + 1]?.type === 'announce' && vipManager.addAndAnnounce !== undefined;
          if (both) i++;
          // Whether the addresses are up (or gone) after this step: what follows them runs then.
          let changed = false;
          try {
            // Routes and rules go before the addresses they may use (a route whose source is a VIP), as keepalived's do.
            if (action.type === 'removeVips' && this.#routing) await this.#changeRouting(false);
            let failure: unknown;
            try {
              const done =
                vips.length === 0
                  ? undefined
                  : both
                    ? vipManager.addAndAnnounce?.(iface, vips)
                    : action.type === 'addVips'
                      ? vipManager.add(iface, vips)
                      : action.type === 'removeVips'
                        ? vipManager.remove(iface, vips)
                        : vipManager.announce(iface, vips);
              if (done) await done;
            } catch (cause) {
              failure = cause;
            }
            // Those on other interfaces after the instance's own (unless its add failed: the fault removes them all).
            if (this.#otherVips !== undefined && !ownInterfaceOnly && (action.type !== 'addVips' || failure === undefined || isAnnounceFailure(failure))) {
              failure = await this.#applyOtherVips(this.#otherVips, action.type, both, failure);
            }
            if (failure !== undefined) throw failure;
            changed = true;
          } catch (cause) {
            this.#io.vipErrors++;
            const what = both ? 'add and announce' : action.type === 'addVips' ? 'add' : action.type === 'removeVips' ? 'remove' : 'announce';
            this.#error('vip_failed', `could not ${what} virtual addresses${cause instanceof Error ? `: ${cause.message}` : ''}`, cause);
            // Only the addresses decide: an announcement that failed after they were up (announce_failed) keeps
            // the mastership — the next burst may pass, and the clients' ARP caches expire meanwhile anyway.
            const announceOnly = cause instanceof VrrpError && cause.code === 'announce_failed';
            if (action.type === 'addVips' && !announceOnly) vipsFailed = true;
            changed = announceOnly;
          }
          // After the fact, off the takeover's path: the addresses are up (or gone) and announced already.
          if (changed && action.type !== 'announce') {
            // Routes, then rules, after the addresses and before the mastership is reported, as keepalived does
            // (keepalived announces after them; here the announcement went with the addresses, on the takeover's path).
            if (action.type === 'addVips' && this.#routing) await this.#changeRouting(true);
            // A resumed mastership's first add: the addresses the engine before left up were not added again.
            const keptUp = action.type === 'addVips' ? this.#keptAddresses : undefined;
            this.#keptAddresses = undefined;
            const addresses = keptUp === undefined ? this.#vipAddresses : this.#config.heldAddresses.filter((vip) => !keptUp.has(handoverKey(vip))).map((vip) => vip.address);
            this.#io.vipChanges += addresses.length;
            if (addresses.length > 0) this.#emit({ type: 'vips', action: action.type === 'addVips' ? 'add' : 'remove', addresses: [...addresses] });
            // The leases changed now, after the step that asked for them: publish, so that a status read once
            // the transition is seen shows them (it showed none until the next step, up to an interval later).
            const sink = this.#options.statsSink;
            if (sink !== undefined && this.#router) this.#publishStats(sink);
          }
          break;
        }
        case 'transition': {
          const { type: _type, ...rest } = action;
          // Told from the state the owner knows: after an unreported mastership (its addresses failed), that is
          // the state before it.
          const from = this.#reportedState;
          this.#reportedState = action.to;
          if (action.to === 'master') this.#vipRetryMs = VIP_RETRY_MIN_MS; // the addresses are up
          if (from !== action.to) this.#emit({ type: 'transition', ...rest, from });
          break;
        }
        case 'priorityChange':
          this.#emit({ type: 'priorityChange', from: action.from, to: action.to });
          break;
        case 'protocolError':
          this.#emit({ type: 'protocolError', code: action.code, message: action.message, src: action.src });
          break;
        case 'masterChange':
          this.#emit(action.master === undefined ? { type: 'masterChange' } : { type: 'masterChange', master: action.master });
          break;
        case 'lowerMasterHeard':
          this.#emit({ type: 'lowerMasterHeard', src: action.src, priority: action.priority, advertIntervalMs: action.advertIntervalMs });
          break;
      }
    }
    if (vipsFailed) this.#vipsFailed();
  }

  /**
   * A batch's add, remove or announcement of the addresses on other interfaces (`dev`), one interface after another,
   * after the instance's own (whose `failure`, if any, is given). Returns what to report: a refused add at once (the
   * fault that follows removes every address), else the first failure — the others are still tried, so that a
   * remove that fails on one interface leaves nothing on the rest, and an announcement that fails on one (the
   * addresses are up: `announce_failed`, the mastership stands) does not keep the next interface's addresses down.
   */
  async #applyOtherVips(others: readonly VipsOnInterface[], type: 'addVips' | 'removeVips' | 'announce', announce: boolean, failure: unknown): Promise<unknown> {
    const { vipManager } = this.#adapters;
    for (const { iface, addresses } of others) {
      if (type === 'addVips') {
        try {
          const added = vipManager.add(iface, addresses);
          if (added) await added;
        } catch (cause) {
          return cause;
        }
      }
      if (type === 'removeVips' || type === 'announce' || announce) {
        try {
          await (type === 'removeVips' ? vipManager.remove(iface, addresses) : vipManager.announce(iface, addresses));
        } catch (cause) {
          failure ??= type === 'removeVips' ? cause : new VrrpError('announce_failed', `cannot announce on ${iface}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
        }
      }
    }
    return failure;
  }

  /** The instance has virtual routes or rules. */
  get #routing(): boolean {
    return this.#config.virtualRoutes.length > 0 || this.#config.virtualRules.length > 0;
  }

  /**
   * Installs (`add`: routes, then rules) or removes (rules, then routes) the virtual routes and rules through the
   * VIP manager, in keepalived's order. Never throws: what fails is reported (`route_failed`) and the mastership
   * stands, as in keepalived — the addresses decide, not the routes.
   */
  async #changeRouting(add: boolean): Promise<void> {
    const { vipManager } = this.#adapters;
    let { virtualRoutes, virtualRules } = this.#config;
    // The first change after a Master's handover: what the engine before left up is not installed again, and is
    // ours to remove from now on (the set is dropped either way).
    const kept = this.#keptRouting;
    this.#keptRouting = undefined;
    if (add && kept !== undefined) {
      // Held as installed by this engine from now on (watched, put back), not installed again. One that could not
      // be taken over is installed below as any other (its refusal reported there): nothing is held that is not.
      try {
        await vipManager.adoptRouting?.(
          virtualRoutes.filter((route) => kept.routes.has(handoverKey(route))),
          virtualRules.filter((rule) => kept.rules.has(handoverKey(rule))),
        );
        virtualRoutes = virtualRoutes.filter((route) => !kept.routes.has(handoverKey(route)));
        virtualRules = virtualRules.filter((rule) => !kept.rules.has(handoverKey(rule)));
      } catch (cause) {
        this.#error('route_failed', `could not take over the virtual routes or rules of the engine before${cause instanceof Error ? `: ${cause.message}` : ''}`, cause);
      }
    }
    for (const rules of add ? [false, true] : [true, false]) {
      const bit = rules ? RULES_HELD : ROUTES_HELD;
      if ((rules ? virtualRules : virtualRoutes).length === 0) {
        // Nothing (left) to install: held when the configuration has some, the kept ones.
        if (add && (rules ? this.#config.virtualRules : this.#config.virtualRoutes).length > 0) this.#routingHeld |= bit;
        continue;
      }
      // Not held from the moment a removal starts, nor after an install that failed (some may be in: not all).
      this.#routingHeld &= ~bit;
      try {
        if (rules) await (add ? vipManager.addRules?.(virtualRules) : vipManager.removeRules?.(virtualRules));
        else await (add ? vipManager.addRoutes?.(virtualRoutes) : vipManager.removeRoutes?.(virtualRoutes));
        if (add) this.#routingHeld |= bit;
      } catch (cause) {
        const what = rules ? 'rules' : 'routes';
        this.#error('route_failed', `could not ${add ? 'install' : 'remove'} virtual ${what}${cause instanceof Error ? `: ${cause.message}` : ''}`, cause);
      }
    }
    // No step need follow a change of routing: status() hears of it now, not at the next publish.
    if (this.#options.statsSink && this.#router) this.#publishStats(this.#options.statsSink);
  }

  /**
   * The addresses could not be added on becoming Master: the core faults (priority 0 goes out, so a peer serves;
   * whatever was added is removed), and tries again after a backoff — 1 s, doubling to 30 s — by leaving Fault:
   * Master again only if it still wins the election, where the add is tried anew.
   */
  #vipsFailed(): void {
    // An add that failed after the core left the mastership it was for (a higher priority heard while it ran, a
    // stop) is reported (vip_failed) and no more: faulting a backup took it out of the election for the backoff, and
    // the removal queued behind the add clears whatever it did add.
    if (this.#router?.state !== 'master') return;
    this.#step({ type: 'vips', up: false });
    this.#cancelVipRetry?.();
    this.#cancelVipRetry = this.#adapters.clock.setTimer(this.#vipRetryMs, () => {
      this.#cancelVipRetry = undefined;
      this.#step({ type: 'vips', up: true });
    });
    this.#vipRetryMs = Math.min(VIP_RETRY_MAX_MS, this.#vipRetryMs * 2);
  }

  /**
   * A master's periodic batch — sends only, nothing queued before it, a transport that sends synchronously — goes
   * out here without the promise chain of a queued batch (three promises and their microtasks per advert: at 255
   * masters × 100 ms adverts, a measurable share of the engine thread's CPU). Returns false, having done nothing,
   * when the batch is not of that kind; a send that turns out asynchronous joins the queue as a batch would.
   * `routine`: the batch is a timer's sends only, i.e. a master's periodic advert; a transport that queues
   * ({@link Transport.queue}) sends it with the other instances' of this wake-up in one system call (each send
   * used to cost a preemption by the peer it woke: native/vrrp_socket.c, "Batched adverts"). Not while a
   * `vrrp:advert:sent` subscriber listens, who is told of each advert as it leaves.
   */
  #sendAtOnce(actions: readonly RouterAction[], routine: boolean): boolean {
    for (let i = 0; i < actions.length; i++) if ((actions[i] as RouterAction).type !== 'send') return false;
    const transport = this.#adapters.transport;
    if (routine && transport.queue !== undefined && !advertSentChannel.hasSubscribers) {
      for (let i = 0; i < actions.length; i++) {
        const action = actions[i] as Extract<RouterAction, { type: 'send' }>;
        try {
          transport.queue(action.dst, action.bytes, this.#queuedSendFailed);
        } catch (cause) {
          this.#sendFailed(action.dst, cause);
        }
      }
      return true;
    }
    for (let i = 0; i < actions.length; i++) {
      const action = actions[i] as Extract<RouterAction, { type: 'send' }>;
      try {
        const sent = transport.send(action.dst, action.bytes);
        // A send that completes later is published by nobody: the transports that matter send at once.
        if (advertSentChannel.hasSubscribers && !sent) this.#publishSent(action.dst, action.advertisement);
        if (sent) {
          this.#batchesInFlight++;
          const rest = actions.slice(i + 1);
          this.#actionQueue = sent
            .catch((cause: unknown) => this.#sendFailed(action.dst, cause))
            .then(() => (rest.length > 0 ? this.#apply(rest) : undefined))
            .catch((cause: unknown) => this.#error('transport_failed', 'an action failed unexpectedly', cause))
            .finally(() => this.#batchesInFlight--);
          return true;
        }
      } catch (cause) {
        this.#sendFailed(action.dst, cause);
      }
    }
    return true;
  }

  /** `vrrp:advert:sent`, for a subscriber (see src/diagnostics.ts). */
  #publishSent(dst: string, advertisement: Readonly<Advertisement>): void {
    const message: AdvertChannelMessage = {
      ...this.#channelInstance,
      src: this.#channelSrc,
      dst,
      version: advertisement.version,
      priority: advertisement.priority,
      advertIntervalMs: advertisement.advertIntervalMs,
      addresses: [...advertisement.addresses],
    };
    advertSentChannel.publish(message);
  }

  /**
   * `vrrp:advert:received`, for a subscriber: the packet decoded on its own (the core's decode keeps nothing), so
   * this costs only while someone listens. A packet that does not decode is not an advert: the core reports it.
   */
  #publishReceived(bytes: Uint8Array, src: string, dst: string, ttl: number, times = 1): void {
    // Either checksum mode: what arrived is told; whether it is accepted is the core's to say.
    const decoded = decodeAdvertisement(bytes, { family: this.#config.family, src, dst, v3Ipv4Checksum: 'either' });
    if (!decoded.ok) return;
    const { advertisement } = decoded;
    const message: AdvertChannelMessage = {
      ...this.#channelInstance,
      src,
      dst,
      version: advertisement.version,
      priority: advertisement.priority,
      advertIntervalMs: advertisement.advertIntervalMs,
      addresses: advertisement.addresses,
      ttl,
    };
    // `times` identical packets (absorbed repeats): decoded once, told once each.
    for (let i = 0; i < times; i++) advertReceivedChannel.publish(message);
  }

  /** A queued advert the transport could not send (see #sendAtOnce); one function per engine, not one per advert. */
  readonly #queuedSendFailed = (dst: string, cause: unknown): void => this.#sendFailed(dst, cause);

  #sendFailed(dst: string, cause: unknown): void {
    this.#io.sendErrors++;
    this.#error('send_failed', `could not send advertisement to ${dst}`, cause);
  }

  #statsPublishedMs = -Infinity;
  /** How late the latest timer fired, and the worst since start, in ms (see #onTimer). */
  #timerLateMs = 0;
  #timerLateMaxMs = 0;

  #publishStats(sink: Float64Array): void {
    this.#statsPublishedMs = this.#adapters.clock.now();
    const router = this.#router as VirtualRouter;
    writeCounters(sink, router, this.#io, this.#tallied);
    if (sink.length >= runtimeSinkLength(this.#config)) this.#publishRuntime(sink, router);
  }

  /**
   * The runtime beside the counters (layout: {@link runtimeSinkLength}). Instants cross as wall-clock ms
   * (`Date.now()` based): the threads' monotonic clocks have different origins, the wall clock is shared.
   */
  #publishRuntime(sink: Float64Array, router: VirtualRouter): void {
    const clock = this.#adapters.clock;
    const wallMs = Date.now();
    const deadline = router.nextDeadline();
    let at = ENGINE_STATS_KEYS.length;
    sink[at++] = wallMs;
    // A tallying transport writes the next timer's instant as it goes (see #lend).
    if (this.#tallied.lent === 0) sink[at] = deadline === undefined ? Number.NaN : wallMs + (deadline - clock.now());
    at++;
    sink[at++] = router.masterAdverIntervalMs;
    sink[at++] = this.#timerLateMs;
    sink[at++] = this.#timerLateMaxMs;
    sink[at++] = this.#repeat === undefined ? 0 : 1;
    sink[at++] = this.#routingHeld;
    const { vipManager } = this.#adapters;
    const { heldAddresses, trackers } = this.#config;
    const iface = this.#vipIface;
    for (let i = 0; i < heldAddresses.length; i++) {
      const vip = heldAddresses[i] as VirtualAddress;
      const remaining = vipManager.leaseRemainingMs?.(vip.dev ?? iface, vip.address);
      sink[at++] = remaining === undefined ? Number.NaN : wallMs + remaining;
    }
    const states = router.trackers;
    for (let i = 0; i < trackers.length; i++) {
      const state = states.get((trackers[i] as { name: string }).name);
      sink[at++] = state === undefined ? Number.NaN : TRACKER_STATUS_CODES.indexOf(state.status);
      sink[at++] = state?.value ?? Number.NaN;
    }
  }

  /**
   * `eventLoopLag` trackers: every `intervalMs` the engine asks how long the main thread has not answered and
   * hands the core a result, which applies weight, fall, rise and reverse like any tracker's. The first result
   * comes at once, so a weight-0 tracker does not hold the start.
   */
  #startLagTrackers(): void {
    const clock = this.#adapters.clock;
    for (const tracker of this.#config.trackers) {
      if (tracker.type !== 'eventLoopLag') continue;
      const { name, intervalMs, thresholdMs } = tracker;
      const look = (expectedMs: number): void => {
        const source = this.#options.mainThreadLagMs;
        const lagMs = source ? source() : Math.max(0, clock.now() - expectedMs);
        this.#step({ type: 'tracker', name, passed: lagMs < thresholdMs });
        if (!this.#router) return;
        const dueMs = clock.now() + intervalMs;
        (this.#lagTimers ??= new Map()).set(name, clock.setTimer(intervalMs, () => look(dueMs)));
      };
      look(clock.now());
    }
  }

  #error(code: VrrpErrorCode, message: string, cause: unknown): void {
    const event: EngineEvent = { type: 'error', code, message };
    if (cause !== undefined) event.cause = cause;
    try {
      this.#emit(event);
    } catch {
      // The owner's error reporting failed; nothing left to tell, and the protocol must go on.
    }
  }

  async #teardown(): Promise<void> {
    if (this.#syncMember !== undefined) this.#syncLink?.leave(this.#syncMember);
    this.#syncLink = undefined;
    this.#cancelVipRetry?.();
    this.#cancelVipRetry = undefined;
    for (const cancel of this.#lagTimers?.values() ?? []) cancel();
    this.#lagTimers = undefined;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    this.#timerDeadline = undefined;
    this.#timerDueMs = undefined;
    this.#timerMode = TIMER_PLAIN;
    this.#repeat = undefined; // the transport's close ends the absorbing
    this.#adverts = undefined; // and the advert schedule, and with them the tallies
    this.#tallied.lent = 0;
    this.#silenceWatched = false;
    this.#silent = false;
    this.#stopLink?.();
    this.#stopLink = undefined;
    const vmacLinks = this.#vmacLinks;
    vmacLinks?.stopVmac?.();
    vmacLinks?.retry?.();
    this.#vmacLinks = undefined;
    // A make in flight holds the VMAC for this engine's VIP manager as it ends: done before that manager closes.
    await vmacLinks?.pending;
    // Each on its own: a transport that fails to close must not leave the VIP manager's renewals, address watch
    // and timers running (a VIP whose removal failed would then be renewed forever).
    try {
      await this.#adapters.transport.close();
    } catch (cause) {
      this.#error('transport_failed', 'could not close the transport', cause);
    }
    try {
      await this.#adapters.vipManager.close?.();
    } catch (cause) {
      this.#error('vip_failed', 'could not close the VIP manager', cause);
    }
  }
}

/**
 * A VMAC's link and its base's, as the link monitor last said; whether the VMAC is being made again (the link is
 * down for the core meanwhile: the transport may be bound to a link that is gone); the retry of a make that failed;
 * how to stop watching the VMAC's link; and whether changes reach the core yet (not before start has judged both).
 */
interface VmacLinks {
  base: boolean;
  vmac: boolean;
  remaking: boolean;
  /** Counts the makes begun: a make's answer counts only if no later one began. */
  generation: number;
  /** The latest make (awaited before the VIP manager closes: its hold must not outlive the engine). */
  pending: Promise<void> | undefined;
  retry: (() => void) | undefined;
  retryMs: number;
  stopVmac: (() => void) | undefined;
  live: boolean;
}

/** The own addresses' interface before start names the VMAC: no interface can have this name (see the constructor). */
const VMAC_NOT_NAMED_YET = '\0vmac';

/** The plain start input (see Engine.start). */
const START: RouterInput = Object.freeze({ type: 'start' });

/** First and longest wait before trying the addresses again after they could not be added (see #vipsFailed). */
const VIP_RETRY_MIN_MS = 1000;
const VIP_RETRY_MAX_MS = 30_000;

/**
 * How long before the core's deadline the engine looks for absorbed repeats (see #step): more than a precise
 * timer's early wake (1–3 ms, src/linux/clock.ts), so that a live master's repeats move the deadline before it.
 */
const REPEAT_CHECK_LEAD_MS = 5;
/** The longest a transport that absorbs repeats may leave other packets unread (see #considerRepeats). */
const REPEAT_HOLD_MAX_MS = 20;
/** The coarsest grid repeat checks are put on (see #step): 255 instances at 100 ms share about 40 wake-ups a second. */
const REPEAT_CHECK_GRID_MS = 25;
/**
 * How long before the core's deadline a transport that watches for silence reports one (at most a quarter of the
 * Master_Down_Interval): room for the engine to collect the repeats and arm its precise timer for the deadline.
 */
const SILENCE_LEAD_MS = 10;
/**
 * While a transport watches for silence, its absorbed repeats are collected on this grid, no sooner than the
 * core's deadline, for the counters only: `advertisementsReceived` of an absorbing backup is then at most about a
 * Master_Down_Interval and this much behind.
 */
const REPEAT_REFRESH_MS = 1000;
/** The armed timer's purpose (see #step): the core's deadline; a repeat check before it; a refresh of the counters. */
const TIMER_PLAIN = 0;
const TIMER_CHECK = 1;
const TIMER_REFRESH = 2;

/** Where the runtime's next timer instant sits in a stats sink (see {@link runtimeSinkLength}). */
const DEADLINE_AT = ENGINE_STATS_KEYS.length + 1;

/** How stale the counters an engine thread publishes may be (see #step). */
export const STATS_PUBLISH_MS = 100;
/** The input of every timer, allocated once (a master steps with it once per advert). */
const TIMEOUT: RouterInput = Object.freeze({ type: 'timeout' });
/** The timer options of #step, allocated once (they are asked for on every packet). */
const PRECISE = { precise: true } as const;
const NOT_PRECISE = { precise: false } as const;

/**
 * How late a timer may fire before the socket is drained first. Below this the loop cannot have left an advert
 * unread for long; above it (an app blocked the thread) adverts may be waiting and must be read before a
 * Master_Down_Timer may declare the master dead.
 */
const DRAIN_WHEN_LATE_MS = 1;
/**
 * How long after an armed takeover's deadline the precise timer comes, for when the transport left the takeover to
 * the engine (a packet waited unread: see #armTakeover). Short, since that is then the takeover's delay; long enough
 * that the transport's alarm, on time, comes first.
 */
const TAKEOVER_FALLBACK_MS = 0.5;

/**
 * A Master's Adver_Timer waits for the next point of a grid of `advertIntervalMs / ADVERT_GRID_DIVISOR` (5 ms at
 * 100 ms adverts), so that instances whose deadlines fall within one step share one wake-up of the engine thread
 * and stay together: on the Linux engine thread every wake-up costs a timerfd re-arm, an epoll return and a call
 * into JavaScript, which at 255 masters started a few milliseconds apart was about 115 wake-ups a second for 2,550
 * adverts (docs/linux.md, "Advert grid"). An advert then leaves up to a twentieth of its interval late, once: the
 * timeout is dated at the grid point, so the next deadline is on the grid and the interval stays exact. Receivers
 * wait three intervals and the Skew_Time before taking over, so the delay costs no margin that matters.
 */
export const ADVERT_GRID_DIVISOR = 20;

/** The grid point at or after `deadlineMs` (see {@link ADVERT_GRID_DIVISOR}). */
export function advertDueMs(deadlineMs: number, advertIntervalMs: number): number {
  const gridMs = advertIntervalMs / ADVERT_GRID_DIVISOR;
  // A deadline on the grid already (due + interval, computed in floating point) stays where it is.
  return Math.ceil(deadlineMs / gridMs - 1e-9) * gridMs;
}

/** An input's arrival: `ageMs` (as of the reading `nowMs`) before it; a negative age counts as none. */
function datedBefore(nowMs: number, ageMs: number): number {
  return nowMs - (ageMs > 0 ? ageMs : 0);
}

/**
 * How long until the next advert of a schedule the transport runs (see #considerAdverts): the core's deadline is as
 * of the last collection, and the schedule keeps its phase from there.
 */
function nextOnSchedule(deadlineMs: number, intervalMs: number, nowMs: number): number {
  if (nowMs <= deadlineMs) return deadlineMs - nowMs;
  const sinceMs = (nowMs - deadlineMs) % intervalMs;
  return sinceMs === 0 ? 0 : intervalMs - sinceMs;
}

/** Whether `actions` send anything (a send at once restarts a Master's Adver_Timer). */
function sendsIn(actions: readonly RouterAction[]): boolean {
  for (let i = 0; i < actions.length; i++) if ((actions[i] as RouterAction).type === 'send') return true;
  return false;
}

/** When to look for absorbed repeats before `deadlineMs` (see #step): REPEAT_CHECK_LEAD_MS before it, down to the grid. */
function repeatCheckMs(deadlineMs: number, masterAdverIntervalMs: number): number {
  const latestMs = deadlineMs - REPEAT_CHECK_LEAD_MS;
  const gridMs = Math.max(1, Math.min(REPEAT_CHECK_GRID_MS, masterAdverIntervalMs / 4));
  return latestMs - (latestMs % gridMs);
}

/**
 * Runs a throwaway router through start → takeover → stop, so that V8 has compiled the takeover's code before the
 * first real takeover runs it (V8 compiles a function at its first call; measured: the first `handle` of a
 * takeover cost 0.1 ms, later ones 0.03 ms). Pure: no I/O, nothing kept.
 */
function rehearseTakeover(config: RouterConfig): void {
  // Without an address yet, rehearse with a stand-in one: the code paths are the same.
  const primaryAddress = config.primaryAddress ?? (config.family === 'ipv4' ? '192.0.2.1' : 'fe80::1');
  const router = new VirtualRouter({ ...config, primaryAddress, trackers: [], initialState: 'backup', syncGroup: false });
  router.handle({ type: 'start' }, 0);
  void router.takeoverSends;
  const deadlineMs = router.nextDeadline() ?? 0;
  router.handle({ type: 'timeout' }, deadlineMs);
  router.handle({ type: 'stop' }, deadlineMs + 1);
}

function routerConfig(config: ResolvedConfig, primaryAddress: string | undefined): RouterConfig {
  return {
    vrid: config.vrid,
    version: config.version,
    family: config.family,
    priority: config.priority,
    advertIntervalMs: config.advertIntervalMs,
    virtualAddresses: config.virtualAddresses.map((vip) => vip.address),
    primaryAddress,
    destinations: config.unicastPeers.length > 0 ? config.unicastPeers : [VRRP_MULTICAST_GROUP[config.family]],
    preempt: config.preempt,
    preemptDelayMs: config.preemptDelayMs,
    initialState: config.initialState,
    authentication: config.authentication,
    v3Ipv4Checksum: config.v3Ipv4Checksum,
    strictChecksum: config.strictChecksum,
    trackers: config.trackers,
    syncGroup: (config as EngineConfig).syncGroupId !== undefined,
  };
}
