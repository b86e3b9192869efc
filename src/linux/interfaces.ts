/**
 * Reading interface state through rtnetlink: index, flags, MAC, addresses. Thin helpers shared by the transport,
 * the VIP manager, the link monitor and `doctor()`.
 */
import type { AddressFamily } from '../core/advertisement.js';
import { formatIp, isIpv6LinkLocal, parseIp } from '../core/ip-address.js';
import { loadNetlink, type NlAddressMessage, type RtNetlinkSocket } from './native.js';

/** AF_INET / AF_INET6 as the kernel numbers them. */
export const AF = { ipv4: 2, ipv6: 10 } as const;

/** An interface as the VRRP adapters need it. */
export interface InterfaceInfo {
  /** Kernel interface index. */
  index: number;
  /** Administratively up (IFF_UP). */
  adminUp: boolean;
  /** Carrier present and operational (IFF_RUNNING). */
  running: boolean;
  /** Hardware address, 6 bytes for Ethernet. */
  mac: Uint8Array;
}

/** An address on an interface. */
export interface InterfaceAddress {
  /** Canonical address text. */
  address: string;
  /** Prefix length. */
  prefixLength: number;
  /** Family. */
  family: AddressFamily;
  /** IFA_F_SECONDARY (IPv4): not the primary address of its subnet. */
  secondary: boolean;
  /**
   * IFA_F_TENTATIVE or IFA_F_DADFAILED (IPv6): duplicate address detection has not passed, so the kernel will not
   * send from it yet (a link-local address is tentative for about a second after the link comes up).
   */
  tentative: boolean;
  /** IPv4 label, when set. */
  label: string | undefined;
}

let dumpSocket: RtNetlinkSocket | undefined;
let changeSocket: RtNetlinkSocket | undefined;
let dumpQueue: Promise<unknown> = Promise.resolve();

/**
 * Runs `task` on the process-wide dump socket once every dump queued before it has finished. One at a time because
 * the kernel runs one dump per netlink socket (a second request is refused with EBUSY) and node-netlink assembles a
 * dump's parts by arrival, so any reply landing between them fails the dump ("Multipart message not terminated
 * properly"). Seen when the link monitor re-read the addresses while the VIP manager read them too.
 */
export function serializedDump<T>(task: (socket: RtNetlinkSocket) => Promise<T>): Promise<T> {
  const result = dumpQueue.then(() => {
    dumpSocket ??= openRequestSocket('dump', (failed) => {
      if (dumpSocket === failed) dumpSocket = undefined;
    });
    return task(dumpSocket);
  });
  // Settles with nothing: passing the result on would keep the last dump (every address of the namespace, parsed)
  // alive until the next one.
  dumpQueue = result.then(
    () => undefined,
    () => undefined,
  );
  return result;
}

/** Dumps queued and not yet started, by kind: a caller that arrives meanwhile joins one instead of queueing another. */
const joinable = new Map<'links' | 'addresses', Promise<unknown>>();

/**
 * A dump shared by every caller that asks before it starts. Each gets a reading taken after its request, and a
 * burst of requests — 255 instances starting, or taking over, at once — costs one dump instead of one each (each
 * dump parses every address of the namespace: 255 × 255 parsed messages at a mass takeover, measured as garbage
 * that grew the engine thread's heap). Callers must not change the result: it is shared.
 */
function sharedDump<T>(kind: 'links' | 'addresses', task: (socket: RtNetlinkSocket) => Promise<T>): Promise<T> {
  const waiting = joinable.get(kind);
  if (waiting) return waiting as Promise<T>;
  const result = serializedDump((socket) => {
    joinable.delete(kind);
    return task(socket);
  });
  joinable.set(kind, result);
  result.catch(() => joinable.delete(kind));
  return result;
}

/**
 * The process-wide socket for requests answered by one acknowledgement (adding and deleting addresses). It never
 * carries a dump, so an acknowledgement cannot split one, and an address change never queues behind a dump: a
 * takeover's VIP goes up at once. Not subscribed to any group; does not keep the event loop alive.
 */
