/**
 * AF_PACKET sockets for sending whole Ethernet frames (gratuitous ARP, unsolicited NA), and a synchronous
 * rtnetlink request socket for the takeover's address changes, through our own tiny Node-API addon
 * `build/Release/vrrp_packet.node` (native/packet_socket.c). This is the only module that loads it.
 *
 * Rules:
 * - The addon is optional: it is built at install time on Linux and may be missing. Nothing loads it until
 *   `openPacketSocket` or `loadPacketAddon` is called, so importing this module never fails.
 * - One relative path finds it from both `src/linux/` (tests) and `dist/linux/` (the package): both sit two levels
 *   below the package root, where node-gyp writes `build/`.
 * - Failures are `PacketSocketError`s with the errno name as `code` and a short lowercase message that says what to
 *   do, e.g. `packet socket on eth0: EPERM (need CAP_NET_RAW)`.
 */
import { closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';

/** Path of the addon relative to this file, valid from src/linux/ and dist/linux/ alike. */
const ADDON_RELATIVE_PATH = '../../build/Release/vrrp_packet.node';

/** An open AF_PACKET socket bound to one interface by index. */
export interface PacketSocket {
  /** Interface name it was opened on. */
  readonly ifname: string;
  /** Kernel interface index, read once at open (SIOCGIFINDEX). */
  readonly ifindex: number;
  /** The interface's 6-byte MAC, read once at open (SIOCGIFHWADDR); a fresh copy per socket. */
  readonly mac: Uint8Array;
  /** Sends one whole frame (Ethernet header included) on the interface; throws {@link PacketSocketError}. */
  send(frame: Uint8Array): void;
  /** Closes the socket now rather than at garbage collection. Idempotent. */
  close(): void;
  /** Same as `close()`, for `using`. */
  [Symbol.dispose](): void;
}

/** A failed packet socket operation: `code` is the errno name (`EPERM`, `ENODEV`…) or `ERR_VRRP_NO_ADDON`. */
export class PacketSocketError extends Error {
  /** Errno name, or `ERR_VRRP_NO_ADDON` when the native addon cannot be loaded. */
  readonly code: string;
  /** Numeric errno, 0 when the failure is not a syscall's. */
  readonly errno: number;
  /** The syscall that failed (`socket`, `ioctl(SIOCGIFINDEX)`, `sendto`), empty when none did. */
  readonly syscall: string;

  /** Creates the error; `message` is already the full short lowercase sentence. */
  constructor(message: string, code: string, errno = 0, syscall = '', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PacketSocketError';
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
  }
}

// ARPHRD_ETHER (linux/if_arp.h): the only hardware type whose frames our builders produce.
const ARPHRD_ETHER = 1;

// What the C side returns from open() and expects back; see native/packet_socket.c.
interface NativeOpenResult {
  handle: unknown;
  ifindex: number;
  hatype: number;
  mac: Uint8Array;
}
interface NativeAddon {
  open(ifname: string): NativeOpenResult;
  send(handle: unknown, frame: Uint8Array): void;
  close(handle: unknown): void;
  routeOpen(): unknown;
  routeRequest(handle: unknown, message: Uint8Array): number;
  routeClose(handle: unknown): void;
  findSocket(cookie: Uint8Array): number;
  burstPrepare(ops: readonly (readonly [number, unknown, Uint8Array])[]): unknown;
  burstRun(prepared: unknown): Int32Array;
  sendTo(fd: number, datagram: Uint8Array, address: Uint8Array, scopeId: number): void;
  receiveAge(fd: number): number;
}

// Loaded at most once per process (per thread: the addon is context-aware). A failure is remembered too, so a
// missing addon costs one filesystem lookup, not one per announcement.
let addon: NativeAddon | undefined;
let addonFailure: string | undefined;

/** The native handle behind each socket this module opened, for {@link prepareBurst}. */
const nativeHandles = new WeakMap<PacketSocket | RouteRequestSocket, unknown>();

function requireAddon(): NativeAddon {
  if (addon !== undefined) return addon;
  if (addonFailure !== undefined) throw new PacketSocketError(`packet socket unavailable: ${addonFailure}`, 'ERR_VRRP_NO_ADDON');
  if (process.platform !== 'linux') {
    addonFailure = `af_packet sockets are linux-only, this is ${process.platform}`;
    throw new PacketSocketError(`packet socket unavailable: ${addonFailure}`, 'ERR_VRRP_NO_ADDON');
  }
  try {
    addon = createRequire(import.meta.url)(ADDON_RELATIVE_PATH) as NativeAddon;
    return addon;
  } catch (error) {
    addonFailure = describeLoadFailure(error);
    throw new PacketSocketError(`packet socket unavailable: ${addonFailure}`, 'ERR_VRRP_NO_ADDON', 0, '', { cause: error });
  }
}

function describeLoadFailure(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'MODULE_NOT_FOUND') {
    return 'native addon not built (build/Release/vrrp_packet.node is missing); run `npm rebuild vrrp --foreground-scripts` with python3, make and a c compiler installed';
  }
  const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
  return `native addon does not load: ${message}`;
}

