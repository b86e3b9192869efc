/**
 * `VrrpGroup`: keepalived's `vrrp_sync_group` — instances (typically one per network: outside and inside address of
 * a router or database pair) that must fail over together, since half a failover (the outside VIP here, the inside
 * VIP on the peer) breaks the service as surely as no failover.
 *
 * What keepalived does (keepalived.conf(5) "VRRP synchronization group(s)", its vrrp_sync.c read for behaviour):
 * 1. a member that enters FAULT puts every other member in FAULT (a master among them sends priority 0 and drops
 *    its VIPs, so the peer group takes over at once); they leave FAULT only when no member is faulty on its own;
 * 2. a member that becomes MASTER makes the others MASTER at once, and a member may only become MASTER when every
 *    other member would too (otherwise it waits as BACKUP);
 * 3. a master that becomes BACKUP makes the other masters BACKUP;
 * 4. weighted trackers of members are ignored (their priorities must not diverge) unless the group says
 *    `sync_group_tracking_weight` (`global_tracking` is its deprecated spelling); the group's own `track_*` apply to
 *    every member;
 * 5. the group has a state of its own — MASTER, BACKUP or FAULT — with notify scripts (`$1` GROUP, `$4` 0).
 *
 * What this class does — (1) to (3) where the members' engines run (src/engine/sync-group.ts, on the engine thread
 * with the Linux adapters), so that a blocked main thread delays no group takeover; the holds of (1) from here:
 * - (1) exactly: a member that faults makes the other masters resign at once (priority 0, VIPs removed), and each
 *   member carries a hold (a hidden weight-0 tracker, see `syncGroupHold` in src/instance.ts).
 *   While some member is in fault on its own — a weight-0 tracker down, its link down, a `file` tracker faulting —
 *   the group holds every other member in fault, and the faulty members too where their recovery stays visible
 *   (a tracker's), so that a member that recovers first stays in fault until none is faulty. A member whose fault
 *   the group cannot see end while it is held (its link, an `eventLoopLag` tracker) is not held; when the group
 *   releases its members and one stays in fault, that one is faulty on its own and the others are held again.
 * - (2) exactly: a member whose Master_Down_Timer fires only wishes to take over and waits as backup until every
 *   member wishes to or is master (or the group is master already); then every backup member becomes master at
 *   once — sending adverts as master and taking its VIPs — whatever its own election says. One network cut between
 *   the nodes while both links stay up thus keeps the member that lost its peer in backup, as keepalived does.
 * - (3) exactly: a master member that hears a higher priority and becomes backup makes the other masters backup
 *   (their VIPs removed, no priority 0, as in keepalived). Members moved so report the reason `sync-group`.
 * - (4) is the importer's (src/keepalived/): it drops the weights as keepalived does and reports each. A library
 *   user's weighted trackers are left alone.
 * - (5): `state` and `stateChange` / `master` / `backup` / `fault` / `stop` events: `fault` as soon as a member is
 *   faulty on its own, `master` / `backup` once every running member is (a member stopped alone no longer counts,
 *   as it no longer holds a sibling back), `initialize` (a `stop` event) once every member stopped; notify with
 *   `attachNotify(group, …)`.
 */
import { EventEmitter } from 'eventemitter3';
import type { ResolvedTrackerConfig } from './config.js';
import { carryTrackerState, initialTrackerState, trackerFaults, type TrackerStatus } from './core/priority.js';
import { ConfigError, emitVrrpWarning, VrrpError, warnIfUnheard } from './errors.js';
import { checkLogger, logSafely, resolveLogger, type VrrpLogger } from './logger.js';
import { errorListenerFailed, type StateChangeEvent, type TrackerChangeEvent, type VrrpInstance } from './instance.js';
import type { VrrpGroupStatus } from './status.js';
import { enginePlacement, syncGroupHold } from './sync-hold.js';
import { observe, Observers } from './observe.js';

/** The group's state: `initialize` before its members start and after they stopped. */
export type GroupState = 'initialize' | 'backup' | 'master' | 'fault';

