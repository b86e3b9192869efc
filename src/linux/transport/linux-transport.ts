/**
 * The {@link Transport} of one instance on Linux: a thin view on its thread's shared VRRP socket for the interface
 * and family (./vrrp-socket.ts), registered under the instance's VRID. It picks the primary address (our source
 * and tie-break address), encodes the destinations once, and sends with the source pinned.
 */
import type { AbsorbedRepeats, CounterTally, ReceivedPacket, RepeatedAdverts, RepeatSilence, Transport, TransportOpened, TransportOptions } from '../../adapters/types.js';
import { toPacketSocketError } from '../addon.js';
import { VRRP_MULTICAST_GROUP } from '../../core/advertisement.js';
import { parseIp } from '../../core/ip-address.js';
import { VrrpError } from '../../errors.js';
import { getInterface, getInterfaceAddresses, pickPrimaryAddress } from '../interfaces.js';
import { warmTransportSend } from '../warm-up.js';
import { acquireVrrpSocket, type AbsorbedRepeat, type VrrpSocket, type VrrpSocketStats } from './vrrp-socket.js';

/** A {@link Transport} on the thread's shared raw socket for its interface. One per VRRP instance. */
export class LinuxTransport implements Transport {
  #socket: VrrpSocket | undefined;
  #vrid = 0;
  #source: Uint8Array | null = null;
  /** What open() was given, to pick the primary address again (see resolvePrimaryAddress). */
  #options: TransportOptions | undefined;

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
    warmTransportSend(
      () => this.send(VRRP_MULTICAST_GROUP[family], EMPTY),
      () => socket.send(EMPTY, EMPTY, null),
    );
  }

  /** See {@link Transport.resolvePrimaryAddress}. */
  async resolvePrimaryAddress(): Promise<string | undefined> {
    const options = this.#options;
    if (options === undefined || this.#socket === undefined) return undefined;
    const primaryAddress = await this.#pickPrimaryAddress(options);
    if (primaryAddress !== undefined) this.#source = addressBytes(primaryAddress);
    return primaryAddress;
  }

  async #pickPrimaryAddress(options: TransportOptions): Promise<string | undefined> {
    if (options.primaryAddress !== undefined) return options.primaryAddress;
    const link = await getInterface(options.interface);
    if (!link) throw new VrrpError('transport_failed', `interface ${options.interface} does not exist`);
    const addresses = await getInterfaceAddresses(link.index, options.family);
    return pickPrimaryAddress(addresses, options.family, new Set(options.virtualAddresses), options.unicastPeers);
  }

  /** See {@link Transport.send}. Synchronous sendmsg; errors are thrown to the engine, which reports them. */
  send(dst: string, bytes: Uint8Array): void {
    const socket = this.#socket;
    if (socket === undefined) throw new VrrpError('send_failed', 'transport is closed');
    socket.send(bytes, addressBytes(dst), this.#source);
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
  /** The addon's news of our VRID: a backup's silence or a master's stopped schedule (never both at once). */
  readonly #onNotice = (): void => {
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

  /** See {@link Transport.close}. */
  close(): void {
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.unregister(this.#vrid);
  }
}

const EMPTY = new Uint8Array(0);

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
