/**
 * Every warm-up of the takeover path, in one place (docs/architecture.md, "The prepare → takeover contract").
 *
 * Why they exist: V8 compiles a function at its first call, and a backup's first call into most of the takeover's
 * code is the takeover itself — microseconds of compilation between its advert and its gratuitous ARP, which are
 * client outage. Each function here runs one piece of that path once at start, with nothing to do, so that the
 * takeover runs compiled code. Each says what it warms and what it measured. Nothing here sends a packet or changes
 * an address. (The engine's own rehearsal of the core, being the same on every platform, lives in the engine.)
 */
import type { VirtualAddress } from '../config.js';
import { gratuitousArpFrame, unsolicitedNeighborAdvertisementFrame } from './announce-frames.js';
import { prepareBurst, type PacketSocket } from './packet-socket.js';

/** An empty datagram: every send below is refused with it before any syscall. */
const EMPTY = new Uint8Array(0);
/** fe80::1: a valid unicast source and target for the throwaway NA frame (:: is refused as a source). */
const WARM_UP_LINK_LOCAL = Uint8Array.of(0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);

/**
 * The transport's send (LinuxTransport.send, then the shared socket's): a backup's first send is its takeover's
 * advert (measured on the raw-socket transport: the advert left 0.07 ms sooner once warmed). `sendClosed` runs
 * before the transport has a socket (it throws at its first line); `sendEmpty` is refused before any syscall.
 */
export function warmTransportSend(sendClosed: () => void, sendEmpty: () => void): void {
  try {
    sendClosed();
  } catch {
    // expected: "transport is closed"
  }
  try {
    sendEmpty();
  } catch {
    // expected: RangeError, nothing sent
  }
}

/**
 * The transport's armed takeover (native/vrrp_socket.c, "Armed takeovers"): `arm` arms one far in the future,
 * `send` makes a send that looks at it (and, finding it unfired, disarms it; the send itself is refused before
 * any syscall), `settle` ends what is left. Its first arming, cold, moved the takeover's deadline 0.16 ms later
 * (in-process trace, failover benchmark). Nothing is sent.
 */
export function warmArmedTakeover(arm: () => void, send: () => void, settle: () => void): void {
  try {
    arm();
    send();
  } catch {
    // expected: RangeError from the send, nothing sent
  } finally {
    settle();
  }
}

/**
 * The announcer's send and both frame builders (a takeover's gratuitous ARP / unsolicited NA): an empty frame is
 * refused before any syscall, and the frames built are thrown away.
 */
export function warmAnnouncement(socket: PacketSocket): void {
  try {
    socket.send(EMPTY);
  } catch {
    // expected: RangeError, nothing sent
  }
  gratuitousArpFrame(socket.mac, new Uint8Array(4));
  unsolicitedNeighborAdvertisementFrame(socket.mac, WARM_UP_LINK_LOCAL, WARM_UP_LINK_LOCAL, { router: false });
}

/** What {@link warmTakeover} drives: the VIP manager's takeover entry point and its address request path. */
export interface TakeoverRehearsal {
  /** The takeover's entry point (VipManager.addAndAnnounce). */
  addAndAnnounce(iface: string, addresses: readonly VirtualAddress[]): Promise<void> | void;
  /** Sends a request the kernel refuses without touching anything (an add with a valid lifetime of 0: EINVAL). */
  refusedAdd?: () => Promise<unknown>;
}

/**
 * The VIP manager's takeover (NetlinkVipManager.addAndAnnounce and what it calls). V8 compiles a whole function at
 * its first call, but not the functions defined inside it, so the path is written without inner functions and one
 * call with nothing to add compiles it: the validity check of the prepared burst, add() and announce() (add()'s
 * first call measured 0.06-0.07 ms at a takeover), the scheduling of later bursts; then an empty burst's run() (no
 * syscall). The address request path is run once with a request the kernel refuses (EINVAL): the first add cost
 * 0.6 ms, later ones 0.1 ms, all of it between the takeover's advert and its gratuitous ARP. Together with the
 * engine's rehearsal, a first takeover's gratuitous ARP left 0.3-0.4 ms after its advert instead of about 0.75 ms
 * (timed inside the process, in a namespace).
 */
export async function warmTakeover(iface: string, rehearsal: TakeoverRehearsal): Promise<void> {
  await rehearsal.refusedAdd?.();
  await rehearsal.addAndAnnounce(iface, []);
  prepareBurst([]).run();
}