export function changeRequestSocket(): RtNetlinkSocket {
  changeSocket ??= openRequestSocket('address change', (failed) => {
    if (changeSocket === failed) changeSocket = undefined;
  });
  return changeSocket;
}

/**
 * An rtnetlink socket for requests that survives its own failure. A failed read (ENOBUFS, or a poll error, after
 * which netlink closes the socket) is emitted as 'error' on the module's inner socket, where no listener would make
 * it an uncaught exception — the engine thread's death, every VIP released — and would leave the requests waiting
 * on it unanswered for ever, so the dump queue behind them would never move again. Instead: a warning, each waiting
 * request rejected with the error (its caller already handles a failed request), and the socket dropped and closed
 * so that the next request opens a new one.
 */
function openRequestSocket(role: string, forget: (failed: RtNetlinkSocket) => void): RtNetlinkSocket {
  const socket = loadNetlink().createRtNetlink();
  socket.socket.on('error', (error: Error) => {
    forget(socket);
    process.emitWarning(`netlink ${role} socket: ${error.message}; its waiting requests fail and a new socket is opened`, { type: 'VrrpWarning', code: 'VRRP_NETLINK_FAILED' });
    const waiting = socket.socket.requests;
    if (waiting instanceof Map) for (const answer of [...waiting.values()]) if (typeof answer === 'function') answer(error);
    // Closed a turn later: each rejected request still lets go of the socket on its way out, which throws "Netlink
    // socket is closed" in place of the error above once the socket is closed (as after a poll error it already is).
    setImmediate(() => {
      try {
        socket.socket.close?.();
      } catch {
        // A poll error has closed it already.
      }
    });
  });
  return socket;
}

/**
 * Closes this thread's netlink sockets (they reopen on next use). The engine thread calls it before it ends:
 * netlink 0.3.0 crashes the process when a thread is torn down with one of its sockets open (measured: a worker
 * ended with an open socket took the process down with SIGSEGV every time, with it closed never).
 */
export function closeNetlinkSockets(): void {
  dumpSocket?.socket.close?.();
  dumpSocket = undefined;
  dumpQueue = Promise.resolve();
  joinable.clear();
  changeSocket?.socket.close?.();
  changeSocket = undefined;
}

/** Whether two byte strings (MACs, addresses) are equal. Pure. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Looks an interface up by name; undefined when it does not exist. */
export async function getInterface(ifname: string): Promise<InterfaceInfo | undefined> {
  const links = await sharedDump('links', (socket) => socket.getLinks());
  const link = links.find((candidate) => candidate.attrs.ifname === ifname);
  if (!link || link.data.index === undefined) return undefined;
  const flags = link.data.flags ?? {};
  return {
    index: link.data.index,
    adminUp: flags.up === true,
    running: flags.running === true,
    mac: new Uint8Array(link.attrs.address ?? new Uint8Array(6)),
  };
}

/** A link as the VMAC code judges it (./vmac.ts): who it is, what kind, and on what. */
export interface LinkDetails extends InterfaceInfo {
  /** Its name. */
  name: string;
  /** The link it sits on (IFLA_LINK), for a macvlan its lower device; undefined: none. */
  parentIndex: number | undefined;
  /** Its kind (IFLA_INFO_KIND: `macvlan`, `veth`…); undefined for a plain device. */
  kind: string | undefined;
  /** A macvlan's mode (IFLA_MACVLAN_MODE: 1 private, 2 vepa, 4 bridge, 8 passthru); undefined otherwise. */
  macvlanMode: number | undefined;
}

const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const IFLA_MACVLAN_MODE = 1;

/** The attributes of one nested netlink attribute's payload, by type (the last of each type wins). Pure. */
export function nestedAttributes(payload: Uint8Array): Map<number, Uint8Array> {
  const attributes = new Map<number, Uint8Array>();
  let at = 0;
  while (at + 4 <= payload.length) {
    const length = readHostU16(payload, at);
    if (length < 4 || at + length > payload.length) break;
    attributes.set(readHostU16(payload, at + 2) & 0x3fff, payload.subarray(at + 4, at + length));
    at += (length + 3) & ~3;
  }
  return attributes;
}

