/**
 * In-memory adapters: a transport that records what it sends and lets a test inject what it receives, a VIP
 * manager that keeps the addresses in a set, and a link monitor a test can flip. Each can fail on demand, so apps
 * can test their own error handling.
 */
import type { LinkMonitor, LinkWatch, ReceivedPacket, Transport, TransportOpened, TransportOptions, VipManager, VmacRequest } from '../adapters/types.js';
import { formatVirtualRoute, formatVirtualRule, resolveConfig, type VirtualAddress, type VirtualRoute, type VirtualRouteConfig, type VirtualRule } from '../config.js';
import { canonicalIp } from '../core/ip-address.js';
import { VrrpError } from '../errors.js';

/** A packet a {@link FakeTransport} was asked to send. */
export interface SentPacket {
  /** Destination. */
  dst: string;
  /** VRRP message bytes. */
  bytes: Uint8Array;
}

/** A {@link Transport} in memory. */
export class FakeTransport implements Transport {
  /** Everything sent, in order. */
  readonly sent: SentPacket[] = [];
  /**
   * The interface's address: what `open` and `resolvePrimaryAddress` report when the instance configures no
   * `primaryAddress` (a configured one comes first, as the Linux transport picks it). Undefined plays an interface
   * with none to send from yet. To play one arriving, or the interface renumbered, set it and then call
   * `setUp(true)` on the instance's {@link FakeLinkMonitor} (up already or not): the instance asks again only when
   * told the link is up.
   */
  primaryAddress: string | undefined;
  /**
   * The address the instance was last told to send from (by `open` or `resolvePrimaryAddress`): the one its IPv4
   * VRRPv3 checksums cover, and what a simulated wire should stamp its packets with. Undefined until opened. It
   * follows {@link FakeTransport.primaryAddress} only when the instance asks again (a link up).
   */
  get sourceAddress(): string | undefined {
    return this.#told;
  }
  #told: string | undefined;
  /** Options the instance opened with, once open. */
  options: TransportOptions | undefined;
  #onPacket: ((packet: ReceivedPacket) => void) | undefined;
  /** What the instance asked to hear when the transport dies (see {@link FakeTransport.fail}). */
  #onFailure: ((error: Error) => void) | undefined;
  readonly #onSend: ((dst: string, bytes: Uint8Array) => void) | undefined;
  /** When set, the next `send` throws this error (once). */
  failNextSend: Error | undefined;
  /**
   * When set, the next `open` rejects with this error (once) and the transport stays closed: the instance's
   * `start()` then rejects (`transport_failed`, the error as its cause) and it stays in `initialize`.
   */
  failNextOpen: Error | undefined;

  /**
   * `primaryAddress` is the interface's address (see {@link FakeTransport.primaryAddress}); `onSend` sees every
   * packet sent (the simulated wire).
   */
  constructor(options: { primaryAddress: string | undefined; onSend?: (dst: string, bytes: Uint8Array) => void }) {
    this.primaryAddress = options.primaryAddress;
    this.#onSend = options.onSend;
  }

  /** Whether the instance has the transport open. */
  get isOpen(): boolean {
    return this.#onPacket !== undefined;
  }

