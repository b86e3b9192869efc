/**
 * `VrrpInstance`: the class users touch, and the only place that wires the pure core to the adapters.
 *
 * Theory of operation:
 * - The protocol runs in an {@link Engine} (core + adapters + the one timer); this class keeps what belongs to the
 *   app — events, hooks, tracker checks — and talks to the engine only in plain data (tracker results in,
 *   EngineEvents out), so that the engine can later move to its own thread without changing this API.
 * - The engine reports a transition only after the actions before it were applied: a `master` event is emitted
 *   only after the addresses are added and announced.
 * - Hooks run on a second serial queue, in transition order, one at a time, each awaited with a timeout. They never
 *   block the action queue: a slow `onMaster` must not delay the advertisements that keep us master, nor the VIP
 *   removal when we lose. A hook that throws or times out is reported (`hookError`) and the next one runs.
 * - Failures of I/O (send, VIP change) are reported as `error` events and counted; the protocol keeps running.
 * - `whileMaster` work is not a hook: it has no timeout while master and runs beside the hook queue, started where
 *   `master` is emitted and aborted with the mastership's signal. Each registration runs one at a time: a run starts
 *   only after the previous run of the same registration settled, so a quick master → backup → master never has
 *   two copies of one app's work serving at once; a run whose mastership ended while it waited is skipped.
 * - `term` counts this object's masterships (never reset, not by stop/start): stamped on every event and context so
 *   that work of an old mastership can be told from the current one's. `master` is the core's master as heard,
 *   updated before any event of the transition that carries it, so every listener sees state and master agree.
 * - Trackers other than `eventLoopLag` run here, each through its probe (src/trackers/): one run at start, the next
 *   `intervalMs` after the previous one settled, a run that outlives `timeoutMs` reported as failed and aborted.
 *   Each result goes to the engine, and to a mirror of the core's tracker state (the same pure functions), which
 *   is what `trackerChange` events, with the result's reason, are emitted from.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { EventEmitter } from 'eventemitter3';
// Declares the globals our public types name, for apps whose lib / @types/node lack them (src/globals.ts).
import './globals.js';
import { systemClock } from './adapters/system-clock.js';
import type { Adapters, Clock } from './adapters/types.js';
import { formatVirtualRoute, formatVirtualRule, resolveConfig, type ResolvedConfig, type TrackerType, type VrrpConfig } from './config.js';
import { applyTrackerResult, carryTrackerState, effectivePriority, initialTrackerState, type TrackerState, type TrackerStatus } from './core/priority.js';
import type { MasterInfo, ProtocolErrorCode, RouterInput, RouterState, TransitionReason } from './core/router.js';
import { createStats } from './core/stats.js';
import { Engine, handoverKept, type EngineEvent, type EngineResume, type EngineStats } from './engine/engine.js';
import { RemoteEngine, type EngineLike } from './engine/host.js';
import { ConfigError, emitVrrpWarning, VrrpError, warnIfUnheard } from './errors.js';
import { createProbe, defaultTrackerHost, type InstanceTrackerConfig } from './trackers/index.js';
import { enginePlacement, holdResult, syncGroupHold, withSyncHold, type SyncHold } from './sync-hold.js';
import { errorReason, type Probe, type ProbeResult } from './trackers/types.js';
import { masterDownIntervalMs, skewTimeMs } from './core/timers.js';
import { trackerAdjustment, trackerFaults } from './core/priority.js';
import { STATS_PUBLISH_MS } from './engine/engine.js';
import { newMasterReason, protoErrReason, statusCounters, type NewMasterReason, type ProtoErrReason, type ProtocolErrorStatus, type VrrpStatus } from './status.js';
import { logSafely, resolveLogger, type VrrpLogger } from './logger.js';
import { observe, Observers } from './observe.js';
import { stateChannel, vipChannel, type StateChannelMessage, type VipChannelMessage } from './diagnostics.js';

/** What an absent collection iterates as. */
const NONE: readonly never[] = [];

/**
 * One run of a hook or of `whileMaster` work, as the code it runs sees it through its async context ({@link ownWork}):
 * how `stop()` tells that it was called from within the instance's own work, which its waits would wait on.
 */
interface OwnWork {
  readonly instance: VrrpInstance;
  /** Set once nothing waits for this run any more: it settled, or its hook timed out / its wind-down ran late. */
  released: boolean;
  /** The work this one was started from, if any (another instance's hook that stopped this one, say). */
  readonly outer: OwnWork | undefined;
}

/**
 * The hook or `whileMaster` run the current code belongs to. Why async context and not a flag: a hook awaits before
 * it calls `stop()`, and other code runs meanwhile; only the context follows the hook's own chain. It is entered only
 * where a hook or whileMaster run starts, so an app with neither never turns it on.
 */
const ownWork = new AsyncLocalStorage<OwnWork>();

/**
 * The run the calling code belongs to, for a new run's `outer`: the nearest one still awaited. Released ones are
 * passed over, so that a chain holds only runs in progress (a hook that restarted the instance leaves its context
 * to everything that run does, and a chain kept through it would grow with every restart).
 */
function currentWork(): OwnWork | undefined {
  let work = ownWork.getStore();
  while (work !== undefined && work.released) work = work.outer;
  return work;
}

/** A state of the instance: `initialize` before start and after stop, then `backup`, `master` or `fault`. */
export type VrrpState = RouterState;

/** Payload of `stateChange`, `master`, `backup`, `fault` and `stop`. */
export interface StateChangeEvent {
  /** State left. */
  from: VrrpState;
  /** State entered. */
  to: VrrpState;
  /** Why (stable string). */
  reason: TransitionReason;
  /** Address of the router whose advertisement caused it, when one did. */
  peer?: string;
  /**
   * This instance's mastership count: incremented at each transition to master, never reset (not by `stop()` /
   * `start()`). In a `master` event, the new mastership's; in the others, the latest mastership's (0: none yet).
   * Stamp work with it to fence an old mastership's (see {@link VrrpInstance.term}).
   */
  term: number;
}

/**
 * The master as last heard: its primary address, the priority and advertisement interval it advertises, and
 * whether it is this instance. See {@link VrrpInstance.master}.
 */
export type VrrpMaster = Readonly<MasterInfo>;

/** Payload of `masterChange`: the master as heard changed (address, priority or interval), or became unknown. */
export interface MasterChangeEvent {
  /** The master before; undefined when it was unknown. */
  from: VrrpMaster | undefined;
  /** The master now; undefined when unknown (before the first advertisement, after the master resigned, in fault, stopped). */
  to: VrrpMaster | undefined;
}

/**
 * Payload of `lowerMasterHeard`: as master, we heard another master that we outrank (lower priority, or equal with
 * a lower address) — a healed split brain, or a one-way partition. We answered with an advertisement and
 * re-announced our addresses; the other side should yield within one packet. Emitted once per episode: again only
 * after that router was silent for its Master_Down_Interval, or when its address or priority changes.
 */
export interface LowerMasterHeardEvent {
  /** The other master's primary address. */
  address: string;
  /** The priority it advertised. */
  priority: number;
  /** The advertisement interval it advertised, in ms. */
  advertIntervalMs: number;
  /** Our current mastership's term: the one to re-assert. */
  term: number;
}

/** Payload of `priorityChange`. */
export interface PriorityChangeEvent {
  /** Previous effective priority. */
  from: number;
  /** New effective priority. */
  to: number;
}

/** Payload of `protocolError`: a received packet was dropped. */
export interface ProtocolErrorEvent {
  /** Why it was dropped. */
  code: ProtocolErrorCode;
  /** Human-readable detail. */
  message: string;
  /** Sender address. */
  src: string;
}

/**
 * Payload of `trackerChange`: a tracker's status changed (after `fall` / `rise`), or a `file` tracker's value did.
 * Not emitted for `eventLoopLag` trackers, which the engine runs.
 */
export interface TrackerChangeEvent {
  /** The tracker's name. */
  name: string;
  /** The tracker's type. */
  type: TrackerType;
  /** Status before: `unknown` until the first result (or `down` with `initFail`). */
  from: TrackerStatus;
  /** Status now. */
  to: TrackerStatus;
  /**
   * Why, from the result that made the change: `exit code 1: …`, `timed out after 2000 ms`, `ECONNREFUSED`,
   * `status 503, expected 200–299`, `2 of quorum 3 processes`, `value 3 × weight -10 = -30`, `eth1 admin down`.
   */
  reason: string;
  /** A `file` tracker's value read. */
  value?: number;
}

/** Payload of `hookError`. */
export interface HookErrorEvent {
  /** The state whose hook failed (`initialize` for an `onStop` hook). */
  state: VrrpState;
  /** Which kind of hook failed: `onMaster`'s, `onBackup`'s, `onFault`'s or `onStop`'s. */
  hook: HookKind;
  /** `hook_failed` (it threw) or `hook_timeout`. */
  error: VrrpError;
}

/** Payload of `reconfigured`, and what {@link VrrpInstance.reconfigure} resolves with. */
export interface ReconfiguredEvent {
  /** The configuration's fields that changed (resolved names: `virtualAddresses`, `trackers`, …); empty: none did. */
  changed: string[];
  /**
   * Whether the running instance's engine was replaced; false when it was not running, nothing changed, or the new
   * engine could not start (the run then ended: the configuration is kept for the next start).
   */
  applied: boolean;
}

