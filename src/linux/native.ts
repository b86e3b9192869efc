/**
 * The one place that loads `netlink` (an optional dependency, Node-API, loadable in any thread), so `vrrp`
 * installs anywhere; it is loaded lazily, on first use, so importing `vrrp/linux` on a machine without it fails only
 * when a Linux adapter is actually created — with a message that says how to get it. Our own addon has its own
 * loader (./addon.ts).
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

const netlinkHint = 'install it with `npm install netlink@0.3.0` (prebuilt for x64/arm64; approve with `npm install-scripts approve netlink` on npm 11+)';

/** Address message as the netlink module returns it. */
export interface NlAddressMessage {
  /** The ifaddrmsg header: family, prefix length, flags, scope, interface index. */
  data: { family?: number; prefixlen?: number; flags?: Record<string, boolean>; scope?: number; index?: number };
  /** The IFA_* attributes that matter here. */
  attrs: { address?: Buffer; local?: Buffer; label?: string; flags?: Record<string, boolean>; cacheInfo?: { ifaPrefered?: number; ifaValid?: number; cstamp?: number } };
}

/** Link message as the netlink module returns it. */
export interface NlLinkMessage {
  /** The ifinfomsg header: interface index and IFF_* flags. */
  data: { index?: number; flags?: Record<string, boolean> };
  /** The IFLA_* attributes that matter here. */
  attrs: { ifname?: string; address?: Buffer; operstate?: number; link?: Buffer; linkinfo?: Buffer };
}

/** The subset of netlink's rtnetlink socket we use. */
export interface RtNetlinkSocket {
  /** Dumps every link (RTM_GETLINK). */
  getLinks(): Promise<NlLinkMessage[]>;
  /** Dumps every address (RTM_GETADDR). */
  getAddresses(): Promise<NlAddressMessage[]>;
  /** Joins an RTNLGRP group by name. */
  addMembership(group: string): void;
  /** Decoded notifications. */
  on(event: 'message', listener: (messages: { kind: string }[]) => void): void;
  /** A failed receive (the inner socket's error, passed on). */
  on(event: 'error', listener: (error: Error) => void): void;
  /** The raw socket underneath. */
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
    /** A failed read or poll of the socket underneath; with no listener, an uncaught exception. */
    on(event: 'error', listener: (error: Error) => void): void;
    /**
     * The answer callback of each request waiting for the kernel, by sequence number (netlink 0.3's protected
     * field; checked before use). Called with an error, a request rejects with it.
     */
    readonly requests?: Map<number, (error: Error | null) => void>;
  };
}

/** A raw netlink socket as the link monitor uses it: multicast groups in, datagrams of notifications out. */
export interface NlEventSocket {
  /** Joins an RTNLGRP_* group by number. */
  addMembership(group: number): void;
  /** One datagram: one or more netlink messages, each with its 16-byte header. */
  on(event: 'message', listener: (datagram: Buffer) => void): void;
  /** A datagram cut short (the read buffer was too small): its messages are lost. */
  on(event: 'truncatedMessage', listener: () => void): void;
  /** A failed receive (ENOBUFS: notifications dropped) or poll (the socket is then closed). */
  on(event: 'error', listener: (error: Error) => void): void;
  /** Closes the socket. */
  close(): void;
}

/** netlink's encoder stream: the encoded parts of one message payload. */
export interface NlAttrStream {
  /** The encoded parts, in order. */
  bufs: Buffer[];
}

/** The subset of the netlink module we use. */
export interface NetlinkModule {
  /** An rtnetlink socket (`ref: false`: it does not keep the event loop alive). */
  createRtNetlink(options?: { ref?: boolean }): RtNetlinkSocket;
  /** A raw netlink socket of `protocol` (0: NETLINK_ROUTE): each datagram as it was read, messages undecoded. */
  RawNetlinkSocket: new (protocol: number) => NlEventSocket;
  /** Creates an empty encoder stream. */
  AttrStream: new () => NlAttrStream;
  /** rtnetlink encoders. */
  rt: {
    /** Encodes an ifaddrmsg and its attributes (the payload of RTM_NEWADDR / RTM_DELADDR). */
    formatAddressMessage(message: { kind: 'address'; data: NlAddressMessage['data']; attrs: NlAddressMessage['attrs'] }, out: NlAttrStream): void;
    /** Decodes the payload of an RTM_NEWADDR / RTM_DELADDR message. */
    parseAddressMessage(data: Buffer): NlAddressMessage;
  };
}

let netlink: NetlinkModule | undefined;

/** Loads netlink once. */
export function loadNetlink(): NetlinkModule {
  netlink ??= loadNetlinkParts() ?? loadOptional<NetlinkModule>('netlink', netlinkHint);
  return netlink;
}

/**
 * The four files of netlink 0.3 we use, not its index: that one also loads its nl80211, genl and WireGuard
 * codecs and builds a getter for each of their exports — measured on a lone backup's engine thread (sampling heap
 * profile of its first 3 s): about 0.8 MiB of the 6.4 MiB its start allocated, and about 0.4 MB kept in the heap of
 * every thread that loads it (docs/linux.md, "Start-up garbage"). Undefined when the layout is not 0.3's (a newer
 * version with an exports map): the caller then loads the whole module.
 */
function loadNetlinkParts(): NetlinkModule | undefined {
  try {
    const { createRtNetlink } = require('netlink/dist/rt/rt') as Pick<NetlinkModule, 'createRtNetlink'>;
    const { RawNetlinkSocket } = require('netlink/dist/raw') as Pick<NetlinkModule, 'RawNetlinkSocket'>;
    const { AttrStream } = require('netlink/dist/structs') as Pick<NetlinkModule, 'AttrStream'>;
    const rt = require('netlink/dist/rt/structs') as NetlinkModule['rt'];
    if (typeof createRtNetlink !== 'function' || typeof RawNetlinkSocket !== 'function' || typeof AttrStream !== 'function') return undefined;
    if (typeof rt.formatAddressMessage !== 'function' || typeof rt.parseAddressMessage !== 'function') return undefined;
    return { createRtNetlink, RawNetlinkSocket, AttrStream, rt };
  } catch {
    return undefined;
  }
}