/** Why the group changed state; stable strings. */
export type GroupTransitionReason =
  /** A member is in fault on its own (`member` says which, `detail` why). */
  | 'member-fault'
  /** Every running member is master now. */
  | 'members-master'
  /**
   * Every running member is backup now (after a fault: no member is faulty any more; or a master member heard a
   * higher priority).
   */
  | 'members-backup'
  /** Every member stopped. */
  | 'stopped';

/** Payload of the group's `stateChange`, `master`, `backup`, `fault` and `stop`. */
export interface GroupStateChangeEvent {
  /** State left. */
  from: GroupState;
  /** State entered. */
  to: GroupState;
  /** Why. */
  reason: GroupTransitionReason;
  /** The member whose transition made the change. */
  member: string;
  /** For `member-fault`: the member's reason (`tracker-down: chk_db`, `link-down`, …). */
  detail?: string;
}

/** Payload of `hold`: the group put a member in fault, or released it. */
export interface GroupHoldEvent {
  /** The member's name. */
  member: string;
  /** True: held in fault; false: released. */
  held: boolean;
  /** For a hold: which member is faulty, and why. */
  reason?: string;
}

/** Events of a {@link VrrpGroup}, with their payloads. */
export interface VrrpGroupEvents {
  /** Any change of the group's state. */
  stateChange: [event: GroupStateChangeEvent];
  /** Every running member is master. */
  master: [event: GroupStateChangeEvent];
  /** Every running member is backup. */
  backup: [event: GroupStateChangeEvent];
  /** A member is faulty: the others are being put in fault. */
  fault: [event: GroupStateChangeEvent];
  /** Every member stopped. */
  stop: [event: GroupStateChangeEvent];
  /** The group held a member in fault, or released it. */
  hold: [event: GroupHoldEvent];
  /** A hold could not be applied, or a listener threw. */
  error: [error: VrrpError];
}

interface Member {
  readonly instance: VrrpInstance;
  /** Its name (a reconfiguration may change it). */
  name: string;
  /** The member's trackers by name, for the mirror (replaced when the member is reconfigured). */
  trackers: ReadonlyMap<string, ResolvedTrackerConfig>;
  /** Status of each tracker as its `trackerChange` events tell (eventLoopLag trackers send none). */
  statuses: Map<string, TrackerStatus>;
  /** What the group last asked: held in fault or not. */
  held: boolean;
  /**
   * Why the member is in fault on its own where its trackers do not say (its link, an eventLoopLag tracker): set
   * when it enters fault while not held, or stays in fault once released; cleared when it leaves fault.
   */
  opaqueFault: string | undefined;
}

/** Options of a {@link VrrpGroup}. */
export interface VrrpGroupOptions {
  /**
   * Where the group logs its state changes and holds (see `VrrpConfig.logger`), through `logger.child({ group })`.
   * Default: silent, or `util.debuglog('vrrp')` with `NODE_DEBUG=vrrp`. Members log through their own loggers.
   */
  logger?: VrrpLogger;
}

/** Instances already in a group: an instance belongs to one group at most (keepalived's rule too). */
const groupOf = new WeakMap<VrrpInstance, VrrpGroup>();

/** Groups made in this process: each gets its own id, so that two groups of one name never share a link. */
let groupsMade = 0;

/** A keepalived sync group: its members fail over together (see the file header for what that means exactly). */
export class VrrpGroup extends EventEmitter<VrrpGroupEvents> {
  /** The group's name. */
  readonly name: string;
  /** The library's own listeners (its notify scripts): called before the app's, each apart (src/observe.ts). */
  readonly #observers = new Observers<VrrpGroupEvents>();
  readonly #members: Member[];
  readonly #holdName: string;
  /** The app's logger (or NODE_DEBUG's, or silence) bound to this group; see src/logger.ts. */
  readonly #log: VrrpLogger;
  /** This group's id in the process (see `groupsMade`). */
  readonly #groupId: string;
  #state: GroupState = 'initialize';
  /** The reconciliation running, if one is; `#again` asks it for one more pass. */
  #reconciling: Promise<void> | undefined;
  #again = false;