/** A link's kind and macvlan mode from its IFLA_LINKINFO payload. Pure. */
export function decodeLinkInfo(linkinfo: Uint8Array | undefined): { kind: string | undefined; macvlanMode: number | undefined } {
  if (linkinfo === undefined) return { kind: undefined, macvlanMode: undefined };
  const info = nestedAttributes(linkinfo);
  const kindBytes = info.get(IFLA_INFO_KIND);
  const kind = kindBytes === undefined ? undefined : new TextDecoder().decode(kindBytes).replace(/\0+$/, '');
  const data = info.get(IFLA_INFO_DATA);
  const mode = kind === 'macvlan' && data !== undefined ? nestedAttributes(data).get(IFLA_MACVLAN_MODE) : undefined;
  return { kind, macvlanMode: mode !== undefined && mode.length >= 4 ? readHostU32(mode, 0) : undefined };
}

/** Every link of the namespace with its kind, parent and macvlan mode (one link dump). */
export async function getLinkDetails(): Promise<LinkDetails[]> {
  const links = await sharedDump('links', (socket) => socket.getLinks());
  const details: LinkDetails[] = [];
  for (const link of links) {
    if (link.data.index === undefined || link.attrs.ifname === undefined) continue;
    const flags = link.data.flags ?? {};
    const parent = link.attrs.link;
    details.push({
      name: link.attrs.ifname,
      index: link.data.index,
      adminUp: flags.up === true,
      running: flags.running === true,
      mac: new Uint8Array(link.attrs.address ?? new Uint8Array(6)),
      parentIndex: parent !== undefined && parent.length >= 4 ? readHostU32(parent, 0) : undefined,
      ...decodeLinkInfo(link.attrs.linkinfo),
    });
  }
  return details;
}

/** Every address message of the namespace (all interfaces, both families), read as one serialized dump. */
export function getAllAddresses(): Promise<NlAddressMessage[]> {
  return sharedDump('addresses', (socket) => socket.getAddresses());
}

/** Converts one netlink address message; undefined for messages without an address of a known family. */
export function toInterfaceAddress(message: NlAddressMessage): (InterfaceAddress & { index: number }) | undefined {
  const bytes = message.attrs.local ?? message.attrs.address;
  const family = message.data.family === AF.ipv4 ? 'ipv4' : message.data.family === AF.ipv6 ? 'ipv6' : undefined;
  if (!bytes || !family || (bytes.length !== 4 && bytes.length !== 16)) return undefined;
  const flags = { ...message.data.flags, ...message.attrs.flags };
  return {
    index: message.data.index ?? 0,
    address: formatIp(new Uint8Array(bytes)),
    prefixLength: message.data.prefixlen ?? (family === 'ipv4' ? 32 : 128),
    family,
    secondary: flags.secondary === true,
    tentative: flags.tentative === true || flags.dadfailed === true,
    label: message.attrs.label,
  };
}

/** linux/if_addr.h: the ifaddrmsg attributes and flags {@link decodeAddressNotice} reads. */
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const IFA_LABEL = 3;
const IFA_FLAGS = 8;
const IFA_F_SECONDARY = 0x01;
const IFA_F_DADFAILED = 0x08;
const IFA_F_TENTATIVE = 0x40;
/** linux/netlink.h: the attribute type's flag bits (NLA_F_NESTED, NLA_F_NET_BYTEORDER). */
const NLA_TYPE_MASK = 0x3fff;
const utf8 = new TextDecoder();

/**
 * {@link toInterfaceAddress} of an RTM_NEWADDR / RTM_DELADDR payload (an ifaddrmsg and its attributes), read here
 * rather than by netlink's decoder, which builds an object for every attribute and flag: the link monitor judges
 * every address notification, one per VIP and lease renewal. The same answer as `toInterfaceAddress(netlink's
 * parseAddressMessage(payload))` for every payload that decodes (test/linux/address-notice.test.ts holds the two
 * together); undefined for one it cannot read, or without an address of a known family. Pure.
 */