/**
 * Preflight for a doctor command: loads the addon without opening any socket. Never throws.
 * `{ ok: false, reason }` says why gratuitous ARP / unsolicited NA are unavailable and what to do.
 */
export function loadPacketAddon(): { ok: true } | { ok: false; reason: string } {
  try {
    requireAddon();
    return { ok: true };
  } catch {
    return { ok: false, reason: addonFailure ?? 'unknown failure' };
  }
}

/**
 * Opens an AF_PACKET socket for sending on Ethernet interface `ifname` and reads its index and MAC.
 * Needs CAP_NET_RAW in the network namespace that owns the interface. The socket never receives anything.
 * Throws {@link PacketSocketError}: `EPERM` without the capability, `ENODEV` for an unknown interface, `EINVAL`
 * for a non-Ethernet one (loopback, tun, …), `ERR_VRRP_NO_ADDON` when the addon is missing.
 */
export function openPacketSocket(ifname: string): PacketSocket {
  if (typeof ifname !== 'string') throw new TypeError('interface name must be a string');
  const native = requireAddon();
  let opened: NativeOpenResult;
  try {
    opened = native.open(ifname);
  } catch (error) {
    throw toPacketSocketError(`packet socket on ${ifname}`, error);
  }
  if (opened.hatype !== ARPHRD_ETHER) {
    native.close(opened.handle);
    throw new PacketSocketError(
      `packet socket on ${ifname}: EINVAL (not an ethernet interface, hardware type ${opened.hatype})`,
      'EINVAL',
      constants.errno.EINVAL,
    );
  }

  const { handle, ifindex } = opened;
  // A plain Uint8Array copy: callers may keep it, and a Buffer's pooled memory is not theirs to hold.
  const mac = new Uint8Array(opened.mac);
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    native.close(handle);
  };
  const socket: PacketSocket = {
    ifname,
    ifindex,
    mac,
    send(frame: Uint8Array): void {
      if (!(frame instanceof Uint8Array)) throw new TypeError('frame must be a Uint8Array');
      try {
        native.send(handle, frame);
      } catch (error) {
        throw toPacketSocketError(`packet send on ${ifname}`, error);
      }
    },
    close,
    [Symbol.dispose]: close,
  };
  nativeHandles.set(socket, handle);
  return socket;
}

/** A NETLINK_ROUTE socket whose requests complete inside the call. */
export interface RouteRequestSocket {
  /**
   * Sends one whole netlink message (header included; it must ask for an ACK — its sequence number is set here)
   * and returns the errno name of the kernel's acknowledgement, or undefined when the kernel accepted it. Throws
   * {@link PacketSocketError} when the socket itself fails.
   */
  request(message: Uint8Array): string | undefined;
  /** Closes the socket. Idempotent. */
  close(): void;
}