  /**
   * Makes `members` one sync group named `name`. Every member must be stopped (the hold is armed at start) and in
   * no other group. Throws `ConfigError` otherwise.
   */
  constructor(name: string, members: readonly VrrpInstance[], options: VrrpGroupOptions = {}) {
    super();
    const issues: { path: string; message: string }[] = [];
    const logger = checkLogger(options.logger, 'options.logger', issues);
    this.#log = resolveLogger(logger, { group: name });
    if (typeof name !== 'string' || name === '') issues.push({ path: 'name', message: 'must be a non-empty string' });
    if (members.length === 0) issues.push({ path: 'members', message: 'must name at least one instance' });
    this.name = name;
    this.#holdName = `sync_group:${name}`;
    const groupId = `${name}#${++groupsMade}`;
    this.#groupId = groupId;
    const placements = new Set(members.map((instance) => instance[enginePlacement]));
    if (placements.size > 1) {
      issues.push({ path: 'members', message: 'mixes instances given adapters with instances on the default ones: their engines run on different threads and could not change state together' });
    }
    members.forEach((instance, index) => {
      const where = `members.${index}`;
      if (members.indexOf(instance) !== index) issues.push({ path: where, message: `${instance.config.name} is listed twice` });
      const other = groupOf.get(instance);
      if (other) issues.push({ path: where, message: `${instance.config.name} is already in sync group ${other.name}` });
      if (instance.running) issues.push({ path: where, message: `${instance.config.name} is running: make the group before starting its members` });
      if (instance.config.trackers.some((tracker) => tracker.name === this.#holdName)) {
        issues.push({ path: where, message: `${instance.config.name} has a tracker named ${this.#holdName}, the name of the group's hold` });
      }
    });
    if (issues.length > 0) throw new ConfigError(issues);
    this.#members = members.map((instance) => {
      groupOf.set(instance, this);
      const member: Member = {
        instance,
        name: instance.config.name,
        trackers: new Map(instance.config.trackers.map((tracker) => [tracker.name ?? '', tracker])),
        statuses: new Map(),
        held: false,
        opaqueFault: undefined,
      };
      this.#resetTrackers(member);
      // Arms the hold, released: the engine learns it at the member's next start.
      void instance[syncGroupHold](this.#holdName, false, groupId);
      // The library's own listeners, apart from the app's: one of those that throws must not blind the group.
      instance[observe]('trackerChange', (event) => this.#onTrackerChange(member, event));
      instance[observe]('stateChange', (event) => this.#onStateChange(member, event));
      instance[observe]('reconfigured', () => this.#onReconfigured(member));
      return member;
    });
  }

  /** The group's state (see {@link GroupState}). */
  get state(): GroupState {
    return this.#state;
  }

  /** The member instances, in the order given. */
  get members(): readonly VrrpInstance[] {
    return this.#members.map((member) => member.instance);
  }

  /** When the group entered its state (wall clock), for status(). */
  #sinceMs = Date.now();

  /**
   * A snapshot of the group and each member (see {@link VrrpGroupStatus}, {@link VrrpInstance.status}): plain
   * JSON-serialisable data, read synchronously.
   */
  status(): VrrpGroupStatus {
    return {
      name: this.name,
      state: this.#state,
      since: new Date(this.#sinceMs).toISOString(),
      holding: this.#members.filter((member) => member.held).map((member) => member.name),
      members: this.#members.map((member) => member.instance.status()),
    };
  }

  /** Whether the group holds `instance` in fault now (because another member is faulty). */
  isHolding(instance: VrrpInstance): boolean {
    return this.#members.some((member) => member.instance === instance && member.held);
  }

  /** Starts every member (see `VrrpInstance.start`); rejects with the first failure. */
  async start(): Promise<void> {
    await Promise.all(this.#members.map((member) => member.instance.start()));
    await this.settled();
  }

  /** Stops every member (see `VrrpInstance.stop`). */
  async stop(): Promise<void> {
    await Promise.all(this.#members.map((member) => member.instance.stop()));
    await this.settled();
  }

  /** `await using group = …` stops it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /** Resolves once the holds the group decided on so far are applied. */
  async settled(): Promise<void> {
    while (this.#reconciling) await this.#reconciling;
  }

  #resetTrackers(member: Member): void {
    member.statuses = new Map();
    for (const [name, tracker] of member.trackers) {
      if (tracker.type === 'eventLoopLag') continue;
      member.statuses.set(name, initialTrackerState(tracker).status);
    }
  }

  #onTrackerChange(member: Member, event: TrackerChangeEvent): void {
    member.statuses.set(event.name, event.to);
    // A faulty member's recovery (or a held member's new fault) changes nothing on the wire: only the group sees it.
    this.#update(member);
    this.#reconcile();
  }

  /**
   * The member took a new configuration (VrrpInstance.reconfigure): the mirror follows its trackers — a tracker of
   * the same name and kind keeps its status, as the instance keeps it; one new starts as a fresh one does; one gone
   * no longer faults the member.
   */
  #onReconfigured(member: Member): void {
    const before = member.trackers;
    const statuses = member.statuses;
    const { config } = member.instance;
    member.name = config.name;
    member.trackers = new Map(config.trackers.map((tracker) => [tracker.name ?? '', tracker]));
    member.statuses = new Map();
    for (const [name, tracker] of member.trackers) {
      if (tracker.type === 'eventLoopLag') continue;
      // As the instance carries it (keptTrackerStates in src/instance.ts): by name and kind, whatever else changed.
      const kept = statuses.get(name);
      const old = before.get(name);
      const carried = kept !== undefined && old !== undefined && old.type === tracker.type ? carryTrackerState(old, tracker, { status: kept, streak: 0 })?.status : undefined;
      member.statuses.set(name, carried ?? initialTrackerState(tracker).status);
    }
    this.#update(member);
    this.#reconcile();
  }

  #onStateChange(member: Member, event: StateChangeEvent): void {
    if (event.to === 'fault' && !member.held && this.#trackerFault(member) === undefined) member.opaqueFault = event.reason;
    if (event.to !== 'fault') member.opaqueFault = undefined;
    if (event.to === 'initialize') this.#resetTrackers(member);
    this.#update(member);
    this.#reconcile();
  }

  /** Why `member` is faulty by its trackers (a weight-0 one down, a `file` one faulting), or undefined. */
  #trackerFault(member: Member): string | undefined {
    for (const [name, status] of member.statuses) {
      const tracker = member.trackers.get(name);
      if (tracker && trackerFaults(tracker, status)) return `tracker-down: ${name}`;
    }
    return undefined;
  }

  /** The first member faulty on its own, and why; undefined when none is. */
  #ownFault(): { member: Member; why: string } | undefined {
    for (const member of this.#members) {
      if (!member.instance.running) continue;
      const why = member.opaqueFault ?? this.#trackerFault(member);
      if (why !== undefined) return { member, why };
    }
    return undefined;
  }

  /** Starts a reconciliation, or asks the running one for another pass. */
  #reconcile(): void {
    if (this.#reconciling) {
      this.#again = true;
      return;
    }
    this.#reconciling = (async () => {
      do {
        this.#again = false;
        await this.#reconcileOnce();
      } while (this.#again);
    })().finally(() => {
      this.#reconciling = undefined;
    });
  }

