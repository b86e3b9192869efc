/**
 * Virtual addresses through rtnetlink, and their announcement.
 *
 * Rules:
 * - Never remove an address we did not add: an address that already existed when we added it (EEXIST) stays the
 *   user's. What we add is recorded both in memory and in a marker file, so that a run that crashed with VIPs up
 *   can be cleaned by the next run (`prepare`) — only addresses whose marker names a dead process are touched.
 * - Markers live in /run/vrrp/<network namespace>/<interface>/<address>, holding the owner's pid and, once the
 *   kernel acknowledged the add, the address's creation stamp — its identity, so a recycled namespace inode can
 *   never make us remove an address configured by hand. /run is a tmpfs: markers vanish at reboot, exactly when
 *   the addresses do.
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
import { AF, changeRequestSocket, getAllAddresses, getInterface, getInterfaceAddresses, netlinkErrno, toInterfaceAddress } from './interfaces.js';

/** Sends announcement frames; the Linux implementation uses an AF_PACKET socket. */
export interface AnnouncementSender {
  /** Sends `repeat` announcements for each address out of `ifname`. */
  announce(ifname: string, addresses: readonly VirtualAddress[], options: { repeat: number }): Promise<void> | void;
  /** Releases sockets. */
  close(): void;
  /** Optional: gets ready to send on `ifname` (opens its socket) so that the first takeover does not pay for it. */
  warm?(ifname: string): void;
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
  /** Acknowledgements of adds still outstanding: `remove` waits for them, so it knows what is ours. */
  #acknowledgements: Promise<void> = Promise.resolve();
  /** Interface indexes by name: a link dump costs milliseconds, and a takeover must not pay for one. */
  readonly #indexes = new Map<string, number>();

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
    this.#indexes.set(iface, link.index);
    try {
      this.#announcer?.warm?.(iface);
    } catch {
      // Reported when an announcement is actually attempted.
    }
    try {
      // Create the marker directory and write once, so that the takeover's marker write is a warm, single call.
      const probe = join(this.#markerDir(iface), '.probe');
      mkdirSync(this.#markerDir(iface), { recursive: true });
      writeFileSync(probe, `${process.pid}\n`);
      rmSync(probe, { force: true });
    } catch {
      // Markers are best effort (see #writeMarker).
    }
    // Run the add path once now, with a request the kernel refuses without touching anything (create|excl of an
    // address the interface already has: EEXIST), so that the first takeover runs compiled code — measured: the
    // first add cost 0.6 ms, later ones 0.1 ms, all of it between the takeover's advert and its gratuitous ARP.
    const family = addresses[0]?.family ?? 'ipv4';
    const existing = (await getInterfaceAddresses(link.index, family)).find((a) => !addresses.some((vip) => vip.address === a.address));
    if (existing) await newAddressRequest(link.index, { ...existing, label: undefined }).catch(() => undefined);
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
      const [owner = Number.NaN, stamp] = readFileSync(join(dir, marker), 'utf8').trim().split(/\s+/).map(Number);
      if (owner !== process.pid && processAlive(owner)) continue; // a live process holds it: not a leftover
      const stamps = await addressCreationStamps(link.index);
      const present = stamps.has(vip.address);
      // With a stamp, only that very address is ours; without one (a crash before it was written), the marker is.
      const ours = present && (stamp === undefined || Number.isNaN(stamp) || stamps.get(vip.address) === stamp);
      if (ours) await this.#delete(link.index, vip);
      rmSync(join(dir, marker), { force: true });
    }
  }

  /**
   * See {@link VipManager.add}. Resolves as soon as the requests are sent: rtnetlink applies a request inside the
   * sendmsg call, so the addresses are usable then, and waiting for the kernel's acknowledgement would put a whole
   * event-loop turn between the takeover's advert and its gratuitous ARP. The acknowledgements are checked in the
   * background; a refusal is reported through the error handler as a VrrpError naming the address and the
   * kernel's reason.
   */
  async add(iface: string, addresses: readonly VirtualAddress[]): Promise<void> {
    const link = await this.#link(iface);
    const requests = addresses.map((vip) => {
      // Counted as ours from the moment we ask (create|excl), so that a remove racing the acknowledgement removes
      // it; an EEXIST answer takes it back. The marker goes first: a crash right after the kernel applied the
      // request must still leave a trace for the next run (prepare() made this write cheap).
      const wasOurs = this.#ours.has(vip.address);
      this.#ours.add(vip.address);
      if (!wasOurs) this.#writeMarker(iface, vip.address);
      return { vip, reply: newAddressRequest(link.index, vip), wasOurs };
    });
    const settled = Promise.all(
      requests.map(async ({ vip, reply, wasOurs }) => {
        try {
          await reply;
          return undefined;
        } catch (error) {
          const errno = netlinkErrno(error);
          if (!wasOurs) {
            this.#ours.delete(vip.address);
            this.#removeMarker(iface, vip.address);
          }
          if (errno === 'EEXIST') return undefined; // somebody else's address (or ours already): not ours to remove
          if (errno === 'ENODEV') this.#indexes.delete(iface); // recreated interface: look its index up again
          return `${vip.address}/${vip.prefixLength}: ${errno ?? String(error)}`;
        }
      }),
    ).then(async (results) => {
      const failures = results.filter((failure): failure is string => failure !== undefined);
      if (failures.length > 0) this.#onError(new VrrpError('vip_failed', `cannot add ${failures.join(', ')} on ${iface}`));
      await this.#stampMarkers(iface, link.index, requests.filter((request, i) => results[i] === undefined && this.#ours.has(request.vip.address)).map((request) => request.vip));
    });
    this.#acknowledgements = this.#acknowledgements.then(() => settled);
  }



