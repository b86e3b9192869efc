/**
 * A simulated L2 segment: real `VrrpInstance`s on fake adapters, one virtual clock, and a wire with latency,
 * jitter, loss, partitions, link cuts and crashes. Everything random comes from one seeded generator, so a failing
 * run is replayed exactly by passing its seed back; `failureReport()` prints the seed and the end of the trace.
 *
 * Theory of operation:
 * - A packet sent by a node is copied to every other node that can hear it (alive, link up, same side of every
 *   partition) and would receive it on Linux: of its family and VRID; for multicast only nodes joined to the group
 *   (no `unicastPeers`), for unicast only the addressee. It leaves from the address the sender's instance was
 *   last told to send from ({@link FakeTransport.sourceAddress}: its config's `primaryAddress` when set, else the
 *   node's address — the one it was added with, or given by `renumber` once the instance asked again). Each copy is lost with probability `loss`, else
 *   delivered after `latencyMs` plus up to `jitterMs`, through the shared clock. Reachability is checked again on
 *   arrival, so a partition or crash cuts packets already in flight.
 * - `kill` models a crash: the node is cut off first, so nothing it says while going down reaches anyone, then its
 *   instance is stopped (its VIPs vanish with it). `revive` reattaches it and starts the same instance again.
 */
import type { Adapters } from '../adapters/types.js';
import type { VrrpConfig } from '../config.js';
import { VRRP_MULTICAST_GROUP, type AddressFamily } from '../core/advertisement.js';
import { decodeAdvertisement } from '../core/codec.js';
import { canonicalIp } from '../core/ip-address.js';
import { VrrpInstance } from '../instance.js';
import { FakeLinkMonitor, FakeTransport, FakeVipManager } from './fakes.js';
import { settle, VirtualClock } from './virtual-clock.js';

/** Options of a {@link SimNetwork}. */
export interface SimNetworkOptions {
  /** Seed of the random generator (default: random, and printed by `failureReport`). */
  seed?: number;
  /** One-way delay of every packet, in ms (default 1). */
  latencyMs?: number;
  /** Extra random delay, uniform in [0, jitterMs), in ms (default 0). */
  jitterMs?: number;
  /** Probability that one copy of a packet is lost, 0…1 (default 0). */
  loss?: number;
  /** Keep a trace of every packet and transition (default true). */
  trace?: boolean;
  /** Start time of the virtual clock in ms (default 0). */
  startMs?: number;
}

/** One line of the trace. */
export interface TraceEntry {
  /** Virtual time in ms. */
  atMs: number;
  /** What happened. */
  kind: 'send' | 'deliver' | 'lost' | 'state' | 'priority' | 'kill' | 'revive' | 'partition' | 'heal' | 'link' | 'error';
  /** Node name. */
  node: string;
  /** Details in words. */
  detail: string;
}

/** Options of {@link SimNetwork.addNode}. */
export interface AddNodeOptions {
  /**
   * The node's address on the segment: its interface's address, which the transport offers as the one to send from.
   * A `primaryAddress` in the node's config is sent from instead (adverts and tie-break), as the Linux transport
   * picks it first; unicast sent to either address reaches the node.
   */
  address: string;
  /** Name in the trace (default: `config.name`, else the address). */
  name?: string;
  /** Start the instance at once (default true). */
  start?: boolean;
}

/** What the network knows about one node. */
export interface SimNode {
  /** Name in the trace. */
  name: string;
  /** Its address: the one it was added with ({@link AddNodeOptions.address}), or the last `renumber` (canonical). */
  address: string;
  /** The instance. */
  instance: VrrpInstance;
  /** Its transport. */
  transport: FakeTransport;
  /** Its VIP manager: `vips.addresses` is what the node holds now. */
  vips: FakeVipManager;
  /** Its link. */
  link: FakeLinkMonitor;
  /** False between `kill` and `revive`. */
  alive: boolean;
}

/** mulberry32: small, fast, and good enough to drive a simulation; deterministic from its seed. */
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MULTICAST = new Set<string>(Object.values(VRRP_MULTICAST_GROUP));

/** A simulated LAN of `VrrpInstance`s in virtual time. */
export class SimNetwork {
  /** The shared virtual clock. */
  readonly clock: VirtualClock;
  /** The seed in use. */
  readonly seed: number;
  /** Every packet and transition, in order (empty when tracing is off). */
  readonly trace: TraceEntry[] = [];
  /** One-way delay in ms; may be changed between advances. */
  latencyMs: number;
  /** Jitter in ms; may be changed between advances. */
  jitterMs: number;
  /** Loss probability; may be changed between advances. */
  loss: number;
  readonly #random: () => number;
  readonly #tracing: boolean;
  readonly #nodes: SimNode[] = [];
  readonly #byInstance = new Map<VrrpInstance, SimNode>();
  /** Pairs of node names that cannot hear each other, as "a|b" in both orders. */
  readonly #blocked = new Set<string>();
  readonly #pending = new Set<Promise<unknown>>();

