/**
 * The VRRP state machine of one virtual router (RFC 9568 §6, with the VRRPv2 differences of RFC 3768 §6), plus a
 * Fault state for the SDK.
 *
 * Contract (the rules every caller and every change must keep):
 * 1. `handle(input, nowMs)` is the only way in. It returns the actions to perform, in execution order, and never
 *    throws for anything that came from the network: a bad packet becomes a `protocolError` action and a counter.
 * 2. After every call, ask `nextDeadline()` and arrange for a `timeout` input at that instant (one timer, always
 *    re-armed). A `timeout` that arrives early, or twice, is a no-op.
 * 3. `nowMs` is a monotonic clock reading in milliseconds and never goes back. The core has no clock, no timers,
 *    no randomness and no I/O of its own; that is what makes it testable to the exact millisecond.
 *
 * Theory of operation:
 * - One deadline stands for the RFC's two timers: in Master it is the Adver_Timer, in Backup the Master_Down_Timer.
 *   Initialize (stopped) and Fault have none.
 * - Becoming Master emits, in this order: `send` (one per destination), `addVips`, `announce`, `transition`. The
 *   instance applies actions in order, so "master" is observable only once the addresses are up and announced.
 * - Leaving Master emits `send` (priority 0, when the RFC or keepalived sends one), `removeVips`, `transition`.
 * - Effective priority is derived from the base priority and tracker results (see priority.ts); a change emits
 *   `priorityChange` and, when Master, an immediate advertisement so that peers learn it within one packet.
 * - The master as last heard (ourselves when Master) rides on each `transition` (`master`), and a change of it
 *   between transitions — a new address, priority or interval — is a `masterChange` action. A backup hears the
 *   master every interval: each advert costs a comparison of three fields, and only a change makes an action.
 * - A master that hears a master it outranks (a healed split brain) emits `lowerMasterHeard` once per episode: at
 *   the first such advert, again only after that router was silent for its Master_Down_Interval, or when its
 *   address or priority changes — not per packet, though a one-way partition makes it send every interval.
 * - A sync group member (`syncGroup`) never takes over on its own timer: it wishes (`wantMaster`), and its group's
 *   `sync` input moves it to master or backup (src/engine/sync-group.ts decides, beside the engines).
 * - Decode leniently, judge strictly: the codec reads anything shaped like VRRP; this file applies the receive
 *   checks of RFC 9568 §7.1 in order and counts the first failure (stats.ts).
 */
import { VRRP_MULTICAST_GROUP, type AddressFamily, type Advertisement, type VrrpVersion } from './advertisement.js';
import { decodeAdvertisement, encodeAdvertisement, type DecodeErrorCode, type V3Ipv4ChecksumMode } from './codec.js';
import { compareIp, parseIp } from './ip-address.js';
import {
  applyTrackerResult,
  effectivePriority,
  initialTrackerState,
  OWNER_PRIORITY,
  trackerAdjustment,
  trackerFaults,
  trackerPending,
  type TrackerSpec,
  type TrackerState,
} from './priority.js';
import { createStats, type VrrpStats } from './stats.js';
import { masterDownIntervalMs, skewTimeMs } from './timers.js';

/** States of a virtual router: the three of RFC 9568 §6.4 plus Fault (link down or a weight-0 tracker down). */
export type RouterState = 'initialize' | 'backup' | 'master' | 'fault';

/** VRRPv2 authentication (RFC 3768 §5.3.6); VRRPv3 has none. */
export type Authentication =
  | {
      /** No authentication data. */
      type: 'none';
    }
  | {
      /** A clear-text password (RFC 3768 Auth Type 1). */
      type: 'simple';
      /** Up to 8 characters, sent zero-padded. */
      password: string;
    };

/** Everything the state machine needs to know, already validated and canonical. */
export interface RouterConfig {
  /** Virtual Router Identifier, 1…255. */
  vrid: number;
  /** Protocol version. */
  version: VrrpVersion;
  /** Address family of the advertisements and virtual addresses. */
  family: AddressFamily;
  /** Configured (base) priority, 1…255; 255 marks the address owner. */
  priority: number;
  /** Advertisement_Interval in ms. */
  advertIntervalMs: number;
  /** Virtual addresses as canonical text without prefix, as carried in advertisements. */
  virtualAddresses: readonly string[];
  /**
   * This router's primary address: the source of its advertisements and its side of the tie-break. Undefined while
   * the interface has none to send from (an IPv6 link whose link-local address went with the link): the router then
   * stays in Fault, reason `link-down`, until a `link` input brings one.
   */
  primaryAddress: string | undefined;
  /** Where advertisements go: the VRRP multicast group, or the unicast peers. */
  destinations: readonly string[];
  /** Preempt_Mode (RFC 9568 §6.1): a higher-priority backup takes over from a lower-priority master. */
  preempt: boolean;
  /** Once a lower-priority master is first heard, behave as if `preempt` were false for this long (keepalived's `preempt_delay`). */
  preemptDelayMs: number;
  /**
   * Starting wish, like keepalived's `state`. An owner (255) goes Master at once unless it wishes `backup`; any other
   * router always starts in Backup, and the `master` wish only shortens its first Master_Down_Timer to
   * Advertisement_Interval and the smallest Skew_Time, that of priority 255 (keepalived's sync-group start), so a
   * running master is still heard first.
   */
  initialState?: 'backup' | 'master' | undefined;
  /** VRRPv2 authentication; must be `none` for v3. */
  authentication: Authentication;
  /** How VRRPv3 over IPv4 computes the checksum it sends. */
  v3Ipv4Checksum: V3Ipv4ChecksumMode;
  /** Accept received VRRPv3 IPv4 checksums only in the `v3Ipv4Checksum` mode (default: either mode). */
  strictChecksum: boolean;
  /** Trackers that adjust priority or cause Fault. */
  trackers: readonly TrackerSpec[];
  /**
   * A member of a sync group (keepalived's `vrrp_sync_group`): a Backup whose Master_Down_Timer fires does not take
   * over but wishes to (`wantMaster`) and waits, the timer re-armed, until the group answers with a `sync` input —
   * the group goes master only when every member would (see src/engine/sync-group.ts). Default false.
   */
  syncGroup?: boolean;
}