  /**
   * See {@link Transport.open}: resolves with the configured `primaryAddress`, else
   * {@link FakeTransport.primaryAddress}; rejects instead when {@link FakeTransport.failNextOpen} is set.
   */
  async open(options: TransportOptions, onPacket: (packet: ReceivedPacket) => void, onFailure?: (error: Error) => void): Promise<TransportOpened> {
    if (this.failNextOpen) {
      const error = this.failNextOpen;
      this.failNextOpen = undefined;
      throw error;
    }
    this.options = options;
    this.#onPacket = onPacket;
    this.#onFailure = onFailure;
    this.#told = this.#pickPrimaryAddress();
    return { primaryAddress: this.#told };
  }

  /**
   * Plays the open transport dying under a running instance: calls the `onFailure` the instance gave `open`, which
   * reports `transport_failed` with this error's message and takes the instance to `fault` (as a link down would;
   * a master still sends its priority 0). Only the report: sends and {@link FakeTransport.inject} go on working,
   * so that what the instance does next shows; set {@link FakeTransport.failNextSend} for a transport that cannot
   * send either. Throws when the transport is not open, or was opened without `onFailure`: nobody would hear.
   */
  fail(error: Error): void {
    // A silent no-op would let a test that kills a closed transport pass without testing anything.
    if (!this.isOpen) throw new Error('FakeTransport.fail: the transport is not open');
    if (this.#onFailure === undefined) throw new Error('FakeTransport.fail: open was given no onFailure to call');
    this.#onFailure(error);
  }

  /**
   * See {@link Transport.resolvePrimaryAddress}: the configured `primaryAddress`, else
   * {@link FakeTransport.primaryAddress} as it is now.
   */
  async resolvePrimaryAddress(): Promise<string | undefined> {
    this.#told = this.#pickPrimaryAddress();
    return this.#told;
  }

  /** See {@link Transport.send}. */
  send(dst: string, bytes: Uint8Array): void {
    if (this.failNextSend) {
      const error = this.failNextSend;
      this.failNextSend = undefined;
      throw error;
    }
    this.sent.push({ dst, bytes });
    this.#onSend?.(dst, bytes);
  }

  /** See {@link Transport.close}. */
  close(): void {
    this.#onPacket = undefined;
    this.#onFailure = undefined;
  }

  /** Delivers a packet to the instance as if it came off the wire (ignored while closed). */
  inject(packet: ReceivedPacket): void {
    this.#onPacket?.(packet);
  }

  // The Linux transport's order (#pickPrimaryAddress there): a configured address is used whatever the interface
  // has, so that a link that comes back never swaps it for the interface's own.
  #pickPrimaryAddress(): string | undefined {
    return this.options?.primaryAddress ?? this.primaryAddress;
  }
}

/** One call made to a {@link FakeVipManager}. */
export interface VipCall {
  /** Which method. */
  op: 'add' | 'remove' | 'announce' | 'addRoutes' | 'removeRoutes' | 'addRules' | 'removeRules' | 'createVmac' | 'removeVmac';
  /**
   * Addresses passed (canonical text with prefix), or routes and rules (as {@link formatVirtualRoute} and
   * {@link formatVirtualRule} write them), or the VMAC's name.
   */
  addresses: string[];
}

/** A {@link VipManager} in memory. */
export class FakeVipManager implements VipManager {
  /** Addresses currently "on the interface" (canonical text, no prefix), ours and {@link FakeVipManager.preset} ones. */
  readonly addresses = new Set<string>();
  /** Every call, in order. */
  readonly calls: VipCall[] = [];
  /** Number of `announce` calls (one per gratuitous-ARP burst). */
  announcements = 0;
  /** When set, the next call of that kind rejects with the error (once). */
  readonly failNext: Partial<Record<VipCall['op'], Error>> = {};
  /** When set, every call of that kind rejects with the error until the entry is deleted (an interface that refuses). */
  readonly failing: Partial<Record<VipCall['op'], Error>> = {};

  /** Addresses currently held, by the interface they were added on (an address with `dev` goes on that one). */
  readonly byInterface = new Map<string, Set<string>>();
  /** Announcements made, by interface. */
  readonly announcementsOn = new Map<string, number>();

  /** The addresses {@link FakeVipManager.preset} put on each interface: somebody else's, never removed here. */
  readonly #theirs = new Map<string, Set<string>>();

  /**
   * Puts addresses on `iface` as if they were there before the instance ran — configured by hand, or the
   * interface's own address that an address owner (priority 255) lists as its VIP. They are in
   * {@link FakeVipManager.addresses} from now on, and stay the user's as on Linux: the Linux VIP manager's add of
   * one meets EEXIST and does not count it as ours, and it never removes an address it did not add, so `add` leaves
   * them as they are and `remove` leaves them on the interface. Each is `address` or `address/prefix`.
   */
  preset(iface: string, addresses: readonly string[]): void {
    let theirs = this.#theirs.get(iface);
    if (theirs === undefined) this.#theirs.set(iface, (theirs = new Set()));
    let on = this.byInterface.get(iface);
    if (on === undefined) this.byInterface.set(iface, (on = new Set()));
    for (const text of addresses) {
      // The prefix is dropped, as the fake keeps addresses: on Linux an IPv4 address there with another prefix is
      // added beside (no EEXIST) and removed alone, which leaves the address on the interface all the same.
      const address = canonicalIp(text.includes('/') ? text.slice(0, text.indexOf('/')) : text);
      if (address === undefined) throw new Error(`FakeVipManager.preset: ${text} is not an IP address`);
      theirs.add(address);
      on.add(address);
      this.addresses.add(address);
    }
  }

