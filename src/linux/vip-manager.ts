/**
 * Virtual addresses through rtnetlink, and their announcement.
 *
 * Rules:
 * - Never remove an address we did not add: an address that already existed when we added it (EEXIST) stays the
 *   user's. What we add is recorded both in memory and in a marker file, so that a run that crashed with VIPs up
 *   can be cleaned by the next run (`prepare`) — only addresses whose marker names a dead process are touched.
 * - Markers live in /run/vrrp/<network namespace>/<interface>/<address>, holding the owner's pid. /run is a tmpfs:
 *   markers vanish at reboot, exactly when the addresses do.
 * - IPv6 VIPs are added with IFA_F_NODAD (duplicate address detection would keep a taking-over master's address
 *   tentative, unusable, for about a second) and deprecated (preferred lifetime 0) so they are never chosen as a
 *   source address: a unicast peer that checks sources, as keepalived does, would drop adverts sent from a VIP.
 * - Announcing (gratuitous ARP / unsolicited NA) is delegated to an {@link AnnouncementSender}; this class only
 *   schedules keepalived's bursts: `repeat` frames at once, a second burst after `delayMs`, and one every
 *   `refreshMs` while the addresses stay up.
 */
import { mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VipManager } from '../adapters/types.js';
import type { GarpConfig, VirtualAddress } from '../config.js';
import { parseIp } from '../core/ip-address.js';
import { VrrpError } from '../errors.js';
import { AF, getInterface, getInterfaceAddresses, netlinkErrno, requestSocket } from './interfaces.js';

/** Sends announcement frames; the Linux implementation uses an AF_PACKET socket. */
export interface AnnouncementSender {
  /** Sends `repeat` announcements for each address out of `ifname`. */
  announce(ifname: string, addresses: readonly VirtualAddress[], options: { repeat: number }): Promise<void> | void;
  /** Releases sockets. */
  close(): void;
}

/** Options of {@link NetlinkVipManager}. */
export interface NetlinkVipManagerOptions {
  /** Sends the frames; without one, `announce` does nothing (e.g. where AF_PACKET is unavailable). */
  announcer?: AnnouncementSender;
  /** Burst schedule (keepalived's defaults when omitted). */
  garp?: GarpConfig;
  /** Where markers live (default /run/vrrp). */
  stateDir?: string;
  /** Called when a scheduled (second or refresh) burst fails; nothing awaits those. */
  onError?: (error: Error) => void;
}

/** A {@link VipManager} over rtnetlink. */
export class NetlinkVipManager implements VipManager {
  readonly #ours = new Set<string>();
  readonly #announcer: AnnouncementSender | undefined;
  readonly #garp: Required<GarpConfig>;
  readonly #stateDir: string;
  #onError: (error: Error) => void;
  readonly #timers = new Set<NodeJS.Timeout>();

  /** Creates a manager; nothing touches the system until a method is called. */
  constructor(options: NetlinkVipManagerOptions = {}) {
    this.#announcer = options.announcer;
    this.#garp = { repeat: 5, delayMs: 5000, refreshMs: 0, ...options.garp };
    this.#stateDir = options.stateDir ?? '/run/vrrp';
    this.#onError = options.onError ?? (() => {});
  }

  /** See {@link VipManager.setErrorHandler}. */
  setErrorHandler(handler: (error: Error) => void): void {
    this.#onError = handler;
  }

  /** Addresses this manager added and has not removed yet. */
  get added(): ReadonlySet<string> {
    return this.#ours;
  }

  /** See {@link VipManager.prepare}: removes our leftovers of a crashed run. */
  async prepare(iface: string, addresses: readonly VirtualAddress[]): Promise<void> {
    const link = await getInterface(iface);
    if (!link) return;
    const dir = this.#markerDir(iface);
    let markers: string[];
    try {
      markers = readdirSync(dir);
    } catch {
      return;
    }
    const wanted = new Map(addresses.map((vip) => [markerName(vip.address), vip]));
    for (const marker of markers) {
      const vip = wanted.get(marker);
      if (!vip) continue;
      const owner = Number(readFileSync(join(dir, marker), 'utf8').trim());
      if (owner !== process.pid && processAlive(owner)) continue; // a live process holds it: not a leftover
      const present = (await getInterfaceAddresses(link.index, vip.family)).some((a) => a.address === vip.address);
      if (present) await this.#delete(link.index, vip);
      rmSync(join(dir, marker), { force: true });
    }
  }