/**
 * Opens a synchronous rtnetlink request socket (see native/packet_socket.c for why it exists). Throws
 * {@link PacketSocketError}, `ERR_VRRP_NO_ADDON` when the addon is missing.
 */
export function openRouteRequestSocket(): RouteRequestSocket {
  const native = requireAddon();
  let handle: unknown;
  try {
    handle = native.routeOpen();
  } catch (error) {
    throw toPacketSocketError('rtnetlink socket', error);
  }
  let closed = false;
  const socket: RouteRequestSocket = {
    request(message: Uint8Array): string | undefined {
      let errno: number;
      try {
        errno = native.routeRequest(handle, message);
      } catch (error) {
        throw toPacketSocketError('rtnetlink request', error);
      }
      return errno === 0 ? undefined : errnoName(errno);
    },
    close(): void {
      if (closed) return;
      closed = true;
      native.routeClose(handle);
    },
  };
  nativeHandles.set(socket, handle);
  return socket;
}

/** One operation of a {@link Burst}. */
export type BurstOperation =
  | { kind: 'pwrite'; fd: number; bytes: Uint8Array }
  | { kind: 'route'; socket: RouteRequestSocket; message: Uint8Array }
  | { kind: 'frame'; socket: PacketSocket; frame: Uint8Array };

/** Operations checked once and run back to back in one native call. */
export interface Burst {
  /**
   * Runs every operation in order, the rest still running after one fails. Returns one result per operation:
   * undefined for success, else the errno name (for `route`, the kernel's acknowledgement, e.g. `EEXIST`).
   */
  run(): (string | undefined)[];
}

const BURST_KIND = { pwrite: 0, route: 1, frame: 2 } as const;

/**
 * Prepares `operations` to run as one native call (see native/packet_socket.c for why: a takeover's marker
 * writes, address requests and gratuitous ARP frames, without JavaScript between them). They are checked and
 * copied into the addon here, once: a run does no conversion (measured: reading 5 operations out of JavaScript
 * arrays took 14-19 µs of a takeover's burst). The bytes are copied, so later changes to them do not show; a socket
 * closed meanwhile fails its operations with `EBADF`. The sockets must come from {@link openPacketSocket} /
 * {@link openRouteRequestSocket}. Throws {@link PacketSocketError} (`ERR_VRRP_NO_ADDON` without the addon),
 * TypeError for a socket of unknown origin, RangeError for a malformed operation (then nothing is prepared).
 */
export function prepareBurst(operations: readonly BurstOperation[]): Burst {
  const native = requireAddon();
  const ops = operations.map((op): [number, unknown, Uint8Array] => {
    if (op.kind === 'pwrite') return [BURST_KIND.pwrite, op.fd, op.bytes];
    const handle = nativeHandles.get(op.socket);
    if (handle === undefined) throw new TypeError(`${op.kind} operation on a socket this module did not open`);
    return op.kind === 'route' ? [BURST_KIND.route, handle, op.message] : [BURST_KIND.frame, handle, op.frame];
  });
  let prepared: unknown;
  try {
    prepared = native.burstPrepare(ops);
  } catch (error) {
    throw toPacketSocketError('burst', error);
  }
  return {
    run(): (string | undefined)[] {
      let codes: Int32Array;
      try {
        codes = native.burstRun(prepared);
      } catch (error) {
        throw toPacketSocketError('burst', error);
      }
      const results: (string | undefined)[] = [];
      for (let i = 0; i < codes.length; i++) {
        const code = codes[i] as number;
        results.push(code === 0 ? undefined : errnoName(code));
      }
      return results;
    },
  };
}

/**
 * A socket another module opened and keeps private (raw-socket's), reached through a descriptor of our own on it
 * (a dup). The owner keeps the socket and its options; this only sends on it and reads its receive timestamps. Our
 * descriptor stays on that socket whatever the owner does with its own number (closed and reused by the app, the
 * number would name another socket), so no send needs a check first; it also keeps the socket open until
 * {@link BorrowedSocket.close}.
 */