/** Inputs of the state machine. */
export type RouterInput =
  | {
      /** RFC 9568 §6.4.1's Startup event: leave Initialize (held while a weight-0 tracker has not reported). */
      type: 'start';
      /**
       * Carry on from a router of the same virtual router in this process that a new configuration replaced
       * (keepalived's reload, `VrrpInstance.reconfigure`): a Master goes Master at once (its addresses are still
       * up), any other state Backup with a fresh Master_Down_Timer, both with reason `reconfigured` — never held
       * for a tracker that has not reported, since the router was running already. Fault still wins.
       */
      resume?: ResumeState;
    }
  | {
      /** The Shutdown event: a Master sends priority 0 and gives up its addresses; every state goes to Initialize. */
      type: 'stop';
    }
  | {
      /** The deadline from `nextDeadline()` has come: a timer (Adver, Master_Down, preempt delay) may fire. */
      type: 'timeout';
    }
  | {
      /**
       * `count` byte-identical repeats of the packet last handled arrived, the last of them at this input's instant:
       * handled as handling each of them would be, while {@link VirtualRouter.repeatIsQuiet} (each counts as an
       * advertisement received, the Master_Down_Timer restarts from the last one's arrival), without decoding them
       * again. Ignored when not quiet: the caller then hands over the packet itself.
       */
      type: 'repeats';
      /** How many arrived (at least 1). */
      count: number;
    }
  | {
      /**
       * A Master's Adver_Timer fired `count` times, the last at this input's instant, and the transport sent its
       * routine adverts ({@link VirtualRouter.routineSends}) each time: handled as those timeouts would be (each
       * counts as sent, the Adver_Timer restarts from the last), without the caller stepping the core per advert.
       * Ignored unless Master.
       */
      type: 'adverts';
      /** How many times it fired (at least 1). */
      count: number;
    }
  | {
      /** A VRRP packet arrived. */
      type: 'packet';
      /** The VRRP message, without the IP header. */
      bytes: Uint8Array;
      /** The IP source address, canonical text. */
      src: string;
      /** The IP destination address: the multicast group, or ours for a unicast advert. */
      dst: string;
      /** The IP TTL / hop limit it arrived with (must be 255 on multicast, RFC 9568 §7.1). */
      ttl: number;
      /**
       * How long the packet waited before this step, when known (its kernel receive time): `nowMs` then dates its
       * arrival, and `nowMs + ageMs` is when it is read. A Master answers a backlog once (see #masterReceive).
       */
      ageMs?: number;
    }
  /** A check result; `value` is a valued tracker's reading (keepalived's `track_file`), see priority.ts. */
  | {
      /** A tracker reported. */
      type: 'tracker';
      /** The tracker's name, as configured. */
      name: string;
      /** Whether this run passed. */
      passed: boolean;
      /** A valued tracker's reading (times its weight is the adjustment); absent for the others. */
      value?: number;
    }
  /**
   * The link went down or came back. `primaryAddress`, when given, replaces the configured one: an interface can
   * regain a different source address (an IPv6 link-local address comes back with the link), and one that had none
   * at start gets one. The engine gives it only on a link that comes up, so nothing is sent from the old one after.
   */
  | {
      /** The link changed. */
      type: 'link';
      /** Whether it is up and running now. */
      up: boolean;
      /** The primary address to use from now on, when it changed or there was none. */
      primaryAddress?: string;
    }
  /**
   * Whether the virtual addresses can be held: false when the owner could not add them on becoming Master (the
   * router faults — priority 0 sent, so a peer serves — rather than claim a mastership without addresses); true to
   * try again (the owner retries with a backoff).
   */
  | {
      /** The addresses could, or could not, be added. */
      type: 'vips';
      /** False: they could not (Fault); true: try again. */
      up: boolean;
    }
  /**
   * The sync group's word (only for a `syncGroup` router): `master` makes a Backup Master now, as if its
   * Master_Down_Timer had fired; `backup` makes a Master Backup (VIPs removed), after a priority 0 when `resign`
   * (a member faulted, so a peer should take over at once, as keepalived's members leaving for FAULT do). Any other
   * state ignores it.
   */
  | {
      /** The sync group's word. */
      type: 'sync';
      /** Become Master. */
      to: 'master';
    }
  | {
      /** The sync group's word. */
      type: 'sync';
      /** Become Backup. */
      to: 'backup';
      /** Send priority 0 first, so that a peer takes over at once. */
      resign: boolean;
    };

/** What a router replaced by a new configuration hands to the next one (see the `start` input's `resume`). */
export interface ResumeState {
  /** The state it was in: `master` resumes as Master; anything else as Backup. */
  state: RouterState;
  /** Tracker states to keep, by name; a name the new configuration does not have is ignored. */
  trackers?: Readonly<Record<string, Readonly<TrackerState>>>;
}

/** Why a transition happened; stable strings, safe to match on and to log. */
export type TransitionReason =
  | 'startup'
  | 'startup-owner'
  | 'master-down-timer-expired'
  | 'higher-priority-advertisement'
  | 'equal-priority-higher-address'
  | 'stopped'
  | 'link-down'
  | 'tracker-down'
  | 'vip-failed'
  | 'fault-cleared'
  /** Moved by its sync group: another member became master, or left master (see the `sync` input). */
  | 'sync-group'
  /** Started again in the state it had, with a new configuration (the `start` input's `resume`). */
  | 'reconfigured';

/** Why a packet was dropped; one code per counter in stats.ts. */
export type ProtocolErrorCode = DecodeErrorCode | 'ttl' | 'auth-mismatch' | 'auth-failure' | 'address-list' | 'destination';

/** Whether an address (4 or 16 bytes) is multicast: 224.0.0.0/4, or ff00::/8. */
function isMulticastAddress(bytes: Uint8Array): boolean {
  const first = bytes[0] ?? 0;
  return bytes.length === 4 ? first >= 224 && first <= 239 : first === 0xff;
}

/** A master as heard: its primary address, priority and advertisement interval; `self` when it is this router. */
export interface MasterInfo {
  /** The master's primary address (the source of its advertisements). */
  address: string;
  /** The priority it advertises. */
  priority: number;
  /** The advertisement interval it advertises, in ms. */
  advertIntervalMs: number;
  /** Whether the master is this router. */
  self: boolean;
}