  /** See {@link VipManager.add}. Throws a VrrpError naming the address and the kernel's reason. */
  async add(iface: string, addresses: readonly VirtualAddress[]): Promise<void> {
    const link = await this.#link(iface);
    const failures: string[] = [];
    for (const vip of addresses) {
      const bytes = Buffer.from((parseIp(vip.address) as { bytes: Uint8Array }).bytes);
      const family = vip.family === 'ipv4' ? AF.ipv4 : AF.ipv6;
      const attrs: { local: Buffer; address: Buffer; label?: string; cacheInfo?: { ifaPrefered: number; ifaValid: number } } = { local: bytes, address: bytes };
      if (vip.label !== undefined) attrs.label = vip.label;
      // Deprecated (preferred lifetime 0, valid forever): still reachable, never picked as a source address, so our
      // own adverts (and the host's outgoing connections) keep the real address and a unicast peer keeps hearing us.
      if (vip.family === 'ipv6') attrs.cacheInfo = { ifaPrefered: 0, ifaValid: 0xffffffff };
      try {
        this.#writeMarker(iface, vip.address);
        await requestSocket().newAddress(
          { family, prefixlen: vip.prefixLength, index: link.index, ...(vip.family === 'ipv6' ? { flags: { nodad: true } } : {}) },
          attrs,
          { flags: { create: true, excl: true } },
        );
        this.#ours.add(vip.address);
      } catch (error) {
        const errno = netlinkErrno(error);
        if (!this.#ours.has(vip.address)) this.#removeMarker(iface, vip.address);
        if (errno === 'EEXIST') continue; // somebody else's address (or our own from before): not ours to remove
        failures.push(`${vip.address}/${vip.prefixLength}: ${errno ?? String(error)}`);
      }
    }
    if (failures.length > 0) throw new VrrpError('vip_failed', `cannot add ${failures.join(', ')} on ${iface}`);
  }

  /** See {@link VipManager.remove}. Only addresses this manager added are removed. */
  async remove(iface: string, addresses: readonly VirtualAddress[]): Promise<void> {
    this.#cancelBursts();
    const link = await this.#link(iface);
    const failures: string[] = [];
    for (const vip of addresses) {
      if (!this.#ours.has(vip.address)) continue;
      try {
        await this.#delete(link.index, vip);
      } catch (error) {
        failures.push(`${vip.address}/${vip.prefixLength}: ${netlinkErrno(error) ?? String(error)}`);
        continue;
      }
      this.#ours.delete(vip.address);
      this.#removeMarker(iface, vip.address);
    }
    if (failures.length > 0) throw new VrrpError('vip_failed', `cannot remove ${failures.join(', ')} from ${iface}`);
  }

  /** See {@link VipManager.announce}: a burst now, then keepalived's second burst and refreshes, until `remove`. */
  async announce(iface: string, addresses: readonly VirtualAddress[]): Promise<void> {
    const announcer = this.#announcer;
    if (!announcer || this.#garp.repeat === 0) return;
    this.#cancelBursts();
    await announcer.announce(iface, addresses, { repeat: this.#garp.repeat });
    const later = (delayMs: number, repeatEvery: boolean): void => {
      const timer = (repeatEvery ? setInterval : setTimeout)(() => {
        if (!repeatEvery) this.#timers.delete(timer);
        Promise.resolve()
          .then(() => announcer.announce(iface, addresses, { repeat: this.#garp.repeat }))
          .catch((cause: unknown) =>
            this.#onError(new VrrpError('vip_failed', `scheduled announcement on ${iface} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })),
          );
      }, delayMs);
      timer.unref();
      this.#timers.add(timer);
    };
    if (this.#garp.delayMs > 0) later(this.#garp.delayMs, false);
    if (this.#garp.refreshMs > 0) later(this.#garp.refreshMs, true);
  }

  /** See {@link VipManager.close}. */
  close(): void {
    this.#cancelBursts();
    this.#announcer?.close();
  }

  #cancelBursts(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  async #link(iface: string): Promise<{ index: number }> {
    const link = await getInterface(iface);
    if (!link) throw new VrrpError('vip_failed', `interface ${iface} does not exist`);
    return link;
  }

  async #delete(index: number, vip: VirtualAddress): Promise<void> {
    const bytes = Buffer.from((parseIp(vip.address) as { bytes: Uint8Array }).bytes);
    try {
      await requestSocket().delAddress(
        { family: vip.family === 'ipv4' ? AF.ipv4 : AF.ipv6, prefixlen: vip.prefixLength, index },
        { local: bytes, address: bytes },
      );
    } catch (error) {
      const errno = netlinkErrno(error);
      if (errno === 'EADDRNOTAVAIL' || errno === 'ENOENT' || errno === 'ESRCH') return; // already gone
      throw error;
    }
  }

  #markerDir(iface: string): string {
    return join(this.#stateDir, networkNamespaceId(), iface);
  }

  #writeMarker(iface: string, address: string): void {
    try {
      const dir = this.#markerDir(iface);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, markerName(address)), `${process.pid}\n`);
    } catch {
      // Markers only help a later run clean up after a crash; failing to write one must not block a takeover.
    }
  }

  #removeMarker(iface: string, address: string): void {
    rmSync(join(this.#markerDir(iface), markerName(address)), { force: true });
  }
}

function markerName(address: string): string {
  return address.replaceAll(':', '_');
}

function networkNamespaceId(): string {
  try {
    return /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/net'))?.[1] ?? 'default';
  } catch {
    return 'default';
  }
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
