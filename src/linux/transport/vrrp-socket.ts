/**
 * The VRRP sockets of a thread: one raw IP socket (protocol 112) per interface and family, opened by our addon
 * (native/vrrp_socket.c) and shared by every instance on that interface, which registers its VRID.
 *
 * Why one socket, not one per instance: every raw socket of protocol 112 on an interface receives its own copy of
 * every VRRP packet, so with a socket per instance receive work grows with instances × packets (measured: 200
 * instances pegged a core as backup). Here each packet is read once and handed to the one instance whose VRID it
 * carries, as keepalived does.
 *
 * Socket facts this relies on (Linux; set by the addon at open):
 * - Bound to the interface (SO_BINDTODEVICE), multicast loop off, TTL / hop limit 255 on send (RFC 9568 §5.1.1.3,
 *   §5.1.2.3), the multicast group joined once when the first multicast instance registers.
 * - IPv4 delivers the IP header: TTL, source and destination come from it. IPv6 delivers no header: the source
 *   comes from recvmsg, the destination from IPV6_PKTINFO and the hop limit from IPV6_HOPLIMIT, so the core judges
 *   the hop limit itself and counts it (no IPV6_MINHOPCOUNT silently dropping it in the kernel). The kernel
 *   computes and verifies the IPv6 VRRP checksum (IPV6_CHECKSUM 6), with the source it really uses.
 * - Each packet carries its age from its kernel receive timestamp (SO_TIMESTAMPNS), so the engine dates it by its
 *   arrival, not by when it was read.
 * - Sends pin their source to the instance's primary address with IP_PKTINFO / IPV6_PKTINFO, so an advert never
 *   leaves from a VIP, whatever the kernel's source selection would pick.
 * - Readiness is a uv_poll on the event loop of the thread that opened the socket: the engine thread's.
 * - Routine adverts may be queued ({@link VrrpSocket.queue}) and leave together in one sendmmsg once the current
 *   task's synchronous work is done (native/vrrp_socket.c, "Batched adverts"); a send at once first sends what is
 *   queued, so the socket's packets leave in the order they were handed over.
 */
import { readSharedSocketStats, SHARED_SOCKET_COUNTS, type CounterTally, type ReceivedPacket, type SharedSocketStats } from '../../adapters/types.js';
import type { AddressFamily } from '../../core/advertisement.js';
import { formatIp } from '../../core/ip-address.js';
import { VrrpError } from '../../errors.js';
import { loadAddon, toPacketSocketError, type NativeAddon } from '../addon.js';
import { missingCapabilitiesHint } from '../capabilities.js';
import { parseIpv4Datagram } from './ip-header.js';

/**
 * What the queue's flush hangs on: `then` on a settled promise queues a bare V8 microtask, where Node's
 * `queueMicrotask` wraps each callback in an AsyncResource and runs it in its scope (perf, one master: that wrapper
 * was about a tenth of the engine thread's samples). The flush never throws, so no rejection can follow.
 */
const SETTLED = Promise.resolve();
/** Bad file descriptor (errno.h): what a message queued on a socket closed before its flush is refused with. */
const EBADF = 9;
/** Ages above this are not trusted: the wall clock was stepped between the packet's arrival and its read. */
const MAX_TRUSTED_AGE_MS = 60_000;

/**
 * What an instance registers to receive its VRID's packets. There is no failure callback: a failed receive is
 * counted and the next readiness tries again, and a dead interface is the link monitor's to report.
 */
export interface VridReceiver {
  /** A packet carrying this VRID. */
  onPacket(packet: ReceivedPacket): void;
  /** The addon has news of this VRID: its absorbed repeats stopped ({@link AbsorbedRepeat.silence}), or its advert schedule did ({@link VrrpSocket.repeat}). */
  onNotice?(): void;
}