  /** See {@link VipManager.remove}. Only addresses this manager added are removed. */
  async remove(iface: string, addresses: readonly VirtualAddress[]): Promise<void> {
    this.#cancelBursts();
    await this.#acknowledgements;
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
    const cached = this.#indexes.get(iface);
    if (cached !== undefined) return { index: cached };
    const link = await getInterface(iface);
    if (!link) throw new VrrpError('vip_failed', `interface ${iface} does not exist`);
    this.#indexes.set(iface, link.index);
    return link;
  }

  async #delete(index: number, vip: VirtualAddress): Promise<void> {
    const bytes = Buffer.from((parseIp(vip.address) as { bytes: Uint8Array }).bytes);
    try {
      await changeRequestSocket().delAddress(
        { family: vip.family === 'ipv4' ? AF.ipv4 : AF.ipv6, prefixlen: vip.prefixLength, index },
        { local: bytes, address: bytes },
      );
    } catch (error) {
      const errno = netlinkErrno(error);
      if (errno === 'EADDRNOTAVAIL' || errno === 'ENOENT' || errno === 'ESRCH') return; // already gone
      throw error;
    }
  }

  /**
   * Adds the kernel's creation time of each address (centiseconds since boot) to its marker: the address's
   * identity. A later run then removes a leftover only if it is that very address — not one somebody configured by
   * hand after the namespace (and its inode, which names the marker directory) was recycled.
   */
  async #stampMarkers(iface: string, index: number, vips: readonly VirtualAddress[]): Promise<void> {
    if (vips.length === 0) return;
    try {
      const stamps = await addressCreationStamps(index);
      for (const vip of vips) {
        const stamp = stamps.get(vip.address);
        if (stamp !== undefined && this.#ours.has(vip.address)) this.#writeMarker(iface, vip.address, stamp);
      }
    } catch {
      // Without the stamp, the pid alone decides (see prepare).
    }
  }

  #markerDir(iface: string): string {
    return join(this.#stateDir, networkNamespaceId(), iface);
  }

  #writeMarker(iface: string, address: string, createdCs?: number): void {
    try {
      const dir = this.#markerDir(iface);
      const content = createdCs === undefined ? `${process.pid}\n` : `${process.pid} ${createdCs}\n`;
      try {
        writeFileSync(join(dir, markerName(address)), content);
      } catch {
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, markerName(address)), content);
      }
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

/** Creation time (IFA_CACHEINFO cstamp, centiseconds since boot) of every address on an interface. */
async function addressCreationStamps(index: number): Promise<Map<string, number>> {
  const stamps = new Map<string, number>();
  for (const message of await getAllAddresses()) {
    const address = toInterfaceAddress(message);
    const stamp = message.attrs.cacheInfo?.cstamp;
    if (address && address.index === index && stamp !== undefined) stamps.set(address.address, stamp);
  }
  return stamps;
}

/** An RTM_NEWADDR request with create|excl for one virtual address (the kernel applies it inside sendmsg). */
function newAddressRequest(index: number, vip: VirtualAddress): Promise<unknown> {
  const bytes = Buffer.from((parseIp(vip.address) as { bytes: Uint8Array }).bytes);
  const attrs: { local: Buffer; address: Buffer; label?: string; cacheInfo?: { ifaPrefered: number; ifaValid: number } } = { local: bytes, address: bytes };
  if (vip.label !== undefined) attrs.label = vip.label;
  // Deprecated (preferred lifetime 0, valid forever): still reachable, never picked as a source address, so our
  // own adverts (and the host's outgoing connections) keep the real address and a unicast peer keeps hearing us.
  if (vip.family === 'ipv6') attrs.cacheInfo = { ifaPrefered: 0, ifaValid: 0xffffffff };
  return changeRequestSocket().newAddress(
    { family: vip.family === 'ipv4' ? AF.ipv4 : AF.ipv6, prefixlen: vip.prefixLength, index, ...(vip.family === 'ipv6' ? { flags: { nodad: true } } : {}) },
    attrs,
    { flags: { create: true, excl: true } },
  );
}

let namespaceId: string | undefined;

/** The network namespace's inode (a process cannot change namespace under us, so it is read once). */
function networkNamespaceId(): string {
  if (namespaceId === undefined) {
    try {
      namespaceId = /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/net'))?.[1] ?? 'default';
    } catch {
      namespaceId = 'default';
    }
  }
  return namespaceId;
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
