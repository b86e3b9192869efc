/**
 * The {@link Transport} of one instance on Linux: a thin view on its thread's shared VRRP socket for the interface
 * and family (./vrrp-socket.ts), registered under the instance's VRID. It picks the primary address (our source
 * and tie-break address), encodes the destinations once, and sends with the source pinned.
 */
import type { AbsorbedRepeats, CounterTally, ReceivedPacket, RepeatedAdverts, RepeatSilence, TakeoverBurst, Transport, TransportOpened, TransportOptions } from '../../adapters/types.js';
import { toPacketSocketError } from '../addon.js';
import { VRRP_MULTICAST_GROUP } from '../../core/advertisement.js';
import { parseIp } from '../../core/ip-address.js';
import { VrrpError } from '../../errors.js';
import { getInterface, getInterfaceAddresses, pickPrimaryAddress } from '../interfaces.js';
import { warmArmedTakeover, warmTransportSend } from '../warm-up.js';
import { acquireVrrpSocket, TAKEOVER_ARMED, TAKEOVER_NONE, type AbsorbedRepeat, type VrrpSocket, type VrrpSocketStats } from './vrrp-socket.js';

/** A {@link Transport} on the thread's shared raw socket for its interface. One per VRRP instance. */
export class LinuxTransport implements Transport {
  #socket: VrrpSocket | undefined;
  #vrid = 0;
  #source: Uint8Array | null = null;
  /** What open() was given, to pick the primary address again (see resolvePrimaryAddress) and to reopen. */
  #options: TransportOptions | undefined;
  /** Where open() said packets go, for reopen(). */
  #onPacket: ((packet: ReceivedPacket) => void) | undefined;

  /** Drop counters of the shared socket (all instances on the interface and family). */
  get socketStats(): VrrpSocketStats | undefined {
    return this.#socket?.stats;
  }

