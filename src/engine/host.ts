/**
 * The main thread's side of the engine thread: one worker per process (./worker.ts), started with the first
 * instance that needs it and shared by all, and a {@link RemoteEngine} per instance that speaks for its engine
 * there with the same surface as a local {@link Engine}.
 *
 * Theory of operation:
 * - Commands and events are plain-data messages (./messages.ts), ordered per direction.
 * - Counters live in shared memory that the engine thread rewrites after each step, so `stats` stays a synchronous
 *   read without a message per packet: a slot per engine in slabs of {@link STATS_SLAB_DOUBLES} (a
 *   SharedArrayBuffer per engine cost ~400 bytes an instance across the two threads besides its counters).
 * - The worker keeps the process alive while an engine runs (as sockets on the main thread did) and is unref'd
 *   when none does, so an app that stopped every instance can exit.
 * - A worker that dies is reported on every instance it served (`engine_failed`), each goes to `initialize`
 *   (stopped), and the VIPs it added are removed from the main thread, as its markers tell (a worker cannot
 *   remove them any more; without this the dead engine's VIPs would stay on the interface for good).
 * - `eventLoopLag` trackers: while an instance has one, the main thread bumps a shared counter every few ms; the
 *   engine thread measures how long it has not moved.
 */
import { existsSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { readSharedSocketStats, type SharedSocketStats } from '../adapters/types.js';
import type { ResolvedConfig } from '../config.js';
import type { AddressFamily } from '../core/advertisement.js';
import { effectivePriority } from '../core/priority.js';
import type { RouterState } from '../core/router.js';
import { VrrpError } from '../errors.js';
import { ENGINE_STATS_KEYS, readRuntime, runtimeSinkLength, vipsByInterface, type EngineCommand, type EngineEvent, type EngineResume, type EngineRuntime, type EngineStats, type HandoverKept } from './engine.js';
import { plainConfig, type FromEngine, type StatsSlot, type ToEngine } from './messages.js';
import { ADVERT_FORWARD_POLL_MS, ADVERT_SUBSCRIPTIONS_WATCHED, advertReceivedChannel, advertSentChannel, advertSubscribers, onAdvertSubscriptions } from '../diagnostics.js';

/** What `VrrpInstance` needs of an engine, wherever it runs. */
export interface EngineLike {
  /** Current effective priority. */
  readonly priority: number;
  /** Counters of the current run. */
  readonly stats: EngineStats;
  /** The core's timers and trackers, the timers' lateness, the VIPs' leases (see {@link EngineRuntime}). */
  runtime(): EngineRuntime;
  /** The counters of the receive socket shared with other instances, when there is one (Transport.socketStats). */
  socketStats?(): SharedSocketStats | undefined;
  /** Opens the adapters and starts the protocol; with `resume`, in place of a replaced engine (see Engine.start). */
  start(resume?: EngineResume): Promise<void>;
  /** Stops the protocol and closes the adapters; with `handover`, for a new engine to resume (see Engine.stop). */
  stop(handover?: { keep: HandoverKept }): Promise<void>;
  /**
   * Resolves once a run that ended on its own is wholly over — a dead engine thread's VIP clean-up and its last
   * transition included — so that a new run cannot meet them (absent: nothing to wait for).
   */
  released?(): Promise<void>;
  /** Resolves when every action queued so far has been applied. */
  idle(): Promise<void>;
  /** Feeds a command (a tracker result). */
  command(command: EngineCommand): void;
}

/**
 * The worker's module: next to this file when built (dist/engine/worker.js). Run from the TypeScript sources (the
 * test runner), the built one is used, since Node cannot start a worker from a .ts file.
 */
function workerUrl(): URL {
  const beside = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  const built = new URL('../../dist/engine/worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new VrrpError('no_adapters', 'the engine thread module is missing (dist/engine/worker.js): run `npm run build`');
}

/** The engine thread's young generation, in MB (see where the worker is created). */
const ENGINE_YOUNG_GENERATION_MB = 2;

/** Doubles per stats slab: a few dozen engines' counters (an engine's are ~30 doubles, more with many VIPs). */
const STATS_SLAB_DOUBLES = 1024;

/** How long the process's exit waits for the engine thread to stop its engines and close its sockets. */
const EXIT_GRACE_MS = 2000;

/** The period of the main thread's heartbeat for a lag threshold: a few beats per threshold, within 5…250 ms. */
export function heartbeatPeriodMs(thresholdMs: number): number {
  return Math.min(250, Math.max(5, Math.floor(thresholdMs / 8)));
}

class EngineHost {
  #worker: Worker | undefined;
  readonly #engines = new Map<number, RemoteEngine>();
  #nextId = 1;
  #running = 0;
  #beat: Int32Array | undefined;
  #beatTimer: NodeJS.Timeout | undefined;
  #beatPeriodMs = Infinity;
  /** The heartbeat periods the running engines asked for (ms → how many ask): the shortest beats, none: no beat. */
  readonly #beatPeriods = new Map<number, number>();
  /** Why the worker is about to die, when it said so. */
  #fatal: string | undefined;
  /** What the engine thread was last told to forward of the advert channels, and the look that keeps it true. */
  #forwarding = { sent: false, received: false };
  #forwardPoll: NodeJS.Timeout | undefined;
  #stopForwardWatch: (() => void) | undefined;

  register(engine: RemoteEngine): number {
    const id = this.#nextId++;
    this.#engines.set(id, engine);
    return id;
  }

  /** How many engines are registered: made and not yet ended (for tests of the host's bookkeeping). */
  get registeredEngines(): number {
    return this.#engines.size;
  }

  /** The engine's run is over: what its thread still says of it is dropped (an error becomes a process warning). */
  unregister(id: number): void {
    this.#engines.delete(id);
  }

  /** An engine's message, or an error of one whose run is over (nobody else would hear it). */
  #deliver(message: Extract<FromEngine, { id: number }>): void {
    const engine = this.#engines.get(message.id);
    if (engine) engine.receive(message);
    else if (message.type === 'event' && message.event.type === 'error') {
      process.emitWarning(`after its run ended: ${message.event.message}`, { type: 'VrrpWarning', code: `VRRP_${message.event.code.toUpperCase()}` });
    }
  }

  /** The engine thread's VRRP sockets' counters, by family and interface: the latest socket of each (see socketStats). */
  readonly #socketCounts = new Map<string, Float64Array>();
  /**
   * What the sockets before the latest of each family and interface counted, as they last read: a reload closes an
   * interface's socket when its last instance stops and the next start opens another, whose counts start at 0 — and
   * counters that go down are wrong to Prometheus (`vrrp_socket_drops_total`) and to `vrrp status` alike.
   */
  readonly #socketCountsBefore = new Map<string, Float64Array>();

  /** The counters of the engine thread's VRRP sockets for `iface` and `family` since the first opened; undefined: none opened. */
  socketStats(iface: string, family: AddressFamily): SharedSocketStats | undefined {
    const key = `${family} ${iface}`;
    const counts = this.#socketCounts.get(key);
    if (counts === undefined) return undefined;
    const before = this.#socketCountsBefore.get(key);
    if (before === undefined) return readSharedSocketStats(counts);
    const total = Float64Array.from(counts);
    for (let i = 0; i < total.length; i++) total[i] = (total[i] as number) + (before[i] ?? 0);
    return readSharedSocketStats(total);
  }

  /** Takes the counters of a socket the engine thread opened, keeping what the one it replaces counted. */
  #socketOpened(key: string, counts: Float64Array): void {
    const previous = this.#socketCounts.get(key);
    if (previous !== undefined) {
      const before = this.#socketCountsBefore.get(key) ?? new Float64Array(previous.length);
      for (let i = 0; i < before.length; i++) before[i] = (before[i] as number) + (previous[i] ?? 0);
      this.#socketCountsBefore.set(key, before);
    }
    this.#socketCounts.set(key, counts);
  }

  /** The stats slabs, by number; every worker gets each of them before any start that uses it. */
  readonly #statsSlabs: SharedArrayBuffer[] = [];
  /** The slab slots are taken from, and how many of its doubles are taken. */
  #statsSlab = -1;
  #statsSlabUsed = 0;

  /** Slots given back by engines whose run is over, by length: taken again before any new room. */
  readonly #freeStatsSlots = new Map<number, StatsSlot[]>();

  /** A slot of `length` doubles for an engine's counters, and the view of it, until {@link releaseStatsSlot}. */
  statsSlot(length: number): { slot: StatsSlot; view: Float64Array } {
    const free = this.#freeStatsSlots.get(length)?.pop();
    if (free) return { slot: free, view: new Float64Array(this.#statsSlabs[free.slab] as SharedArrayBuffer, free.offset * Float64Array.BYTES_PER_ELEMENT, length) };
    let slab: number;
    let offset = 0;
    if (length > STATS_SLAB_DOUBLES) {
      // More counters than a slab holds (hundreds of VIPs or trackers): a slab of its own.
      slab = this.#newStatsSlab(length);
    } else {
      if (this.#statsSlab < 0 || this.#statsSlabUsed + length > STATS_SLAB_DOUBLES) {
        this.#statsSlab = this.#newStatsSlab(STATS_SLAB_DOUBLES);
        this.#statsSlabUsed = 0;
      }
      slab = this.#statsSlab;
      offset = this.#statsSlabUsed;
      this.#statsSlabUsed += length;
    }
    const view = new Float64Array(this.#statsSlabs[slab] as SharedArrayBuffer, offset * Float64Array.BYTES_PER_ELEMENT, length);
    return { slot: { slab, offset, length }, view };
  }

  /** An engine's run is over and its thread writes no more there: the slot may serve the next engine. */
  releaseStatsSlot(slot: StatsSlot): void {
    let free = this.#freeStatsSlots.get(slot.length);
    if (!free) this.#freeStatsSlots.set(slot.length, (free = []));
    free.push(slot);
  }

  #newStatsSlab(doubles: number): number {
    const buffer = new SharedArrayBuffer(doubles * Float64Array.BYTES_PER_ELEMENT);
    const slab = this.#statsSlabs.push(buffer) - 1;
    this.#worker?.postMessage({ type: 'statsSlab', slab, buffer } satisfies ToEngine);
    return slab;
  }

  post(message: ToEngine): void {
    this.#ensureWorker().postMessage(message);
  }

  /** Pending `releasePages` answers, oldest first. */
  #releases: ((answer: PagesReleased) => void)[] | undefined;

  /**
   * Asks the engine thread to give back the process's start-up pages and warm its engines' takeover path again
   * (src/engine/worker.ts, releasePages); undefined when no engine runs there.
   */
  releasePages(): Promise<PagesReleased> | undefined {
    const worker = this.#worker;
    if (!worker || this.#running === 0) return undefined;
    return new Promise((resolve) => {
      (this.#releases ??= []).push(resolve);
      worker.postMessage({ type: 'releasePages' } satisfies ToEngine);
    });
  }

  /** An engine started running (true) or stopped (false): the worker holds the process only while some run. */
  running(delta: 1 | -1): void {
    this.#running += delta;
    if (this.#running === 1 && delta === 1) {
      this.#worker?.ref();
      // Look now (a subscriber from before the start hears the first adverts), then at each subscription change
      // while engines run — or, where those cannot be heard, every ADVERT_FORWARD_POLL_MS.
      this.#checkForwarding();
      if (ADVERT_SUBSCRIPTIONS_WATCHED) this.#stopForwardWatch = onAdvertSubscriptions(this.#checkForwarding);
      else {
        this.#forwardPoll = setInterval(this.#checkForwarding, ADVERT_FORWARD_POLL_MS);
        this.#forwardPoll.unref();
      }
    }
    if (this.#running === 0) {
      this.#worker?.unref();
      this.#stopHeartbeat();
      this.#stopForwarding();
    }
  }

  /** Stops hearing of (or looking for) the advert channels' subscribers. */
  #stopForwarding(): void {
    this.#stopForwardWatch?.();
    this.#stopForwardWatch = undefined;
    clearInterval(this.#forwardPoll);
    this.#forwardPoll = undefined;
  }

  /** Tells the engine thread which advert channels have subscribers here, when that changed. */
  readonly #checkForwarding = (): void => {
    const now = advertSubscribers();
    if (now.sent === this.#forwarding.sent && now.received === this.#forwarding.received) return;
    // Noted once told: a worker that could not be made hears it from the next one (found by review).
    this.#ensureWorker().postMessage({ type: 'forwardAdverts', ...now } satisfies ToEngine);
    this.#forwarding = now;
  };

  /** Starts (or speeds up) the main thread's heartbeat for a lag threshold; {@link heartbeatDone} when no longer needed. */
  heartbeat(thresholdMs: number): void {
    const periodMs = heartbeatPeriodMs(thresholdMs);
    this.#beatPeriods.set(periodMs, (this.#beatPeriods.get(periodMs) ?? 0) + 1);
    this.#beatEvery(Math.min(...this.#beatPeriods.keys()));
  }

  /**
   * An engine that asked for a heartbeat for `thresholdMs` has stopped: the beat slows to what the others ask, or
   * stops when none does. It only ever sped up, and a 5 ms beat of an instance long stopped kept waking the app's
   * main thread for the life of the process (found by review).
   */
  heartbeatDone(thresholdMs: number): void {
    const periodMs = heartbeatPeriodMs(thresholdMs);
    const count = this.#beatPeriods.get(periodMs);
    if (count === undefined) return;
    if (count > 1) this.#beatPeriods.set(periodMs, count - 1);
    else this.#beatPeriods.delete(periodMs);
    if (this.#beatPeriods.size === 0) this.#stopHeartbeat();
    else this.#beatEvery(Math.min(...this.#beatPeriods.keys()));
  }

  /** Beats every `periodMs` (unchanged when it does already). */
  #beatEvery(periodMs: number): void {
    if (this.#beatTimer !== undefined && periodMs === this.#beatPeriodMs) return;
    if (!this.#beat) {
      this.#beat = new Int32Array(new SharedArrayBuffer(4));
      // A worker started from now on is handed the counter as it starts (#ensureWorker).
      this.#worker?.postMessage({ type: 'heartbeat', beat: this.#beat.buffer as SharedArrayBuffer } satisfies ToEngine);
    }
    const restarting = this.#beatTimer === undefined;
    clearInterval(this.#beatTimer);
    this.#beatPeriodMs = periodMs;
    const beat = this.#beat;
    this.#beatTimer = setInterval(() => Atomics.add(beat, 0, 1), periodMs);
    this.#beatTimer.unref();
    // A beat now: the engine thread's last look may have been before the heartbeat stopped (no engine ran), and the
    // counter it saw then has not moved since — its first look would take all that time for lag, and a weight-0
    // eventLoopLag tracker fault an idle app at its restart (found by review: 1 restart in 8).
    if (restarting) Atomics.add(beat, 0, 1);
  }

  #stopHeartbeat(): void {
    clearInterval(this.#beatTimer);
    this.#beatTimer = undefined;
    this.#beatPeriodMs = Infinity;
  }

  /** For tests of engine-thread failure: the worker dies of an uncaught exception, as a bug would end it. */
  injectCrash(): void {
    this.#worker?.postMessage({ type: 'crash' } satisfies ToEngine);
  }

  /**
   * At process exit (`process.exit()` included, which gives no chance to await): the engine thread stops every
   * engine still running — priority 0 sent, VIPs removed — and closes its sockets while this thread waits for it,
   * at most {@link EXIT_GRACE_MS} (a few ms when nothing runs). Without it, an exit with instances running would leave their VIPs up, and netlink
   * crashes the process when a thread ends with its sockets open.
   */
  readonly #onExit = (): void => {
    const worker = this.#worker;
    // Even with no engine running: the thread may still be closing its last sockets.
    if (!worker) return;
    const ack = new Int32Array(new SharedArrayBuffer(4));
    worker.postMessage({ type: 'shutdown', ack: ack.buffer as SharedArrayBuffer } satisfies ToEngine);
    Atomics.wait(ack, 0, 0, EXIT_GRACE_MS);
    const outcome = Atomics.load(ack, 0);
    if (outcome === 1) return;
    // Written now and synchronously: the process ends when this returns, before a warning's next tick.
    const what = outcome === 2 ? 'did not finish stopping its instances' : `did not answer within ${EXIT_GRACE_MS} ms`;
    try {
      writeSync(2, `vrrp: at process exit the engine thread ${what}: priority 0 may not have been sent and virtual addresses may be left (a VIP lease, when set, removes them)\n`);
    } catch {
      // stderr closed: nothing left to tell.
    }
  };

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    // A small young generation: the engine's garbage is short-lived packets and actions, and V8 otherwise grows the
    // thread's nursery with its allocation rate (measured: 200 masters at 100 ms, 12 MB more RSS with the default
    // than with 4 MB, for the same CPU within a tick; 255 masters, about 3.5 MB less again with 2 MB than with 4,
    // and no less with 1). docs/linux.md has the figures.
    const worker = new Worker(workerUrl(), { name: 'vrrp-engine', resourceLimits: { maxYoungGenerationSizeMb: ENGINE_YOUNG_GENERATION_MB } });
    // Each listener acts for its own worker only: a dead worker's late `exit` (an uncaught error reported first,
    // its exit a few ms later, a start meanwhile making the next worker) must not be taken for its successor's
    // death, which reported the successor's engines failed while it ran them (found by review).
    worker.on('message', (message: FromEngine) => {
      if (this.#worker !== worker) return;
      if (message.type === 'advert') {
        const channel = message.direction === 'sent' ? advertSentChannel : advertReceivedChannel;
        if (channel.hasSubscribers) channel.publish(message.message);
      } else if (message.type === 'fatal') this.#fatal = message.message;
      else if (message.type === 'pagesReleased') this.#releases?.shift()?.(message);
      else if (message.type === 'socketCounts') this.#socketOpened(`${message.family} ${message.interface}`, new Float64Array(message.counts));
      else if ('id' in message) this.#deliver(message);
    });
    worker.on('error', (error) => {
      if (this.#worker === worker) this.#died(error);
    });
    worker.on('exit', (code) => {
      if (this.#worker === worker) this.#died(new Error(this.#fatal ?? `engine thread exited with code ${code}`));
    });
    process.once('exit', this.#onExit);
    if (this.#running === 0) worker.unref();
    this.#worker = worker;
    this.#statsSlabs.forEach((buffer, slab) => worker.postMessage({ type: 'statsSlab', slab, buffer } satisfies ToEngine));
    if (this.#beat) worker.postMessage({ type: 'heartbeat', beat: this.#beat.buffer as SharedArrayBuffer } satisfies ToEngine);
    return worker;
  }

  #died(error: Error): void {
    if (!this.#worker) return; // 'error' then 'exit': reported once
    process.off('exit', this.#onExit);
    this.#worker = undefined;
    this.#fatal = undefined;
    this.#stopHeartbeat();
    this.#beat = undefined;
    // The engines below end their runs without a heartbeat to give back.
    this.#beatPeriods.clear();
    // A new worker starts forwarding nothing: tell it afresh at the next start.
    this.#forwarding = { sent: false, received: false };
    this.#stopForwarding();
    // Each running engine ends its run (running(-1), unregister), which brings the count to 0 with the thread it
    // counted; one made but not started yet stays registered, for its start on the next thread.
    for (const engine of [...this.#engines.values()]) engine.died(error);
    this.#running = 0;
    for (const answer of this.#releases?.splice(0) ?? []) answer({ type: 'pagesReleased', error: `the engine thread died (${error.message})` });
  }
}

/** The engine thread's answer to a release of start-up pages. */
export type PagesReleased = Extract<FromEngine, { type: 'pagesReleased' }>;

let host: EngineHost | undefined;

/** The process's engine host. */
export function engineHost(): EngineHost {
  host ??= new EngineHost();
  return host;
}

type Pending = { resolve: () => void; reject: (error: unknown) => void };

/** An {@link Engine} on the engine thread, seen from the main thread. */
export class RemoteEngine implements EngineLike {
  readonly #config: ResolvedConfig;
  /** The VMAC the engine thread made for this run (its name, from its `vmac` event); undefined: none. */
  #vmac: string | undefined;
  readonly #emit: (event: EngineEvent) => void;
  readonly #host: EngineHost;
  readonly #id: number;
  /** Counters, then the runtime (see runtimeSinkLength): one slot, one publish per step on the engine thread. */
  /** The slot's view while the run lasts; a copy of its last word after (the slot then serves another engine). */
  #stats: Float64Array;
  readonly #statsSlot: StatsSlot;
  #priority: number;
  #state: RouterState = 'initialize';
  #started: Pending | undefined;
  #stopped: Pending | undefined;
  /** Made at the first `idle()`: an empty Map costs ~180 bytes an instance, and most never ask. */
  #idles: Map<number, Pending> | undefined;
  #nextIdle = 1;
  #running = false;
  #dead = false;
  /** The `eventLoopLag` thresholds this run asked the host's heartbeat for, given back when it ends. */
  #lagThresholds: number[] | undefined;
  /** Settles when a dead thread's clean-up for this engine is over (see {@link released}). */
  #released: Promise<void> | undefined;

  /** An engine for `config` whose events go to `emit`; nothing runs until `start()`. */
  constructor(config: ResolvedConfig, emit: (event: EngineEvent) => void) {
    this.#config = config;
    this.#emit = emit;
    this.#host = engineHost();
    this.#id = this.#host.register(this);
    this.#priority = effectivePriority(config.priority, []);
    const { slot, view } = this.#host.statsSlot(runtimeSinkLength(config));
    this.#stats = view;
    this.#statsSlot = slot;
    this.#stats.fill(Number.NaN, ENGINE_STATS_KEYS.length);
  }

  /** See {@link EngineLike.priority}. */
  get priority(): number {
    return this.#priority;
  }

  /** See {@link EngineLike.stats}. */
  get stats(): EngineStats {
    const stats = {} as Record<keyof EngineStats, number>;
    for (let i = 0; i < ENGINE_STATS_KEYS.length; i++) stats[ENGINE_STATS_KEYS[i] as keyof EngineStats] = this.#stats[i] as number;
    return stats;
  }

  /** See {@link EngineLike.socketStats}: the engine thread's socket for this instance's interface and family. */
  socketStats(): SharedSocketStats | undefined {
    // The socket is the VMAC's when the adverts go from it (not with xmitBase).
    const onVmac = this.#vmac !== undefined && this.#config.vmac?.xmitBase !== true;
    return this.#host.socketStats(onVmac ? (this.#vmac as string) : this.#config.interface, this.#config.family);
  }

  /** See {@link EngineLike.runtime}: as the engine thread last published it. */
  runtime(): EngineRuntime {
    const runtime = readRuntime(this.#stats, this.#config);
    // Not published yet (NaN): what a run that has not stepped would say.
    if (Number.isNaN(runtime.masterAdverIntervalMs)) runtime.masterAdverIntervalMs = this.#config.advertIntervalMs;
    if (Number.isNaN(runtime.timerLateMs)) runtime.timerLateMs = 0;
    if (Number.isNaN(runtime.timerLateMaxMs)) runtime.timerLateMaxMs = 0;
    return runtime;
  }

  /** See {@link EngineLike.start}. */
  start(resume?: EngineResume): Promise<void> {
    // The VMAC the engine before held is this one's from now on, before its own `vmac` event says so: a thread that
    // dies meanwhile leaves the kept addresses on it.
    this.#vmac = resume?.vmac;
    this.#stats.fill(0, 0, ENGINE_STATS_KEYS.length);
    this.#stats.fill(Number.NaN, ENGINE_STATS_KEYS.length);
    const lagTrackers = this.#config.trackers.filter((tracker) => tracker.type === 'eventLoopLag');
    return new Promise<void>((resolve, reject) => {
      this.#started = { resolve, reject };
      this.#running = true;
      try {
        // Inside: running(1) makes the thread when an advert channel has a subscriber, and that may fail too.
        this.#host.running(1);
        for (const tracker of lagTrackers) {
          this.#host.heartbeat(tracker.thresholdMs);
          (this.#lagThresholds ??= []).push(tracker.thresholdMs);
        }
        this.#host.post({ type: 'start', id: this.#id, config: plainConfig(this.#config), stats: this.#statsSlot, ...(resume === undefined ? {} : { resume }) });
      } catch (error) {
        // No thread (no build to start it from, a Worker that could not be made): this run never began, and must
        // not count as running — the host would keep its thread and the process alive for it.
        this.#finish();
        this.#started = undefined;
        reject(error);
      }
    });
  }

  /** See {@link EngineLike.stop}. */
  stop(handover?: { keep: HandoverKept }): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#stopped = { resolve, reject };
      this.#host.post(handover === undefined ? { type: 'stop', id: this.#id } : { type: 'stop', id: this.#id, handover });
    });
  }

  /** See {@link EngineLike.idle}. */
  idle(): Promise<void> {
    if (!this.#running) return Promise.resolve();
    const request = this.#nextIdle++;
    return new Promise<void>((resolve, reject) => {
      (this.#idles ??= new Map()).set(request, { resolve, reject });
      this.#host.post({ type: 'idle', id: this.#id, request });
    });
  }

  /** See {@link EngineLike.command}. */
  command(command: EngineCommand): void {
    if (this.#running) this.#host.post({ type: 'command', id: this.#id, command });
  }

  /** A message from the engine thread for this engine. */
  receive(message: FromEngine): void {
    switch (message.type) {
      case 'event':
        this.#priority = message.priority;
        if (message.event.type === 'transition') this.#state = message.event.to;
        else if (message.event.type === 'vmac') this.#vmac = message.event.name;
        this.#emit(message.event);
        break;
      case 'started':
        this.#started?.resolve();
        this.#started = undefined;
        break;
      case 'startFailed':
        this.#finish();
        this.#started?.reject(new VrrpError(message.error.code, message.error.message));
        this.#started = undefined;
        // As at `stopped`: an idle asked meanwhile (a sync group's hold) is answered after this, to an id no longer
        // registered, so it is answered here — a group waiting for it would wait for ever.
        for (const pending of this.#idles?.values() ?? []) pending.resolve();
        this.#idles = undefined;
        break;
      case 'stopped':
        this.#finish();
        this.#stopped?.resolve();
        this.#stopped = undefined;
        // The thread answers in order: anything still asked of this run was answered before `stopped`, or never will be.
        for (const pending of this.#idles?.values() ?? []) pending.resolve();
        this.#idles = undefined;
        break;
      case 'idle':
        this.#idles?.get(message.request)?.resolve();
        this.#idles?.delete(message.request);
        break;
    }
  }

  /** The engine thread died: report it, remove the VIPs it may have added, and end this run as stopped. */
  died(cause: Error): void {
    if (this.#dead || !this.#running) return;
    this.#dead = true;
    const wasState = this.#state;
    this.#finish();
    const error = new VrrpError('engine_failed', `the engine thread died (${cause.message}); instance ${this.#config.name} stopped`, { cause });
    this.#emit({ type: 'error', code: error.code, message: error.message, cause });
    this.#released = releaseVips(this.#config, this.#vmac).then(
      (routing) => {
        for (const failure of routing) {
          this.#emit({ type: 'error', code: 'route_failed', message: `could not remove the virtual routes or rules after the engine thread died: ${failure instanceof Error ? failure.message : String(failure)}`, cause: failure });
        }
      },
      (removal: unknown) =>
        this.#emit({ type: 'error', code: 'vip_failed', message: `could not remove the virtual addresses after the engine thread died: ${removal instanceof Error ? removal.message : String(removal)}`, cause: removal }),
    ).finally(() => {
      if (wasState !== 'initialize') this.#emit({ type: 'transition', from: wasState, to: 'initialize', reason: 'stopped' });
      this.#started?.reject(error);
      this.#started = undefined;
      this.#stopped?.resolve();
      this.#stopped = undefined;
      for (const pending of this.#idles?.values() ?? []) pending.resolve();
      this.#idles = undefined;
    }).catch((failure: unknown) => {
      // A listener of the last events threw past the instance's guards: told, not left as an unhandled rejection.
      process.emitWarning(`after the engine thread died: ${failure instanceof Error ? failure.message : String(failure)}`, { type: 'VrrpWarning' });
    });
  }

  /** See {@link EngineLike.released}. */
  released(): Promise<void> {
    return this.#released ?? Promise.resolve();
  }

  #finish(): void {
    if (!this.#running) return;
    this.#running = false;
    this.#state = 'initialize';
    for (const thresholdMs of this.#lagThresholds ?? []) this.#host.heartbeatDone(thresholdMs);
    this.#lagThresholds = undefined;
    this.#host.running(-1);
    // Nothing of this run's thread reaches us from here on; its counters stay readable in a copy of their last word.
    this.#host.unregister(this.#id);
    this.#stats = Float64Array.from(this.#stats);
    this.#host.releaseStatsSlot(this.#statsSlot);
  }
}

/**
 * Removes the VIPs that a dead engine thread of this process added, and only those: the VIP manager's own
 * leftover cleanup, which trusts markers naming this very process (see src/linux/vip-manager.ts) — after the
 * instance's virtual rules and routes (only ours go: they carry our protocol). Resolves with the failures of the
 * rules and routes; rejects when the addresses could not be removed.
 */
async function releaseVips(config: ResolvedConfig, vmac: string | undefined): Promise<unknown[]> {
  const { NetlinkVipManager } = await import('../linux/vip-manager.js');
  const manager = new NetlinkVipManager();
  try {
    // Rules and routes first, as a master leaving its mastership removes them. A failure there is reported and
    // does not keep the addresses: they go whatever happened to the routes.
    const routing: unknown[] = [];
    if (config.virtualRules.length > 0) await manager.removeRules(config.virtualRules).catch((error: unknown) => routing.push(error));
    if (config.virtualRoutes.length > 0) await manager.removeRoutes(config.virtualRoutes).catch((error: unknown) => routing.push(error));
    // Each interface's own (an address with `dev` has its markers there), every one tried: one that fails must not
    // leave the others' addresses up.
    let failure: unknown;
    for (const { iface, addresses } of vipsByInterface({ interface: vmac ?? config.interface, heldAddresses: config.heldAddresses })) {
      if (addresses.length > 0) await manager.prepare(iface, addresses).catch((error: unknown) => (failure ??= error));
    }
    // The VMAC too, which a clean stop deletes (its holder died with the thread: it is named here).
    if (vmac !== undefined) await manager.removeVmac(vmac, { base: config.interface, family: config.family, vrid: config.vrid, name: vmac, source: undefined }).catch((error: unknown) => (failure ??= error));
    if (failure !== undefined) throw failure;
    return routing;
  } finally {
    manager.close();
  }
}