/** Events of a {@link VrrpInstance}, with their payloads. */
export interface VrrpEvents {
  /** Any state change, after its actions were applied. */
  stateChange: [event: StateChangeEvent];
  /** Became master: VIPs are added and announced. */
  master: [event: StateChangeEvent];
  /** Became backup. */
  backup: [event: StateChangeEvent];
  /** Entered fault (link down or a weight-0 tracker down). */
  fault: [event: StateChangeEvent];
  /** The master as heard changed, after the events of the transition that changed it, if one did. */
  masterChange: [event: MasterChangeEvent];
  /** As master, we heard a master we outrank (a healed split brain): re-assert what the app holds. */
  lowerMasterHeard: [event: LowerMasterHeardEvent];
  /** Stopped: priority 0 was sent if we were master and the VIPs are removed; the transport closes right after. */
  stop: [event: StateChangeEvent];
  /** Effective priority changed. */
  priorityChange: [event: PriorityChangeEvent];
  /** A tracker's status (or a `file` tracker's value) changed, with the reason. */
  trackerChange: [event: TrackerChangeEvent];
  /** A received packet was dropped (and counted). */
  protocolError: [event: ProtocolErrorEvent];
  /** A hook threw or timed out; the state machine went on. */
  hookError: [event: HookErrorEvent];
  /**
   * A new configuration was taken ({@link VrrpInstance.reconfigure}): once the new engine has started, before any
   * event it causes; when that engine cannot start, after the run's end, with `applied: false`.
   */
  reconfigured: [event: ReconfiguredEvent];
  /**
   * A failure: I/O (send, VIP change), or `whileMaster` work that threw (`while_master_failed`) or did not settle
   * within `hookTimeoutMs` of its signal's abort (`while_master_timeout`). Reported, counted, never fatal.
   */
  error: [error: VrrpError];
}

/** What a hook receives. */
export interface HookContext extends StateChangeEvent {
  /** Aborted when the hook times out, when the instance leaves the state, or on stop. */
  signal: AbortSignal;
}

/** A hook: may be async; it is awaited (up to `hookTimeoutMs`) before the next hook runs. */
export type Hook = (context: HookContext) => void | Promise<void>;

/** The kinds of hook: `onMaster`, `onBackup`, `onFault`, `onStop`. */
export type HookKind = 'master' | 'backup' | 'fault' | 'stop';

/** What `whileMaster` work receives besides its signal: the transition to master that began its mastership. */
export type WhileMasterContext = Readonly<StateChangeEvent>;

/**
 * Work scoped to a mastership (see {@link VrrpInstance.whileMaster}): runs while master, with no timeout; wind down
 * when `signal` aborts.
 */
export type WhileMasterWork = (signal: AbortSignal, context: WhileMasterContext) => void | Promise<void>;

/** Counters: the core's (RFC 6527 names), the engine's I/O failures, and hook and `whileMaster` failures. */
export interface InstanceStats extends EngineStats {
  /** Hooks that threw or timed out. */
  hookErrors: number;
  /** `whileMaster` runs that threw, rejected, or did not settle within `hookTimeoutMs` of their abort. */
  whileMasterErrors: number;
  /** State changes reported (`stateChange` events), the final one to `initialize` at stop included. */
  transitions: number;
}

/** One `whileMaster` registration and its latest run. */
interface WhileMasterEntry {
  readonly work: WhileMasterWork;
  /** The latest run's controller: aborted when its mastership ends, on stop, or by the disposer. */
  controller: AbortController | undefined;
  /** Settles (never rejects) when the latest run has: the next run of this registration waits for it. */
  settled: Promise<void>;
}

/** One VRRP virtual router inside this process. */
export class VrrpInstance extends EventEmitter<VrrpEvents> {
  #config: ResolvedConfig;
  /** The library's own listeners (notify scripts, a sync group): called before the app's, each apart (src/observe.ts). */
  readonly #observers = new Observers<VrrpEvents>();
  readonly #givenAdapters: Adapters | undefined;
  #engine: EngineLike | undefined;
  #state: VrrpState = 'initialize';
  #running = false;
  #hookQueue: Promise<void> = Promise.resolve();
  // The collections below are made when first written: most instances run no tracker and no whileMaster work,
  // and an empty Map costs ~180 bytes, an AbortController ~700 — at 255 instances, most of what an instance held on
  // the app's thread (docs/linux.md, "Memory per instance").
  #trackerTimers: Map<string, () => void> | undefined;
  /** This run's probe of each tracker the instance runs (all but `eventLoopLag`), by name. */
  #probes: Map<string, { tracker: InstanceTrackerConfig; probe: Probe }> | undefined;
  /** The core's tracker state as the results delivered make it (see applyTrackerResult), for trackerChange. */
  #trackerStates: Map<string, TrackerState> | undefined;
  /** Checks in flight: their controller, and the cancel function of their timeout. */
  #trackerRuns: Map<AbortController, () => void> | undefined;
  /** Bumped on every start and stop, so that a check finishing after a restart cannot start a second loop. */
  #generation = 0;
  /** start() and stop() run one after the other, never interleaved, whatever the caller awaits. */
  #lifecycle: Promise<unknown> = Promise.resolve();
  /**
   * The pending start's (or reconfigure's) wait for its first transition: resolved by it, rejected when the engine
   * thread dies first; a start's also ends with `abortStart` when stop() is called meanwhile (see #start).
   */
  #firstTransition: { resolve: () => void; reject: (error: unknown) => void; abortStart?: () => void } | undefined;
  /** How many times stop() was called: a start() ends its wait when a stop() came after it (see #start). */
  #stopCalls = 0;
  /**
   * Settles once the engine of the latest stop() asked so far has stopped (its VIPs removed, `stop` emitted), before
   * that stop waits for hooks; cleared when a run starts. What a stop() from within the run's own work waits for.
   */
  #stopRequested: Promise<void> | undefined;
  /** Aborted when the state is left; made when a hook or whileMaster run first asks for the state's signal. */
  #stateAbort: AbortController | undefined;
  /** Hooks by kind, each list made when its first hook is added: most instances have none of most kinds. */
  readonly #hooks: Partial<Record<HookKind, Hook[]>> = {};
  #hookErrors = 0;
  #whileMasterErrors = 0;
  #transitions = 0;
  /** The app's logger (or NODE_DEBUG's, or silence) with this instance's bindings; see src/logger.ts. */
  #log: VrrpLogger;
  /** The logger as given (not part of the resolved configuration), to tell a reconfiguration's new one. */
  #givenLogger: VrrpLogger | undefined;
  /** Counters of the engines a reconfiguration replaced in this run, added to the current engine's (see `stats`). */
  #statsBefore: EngineStats | undefined;
  /** The latest any engine that a reconfiguration replaced in this run ran a timer, in ms (see status()'s `timerLateMaxMs`). */
  #timerLateMaxBeforeMs = 0;
  /** Set while a reconfigured engine starts: its first transition, out of `initialize`, carries on from this state. */
  #resumedFrom: VrrpState | undefined;
  /** Masterships of this object so far: never reset, so that it only grows across stop / start. */
  #term = 0;
  /** The master as last heard (frozen: handed to the app as is). */
  #master: VrrpMaster | undefined;
  #whileMaster: Set<WhileMasterEntry> | undefined;
  /** The current mastership's transition, while master: what `whileMaster` work starts with (and the state's signal). */
  #mastership: WhileMasterContext | undefined;
  /** Runs of `whileMaster` not yet released (settled, or past `hookTimeoutMs` after their abort): stop waits for them. */
  #whileMasterRuns: Set<Promise<void>> | undefined;
  /** For status(): when the state was entered (wall clock, and the instance's clock) and why. */
  #since: { wallMs: number; clockMs: number; reason: TransitionReason | null } | undefined;
  /** For status(): when the counters started, RFC 6527's reasons, the latest drop, each tracker's latest reason. */
  #countersSinceMs: number | undefined;
  #newMasterReason: NewMasterReason = 'notMaster';
  #protoErrReason: ProtoErrReason = 'noError';
  #lastProtocolError: ProtocolErrorStatus | null = null;
  /** The VMAC the engine holds the own addresses on (its `vmac` event), while it has one. */
  #vmacName: string | undefined;
  #trackerReasons: Map<string, string> | undefined;

  /**
   * Validates `config` (throws {@link ConfigError} listing every problem) and keeps the adapters. Without adapters,
   * the instance runs on Linux with the `vrrp/linux` adapters on the process's engine thread (a worker shared by
   * every such instance), so a busy main thread cannot delay an advertisement; with adapters, its engine runs on
   * this thread with them.
   */
  constructor(config: VrrpConfig, adapters?: Adapters) {
    super();
    this.#config = resolveConfig(config);
    this.#givenAdapters = adapters;
    this.#createdAtMs = Date.now();
    this.#createdAtClockMs = this.#clock.now();
    this.#givenLogger = config.logger;
    this.#log = resolveLogger(config.logger, { instance: this.config.name, vrid: this.config.vrid });
  }

