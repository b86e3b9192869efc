/**
 * The messages between the app's main thread and the engine thread: plain data only (structured clone), one
 * engine per instance, addressed by a numeric id. Order is postMessage's: per direction, in sending order, so a
 * transition never overtakes the events before it.
 */
import type { AddressFamily } from '../core/advertisement.js';
import type { ResolvedConfig, ResolvedTrackerConfig } from '../config.js';
import type { VrrpErrorCode } from '../errors.js';
import type { EngineCommand, EngineEvent, EngineResume, HandoverKept } from './engine.js';
import type { AdvertChannelMessage } from '../diagnostics.js';

/** A config as it crosses to the engine thread: function trackers keep their specs, not their check functions. */
export type PlainConfig = Omit<ResolvedConfig, 'trackers'> & { trackers: PlainTrackerConfig[] };

/** A tracker spec without its function. */
export type PlainTrackerConfig = Exclude<ResolvedTrackerConfig, { type: 'function' }> | (Omit<Extract<ResolvedTrackerConfig, { type: 'function' }>, 'check'>);

/** Main thread → engine thread. */
export type ToEngine =
  /** `resume`: in place of an engine a new configuration replaced (`stop` with `handover`; see Engine.start). */
  | { type: 'start'; id: number; config: PlainConfig; stats: StatsSlot; resume?: EngineResume }
  /** A buffer of engines' counters (see {@link StatsSlot}), sent once to each worker before any start that uses it. */
  | { type: 'statsSlab'; slab: number; buffer: SharedArrayBuffer }
  /** `handover`: the engine is replaced by one with a new configuration, which resumes it (see Engine.stop). */
  | { type: 'stop'; id: number; handover?: { keep: HandoverKept } }
  | { type: 'idle'; id: number; request: number }
  | { type: 'command'; id: number; command: EngineCommand }
  | { type: 'heartbeat'; beat: SharedArrayBuffer }
  /** Which advert channels have subscribers on the main thread: forward those adverts (src/diagnostics.ts). */
  | { type: 'forwardAdverts'; sent: boolean; received: boolean }
  /** The process is exiting: stop every engine, release every socket, then set `ack[0]` and notify. */
  | { type: 'shutdown'; ack: SharedArrayBuffer }
  /** Give back the process's start-up pages (src/linux/memory.ts), then warm every engine's takeover path again. */
  | { type: 'releasePages' }
  /** Tests only: die of an uncaught exception, as a bug would. */
  | { type: 'crash' };

/** Where an engine's counters live: `length` doubles from `offset` (in doubles) of stats slab number `slab`. */
export interface StatsSlot {
  /** The slab's number. */
  slab: number;
  /** Where the slot starts in it, in doubles. */
  offset: number;
  /** How many doubles it has. */
  length: number;
}

/** An error as plain data (structured clone keeps an Error's message but drops its `code`). */
export interface PlainError {
  /** The VrrpError's code. */
  code: VrrpErrorCode;
  /** Its message. */
  message: string;
}

/** Engine thread → main thread. */
export type FromEngine =
  | { type: 'started'; id: number }
  | { type: 'startFailed'; id: number; error: PlainError }
  | { type: 'fatal'; message: string }
  | { type: 'stopped'; id: number }
  | { type: 'idle'; id: number; request: number }
  /** The answer to `releasePages`: kB as src/linux/memory.ts reports them (absent when it failed), and any failure. */
  | { type: 'pagesReleased'; release?: { executableKb: number; rssBeforeKb: number; rssAfterKb: number }; error?: string }
  | { type: 'event'; id: number; event: EngineEvent; priority: number }
  /** A VRRP socket the thread opened, and its counters in shared memory (src/linux/transport/vrrp-socket.ts). */
  | { type: 'socketCounts'; interface: string; family: AddressFamily; counts: SharedArrayBuffer }
  /** An advert for a main-thread subscriber of `vrrp:advert:*`, only while asked for (`forwardAdverts`). */
  | { type: 'advert'; direction: 'sent' | 'received'; message: AdvertChannelMessage };

/** The config without functions, ready to cross. */
export function plainConfig(config: ResolvedConfig): PlainConfig {
  return {
    ...config,
    trackers: config.trackers.map((tracker) => {
      if (tracker.type !== 'function') return tracker;
      const { check: _check, ...spec } = tracker;
      return spec;
    }),
  };
}
