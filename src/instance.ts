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
 * - Trackers other than `eventLoopLag` run here, each through its probe (src/trackers/): one run at start, the next
 *   `intervalMs` after the previous one settled, a run that outlives `timeoutMs` reported as failed and aborted.
 *   Each result goes to the engine, and to a mirror of the core's tracker state (the same pure functions), which
 *   is what `trackerChange` events, with the result's reason, are emitted from.
 */
import { EventEmitter } from 'eventemitter3';
import { systemClock } from './adapters/system-clock.js';
import type { Adapters, Clock } from './adapters/types.js';
import { resolveConfig, type ResolvedConfig, type TrackerType, type VrrpConfig } from './config.js';
import { applyTrackerResult, effectivePriority, initialTrackerState, type TrackerState, type TrackerStatus } from './core/priority.js';
import type { ProtocolErrorCode, RouterInput, RouterState, TransitionReason } from './core/router.js';
import { createStats } from './core/stats.js';
import { Engine, type EngineEvent, type EngineStats } from './engine/engine.js';
import { RemoteEngine, type EngineLike } from './engine/host.js';
import { VrrpError } from './errors.js';
import { createProbe, defaultTrackerHost, type InstanceTrackerConfig } from './trackers/index.js';
import { holdResult, syncGroupHold, withSyncHold, type SyncHold } from './sync-hold.js';
import { errorReason, type Probe, type ProbeResult } from './trackers/types.js';

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
  /** The state whose hook failed. */
  state: VrrpState;
  /** `hook_failed` (it threw) or `hook_timeout`. */
  error: VrrpError;
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
  /** An I/O failure (send, VIP change): reported, counted, never fatal. */
  error: [error: VrrpError];
}

/** What a hook receives. */
export interface HookContext extends StateChangeEvent {
  /** Aborted when the hook times out, when the instance leaves the state, or on stop. */
  signal: AbortSignal;
}

/** A hook: may be async; it is awaited (up to `hookTimeoutMs`) before the next hook runs. */
export type Hook = (context: HookContext) => void | Promise<void>;

/** Counters: the core's (RFC 6527 names), the engine's I/O failures, and hook failures. */
export interface InstanceStats extends EngineStats {
  /** Hooks that threw or timed out. */
  hookErrors: number;
}

type HookState = 'master' | 'backup' | 'fault';

/** One VRRP virtual router inside this process. */
export class VrrpInstance extends EventEmitter<VrrpEvents> {
  /** The validated configuration with defaults filled in. */
  readonly config: ResolvedConfig;
  readonly #givenAdapters: Adapters | undefined;
  #engine: EngineLike | undefined;
  #state: VrrpState = 'initialize';
  #running = false;
  #hookQueue: Promise<void> = Promise.resolve();
  #trackerTimers = new Map<string, () => void>();
  /** This run's probe of each tracker the instance runs (all but `eventLoopLag`), by name. */
  #probes = new Map<string, { tracker: InstanceTrackerConfig; probe: Probe }>();
  /** The core's tracker state as the results delivered make it (see applyTrackerResult), for trackerChange. */
  #trackerStates = new Map<string, TrackerState>();
  /** Checks in flight: their controller, and the cancel function of their timeout. */
  #trackerRuns = new Map<AbortController, () => void>();
  /** Bumped on every start and stop, so that a check finishing after a restart cannot start a second loop. */
  #generation = 0;
  /** start() and stop() run one after the other, never interleaved, whatever the caller awaits. */
  #lifecycle: Promise<unknown> = Promise.resolve();
  /** Resolves the promise `start()` waits on: the first transition of the run has been applied. */
  #resolveFirstTransition: (() => void) | undefined;
  #stateAbort = new AbortController();
  readonly #hooks: Record<HookState, Hook[]> = { master: [], backup: [], fault: [] };
  #hookErrors = 0;

  /**
   * Validates `config` (throws {@link ConfigError} listing every problem) and keeps the adapters. Without adapters,
   * the instance runs on Linux with the `vrrp/linux` adapters on the process's engine thread (a worker shared by
   * every such instance), so a busy main thread cannot delay an advertisement; with adapters, its engine runs on
   * this thread with them.
   */
  constructor(config: VrrpConfig, adapters?: Adapters) {
    super();
    this.config = resolveConfig(config);
    this.#givenAdapters = adapters;
  }