  /** Creates an empty segment. */
  constructor(options: SimNetworkOptions = {}) {
    this.seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
    this.#random = createRandom(this.seed);
    this.latencyMs = options.latencyMs ?? 1;
    this.jitterMs = options.jitterMs ?? 0;
    this.loss = options.loss ?? 0;
    this.#tracing = options.trace ?? true;
    this.clock = new VirtualClock(options.startMs ?? 0);
  }

  /** All nodes, in the order they were added. */
  get nodes(): readonly SimNode[] {
    return this.#nodes;
  }

  /** A uniform random number in [0, 1) from the network's seeded generator, for test schedules. */
  random(): number {
    return this.#random();
  }

  /**
   * Adds a node running a real `VrrpInstance` on fake adapters and the shared clock, and starts it (unless
   * `start: false`). Returns the instance.
   */
  addNode(config: VrrpConfig, options: AddNodeOptions): VrrpInstance {
    const name = options.name ?? config.name ?? options.address;
    if (this.#nodes.some((node) => node.name === name)) throw new Error(`a node named ${name} already exists`);
    // Canonical, as the configs' unicast peers are: `2001:DB8::10` must be the node that `2001:db8::10` reaches.
    const address = canonicalIp(options.address);
    if (address === undefined) throw new Error(`${options.address} is not an IP address`);
    const transport = new FakeTransport({ primaryAddress: address, onSend: (dst, bytes) => this.#send(node, dst, bytes) });
    const vips = new FakeVipManager();
    const link = new FakeLinkMonitor(true);
    const adapters: Adapters = { transport, vipManager: vips, clock: this.clock, linkMonitor: link };
    const instance = new VrrpInstance(config, adapters);
    const node: SimNode = { name, address, instance, transport, vips, link, alive: true };
    this.#nodes.push(node);
    this.#byInstance.set(instance, node);
    instance.on('stateChange', (event) => {
      const why = event.peer ? `${event.reason} (${event.peer})` : event.reason;
      this.#log('state', node, `${event.from} → ${event.to}: ${why}`);
    });
    instance.on('priorityChange', (event) => this.#log('priority', node, `${event.from} → ${event.to}`));
    instance.on('error', (error) => this.#log('error', node, error.message));
    if (options.start ?? true) this.#track(instance.start());
    return instance;
  }

  /** The bookkeeping of one node. */
  node(instance: VrrpInstance): SimNode {
    const node = this.#byInstance.get(instance);
    if (!node) throw new Error('this instance is not on this network');
    return node;
  }

  /** Advances virtual time by `ms`: packets are delivered and timers fire in order. */
  async advance(ms: number): Promise<void> {
    await this.clock.advance(ms);
  }

  /**
   * Crashes a node: cut off first (its last words are lost), then its instance stops. The stop is not awaited in
   * real time (a hook ignoring its signal would wait for a virtual timeout nobody advances); it completes as
   * virtual time passes, and `stopAll` awaits it.
   */
  async kill(instance: VrrpInstance): Promise<void> {
    const node = this.node(instance);
    if (!node.alive) return;
    node.alive = false;
    this.#log('kill', node, 'crashed');
    this.#track(instance.stop());
    await settle();
  }

  /** Restarts a killed node: reattached, and the same instance started again (after its crash-stop completed). */
  async revive(instance: VrrpInstance): Promise<void> {
    const node = this.node(instance);
    if (node.alive) return;
    node.alive = true;
    this.#log('revive', node, 'restarted');
    this.#track(instance.start());
    await settle();
  }

  /**
   * Gives a node another address, as an interface renumbered under a running instance: unicast to the new address
   * reaches it from now on, and its transport reports it the next time the instance asks, which the link monitor
   * telling the link up (again) makes it do, at once. Its packets leave from the new address from then on (unless
   * its config pins `primaryAddress`).
   */
  renumber(instance: VrrpInstance, address: string): void {
    const node = this.node(instance);
    const canonical = canonicalIp(address);
    if (canonical === undefined) throw new Error(`${address} is not an IP address`);
    this.#log('link', node, `renumbered ${node.address} → ${canonical}`);
    node.address = canonical;
    node.transport.primaryAddress = canonical;
    if (node.link.up) node.link.setUp(true);
  }

  /** Cuts or restores a node's link (the instance sees it through its link monitor: Fault while down). */
  setLink(instance: VrrpInstance, up: boolean): void {
    const node = this.node(instance);
    this.#log('link', node, up ? 'link up' : 'link down');
    node.link.setUp(up);
  }

  /** Nodes of `groupA` and `groupB` stop hearing each other (partitions add up until `heal`). */
  partition(groupA: readonly VrrpInstance[], groupB: readonly VrrpInstance[]): void {
    for (const a of groupA) {
      for (const b of groupB) {
        const na = this.node(a).name;
        const nb = this.node(b).name;
        this.#blocked.add(`${na}|${nb}`).add(`${nb}|${na}`);
      }
    }
    const names = (group: readonly VrrpInstance[]): string => group.map((i) => this.node(i).name).join(', ');
    this.#log('partition', { name: '-' }, `[${names(groupA)}] ⟂ [${names(groupB)}]`);
  }

  /** Removes every partition. */
  heal(): void {
    this.#blocked.clear();
    this.#log('heal', { name: '-' }, 'all partitions healed');
  }

  /** Live nodes whose instance is master. */
  masters(): VrrpInstance[] {
    return this.#nodes.filter((node) => node.alive && node.instance.state === 'master').map((node) => node.instance);
  }

  /** Stops every instance (for test teardown); hooks still running get up to `hookTimeoutMs` of virtual time. */
  async stopAll(): Promise<void> {
    const stops = Promise.all(this.#nodes.map((node) => node.instance.stop()));
    let done = false;
    void stops.finally(() => (done = true));
    await settle();
    // Drive virtual time while anything still waits on it (a hook's timeout), one timer at a time.
    while (!done) {
      const next = this.clock.nextTimerAt();
      if (next === undefined) break;
      await this.clock.advanceTo(next);
    }
    await stops;
    await this.#settlePending();
  }

  /** The seed and the last `lines` trace entries, ready to print when an assertion fails. */
  failureReport(lines = 40): string {
    const tail = this.trace.slice(-lines).map(formatEntry);
    return [`SimNetwork seed ${this.seed} (replay: new SimNetwork({ seed: ${this.seed}, … }))`, ...tail].join('\n');
  }

  /** Throws an Error carrying the failure report when `condition` is false. */
  assert(condition: unknown, message: string): asserts condition {
    if (!condition) throw new Error(`${message}\n${this.failureReport()}`);
  }

  /** The whole trace as text, one line per entry. */
  formatTrace(filter?: (entry: TraceEntry) => boolean): string {
    return this.trace.filter(filter ?? (() => true)).map(formatEntry).join('\n');
  }

  #canHear(from: SimNode, to: SimNode): boolean {
    return from !== to && from.alive && to.alive && from.link.up && to.link.up && !this.#blocked.has(`${from.name}|${to.name}`);
  }

  /**
   * Whether `to`'s socket would take a packet of `family` and `vrid` sent to `dst`, as on Linux: sockets are per
   * family; only an instance with no unicast peers joins the group; the shared socket hands an instance the packets
   * of its VRID only (others it counts itself, in `otherVrid`), so another VRID's adverts never reach it here
   * either. A unicast packet reaches a node at either of its addresses. Read from the config at each packet, which
   * `reconfigure` may replace.
   */
  #receives(to: SimNode, family: AddressFamily, vrid: number | undefined, dst: string): boolean {
    const config = to.instance.config;
    if (config.family !== family || config.vrid !== vrid) return false;
    if (MULTICAST.has(dst)) return config.unicastPeers.length === 0;
    return dst === to.address || dst === config.primaryAddress;
  }

  #send(from: SimNode, dst: string, bytes: Uint8Array): void {
    if (!from.alive || !from.link.up) return;
    const copy = bytes.slice();
    const { family, primaryAddress } = from.instance.config;
    // From what the instance was last told to send from (its checksums cover that one): the configured
    // primaryAddress, else the transport's address when the instance last asked.
    const src = from.transport.sourceAddress ?? primaryAddress ?? from.address;
    // The VRID is the message's second byte in both versions; a message too short to carry one, Linux drops.
    const vrid = copy[1];
    if (this.#tracing) this.#log('send', from, `→ ${dst} ${describePacket(copy, src, dst)}`);
    for (const to of this.#nodes) {
      if (!this.#canHear(from, to) || !this.#receives(to, family, vrid, dst)) continue;
      if (this.loss > 0 && this.#random() < this.loss) {
        if (this.#tracing) this.#log('lost', to, `from ${from.name}`);
        continue;
      }
      const delay = this.latencyMs + (this.jitterMs > 0 ? this.#random() * this.jitterMs : 0);
      this.clock.setTimer(delay, () => {
        if (!this.#canHear(from, to)) return;
        if (this.#tracing) this.#log('deliver', to, `from ${from.name}`);
        to.transport.inject({ bytes: copy, src, dst, ttl: 255 });
      });
    }
  }

  #track(promise: Promise<unknown>): void {
    const tracked = promise.catch((error: unknown) => {
      this.#log('error', { name: '-' }, error instanceof Error ? error.message : String(error));
    });
    this.#pending.add(tracked);
    void tracked.finally(() => this.#pending.delete(tracked));
  }

  async #settlePending(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }

  #log(kind: TraceEntry['kind'], node: { name: string }, detail: string): void {
    if (this.#tracing) this.trace.push({ atMs: this.clock.now(), kind, node: node.name, detail });
  }
}

function formatEntry(entry: TraceEntry): string {
  return `${entry.atMs.toFixed(3).padStart(12)} ms  ${entry.node.padEnd(10)} ${entry.kind.padEnd(9)} ${entry.detail}`;
}

function describePacket(bytes: Uint8Array, src: string, dst: string): string {
  const family = src.includes(':') ? 'ipv6' : 'ipv4';
  const decoded = decodeAdvertisement(bytes, { family, src, dst });
  if (!decoded.ok) return `(undecodable: ${decoded.error.code})`;
  const ad = decoded.advertisement;
  return `v${ad.version} vrid ${ad.vrid} prio ${ad.priority} int ${ad.advertIntervalMs}ms`;
}