  /** See {@link Transport.open}. `onFailure` is never called: see VridReceiver. */
  async open(options: TransportOptions, onPacket: (packet: ReceivedPacket) => void): Promise<TransportOpened> {
    if (this.#socket) throw new VrrpError('transport_failed', 'transport is already open');
    // No address to send from (an IPv6 link that is down has no link-local address) is not an error: the instance
    // starts in Fault, as keepalived does, and asks again when the link monitor reports the link up.
    const primaryAddress = await this.#pickPrimaryAddress(options);
    const socket = acquireVrrpSocket(options.interface, options.family);
    this.#warm(options.family, socket);
    try {
      socket.register(options.vrid, { onPacket, onNotice: this.#onNotice }, options.unicastPeers.length === 0);
    } catch (error) {
      if (socket.receivers === 0) socket.close();
      throw error;
    }
    this.#socket = socket;
    this.#vrid = options.vrid;
    this.#options = options;
    this.#onPacket = onPacket;
    this.#source = primaryAddress === undefined ? null : addressBytes(primaryAddress);
    // Encoded now, not at the first send (a takeover's): parseIp is not free, and a bad peer should fail the open.
    for (const dst of [VRRP_MULTICAST_GROUP[options.family], ...options.unicastPeers]) addressBytes(dst);
    return { primaryAddress };
  }

  /** See {@link Transport.warm}: the send path as at open, nothing sent. */
  warm(): void {
    if (this.#socket && this.#options) this.#warm(this.#options.family, this.#socket);
  }

  #warm(family: TransportOptions['family'], socket: VrrpSocket): void {
    // Not while a takeover is armed or fired: the warm-up's send would go through it (#tookOver) and disarm it, and
    // the takeover then ran from the engine's fallback timer (found by review). Its path is hot then anyway.
    if (this.#takeover !== undefined) return;
    const group = VRRP_MULTICAST_GROUP[family];
    warmTransportSend(
      () => this.send(group, EMPTY),
      () => socket.send(EMPTY, EMPTY, null),
    );
    // The armed takeover's path (native/vrrp_socket.c, "Armed takeovers"): armed for an hour, looked at by a send
    // (which disarms it and is refused before any syscall), settled. Nothing is sent.
    warmArmedTakeover(
      () => this.armTakeover([{ dst: group, bytes: EMPTY }], WARM_UP_TAKEOVER_IN_MS),
      () => this.send(group, EMPTY),
      () => this.settleTakeover(),
    );
  }

  /**
   * See {@link Transport.resolvePrimaryAddress}. Asked when the link comes up: the interface may have been made again
   * meanwhile (a new index), and the shared socket then opens again on it (VrrpSocket.rebindIfMoved).
   */
  async resolvePrimaryAddress(): Promise<string | undefined> {
    const options = this.#options;
    if (options === undefined || this.#socket === undefined) return undefined;
    const link = await getInterface(options.interface);
    if (link !== undefined) this.#socket?.rebindIfMoved(link.index);
    const primaryAddress = await this.#pickPrimaryAddress(options, link);
    if (primaryAddress !== undefined) this.#source = addressBytes(primaryAddress);
    return primaryAddress;
  }

  /** `known`: `options.interface` as just read, reused when the addresses are on it (no second links dump). */
  async #pickPrimaryAddress(options: TransportOptions, known?: Awaited<ReturnType<typeof getInterface>>): Promise<string | undefined> {
    if (options.primaryAddress !== undefined) return options.primaryAddress;
    const addressInterface = options.addressInterface ?? options.interface;
    const link = known !== undefined && addressInterface === options.interface ? known : await getInterface(addressInterface);
    if (!link) throw new VrrpError('transport_failed', `interface ${addressInterface} does not exist`);
    const addresses = await getInterfaceAddresses(link.index, options.family);
    return pickPrimaryAddress(addresses, options.family, new Set(options.virtualAddresses), options.unicastPeers);
  }

  /**
   * See {@link Transport.send}. Synchronous sendmsg; errors are thrown to the engine, which reports them. A send
   * that an armed takeover made already (see armTakeover) is not made again: its outcome is the fired one's.
   */
  send(dst: string, bytes: Uint8Array): void {
    const socket = this.#socket;
    if (socket === undefined) throw new VrrpError('send_failed', 'transport is closed');
    if (this.#takeover !== undefined && this.#tookOver(dst, bytes)) return;
    socket.send(bytes, addressBytes(dst), this.#source);
  }

  /**
   * The takeover armed or fired in the addon (native/vrrp_socket.c, "Armed takeovers"): its sends, those of them
   * the engine has not made yet once it fired (`left`), and the errno of its first refused send.
   */
  #takeover: ArmedTakeover | undefined;

  /**
   * Whether `bytes` to `dst` went with the takeover that fired (then throws what its send met, if anything). A
   * send while the takeover is only armed means the engine took over on its own (its fallback timer came first):
   * the armed one is disarmed, so nothing goes twice.
   */
  #tookOver(dst: string, bytes: Uint8Array): boolean {
    const takeover = this.#takeover as ArmedTakeover;
    const socket = this.#socket as VrrpSocket;
    if (!this.#hasFired()) {
      socket.takeover(this.#vrid, 2);
      this.#takeover = undefined;
      return false;
    }
    const sends = takeover.sends;
    let index = -1;
    for (let i = 0; i < sends.length && index < 0; i++) if ((sends[i] as { bytes: Uint8Array }).bytes === bytes && (sends[i] as { dst: string }).dst === dst) index = i;
    if (index < 0) return false;
    if (--takeover.left === 0) {
      // Every send made: the takeover is over; its burst's results wait for the VIP manager's run.
      socket.takeover(this.#vrid, 1);
      this.#takeover = undefined;
    }
    if (takeover.errno !== 0) {
      const cause = Object.assign(new Error(`sendmmsg: errno ${takeover.errno}`), { errno: takeover.errno, syscall: 'sendmmsg' });
      throw toPacketSocketError(`send on ${socket.ifname}`, cause);
    }
    return true;
  }

  /** See {@link Transport.armTakeover}: the shared socket's alarm fires it (native/vrrp_socket.c, "Armed takeovers"). */
  armTakeover(sends: readonly { dst: string; bytes: Uint8Array }[] | undefined, inMs = 0, burst?: TakeoverBurst, onFired?: () => void): boolean {
    // `inMs` is from now: the due time is fixed here, and the socket counts what is left of it at the addon's call.
    const dueMs = performance.now() + Math.max(0, inMs);
    const socket = this.#socket;
    if (socket === undefined) return false;
    // Fired already (the engine may not have heard yet): kept, for the sends and the burst run that catch up.
    if (this.#hasFired()) return false;
    if (sends === undefined || sends.length === 0) {
      if (this.#takeover !== undefined) socket.takeover(this.#vrid, 2);
      this.#takeover = undefined;
      return false;
    }
    const armed = socket.armTakeover(this.#vrid, {
      data: sends.map((send) => send.bytes),
      dst: sends.map((send) => addressBytes(send.dst)),
      source: this.#source,
      dueMs,
      burst: burst?.native ?? null,
    });
    // Refused (messages too many or too long to keep): the one armed before must not fire with its old sends.
    if (!armed && this.#takeover !== undefined) socket.takeover(this.#vrid, 2);
    this.#takeover = armed ? { sends, fired: false, left: sends.length, errno: 0, onFired } : undefined;
    return armed;
  }

  /** Whether the takeover fired, asking the addon when it was armed (its alarm may have fired since). */
  #hasFired(): boolean {
    const takeover = this.#takeover;
    if (takeover === undefined) return false;
    if (takeover.fired) return true;
    const outcome = (this.#socket as VrrpSocket).takeover(this.#vrid, 0);
    if (outcome === TAKEOVER_ARMED || outcome === TAKEOVER_NONE) return false;
    takeover.fired = true;
    takeover.errno = outcome;
    return true;
  }

  /** See {@link Transport.takeoverFired}. */
  takeoverFired(): boolean {
    return this.#hasFired();
  }

  /** See {@link Transport.settleTakeover}. */
  settleTakeover(): boolean {
    const takeover = this.#takeover;
    const socket = this.#socket;
    this.#takeover = undefined;
    if (takeover === undefined || socket === undefined) return false;
    // A fired one's burst results stay: the engine's addAndAnnounce takes them before it removes the addresses.
    const outcome = socket.takeover(this.#vrid, 1);
    return outcome !== TAKEOVER_ARMED && outcome !== TAKEOVER_NONE;
  }

  /** See {@link Transport.queue}: one sendmmsg per socket and task (native/vrrp_socket.c, "Batched adverts"). */
  queue(dst: string, bytes: Uint8Array, failed: (dst: string, cause: unknown) => void): void {
    const socket = this.#socket;
    if (socket === undefined) throw new VrrpError('send_failed', 'transport is closed');
    socket.queue(bytes, addressBytes(dst), this.#source, dst, failed);
  }

  /** See {@link Transport.drain}: reads the shared socket until it is empty, unless a read just found it so. */
  drain(): void {
    this.#socket?.drainIfStale();
  }

  /** See {@link Transport.watchesSilence}: the addon's alarm does (native/vrrp_socket.c, "Silence watch"). */
  readonly watchesSilence = true;
  /** See {@link Transport.tallies}: the addon counts into the engine's shared counters (native/vrrp_socket.c, "Tallies"). */
  readonly tallies = true;
  /** Who hears of a silence (the engine's, from absorbRepeats). */
  #silenceListener: (() => void) | undefined;
  /** Who hears of a stopped advert schedule (the engine's, from repeatAdverts). */
  #stoppedListener: (() => void) | undefined;
  /** The destinations of the advert schedule, for a failure's report. */
  #repeatedDst: readonly string[] = [];
  /**
   * The addon's news of our VRID: a backup's fired takeover (told to the engine as that alone), its silence, or a
   * master's stopped schedule (never both of the last two at once).
   */
  readonly #onNotice = (): void => {
    const takeover = this.#takeover;
    if (takeover !== undefined && !takeover.fired && this.#hasFired()) {
      takeover.onFired?.();
      return;
    }
    this.#silenceListener?.();
    this.#stoppedListener?.();
  };

  /** See {@link Transport.repeatAdverts}: the shared socket's alarm sends them (native/vrrp_socket.c, "Repeated adverts"). */
  repeatAdverts(sends: readonly { dst: string; bytes: Uint8Array }[] | undefined, inMs = 0, intervalMs = 1000, onStopped?: () => void, tally?: CounterTally): boolean {
    const socket = this.#socket;
    this.#stoppedListener = undefined;
    if (socket === undefined) return false;
    if (sends === undefined || sends.length === 0) {
      socket.repeat(this.#vrid, undefined);
      return false;
    }
    const repeated = socket.repeat(this.#vrid, {
      data: sends.map((send) => send.bytes),
      dst: sends.map((send) => addressBytes(send.dst)),
      source: this.#source,
      inMs: Math.max(0, inMs),
      intervalMs,
      ...(tally === undefined ? {} : { tally }),
    });
    if (repeated) {
      this.#stoppedListener = onStopped;
      this.#repeatedDst = sends.map((send) => send.dst);
    }
    return repeated;
  }

  /** See {@link Transport.takeAdverts}. */
  takeAdverts(): RepeatedAdverts | undefined {
    const socket = this.#socket;
    if (socket === undefined) return undefined;
    const count = socket.takeRepeated(this.#vrid);
    const errno = socket.repeatedErrno;
    if (count === 0 && errno === 0) return undefined;
    const taken: RepeatedAdverts = { count, ageMs: socket.repeatedAgeMs };
    if (errno !== 0) {
      const cause = Object.assign(new Error(`sendmmsg: errno ${errno}`), { errno, syscall: 'sendmmsg' });
      taken.error = { dst: this.#repeatedDst[0] ?? '', cause: toPacketSocketError(`send on ${socket.ifname}`, cause) };
    }
    return taken;
  }

  /** See {@link Transport.absorbRepeats}: the shared socket absorbs them for our VRID (native/vrrp_socket.c). */
  absorbRepeats(packet: ReceivedPacket | undefined, holdMs = 0, silence?: RepeatSilence, tally?: CounterTally): boolean {
    const socket = this.#socket;
    this.#silenceListener = undefined;
    if (socket === undefined) return false;
    const src = packet && parseIp(packet.src);
    const dst = packet && parseIp(packet.dst);
    if (packet === undefined || !src || !dst) return socket.absorb(this.#vrid, undefined);
    const repeat: AbsorbedRepeat = { bytes: packet.bytes, source: src.bytes, destination: dst.bytes, ttl: packet.ttl, holdMs };
    if (silence !== undefined) repeat.silence = { inMs: Math.max(0, silence.inMs), afterMs: silence.afterMs };
    if (tally !== undefined) repeat.tally = tally;
    const absorbed = socket.absorb(this.#vrid, repeat);
    if (absorbed && silence !== undefined) this.#silenceListener = silence.onSilence;
    return absorbed;
  }

  /** See {@link Transport.takeRepeats}. */
  takeRepeats(): AbsorbedRepeats | undefined {
    const socket = this.#socket;
    const count = socket === undefined ? 0 : socket.takeAbsorbed(this.#vrid);
    return count === 0 ? undefined : { count, ageMs: (socket as VrrpSocket).absorbedAgeMs };
  }

  /**
   * See {@link Transport.reopen}: a new socket bound to the interface as it is now (a VMAC made again is a new link).
   * What was armed, absorbed or scheduled on the old one for our VRID ends with it.
   */
  reopen(): void {
    const socket = this.#socket;
    const options = this.#options;
    const onPacket = this.#onPacket;
    if (socket === undefined || options === undefined || onPacket === undefined) return;
    if (this.#takeover !== undefined) socket.takeover(this.#vrid, 2);
    this.#takeover = undefined;
    this.#silenceListener = undefined;
    this.#stoppedListener = undefined;
    socket.unregister(this.#vrid);
    // Our VRID off the old socket, which closes (ours alone: a VMAC's); the VRID on one opened anew. One that fails
    // leaves the transport on the closed socket — its sends fail, as they would on the link that went — and a later
    // reopen tries again.
    const next = acquireVrrpSocket(options.interface, options.family);
    try {
      next.register(options.vrid, { onPacket, onNotice: this.#onNotice }, options.unicastPeers.length === 0);
    } catch (error) {
      if (next.receivers === 0) next.close();
      throw error;
    }
    this.#socket = next;
  }

  /** See {@link Transport.close}. */
  close(): void {
    const socket = this.#socket;
    if (this.#takeover !== undefined) socket?.takeover(this.#vrid, 2);
    this.#takeover = undefined;
    this.#socket = undefined;
    socket?.unregister(this.#vrid);
  }
}

const EMPTY = new Uint8Array(0);
/** An armed takeover's delay in a warm-up: far beyond the warm-up, which disarms it at once. */
const WARM_UP_TAKEOVER_IN_MS = 3_600_000;

/** A takeover armed in the addon, or fired there and not all of its sends made by the engine yet (see LinuxTransport). */
interface ArmedTakeover {
  readonly sends: readonly { dst: string; bytes: Uint8Array }[];
  fired: boolean;
  left: number;
  errno: number;
  readonly onFired: (() => void) | undefined;
}

/**
 * Addresses as the addon takes them, one array per address for the whole thread: every instance sends to the same
 * group, and those of an interface from the same primary address. One array each would cost ~250 bytes apiece,
 * since an array handed to native code gets an ArrayBuffer of its own (./kept-bytes.ts). Never written after it is
 * made; as many entries as the addresses configured (groups, unicast peers, primary addresses).
 */
const addressBytesByText = new Map<string, Uint8Array>();

function addressBytes(text: string): Uint8Array {
  let bytes = addressBytesByText.get(text);
  if (bytes === undefined) {
    const parsed = parseIp(text);
    if (!parsed) throw new VrrpError('transport_failed', `${text} is not an IP address`);
    bytes = parsed.bytes;
    addressBytesByText.set(text, bytes);
  }
  return bytes;
}
