/**
 * VMAC interfaces (keepalived's `use_vmac`; docs/vmac.md): a macvlan on the instance's interface whose MAC is the
 * virtual router MAC address of RFC 9568 §7.3, 00-00-5E-00-01-VRID (IPv4) or 00-00-5E-00-02-VRID (IPv6). It holds
 * the VIPs and sends the adverts, gratuitous ARP and unsolicited NA, so that the VIP's MAC never changes: a new
 * master is learnt by the switches from its first advert, and no host's neighbour cache is ever wrong.
 *
 * What keepalived 2.2.7 makes, and so what this makes (its behaviour read in its source; the facts in docs/vmac.md):
 * - a macvlan in private mode: a frame whose source MAC is a local macvlan's is handed to that macvlan only, so a
 *   backup's VMAC hears the master's adverts (they carry the same MAC), which the base interface would never see;
 * - made at start in every state and left up, deleted at a clean stop; a VMAC of the same VRID and family on the
 *   same interface that is there already (a crashed run's) is taken as it is;
 * - IPv4: on the VMAC `arp_ignore=1` (it answers ARP only for its own addresses, i.e. on the master),
 *   `accept_local=1`, `rp_filter=0` (the adverts' sources are routed through the base, which strict reverse-path
 *   filtering on the VMAC would drop), `promote_secondaries=1`, IPv6 off; on the base `arp_ignore=1` and
 *   `arp_filter=1` (it must not answer ARP for the VIPs on the VMAC) — and `arp_announce=2`, which keepalived does
 *   not set (see BASE_ARP_SYSCTLS) — put back when its last VMAC of ours goes;
 * - IPv6: no address of the kernel's making (`addr_gen_mode` none, set before the link is up), then the base's
 *   link-local address (or the configured source), deprecated and without DAD, to send the adverts from.
 *
 * - and what keepalived's nftables rules do: the VMAC's IGMP and MLD reports sent with the base's MAC, its router
 *   solicitations dropped (native/vmac_guard.c says why: each such frame taught a switch that the master's MAC was
 *   at a backup's port).
 *
 * Pure parts (names, MAC, requests, the choice among existing links) are unit-tested without root
 * (test/linux/vmac.test.ts); the rest is thin I/O, tested in the lab (test/interop/vmac.test.ts).
 */
import { mkdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { VirtualAddress } from '../config.js';
import type { AddressFamily } from '../core/advertisement.js';
import { isIpv6LinkLocal, parseIp } from '../core/ip-address.js';
import { VrrpError } from '../errors.js';
import { loadAddon, toPacketSocketError } from './addon.js';
import { getInterfaceAddresses, getLinkDetails, sameBytes, type LinkDetails } from './interfaces.js';
import { addressRequest, RTM_DELADDR, RTM_NEWADDR } from './vip/address-request.js';
import { NLM_F_EXCL_CREATE, netlinkRequest, packAttributes, u32Payload, type NetlinkRequest } from './vip/netlink-request.js';
import { markerDirectory, networkNamespaceId } from './vip/markers.js';
import { sendNetlinkRequest } from './vip/netlink-send.js';

/** RTM_NEWLINK / RTM_DELLINK (linux/rtnetlink.h). */
export const RTM_NEWLINK = 16;
/** See {@link RTM_NEWLINK}. */
export const RTM_DELLINK = 17;
const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_LINK = 5;
const IFLA_LINKINFO = 18;
const IFLA_AF_SPEC = 26;
const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const IFLA_MACVLAN_MODE = 1;
/** linux/if_link.h: frames between macvlans of one lower device are not passed; see the file comment. */
export const MACVLAN_MODE_PRIVATE = 1;
const AF_INET6 = 10;
const IFLA_INET6_ADDR_GEN_MODE = 8;
const IN6_ADDR_GEN_MODE_NONE = 1;
const IFF_UP = 0x1;
/** sizeof(struct ifinfomsg). */
const IFINFOMSG_BYTES = 16;

/** The virtual router MAC address of RFC 9568 §7.3 for a family and VRID. Pure. */
export function vmacAddress(family: AddressFamily, vrid: number): Uint8Array {
  return Uint8Array.of(0x00, 0x00, 0x5e, 0x00, family === 'ipv4' ? 0x01 : 0x02, vrid);
}

/**
 * The names a VMAC without a configured name may take, in keepalived's order: `vrrp.<VRID>`, then (IPv6)
 * `vrrp6.<VRID>`, then `vrrp1.<VRID>`… `vrrp9.<VRID>` (keepalived goes on; nine other VMACs of one VRID on one
 * host would be a configuration nobody has). Pure.
 */
export function vmacNames(family: AddressFamily, vrid: number): string[] {
  const names = [`vrrp.${vrid}`];
  if (family === 'ipv6') names.push(`vrrp6.${vrid}`);
  for (let n = 1; n <= 9; n++) if (family === 'ipv4' || n !== 6) names.push(`vrrp${n}.${vrid}`);
  return names;
}

/** What a VMAC's start is to do: take `name` as it is (`existing`), make it, or delete the link there and make it. */
export interface VmacChoice {
  /** The VMAC's name. */
  name: string;
  /** The link of that name that is fit to be taken as it is; undefined: to be made. */
  existing: LinkDetails | undefined;
  /**
   * What is deleted before it is made: a macvlan of that name unfit for this VMAC (another MAC or mode), and our
   * VMAC under another name (the kernel refuses two macvlans of one MAC on one device); empty: nothing.
   */
  replace: readonly LinkDetails[];
}

/**
 * The index a VMAC on `base` names as its lower device: the base's, or — a base that is a macvlan itself, as a
 * container's eth0 often is — the base's own lower device, which the kernel puts a macvlan made on it on (keepalived
 * says the same in vrrp_vmac.c). Pure.
 */
export function lowerIndexOf(base: LinkDetails): number | undefined {
  return base.kind === 'macvlan' ? base.parentIndex : base.index;
}

/** Whether `link` is this VMAC already: a private macvlan on `base`'s lower device with `mac`. Pure. */
export function isVmacOf(link: LinkDetails, base: LinkDetails, mac: Uint8Array): boolean {
  return link.kind === 'macvlan' && link.index !== base.index && link.parentIndex === lowerIndexOf(base) && link.macvlanMode === MACVLAN_MODE_PRIVATE && sameBytes(link.mac, mac);
}

/**
 * Picks the VMAC's name among the links there are (keepalived's choice). A configured name is taken: a macvlan of
 * that name that does not fit is replaced, any other kind of link of that name is a conflict (thrown), and so is a
 * name another VMAC of this thread has (`taken`); a VMAC of ours under another name (a crashed run's, before the
 * name was configured) is replaced by one of the configured name, since the kernel refuses two macvlans with one
 * MAC on one device. Without a name, a VMAC of ours there under any name is taken (a crashed run's), else the first
 * default name that no link has. Pure.
 */
export function chooseVmac(links: readonly LinkDetails[], base: LinkDetails, family: AddressFamily, vrid: number, name: string | undefined, taken: ReadonlySet<string> = NO_NAMES): VmacChoice {
  const mac = vmacAddress(family, vrid);
  const there = links.find((link) => isVmacOf(link, base, mac));
  if (name !== undefined) {
    if (taken.has(name)) throw new VrrpError('vip_failed', `VMAC ${name}: another instance's VMAC has that name; name another`);
    const link = links.find((candidate) => candidate.name === name);
    if (link !== undefined && isVmacOf(link, base, mac)) return { name, existing: link, replace: NOTHING };
    if (link !== undefined && link.kind !== 'macvlan') throw new VrrpError('vip_failed', `VMAC ${name}: an interface of that name is there and is not a macvlan (${link.kind ?? 'a device'}); name another`);
    // Another virtual router's VMAC (another VRID, family or interface; another process's, maybe) is never deleted.
    if (link !== undefined && isAnyVmac(link)) throw new VrrpError('vip_failed', `VMAC ${name}: that name is another virtual router's VMAC (${hex(link.mac)}); name another`);
    // A macvlan of that name that does not fit, and our VMAC under another name.
    return { name, existing: undefined, replace: [...(link === undefined ? [] : [link]), ...(there === undefined ? [] : [there])] };
  }
  if (there !== undefined) return { name: there.name, existing: there, replace: NOTHING };
  for (const candidate of vmacNames(family, vrid)) {
    if (!taken.has(candidate) && !links.some((link) => link.name === candidate)) return { name: candidate, existing: undefined, replace: NOTHING };
  }
  throw new VrrpError('vip_failed', `VMAC of VRID ${vrid} on ${base.name}: every default name is taken (${vmacNames(family, vrid).join(', ')}); name one`);
}

const NO_NAMES: ReadonlySet<string> = new Set();
const NOTHING: readonly LinkDetails[] = Object.freeze([]);

/** Whether `link` is a VMAC at all: a private macvlan with a virtual router MAC (00:00:5e:00:01:xx or :02:xx). Pure. */
export function isAnyVmac(link: LinkDetails): boolean {
  const mac = link.mac;
  return link.kind === 'macvlan' && link.macvlanMode === MACVLAN_MODE_PRIVATE && mac.length === 6 && mac[0] === 0 && mac[1] === 0 && mac[2] === 0x5e && mac[3] === 0 && (mac[4] === 1 || mac[4] === 2);
}

/** A `struct ifinfomsg` (linux/rtnetlink.h): family unspecified, the link's index, flags and the flags changed. */
function ifinfo(index: number, flags: number, change: number, littleEndian: boolean): Uint8Array {
  const header = new Uint8Array(IFINFOMSG_BYTES);
  const view = new DataView(header.buffer);
  view.setInt32(4, index, littleEndian);
  view.setUint32(8, flags, littleEndian);
  view.setUint32(12, change, littleEndian);
  return header;
}

/** RTM_NEWLINK that makes the VMAC `name` on `baseIndex` with `mac`, in private mode; EEXIST if there. Pure. */
export function vmacCreateRequest(name: string, baseIndex: number, mac: Uint8Array, littleEndian = true): NetlinkRequest<typeof RTM_NEWLINK> {
  const info = packAttributes(
    [
      [IFLA_INFO_KIND, new TextEncoder().encode('macvlan')],
      [IFLA_INFO_DATA, packAttributes([[IFLA_MACVLAN_MODE, u32Payload(MACVLAN_MODE_PRIVATE, littleEndian)]], littleEndian)],
    ],
    littleEndian,
  );
  return netlinkRequest(RTM_NEWLINK, NLM_F_EXCL_CREATE, ifinfo(0, 0, 0, littleEndian), [
    [IFLA_IFNAME, new TextEncoder().encode(`${name}\0`)],
    [IFLA_LINK, u32Payload(baseIndex, littleEndian)],
    [IFLA_ADDRESS, mac],
    [IFLA_LINKINFO, info],
  ], littleEndian);
}

/**
 * RTM_NEWLINK that turns off the kernel's own IPv6 addresses on link `index` (addr_gen_mode none): a VMAC must
 * send nothing from an address of its MAC's making (RFC 9568 §7.4); the kernel ignores this at creation. Pure.
 */
export function addrGenModeNoneRequest(index: number, littleEndian = true): NetlinkRequest<typeof RTM_NEWLINK> {
  const inet6 = packAttributes([[IFLA_INET6_ADDR_GEN_MODE, Uint8Array.of(IN6_ADDR_GEN_MODE_NONE)]], littleEndian);
  return netlinkRequest(RTM_NEWLINK, 0, ifinfo(index, 0, 0, littleEndian), [[IFLA_AF_SPEC, packAttributes([[AF_INET6, inet6]], littleEndian)]], littleEndian);
}

/** RTM_NEWLINK that sets link `index` administratively up. Pure. */
export function linkUpRequest(index: number, littleEndian = true): NetlinkRequest<typeof RTM_NEWLINK> {
  return netlinkRequest(RTM_NEWLINK, 0, ifinfo(index, IFF_UP, IFF_UP, littleEndian), [], littleEndian);
}

/** RTM_DELLINK of link `index`. Pure. */
export function linkDeleteRequest(index: number, littleEndian = true): NetlinkRequest<typeof RTM_DELLINK> {
  return netlinkRequest(RTM_DELLINK, 0, ifinfo(index, 0, 0, littleEndian), [], littleEndian);
}

/** What a VMAC is made for. */
export interface VmacSpec {
  /** The interface it sits on (the instance's). */
  base: string;
  /** The instance's family: the MAC's, and which sysctls apply. */
  family: AddressFamily;
  /** The instance's VRID. */
  vrid: number;
  /** A configured name; undefined: chosen (see {@link chooseVmac}). */
  name: string | undefined;
  /** IPv6: the configured source address, put on the VMAC instead of the base's link-local address. */
  source?: string | undefined;
  /** The adverts go from the base (`xmitBase`): an IPv6 VMAC then needs no address to send from. */
  xmitBase?: boolean;
  /** Where the base's sysctls are kept across a crash (the VIP manager's marker directory; default: markerDirectory()). */
  stateDir?: string | undefined;
}

/** A VMAC this thread holds: its name and index, what it was made for, and who holds it now. */
export interface HeldVmac {
  /** Its name. */
  readonly name: string;
  /** Its index when last made or taken. */
  index: number;
  /** What it was made for, as its latest holder said (a reconfigure may change the source). */
  spec: VmacSpec;
  /**
   * Who holds it (a VIP manager); undefined between a handover's release and the next engine's take. Another
   * holder of the same VRID, family and interface is refused: its failed start would delete this one's VMAC.
   */
  owner: object | undefined;
  /** Its guard (native/vmac_guard.c) while one is attached to `index`; undefined: none could be. */
  guard: unknown;
  /** Why it has no guard, if it has none (for the VIP manager to report). */
  unguarded: string | undefined;
  /** Whether `unguarded` was reported (once per VMAC and index, whichever engine holds it). */
  unguardedSaid: boolean;
}

/** The VMACs this thread holds, by name; and the sysctls of each base it changed, with how many VMACs need them. */
const held = new Map<string, HeldVmac>();
const bases = new Map<string, Map<string, string | undefined>>();
const baseCounts = new Map<string, number>();
/** Where each held base's sysctls were saved: its last release removes that file, whoever releases it. */
const basePaths = new Map<string, string | undefined>();
/**
 * The base's ARP sysctls while it has a VMAC of ours, each put back at its last VMAC's stop: it must not answer ARP
 * for the VIPs on the VMAC (`arp_ignore`, `arp_filter`, as keepalived sets them), and its own ARP requests must
 * not name a VIP as their sender (`arp_announce` 2, which keepalived leaves alone): a master's reply to a client on
 * the VIP's subnet leaves through the base (its prefix route is the older), and the ARP request for that client
 * taught the client the base's MAC for the VIP — seen in the lab beside keepalived, whose clients then lost the
 * VIP at its next failover until they asked again.
 */
const BASE_ARP_SYSCTLS: readonly (readonly [name: string, value: string])[] = [
  ['arp_ignore', '1'],
  ['arp_filter', '1'],
  ['arp_announce', '2'],
];
/** One VMAC change at a time in a thread: two instances of one VRID (IPv4 and IPv6) must not pick one name. */
let queue: Promise<unknown> = Promise.resolve();

function serialized<T>(task: () => Promise<T>): Promise<T> {
  const run = queue.then(task, task);
  queue = run.catch(() => undefined);
  return run;
}

/** How often a make that met EEXIST (another process made the name meanwhile) chooses again. */
const MAKE_ATTEMPTS = 3;

/**
 * Makes the VMAC for `spec` on behalf of `owner`, or takes the one there (see {@link chooseVmac}); resolves with
 * it. Again for a VMAC held already: made again if it is gone (deleted behind our back, or with its base), its
 * IPv6 address put back if it lost it, nothing else — keepalived does not set up a VMAC someone set down either. A
 * VMAC taken at a first hold (a crashed run's) gets its sysctls again and is set up. Refuses a VMAC another owner
 * holds, and a host whose `net.ipv4.conf.all.rp_filter` is 1: strict reverse-path filtering would drop every
 * advert the VMAC receives. A failure leaves nothing it made: a link made is deleted, a first hold undone.
 */
export function ensureVmac(spec: VmacSpec, owner: object): Promise<HeldVmac> {
  return serialized(async () => {
    const mine = [...held.values()].find((vmac) => vmac.spec.base === spec.base && vmac.spec.family === spec.family && vmac.spec.vrid === spec.vrid);
    if (mine?.owner !== undefined && mine.owner !== owner) {
      throw new VrrpError('vip_failed', `VMAC ${mine.name}: VRID ${spec.vrid} (${spec.family}) on ${spec.base} is another instance's`);
    }
    if (spec.family === 'ipv4') await refuseStrictReversePath();
    const taken = new Set([...held.values()].filter((vmac) => vmac !== mine).map((vmac) => vmac.name));
    for (let attempt = 1; ; attempt++) {
      const links = await getLinkDetails();
      const base = links.find((link) => link.name === spec.base);
      if (base === undefined) throw new VrrpError('vip_failed', `VMAC: interface ${spec.base} does not exist`);
      const choice = chooseVmac(links, base, spec.family, spec.vrid, spec.name ?? mine?.name, taken);
      try {
        return await hold(spec, owner, mine, choice, base);
      } catch (error) {
        if (!(error instanceof VrrpError && error.message.endsWith(': EEXIST')) || attempt >= MAKE_ATTEMPTS) throw error;
      }
    }
  });
}

/** ensureVmac's work once the name is chosen; undoes what it did when it fails. */
async function hold(spec: VmacSpec, owner: object, mine: HeldVmac | undefined, choice: VmacChoice, base: LinkDetails): Promise<HeldVmac> {
  let made: number | undefined;
  let vmac: HeldVmac | undefined;
  const firstHold = mine === undefined;
  try {
    if (choice.existing === undefined) {
      for (const old of choice.replace) await request(linkDeleteRequest(old.index), `delete the macvlan ${old.name} that is not this VMAC`);
      made = await makeVmac(choice.name, base, spec);
    } else if (firstHold || mine.index !== choice.existing.index) {
      // A crashed run's, or someone's (made again under our name behind our back): as we would have made it.
      await vmacSysctls(choice.name, spec);
      await request(addrGenModeNoneRequest(choice.existing.index), `turn off the kernel's IPv6 addresses on VMAC ${choice.name}`, spec.family === 'ipv4');
    }
    const index = made ?? (choice.existing as LinkDetails).index;
    if (mine !== undefined && (mine.name !== choice.name || mine.index !== index)) closeGuard(mine);
    if (mine !== undefined && mine.name !== choice.name) held.delete(mine.name);
    vmac = mine !== undefined && mine.name === choice.name ? mine : { name: choice.name, index, spec, owner, guard: undefined, unguarded: undefined, unguardedSaid: false };
    if (vmac.index !== index) {
      vmac.index = index;
      vmac.unguardedSaid = false;
    }
    const oldSource = vmac.spec.source;
    vmac.spec = spec;
    vmac.owner = owner;
    held.set(vmac.name, vmac);
    if (firstHold && spec.family === 'ipv4') await holdBase(spec.base, base.mac, spec.stateDir);
    // A base deleted and back (its VMAC went with it) has the kernel's defaults again: ours once more.
    else if (made !== undefined && spec.family === 'ipv4') await applyBaseSysctls(spec.base);
    // Before the link is up, so that not even its first frames go unguarded.
    if (vmac.guard === undefined) guard(vmac, base);
    if (made !== undefined || (firstHold && choice.existing?.adminUp === false)) await request(linkUpRequest(index), `set VMAC ${vmac.name} up`);
    if (spec.family === 'ipv6' && oldSource !== undefined && oldSource !== spec.source) await removeSource(vmac, oldSource);
    if (spec.family === 'ipv6' && spec.xmitBase !== true) await addLinkLocal(vmac, base.index);
    return vmac;
  } catch (error) {
    if (made !== undefined) await sendNetlinkRequest(linkDeleteRequest(made)); // best effort: the failure is the one thrown
    if (firstHold && vmac !== undefined) {
      held.delete(vmac.name);
      closeGuard(vmac);
      if (spec.family === 'ipv4') await releaseBase(spec.base).catch(() => undefined);
    }
    throw error;
  }
}

/**
 * Deletes a VMAC this thread holds (a clean stop, a failed start) for `owner` — or one nobody holds (released by
 * the manager's close, which a stop does first) — and puts its base's sysctls back when it was the last there.
 * Without a hold in this thread, `spec` names what to delete (an engine thread that died: its holds died with it):
 * the link of that name if it is that VMAC, nothing else.
 */
export function removeVmac(name: string, owner: object, spec?: VmacSpec): Promise<void> {
  return serialized(async () => {
    const vmac = held.get(name);
    if (vmac !== undefined && vmac.owner !== undefined && vmac.owner !== owner) return;
    const what = vmac?.spec ?? spec;
    if (what === undefined) return;
    if (vmac !== undefined) {
      held.delete(name);
      closeGuard(vmac);
    }
    const links = await getLinkDetails();
    const link = links.find((candidate) => candidate.name === name);
    const base = links.find((candidate) => candidate.name === what.base);
    try {
      // Only if it is still that VMAC: a link someone made under its name since is not deleted.
      if (link !== undefined && base !== undefined && isVmacOf(link, base, vmacAddress(what.family, what.vrid))) {
        await request(linkDeleteRequest(link.index), `delete VMAC ${name}`);
      }
    } finally {
      // A hold of this thread counts; a dead thread's left its saved values, put back if no VMAC is on the base now.
      if (vmac !== undefined && what.family === 'ipv4') await releaseBase(what.base);
      else if (vmac === undefined && what.family === 'ipv4' && !baseCounts.has(what.base)) await restoreBase(what.base, undefined, savedSysctlsPath(what.base, what.stateDir));
    }
  });
}

/** Lets go of the VMACs `owner` holds without deleting them: a handover leaves them up for the engine that follows. */
export function releaseVmacs(owner: object): void {
  for (const vmac of held.values()) if (vmac.owner === owner) vmac.owner = undefined;
}

/**
 * Attaches the VMAC's guard; when it cannot be (no tcx before Linux 6.6, no CAP_BPF), `unguarded` says so and what
 * it costs, for the VIP manager to report: the VMAC works, but switches may learn its MAC at a backup.
 */
function guard(vmac: HeldVmac, base: LinkDetails): void {
  try {
    vmac.guard = loadAddon().vmacGuardOpen(vmac.index, base.mac);
    vmac.unguarded = undefined;
  } catch (error) {
    const cause = toPacketSocketError(`VMAC ${vmac.name}`, error);
    vmac.unguarded = `${cause instanceof Error ? cause.message : String(cause)}: its IGMP / MLD reports go out with the VMAC's MAC, and its router solicitations too, so a switch may take this node for the master until the master's next advert (docs/vmac.md)`;
  }
}

function closeGuard(vmac: HeldVmac): void {
  if (vmac.guard === undefined) return;
  try {
    loadAddon().vmacGuardClose(vmac.guard);
  } catch {
    // Closed already: nothing is attached.
  }
  vmac.guard = undefined;
}

async function makeVmac(name: string, base: LinkDetails, spec: VmacSpec): Promise<number> {
  await request(vmacCreateRequest(name, base.index, vmacAddress(spec.family, spec.vrid)), `make VMAC ${name} on ${base.name}`);
  const made = (await getLinkDetails()).find((link) => link.name === name);
  if (made === undefined) throw new VrrpError('vip_failed', `VMAC ${name}: made, then not found`);
  try {
    // Before the link is up: no address of the kernel's making, no ARP answered for the base's addresses.
    await vmacSysctls(name, spec);
    await request(addrGenModeNoneRequest(made.index), `turn off the kernel's IPv6 addresses on VMAC ${name}`, spec.family === 'ipv4');
  } catch (error) {
    await sendNetlinkRequest(linkDeleteRequest(made.index)); // best effort: the failure is the one thrown
    throw error;
  }
  return made.index; // set up by the caller, once guarded
}

/** The VMAC's own sysctls (IPv4; see the file comment). */
async function vmacSysctls(name: string, spec: VmacSpec): Promise<void> {
  // Whatever its family, a VMAC answers no ARP for the host's IPv4 addresses (an IPv6 one has no IPv4 address of
  // its own, and would otherwise answer for the base's with its MAC) and takes no router's word for an address or a
  // route (a SLAAC address made from its MAC would be every node's, and a default route through it would send with
  // the master's MAC from a backup).
  await sysctl(`ipv4/conf/${name}/arp_ignore`, '1');
  await sysctl(`ipv6/conf/${name}/accept_ra`, '0', true);
  await sysctl(`ipv6/conf/${name}/autoconf`, '0', true);
  if (spec.family !== 'ipv4') return;
  await sysctl(`ipv4/conf/${name}/accept_local`, '1');
  await sysctl(`ipv4/conf/${name}/rp_filter`, '0');
  await sysctl(`ipv4/conf/${name}/promote_secondaries`, '1');
  await sysctl(`ipv6/conf/${name}/disable_ipv6`, '1', true);
}

/** Puts the advert source (the configured one, else the base's link-local address) on an IPv6 VMAC. */
async function addLinkLocal(vmac: HeldVmac, baseIndex: number): Promise<void> {
  let source = vmac.spec.source;
  if (source === undefined) {
    const addresses = await getInterfaceAddresses(baseIndex, 'ipv6');
    source = addresses.find((address) => !address.tentative && isIpv6LinkLocal(parseIp(address.address)?.bytes ?? EMPTY))?.address;
  }
  if (source === undefined) return; // the base has none yet (its link is down): added when it comes up (ensureVmac again)
  const add = addressRequest(RTM_NEWADDR, vmac.index, sourceAddress(source));
  const errno = await sendNetlinkRequest(add);
  if (errno !== undefined && errno !== 'EEXIST') throw new VrrpError('vip_failed', `VMAC ${vmac.name}: cannot add ${source} to send from: ${errno}`);
}

/**
 * Where the base's sysctls as they were before its first VMAC are kept while it has one: a run that crashes leaves
 * them changed, and the next run must put back the host's values, not the ones the crashed run set. In the marker
 * directory (the VIP manager's `stateDir`, else src/linux/vip/markers.ts's: /run/vrrp, gone at a reboot), by network
 * namespace and interface.
 */
function savedSysctlsPath(base: string, stateDir: string | undefined): string | undefined {
  return base.includes('/') ? undefined : join(stateDir ?? markerDirectory(), 'vmac-sysctls', networkNamespaceId(), `${base}.json`);
}

/** Takes an advert source that the configuration no longer names off an IPv6 VMAC. */
async function removeSource(vmac: HeldVmac, source: string): Promise<void> {
  const errno = await sendNetlinkRequest(addressRequest(RTM_DELADDR, vmac.index, sourceAddress(source)));
  if (errno !== undefined && errno !== 'EADDRNOTAVAIL' && errno !== 'ENOENT') throw new VrrpError('vip_failed', `VMAC ${vmac.name}: cannot take ${source} off: ${errno}`);
}

/**
 * An advert source as an IPv6 VMAC holds it: a link-local address as the base has it (/64); a configured global
 * one as a host address, so that no second route to its prefix goes through the VMAC.
 */
function sourceAddress(source: string): VirtualAddress {
  return { address: source, prefixLength: isIpv6LinkLocal(parseIp(source)?.bytes ?? EMPTY) ? 64 : 128, family: 'ipv6' };
}

async function holdBase(base: string, baseMac: Uint8Array, stateDir: string | undefined): Promise<void> {
  const count = baseCounts.get(base) ?? 0;
  baseCounts.set(base, count + 1);
  if (count > 0) return;
  const path = savedSysctlsPath(base, stateDir);
  basePaths.set(base, path);
  const saved = path === undefined ? undefined : await readSaved(path, baseMac);
  const before = new Map<string, string | undefined>();
  bases.set(base, before);
  for (const [name] of BASE_ARP_SYSCTLS) before.set(name, saved?.[name] ?? (await readSysctl(`ipv4/conf/${base}/${name}`)));
  if (saved === undefined && path !== undefined) {
    try {
      await mkdir(dirname(path), { recursive: true });
      // Exclusive: another process (or thread) that got here first kept the host's values; ours would be its.
      const record = { ...Object.fromEntries(before), baseMac: hex(baseMac) };
      await writeFile(path, JSON.stringify(record), { flag: 'wx' }).catch(async (error: unknown) => {
        // Another (a stale one, of a namespace whose number was given again) is replaced.
        if ((error as NodeJS.ErrnoException).code === 'EEXIST' && (await readSaved(path, baseMac)) === undefined) await writeFile(path, JSON.stringify(record));
        else throw error;
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        const first = await readSaved(path, baseMac);
        for (const [name] of BASE_ARP_SYSCTLS) if (first?.[name] !== undefined) before.set(name, first[name]);
      }
      // Unwritable: the values are still put back at a clean stop; only a crash's are lost (as keepalived's are).
    }
  }
  await applyBaseSysctls(base);
}

/**
 * The base's sysctls as kept by a run before, if the file is there and is this base's — the same MAC: a namespace's
 * number is given again after it goes, and its file might outlive it (a run killed with it).
 */
async function readSaved(path: string, baseMac: Uint8Array): Promise<Record<string, string> | undefined> {
  try {
    const saved = JSON.parse(await readFile(path, 'utf8')) as Record<string, string>;
    return saved.baseMac === hex(baseMac) ? saved : undefined;
  } catch {
    return undefined; // none: no run of ours left this base changed
  }
}

/** The base's ARP sysctls as a VMAC needs them (BASE_ARP_SYSCTLS). */
async function applyBaseSysctls(base: string): Promise<void> {
  for (const [name, value] of BASE_ARP_SYSCTLS) if ((await readSysctl(`ipv4/conf/${base}/${name}`)) !== value) await sysctl(`ipv4/conf/${base}/${name}`, value);
}

async function releaseBase(base: string): Promise<void> {
  const count = (baseCounts.get(base) ?? 1) - 1;
  if (count > 0) {
    baseCounts.set(base, count);
    return;
  }
  baseCounts.delete(base);
  const before = bases.get(base);
  const path = basePaths.get(base);
  bases.delete(base);
  basePaths.delete(base);
  await restoreBase(base, before, path);
}

/**
 * Puts the base's ARP sysctls back to `before` (undefined: as the saved file has them), unless another IPv4 VMAC
 * is on that base (another process's, or another thread's: each counts its own); then forgets the saved file.
 */
async function restoreBase(base: string, before: ReadonlyMap<string, string | undefined> | undefined, path: string | undefined): Promise<void> {
  const links = await getLinkDetails();
  const baseLink = links.find((link) => link.name === base);
  const others = baseLink === undefined ? [] : links.filter((link) => isAnyVmac(link) && link.index !== baseLink.index && link.parentIndex === lowerIndexOf(baseLink) && link.mac[4] === 1);
  if (others.length > 0) return;
  let values = before;
  if (values === undefined) {
    const saved = path === undefined || baseLink === undefined ? undefined : await readSaved(path, baseLink.mac);
    if (saved === undefined) return; // nothing saved: nothing of ours to put back
    values = new Map(Object.entries(saved));
  }
  // Only what was changed, and only if nobody changed it since (as keepalived puts rp_filter back).
  const failures: string[] = [];
  for (const [name, value] of BASE_ARP_SYSCTLS) {
    const was = values?.get(name);
    if (was === undefined || was === value) continue;
    if ((await readSysctl(`ipv4/conf/${base}/${name}`)) !== value) continue;
    await sysctl(`ipv4/conf/${base}/${name}`, was).catch((error: unknown) => failures.push(error instanceof Error ? error.message : String(error)));
  }
  if (failures.length > 0) throw new VrrpError('vip_failed', `${base}'s ARP sysctls not all put back: ${failures.join('; ')}`);
  if (path !== undefined) {
    await rm(path, { force: true });
    await rmdir(dirname(path)).catch(() => undefined); // the namespace's directory, once it holds nothing
  }
}

async function refuseStrictReversePath(): Promise<void> {
  if ((await readSysctl('ipv4/conf/all/rp_filter')) === '1') {
    throw new VrrpError(
      'vip_failed',
      'VMAC: net.ipv4.conf.all.rp_filter is 1 (strict), which drops every advert a VMAC receives (their sources are routed through the base); set it to 0 or 2 (loose), raising each interface\'s own rp_filter where strict filtering is wanted',
    );
  }
}

async function readSysctl(path: string): Promise<string | undefined> {
  try {
    return (await readFile(`/proc/sys/net/${path}`, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** Writes a sysctl; a failure is the VMAC's, unless `optional` (IPv6 turned off in the kernel: nothing to turn off). */
async function sysctl(path: string, value: string, optional = false): Promise<void> {
  try {
    await writeFile(`/proc/sys/net/${path}`, value);
  } catch (error) {
    if (optional) return;
    throw new VrrpError('vip_failed', `VMAC: cannot set /proc/sys/net/${path} to ${value}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
}

/** Sends one request; its refusal is thrown, saying what it was to do (unless `optional`). */
async function request(message: NetlinkRequest, what: string, optional = false): Promise<void> {
  const errno = await sendNetlinkRequest(message);
  if (errno !== undefined && !optional) throw new VrrpError('vip_failed', `cannot ${what}: ${errno}`);
}

const EMPTY = new Uint8Array(0);

const hex = (bytes: Uint8Array): string => [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join(':');