  /** Holds the members while one is faulty, releases them when none is; finds faults hidden by a hold. */
  async #reconcileOnce(): Promise<void> {
    const fault = this.#ownFault();
    if (fault) {
      const reason = `${fault.member.name} is faulty (${fault.why})`;
      // A member whose fault the group cannot see end while held (opaque) stays free, so that its recovery shows.
      const toHold = this.#members.filter((member) => !member.held && member.opaqueFault === undefined);
      await Promise.all(toHold.map((member) => this.#setHold(member, true, reason)));
      return;
    }
    const toRelease = this.#members.filter((member) => member.held);
    await Promise.all(toRelease.map((member) => this.#setHold(member, false)));
    for (const member of toRelease) {
      // Still in fault once released, with no tracker saying so: its link went down (or an eventLoopLag tracker)
      // while it was held. It is faulty on its own; the next pass holds the others again.
      if (member.instance.running && member.instance.state === 'fault' && this.#trackerFault(member) === undefined) {
        member.opaqueFault = 'fault of its own found on release (link down, or an eventLoopLag tracker)';
        this.#again = true;
        this.#update(member);
      }
    }
  }

  async #setHold(member: Member, held: boolean, reason?: string): Promise<void> {
    member.held = held;
    logSafely(this.#log, 'info', { member: member.name, held, ...(reason === undefined ? {} : { reason }) }, held ? `holding ${member.name} in fault: ${reason ?? ''}` : `releasing ${member.name}`);
    this.#emitSafely('hold', reason === undefined ? { member: member.name, held } : { member: member.name, held, reason });
    try {
      await member.instance[syncGroupHold](this.#holdName, held, this.#groupId);
    } catch (cause) {
      this.#emitError(new VrrpError('engine_failed', `sync group ${this.name}: cannot ${held ? 'hold' : 'release'} ${member.name}`, { cause }));
    }
  }

  /**
   * Recomputes the group's state after `cause` changed; emits the change. Judged on the running members, as the
   * holds (#ownFault) and the members' link (src/engine/sync-group.ts) judge them: a member stopped alone leaves the
   * group's state to the others, as keepalived's reload leaves an instance it removed out of its sync group — else
   * the group would stay as that member left it while its running members move (its notify scripts and status()
   * telling a state no member is in). A member being stopped (not running, its last transition still to come)
   * counts no more either; one starting (running, still in `initialize`) holds the state as it is until it joins.
   */
  #update(cause: Member): void {
    const states = this.#members.map((member) => member.instance.state);
    const running = this.#members.filter((member) => member.instance.running).map((member) => member.instance.state);
    const fault = this.#ownFault();
    let to: GroupState = this.#state;
    let reason: GroupTransitionReason | undefined;
    let member = cause.name;
    let detail: string | undefined;
    if (states.every((state) => state === 'initialize')) {
      // Stopped once every member is, whatever order they stopped in.
      to = 'initialize';
      reason = 'stopped';
    } else if (fault) {
      to = 'fault';
      reason = 'member-fault';
      member = fault.member.name;
      detail = fault.why;
    } else if (running.length > 0 && running.every((state) => state === 'master')) {
      to = 'master';
      reason = 'members-master';
    } else if (running.length > 0 && running.every((state) => state === 'backup')) {
      to = 'backup';
      reason = 'members-backup';
    }
    // Members that disagree (a takeover under way, a release in progress, a split) leave the state as it was.
    if (reason === undefined || to === this.#state) return;
    const event: GroupStateChangeEvent = { from: this.#state, to, reason, member };
    if (detail !== undefined) event.detail = detail;
    this.#state = to;
    this.#sinceMs = Date.now();
    logSafely(this.#log, 'info', { ...event }, `${event.from} → ${event.to} (${event.reason})`);
    this.#emitSafely('stateChange', event);
    this.#emitSafely(to === 'initialize' ? 'stop' : to, event);
  }

  /** @internal See src/observe.ts: a listener of the library's own, apart from the app's. */
  [observe]<E extends keyof VrrpGroupEvents>(event: E, listener: (...args: VrrpGroupEvents[E]) => void): () => void {
    return this.#observers.add(event, listener);
  }

  #emitSafely<E extends keyof VrrpGroupEvents>(event: E, ...args: VrrpGroupEvents[E]): void {
    this.#observers.notify(event, args, (cause) =>
      this.#emitError(new VrrpError('listener_failed', `vrrp's own sync group ${String(event)} listener threw${cause instanceof Error ? `: ${cause.message}` : ''}`, { cause })),
    );
    try {
      (this.emit as (event: E, ...args: VrrpGroupEvents[E]) => boolean)(event, ...args);
    } catch (cause) {
      this.#emitError(new VrrpError('listener_failed', `a sync group ${String(event)} listener threw${cause instanceof Error ? `: ${cause.message}` : ''}`, { cause }));
    }
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
}
