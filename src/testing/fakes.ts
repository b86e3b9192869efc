/**
 * In-memory adapters: a transport that records what it sends and lets a test inject what it receives, a VIP
 * manager that keeps the addresses in a set, and a link monitor a test can flip. Each can fail on demand, so apps
 * can test their own error handling.
 */
import type { LinkMonitor, LinkWatch, ReceivedPacket, Transport, TransportOpened, TransportOptions, VipManager, VmacRequest } from '../adapters/types.js';
import { formatVirtualRoute, formatVirtualRule, type VirtualAddress, type VirtualRoute, type VirtualRule } from '../config.js';

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
  /** Options the instance opened with, once open. */
  options: TransportOptions | undefined;
  #onPacket: ((packet: ReceivedPacket) => void) | undefined;
  readonly #onSend: ((dst: string, bytes: Uint8Array) => void) | undefined;
  /** When set, the next `send` throws this error (once). */
  failNextSend: Error | undefined;

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
   * {@link FakeTransport.primaryAddress}.
   */
  async open(options: TransportOptions, onPacket: (packet: ReceivedPacket) => void): Promise<TransportOpened> {
    this.options = options;
    this.#onPacket = onPacket;
    return { primaryAddress: this.#pickPrimaryAddress() };
  }

  /**
   * See {@link Transport.resolvePrimaryAddress}: the configured `primaryAddress`, else
   * {@link FakeTransport.primaryAddress} as it is now.
   */
  async resolvePrimaryAddress(): Promise<string | undefined> {
    return this.#pickPrimaryAddress();
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
  /** Addresses currently "on the interface" (canonical text, no prefix). */
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

  /** See {@link VipManager.add}. */
  async add(iface: string, addresses: readonly VirtualAddress[]): Promise<void> {
    this.#record('add', addresses);
    let on = this.byInterface.get(iface);
    if (on === undefined) this.byInterface.set(iface, (on = new Set()));
    for (const vip of addresses) {
      this.addresses.add(vip.address);
      on.add(vip.address);
    }
  }

  /** See {@link VipManager.remove}. */
  async remove(iface: string, addresses: readonly VirtualAddress[]): Promise<void> {
    this.#record('remove', addresses);
    const on = this.byInterface.get(iface);
    for (const vip of addresses) {
      this.addresses.delete(vip.address);
      on?.delete(vip.address);
    }
    if (on?.size === 0) this.byInterface.delete(iface);
  }

  /** See {@link VipManager.announce}. */
  async announce(iface: string, addresses: readonly VirtualAddress[]): Promise<void> {
    this.#record('announce', addresses);
    this.announcements++;
    this.announcementsOn.set(iface, (this.announcementsOn.get(iface) ?? 0) + 1);
  }

  /** Routes currently "installed", as {@link formatVirtualRoute} writes them. */
  readonly routes = new Set<string>();

  /** See {@link VipManager.addRoutes}. */
  async addRoutes(routes: readonly VirtualRoute[]): Promise<void> {
    const texts = routes.map(formatVirtualRoute);
    this.#recordTexts('addRoutes', texts);
    for (const text of texts) this.routes.add(text);
  }

  /** See {@link VipManager.removeRoutes}. */
  async removeRoutes(routes: readonly VirtualRoute[]): Promise<void> {
    const texts = routes.map(formatVirtualRoute);
    this.#recordTexts('removeRoutes', texts);
    for (const text of texts) this.routes.delete(text);
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
