/**
 * Sync groups where the engines run: the members of one `VrrpGroup` (src/group.ts) change state together, decided
 * on the thread of their engines (the engine thread with the Linux adapters), so that a blocked main thread delays
 * no group takeover, as it delays no takeover of a lone instance (docs/architecture.md, "Threads").
 *
 * keepalived's `vrrp_sync_group`, as its keepalived.conf(5) and its behaviour describe it (docs/keepalived.md):
 * - The group goes master only when every member would: a member's core in Backup whose Master_Down_Timer fires
 *   only wishes to (`wantMaster`), and the wish is granted when every other member wishes too or is master — or
 *   when the group is master already. Otherwise the member waits as Backup (keepalived prefers a group in backup to
 *   a group half master: one network cut between the nodes must not split the group's VIPs between them).
 * - A member that becomes master makes every other member in Backup master at once (`sync` master): they send
 *   adverts as master and take their VIPs, whatever their own election says.
 * - A master member that leaves for Backup (it heard a higher priority) makes the other masters Backup; they
 *   send nothing more and remove their VIPs (no priority 0: keepalived sends none when going to BACKUP).
 * - A member that faults makes the other masters resign at once — priority 0, VIPs removed — so the peer group
 *   takes over within Skew_Time; `VrrpGroup` then holds them in fault (src/sync-hold.ts) until no member is.
 *
 * One link per group, found by the id `VrrpGroup` gives its members' configs (`syncGroupId`). Every member must
 * have its engine on the same thread, which `VrrpGroup` checks (src/group.ts).
 */
import type { RouterInput, RouterState, TransitionReason } from '../core/router.js';

/** A member as the link sees it: a way to feed its core the group's word. */
export interface SyncMember {
  /** Feeds the member's core a `sync` input (through its engine's step). */
  sync(input: Extract<RouterInput, { type: 'sync' }>): void;
}

interface Entry {
  /** The member's core state, as its transitions told. */
  state: RouterState;
  /** Whether its Master_Down_Timer fired and it waits for the group to go master. */
  wants: boolean;
}

type Notice =
  | { type: 'transition'; member: SyncMember; from: RouterState; to: RouterState; reason: TransitionReason }
  | { type: 'wish'; member: SyncMember; want: boolean }
  /** A member left: a wish it held back may be granted now. */
  | { type: 'left' };

/** The members of one sync group on this thread (see the file header). */
export class SyncGroupLink {
  readonly #id: string;
  readonly #members = new Map<SyncMember, Entry>();
  /** keepalived's group state MASTER: a member went master and none has left since. */
  #master = false;
  /** Notices not yet handled: a notice handled forces members, whose transitions notify in turn (see #handle). */
  readonly #queue: Notice[] = [];
  #busy = false;

  /** A link for the group `id`; see {@link syncGroupLink}. */
  constructor(id: string) {
    this.#id = id;
  }

  /**
   * Members whose engine a new configuration is replacing (VrrpInstance.reconfigure), by the key both engines give:
   * a stand-in keeps the member's place — its state counts, as before — and records the group's last word to it, so
   * that neither a member gone for the handover's few milliseconds nor a word sent meanwhile moves the group.
   */
  readonly #handOffs = new Map<string, HandOff>();

  /**
   * Adds a member whose core just started (in Initialize). `resumed` (a new configuration's engine): it takes the
   * place handed off under `key` (see {@link handOff}), and gets the group's word that came meanwhile, if one did, to
   * apply once started. Not resumed, a place still kept under `key` is given up first.
   */
  join(member: SyncMember, key?: string, resumed = false): Extract<RouterInput, { type: 'sync' }> | undefined {
    const handOff = key === undefined ? undefined : this.#handOffs.get(key);
    if (handOff === undefined || !resumed) {
      // A place kept for an engine that never came (its start failed before it joined): this member, fresh, takes it
      // — in Initialize it holds back a sibling's wish as the member before did (a leave would have granted it).
      if (handOff !== undefined) {
        this.#handOffs.delete(key as string);
        this.#members.delete(handOff.standIn);
        this.#master = [...this.#members.values()].some((entry) => entry.state === 'master');
      }
      this.#members.set(member, { state: 'initialize', wants: false });
      return undefined;
    }
    this.#handOffs.delete(key as string);
    const entry = this.#members.get(handOff.standIn) ?? { state: 'initialize', wants: false };
    this.#members.delete(handOff.standIn);
    this.#members.set(member, entry);
    return handOff.word;
  }

  /**
   * A member's engine is being replaced: its place is kept under `key` for the next one (see {@link join}). The
   * stand-in takes the group's words as the member would — its state moves with them, so that a later word reaches
   * it as it would have reached the member — and keeps the last one for the next engine.
   */
  handOff(member: SyncMember, key: string): void {
    const entry = this.#members.get(member);
    if (entry === undefined) return;
    const handOff: HandOff = {
      standIn: {
        sync: (input) => {
          handOff.word = input;
          entry.wants = false;
          if (input.to === 'master' && entry.state === 'backup') entry.state = 'master';
          else if (input.to === 'backup' && entry.state === 'master') entry.state = 'backup';
        },
      },
    };
    this.#members.delete(member);
    this.#members.set(handOff.standIn, entry);
    this.#handOffs.set(key, handOff);
  }