export interface BorrowedSocket {
  /** Our own descriptor of the socket. */
  readonly fd: number;
  /**
   * One sendto of `datagram` to `address` (4 or 16 bytes; `scopeId` is the interface index for an IPv6 link-scope
   * destination, else 0), synchronous. Throws {@link PacketSocketError} (`EBADF` once closed).
   */
  sendTo(datagram: Uint8Array, address: Uint8Array, scopeId: number): void;
  /**
   * Milliseconds since the kernel received the last datagram read from the socket (its receive timestamp), or
   * undefined when unknown. Timestamps are on from {@link borrowSocket} on, so earlier datagrams have none.
   */
  receiveAgeMs(): number | undefined;
  /** Closes our descriptor (the owner's stays as it is). Idempotent. */
  close(): void;
}

/**
 * Borrows this process's socket whose SO_COOKIE is `cookie` (8 bytes, as getsockopt returns it) through a
 * descriptor of our own, and turns its receive timestamps on; undefined when there is none, the addon is missing or
 * the scan fails, and the caller keeps using the owner's own calls.
 */
export function borrowSocket(cookie: Uint8Array): BorrowedSocket | undefined {
  let native: NativeAddon;
  let fd: number;
  try {
    native = requireAddon();
    fd = native.findSocket(cookie);
    if (fd < 0) return undefined;
  } catch {
    return undefined;
  }
  try {
    native.receiveAge(fd); // the first call turns the timestamps on
  } catch {
    closeSync(fd);
    return undefined;
  }
  let closed = false;
  return {
    fd,
    sendTo(datagram: Uint8Array, address: Uint8Array, scopeId: number): void {
      if (closed) throw new PacketSocketError('sendto: EBADF (socket is closed)', 'EBADF', constants.errno.EBADF);
      try {
        native.sendTo(fd, datagram, address, scopeId);
      } catch (error) {
        throw toPacketSocketError('sendto', error);
      }
    },
    receiveAgeMs(): number | undefined {
      if (closed) return undefined;
      const age = native.receiveAge(fd);
      return age >= 0 ? age : undefined;
    },
    close(): void {
      if (closed) return;
      closed = true;
      closeSync(fd);
    },
  };
}

// Why each errno happens here, in the words an operator needs; anything else keeps the kernel's own text.
const HINTS: Readonly<Record<string, string>> = {
  EPERM: 'need CAP_NET_RAW',
  EACCES: 'need CAP_NET_RAW',
  ENODEV: 'no such interface',
  ENXIO: 'interface is gone',
  ENETDOWN: 'interface is down',
  EAGAIN: 'device queue full, frame dropped',
  ENOBUFS: 'no buffer space, frame dropped',
  EMSGSIZE: 'frame larger than the interface mtu',
  EAFNOSUPPORT: 'kernel without af_packet',
  EBADF: 'socket is closed',
};

// Maps the addon's `{ errno, syscall }` errors to PacketSocketError; TypeErrors and RangeErrors (our own misuse)
// pass through untouched.
function toPacketSocketError(context: string, error: unknown): unknown {
  const errno = (error as { errno?: unknown } | null)?.errno;
  if (typeof errno !== 'number') return error;
  const syscall = String((error as { syscall?: unknown }).syscall ?? '');
  const name = errnoName(errno);
  const kernelText = error instanceof Error ? error.message.slice(error.message.indexOf(': ') + 2).toLowerCase() : '';
  const hint = HINTS[name] ?? kernelText;
  return new PacketSocketError(`${context}: ${name}${hint === '' ? '' : ` (${hint})`}`, name, errno, syscall, { cause: error });
}

function errnoName(errno: number): string {
  for (const [name, value] of Object.entries(constants.errno)) if (value === errno) return name;
  return `E${errno}`;
}