export function decodeAddressNotice(payload: Uint8Array): (InterfaceAddress & { index: number }) | undefined {
  if (payload.length < 8) return undefined;
  const familyCode = payload[0] as number;
  const family = familyCode === AF.ipv4 ? 'ipv4' : familyCode === AF.ipv6 ? 'ipv6' : undefined;
  const prefixLength = payload[1] as number;
  let flags = payload[2] as number;
  const index = readHostU32(payload, 4);
  let address: Uint8Array | undefined;
  let local: Uint8Array | undefined;
  let label: string | undefined;
  // Attributes: { u16 length (header included), u16 type, value }, each aligned to 4 bytes.
  let at = 8;
  while (at + 4 <= payload.length) {
    const length = readHostU16(payload, at);
    const type = readHostU16(payload, at + 2) & NLA_TYPE_MASK;
    if (length < 4 || at + length > payload.length) return undefined;
    const value = payload.subarray(at + 4, at + length);
    if (type === IFA_ADDRESS) address = value;
    else if (type === IFA_LOCAL) local = value;
    else if (type === IFA_LABEL) {
      if (value.length === 0 || value[value.length - 1] !== 0) return undefined; // a C string
      label = utf8.decode(value.subarray(0, value.length - 1));
    } else if (type === IFA_FLAGS) {
      if (value.length !== 4) return undefined;
      flags |= readHostU32(value, 0); // the full flags; ifa_flags holds their low byte
    }
    at += (length + 3) & ~3;
  }
  const bytes = local ?? address;
  if (bytes === undefined || family === undefined || (bytes.length !== 4 && bytes.length !== 16)) return undefined;
  return {
    index,
    address: formatIp(bytes),
    prefixLength,
    family,
    secondary: (flags & IFA_F_SECONDARY) !== 0,
    tentative: (flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED)) !== 0,
    label,
  };
}

/** Whether this machine is little-endian: netlink's integers are in host order. */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A u16 in host order at `at`. */
export function readHostU16(bytes: Uint8Array, at: number): number {
  const b0 = bytes[at] as number;
  const b1 = bytes[at + 1] as number;
  return HOST_LITTLE_ENDIAN ? b0 | (b1 << 8) : (b0 << 8) | b1;
}

/** A u32 in host order at `at`. */
export function readHostU32(bytes: Uint8Array, at: number): number {
  const b0 = bytes[at] as number;
  const b1 = bytes[at + 1] as number;
  const b2 = bytes[at + 2] as number;
  const b3 = bytes[at + 3] as number;
  return (HOST_LITTLE_ENDIAN ? b0 | (b1 << 8) | (b2 << 16) | (b3 << 24) : b3 | (b2 << 8) | (b1 << 16) | (b0 << 24)) >>> 0;
}

/** One interface's addresses in one dump: per family in kernel order, and each address's creation stamp. */
export interface InterfaceAddressTable {
  /** IPv4 addresses, primary addresses first (kernel order). */
  ipv4: readonly InterfaceAddress[];
  /** IPv6 addresses, in kernel order. */
  ipv6: readonly InterfaceAddress[];
  /** IFA_CACHEINFO's creation stamp by address text, where the kernel gave one. */
  stamps: ReadonlyMap<string, number>;
}

/**
 * Each dump's addresses, converted once and grouped by interface. A dump is shared by every caller that joined it
 * (hundreds at a mass start or takeover), and converting all of its messages once per caller was most of the
 * engine thread's garbage while 255 instances started (docs/linux.md). Keyed by the dump's result: it goes with it.
 */
const tables = new WeakMap<readonly NlAddressMessage[], Map<number, InterfaceAddressTable>>();