/** Actions the caller must perform, in order. */
export type RouterAction =
  /** The action itself (frozen), `bytes` and `advertisement` are shared by every send at the same priority: read them, never modify them. */
  | {
      /** Send an advertisement. */
      type: 'send';
      /** Where: the multicast group or one unicast peer. */
      dst: string;
      /** The encoded VRRP message. */
      bytes: Uint8Array;
      /** What `bytes` encode. */
      advertisement: Readonly<Advertisement>;
    }
  | {
      /** Add the virtual addresses (becoming Master). */
      type: 'addVips';
    }
  | {
      /** Remove the virtual addresses (leaving Master). */
      type: 'removeVips';
    }
  | {
      /** Announce the virtual addresses: gratuitous ARP / unsolicited Neighbor Advertisements. */
      type: 'announce';
    }
  /** `master`: the master as known once in `to` (ourselves in Master, the preempting peer in Backup); absent: unknown. */
  | {
      /** The state changed; reported after the actions before it were applied. */
      type: 'transition';
      /** The state left. */
      from: RouterState;
      /** The state entered. */
      to: RouterState;
      /** Why. */
      reason: TransitionReason;
      /** The router whose advertisement caused it, when one did. */
      peer?: string;
      /** The master as known once in `to`; absent: unknown. */
      master?: MasterInfo;
    }
  | {
      /** The effective priority changed (a tracker). */
      type: 'priorityChange';
      /** The priority before. */
      from: number;
      /** The priority now. */
      to: number;
    }
  | {
      /** A packet was dropped; one counter was incremented. */
      type: 'protocolError';
      /** Why, one code per counter. */
      code: ProtocolErrorCode;
      /** What was wrong, for a log line. */
      message: string;
      /** The packet's source address. */
      src: string;
    }
  /** The master as heard changed without a transition; `master` absent: unknown (it resigned with priority 0). */
  | {
      /** The master as heard changed. */
      type: 'masterChange';
      /** The master now; absent: unknown. */
      master?: MasterInfo;
    }
  /** In Master, an advertisement from a master we outrank (lower priority, or equal with a lower address). */
  | {
      /** We heard a master we outrank. */
      type: 'lowerMasterHeard';
      /** Its primary address. */
      src: string;
      /** The priority it advertised. */
      priority: number;
      /** The advertisement interval it advertised, in ms. */
      advertIntervalMs: number;
    }
  /**
   * A `syncGroup` Backup wishes to become Master (its Master_Down_Timer fired), or no longer does (it heard a master
   * it does not preempt). Only on a change; a transition ends a wish without this action.
   */
  | {
      /** The wish changed. */
      type: 'wantMaster';
      /** Whether it wishes to become Master now. */
      want: boolean;
    };

/** Address lists longer than this are looked up in a Set; shorter ones are scanned (as fast, and no Set to keep). */
const ADDRESS_SET_FROM = 8;
/** The trackers of a router that has none. */
const NO_TRACKERS: ReadonlyMap<string, TrackerState> = new Map();

const decodeCounter: Record<DecodeErrorCode, keyof VrrpStats> = {
  length: 'packetLengthErrors',
  'address-count': 'packetLengthErrors',
  version: 'versionErrors',
  family: 'versionErrors',
  type: 'invalidTypeErrors',
  checksum: 'checksumErrors',
  'auth-type': 'invalidAuthTypeErrors',
  interval: 'advIntervalErrors',
  vrid: 'vridErrors',
};

/** The last primary address parsed, and its bytes (see primaryBytesOf). */
let lastPrimary: { readonly text: string; readonly bytes: Uint8Array | undefined } | undefined;

/**
 * The bytes of a primary address, shared by the routers that have the same one (the instances of an interface):
 * a Uint8Array and its buffer were ~0.2 KB an instance (docs/linux.md, "Memory per instance"). Routers only read
 * them. Pure: the same text always gives the same bytes.
 */
function primaryBytesOf(text: string): Uint8Array | undefined {
  if (lastPrimary?.text !== text) lastPrimary = { text, bytes: parseIp(text)?.bytes };
  return lastPrimary.bytes;
}

/** The VRRP state machine of one virtual router. Pure: see the contract at the top of this file. */
export class VirtualRouter {
  readonly #config: RouterConfig;
  /** Sends to the multicast group (no unicast peers): the TTL / hop limit check applies (see #receive). */
  readonly #multicast: boolean;
  /** The primary address and its bytes; undefined while the interface has none (see RouterConfig.primaryAddress). */
  #primaryAddress: string | undefined;
  #primaryBytes: Uint8Array | undefined;
  /**
   * The virtual addresses as a set, made only for a long list (see #sameAddresses), and the trackers' states, made
   * only when there are trackers: each empty or small collection cost ~150–180 bytes an instance (docs/linux.md,
   * "Memory per instance").
   */
  readonly #virtualAddressSet: ReadonlySet<string> | undefined;
  readonly #trackerStates: Map<string, TrackerState> | undefined;
  readonly #stats: VrrpStats = createStats();
  /**
   * The send actions of priority 0 (a stop's, made when first asked for) and of the priority last asked for, encoded
   * once and frozen: a master sends one per interval, and building the action each time was per-advert garbage. Two
   * slots, not a Map by priority: a Map and its table were ~150 bytes an instance (docs/linux.md, "Memory per
   * instance"); a priority left and come back to is encoded again.
   */
  #packetsAtZero: readonly Extract<RouterAction, { type: 'send' }>[] | undefined;
  #packetsAtPriority: readonly Extract<RouterAction, { type: 'send' }>[] | undefined;
  #packetsPriority = 0;
  #state: RouterState = 'initialize';
  #deadlineMs: number | undefined;
  #masterAdverIntervalMs: number;
  #priority: number;
  #linkUp = true;
  #vipsUp = true;
  /** A start was asked for but a weight-0 tracker has not reported yet (keepalived holds the instance the same way). */
  #startPending = false;
  /** When preemption may happen, once a lower-priority master has been heard (keepalived's `preempt_time`). */
  #preemptAtMs: number | undefined;
  #lastNowMs = -Infinity;
  /** The master as last heard, ourselves when Master; undefined when unknown (see the header). */
  #master: MasterInfo | undefined;
  /** A `syncGroup` Backup's wish to become Master, told to the group (see the `wantMaster` action). */
  #wantMaster = false;
  /** When a Master last answered a lower master's advert, as `nowMs + ageMs` of the packet it answered (see #masterReceive). */
  #answeredAtMs = -Infinity;
  /** The outranked master of the current episode and when we last heard it (see the header). */
  #lowerMaster: { address: string; priority: number; heardAtMs: number } | undefined;
  /** The master as recorded by the last packet, when a Backup accepted it quietly (see repeatIsQuiet). */
  #quietMaster: MasterInfo | undefined;

