/**
 * The one place that loads the Linux native modules (`raw-socket`, `netlink`). They are optional dependencies, so
 * `vrrp` installs anywhere; they are loaded lazily, on first use, so importing `vrrp/linux` on a machine without them
 * fails only when a Linux adapter is actually created — with a message that says how to get them.
 *
 * raw-socket is not context-aware: it loads in one thread per process only ("Module did not self-register" in a
 * second). Everything that touches it goes through `loadRawSocket`, so the thread that first creates a transport
 * owns it; a worker-thread engine must create its transports there and nowhere else.
 */
import { createRequire } from 'node:module';
import { VrrpError } from '../errors.js';

const require = createRequire(import.meta.url);

/** Loads an optional native module, turning "not installed / not built" into one actionable error. */
function loadOptional<T>(name: string, hint: string): T {
  try {
    return require(name) as T;
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    throw new VrrpError('no_adapters', `cannot load ${name} (${detail}); ${hint}`, { cause });
  }
}

const rawSocketHint =
  'install it with `npm install raw-socket@1.8.1` and, on npm 11+, approve its build with `npm install-scripts approve raw-socket` (it compiles with node-gyp: needs python3, make and a C++ compiler)';
const netlinkHint = 'install it with `npm install netlink@0.3.0` (prebuilt for x64/arm64; approve with `npm install-scripts approve netlink` on npm 11+)';

/** The subset of raw-socket's native socket we use: synchronous send and receive on the non-blocking fd. */
export interface RawSocketWrap {
  recv(buffer: Buffer, callback: (buffer: Buffer, bytes: number, source: string) => void): void;
  send(buffer: Buffer, offset: number, length: number, address: string, callback: (bytes: number) => void): void;
  setOption(level: number, option: number, value: number | Buffer, length?: number): void;
  /** getsockopt into `value`; returns the length written. */
  getOption(level: number, option: number, value: Buffer, length: number): number;
  pause(recv: boolean, send: boolean): void;
  close(): void;
  /** The wrap is an EventEmitter too: `recvReady` fires when the fd is readable. */
  on(event: 'recvReady', listener: () => void): void;
  removeAllListeners(event: string): void;
}

/** The subset of a raw-socket `Socket` we use. */
export interface RawSocket {
  wrap: RawSocketWrap;
  on(event: 'error', listener: (error: Error) => void): void;
  removeAllListeners(): void;
  close(): void;
}

/** The subset of the raw-socket module we use. */
export interface RawSocketModule {
  createSocket(options: { protocol: number; addressFamily: number; bufferSize?: number }): RawSocket;
  AddressFamily: { IPv4: number; IPv6: number };
}

let rawSocket: RawSocketModule | undefined;

/** Loads raw-socket once (per process: see the header). */
export function loadRawSocket(): RawSocketModule {
  rawSocket ??= loadOptional<RawSocketModule>('raw-socket', rawSocketHint);
  return rawSocket;
}

/** Address message as the netlink module returns it. */
export interface NlAddressMessage {
  data: { family?: number; prefixlen?: number; flags?: Record<string, boolean>; scope?: number; index?: number };
  attrs: { address?: Buffer; local?: Buffer; label?: string; flags?: Record<string, boolean>; cacheInfo?: { ifaPrefered?: number; ifaValid?: number; cstamp?: number } };
}

/** Link message as the netlink module returns it. */
export interface NlLinkMessage {
  data: { index?: number; flags?: Record<string, boolean> };
  attrs: { ifname?: string; address?: Buffer; operstate?: number };
}

/** The subset of netlink's rtnetlink socket we use. */
export interface RtNetlinkSocket {
  getLinks(): Promise<NlLinkMessage[]>;
  getAddresses(): Promise<NlAddressMessage[]>;
  addMembership(group: string): void;
  on(event: 'message', listener: (messages: { kind: string }[]) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  socket: {
    close?: () => void;
    unref?: () => void;
    ref?: () => void;
    /**
     * Sends one message whose payload is already encoded, with REQUEST|ACK added to `flags`; the send happens
     * inside the call (sendmsg on an idle socket). Resolves on the acknowledgement; rejects with
     * "Request rejected: E…" on an error acknowledgement.
     */
    request(type: number, data: Buffer[], options?: { flags?: number }): Promise<unknown>;
  };
}

/** netlink's encoder stream: the encoded parts of one message payload. */
export interface NlAttrStream {
  bufs: Buffer[];
}

/** The subset of the netlink module we use. */
export interface NetlinkModule {
  createRtNetlink(options?: { ref?: boolean }): RtNetlinkSocket;
  /** Creates an empty encoder stream. */
  AttrStream: new () => NlAttrStream;
  /** rtnetlink encoders. */
  rt: {
    /** Encodes an ifaddrmsg and its attributes (the payload of RTM_NEWADDR / RTM_DELADDR). */
    formatAddressMessage(message: { kind: 'address'; data: NlAddressMessage['data']; attrs: NlAddressMessage['attrs'] }, out: NlAttrStream): void;
  };
}

let netlink: NetlinkModule | undefined;

/** Loads netlink once. */
export function loadNetlink(): NetlinkModule {
  netlink ??= loadOptional<NetlinkModule>('netlink', netlinkHint);
  return netlink;
}