  /** See {@link VipManager.add}. An address {@link FakeVipManager.preset} on `iface` stays somebody else's. */
  async add(iface: string, addresses: readonly VirtualAddress[]): Promise<void> {
    this.#record('add', addresses);
    let on = this.byInterface.get(iface);
    if (on === undefined) this.byInterface.set(iface, (on = new Set()));
    for (const vip of addresses) {
      this.addresses.add(vip.address);
      on.add(vip.address);
    }
  }

  /**
   * See {@link VipManager.remove}: only addresses of ours go; one {@link FakeVipManager.preset} on `iface` stays,
   * as the Linux VIP manager never removes an address it did not add.
   */
  async remove(iface: string, addresses: readonly VirtualAddress[]): Promise<void> {
    this.#record('remove', addresses);
    const on = this.byInterface.get(iface);
    const theirs = this.#theirs.get(iface);
    for (const vip of addresses) {
      if (theirs?.has(vip.address) === true) continue;
      on?.delete(vip.address);
      // Still "on the interface" while another interface holds it (one preset there, say).
      let elsewhere = false;
      for (const held of this.byInterface.values()) if (held.has(vip.address)) elsewhere = true;
      if (!elsewhere) this.addresses.delete(vip.address);
    }
    if (on?.size === 0) this.byInterface.delete(iface);
  }

  /** See {@link VipManager.announce}. */
  async announce(iface: string, addresses: readonly VirtualAddress[]): Promise<void> {
    this.#record('announce', addresses);
    this.announcements++;
    this.announcementsOn.set(iface, (this.announcementsOn.get(iface) ?? 0) + 1);
  }

  /**
   * Routes currently "installed", as {@link formatVirtualRoute} writes them: ours and
   * {@link FakeVipManager.presetRoutes} ones.
   */
  readonly routes = new Set<string>();
  /** Every installed route by the kernel's key (see routeKey), with its text and whether it is ours. */
  readonly #routesByKey = new Map<string, { text: string; ours: boolean }>();

  /**
   * Installs routes as if somebody else had (an administrator, another routing daemon), written as `virtualRoutes`
   * are and checked as they are (a `ConfigError` names a bad one). They are in
   * {@link FakeVipManager.routes} from now on; `addRoutes` of a route with the same destination, table and metric is
   * refused as the kernel refuses it (EEXIST, a `route_failed` naming it), and `removeRoutes` leaves them, as
   * the Linux VIP manager removes only routes of its own protocol.
   */
  presetRoutes(routes: readonly VirtualRouteConfig[]): void {
    // Resolved as a config's routes are (the same defaults: table main, an IPv6 metric 0 made 1024), so that a
    // preset route meets an instance's by the same key; the address is a stand-in for the config's required one.
    const resolved = resolveConfig({ interface: 'lo', vrid: 1, virtualAddresses: ['192.0.2.1'], virtualRoutes: routes }).virtualRoutes;
    for (const route of resolved) {
      const text = formatVirtualRoute(route);
      this.#routesByKey.set(routeKey(route), { text, ours: false });
      this.routes.add(text);
    }
  }

  /**
   * See {@link VipManager.addRoutes}: each route is tried, as on Linux. One whose destination, table and metric
   * (the kernel's key) an installed route has already — a {@link FakeVipManager.presetRoutes} one, or one of ours
   * not removed — is left out, as the kernel answers EEXIST, and the call then rejects with a `route_failed`
   * {@link VrrpError} naming each refused route, after the others went in, as the Linux VIP manager does.
   */
  async addRoutes(routes: readonly VirtualRoute[]): Promise<void> {
    const texts = routes.map(formatVirtualRoute);
    this.#recordTexts('addRoutes', texts);
    const failures: string[] = [];
    routes.forEach((route, index) => {
      const text = texts[index] as string;
      const key = routeKey(route);
      if (this.#routesByKey.has(key)) {
        // The Linux VIP manager's words (src/linux/vip-manager.ts, addRoutes), so that a test reads what it would.
        failures.push(`${text}: EEXIST (a route to it is there already, not ours; left as it is)`);
        return;
      }
      this.#routesByKey.set(key, { text, ours: true });
      this.routes.add(text);
    });
    if (failures.length > 0) throw new VrrpError('route_failed', `cannot install ${failures.join(', ')}`);
  }