  /** Creates a router in Initialize; nothing happens until a `start` input. */
  constructor(config: RouterConfig) {
    if (config.primaryAddress !== undefined && !isFamilyAddress(config.primaryAddress, config.family)) {
      throw new TypeError(`primary address ${config.primaryAddress} is not an ${config.family} address`);
    }
    this.#config = config;
    this.#multicast = config.destinations.every((dst) => dst === VRRP_MULTICAST_GROUP[config.family]);
    this.#primaryAddress = config.primaryAddress;
    this.#primaryBytes = config.primaryAddress === undefined ? undefined : primaryBytesOf(config.primaryAddress);
    this.#virtualAddressSet = config.virtualAddresses.length > ADDRESS_SET_FROM ? new Set(config.virtualAddresses) : undefined;
    this.#trackerStates = config.trackers.length > 0 ? new Map(config.trackers.map((tracker) => [tracker.name, initialTrackerState(tracker)])) : undefined;
    this.#masterAdverIntervalMs = config.advertIntervalMs;
    this.#priority = this.#computePriority();
    this.#encodeAhead();
  }

  /** The primary address in use (our source and tie-break side), or undefined while the interface has none. */
  get primaryAddress(): string | undefined {
    return this.#primaryAddress;
  }

  /** Current state. */
  get state(): RouterState {
    return this.#state;
  }

  /** Current effective priority (base plus tracker adjustments, clamped; 255 for the owner). */
  get priority(): number {
    return this.#priority;
  }

  /** Master_Adver_Interval in ms: ours when Master, the master's (v3) or ours (v2) when Backup. */
  get masterAdverIntervalMs(): number {
    return this.#masterAdverIntervalMs;
  }

  /** The master as last heard (ourselves when Master), or undefined when unknown. Do not modify it. */
  get master(): Readonly<MasterInfo> | undefined {
    return this.#master;
  }

