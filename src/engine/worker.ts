/**
 * The engine thread's entry point: one worker per process runs every Linux engine of the process — core, the one
 * timer, VRRP sockets, VIP changes, announcements, link events — on its own event loop, so an app that blocks its
 * main thread never costs an advertisement, a takeover or a VIP change (docs/architecture.md, "Threads").
 *
 * It creates the Linux adapters here, never on the main thread: the addon's sockets and timer are watched by the
 * loop of the thread that opened them. Only plain data crosses (./messages.ts).
 *
 * Keep `fs` promises and `dns.lookup` out of this thread: libuv's thread pool is shared by the process, and a
 * busy pool on the app's side would delay them.
 */
import { parentPort } from 'node:worker_threads';
import type { ResolvedConfig } from '../config.js';
import { VrrpError } from '../errors.js';
import { createLinuxAdapters, releaseThreadResources } from '../linux/index.js';
import { releaseStartupPages } from '../linux/memory.js';
import { onVrrpSocketOpened } from '../linux/transport/vrrp-socket.js';
import { Engine, syncPlaceKey, vipsByInterface, type EngineConfig, type EngineEvent, type EngineResume } from './engine.js';
import { abandonHandOff } from './sync-group.js';
import { NetlinkVipManager } from '../linux/vip-manager.js';
import { advertReceivedChannel, advertSentChannel } from '../diagnostics.js';
import type { FromEngine, StatsSlot, ToEngine } from './messages.js';

const port = parentPort;
if (!port) throw new Error('src/engine/worker.ts runs as a worker thread only');

const engines = new Map<number, Engine>();
let starting = 0;
/** Starts under way, for the exit's shutdown to wait for (see shutdown). */
const startsInFlight = new Set<Promise<void>>();
/** Stops under way: out of `engines` already (no command reaches them), not done yet (their VIPs may be going). */
const stopping = new Set<Promise<unknown>>();
/** How long the exit's shutdown gives the engines to stop (the main thread waits a little longer). */
const SHUTDOWN_BUDGET_MS = 1500;

/**
 * Releases the thread's netlink sockets once no engine runs or starts: netlink 0.3.0 crashes the process when a
 * thread ends with one open, and the app may exit (or this thread be ended) any time after its last stop.
 */
function releaseWhenIdle(): void {
  if (engines.size === 0 && starting === 0 && stopping.size === 0) releaseThreadResources();
}

/**
 * The main thread's heartbeat: a counter it bumps every few ms while some instance has an `eventLoopLag` tracker.
 * Its lag is how long the counter has not moved, measured here on our own clock.
 */
let beat: Int32Array | undefined;
let lastBeat = -1;
let lastBeatSeenMs = 0;

function mainThreadLagMs(): number {
  const now = performance.now();
  if (!beat) return 0;
  const value = Atomics.load(beat, 0);
  if (value !== lastBeat) {
    lastBeat = value;
    lastBeatSeenMs = now;
    return 0;
  }
  return now - lastBeatSeenMs;
}

function post(message: FromEngine): void {
  try {
    port?.postMessage(message);
  } catch (error) {
    // An error whose cause cannot cross threads (DataCloneError: a function, a socket in it) goes without the cause,
    // its message kept, rather than not at all.
    if (message.type !== 'event' || message.event.type !== 'error' || message.event.cause === undefined) throw error;
    const { cause, ...event } = message.event;
    port?.postMessage({ ...message, event: { ...event, message: `${event.message} (cause: ${cause instanceof Error ? cause.message : String(cause)})` } });
  }
}

// Each VRRP socket's counters are in shared memory: the main thread reads them for status() as they are counted.
onVrrpSocketOpened((ifname, family, counts) => post({ type: 'socketCounts', interface: ifname, family, counts }));

/**
 * Forwarding of adverts to main-thread subscribers of the `vrrp:advert:*` channels: subscribed here (so the
 * engines publish) only while the main thread says it has subscribers; a message per advert then, none otherwise.
 */
const forwardSent = (message: unknown): void => post({ type: 'advert', direction: 'sent', message: message as Extract<FromEngine, { type: 'advert' }>['message'] });
const forwardReceived = (message: unknown): void => post({ type: 'advert', direction: 'received', message: message as Extract<FromEngine, { type: 'advert' }>['message'] });
const forwarding = { sent: false, received: false };