  /** Current state; `master` only once the VIPs are up. */
  get state(): VrrpState {
    return this.#state;
  }

  /** Current effective priority (base plus tracker adjustments, clamped to 1…254; 255 for an owner). */
  get effectivePriority(): number {
    return this.#engine?.priority ?? effectivePriority(this.config.priority, []);
  }

  /** Counters since the last `start()` (with the engine thread, at most 100 ms behind; exact after `stop()`). */
  get stats(): InstanceStats {
    return { ...(this.#engine?.stats ?? { ...createStats(), sendErrors: 0, vipErrors: 0 }), hookErrors: this.#hookErrors };
  }

  /** Whether `start()` has run and `stop()` has not. */
  get running(): boolean {
    return this.#running;
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

  /** Resolves when the instance is in `state` (at once if it already is); rejects if `signal` aborts first. */
  waitFor(state: VrrpState, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#state === state) return Promise.resolve();
    const { signal } = options;
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.off('stateChange', onChange);
        reject(new VrrpError('aborted', `stopped waiting for ${state}`, { cause: signal?.reason }));
      };
      const onChange = (event: StateChangeEvent): void => {
        if (event.to !== state) return;
        this.off('stateChange', onChange);
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      if (signal?.aborted) return onAbort();
      this.on('stateChange', onChange);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Opens the transport, starts trackers and the protocol. Resolves once the first transition is applied — with a
   * weight-0 tracker, that is after its first result (the instance waits in `initialize` for it, as keepalived does).
   * Calls to `start()` and `stop()` are serialized.
   */
  start(): Promise<void> {
    const run = this.#lifecycle.then(() => this.#start());
    this.#lifecycle = run.catch(() => undefined);
    return run;
  }

  async #start(): Promise<void> {
    if (this.#running) throw new VrrpError('already_started', 'instance is already running');
    this.#running = true;
    this.#generation++;
    this.#hookErrors = 0;
    const firstTransition = new Promise<void>((resolve) => (this.#resolveFirstTransition = resolve));
    try {
      const emit = (event: EngineEvent): void => this.#onEngineEvent(event);
      const config = withSyncHold(this.config, this.#syncHold);
      const engine = this.#givenAdapters ? new Engine(config, this.#givenAdapters, emit) : defaultEngine(config, emit);
      this.#engine = engine;
      this.#stateAbort = new AbortController();
      await engine.start();
      const generation = this.#generation;
      // Trackers run here, in the app; eventLoopLag trackers run in the engine.
      this.#probes.clear();
      this.#trackerStates.clear();
      const host = { ...defaultTrackerHost(), ...this.#givenAdapters?.trackerHost };
      for (const tracker of this.config.trackers) {
        if (tracker.type === 'eventLoopLag') continue;
        this.#probes.set(tracker.name, { tracker, probe: createProbe(tracker, host) });
        this.#trackerStates.set(tracker.name, initialTrackerState(tracker));
      }
      for (const name of this.#probes.keys()) this.#runTracker(name, generation);
      await firstTransition;
      await engine.idle();
    } catch (error) {
      this.#running = false;
      this.#generation++; // no tracker loop of this failed start may live on
      throw error;
    }
  }

  /**
   * Stops: a master sends priority 0 (RFC 9568 §6.4.3) and removes its VIPs; then the transport closes, trackers
   * and timers stop, running hooks are aborted and awaited. Safe to call twice.
   */
  stop(): Promise<void> {
    const run = this.#lifecycle.then(() => this.#stop());
    this.#lifecycle = run.catch(() => undefined);
    return run;
  }

  async #stop(): Promise<void> {
    if (!this.#running) return;
    this.#endRun('instance stopped');
    // start() resolved only after the first transition, so the engine's stop always yields one to `initialize`.
    await this.#engine?.stop();
    this.#stateAbort.abort(new VrrpError('aborted', 'instance stopped'));
    await this.#hookQueue;
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
    switch (event.type) {
      case 'transition':
        this.#applyTransition(event);
        break;
      case 'priorityChange':
        this.#emitSafely('priorityChange', { from: event.from, to: event.to });
        break;
      case 'protocolError':
        this.#emitSafely('protocolError', { code: event.code, message: event.message, src: event.src });
        break;
      case 'error':
        if (event.code === 'engine_failed') this.#engineFailed();
        this.#emitError(new VrrpError(event.code, event.message, event.cause === undefined ? undefined : { cause: event.cause }));
        break;
    }
  }

  /** The engine thread died: this run is over (the engine reported it and removed the VIPs). */
  #engineFailed(): void {
    this.#endRun('engine thread died');
  }

  /** Ends the run on this side: no tracker loop of it may live on, and checks in flight are aborted with `why`. */
  #endRun(why: string): void {
    this.#running = false;
    this.#generation++;
    for (const cancel of this.#trackerTimers.values()) cancel();
    this.#trackerTimers.clear();
    for (const [controller, cancelTimeout] of this.#trackerRuns) {
      cancelTimeout();
      controller.abort(new VrrpError('aborted', why));
    }
    this.#trackerRuns.clear();
  }

  /**
   * Emits without letting a listener's exception escape into the engine: a throwing `master` listener must not
   * stop the advertisements (the VIPs would stay up while peers take over). The exception is reported as an
   * `error` event (`listener_failed`) instead.
   */
  #emitSafely<E extends keyof VrrpEvents>(event: E, ...args: VrrpEvents[E]): void {
    try {
      (this.emit as (event: E, ...args: VrrpEvents[E]) => boolean)(event, ...args);
    } catch (cause) {
      this.#emitError(new VrrpError('listener_failed', `a ${String(event)} listener threw${cause instanceof Error ? `: ${cause.message}` : ''}`, { cause }));
    }
  }

  #emitError(error: VrrpError): void {
    // eventemitter3 drops an `error` nobody listens to; no failure may pass unseen, so it becomes a process warning
    // (printed to stderr by Node unless the app handles 'warning' events or runs with --no-warnings).
    if (this.listenerCount('error') === 0) {
      process.emitWarning(error.message, { type: 'VrrpWarning', code: `VRRP_${error.code.toUpperCase()}` });
      return;
    }
    try {
      this.emit('error', error);
    } catch {
      // An error listener that throws has nobody left to tell.
    }
  }

  #applyTransition(action: Extract<EngineEvent, { type: 'transition' }>): void {
    const event: StateChangeEvent = { from: action.from, to: action.to, reason: action.reason };
    if (action.peer !== undefined) event.peer = action.peer;
    this.#state = action.to;
    this.#resolveFirstTransition?.();
    // Hooks of the state we leave are told to wind down; hooks of the new state get a fresh signal.
    this.#stateAbort.abort(new VrrpError('aborted', `left state ${action.from}`));
    this.#stateAbort = new AbortController();
    this.#emitSafely('stateChange', event);
    if (action.to === 'initialize') {
      this.#emitSafely('stop', event);
      return;
    }
    this.#emitSafely(action.to, event);
    const hooks = [...this.#hooks[action.to]];
    if (hooks.length === 0) return;
    const stateSignal = this.#stateAbort.signal;
    this.#hookQueue = this.#hookQueue
      .then(async () => {
        for (const hook of hooks) {
          // A state already left by the time its turn comes is history: promoting a database for a mastership
          // that already ended would do harm. Hooks that started are awaited; the rest of that state's are skipped.
          if (stateSignal.aborted) return;
          await this.#runHook(action.to as HookState, hook, event, stateSignal);
        }
      })
      .catch(() => {});
  }

  async #runHook(state: HookState, hook: Hook, event: StateChangeEvent, stateSignal: AbortSignal): Promise<void> {
    const controller = new AbortController();
    const abort = (): void => controller.abort(stateSignal.reason);
    if (stateSignal.aborted) abort();
    else stateSignal.addEventListener('abort', abort, { once: true });
    const { hookTimeoutMs } = this.config;
    let cancelTimeout: (() => void) | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      cancelTimeout = this.#clock.setTimer(hookTimeoutMs, () => resolve('timeout'));
    });
    try {
      const outcome = await Promise.race([Promise.resolve().then(() => hook({ ...event, signal: controller.signal })), timedOut]);
      if (outcome === 'timeout') {
        const error = new VrrpError('hook_timeout', `${state} hook did not finish within ${hookTimeoutMs} ms`);
        controller.abort(error);
        this.#reportHookError(state, error);
      }
    } catch (cause) {
      const detail = cause instanceof Error ? `: ${cause.message}` : '';
      this.#reportHookError(state, new VrrpError('hook_failed', `${state} hook failed${detail}`, { cause }));
    } finally {
      cancelTimeout?.();
      stateSignal.removeEventListener('abort', abort);
    }
  }

  #reportHookError(state: HookState, error: VrrpError): void {
    this.#hookErrors++;
    this.#emitSafely('hookError', { state, error });
  }

  #addHook(state: HookState, hook: Hook): () => void {
    this.#hooks[state].push(hook);
    return () => {
      const index = this.#hooks[state].indexOf(hook);
      if (index >= 0) this.#hooks[state].splice(index, 1);
    };
  }

  /**
   * Runs one check now. Its result goes to the engine when it settles, or as a failure when `timeoutMs` passes
   * first (its signal is then aborted: an `exec` command's process group is killed). The next check is scheduled
   * `intervalMs` after this one has settled — even a timed-out check — so checks never overlap: a hung check that
   * ignores its signal holds the tracker down.
   */
  #runTracker(name: string, generation: number): void {
    const entry = this.#probes.get(name);
    if (!entry || generation !== this.#generation) return;
    const { tracker, probe } = entry;
    const clock = this.#clock;
    const controller = new AbortController();
    let reported = false;
    const report = (result: ProbeResult): void => {
      if (reported || generation !== this.#generation) return;
      reported = true;
      this.#deliverResult(tracker, result);
    };
    const cancelTimeout = clock.setTimer(tracker.timeoutMs, () => {
      controller.abort(new VrrpError('tracker_failed', `tracker ${name} timed out after ${tracker.timeoutMs} ms`));
      report({ up: false, reason: `timed out after ${tracker.timeoutMs} ms` });
    });
    this.#trackerRuns.set(controller, cancelTimeout);
    const settled = (result: ProbeResult): void => {
      cancelTimeout();
      this.#trackerRuns.delete(controller);
      report(result);
      if (generation !== this.#generation) return; // stopped (and maybe restarted) meanwhile
      this.#trackerTimers.set(name, clock.setTimer(tracker.intervalMs, () => this.#runTracker(name, generation)));
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
    const before = this.#trackerStates.get(tracker.name) ?? initialTrackerState(tracker);
    const after = applyTrackerResult(tracker, before, result.up, result.value);
    this.#trackerStates.set(tracker.name, after);
    if (after.status !== before.status || after.value !== before.value) {
      const event: TrackerChangeEvent = { name: tracker.name, type: tracker.type, from: before.status, to: after.status, reason: result.reason };
      if (result.value !== undefined) event.value = result.value;
      this.#emitSafely('trackerChange', event);
    }
    const input: Extract<RouterInput, { type: 'tracker' }> = { type: 'tracker', name: tracker.name, passed: result.up };
    if (result.value !== undefined) input.value = result.value;
    this.#engine?.command(input);
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
  async [syncGroupHold](name: string, held: boolean): Promise<void> {
    const hold = (this.#syncHold ??= { name, held, reverse: true });
    hold.held = held;
    const engine = this.#engine;
    if (!engine || !this.#running) return; // applied by the next start
    engine.command({ type: 'tracker', name: hold.name, passed: holdResult(hold, held) });
    await engine.idle();
  }
}

/** The engine of an instance without adapters: on the engine thread with the Linux adapters. */
function defaultEngine(config: ResolvedConfig, emit: (event: EngineEvent) => void): EngineLike {
  if (process.platform !== 'linux') {
    throw new VrrpError('no_adapters', `no adapters given and the default ones need Linux (this is ${process.platform})`);
  }
  return new RemoteEngine(config, emit);
}