  /**
   * Whether a byte-identical repeat of the packet last handled, arriving later, would do nothing but count one more
   * advertisement received and restart the Master_Down_Timer from its arrival: true after a Backup accepted an
   * advertisement that way (no action, no other counter, no preemption pending), for as long as nothing since
   * changed what a repeat would do (a transition, another packet, a priority that now preempts). The engine's cue
   * to let the transport absorb such repeats below JavaScript (docs/linux.md, "Absorbed repeats").
   */
  get repeatIsQuiet(): boolean {
    const master = this.#quietMaster;
    return (
      master !== undefined &&
      master === this.#master &&
      this.#state === 'backup' &&
      this.#preemptAtMs === undefined &&
      // A sync group member that wishes to be master withdraws the wish at the next advert it accepts: news.
      !this.#wantMaster &&
      (master.priority >= this.#priority || !this.#preempts())
    );
  }

  /**
   * What a Master's Adver_Timer sends while nothing changes (the same frozen array each time, see the `adverts`
   * input); undefined unless Master. A new array means the adverts changed (priority, source address).
   */
  get routineSends(): readonly Extract<RouterAction, { type: 'send' }>[] | undefined {
    return this.#state === 'master' && this.#primaryAddress !== undefined ? this.#packetsFor(this.#priority) : undefined;
  }

  /**
   * What a Backup's Master_Down_Timer expiry would send, were it now (RFC 9568 §6.4.2: the advert that starts its
   * mastership; the same frozen array its `timeout` step then returns), or undefined when that expiry would not make
   * it Master (not Backup, no address to send from, or a sync group member, which only wishes). For an engine that
   * has the transport send them the moment the timer expires (docs/architecture.md, "The prepare → takeover
   * contract").
   */
  get takeoverSends(): readonly Extract<RouterAction, { type: 'send' }>[] | undefined {
    return this.#state === 'backup' && this.#primaryAddress !== undefined && !this.#config.syncGroup ? this.#packetsFor(this.#priority) : undefined;
  }

  /** A snapshot of the counters. */
  get stats(): VrrpStats {
    return { ...this.#stats };
  }

  /**
   * The counters themselves, not a copy: they move with every later input, so copy what you keep. For a caller that
   * reads them after every step (the engine publishing them), where a copy per advert was garbage.
   */
  get statsView(): Readonly<VrrpStats> {
    return this.#stats;
  }

  /** Status of each tracker, by name. */
  get trackers(): ReadonlyMap<string, TrackerState> {
    return this.#trackerStates ?? NO_TRACKERS;
  }

  /** The instant at which the caller must deliver a `timeout` input, or undefined when no timer runs. */
  nextDeadline(): number | undefined {
    return this.#deadlineMs;
  }

  /** Feeds one input at `nowMs` and returns the actions to perform, in order. See the contract above. */
  handle(input: RouterInput, nowMs: number): readonly RouterAction[] {
    // Rule 3: a clock that goes back is the caller's bug, but crashing the router would lose the VIPs; clamp.
    const now = Math.max(nowMs, this.#lastNowMs);
    this.#lastNowMs = now;
    // A Master's Adver_Timer: its sends are the whole answer, and the cached (frozen) list of them is returned
    // itself — this is most steps of a master's life, and a new array each was per-advert garbage.
    if (input.type === 'timeout' && this.#state === 'master' && this.#deadlineMs !== undefined && now >= this.#deadlineMs) return this.#advertTimerFired(now);
    const actions: RouterAction[] = [];
    switch (input.type) {
      case 'start':
        if (this.#state !== 'initialize') break;
        if (input.resume !== undefined) this.#resume(input.resume, now, actions);
        else {
          this.#startPending = true;
          this.#startup(now, actions, 'startup');
        }
        break;
      case 'stop':
        this.#shutdown(actions);
        break;
      case 'timeout':
        this.#timeout(now, actions);
        break;
      case 'packet':
        this.#receive(input, now, nowMs, actions);
        break;
      case 'repeats':
        // What #receive and #backupReceive do with a quiet repeat, and nothing else can: same bytes, same checks
        // passed, same master, no preemption pending (a property test holds the two to each other).
        if (input.count >= 1 && this.repeatIsQuiet) {
          this.#stats.advertisementsReceived += input.count;
          this.#resetMasterDownTimer(now);
        }
        break;
      case 'adverts':
        // What #advertTimerFired does, `count` times over: the sends are the transport's, already made.
        if (input.count >= 1 && this.#state === 'master' && this.#deadlineMs !== undefined) {
          this.#countSent(input.count * this.#packetsFor(this.#priority).length, this.#priority);
          this.#deadlineMs = now + this.#config.advertIntervalMs;
        }
        break;
      case 'tracker':
        this.#trackerResult(input.name, input.passed, input.value, now, actions);
        break;
      case 'link':
        this.#linkUp = input.up;
        if (input.primaryAddress !== undefined && input.primaryAddress !== this.#primaryAddress) this.#adoptPrimaryAddress(input.primaryAddress);
        if (this.#startPending) this.#startup(now, actions, 'startup');
        else this.#reconsiderFault(now, actions, 'link-down');
        break;
      case 'vips':
        this.#vipsUp = input.up;
        if (this.#startPending) this.#startup(now, actions, 'startup');
        else this.#reconsiderFault(now, actions, 'vip-failed');
        break;
      case 'sync':
        if (!this.#config.syncGroup) break;
        // A granted wish reports its own timer; a member made master by another's takeover reports the group.
        if (input.to === 'master' && this.#state === 'backup') this.#becomeMaster(now, actions, this.#wantMaster ? 'master-down-timer-expired' : 'sync-group');
        else if (input.to === 'backup' && this.#state === 'master') {
          if (input.resign) this.#sendAdvertisement(actions, 0);
          this.#becomeBackup(now, actions, 'sync-group');
        }
        break;
    }
    return actions;
  }

  // RFC 9568 §6.4.1: Initialize, "If a Startup event is received". Also the way out of Fault.
  #startup(now: number, actions: RouterAction[], reason: 'startup' | 'fault-cleared'): void {
    if (this.#trackersPending()) return; // held until every weight-0 tracker has reported once
    this.#startPending = false;
    if (this.#faulted()) {
      this.#transition(actions, 'fault', this.#faultReason('tracker-down'));
      return;
    }
    // Leaving Fault is a fresh start without the configured wish: an owner goes Master at once (RFC 9568 §6.4.1).
    const wish = reason === 'startup' ? this.#config.initialState : undefined;
    if (this.#priority === OWNER_PRIORITY && wish !== 'backup') {
      this.#becomeMaster(now, actions, 'startup-owner');
      return;
    }
    this.#masterAdverIntervalMs = this.#config.advertIntervalMs;
    this.#becomeBackup(now, actions, reason);
    if (wish === 'master') {
      // keepalived 2.2.7's wait for a member that wants master: one interval, for a master to be heard, and the
      // smallest skew there is (that of priority 255: 1/256 of a second in v2, of the interval in v3), not ours.
      const { version, advertIntervalMs } = this.#config;
      this.#deadlineMs = now + advertIntervalMs + skewTimeMs(version, OWNER_PRIORITY, advertIntervalMs);
    }
  }

  /**
   * A start that carries on from the router this one replaces (see the `start` input): its trackers' states, then
   * its state. A Master does what a takeover does — advert, addresses, announcement — since a new configuration
   * may add addresses, and the peers may not have heard the new priority yet.
   */
  #resume(resume: ResumeState, now: number, actions: RouterAction[]): void {
    const states = this.#trackerStates;
    if (states !== undefined && resume.trackers !== undefined) {
      for (const [name, state] of Object.entries(resume.trackers)) {
        if (!states.has(name)) continue;
        const kept: TrackerState = { status: state.status, streak: state.streak };
        if (state.value !== undefined) kept.value = state.value;
        states.set(name, kept);
      }
      this.#priority = this.#computePriority();
    }
    if (this.#faulted()) {
      // A Master's addresses are still up: it leaves Master as a Master faulting does — priority 0 (when it has an
      // address to send from), so that a peer takes over within Skew_Time, and the addresses removed first.
      if (resume.state === 'master') {
        if (this.#primaryBytes !== undefined) this.#sendAdvertisement(actions, 0);
        actions.push({ type: 'removeVips' });
      }
      this.#transition(actions, 'fault', this.#faultReason('tracker-down'));
      return;
    }
    if (resume.state === 'master') {
      this.#becomeMaster(now, actions, 'reconfigured');
      return;
    }
    this.#masterAdverIntervalMs = this.#config.advertIntervalMs;
    this.#becomeBackup(now, actions, 'reconfigured');
  }

  // RFC 9568 §6.4.2 / §6.4.3: "If a Shutdown event is received".
  #shutdown(actions: RouterAction[]): void {
    this.#startPending = false;
    if (this.#state === 'initialize') return;
    if (this.#state === 'master') {
      this.#sendAdvertisement(actions, 0);
      actions.push({ type: 'removeVips' });
    }
    this.#transition(actions, 'initialize', 'stopped');
  }

  /** RFC 9568 §6.4.3: "If the Adver_Timer fires" — send an advertisement, reset the Adver_Timer. */
  #advertTimerFired(now: number): readonly RouterAction[] {
    const packets = this.#packetsFor(this.#priority);
    this.#countSent(packets.length, this.#priority);
    this.#deadlineMs = now + this.#config.advertIntervalMs;
    return packets;
  }

  #timeout(now: number, actions: RouterAction[]): void {
    if (this.#deadlineMs === undefined || now < this.#deadlineMs) return; // early or repeated: rule 2
    if (this.#state === 'backup') {
      // RFC 9568 §6.4.2: "If the Master_Down_Timer fires".
      if (this.#config.syncGroup) {
        // A sync group member only wishes, and waits for the group with its timer re-armed (keepalived prefers
        // backup to a group half master).
        this.#resetMasterDownTimer(now);
        if (!this.#wantMaster) {
          this.#wantMaster = true;
          actions.push({ type: 'wantMaster', want: true });
        }
      } else this.#becomeMaster(now, actions, 'master-down-timer-expired');
    }
  }

  #becomeMaster(now: number, actions: RouterAction[], reason: TransitionReason): void {
    this.#sendAdvertisement(actions, this.#priority);
    actions.push({ type: 'addVips' }, { type: 'announce' });
    this.#deadlineMs = now + this.#config.advertIntervalMs;
    this.#masterAdverIntervalMs = this.#config.advertIntervalMs;
    // A resumed mastership is the same one (the counters carry on across a reconfiguration).
    if (reason !== 'reconfigured') this.#stats.masterTransitions++;
    this.#lowerMaster = undefined;
    this.#transition(actions, 'master', reason, undefined, this.#selfAsMaster());
  }

  #becomeBackup(now: number, actions: RouterAction[], reason: TransitionReason, peer?: MasterInfo): void {
    if (this.#state === 'master') actions.push({ type: 'removeVips' });
    this.#resetMasterDownTimer(now);
    this.#preemptAtMs = undefined;
    this.#transition(actions, 'backup', reason, peer?.address, peer);
  }

  #selfAsMaster(): MasterInfo {
    // Master only with a primary address: #faulted() holds the router in Fault without one.
    return { address: this.#primaryAddress as string, priority: this.#priority, advertIntervalMs: this.#config.advertIntervalMs, self: true };
  }

  #resetMasterDownTimer(now: number): void {
    this.#deadlineMs = now + masterDownIntervalMs(this.#config.version, this.#priority, this.#masterAdverIntervalMs);
  }

  /** `master`: the master as known in `to`; unknown unless given (a fresh backup, fault and initialize hear no one). */
  #transition(actions: RouterAction[], to: RouterState, reason: TransitionReason, peer?: string, master?: MasterInfo): void {
    const from = this.#state;
    this.#state = to;
    this.#master = master;
    this.#wantMaster = false;
    if (to === 'initialize' || to === 'fault') this.#deadlineMs = undefined;
    const action: Extract<RouterAction, { type: 'transition' }> = { type: 'transition', from, to, reason };
    if (peer !== undefined) action.peer = peer;
    if (master !== undefined) action.master = master;
    actions.push(action);
  }

  /** Records the master a backup heard, with an action only when its address, priority or interval changed. */
  #heardMaster(actions: RouterAction[], address: string, priority: number, advertIntervalMs: number): void {
    const known = this.#master;
    if (known !== undefined && known.address === address && known.priority === priority && known.advertIntervalMs === advertIntervalMs) return;
    this.#master = { address, priority, advertIntervalMs, self: false };
    actions.push({ type: 'masterChange', master: this.#master });
  }

  /**
   * Encodes the packets a takeover will send now, not in the middle of the takeover. A stop's (priority 0) are encoded
   * when a stop asks for them: kept ahead, they were ~0.4 KB an instance for a moment that comes once, whose code
   * the engine's rehearsal has compiled (docs/linux.md, "Memory per instance").
   */
  #encodeAhead(): void {
    if (this.#primaryAddress === undefined) return;
    this.#packetsFor(this.#priority);
  }

  /** A new source address: what was encoded from the old one goes (the IPv6 checksum covers the source). */
  #adoptPrimaryAddress(address: string): void {
    // Like a bad config in the constructor, a bad address here is the caller's bug, not the network's (rule 1).
    if (!isFamilyAddress(address, this.#config.family)) throw new TypeError(`primary address ${address} is not an ${this.#config.family} address`);
    this.#primaryAddress = address;
    this.#primaryBytes = primaryBytesOf(address);
    this.#packetsAtZero = this.#packetsAtPriority = undefined;
    this.#encodeAhead();
  }

  #sendAdvertisement(actions: RouterAction[], priority: number): void {
    const packets = this.#packetsFor(priority);
    for (let i = 0; i < packets.length; i++) actions.push(packets[i] as RouterAction);
    this.#countSent(packets.length, priority);
  }

  #countSent(count: number, priority: number): void {
    this.#stats.advertisementsSent += count;
    if (priority === 0) this.#stats.priorityZeroSent += count;
  }

  #packetsFor(priority: number): readonly Extract<RouterAction, { type: 'send' }>[] {
    const packets = priority === 0 ? this.#packetsAtZero : priority === this.#packetsPriority ? this.#packetsAtPriority : undefined;
    if (packets) return packets;
    const config = this.#config;
    const advertisement: Advertisement = {
      version: config.version,
      vrid: config.vrid,
      priority,
      advertIntervalMs: config.advertIntervalMs,
      addresses: [...config.virtualAddresses],
    };
    if (config.version === 2) {
      advertisement.authType = config.authentication.type === 'simple' ? 1 : 0;
      if (config.authentication.type === 'simple') advertisement.authPassword = config.authentication.password;
    }
    Object.freeze(advertisement.addresses);
    Object.freeze(advertisement);
    const built = config.destinations.map((dst) =>
      Object.freeze({
        type: 'send' as const,
        dst,
        bytes: encodeAdvertisement(advertisement, { family: config.family, src: this.#primaryAddress as string, dst, v3Ipv4Checksum: config.v3Ipv4Checksum }),
        advertisement,
      }),
    );
    Object.freeze(built); // handed out as it is (#advertTimerFired)
    if (priority === 0) this.#packetsAtZero = built;
    else {
      this.#packetsPriority = priority;
      this.#packetsAtPriority = built;
    }
    return built;
  }


  // RFC 9568 §7.1 receive checks, then §6.4.2 (Backup) / §6.4.3 (Master) handling.
  /** `arrivedAtMs`: the step's own time, unclamped — the packet's arrival (see the input's `ageMs`). */
  #receive(packet: Extract<RouterInput, { type: 'packet' }>, now: number, arrivedAtMs: number, actions: RouterAction[]): void {
    this.#quietMaster = undefined; // set again below only if this packet is accepted quietly
    if (this.#state !== 'backup' && this.#state !== 'master') return; // not listening
    const config = this.#config;
    const drop = (code: ProtocolErrorCode, counter: keyof VrrpStats, message: string): void => {
      this.#stats[counter]++;
      actions.push({ type: 'protocolError', code, message, src: packet.src });
    };
    // Another VRID's traffic is normal on a shared LAN: look at the VRID byte before judging anything else, so that
    // a neighbour's packets are only counted, never reported (stats.ts explains the one exception to RFC order).
    if (packet.bytes instanceof Uint8Array && packet.bytes.length >= 2 && packet.bytes[1] !== config.vrid) {
      this.#stats.vridErrors++;
      return;
    }
    // §7.1: "MUST verify that the IP TTL is 255" / "the IPv6 Hop Limit is 255" — on a multicast instance. With
    // unicast peers, which may sit behind a router, keepalived skips the check and sends IPv6 unicast adverts with
    // the default hop limit (64, seen in the interop matrix); we do as it does, or no keepalived peer is heard.
    if (packet.ttl !== 255 && this.#multicast) return drop('ttl', 'ipTtlErrors', `ttl ${packet.ttl} is not 255`);
    const decoded = decodeAdvertisement(packet.bytes, {
      family: config.family,
      src: packet.src,
      dst: packet.dst,
      v3Ipv4Checksum: config.strictChecksum ? config.v3Ipv4Checksum : 'either',
    });
    if (!decoded.ok) {
      const counter = decodeCounter[decoded.error.code];
      // Another VRID is normal traffic on a shared LAN: count it, do not report it as an error.
      if (counter === 'vridErrors') {
        this.#stats.vridErrors++;
        return;
      }
      return drop(decoded.error.code, counter, decoded.error.message);
    }
    const advert = decoded.advertisement;
    // §7.1: "MUST verify that the VRID is configured on the receiving interface".
    if (advert.vrid !== config.vrid) {
      this.#stats.vridErrors++;
      return;
    }
    // §7.1: "MUST verify that the VRRP version is 3" (2 for RFC 3768).
    if (advert.version !== config.version) {
      return drop('version', 'versionErrors', `version ${advert.version} but this router runs version ${config.version}`);
    }
    const src = parseIp(packet.src);
    if (!src || src.family !== config.family) return drop('family', 'versionErrors', `source ${packet.src} is not ${config.family}`);
    // Our own advertisement looped back, or an address clash: never act on it (answering would ping-pong).
    if (this.#primaryBytes !== undefined && compareIp(src.bytes, this.#primaryBytes) === 0) return;
    // RFC 3768 §7.1: "MUST perform authentication specified by Auth Type".
    if (config.version === 2) {
      const expectedType = config.authentication.type === 'simple' ? 1 : 0;
      if ((advert.authType ?? 0) !== expectedType) {
        return drop('auth-mismatch', 'authTypeMismatchErrors', `auth type ${advert.authType ?? 0}, expected ${expectedType}`);
      }
      if (config.authentication.type === 'simple' && advert.authPassword !== config.authentication.password) {
        return drop('auth-failure', 'authFailures', 'authentication password mismatch');
      }
    }
    // keepalived 2.2.7 (vrrp_check_packet): a multicast instance takes only adverts sent to the group, a unicast one
    // only adverts that were not — else a unicast pair would join the election of a multicast router of the same VRID
    // on the LAN (our socket is shared by the interface's instances, and joined to the group if one is multicast).
    const dst = parseIp(packet.dst);
    if (dst !== undefined && isMulticastAddress(dst.bytes) !== this.#multicast) {
      return drop('destination', 'addressListErrors', `${this.#multicast ? 'multicast' : 'unicast'} instance got an advert sent to ${packet.dst}`);
    }
    // §7.1: "MAY verify that the IPvX Address(es) associated with the VRID are valid ... If the packet was not
    // generated by the address owner (Priority does not equal 255), the receiver MUST drop the packet".
    const ourAddresses = this.#sameAddresses(advert.addresses);
    if (!ourAddresses && advert.priority !== OWNER_PRIORITY) {
      return drop('address-list', 'addressListErrors', `virtual addresses [${advert.addresses.join(', ')}] differ from ours`);
    }
    // RFC 3768 §7.1: "MUST verify that the Adver Interval in the packet is the same as the locally configured".
    // VRRPv3 instead adopts the master's interval (RFC 9568 §6.4.2).
    if (config.version === 2 && advert.advertIntervalMs !== config.advertIntervalMs) {
      return drop('interval', 'advIntervalErrors', `advert interval ${advert.advertIntervalMs} ms, ours is ${config.advertIntervalMs} ms`);
    }
    // The owner's other list is counted (RFC 6527 counts every mismatch) but processed: the owner speaks. Counted only
    // once no check is left to drop the packet, so that a dropped packet counts once (stats.ts).
    if (!ourAddresses) this.#stats.addressListErrors++;
    this.#stats.advertisementsReceived++;
    if (advert.priority === 0) this.#stats.priorityZeroReceived++;
    if (this.#state === 'backup') {
      this.#backupReceive(advert, packet.src, now, actions);
      // A repeat of this packet would do just this again: count it and restart the timer (see repeatIsQuiet).
      if (ourAddresses && advert.priority !== 0 && actions.length === 0 && this.#preemptAtMs === undefined) this.#quietMaster = this.#master;
    } else {
      // Read at arrival + age: from the arrival itself, not from `now`, which a backlog dated before the last step
      // (a stall's overdue timeout came first) has been clamped up to — its age would count twice.
      this.#masterReceive(advert, packet.src, src.bytes, now, Math.max(now, arrivedAtMs + (packet.ageMs ?? 0)), actions);
    }
  }

  /** RFC 9568 §6.1 Preempt_Mode: "the exception is that the Virtual Router owner (255) always preempts". */
  #preempts(): boolean {
    return this.#config.preempt || this.#config.priority === OWNER_PRIORITY;
  }

  #sameAddresses(addresses: readonly string[]): boolean {
    const ours = this.#config.virtualAddresses;
    const set = this.#virtualAddressSet;
    if (addresses.length !== (set?.size ?? ours.length)) return false;
    // Each address once: with the count equal, a repeated one would stand in for one of ours that is missing.
    return addresses.every((address, index) => (set ? set.has(address) : ours.includes(address)) && addresses.indexOf(address) === index);
  }

  // RFC 9568 §6.4.2: Backup, "If an ADVERTISEMENT is received".
  #backupReceive(advert: Advertisement, src: string, now: number, actions: RouterAction[]): void {
    if (advert.priority === 0) {
      // "Set the Master_Down_Timer to Skew_Time".
      this.#deadlineMs = now + skewTimeMs(this.#config.version, this.#priority, this.#masterAdverIntervalMs);
      // The master resigned: no one is master until someone advertises (or we take over). A priority 0 from a
      // router other than the one we know leaves ours in place.
      if (this.#master !== undefined && this.#master.address === src) {
        this.#master = undefined;
        actions.push({ type: 'masterChange' });
      }
      return;
    }
    // Whoever advertises is master, even one we are about to preempt: it holds the addresses until we do.
    this.#heardMaster(actions, src, advert.priority, advert.advertIntervalMs);
    if (advert.priority >= this.#priority) this.#preemptAtMs = undefined;
    else if (this.#preempts() && this.#preemptAtMs === undefined) {
      // keepalived's preempt_delay counts from the first lower-priority advertisement heard, not from startup.
      this.#preemptAtMs = now + this.#config.preemptDelayMs;
    }
    const preempting = this.#preempts() && this.#preemptAtMs !== undefined && now >= this.#preemptAtMs;
    if (!preempting) {
      // A master we do not preempt: a sync group member no longer wishes to take over (keepalived too).
      if (this.#wantMaster) {
        this.#wantMaster = false;
        actions.push({ type: 'wantMaster', want: false });
      }
      // "Set Master_Adver_Interval to Adver Interval contained in the ADVERTISEMENT" (v3 only).
      if (this.#config.version === 3) this.#masterAdverIntervalMs = advert.advertIntervalMs;
      this.#resetMasterDownTimer(now);
    }
    // Otherwise: "Discard the ADVERTISEMENT" — the Master_Down_Timer runs out and we preempt.
  }

  // RFC 9568 §6.4.3: Master, "If an ADVERTISEMENT is received".
  #masterReceive(advert: Advertisement, src: string, srcBytes: Uint8Array, now: number, readAtMs: number, actions: RouterAction[]): void {
    if (advert.priority === 0) {
      // "Send an ADVERTISEMENT; Reset the Adver_Timer to Advertisement_Interval".
      this.#sendAdvertisement(actions, this.#priority);
      this.#deadlineMs = now + this.#config.advertIntervalMs;
      return;
    }
    const higher = advert.priority > this.#priority;
    const tieLost = advert.priority === this.#priority && compareIp(srcBytes, this.#primaryBytes as Uint8Array) > 0;
    if (higher || tieLost) {
      // "Cancel Adver_Timer; Set Master_Adver_Interval ...; Recompute ...; Set Master_Down_Timer; → Backup".
      if (this.#config.version === 3) this.#masterAdverIntervalMs = advert.advertIntervalMs;
      const master: MasterInfo = { address: src, priority: advert.priority, advertIntervalMs: advert.advertIntervalMs, self: false };
      this.#becomeBackup(now, actions, higher ? 'higher-priority-advertisement' : 'equal-priority-higher-address', master);
      return;
    }
    // RFC 9568 §6.4.3 says send an advertisement at once (keepalived too), so the lower master of a healed split
    // yields within one packet. keepalived also re-announces: the other master's gratuitous ARPs may have moved the
    // clients' ARP entries away from us. The Adver_Timer keeps its rhythm.
    // Once per backlog: an answer sent after this advert arrived answers it already. A master frozen (SIGSTOP, a
    // stuck VM) or stalled finds every advert the lower master sent meanwhile waiting, and answered each: dozens of
    // adverts and announcements leaving at once — on a link cut during the freeze, each one an error event before
    // the link event, read after them, put the instance in fault (chaos seed 3244800387).
    if (now > this.#answeredAtMs) {
      this.#sendAdvertisement(actions, this.#priority);
      actions.push({ type: 'announce' });
      this.#answeredAtMs = readAtMs;
    }
    // A healed split brain: after our answer, tell the owner once per episode (see the header), so that its app
    // can re-assert.
    const lower = this.#lowerMaster;
    if (
      lower === undefined ||
      lower.address !== src ||
      lower.priority !== advert.priority ||
      now - lower.heardAtMs > masterDownIntervalMs(this.#config.version, advert.priority, advert.advertIntervalMs)
    ) {
      this.#lowerMaster = { address: src, priority: advert.priority, heardAtMs: now };
      actions.push({ type: 'lowerMasterHeard', src, priority: advert.priority, advertIntervalMs: advert.advertIntervalMs });
    } else {
      lower.heardAtMs = now;
    }
  }

  #trackerResult(name: string, passed: boolean, value: number | undefined, now: number, actions: RouterAction[]): void {
    const spec = this.#config.trackers.find((tracker) => tracker.name === name);
    const state = this.#trackerStates?.get(name);
    if (!spec || !state) return;
    this.#trackerStates?.set(name, applyTrackerResult(spec, state, passed, value));
    this.#updatePriority(now, actions);
    if (this.#startPending) this.#startup(now, actions, 'startup');
    else this.#reconsiderFault(now, actions, 'tracker-down');
  }

  #computePriority(): number {
    const adjustments = this.#config.trackers.map((spec) => {
      const state = this.#trackerStates?.get(spec.name);
      return trackerAdjustment(spec, state?.status ?? 'unknown', state?.value);
    });
    return effectivePriority(this.#config.priority, adjustments);
  }

  #trackersPending(): boolean {
    return this.#config.trackers.some((spec) => trackerPending(spec, this.#trackerStates?.get(spec.name)?.status ?? 'unknown'));
  }

  #faulted(): boolean {
    if (!this.#linkUp || !this.#vipsUp || this.#primaryBytes === undefined) return true;
    return this.#config.trackers.some((spec) => trackerFaults(spec, this.#trackerStates?.get(spec.name)?.status ?? 'unknown'));
  }

  #updatePriority(now: number, actions: RouterAction[]): void {
    const next = this.#computePriority();
    if (next === this.#priority) return;
    const from = this.#priority;
    this.#priority = next;
    actions.push({ type: 'priorityChange', from, to: next });
    if (this.#state === 'master') {
      // Tell the peers now rather than at the next Adver_Timer (keepalived waits for it): a master that just lost
      // priority hands over one interval sooner. The Adver_Timer keeps its rhythm.
      this.#sendAdvertisement(actions, next);
      this.#master = this.#selfAsMaster();
      actions.push({ type: 'masterChange', master: this.#master });
    } else if (this.#state === 'backup' && this.#deadlineMs !== undefined) {
      // Skew_Time depends on our priority; move the running Master_Down_Timer by the difference (as keepalived does).
      const { version } = this.#config;
      const interval = this.#masterAdverIntervalMs;
      this.#deadlineMs = Math.max(now, this.#deadlineMs + skewTimeMs(version, next, interval) - skewTimeMs(version, from, interval));
    }
    // Not a master: the packets of the new priority are encoded now, not in a takeover.
    if (this.#state !== 'master') this.#encodeAhead();
  }

  /** Why the router is faulted: the link first, then its addresses, then `fallback` (a tracker). */
  #faultReason(fallback: 'link-down' | 'tracker-down' | 'vip-failed'): TransitionReason {
    // No address to send from is the link's fault too: the link monitor reports such a link down.
    if (!this.#linkUp || this.#primaryBytes === undefined) return 'link-down';
    if (!this.#vipsUp) return 'vip-failed';
    return fallback;
  }

  #reconsiderFault(now: number, actions: RouterAction[], reason: 'link-down' | 'tracker-down' | 'vip-failed'): void {
    const faulted = this.#faulted();
    if (faulted && (this.#state === 'master' || this.#state === 'backup')) {
      // keepalived sends priority 0 when a master enters FAULT, so the backup takes over after Skew_Time.
      if (this.#state === 'master') {
        this.#sendAdvertisement(actions, 0);
        actions.push({ type: 'removeVips' });
      }
      this.#transition(actions, 'fault', this.#faultReason(reason));
    } else if (!faulted && this.#state === 'fault') {
      this.#startup(now, actions, 'fault-cleared');
    }
  }
}

/** True when `address` parses as an address of `family`. */
function isFamilyAddress(address: string, family: AddressFamily): boolean {
  return parseIp(address)?.family === family;
}
