/**
 * AF_PACKET sockets for sending whole Ethernet frames (gratuitous ARP, unsolicited NA), and a synchronous
 * rtnetlink request socket for the takeover's address changes, through our own tiny Node-API addon
 * `build/Release/vrrp_packet.node` (native/packet.c, native/route.c, native/burst.c), loaded by ./addon.ts.
 *
 * Rules:
 * - Nothing loads the addon until `openPacketSocket` or `loadPacketAddon` is called, so importing this module
 *   never fails.
 * - Failures are `PacketSocketError`s with the errno name as `code` and a short lowercase message that says what to
 *   do, e.g. `packet socket on eth0: EPERM (need CAP_NET_RAW)`.
 */
import { constants } from 'node:os';
// Declares Symbol.dispose for apps whose lib / @types/node lack it (src/globals.ts).
import '../globals.js';
import { loadAddon, PacketSocketError, probeAddon, toPacketSocketError, errnoName, type NativeOpenResult } from './addon.js';
import type { TakeoverBurst } from '../adapters/types.js';

export { PacketSocketError } from './addon.js';

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

// ARPHRD_ETHER (linux/if_arp.h): the only hardware type whose frames our builders produce.
const ARPHRD_ETHER = 1;

/** The native handle behind each socket this module opened, for {@link prepareBurst}. */
const nativeHandles = new WeakMap<PacketSocket | RouteRequestSocket, unknown>();

/**
 * Preflight for a doctor command: loads the addon without opening any socket. Never throws.
 * `{ ok: false, reason }` says why gratuitous ARP / unsolicited NA are unavailable and what to do.
 */
export function loadPacketAddon(): ReturnType<typeof probeAddon> {
  return probeAddon();
}

/**
 * Opens an AF_PACKET socket for sending on Ethernet interface `ifname` and reads its index and MAC.
 * Needs CAP_NET_RAW in the network namespace that owns the interface. The socket never receives anything.
 * Throws {@link PacketSocketError}: `EPERM` without the capability, `ENODEV` for an unknown interface, `EINVAL`
 * for a non-Ethernet one (loopback, tun, …), `ERR_VRRP_NO_ADDON` when the addon is missing.
 */
export function openPacketSocket(ifname: string): PacketSocket {
  if (typeof ifname !== 'string') throw new TypeError('interface name must be a string');
  const native = loadAddon();
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
 * Opens a synchronous rtnetlink request socket (see native/route.c for why it exists). Throws
 * {@link PacketSocketError}, `ERR_VRRP_NO_ADDON` when the addon is missing.
 */
export function openRouteRequestSocket(): RouteRequestSocket {
  const native = loadAddon();
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
export interface Burst extends TakeoverBurst {
  /**
   * Runs every operation in order, the rest still running after one fails, except that no `frame` goes after a
   * `route` request the kernel refused (anything but success or `EEXIST`): its result is `ECANCELED` (an
   * announcement must not draw clients to an address the host does not hold). Returns one result per operation:
   * undefined for success, else the errno name (for `route`, the kernel's acknowledgement, e.g. `EEXIST`). After
   * a VRRP socket's alarm fired it (native/vrrp_socket.c, "Armed takeovers"), the next run returns that run's
   * results and runs nothing.
   */
  run(): (string | undefined)[];
  /**
   * Whether a VRRP socket's alarm ran it (an armed takeover fired) and no {@link Burst.run} has taken those results
   * yet: whoever takes over with it must take them.
   */
  fired(): boolean;
}

const BURST_KIND = { pwrite: 0, route: 1, frame: 2 } as const;

/**
 * Prepares `operations` to run as one native call (see native/burst.c for why: a takeover's marker writes, address
 * requests and gratuitous ARP frames, without JavaScript between them). They are checked and copied into the addon
 * here, once: a run does no conversion (measured: reading 5 operations out of JavaScript arrays took 14-19 µs of a
 * takeover's burst). The bytes are copied, so later changes to them do not show; a socket closed meanwhile fails its
 * operations with `EBADF`; a pwrite writes through a duplicate of its descriptor, so it still reaches its file after
 * the caller closed it. The sockets must come from {@link openPacketSocket} / {@link openRouteRequestSocket}. Throws
 * {@link PacketSocketError} (`ERR_VRRP_NO_ADDON` without the addon), TypeError for a socket of unknown origin,
 * RangeError for a malformed operation (then nothing is prepared).
 */
export function prepareBurst(operations: readonly BurstOperation[]): Burst {
  const native = loadAddon();
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
    native: prepared,
    fired: () => native.burstFired(prepared),
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