/** A packet whose exact repeats the addon absorbs for one VRID (see {@link VrrpSocket.absorb}). */
export interface AbsorbedRepeat {
  /** The VRRP message. */
  bytes: Uint8Array;
  /** Source address, 4 or 16 bytes. */
  source: Uint8Array;
  /** Destination address, 4 or 16 bytes. */
  destination: Uint8Array;
  /** TTL (IPv4) or hop limit (IPv6). */
  ttl: number;
  /** How long other packets for this VRID may wait unread, in ms. */
  holdMs: number;
  /**
   * When to tell the receiver's `onNotice` that the repeats stopped: no repeat `inMs` from now, or `afterMs` after
   * the last one (native/vrrp_socket.c, "Silence watch").
   */
  silence?: { inMs: number; afterMs: number };
  /** Where each repeat is counted as it is absorbed (native/vrrp_socket.c, "Tallies"). */
  tally?: CounterTally;
}

/** The longest hold the addon is asked for, whatever the instances allow (native/vrrp_socket.c, "Held reads"). */
const MAX_HOLD_MS = 50;
/**
 * A read that found the socket empty this recently stands for a drain (see VrrpSocket.drainIfStale): as fresh as
 * the engine's own bound for a timer on time, which needs no drain (DRAIN_WHEN_LATE_MS, src/engine/engine.ts).
 */
const FRESH_EMPTY_MS = 1;

/** Counters of what the socket read and dropped before any instance saw it. */
export type VrrpSocketStats = SharedSocketStats;

/** Where each counter of {@link VrrpSocket.counts} is (SHARED_SOCKET_COUNTS's order). */
const RECEIVED = SHARED_SOCKET_COUNTS.indexOf('received');
const MALFORMED = SHARED_SOCKET_COUNTS.indexOf('malformed');
const OTHER_VRID = SHARED_SOCKET_COUNTS.indexOf('otherVrid');
const RECEIVE_ERRORS = SHARED_SOCKET_COUNTS.indexOf('receiveErrors');

/** Told of each socket this thread opens, with its counters (the engine thread hands them to the main thread). */
export type VrrpSocketOpened = (ifname: string, family: AddressFamily, counts: SharedArrayBuffer) => void;
let socketOpened: VrrpSocketOpened | undefined;

/** Sets who is told of each VRRP socket this thread opens from now on (undefined: nobody). */
export function onVrrpSocketOpened(listener: VrrpSocketOpened | undefined): void {
  socketOpened = listener;
}

/** Who hears of a queued message that could not be sent (see {@link VrrpSocket.queue}). */
export type QueuedSendFailed = (dst: string, cause: unknown) => void;

/** One shared raw socket. */
export class VrrpSocket {
  /** Interface name. */
  readonly ifname: string;
  /** Address family. */
  readonly family: AddressFamily;
  /**
   * Received, malformed, other VRID, receive errors: in shared memory, so that the main thread reads them as they
   * are while this thread counts (status() of an instance on the engine thread; see {@link onVrrpSocketOpened}).
   */
  readonly counts = new Float64Array(new SharedArrayBuffer(SHARED_SOCKET_COUNTS.length * Float64Array.BYTES_PER_ELEMENT));

  /** The counters, as of now. */
  get stats(): VrrpSocketStats {
    return readSharedSocketStats(this.counts);
  }