function forwardAdverts(sent: boolean, received: boolean): void {
  if (sent !== forwarding.sent) {
    if (sent) advertSentChannel.subscribe(forwardSent);
    else advertSentChannel.unsubscribe(forwardSent);
  }
  if (received !== forwarding.received) {
    if (received) advertReceivedChannel.subscribe(forwardReceived);
    else advertReceivedChannel.unsubscribe(forwardReceived);
  }
  const changed = sent !== forwarding.sent || received !== forwarding.received;
  forwarding.sent = sent;
  forwarding.received = received;
  // An engine whose transport tallies steps only when something happens: it must hear of this now.
  if (changed) for (const engine of engines.values()) engine.reconsider();
}

/** The stats slabs the main thread sent (`statsSlab`), by number. */
const statsSlabs: SharedArrayBuffer[] = [];

async function start(id: number, config: ResolvedConfig, slot: StatsSlot, resume: EngineResume | undefined): Promise<void> {
  starting++;
  let engine: Engine | undefined;
  try {
    const adapters = await createLinuxAdapters(config);
    const emit = (event: EngineEvent): void => post({ type: 'event', id, event, priority: engine?.priority ?? config.priority });
    const slab = statsSlabs[slot.slab];
    if (slab === undefined) throw new Error(`stats slab ${slot.slab} never reached the engine thread`);
    const statsSink = new Float64Array(slab, slot.offset * Float64Array.BYTES_PER_ELEMENT, slot.length);
    engine = new Engine(config, adapters, emit, { mainThreadLagMs, statsSink, advertGrid: true });
    engines.set(id, engine);
    await engine.start(resume);
    post({ type: 'started', id });
  } catch (error) {
    engines.delete(id);
    // A resumed start that failed before its engine was made: nothing else gives up what was kept for it.
    if (engine === undefined && resume !== undefined) await releaseHandOver(id, config as EngineConfig, resume);
    const code = error instanceof VrrpError ? error.code : 'transport_failed';
    post({ type: 'startFailed', id, error: { code, message: messageOf(error) } });
  } finally {
    starting--;
    releaseWhenIdle();
  }
}

/**
 * What a replaced engine left for a resumed start that failed before its engine existed (the adapters could not be
 * made): its sync group place is given up, and the kept rules, routes and addresses removed with a manager of their
 * own, and its VMAC deleted (Engine.start does this itself for a failure after). Failures are reported on the instance.
 */
async function releaseHandOver(id: number, config: EngineConfig, resume: EngineResume): Promise<void> {
  if (config.syncGroupId !== undefined) abandonHandOff(config.syncGroupId, syncPlaceKey(config));
  const kept = resume.kept;
  const vmac = resume.vmac;
  if (kept === undefined && vmac === undefined) return;
  const manager = new NetlinkVipManager();
  // Each step tried whatever became of the one before (as releaseVips and Engine's removals do): rules or routes
  // that cannot go must not keep the addresses up, nor one interface's failure another's.
  const attempt = async (step: () => Promise<void>): Promise<void> => {
    try {
      await step();
    } catch (error) {
      reportLate(id, 'clean-up of a failed reconfiguration', error, 0);
    }
  };
  if (kept !== undefined) {
    if (kept.rules.length > 0) await attempt(() => manager.removeRules(kept.rules));
    if (kept.routes.length > 0) await attempt(() => manager.removeRoutes(kept.routes));
    for (const { iface, addresses } of vipsByInterface({ interface: vmac ?? config.interface, heldAddresses: [...kept.addresses] })) {
      if (addresses.length === 0) continue;
      await attempt(async () => {
        await manager.adopt(iface, addresses);
        await manager.remove(iface, addresses);
      });
    }
  }
  try {
    // The VMAC the engine before held, which no engine holds now: deleted, as a stop would (Engine.stop), whatever
    // became of the addresses.
    if (vmac !== undefined) await manager.removeVmac(vmac, { base: config.interface, family: config.family, vrid: config.vrid, name: vmac, source: undefined });
  } catch (error) {
    reportLate(id, 'clean-up of a failed reconfiguration', error, 0);
  } finally {
    manager.close();
  }
}

/**
 * Gives back the process's start-up pages, then runs every engine's takeover path once with nothing to do, so that
 * the pages a takeover needs are mapped again before one comes (without this, a settled backup's takeover mapped
 * them back as it ran: +5.5 against +1.2 ms past the RFC bound at the median; docs/benchmarks.md, "What a wake-up
 * costs"). Both in one task of this thread: no takeover runs between the release and the warm-ups' first steps.
 */
async function releasePages(): Promise<void> {
  let release;
  try {
    release = releaseStartupPages();
  } catch (error) {
    post({ type: 'pagesReleased', error: messageOf(error) });
    return;
  }
  // A warm-up that fails leaves that takeover path cold, nothing worse; said, not thrown.
  const results = await Promise.allSettled([...engines.values()].map((engine) => engine.warm()));
  const failed = results.find((result) => result.status === 'rejected');
  post({ type: 'pagesReleased', release, ...(failed ? { error: `a takeover warm-up after the release failed: ${messageOf(failed.reason)}` } : {}) });
}