  /** The engine that was to take the place handed off under `key` will not: the member leaves. */
  abandon(key: string): void {
    const handOff = this.#handOffs.get(key);
    if (handOff === undefined) return;
    this.#handOffs.delete(key);
    this.leave(handOff.standIn);
  }

  /** Removes a member whose engine stopped; the last one out drops the link. */
  leave(member: SyncMember): void {
    this.#members.delete(member);
    this.#master = [...this.#members.values()].some((entry) => entry.state === 'master');
    if (this.#members.size === 0 && links.get(this.#id) === this) links.delete(this.#id);
    // The others' wishes are not said again (a core tells a change only): they are looked at here.
    else this.#notify({ type: 'left' });
  }

  /** A member's core made a transition. */
  transition(member: SyncMember, from: RouterState, to: RouterState, reason: TransitionReason): void {
    this.#notify({ type: 'transition', member, from, to, reason });
  }

  /** A member's core wishes to become master, or no longer does. */
  wish(member: SyncMember, want: boolean): void {
    this.#notify({ type: 'wish', member, want });
  }

  /**
   * Notices are handled one at a time, in order: forcing a member runs its engine's step at once, whose transition
   * notifies here again — queued behind the notice being handled rather than nested in it.
   */
  #notify(notice: Notice): void {
    this.#queue.push(notice);
    if (this.#busy) return;
    this.#busy = true;
    // A member whose step throws must not leave the notices behind it queued (replayed, stale, at the next notice):
    // the queue is drained whatever happens, and the first failure is thrown to the caller afterwards.
    try {
      eachThenThrow(drain(this.#queue), (queued) => this.#handle(queued));
    } finally {
      this.#busy = false;
    }
  }

  #handle(notice: Notice): void {
    if (notice.type === 'left') {
      const wishing = [...this.#members].find(([, entry]) => entry.wants);
      if (wishing && (this.#master || this.#everyoneWants(wishing[0]))) wishing[0].sync({ type: 'sync', to: 'master' });
      return;
    }
    const entry = this.#members.get(notice.member);
    if (!entry) return; // a member that left meanwhile
    if (notice.type === 'wish') {
      entry.wants = notice.want;
      if (!notice.want) return;
      if (this.#master || this.#everyoneWants(notice.member)) notice.member.sync({ type: 'sync', to: 'master' });
      return;
    }
    // A member that resumed after a hand-off (reason `reconfigured`) is where it was: nothing to force — the word it
    // missed, if any, follows as a step of its own. Only a resumed fault (a new configuration faulted it) moves the
    // group, as any fault does.
    const resumed = notice.from === 'initialize' && notice.reason === 'reconfigured' && notice.to !== 'fault';
    entry.state = notice.to;
    entry.wants = false;
    if (resumed) return;
    if (notice.to === 'master') {
      if (this.#master) return;
      this.#master = true;
      this.#force('backup', { type: 'sync', to: 'master' }, notice.member);
    } else if (notice.to === 'fault') {
      this.#master = false;
      this.#force('master', { type: 'sync', to: 'backup', resign: true }, notice.member);
    } else if (notice.from === 'master' && notice.to === 'backup' && notice.reason !== 'sync-group') {
      this.#master = false;
      this.#force('master', { type: 'sync', to: 'backup', resign: false }, notice.member);
    } else if (notice.to === 'initialize') {
      this.#master = [...this.#members.values()].some((other) => other.state === 'master');
    }
  }

  /** Whether every member but `wisher` wishes to be master or is. */
  #everyoneWants(wisher: SyncMember): boolean {
    return [...this.#members].every(([member, other]) => member === wisher || other.wants || other.state === 'master');
  }

  /** Feeds `input` to every member but `cause` that is in state `from`. */
  #force(from: RouterState, input: Extract<RouterInput, { type: 'sync' }>, cause: SyncMember): void {
    // Every member is forced even if one throws: stopping at it would leave the group half master (the split the
    // sync group exists to prevent); the first failure is thrown once all were told.
    eachThenThrow(this.#members, ([member, entry]) => {
      if (member !== cause && entry.state === from) member.sync(input);
    });
  }
}

/** Runs `step` on every item, also after one throws; then throws the first failure, if any. */
function eachThenThrow<T>(items: Iterable<T>, step: (item: T) => void): void {
  let failure: { error: unknown } | undefined;
  for (const item of items) {
    try {
      step(item);
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure !== undefined) throw failure.error;
}

/** Takes `queue`'s items from its front until it is empty, including those pushed while it is being taken. */
function* drain<T>(queue: T[]): Generator<T> {
  for (let item = queue.shift(); item !== undefined; item = queue.shift()) yield item;
}

/** A member's place kept while its engine is replaced (see SyncGroupLink.handOff). */
interface HandOff {
  /** Holds the place; its `sync` records the group's word in `word`. */
  readonly standIn: SyncMember;
  /** The group's last word to the member meanwhile. */
  word?: Extract<RouterInput, { type: 'sync' }>;
}

/** The links of this thread, by group id. */
const links = new Map<string, SyncGroupLink>();

/** Gives up the place handed off under `key` in group `id`, if one is kept (see SyncGroupLink.abandon). */
export function abandonHandOff(id: string, key: string): void {
  links.get(id)?.abandon(key);
}

/** The link of the sync group `id` on this thread, made at its first member's start. */
export function syncGroupLink(id: string): SyncGroupLink {
  let link = links.get(id);
  if (!link) {
    link = new SyncGroupLink(id);
    links.set(id, link);
  }
  return link;
}
