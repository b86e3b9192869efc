/**
 * Shared set-up for the VrrpInstance tests: one instance on the in-memory fakes and a virtual clock, plus helpers
 * to read what it sent and to play a peer on the wire.
 *
 * Numbers every test leans on (v3, advertisement interval 1000 ms, priority 100): Skew_Time = 156/256 s = 609.375 ms,
 * so Master_Down_Interval = 3609.375 ms and a lone router becomes master at t = 3609.375 ms (RFC 9568 §6.1).
 */
import type { Advertisement } from '../../src/core/advertisement.js';
import { decodeAdvertisement, encodeAdvertisement } from '../../src/core/codec.js';
import type { ReceivedPacket } from '../../src/adapters/types.js';
import type { VrrpConfig } from '../../src/config.js';
import { VrrpInstance } from '../../src/instance.js';
import { FakeLinkMonitor, FakeTransport, FakeVipManager, VirtualClock, type SentPacket } from '../../src/testing/index.js';

/** Our primary address (source of our advertisements). */
export const PRIMARY = '192.0.2.1';
/** A peer on the same segment, with a higher address than ours. */
export const PEER = '192.0.2.2';
/** The virtual address of every test instance. */
export const VIP = '192.0.2.100';
/** The VRRP IPv4 multicast group. */
export const GROUP = '224.0.0.18';
/** Master_Down_Interval of a v3 router at priority 100 with a 1000 ms interval: 3 × 1000 + 609.375. */
export const MASTER_DOWN_MS = 3609.375;

/** A minimal valid configuration; `overrides` replace fields. */
export function baseConfig(overrides: Partial<VrrpConfig> = {}): VrrpConfig {
  return { interface: 'eth0', vrid: 51, virtualAddresses: [`${VIP}/24`], ...overrides };
}

/** Everything a test needs to drive and observe one instance. */
export interface Harness {
  clock: VirtualClock;
  transport: FakeTransport;
  vips: FakeVipManager;
  link: FakeLinkMonitor | undefined;
  instance: VrrpInstance;
  /** Virtual time of every packet the transport accepted, in order. */
  sendTimes: number[];
}

/** Builds an instance on fresh fakes (not started). Pass `link` to give it a link monitor. */
export function createHarness(
  overrides: Partial<VrrpConfig> = {},
  options: { link?: FakeLinkMonitor; primaryAddress?: string | undefined } = {},
): Harness {
  const clock = new VirtualClock();
  const sendTimes: number[] = [];
  const primaryAddress = 'primaryAddress' in options ? options.primaryAddress : PRIMARY;
  const transport = new FakeTransport({ primaryAddress, onSend: () => sendTimes.push(clock.now()) });
  const vips = new FakeVipManager();
  const link = options.link;
  const adapters = link ? { transport, vipManager: vips, clock, linkMonitor: link } : { transport, vipManager: vips, clock };
  const instance = new VrrpInstance(baseConfig(overrides), adapters);
  return { clock, transport, vips, link, instance, sendTimes };
}

/** Starts the instance and runs virtual time until its master-down timer made it master. */
export async function startAsMaster(harness: Harness): Promise<void> {
  await harness.instance.start();
  await harness.clock.advanceTo(MASTER_DOWN_MS);
  if (harness.instance.state !== 'master') {
    throw new Error(`set-up failed: expected master at ${MASTER_DOWN_MS} ms, state is ${harness.instance.state}`);
  }
}

/**
 * Decodes a packet our instance sent (IPv4, from `src`, checksummed with the pseudo-header as configured by
 * default); throws with the codec's reason if it does not decode.
 */
export function decodeSent(packet: SentPacket | undefined, src = PRIMARY): Advertisement {
  if (!packet) throw new Error('no packet was sent');
  const result = decodeAdvertisement(packet.bytes, { family: 'ipv4', src, dst: packet.dst, v3Ipv4Checksum: 'pseudo-header' });
  if (!result.ok) throw new Error(`sent packet does not decode: ${result.error.code} (${result.error.message})`);
  return result.advertisement;
}

/** A v3 advertisement from a peer for our VRID and VIP, as the transport would hand it to the instance. */
export function peerAdvert(options: { priority: number; src?: string; ttl?: number; advertIntervalMs?: number }): ReceivedPacket {
  const src = options.src ?? PEER;
  const bytes = encodeAdvertisement(
    { version: 3, vrid: 51, priority: options.priority, advertIntervalMs: options.advertIntervalMs ?? 1000, addresses: [VIP] },
    { family: 'ipv4', src, dst: GROUP },
  );
  return { bytes, src, dst: GROUP, ttl: options.ttl ?? 255 };
}

/** A promise that resolves after `ms` of virtual time. */
export function sleep(clock: VirtualClock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimer(ms, resolve));
}

/** A promise that resolves when `signal` aborts (a hook or check that "hangs" until told to stop). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/**
 * Stops the instance while driving virtual time, one timer at a time, until the stop completes: a stop waits for
 * work winding down on the virtual clock (a hook's or a whileMaster's cleanup, a timeout), which no one else
 * advances. Throws if the stop still waits with no timer left.
 */
export async function stopInVirtualTime(harness: Harness): Promise<void> {
  let done = false;
  const stopping = harness.instance.stop().finally(() => (done = true));
  await harness.clock.advance(0);
  while (!done) {
    const next = harness.clock.nextTimerAt();
    if (next === undefined) break;
    await harness.clock.advanceTo(next);
  }
  await harness.clock.advance(0);
  if (!done) throw new Error('stop() is still waiting and no virtual timer is left to fire');
  await stopping;
}