  /**
   * See {@link VipManager.removeRoutes}: only routes of ours go; a {@link FakeVipManager.presetRoutes} one with the
   * same key stays (on Linux the removal names our protocol, so the kernel does not match it: no failure).
   */
  async removeRoutes(routes: readonly VirtualRoute[]): Promise<void> {
    const texts = routes.map(formatVirtualRoute);
    this.#recordTexts('removeRoutes', texts);
    for (const route of routes) {
      const key = routeKey(route);
      const installed = this.#routesByKey.get(key);
      if (installed?.ours !== true) continue;
      this.#routesByKey.delete(key);
      this.routes.delete(installed.text);
    }
  }

  /** VMACs currently "made" ({@link VipManager.createVmac}), by name, with what each was made for. */
  readonly vmacs = new Map<string, VmacRequest>();

  /** See {@link VipManager.createVmac}: named as asked, else keepalived's `vrrp.<VRID>`; made again is a no-op. */
  async createVmac(request: VmacRequest): Promise<string> {
    const name = request.name ?? `vrrp.${request.vrid}`;
    this.#recordTexts('createVmac', [name]);
    this.vmacs.set(name, request);
    return name;
  }

  /** See {@link VipManager.removeVmac}. */
  async removeVmac(name: string): Promise<void> {
    this.#recordTexts('removeVmac', [name]);
    this.vmacs.delete(name);
  }

  /** Rules currently "installed", as {@link formatVirtualRule} writes them. */
  readonly rules = new Set<string>();

  /** See {@link VipManager.addRules}. */
  async addRules(rules: readonly VirtualRule[]): Promise<void> {
    const texts = rules.map(formatVirtualRule);
    this.#recordTexts('addRules', texts);
    for (const text of texts) this.rules.add(text);
  }

  /** See {@link VipManager.removeRules}. */
  async removeRules(rules: readonly VirtualRule[]): Promise<void> {
    const texts = rules.map(formatVirtualRule);
    this.#recordTexts('removeRules', texts);
    for (const text of texts) this.rules.delete(text);
  }

  #record(op: VipCall['op'], addresses: readonly VirtualAddress[]): void {
    this.#recordTexts(
      op,
      addresses.map((vip) => `${vip.address}/${vip.prefixLength}`),
    );
  }

  #recordTexts(op: VipCall['op'], texts: string[]): void {
    const failure = this.failNext[op];
    if (failure) {
      delete this.failNext[op];
      throw failure;
    }
    const lasting = this.failing[op];
    if (lasting) throw lasting;
    this.calls.push({ op, addresses: texts });
  }
}

/**
 * What the kernel tells a route by — family, destination, table and metric — as routeKey in
 * src/linux/vip/routing-watch.ts (not imported: the kit runs anywhere, without the Linux modules).
 */
function routeKey(route: VirtualRoute): string {
  return `${route.family} ${route.to}/${route.prefixLength} table ${route.table} metric ${route.metric}`;
}

/** A {@link LinkMonitor} whose state a test sets with {@link FakeLinkMonitor.setUp}. */
export class FakeLinkMonitor implements LinkMonitor {
  #up: boolean;
  readonly #listeners = new Set<(up: boolean) => void>();

  /** Starts with the link up unless told otherwise. */
  constructor(up = true) {
    this.#up = up;
  }

  /** Current link state. */
  get up(): boolean {
    return this.#up;
  }

  /** See {@link LinkMonitor.watch}. */
  async watch(_iface: string, onChange: (up: boolean) => void): Promise<LinkWatch> {
    this.#listeners.add(onChange);
    return { up: this.#up, stop: () => this.#listeners.delete(onChange) };
  }

  /**
   * Sets the link state and tells every watcher. Down while down tells nobody; up while up tells up again, as the
   * real monitor does when the address to send from changed (a renumbering): the instance then asks its transport
   * for that address anew (see {@link FakeTransport.primaryAddress}).
   */
  setUp(up: boolean): void {
    if (!up && !this.#up) return;
    this.#up = up;
    for (const listener of this.#listeners) listener(up);
  }
}