  #tally(index: number, n = 1): void {
    this.counts[index] = (this.counts[index] as number) + n;
  }
  readonly #native: NativeAddon;
  #handle: unknown;
  #joined = false;
  /** Receivers by VRID (index 1…255). */
  readonly #receivers: (VridReceiver | undefined)[] = new Array(256).fill(undefined);
  #count = 0;
  readonly #data = new Uint8Array(65_536);
  readonly #addresses = new Uint8Array(32);
  readonly #meta = new Float64Array(3);
  readonly #absorbedMeta = new Float64Array(1);
  readonly #repeatedMeta = new Float64Array(2);
  /** Each absorbing VRID's hold in ms (see absorb); undefined: not absorbing. */
  readonly #holds: (number | undefined)[] = new Array(256).fill(undefined);
  /** The hold the addon has. */
  #hold = 0;
  readonly #onClose: () => void;
  /** The messages queued for the next flush, by position; only the first #queued count (see queue). */
  readonly #queuedData: Uint8Array[] = [];
  readonly #queuedDst: Uint8Array[] = [];
  readonly #queuedSource: (Uint8Array | null)[] = [];
  readonly #queuedDstText: string[] = [];
  readonly #queuedFailed: QueuedSendFailed[] = [];
  #queued = 0;
  #errnos = new Int32Array(64);

  /** Opens the socket; throws a `transport_failed` {@link VrrpError} saying what is missing. */
  constructor(ifname: string, family: AddressFamily, onClose: () => void) {
    this.ifname = ifname;
    this.family = family;
    this.#onClose = onClose;
    try {
      this.#native = loadAddon();
    } catch (cause) {
      throw new VrrpError('transport_failed', `cannot open the vrrp socket on ${ifname}: ${(cause as Error).message}`, { cause });
    }
    try {
      this.#handle = this.#openNative();
    } catch (cause) {
      const error = toPacketSocketError(`raw socket on ${ifname}`, cause);
      const errno = (error as { code?: string }).code;
      const hint = errno === 'EPERM' || errno === 'EACCES' ? `: ${missingCapabilitiesHint('CAP_NET_RAW')}` : '';
      throw new VrrpError('transport_failed', `cannot open the vrrp socket (${(error as Error).message})${hint}`, { cause: error });
    }
  }

  /**
   * Opens the socket again when the interface of its name now has another index than the one it was bound to: an
   * interface deleted and made again under the same name (a VLAN, a bond, a veth) is a new link, SO_BINDTODEVICE
   * bound the old one's index, and the old socket hears nothing more. Its VRIDs stay registered; what was absorbed,
   * scheduled or armed on the old socket ends with it (the link monitor reports such an interface down and up again,
   * so every instance on it went through Fault, which ends them). Returns whether it opened a new one; throws a
   * `transport_failed` VrrpError when it cannot (the old one stays).
   */
  rebindIfMoved(ifindex: number): boolean {
    const old = this.#handle;
    if (old === undefined || this.#native.vrrpIfindex(old) === ifindex) return false;
    let next: unknown;
    try {
      next = this.#openNative();
      if (this.#joined) this.#native.vrrpJoin(next);
    } catch (cause) {
      if (next !== undefined) this.#native.vrrpClose(next);
      throw new VrrpError('transport_failed', `cannot open the vrrp socket on ${this.ifname} again, made anew with index ${ifindex}: ${(toPacketSocketError('open', cause) as Error).message}`, { cause });
    }
    this.#flush(); // handed over before the close: they leave, or fail and are reported
    this.#handle = next;
    this.#native.vrrpClose(old);
    this.#holds.fill(undefined);
    this.#hold = 0;
    return true;
  }

  /** A native socket on the interface of this name as it is now. */
  #openNative(): unknown {
    // VRRP_KERNEL_SILENCE=0 turns the kernel's silence timers off (docs/linux.md); read here, not by getenv in the
    // addon, which on the engine thread could race the main thread's writes to process.env.
    return this.#native.vrrpOpen(this.family === 'ipv4' ? 4 : 6, this.ifname, this.drain, process.env.VRRP_KERNEL_SILENCE !== '0');
  }

  /** Number of registered VRIDs. */
  get receivers(): number {
    return this.#count;
  }

  /** Registers `vrid`; throws if another instance of this thread serves it on this interface and family. */
  register(vrid: number, receiver: VridReceiver, multicast: boolean): void {
    if (this.#receivers[vrid] !== undefined) {
      throw new VrrpError('transport_failed', `vrid ${vrid} (${this.family}) is already served on ${this.ifname} by another instance of this process`);
    }
    if (multicast && !this.#joined) {
      try {
        this.#native.vrrpJoin(this.#handle);
      } catch (cause) {
        throw new VrrpError('transport_failed', `cannot join the vrrp multicast group on ${this.ifname}: ${(toPacketSocketError('join', cause) as Error).message}`, { cause });
      }
      this.#joined = true;
    }
    this.#receivers[vrid] = receiver;
    this.#count++;
    this.#setHold(); // a VRID that does not absorb yet ends the held reads
  }

  /** Unregisters `vrid`; the last one closes the socket. */
  unregister(vrid: number): void {
    if (this.#receivers[vrid] === undefined) return;
    this.#receivers[vrid] = undefined;
    this.#count--;
    this.absorb(vrid, undefined);
    this.repeat(vrid, undefined);
    if (this.#count === 0) this.close();
  }

  /**
   * Has the addon send `schedule.data[i]` to `schedule.dst[i]` (from `source` when not null) for `vrid`, first
   * `inMs` from now and then every `intervalMs`, in C (native/vrrp_socket.c, "Repeated adverts"); undefined stops.
   * Returns whether it does (false: messages too many or too long to keep). Collect with {@link takeRepeated}.
   */
  repeat(
    vrid: number,
    schedule: { data: readonly Uint8Array[]; dst: readonly Uint8Array[]; source: Uint8Array | null; inMs: number; intervalMs: number; tally?: CounterTally } | undefined,
  ): boolean {
    if (this.#handle === undefined) return false;
    if (schedule === undefined) return this.#native.vrrpRepeat(this.#handle, vrid, null);
    const { tally } = schedule;
    // The addon takes undefined tally arguments as none.
    return this.#native.vrrpRepeat(this.#handle, vrid, schedule.data, schedule.dst, schedule.source, schedule.inMs, schedule.intervalMs, tally?.counts, tally?.index, tally?.deadlineIndex);
  }

  /**
   * Has the addon take `vrid` over in C at `takeover.dueMs` (on performance.now()'s timeline; native/vrrp_socket.c,
   * "Armed takeovers"): send `data[i]` to `dst[i]` (from `source` when not null) and fire `burst`, unless a repeat
   * comes or a datagram waits unread; undefined disarms. Returns whether it is armed. See {@link takeover}.
   */
  armTakeover(vrid: number, takeover: { data: readonly Uint8Array[]; dst: readonly Uint8Array[]; source: Uint8Array | null; dueMs: number; burst: unknown } | undefined): boolean {
    if (this.#handle === undefined) return false;
    if (takeover === undefined) return this.#native.vrrpArmTakeover(this.#handle, vrid, null);
    // What is left, read at the call: the JavaScript since the engine set the deadline (cold at a backup's first
    // arming) put the addon's due time 0.03-0.04 ms after the core's (in-process trace, failover bench's lab).
    const { data, dst, source, dueMs } = takeover;
    const burst = takeover.burst ?? null;
    return this.#native.vrrpArmTakeover(this.#handle, vrid, data, dst, source, Math.max(0, dueMs - performance.now()), burst);
  }

  /**
   * `vrid`'s takeover: {@link TAKEOVER_NONE}, {@link TAKEOVER_ARMED}, or fired (the errno of its first refused
   * advert, 0 when all went). `settle` 1 ends it (disarms, or forgets a fired one), 2 also drops its burst's results.
   */
  takeover(vrid: number, settle: 0 | 1 | 2): number {
    if (this.#handle === undefined) return TAKEOVER_NONE;
    return this.#native.vrrpTakeover(this.#handle, vrid, settle);
  }

  /** How many times `vrid`'s schedule fired since the last call; see {@link repeatedAgeMs} and {@link repeatedErrno}. */
  takeRepeated(vrid: number): number {
    if (this.#handle === undefined) {
      this.#repeatedMeta[0] = -1;
      this.#repeatedMeta[1] = 0;
      return 0;
    }
    return this.#native.vrrpRepeated(this.#handle, vrid, this.#repeatedMeta);
  }

  /** Age in ms of the last firing {@link takeRepeated} reported, 0 when unknown. */
  get repeatedAgeMs(): number {
    const ageMs = this.#repeatedMeta[0] as number;
    return ageMs >= 0 && ageMs < MAX_TRUSTED_AGE_MS ? ageMs : 0;
  }

  /** The errno of the send that stopped the schedule, as {@link takeRepeated} reported it; 0: none. */
  get repeatedErrno(): number {
    return this.#repeatedMeta[1] as number;
  }

  /**
   * Has the addon absorb exact repeats of `repeat.bytes` (the VRRP message) for `vrid` from `source` to
   * `destination` with `ttl` — read and counted on readiness, never handed to JavaScript (native/vrrp_socket.c,
   * "Absorbed repeats"); undefined absorbs nothing. Returns whether it absorbs (a message too long to keep is not).
   * While every VRID of the socket absorbs, the socket is read in batches, held for the shortest `holdMs` of them
   * ("Held reads" there); otherwise on every readiness, as before.
   */
  absorb(vrid: number, repeat: AbsorbedRepeat | undefined): boolean {
    if (this.#handle === undefined) return false;
    const { silence, tally } = repeat ?? {};
    // The addon takes undefined silence and tally arguments as none.
    const absorbed =
      repeat === undefined
        ? this.#native.vrrpAbsorb(this.#handle, vrid, null)
        : this.#native.vrrpAbsorb(
            this.#handle,
            vrid,
            repeat.bytes,
            repeat.source,
            repeat.destination,
            repeat.ttl,
            silence?.inMs,
            silence?.afterMs,
            tally?.counts,
            tally?.index,
            tally?.deadlineIndex,
            tally?.deadlineAfterMs ?? 0,
          );
    this.#holds[vrid] = absorbed && repeat !== undefined ? Math.max(0, Math.floor(repeat.holdMs)) : undefined;
    this.#setHold();
    return absorbed;
  }

  /** The socket's hold: the shortest of its VRIDs' while every registered one absorbs, else none. */
  #setHold(): void {
    let holdMs = Infinity;
    let absorbing = 0;
    for (let vrid = 1; vrid < 256; vrid++) {
      const hold = this.#holds[vrid];
      if (hold === undefined || this.#receivers[vrid] === undefined) continue;
      absorbing++;
      if (hold < holdMs) holdMs = hold;
    }
    const hold = absorbing > 0 && absorbing === this.#count ? Math.min(holdMs, MAX_HOLD_MS) : 0;
    if (hold === this.#hold || this.#handle === undefined) return;
    this.#hold = hold;
    this.#native.vrrpHold(this.#handle, hold);
  }

  /** How many repeats the addon absorbed for `vrid` since the last call; the last one's age is then {@link absorbedAgeMs}. */
  takeAbsorbed(vrid: number): number {
    if (this.#handle === undefined) return 0;
    const count = this.#native.vrrpAbsorbed(this.#handle, vrid, this.#absorbedMeta);
    this.#tally(RECEIVED, count);
    return count;
  }

  /** Age in ms of the last repeat {@link takeAbsorbed} reported, 0 when unknown or not to be trusted (as a read packet's). */
  get absorbedAgeMs(): number {
    const ageMs = this.#absorbedMeta[0] as number;
    return ageMs >= 0 && ageMs < MAX_TRUSTED_AGE_MS ? ageMs : 0;
  }

  /** Sends one VRRP message to `dst` from `source` (4 or 16 bytes each). Throws a `PacketSocketError`. */
  send(bytes: Uint8Array, dst: Uint8Array, source: Uint8Array | null): void {
    if (this.#queued > 0) this.#flush(); // what was handed over first leaves first
    try {
      this.#native.vrrpSend(this.#handle, bytes, dst, source);
    } catch (cause) {
      throw toPacketSocketError(`send on ${this.ifname}`, cause);
    }
  }

  /**
   * Queues a message to leave with every other one queued in the same task, in one sendmmsg, when its synchronous
   * work is done (a microtask, see SETTLED); `failed` hears of a message the kernel refused, with `dstText` for its report.
   * Nothing is allocated per message: the queue's arrays are reused.
   */
  queue(bytes: Uint8Array, dst: Uint8Array, source: Uint8Array | null, dstText: string, failed: QueuedSendFailed): void {
    const at = this.#queued++;
    if (at === 0) void SETTLED.then(this.#flush);
    this.#queuedData[at] = bytes;
    this.#queuedDst[at] = dst;
    this.#queuedSource[at] = source;
    this.#queuedDstText[at] = dstText;
    this.#queuedFailed[at] = failed;
  }

  /** Sends what is queued; each refused message is reported to its sender, and no report stops the others. */
  readonly #flush = (): void => {
    const count = this.#queued;
    if (count === 0) return;
    this.#queued = 0;
    if (this.#errnos.length < count) this.#errnos = new Int32Array(Math.max(count, this.#errnos.length * 2));
    const errnos = this.#errnos;
    let failures = count;
    if (this.#handle === undefined) {
      errnos.fill(EBADF, 0, count); // queued after the close
    } else {
      try {
        failures = this.#native.vrrpSendMany(this.#handle, this.#queuedData, this.#queuedDst, this.#queuedSource, count, errnos);
      } catch (cause) {
        // A bad argument, not a kernel refusal: every message of this flush is reported with it.
        for (let i = 0; i < count; i++) this.#report(i, cause);
        return;
      }
    }
    for (let i = 0; i < count && failures > 0; i++) {
      const errno = errnos[i] as number;
      if (errno === 0) continue;
      failures--;
      this.#report(i, toPacketSocketError(`send on ${this.ifname}`, Object.assign(new Error(`sendmmsg: errno ${errno}`), { errno, syscall: 'sendmmsg' })));
    }
  };

  #report(at: number, cause: unknown): void {
    try {
      (this.#queuedFailed[at] as QueuedSendFailed)(this.#queuedDstText[at] as string, cause);
    } catch {
      // A sender reports its own failures; one that throws must not cost the others theirs.
    }
  }

  /**
   * Reads every datagram waiting and hands each to its VRID's receiver, synchronously. Called by the addon when the
   * socket is readable, and by the engine before a late timer is processed (see Transport.drain).
   */
  readonly drain = (): void => {
    const native = this.#native;
    for (;;) {
      if (this.#handle === undefined) return;
      let length: number;
      try {
        length = native.vrrpRecv(this.#handle, this.#data, this.#addresses, this.#meta);
      } catch {
        this.#tally(RECEIVE_ERRORS);
        return;
      }
      if (length < 0) {
        this.#emptyAtMs = performance.now();
        if (length === -2) this.#tellNotices();
        return;
      }
      this.#tally(RECEIVED);
      this.#dispatch(length);
    }
  };

  /** Tells each VRID the addon has news of (its -2 from vrrpRecv): one receiver's throw spares none. */
  #tellNotices(): void {
    let first: unknown;
    let failed = false;
    for (let vrid: number; this.#handle !== undefined && (vrid = this.#native.vrrpNotice(this.#handle)) !== 0; ) {
      try {
        this.#receivers[vrid]?.onNotice?.();
      } catch (error) {
        if (!failed) first = error;
        failed = true;
      }
    }
    if (failed) throw first;
  }

  /** When a read last found the socket empty (performance.now()). */
  #emptyAtMs = -Infinity;

  /**
   * The engine's drain before a late timer (see Transport.drain): skipped when a read found the socket empty less
   * than {@link FRESH_EMPTY_MS} ago. Why: the timers of many instances fire in one wake-up of the thread, each a
   * little later than the one before; once they pass the engine's lateness bound, each drained the socket again, an
   * empty recvmsg per advert sent (seen at 255 masters), where the first drain of the wake-up had read it already.
   */
  drainIfStale(): void {
    if (performance.now() - this.#emptyAtMs >= FRESH_EMPTY_MS) this.drain();
  }

  #dispatch(length: number): void {
    // When the addon read it: the age it measured then grows by the time this dispatch takes (see below).
    const readAtMs = performance.now();
    const data = this.#data;
    let packet: ReceivedPacket;
    if (this.family === 'ipv4') {
      const datagram = parseIpv4Datagram(data, length);
      if (datagram === undefined || datagram.payloadEnd - datagram.payloadOffset < 2) {
        this.#tally(MALFORMED);
        return;
      }
      packet = {
        bytes: data.slice(datagram.payloadOffset, datagram.payloadEnd),
        src: ipv4Text(datagram.src),
        dst: ipv4Text(datagram.dst),
        ttl: datagram.ttl,
      };
    } else {
      if (length < 2) {
        this.#tally(MALFORMED);
        return;
      }
      const hopLimit = this.#meta[1] as number;
      packet = {
        bytes: data.slice(0, length),
        src: formatIp(this.#addresses.subarray(0, 16)),
        dst: formatIp(this.#addresses.subarray(16, 32)),
        // The addon asks for IPV6_HOPLIMIT on every packet; were it ever missing, the kernel's own check is gone
        // too, so the packet is judged as sent by a neighbour (hop limit 255) rather than dropped.
        ttl: hopLimit >= 0 ? hopLimit : 255,
      };
    }
    const receiver = this.#receivers[packet.bytes[1] as number];
    if (receiver === undefined) {
      this.#tally(OTHER_VRID);
      return;
    }
    const ageMs = this.#meta[0] as number;
    // The age as of the hand-over, not of the read: the engine dates the packet by now minus its age, and the
    // JavaScript between the two (this dispatch, cold for a backup's first advert) moved the arrival — and the
    // Master_Down_Timer started from it — that much later: 0.3-2.2 ms at 1 s adverts (failover bench's lab).
    if (ageMs >= 0 && ageMs < MAX_TRUSTED_AGE_MS) packet.ageMs = ageMs + (performance.now() - readAtMs);
    receiver.onPacket(packet);
  }

  /** Closes the socket (idempotent); the last receiver's unregister does it. */
  close(): void {
    const handle = this.#handle;
    if (handle === undefined) return;
    this.#flush(); // handed over before the close: they leave
    this.#handle = undefined;
    this.#native.vrrpClose(handle);
    this.#onClose();
  }
}

/**
 * IPv4 addresses as text, remembered by value: every packet names its source and destination, and on a LAN they
 * are a handful (the peers, the group) — formatting them anew was per-packet work. Bounded: cleared when full.
 */
const ipv4Texts = new Map<number, string>();
const IPV4_TEXTS_MAX = 4096;

function ipv4Text(bytes: Uint8Array): string {
  const key = (((bytes[0] as number) << 24) | ((bytes[1] as number) << 16) | ((bytes[2] as number) << 8) | (bytes[3] as number)) >>> 0;
  let text = ipv4Texts.get(key);
  if (text === undefined) {
    if (ipv4Texts.size >= IPV4_TEXTS_MAX) ipv4Texts.clear();
    text = formatIp(bytes);
    ipv4Texts.set(key, text);
  }
  return text;
}

/** This thread's sockets, by interface and family. */
const sockets = new Map<string, VrrpSocket>();

/** The socket for `ifname` and `family` of this thread, opened on first use. */
export function acquireVrrpSocket(ifname: string, family: AddressFamily): VrrpSocket {
  const key = `${family} ${ifname}`;
  let socket = sockets.get(key);
  if (socket === undefined) {
    socket = new VrrpSocket(ifname, family, () => {
      if (sockets.get(key) === socket) sockets.delete(key);
    });
    sockets.set(key, socket);
    socketOpened?.(ifname, family, socket.counts.buffer as SharedArrayBuffer);
  }
  return socket;
}

/** {@link VrrpSocket.takeover}: no takeover. */
export const TAKEOVER_NONE = -3;
/** {@link VrrpSocket.takeover}: armed, not fired. */
export const TAKEOVER_ARMED = -2;