/** The addresses of a dump by interface index, converted once per dump. Shared: callers must not change them. */
export function addressTables(messages: readonly NlAddressMessage[]): ReadonlyMap<number, InterfaceAddressTable> {
  let byIndex = tables.get(messages);
  if (byIndex !== undefined) return byIndex;
  const built = new Map<number, { ipv4: InterfaceAddress[]; ipv6: InterfaceAddress[]; stamps: Map<string, number> }>();
  for (const message of messages) {
    const address = toInterfaceAddress(message);
    if (!address) continue;
    let table = built.get(address.index);
    if (!table) built.set(address.index, (table = { ipv4: [], ipv6: [], stamps: new Map() }));
    table[address.family].push(address);
    const stamp = message.attrs.cacheInfo?.cstamp;
    if (stamp !== undefined) table.stamps.set(address.address, stamp);
  }
  byIndex = built;
  tables.set(messages, byIndex);
  return byIndex;
}

const NO_ADDRESSES: readonly InterfaceAddress[] = Object.freeze([]);

/** Addresses of one interface and family, in kernel order (primary IPv4 addresses first). Shared: do not change. */
export async function getInterfaceAddresses(index: number, family: AddressFamily): Promise<readonly InterfaceAddress[]> {
  return addressTables(await getAllAddresses()).get(index)?.[family] ?? NO_ADDRESSES;
}

/**
 * The address VRRP uses as its source and tie-breaker (RFC 9568 §5.1.1.1, §5.1.2.1): IPv4 — the interface's first
 * primary address; IPv6 — its link-local address. With unicast peers, the address the kernel will actually send
 * from: ours in the first peer's subnet (the checksum's pseudo-header and the tie-break must name the source on the
 * wire). `exclude` lists our own VIPs, which must never be picked: a set, or a list for the few an instance has
 * (a Set per link monitor was ~150 bytes an instance; docs/linux.md, "Memory per instance").
 */
export function pickPrimaryAddress(
  addresses: readonly InterfaceAddress[],
  family: AddressFamily,
  exclude: ReadonlySet<string> | readonly string[],
  unicastPeers: readonly string[] = [],
): string | undefined {
  // A tentative address cannot be sent from; when DAD passes the kernel says so and the link monitor looks again.
  // Scans instead of filtering into a list: the link monitor judges every watcher after each re-read, so at 255
  // instances this ran 255 times over 255 addresses per re-read, and the lists were a fifth of what a mass start
  // allocated on the engine thread (docs/linux.md, "Start-up garbage").
  const peer = unicastPeers[0] === undefined ? undefined : parseIp(unicastPeers[0]);
  if (peer) {
    for (const a of addresses) {
      if (!usable(a, exclude) || a.secondary) continue;
      const own = parseIp(a.address);
      if (own !== undefined && samePrefix(own.bytes, peer.bytes, a.prefixLength)) return a.address;
    }
  }
  if (family === 'ipv4') {
    let firstUsable: string | undefined;
    for (const a of addresses) {
      if (!usable(a, exclude)) continue;
      if (!a.secondary) return a.address;
      firstUsable ??= a.address;
    }
    return firstUsable;
  }
  for (const a of addresses) {
    if (!usable(a, exclude)) continue;
    const parsed = parseIp(a.address);
    if (parsed !== undefined && isIpv6LinkLocal(parsed.bytes)) return a.address;
  }
  return undefined;
}

/** Whether VRRP could send from `a`: not one of ours (`exclude`), not tentative. */
function usable(a: InterfaceAddress, exclude: ReadonlySet<string> | readonly string[]): boolean {
  return !a.tentative && !(exclude instanceof Set ? exclude.has(a.address) : (exclude as readonly string[]).includes(a.address));
}

/** True when `a` and `b` agree on their first `prefixLength` bits. */
function samePrefix(a: Uint8Array, b: Uint8Array, prefixLength: number): boolean {
  if (a.length !== b.length) return false;
  for (let bit = 0; bit < prefixLength; bit += 8) {
    const mask = prefixLength - bit >= 8 ? 0xff : (0xff << (8 - (prefixLength - bit))) & 0xff;
    if ((((a[bit / 8] as number) ^ (b[bit / 8] as number)) & mask) !== 0) return false;
  }
  return true;
}

/** Parses the errno name out of a netlink error ("Request rejected: EEXIST" → "EEXIST"). */
export function netlinkErrno(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : String(error);
  return /\b(E[A-Z0-9]+)\b/.exec(message)?.[1];
}