  /** When the object was made, for status() before the first transition (wall clock, and the instance's clock). */
  readonly #createdAtMs: number;
  readonly #createdAtClockMs: number;

  /** The validated configuration with defaults filled in; replaced by {@link reconfigure}. */
  get config(): ResolvedConfig {
    return this.#config;
  }

  /** Current state; `master` only once the VIPs are up. */
  get state(): VrrpState {
    return this.#state;
  }

  /** Current effective priority (base plus tracker adjustments, clamped to 1…254; 255 for an owner). */
  get effectivePriority(): number {
    return this.#engine?.priority ?? effectivePriority(this.config.priority, []);
  }

  /**
   * Counters since the last `start()` (with the engine thread, at most 100 ms behind — a backup's
   * `advertisementsReceived` up to about one Master_Down_Interval, see docs/linux.md, "Absorbed repeats"; exact
   * after `stop()`).
   */
  get stats(): InstanceStats {
    const engine = this.#engine?.stats ?? { ...createStats(), sendErrors: 0, vipErrors: 0, vipChanges: 0, masterDownExpirations: 0 };
    const before = this.#statsBefore;
    if (before !== undefined) for (const key of Object.keys(before) as (keyof EngineStats)[]) engine[key] += before[key];
    return { ...engine, hookErrors: this.#hookErrors, whileMasterErrors: this.#whileMasterErrors, transitions: this.#transitions };
  }

  /**
   * This instance's mastership count: 0 until it first becomes master, then incremented at each transition to
   * master (when `master` is emitted), never reset — not by `stop()` / `start()` of this object. Work that stamps
   * its writes with the term it started under can be fenced: a smaller term is an older mastership's.
   */
  get term(): number {
    return this.#term;
  }

  /**
   * The current master as last heard, or undefined when unknown (started and no advertisement heard yet, the
   * master resigned with priority 0, in fault, stopped). Ourselves (`self: true`) while master. Changes are
   * `masterChange` events. Learned from advertisements, so a master that died is still named here until our
   * Master_Down_Timer runs out.
   */
  get master(): VrrpMaster | undefined {
    return this.#master;
  }

  /** Whether `start()` has run and `stop()` has not. */
  get running(): boolean {
    return this.#running;
  }

  /**
   * A snapshot of everything the instance knows, as plain JSON-serialisable data (see {@link VrrpStatus}): state
   * and since when, term, effective priority and each tracker's part, the master as heard, the timers, the VIPs and
   * their leases, the engine's lag, and the counters under their RFC 6527 names.
   *
   * Synchronous and cheap, so that a status page or a signal handler may call it at any time: it reads what this
   * thread already has (its record of the engine's events) and, with the engine thread, the shared buffer that
   * thread rewrites with its counters. The figures only the engine knows — the next timer, the VIP leases, the
   * timer lateness, `eventLoopLag` trackers — are as of its last step (at most about 100 ms old); asking the engine
   * thread instead would make `status()` async and cost a message round trip, for figures that move every step
   * anyway.
   */
  status(): VrrpStatus {
    const config = this.config;
    const engine = this.#engine;
    const runtime = engine?.runtime();
    const clock = this.#clock;
    const effective = this.effectivePriority;
    const master = this.#master;
    const state = this.#state;
    const trackers = config.trackers.map((tracker) => {
      const name = tracker.name as string;
      // The mirror is exact for the trackers run here; the engine's buffer has the eventLoopLag ones.
      const held = this.#running ? (this.#trackerStates?.get(name) ?? runtime?.trackers[name]) : undefined;
      const current = held ?? (tracker.type === 'eventLoopLag' ? initialTrackerState() : initialTrackerState(tracker));
      return {
        name,
        type: tracker.type,
        status: current.status,
        weight: tracker.weight,
        reverse: tracker.reverse,
        contribution: trackerAdjustment(tracker, current.status, current.value),
        faults: trackerFaults(tracker, current.status),
        value: current.value ?? null,
        reason: this.#trackerReasons?.get(name) ?? null,
      };
    });
    const masterAdverIntervalMs = runtime?.masterAdverIntervalMs ?? config.advertIntervalMs;
    const nextInMs = state === 'master' || state === 'backup' ? runtime?.nextTimerInMs : undefined;
    const since = this.#since;
    const remote = this.#givenAdapters === undefined;
    const socket = (this.#running ? this.#engine?.socketStats?.() : undefined) ?? null;
    return {
      name: config.name,
      vrid: config.vrid,
      version: config.version,
      family: config.family,
      interface: config.interface,
      running: this.#running,
      state,
      since: new Date(since?.wallMs ?? this.#createdAtMs).toISOString(),
      inStateMs: Math.max(0, clock.now() - (since?.clockMs ?? this.#createdAtClockMs)),
      reason: since?.reason ?? null,
      term: this.#term,
      priority: {
        effective,
        base: config.priority,
        trackers,
        heldByGroup: this.#syncHold === undefined ? null : this.#running && this.#syncHold.held,
      },
      master: master === undefined ? null : { address: master.address, priority: master.priority, advertIntervalMs: master.advertIntervalMs, self: master.self },
      timers: {
        advertIntervalMs: config.advertIntervalMs,
        masterAdverIntervalMs,
        skewTimeMs: skewTimeMs(config.version, effective, masterAdverIntervalMs),
        masterDownIntervalMs: masterDownIntervalMs(config.version, effective, masterAdverIntervalMs),
        preemptDelayMs: config.preemptDelayMs,
        next:
          nextInMs === undefined
            ? null
            : { timer: state === 'master' ? 'Adver_Timer' : 'Master_Down_Timer', inMs: nextInMs, repeatsAbsorbed: state === 'backup' && runtime?.absorbingRepeats === true },
      },
      vips: config.heldAddresses.map((vip, index) => ({
        address: vip.address,
        prefixLength: vip.prefixLength,
        interface: vip.dev ?? this.#vmacName ?? config.interface,
        advertised: index < config.virtualAddresses.length,
        held: state === 'master',
        leaseMs: remote ? config.vipLeaseMs : null,
        leaseRemainingMs: state === 'master' ? (runtime?.vipLeaseRemainingMs[index] ?? null) : null,
      })),
      routes: config.virtualRoutes.map((route) => ({ text: formatVirtualRoute(route), held: state === 'master' && runtime?.routesHeld === true })),
      rules: config.virtualRules.map((rule) => ({ text: formatVirtualRule(rule), held: state === 'master' && runtime?.rulesHeld === true })),
      engine: {
        thread: remote ? 'worker' : 'main',
        timerLateMs: runtime?.timerLateMs ?? 0,
        // Since the run started, as its HELP says: the engines a reconfiguration replaced count too.
        timerLateMaxMs: Math.max(runtime?.timerLateMaxMs ?? 0, this.#timerLateMaxBeforeMs),
        socket,
        socketInterface: socket === null ? null : this.#vmacName !== undefined && config.vmac?.xmitBase !== true ? this.#vmacName : config.interface,
      },
      counters: statusCounters(this.stats as unknown as Record<string, number>, {
        vrrpv3StatisticsNewMasterReason: this.#newMasterReason,
        vrrpv3StatisticsProtoErrReason: this.#protoErrReason,
        vrrpv3StatisticsRowDiscontinuityTime: this.#countersSinceMs === undefined ? null : new Date(this.#countersSinceMs).toISOString(),
        vrrpv3StatisticsRefreshRate: remote ? STATS_PUBLISH_MS : 0,
      }),
      lastProtocolError: this.#lastProtocolError,
    };
  }

  /** Registers a hook run on every transition to master, after the VIPs are up. Returns an unsubscribe function. */
  onMaster(hook: Hook): () => void {
    return this.#addHook('master', hook);
  }

  /** Registers a hook run on every transition to backup. Returns an unsubscribe function. */
  onBackup(hook: Hook): () => void {
    return this.#addHook('backup', hook);
  }

  /** Registers a hook run on every transition to fault. Returns an unsubscribe function. */
  onFault(hook: Hook): () => void {
    return this.#addHook('fault', hook);
  }

  /**
   * Registers a hook run when the instance stops (`stop()`, or a dead engine thread): after the VIPs are removed
   * and the `stop` event, after the hooks of earlier transitions and after the `whileMaster` work of the ended
   * mastership has wound down, so it may close what that work used. Never skipped; its signal aborts only at
   * `hookTimeoutMs`. `stop()` resolves once it has run. Returns an unsubscribe function.
   */
  onStop(hook: Hook): () => void {
    return this.#addHook('stop', hook);
  }

  /**
   * Runs `work` during every mastership: started when `master` is emitted (the VIPs are up), or at once when
   * registered while master; `signal` aborts when the instance leaves master, on stop, or when the returned disposer
   * is called. There is no timeout while master: serve, replicate, hold a lease.
   *
   * - One run at a time per registration: the next mastership's run starts only after the previous run settled,
   *   and is skipped if that mastership ended meanwhile. Separate registrations run side by side.
   * - A throw or rejection is an `error` event (`while_master_failed`), counted in `stats.whileMasterErrors`;
   *   the state machine never waits for it. A rejection with the signal's reason (or an `AbortError`) after the
   *   abort is the expected wind-down, not a failure. A run that returns while still master is not restarted
   *   until the next mastership.
   * - A run still going `hookTimeoutMs` after its abort is reported (`while_master_timeout`) and `stop()` stops
   *   waiting for it; its registration starts again only once it settles.
   * - `context.term` names the mastership: compare it with {@link VrrpInstance.term} to fence stale work.
   *
   * Returns a disposer: it aborts a running run and unregisters `work`.
   */
  whileMaster(work: WhileMasterWork): () => void {
    const entry: WhileMasterEntry = { work, controller: undefined, settled: Promise.resolve() };
    (this.#whileMaster ??= new Set()).add(entry);
    if (this.#mastership) this.#runWhileMaster(entry, this.#mastership, this.#stateSignal());
    return () => {
      if (this.#whileMaster?.delete(entry) !== true) return;
      entry.controller?.abort(new VrrpError('aborted', 'whileMaster disposed'));
    };
  }

  /**
   * Resolves when the instance is in `state` (at once if it already is); rejects if `signal` aborts first. It listens
   * apart from the app's listeners (src/observe.ts), so an app's `stateChange` listener that throws cannot make it
   * miss the transition.
   */
  waitFor(state: VrrpState, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#state === state) return Promise.resolve();
    const { signal } = options;
    return new Promise<void>((resolve, reject) => {
      let stopListening = (): void => {};
      const onAbort = (): void => {
        stopListening();
        reject(new VrrpError('aborted', `stopped waiting for ${state}`, { cause: signal?.reason }));
      };
      const onChange = (event: StateChangeEvent): void => {
        if (event.to !== state) return;
        stopListening();
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      if (signal?.aborted) return onAbort();
      stopListening = this.#observers.add('stateChange', onChange);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Opens the transport, starts trackers and the protocol. Resolves once the first transition is applied — with a
   * weight-0 tracker, that is after its first result (the instance waits in `initialize` for it, as keepalived does).
   * Calls to `start()` and `stop()` are serialized, but a `stop()` called while a start waits for that first result
   * ends the wait: the start rejects with `aborted` (it did not start), the instance stays in `initialize` (no `stop`
   * event: it never left it) and the stop resolves — it does not wait up to the tracker's `timeoutMs`. A first
   * transition already under way when the stop came (the result on its way to the engine) is applied before the
   * stop: then the run did start, and the start resolves.
   */
  start(): Promise<void> {
    const stopCalls = this.#stopCalls;
    const run = this.#lifecycle.then(() => this.#start(stopCalls));
    this.#lifecycle = run.catch(() => undefined);
    return run;
  }

  /** `stopCallsBefore`: how many stop() calls came before this start() was called; one more ends its wait. */
  async #start(stopCallsBefore: number): Promise<void> {
    // A run that the engine thread's death ended: its VIP clean-up and last transition come first.
    await this.#engine?.released?.();
    if (this.#running) throw new VrrpError('already_started', 'instance is already running');
    this.#running = true;
    this.#stopRequested = undefined;
    this.#generation++;
    this.#hookErrors = 0;
    this.#whileMasterErrors = 0;
    this.#transitions = 0;
    logSafely(this.#log, 'debug', { interface: this.config.interface, family: this.config.family, priority: this.config.priority }, 'starting');
    // The counters restart with the run (RFC 6527's discontinuity), and what status() tells of them with them.
    this.#countersSinceMs = Date.now();
    this.#statsBefore = undefined;
    this.#timerLateMaxBeforeMs = 0;
    this.#newMasterReason = 'notMaster';
    this.#protoErrReason = 'noError';
    this.#lastProtocolError = null;
    this.#trackerReasons = undefined;
    this.#toldPriority = undefined;
    // Set when a stop() ends this start's wait for its first transition (see start()).
    let abortedBy: VrrpError | undefined;
    const firstTransition = new Promise<void>((resolve, reject) => {
      const abortStart = (): void => {
        abortedBy ??= new VrrpError('aborted', 'start() ended by stop() before the first transition');
        reject(abortedBy);
      };
      this.#firstTransition = { resolve, reject, abortStart };
    });
    // Rejected (engine thread died) perhaps before it is awaited below, while engine.start() is: not unhandled then.
    firstTransition.catch(() => undefined);
    let started: EngineLike | undefined;
    try {
      const emit = (event: EngineEvent): void => this.#onEngineEvent(event);
      const config = withSyncHold(this.config, this.#syncHold);
      const engine = this.#givenAdapters ? new Engine(config, this.#givenAdapters, emit) : defaultEngine(config, emit);
      this.#engine = engine;
      this.#stateAbort = undefined;
      await engine.start();
      started = engine;
      // A stop() called after this start() (before it began, or while the engine opened) ends its wait now, unless
      // the first transition came already (then the start resolves, and the stop stops the run as any stop does).
      if (this.#stopCalls !== stopCallsBefore) this.#firstTransition?.abortStart?.();
      if (abortedBy !== undefined) throw abortedBy;
      // A hold the group changed while the engine started (a command before its core existed is not heard): again.
      const hold = this.#syncHold;
      if (hold !== undefined) engine.command({ type: 'tracker', name: hold.name, passed: holdResult(hold, hold.held) });
      this.#startTrackers(undefined);
      await firstTransition;
      await engine.idle();
    } catch (error) {
      this.#firstTransition = undefined;
      if (abortedBy !== undefined && started !== undefined) {
        // Ended by stop() while waiting: the engine runs, in initialize (nothing sent, nothing held), and stops as a
        // stop would stop it; the stop() that ended the wait finds the run over and waits only for what it left.
        this.#endRun('instance stopped');
        await started.stop();
        // Unless the first transition was under way already (a tracker's result on its way to the engine thread
        // when stop() came): then the run did start — its events and hooks were told, the stop's with them — and
        // so the start resolves (found by review: it rejected `aborted` after an onMaster hook had run).
        if (this.#transitions > 0) return;
        throw abortedBy;
      }
      this.#running = false;
      this.#generation++; // no tracker loop of this failed start may live on
      throw error;
    }
  }

  /**
   * Starts this run's tracker checks (here, in the app; `eventLoopLag` trackers run in the engine), each tracker's
   * state from `kept` when it has one there (a reconfiguration's trackers of the same name and kind).
   */
  #startTrackers(kept: ReadonlyMap<string, TrackerState> | undefined): void {
    const generation = this.#generation;
    this.#probes = undefined;
    this.#trackerStates = undefined;
    const host = { ...defaultTrackerHost(), ...this.#givenAdapters?.trackerHost };
    for (const tracker of this.config.trackers) {
      if (tracker.type === 'eventLoopLag') continue;
      (this.#probes ??= new Map()).set(tracker.name, { tracker, probe: createProbe(tracker, host) });
      (this.#trackerStates ??= new Map()).set(tracker.name, kept?.get(tracker.name) ?? initialTrackerState(tracker));
    }
    for (const name of this.#probes?.keys() ?? NONE) this.#runTracker(name, generation);
  }

  /**
   * Applies a new configuration, keeping this instance's place in the election: keepalived's reload, for one
   * instance. Validated first (throws {@link ConfigError} as the constructor does); the virtual router itself —
   * `interface`, `vrid`, `family` — cannot change (that is another virtual router: stop this one, make a new one),
   * nor can `vmac` (every address would move to another interface and MAC).
   *
   * Not running: the configuration is replaced, for the next `start()`. Running, the engine is replaced by one with
   * the new configuration that carries on from the old one's state, as keepalived's reload does
   * (docs/architecture.md, "Reconfiguring a running instance"):
   * - a master stays master: no priority 0, no gap in the addresses both configurations have. It removes the rules,
   *   routes and addresses the new one drops, sends an advertisement at once (at the new priority), adds what is
   *   new and announces every address;
   * - a backup stays backup, its Master_Down_Timer started again; a fault is judged again (it may clear);
   * - trackers of the same name and kind keep their state (keptTrackerStates); new ones start `unknown` and do not
   *   hold the instance in `initialize` (it was running); a check starts again for each;
   * - no `stateChange` unless the state changes (a kept weight-0 tracker is down, say); `priorityChange` when the
   *   effective priority did; counters carry on.
   *
   * `config` is the whole configuration, as the constructor takes it (not `instance.config`, which is the resolved
   * form). Emits `reconfigured` once the new engine has started (before any event the new configuration causes) and
   * resolves with the same. Serialized with `start()` and `stop()`. A failure to start the new engine ends the run as
   * a failed `start()` would: the instance is in `initialize`, `reconfigured` says `applied: false` (the configuration
   * is kept for the next start) and the promise rejects. The address family, which the virtual addresses make, is
   * refused as `virtualAddresses`; in a sync group, a tracker named as the group's hold (`sync_group:<group>`) is
   * refused too.
   */
  reconfigure(config: VrrpConfig): Promise<ReconfiguredEvent> {
    let next: ResolvedConfig;
    try {
      next = resolveConfig(config);
      const issues = (['interface', 'vrid', 'family'] as const)
        .filter((field) => next[field] !== this.#config[field])
        .map((field): { path: string; message: string } => ({
          // The family is no field of the configuration: its virtual addresses make it.
          path: field === 'family' ? 'virtualAddresses' : field,
          message: `${field === 'family' ? 'cannot change family' : 'cannot change'} on a running configuration (${String(this.#config[field])} → ${String(next[field])}): that is another virtual router; stop this instance and start a new one`,
        }));
      // A tracker of the sync group's hold's name would be fed the group's hold as its own results, and the hold
      // would read it as held: the member faulted for good. The group refuses it at its making; so here.
      const hold = this.#syncHold;
      if (hold !== undefined) {
        next.trackers.forEach((tracker, index) => {
          if (tracker.name === hold.name) issues.push({ path: `trackers.${index}.name`, message: `is the name of its sync group's hold (${hold.name}): rename the tracker` });
        });
      }
      // A VMAC made, dropped or changed moves every address to another interface and MAC: not done in place.
      if (JSON.stringify(next.vmac ?? null) !== JSON.stringify(this.#config.vmac ?? null)) {
        issues.push({ path: 'vmac', message: 'cannot change on a running configuration (the addresses would move to another interface and MAC); stop this instance and start it with the new configuration' });
      }
      if (issues.length > 0) throw new ConfigError(issues);
    } catch (error) {
      return Promise.reject(error);
    }
    const run = this.#lifecycle.then(() => this.#reconfigure(next, config));
    this.#lifecycle = run.catch(() => undefined);
    return run;
  }

  async #reconfigure(next: ResolvedConfig, given: VrrpConfig): Promise<ReconfiguredEvent> {
    const before = this.#config;
    const changed = changedFields(before, next);
    // The logger is not in the resolved configuration (it stays on this thread): a new one is taken as it is.
    if (given.logger !== this.#givenLogger) {
      this.#givenLogger = given.logger;
      this.#log = resolveLogger(given.logger, { instance: next.name, vrid: next.vrid });
      changed.push('logger');
    }
    const engine = this.#engine;
    // Nothing the engine runs changed: no engine to replace.
    if (changed.every((field) => field === 'logger')) return this.#reconfigured({ changed, applied: false });
    if (!this.#running || engine === undefined) {
      this.#config = next;
      this.#log = resolveLogger(given.logger, { instance: next.name, vrid: next.vrid });
      return this.#reconfigured({ changed, applied: false });
    }
    // The checks of the run before end here (a result in flight is dropped); kept states carry over — those the
    // engine runs (eventLoopLag) as the engine last published them.
    const states = new Map(this.#trackerStates);
    const runtime = engine.runtime().trackers;
    for (const tracker of before.trackers) {
      const state = runtime[tracker.name];
      if (tracker.type === 'eventLoopLag' && state !== undefined) states.set(tracker.name, state);
    }
    const keptTrackers = keptTrackerStates(before, next, states);
    this.#endTrackers('instance reconfigured');
    const priorityBefore = this.effectivePriority;
    // The new core starts from its own base: its first change is told from what the app last heard (#tellPriority).
    this.#toldPriority = priorityBefore;
    const kept = handoverKept(before, next);
    await engine.stop({ keep: kept });
    // The last transitions of the old engine came before its stop's answer: the state is its last.
    if (!this.#running) {
      // Its thread died meanwhile: the run ended, reported as such; the configuration is still taken.
      this.#config = next;
      return this.#reconfigured({ changed, applied: false });
    }
    const state = this.#state;
    const resume: EngineResume = {
      state,
      ...(keptTrackers.size > 0 ? { trackers: Object.fromEntries(keptTrackers) } : {}),
      ...(state === 'master' ? { kept } : {}),
      ...(this.#vmacName === undefined ? {} : { vmac: this.#vmacName }),
    };
    const firstTransition = new Promise<void>((resolve, reject) => (this.#firstTransition = { resolve, reject }));
    firstTransition.catch(() => undefined);
    const event: ReconfiguredEvent = { changed, applied: true };
    try {
      this.#config = next;
      this.#log = resolveLogger(given.logger, { instance: next.name, vrid: next.vrid });
      // The library's own listeners hear it before the new engine is made: a sync group hears of the new trackers
      // and may change its hold now, which the new engine's configuration then carries (withSyncHold). The old
      // engine, stopped, still answers reads. The app hears it once the new engine has started — or just before the
      // first event that engine reports, if one comes first (#onEngineEvent) — so that `applied: true` is never told
      // of an engine that then fails to start, and still comes before anything the new configuration causes.
      this.#observers.notify('reconfigured', [event], (cause) => this.#ownListenerFailed('reconfigured', cause));
      this.#untoldReconfigured = event;
      const emit = (engineEvent: EngineEvent): void => this.#onEngineEvent(engineEvent);
      const config = withSyncHold(next, this.#syncHold);
      const replacement = this.#givenAdapters ? new Engine(config, this.#givenAdapters, emit) : defaultEngine(config, emit);
      // The old engine's counters carry on under the new one's: `stats` adds them.
      const stats = engine.stats;
      const carried = this.#statsBefore;
      if (carried !== undefined) for (const key of Object.keys(carried) as (keyof EngineStats)[]) stats[key] += carried[key];
      this.#statsBefore = stats;
      this.#timerLateMaxBeforeMs = Math.max(this.#timerLateMaxBeforeMs, engine.runtime().timerLateMaxMs);
      this.#engine = replacement;
      this.#resumedFrom = state;
      await replacement.start(resume);
      this.#tellReconfigured();
      // A hold the group changed while the engine started (a command before its core existed is not heard): again.
      const hold = this.#syncHold;
      if (hold !== undefined) replacement.command({ type: 'tracker', name: hold.name, passed: holdResult(hold, hold.held) });
      this.#startTrackers(keptTrackers);
      await firstTransition;
      await replacement.idle();
    } catch (error) {
      this.#resumedFrom = undefined;
      this.#firstTransition = undefined;
      // Not told yet: the new engine did not start. The app hears it after the run's end, as what it is — the
      // configuration taken for the next start, no engine replaced — as a stopped instance's reconfigure says.
      const untold = this.#untoldReconfigured !== undefined;
      this.#untoldReconfigured = undefined;
      this.#endRun('reconfiguration failed');
      // The run is over: said as a stop would say it, so that hooks and listeners see the instance leave its state.
      if (this.#state !== 'initialize') this.#applyTransition({ type: 'transition', from: this.#state, to: 'initialize', reason: 'stopped' });
      if (untold) this.#toldReconfigured({ changed, applied: false });
      throw error;
    }
    // The new core's own changes were told already, from what the app last heard (#tellPriority): only what is left.
    this.#tellPriority(this.effectivePriority, priorityBefore);
    return event;
  }

  /**
   * The last priority a `priorityChange` told the app of; undefined: none yet in this run (the engine's `from` is
   * then right). Set at a reconfigure, whose new core starts from its own base: its changes are told from here.
   */
  #toldPriority: number | undefined;

  /** Tells the app the effective priority is `to` now (`from` when nothing was told before), unless it knows. */
  #tellPriority(to: number, from: number): void {
    const told = this.#toldPriority ?? from;
    this.#toldPriority = to;
    if (told === to) return;
    logSafely(this.#log, 'info', { from: told, to }, `priority ${told} → ${to}`);
    this.#emitSafely('priorityChange', { from: told, to });
  }

  /** Logs and emits `reconfigured` (the library's own listeners and the app's), and returns it. */
  #reconfigured(event: ReconfiguredEvent): ReconfiguredEvent {
    this.#observers.notify('reconfigured', [event], (cause) => this.#ownListenerFailed('reconfigured', cause));
    return this.#toldReconfigured(event);
  }

  /** Logs `reconfigured` and emits it to the app's listeners (the library's own heard it already); returns it. */
  #toldReconfigured(event: ReconfiguredEvent): ReconfiguredEvent {
    if (event.changed.length > 0) logSafely(this.#log, 'info', { changed: event.changed, applied: event.applied }, `reconfigured (${event.changed.join(', ')})`);
    this.#emitToApp('reconfigured', event);
    return event;
  }

  /** A reconfiguration's `reconfigured` that the app has not heard yet, while its new engine starts (#reconfigure). */
  #untoldReconfigured: ReconfiguredEvent | undefined;

  /** Tells the app the pending `reconfigured`, if there is one. */
  #tellReconfigured(): void {
    const event = this.#untoldReconfigured;
    if (event === undefined) return;
    this.#untoldReconfigured = undefined;
    this.#toldReconfigured(event);
  }

  /**
   * Stops: a master sends priority 0 (RFC 9568 §6.4.3) and removes its VIPs; then the transport closes, trackers
   * and timers stop, running hooks and `whileMaster` work are aborted and awaited (`whileMaster` up to
   * `hookTimeoutMs`), and the `onStop` hooks run. Safe to call twice. A `start()` still waiting for its first
   * transition (a weight-0 tracker's first result) is ended: it rejects with `aborted` (see {@link start}).
   *
   * Called from one of this instance's own hooks or `whileMaster` runs (or from what they call, a sync group's
   * `stop()` included), it resolves once the engine has stopped — VIPs removed, `stop` emitted — without waiting for
   * the hooks and `whileMaster` work still to finish: those wait for the caller, which waits for this call. They
   * run after the caller returns, in order, the `onStop` hooks last. When a stop is already under way, such a call
   * waits for that stop's engine to stop.
   */
  stop(): Promise<void> {
    this.#stopCalls++;
    this.#firstTransition?.abortStart?.();
    if (this.#calledFromOwnWork()) return this.#stopFromOwnWork();
    let engineStopped: () => void = () => {};
    const stopped = new Promise<void>((resolve) => (engineStopped = resolve));
    const run = this.#lifecycle.then(() => this.#stop(engineStopped));
    // Settled however the stop ends, so that a stop() from a hook waiting on it never waits for ever.
    void run.then(engineStopped, engineStopped);
    this.#stopRequested = stopped;
    this.#lifecycle = run.catch(() => undefined);
    return run;
  }

  /**
   * stop() called from this run's own hook or whileMaster work: not serialized behind (or made to wait for) what
   * waits on its caller — a stop already under way waits for its hooks, which wait for the caller. So: a stop under
   * way is joined at its engine's stop; a run that ended by itself is waited for as far as its engine; else the
   * run is stopped after the lifecycle calls before it (a start or reconfigure, which wait for no hook), and the
   * hooks and whileMaster work are left to finish after the caller returns.
   */
  #stopFromOwnWork(): Promise<void> {
    if (this.#stopRequested !== undefined) return this.#stopRequested;
    if (!this.#running) return Promise.resolve(this.#engine?.released?.()).then(() => undefined);
    const run = this.#lifecycle.then(() => this.#stop(undefined, true));
    this.#stopRequested = run.catch(() => undefined);
    this.#lifecycle = this.#stopRequested;
    return run;
  }

  /** Whether the calling code runs in (or was started by) one of this instance's hook or whileMaster runs still awaited. */
  #calledFromOwnWork(): boolean {
    for (let work = currentWork(); work !== undefined; work = work.outer) if (work.instance === this && !work.released) return true;
    return false;
  }

  /**
   * Stops the run (see stop()). `engineStopped` is called once the engine has stopped, before the waits for hooks
   * and whileMaster work; `fromOwnWork` (see #stopFromOwnWork) skips those waits.
   */
  async #stop(engineStopped?: () => void, fromOwnWork = false): Promise<void> {
    if (!this.#running) {
      // Ended by itself (the engine thread's death, a failed reconfigure): stopped once its VIPs are removed and the
      // onStop hooks and whileMaster work its last transition queued are over, as a stop of a running one waits.
      await this.#engine?.released?.();
      engineStopped?.();
      if (fromOwnWork) return;
      await this.#hookQueue;
      await this.#whileMasterReleased();
      return;
    }
    this.#endRun('instance stopped');
    // start() resolved only after the first transition, so the engine's stop always yields one to `initialize`.
    await this.#engine?.stop();
    this.#stateAbort?.abort(new VrrpError('aborted', 'instance stopped'));
    engineStopped?.();
    if (fromOwnWork) return;
    // The onStop hooks on the queue wait for whileMaster work to wind down; this waits for both.
    await this.#hookQueue;
    await this.#whileMasterReleased();
  }

  /** `await using instance = …` stops it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /** The clock of hook timeouts and tracker checks: the adapters', or the main thread's with the engine thread. */
  get #clock(): Clock {
    return this.#givenAdapters?.clock ?? systemClock;
  }

  #onEngineEvent(event: EngineEvent): void {
    // A new engine's first word that the app hears comes after `reconfigured` (see #reconfigure). Not an error: a
    // failed start's errors (its priority 0 not sent) precede its failure, which is no reconfiguration applied.
    if (this.#untoldReconfigured !== undefined && event.type !== 'error' && event.type !== 'vips' && event.type !== 'vmac') this.#tellReconfigured();
    switch (event.type) {
      case 'transition':
        if (this.#resumedFrom !== undefined && event.from === 'initialize') {
          // A reconfigured engine's first transition carries on from the state of the engine it replaced.
          const from = this.#resumedFrom;
          this.#resumedFrom = undefined;
          if (event.to === from) {
            const firstTransition = this.#firstTransition;
            this.#firstTransition = undefined;
            firstTransition?.resolve();
            // A master as it advertises now (its priority may be new); a backup keeps the master it heard, whose
            // next advert the new core reports as a change only if it is one.
            if (event.master !== undefined) this.#setMaster(event.master);
            break;
          }
          this.#applyTransition({ ...event, from });
          break;
        }
        this.#applyTransition(event);
        break;
      case 'priorityChange':
        this.#tellPriority(event.to, event.from);
        break;
      case 'vips':
        this.#vipsChanged(event);
        break;
      case 'vmac':
        this.#vmacName = event.name;
        break;
      case 'protocolError':
        this.#lastProtocolError = { code: event.code, message: event.message, src: event.src, at: new Date().toISOString() };
        this.#protoErrReason = protoErrReason(event.code) ?? this.#protoErrReason;
        // warn: a drop is a misconfigured peer (or worse); one line per dropped packet, as keepalived logs them.
        logSafely(this.#log, 'warn', { code: event.code, src: event.src }, `advertisement from ${event.src} dropped: ${event.message}`);
        this.#emitSafely('protocolError', { code: event.code, message: event.message, src: event.src });
        break;
      case 'masterChange':
        this.#setMaster(event.master);
        break;
      case 'lowerMasterHeard':
        logSafely(this.#log, 'warn', { src: event.src, priority: event.priority, term: this.#term }, `heard master ${event.src} (priority ${event.priority}) that we outrank: re-asserting`);
        this.#emitSafely('lowerMasterHeard', { address: event.src, priority: event.priority, advertIntervalMs: event.advertIntervalMs, term: this.#term });
        break;
      case 'error': {
        const error = new VrrpError(event.code, event.message, event.cause === undefined ? undefined : { cause: event.cause });
        if (event.code === 'engine_failed') this.#engineFailed(error);
        this.#emitError(error);
        break;
      }
    }
  }

  /**
   * The engine thread died: this run is over (the engine reported it and removes the VIPs); a start still waiting for
   * its first transition fails with `error` (none will come).
   */
  #engineFailed(error: VrrpError): void {
    this.#endRun('engine thread died');
    const firstTransition = this.#firstTransition;
    this.#firstTransition = undefined;
    firstTransition?.reject(error);
  }

  /** Ends the run on this side: no tracker loop of it may live on, and checks in flight are aborted with `why`. */
  #endRun(why: string): void {
    this.#running = false;
    // A run that ends without its engine's word (a dead thread: the host deletes the VMAC) leaves no VMAC named.
    this.#vmacName = undefined;
    this.#endTrackers(why);
  }

  /** Ends the tracker loops of this run (a check finishing later is dropped), aborting checks in flight with `why`. */
  #endTrackers(why: string): void {
    this.#generation++;
    for (const cancel of this.#trackerTimers?.values() ?? NONE) cancel();
    this.#trackerTimers = undefined;
    for (const [controller, cancelTimeout] of this.#trackerRuns ?? NONE) {
      cancelTimeout();
      controller.abort(new VrrpError('aborted', why));
    }
    this.#trackerRuns = undefined;
  }

  /**
   * Emits without letting a listener's exception escape into the engine: a throwing `master` listener must not
   * stop the advertisements (the VIPs would stay up while peers take over). The exception is reported as an
   * `error` event (`listener_failed`) instead.
   */
  #emitSafely<E extends keyof VrrpEvents>(event: E, ...args: VrrpEvents[E]): void {
    this.#observers.notify(event, args, (cause) => this.#ownListenerFailed(event, cause));
    this.#emitToApp(event, ...args);
  }

  /** Reports a listener of the library's own (src/observe.ts) that threw. */
  #ownListenerFailed(event: keyof VrrpEvents, cause: unknown): void {
    this.#emitError(new VrrpError('listener_failed', `vrrp's own ${String(event)} listener threw${cause instanceof Error ? `: ${cause.message}` : ''}`, { cause }));
  }

  /** The app's half of #emitSafely: its listeners, a throw reported as `listener_failed`. */
  #emitToApp<E extends keyof VrrpEvents>(event: E, ...args: VrrpEvents[E]): void {
    try {
      (this.emit as (event: E, ...args: VrrpEvents[E]) => boolean)(event, ...args);
    } catch (cause) {
      this.#emitError(new VrrpError('listener_failed', `a ${String(event)} listener threw${cause instanceof Error ? `: ${cause.message}` : ''}`, { cause }));
    }
  }

  /** The engine added or removed the VIPs: logged and published on `vrrp:vip` (no event: `master` tells the app). */
  #vipsChanged(event: Extract<EngineEvent, { type: 'vips' }>): void {
    logSafely(this.#log, 'info', { action: event.action, addresses: event.addresses }, `${event.action === 'add' ? 'added' : 'removed'} ${event.addresses.join(', ')}`);
    if (!vipChannel.hasSubscribers) return;
    const { name, vrid, family, interface: iface } = this.config;
    const message: VipChannelMessage = { name, vrid, family, interface: iface, action: event.action, addresses: event.addresses };
    vipChannel.publish(message);
  }

  #emitError(error: VrrpError): void {
    logSafely(this.#log, 'error', { code: error.code, err: error }, error.message);
    if (warnIfUnheard(this, 'error', error)) return;
    try {
      this.emit('error', error);
    } catch (cause) {
      // Another `error` would reach the same listener: a process warning, as for an error nobody listens for.
      emitVrrpWarning(errorListenerFailed(cause, error));
    }
  }

  #applyTransition(action: Extract<EngineEvent, { type: 'transition' }>): void {
    if (action.to === 'master') this.#term++;
    const event: StateChangeEvent = { from: action.from, to: action.to, reason: action.reason, term: this.#term };
    if (action.peer !== undefined) event.peer = action.peer;
    this.#state = action.to;
    this.#transitions++;
    const fields = { from: action.from, to: action.to, reason: action.reason, term: this.#term, ...(action.peer === undefined ? {} : { peer: action.peer }) };
    logSafely(this.#log, 'info', fields, `${action.from} → ${action.to} (${action.reason})`);
    if (stateChannel.hasSubscribers) {
      const { name, vrid, family, interface: iface } = this.config;
      const message: StateChannelMessage = { name, vrid, family, interface: iface, ...event };
      stateChannel.publish(message);
    }
    this.#since = { wallMs: Date.now(), clockMs: this.#clock.now(), reason: action.reason };
    if (action.to === 'master') this.#newMasterReason = newMasterReason(action.reason, this.config.priority);
    // Set before any event of this transition, reported after them: a `master` listener reads `master.self`.
    const masterBefore = this.#master;
    this.#master = action.master === undefined ? undefined : frozenMaster(action.master);
    // Resolved once, then dropped: the resolver (and with it the promise, once start() returns) is not kept.
    const firstTransition = this.#firstTransition;
    this.#firstTransition = undefined;
    firstTransition?.resolve();
    // Hooks of the state we leave are told to wind down; hooks of the new state get a fresh signal.
    this.#stateAbort?.abort(new VrrpError('aborted', `left state ${action.from}`));
    this.#stateAbort = undefined;
    this.#mastership = action.to === 'master' ? frozenStateChange(event) : undefined;
    this.#emitSafely('stateChange', event);
    this.#emitSafely(action.to === 'initialize' ? 'stop' : action.to, event);
    this.#reportMasterChange(masterBefore);
    const mastership = this.#mastership;
    if (mastership) for (const entry of this.#whileMaster ?? NONE) this.#runWhileMaster(entry, mastership, this.#stateSignal());
    const kind: HookKind = action.to === 'initialize' ? 'stop' : action.to;
    const hooks = [...(this.#hooks[kind] ?? NONE)];
    if (hooks.length === 0) return;
    // Stop hooks are never skipped and not aborted by a later state: a stop is final for this run.
    const stateSignal = kind === 'stop' ? new AbortController().signal : this.#stateSignal();
    this.#hookQueue = this.#hookQueue
      .then(async () => {
        // onStop runs once the ended mastership's whileMaster work has wound down, so it may close what it used.
        if (kind === 'stop') await this.#whileMasterReleased();
        for (const hook of hooks) {
          // A state already left by the time its turn comes is history: promoting a database for a mastership
          // that already ended would do harm. Hooks that started are awaited; the rest of that state's are skipped.
          if (stateSignal.aborted) return;
          await this.#runHook(kind, hook, event, stateSignal);
        }
      })
      .catch(() => {});
  }

  /** The current state's signal, aborted when the state is left (made at the first ask: see #stateAbort). */
  #stateSignal(): AbortSignal {
    return (this.#stateAbort ??= new AbortController()).signal;
  }

  /** The master as heard changed between transitions (the core reports changes only). */
  #setMaster(master: MasterInfo | undefined): void {
    const before = this.#master;
    this.#master = master === undefined ? undefined : frozenMaster(master);
    this.#reportMasterChange(before);
  }

  #reportMasterChange(before: VrrpMaster | undefined): void {
    const now = this.#master;
    const same =
      before === now ||
      (before !== undefined &&
        now !== undefined &&
        before.address === now.address &&
        before.priority === now.priority &&
        before.advertIntervalMs === now.advertIntervalMs &&
        before.self === now.self);
    if (same) return;
    logSafely(this.#log, 'debug', { master: now ?? null }, now === undefined ? 'master unknown' : `master is ${now.self ? 'us' : now.address} (priority ${now.priority})`);
    this.#emitSafely('masterChange', { from: before, to: now });
  }

  /**
   * Starts one run of `entry` for `mastership`, once the registration's previous run settled (never two at once).
   * The run's signal follows the mastership's; its failures are reported, never thrown (see whileMaster()).
   */
  #runWhileMaster(entry: WhileMasterEntry, context: WhileMasterContext, mastershipSignal: AbortSignal): void {
    const controller = new AbortController();
    const { signal } = controller;
    const endOfMastership = (): void => controller.abort(mastershipSignal.reason);
    if (mastershipSignal.aborted) endOfMastership();
    else mastershipSignal.addEventListener('abort', endOfMastership, { once: true });
    entry.controller = controller;
    const { term } = context;
    let started = false;
    let settledYet = false;
    // The work runs in this context, so that a stop() it calls knows not to wait for it (see stop()).
    const work: OwnWork = { instance: this, released: false, outer: currentWork() };
    const settled = entry.settled
      .then(async () => {
        // Its mastership ended (or it was disposed) while the previous run wound down: skipped, like the hooks of a
        // state already left.
        if (signal.aborted) return;
        started = true;
        try {
          await ownWork.run(work, () => entry.work(signal, context));
        } catch (cause) {
          if (signal.aborted && (cause === signal.reason || (cause as { name?: unknown } | null)?.name === 'AbortError')) return; // its wind-down
          const detail = cause instanceof Error ? `: ${cause.message}` : '';
          this.#reportWhileMasterError(new VrrpError('while_master_failed', `whileMaster work of term ${term} failed${detail}`, { cause }));
        }
      })
      .finally(() => {
        settledYet = true;
        mastershipSignal.removeEventListener('abort', endOfMastership);
      });
    entry.settled = settled;
    // What stop() and the onStop hooks wait for: the run settled, or hookTimeoutMs passed since its abort.
    const released = new Promise<void>((resolveReleased) => {
      const resolve = (): void => {
        work.released = true;
        resolveReleased();
      };
      void settled.then(resolve);
      const afterAbort = (): void => {
        if (settledYet) return; // it ended while still master: nothing to wait for
        const { hookTimeoutMs } = this.config;
        const cancel = this.#clock.setTimer(hookTimeoutMs, () => {
          if (settledYet) return;
          // Only a run that started is late; one still waiting for a late predecessor was reported through it.
          if (started) {
            this.#reportWhileMasterError(new VrrpError('while_master_timeout', `whileMaster work of term ${term} did not finish within ${hookTimeoutMs} ms of its abort`));
          }
          resolve();
        });
        void settled.then(cancel);
      };
      if (signal.aborted) afterAbort();
      else signal.addEventListener('abort', afterAbort, { once: true });
    });
    const runs = (this.#whileMasterRuns ??= new Set());
    runs.add(released);
    void released.then(() => runs.delete(released));
  }

  /** Resolves when every whileMaster run so far is released (settled, or late past its abort; see whileMaster()). */
  async #whileMasterReleased(): Promise<void> {
    await Promise.all(this.#whileMasterRuns ?? NONE);
  }

  #reportWhileMasterError(error: VrrpError): void {
    this.#whileMasterErrors++;
    this.#emitError(error);
  }

  async #runHook(kind: HookKind, hook: Hook, event: StateChangeEvent, stateSignal: AbortSignal): Promise<void> {
    const controller = new AbortController();
    const abort = (): void => controller.abort(stateSignal.reason);
    if (stateSignal.aborted) abort();
    else stateSignal.addEventListener('abort', abort, { once: true });
    const { hookTimeoutMs } = this.config;
    let cancelTimeout: (() => void) | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      cancelTimeout = this.#clock.setTimer(hookTimeoutMs, () => resolve('timeout'));
    });
    // The hook runs in this context, so that a stop() it calls knows not to wait for it (see stop()).
    const work: OwnWork = { instance: this, released: false, outer: currentWork() };
    try {
      const context: HookContext = { ...event, signal: controller.signal };
      const outcome = await Promise.race([Promise.resolve().then(() => ownWork.run(work, hook, context)), timedOut]);
      if (outcome === 'timeout') {
        const error = new VrrpError('hook_timeout', `${kind} hook did not finish within ${hookTimeoutMs} ms`);
        controller.abort(error);
        this.#reportHookError(kind, error);
      }
    } catch (cause) {
      const detail = cause instanceof Error ? `: ${cause.message}` : '';
      this.#reportHookError(kind, new VrrpError('hook_failed', `${kind} hook failed${detail}`, { cause }));
    } finally {
      // Settled or timed out: the queue goes on without it, so a stop() it calls from now on may wait as any does.
      work.released = true;
      cancelTimeout?.();
      stateSignal.removeEventListener('abort', abort);
    }
  }

  #reportHookError(kind: HookKind, error: VrrpError): void {
    this.#hookErrors++;
    logSafely(this.#log, 'error', { hook: kind, code: error.code, err: error }, error.message);
    if (warnIfUnheard(this, 'hookError', error)) return;
    this.#emitSafely('hookError', { state: kind === 'stop' ? 'initialize' : kind, hook: kind, error });
  }

  #addHook(kind: HookKind, hook: Hook): () => void {
    const hooks = (this.#hooks[kind] ??= []);
    hooks.push(hook);
    return () => {
      const index = hooks.indexOf(hook);
      if (index >= 0) hooks.splice(index, 1);
    };
  }

  /**
   * Runs one check now. Its result goes to the engine when it settles, or as a failure when `timeoutMs` passes
   * first (its signal is then aborted: an `exec` command's process group is killed). The next check is scheduled
   * `intervalMs` after this one has settled — even a timed-out check — so checks never overlap: a hung check that
   * ignores its signal holds the tracker down.
   */
  #runTracker(name: string, generation: number): void {
    const entry = this.#probes?.get(name);
    if (!entry || generation !== this.#generation) return;
    const { tracker, probe } = entry;
    const clock = this.#clock;
    const controller = new AbortController();
    let reported = false;
    const report = (result: ProbeResult): void => {
      if (reported || generation !== this.#generation) return;
      reported = true;
      try {
        this.#deliverResult(tracker, result);
      } catch (error) {
        // Reported, never thrown into the clock's timer or left as an unhandled rejection of the loop below.
        this.#emitError(new VrrpError('tracker_failed', `tracker ${name}: its result could not be applied: ${errorReason(error)}`, { cause: error }));
      }
    };
    const cancelTimeout = clock.setTimer(tracker.timeoutMs, () => {
      controller.abort(new VrrpError('tracker_failed', `tracker ${name} timed out after ${tracker.timeoutMs} ms`));
      report({ up: false, reason: `timed out after ${tracker.timeoutMs} ms` });
    });
    (this.#trackerRuns ??= new Map()).set(controller, cancelTimeout);
    const settled = (result: ProbeResult): void => {
      cancelTimeout();
      this.#trackerRuns?.delete(controller);
      report(result);
      if (generation !== this.#generation) return; // stopped (and maybe restarted) meanwhile
      try {
        (this.#trackerTimers ??= new Map()).set(name, clock.setTimer(tracker.intervalMs, () => this.#runTracker(name, generation)));
      } catch (error) {
        this.#emitError(new VrrpError('tracker_failed', `tracker ${name} stopped: its next check could not be scheduled: ${errorReason(error)}`, { cause: error }));
      }
    };
    Promise.resolve()
      .then(() => probe(controller.signal))
      .then(settled, (error: unknown) => settled({ up: false, reason: `check failed: ${errorReason(error)}` }));
  }

  /**
   * Hands one result to the engine and to the mirror of the core's tracker state, emitting `trackerChange` first
   * when the status (or a `file` tracker's value) changes, so that a log reads "tracker down" before the priority
   * change or the fault it causes.
   */
  #deliverResult(tracker: InstanceTrackerConfig, result: ProbeResult): void {
    const before = this.#trackerStates?.get(tracker.name) ?? initialTrackerState(tracker);
    const after = applyTrackerResult(tracker, before, result.up, result.value);
    (this.#trackerStates ??= new Map()).set(tracker.name, after);
    (this.#trackerReasons ??= new Map()).set(tracker.name, result.reason);
    logSafely(this.#log, 'trace', { tracker: tracker.name, up: result.up, reason: result.reason }, `tracker ${tracker.name} ${result.up ? 'passed' : 'failed'}`);
    if (after.status !== before.status) {
      logSafely(this.#log, 'info', { tracker: tracker.name, from: before.status, to: after.status, reason: result.reason }, `tracker ${tracker.name} ${before.status} → ${after.status}: ${result.reason}`);
    }
    if (after.status !== before.status || after.value !== before.value) {
      const event: TrackerChangeEvent = { name: tracker.name, type: tracker.type, from: before.status, to: after.status, reason: result.reason };
      if (result.value !== undefined) event.value = result.value;
      this.#emitSafely('trackerChange', event);
    }
    const input: Extract<RouterInput, { type: 'tracker' }> = { type: 'tracker', name: tracker.name, passed: result.up };
    if (result.value !== undefined) input.value = result.value;
    this.#engine?.command(input);
  }

  /** @internal Where this instance's engine runs, for VrrpGroup (see {@link enginePlacement}). */
  get [enginePlacement](): 'engine-thread' | 'app' {
    return this.#givenAdapters ? 'app' : 'engine-thread';
  }

  /** VrrpGroup's hold on this instance, if it is in a sync group (see the method below). */
  #syncHold: SyncHold | undefined;

  /**
   * @internal VrrpGroup's hold (src/group.ts), not public API: `held` keeps the instance in fault as a failing
   * weight-0 tracker named `name` would (a master sends priority 0 and removes its VIPs); `false` releases it. The
   * engine gets the hold's tracker at start (see {@link withSyncHold}), so the first call must come before
   * `start()`. Resolves once the engine has applied it: `state` then tells whether the instance is in fault for
   * reasons of its own.
   */
  /** @internal See src/observe.ts: a listener of the library's own, apart from the app's. */
  [observe]<E extends keyof VrrpEvents>(event: E, listener: (...args: VrrpEvents[E]) => void): () => void {
    return this.#observers.add(event, listener);
  }

  /** @internal A VrrpGroup's hold on this member (src/sync-hold.ts): held in fault, or released. */
  async [syncGroupHold](name: string, held: boolean, groupId: string): Promise<void> {
    const hold = (this.#syncHold ??= { name, groupId, held, reverse: true });
    hold.held = held;
    const engine = this.#engine;
    if (!engine || !this.#running) return; // applied by the next start
    engine.command({ type: 'tracker', name: hold.name, passed: holdResult(hold, held) });
    await engine.idle();
  }
}

/**
 * @internal What a throwing `error` listener of an instance or a sync group is reported as (a process warning): the
 * listener threw, what it threw, and the error it was being told of.
 */
export function errorListenerFailed(cause: unknown, error: VrrpError): VrrpError {
  const thrown = cause instanceof Error ? cause.message : String(cause);
  return new VrrpError('listener_failed', `an error listener threw: ${thrown}; the error it was told of: ${error.message}`, { cause });
}

/** The engine of an instance without adapters: on the engine thread with the Linux adapters. */
function defaultEngine(config: ResolvedConfig, emit: (event: EngineEvent) => void): EngineLike {
  if (process.platform !== 'linux') {
    throw new VrrpError('no_adapters', `no adapters given and the default ones need Linux (this is ${process.platform})`);
  }
  return new RemoteEngine(config, emit);
}

/** A frozen copy of a state change, its fields spelled out (see {@link frozenMaster} for why). */
function frozenStateChange(event: StateChangeEvent): Readonly<StateChangeEvent> {
  const copy: StateChangeEvent = { from: event.from, to: event.to, reason: event.reason, term: event.term };
  if (event.peer !== undefined) copy.peer = event.peer;
  return Object.freeze(copy);
}

/**
 * A frozen copy of the master as the engine reported it, its fields spelled out: a spread copy of the message got a
 * hidden class of its own per instance (~100 bytes each at 255; docs/linux.md, "Memory per instance").
 */
function frozenMaster(master: MasterInfo): VrrpMaster {
  return Object.freeze({ address: master.address, priority: master.priority, advertIntervalMs: master.advertIntervalMs, self: master.self });
}

/** The fields of two resolved configurations that differ; a function (a tracker's check) differs unless it is the same one. */
function changedFields(before: ResolvedConfig, after: ResolvedConfig): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  const record = (config: ResolvedConfig): Record<string, unknown> => config as unknown as Record<string, unknown>;
  return [...keys].filter((key) => !sameValue(record(before)[key], record(after)[key]));
}

/** Deep equality of plain configuration values, functions by identity. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  return keys.every((key) => Object.hasOwn(y, key) && sameValue(x[key], y[key]));
}

/**
 * The tracker states a reconfiguration keeps: those of trackers of the same name and kind in both configurations,
 * whatever else changed (its command, interval, weight…) — keepalived keeps a script's result across a reload by
 * its name — carried as {@link carryTrackerState} says. A weight changed applies from the new run on.
 */
function keptTrackerStates(before: ResolvedConfig, after: ResolvedConfig, states: ReadonlyMap<string, TrackerState> | undefined): Map<string, TrackerState> {
  const kept = new Map<string, TrackerState>();
  if (states === undefined) return kept;
  const definitions = new Map(before.trackers.map((tracker) => [tracker.name, tracker]));
  for (const tracker of after.trackers) {
    const state = states.get(tracker.name);
    const old = definitions.get(tracker.name);
    if (state === undefined || old === undefined || old.type !== tracker.type) continue;
    const carried = carryTrackerState(old, tracker, state);
    if (carried !== undefined) kept.set(tracker.name, carried);
  }
  return kept;
}