/** Tells the main thread of an engine's failure that nothing else would report (a warning there once its run is over). */
function reportLate(id: number, what: string, error: unknown, priority: number): void {
  post({ type: 'event', id, event: { type: 'error', code: 'engine_failed', message: `the engine's ${what} failed: ${messageOf(error)}` }, priority });
}

/** An error's message, or the thrown value as text. */
function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Stops every engine (priority 0 sent, VIPs removed) and releases every socket; for the process's exit. The main
 * thread waits {@link SHUTDOWN_BUDGET_MS} plus a margin at most: past the budget the sockets are released anyway,
 * since a thread torn down with a netlink socket open takes the process down with it (see releaseWhenIdle).
 */
async function shutdown(ack: Int32Array): Promise<void> {
  const deadline = Date.now() + SHUTDOWN_BUDGET_MS;
  const inBudget = (work: Promise<unknown>): Promise<boolean> =>
    Promise.race([work.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), Math.max(0, deadline - Date.now())))]);
  // Starts under way end first (a reload's new engine, say): stopped half-way, an engine has no core to send priority
  // 0 with nor VIPs to remove, and its start would go on opening sockets after they are released below.
  let inTime = startsInFlight.size === 0 || (await inBudget(Promise.allSettled([...startsInFlight])));
  const all = [...engines.values()];
  engines.clear();
  // Stops already under way count too: their VIPs may still be going when the sockets are released.
  const stops = [...all.map((engine) => engine.stop()), ...stopping];
  inTime = (await inBudget(Promise.allSettled(stops))) && inTime;
  releaseThreadResources();
  // A closed netlink socket finishes closing in the loop's close phase: let two turns pass before the main thread
  // may tear this thread down (a thread torn down mid-close crashed the process at a `vrrp run` clean stop, 2 runs
  // of ~10 in CI-sized suites).
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  // 1: every stop ended; 2: the budget ran out first (the main thread says so before the process ends).
  Atomics.store(ack, 0, inTime ? 1 : 2);
  Atomics.notify(ack, 0);
}

// A bug that escapes to here ends the thread; its sockets are closed first (see releaseWhenIdle), and the main
// thread is told why before the exit it sees.
process.on('uncaughtException', (error) => {
  try {
    releaseThreadResources();
  } finally {
    post({ type: 'fatal', message: messageOf(error) });
    process.exit(1);
  }
});

port.on('message', (message: ToEngine) => {
  switch (message.type) {
    case 'start': {
      // Function trackers arrive as specs without their check (it runs on the main thread); the engine only needs
      // the spec, so the plain config is the config.
      const run = start(message.id, message.config as ResolvedConfig, message.stats, message.resume);
      startsInFlight.add(run);
      void run.finally(() => startsInFlight.delete(run));
      break;
    }
    case 'stop': {
      const engine = engines.get(message.id);
      engines.delete(message.id);
      // Released before the reply: an app that exits right after its last stop must find the sockets closed — but
      // not under another engine's stop still under way (two stops at once: the first to end would release them).
      const done: Promise<unknown> = (engine ? engine.stop(message.handover) : Promise.resolve()).finally(() => {
        stopping.delete(done);
        releaseWhenIdle();
        post({ type: 'stopped', id: message.id });
      });
      stopping.add(done);
      // A stop never rejects but by a bug; one that did must not end the thread (and every other engine) unhandled.
      done.catch((error: unknown) => reportLate(message.id, 'stop', error, engine?.priority ?? 0));
      break;
    }
    case 'idle': {
      const engine = engines.get(message.id);
      (engine ? engine.idle() : Promise.resolve())
        .catch((error: unknown) => reportLate(message.id, 'idle', error, engine?.priority ?? 0))
        .finally(() => post({ type: 'idle', id: message.id, request: message.request }));
      break;
    }
    case 'command':
      engines.get(message.id)?.command(message.command);
      break;
    case 'shutdown':
      void shutdown(new Int32Array(message.ack));
      break;
    case 'releasePages':
      void releasePages();
      break;
    case 'crash':
      setImmediate(() => {
        throw new Error('injected engine thread crash');
      });
      break;
    case 'statsSlab':
      statsSlabs[message.slab] = message.buffer;
      break;
    case 'heartbeat':
      beat = new Int32Array(message.beat);
      lastBeat = -1;
      break;
    case 'forwardAdverts':
      forwardAdverts(message.sent, message.received);
      break;
  }
});
