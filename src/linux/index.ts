/**
 * `vrrp/linux`: the Linux adapters — the VRRP transport on our addon's raw sockets (one per interface and family),
 * netlink VIP manager and link monitor, gratuitous ARP and unsolicited NA — plus `doctor()`. This entry point is the
 * only place that loads the native modules, so that `vrrp` itself installs and runs anywhere.
 *
 * `VrrpInstance` without adapters runs these on its engine thread (src/engine/worker.ts); an app may also create
 * them itself and pass them in, which keeps the engine on the app's main thread.
 *
 * @module vrrp/linux
 */
import type { Adapters } from '../adapters/types.js';
import type { ResolvedConfig } from '../config.js';
import { closeThreadAnnouncer, threadAnnouncer } from './announcer.js';
import { threadClock } from './clock.js';
import { closeNetlinkSockets } from './interfaces.js';
import { closeLinkMonitor, NetlinkLinkMonitor } from './link-monitor.js';
import { LinuxTransport } from './transport/linux-transport.js';
import { NetlinkVipManager } from './vip-manager.js';

export { LinuxTransport } from './transport/linux-transport.js';
export type { VrrpSocketStats } from './transport/vrrp-socket.js';
export { NetlinkVipManager, type NetlinkVipManagerOptions, type AnnouncementSender } from './vip-manager.js';
export type { InterfaceAddress } from './interfaces.js';
export { NetlinkLinkMonitor } from './link-monitor.js';
export { Announcer, threadAnnouncer, type AnnouncedAddress, type AnnounceOptions, type AnnouncerOptions } from './announcer.js';
export { PacketSocketError } from './addon.js';
export { threadClock } from './clock.js';
export { doctor, formatDoctorReport, type DoctorCheck, type DoctorReport } from './doctor.js';
export { limitMallocArenas, moveExecutableToHugePages, HUGE_PAGES_MIN_RESIDENT_PERCENT, type HugePagesMove, type HugePagesUnavailable } from './memory.js';

/** Creates the Linux adapters for one instance (its config decides family, VIPs and announcement knobs). */
export async function createLinuxAdapters(config: ResolvedConfig): Promise<Adapters> {
  return {
    transport: new LinuxTransport(),
    vipManager: new NetlinkVipManager({ announcer: threadAnnouncer(), garp: config.garp, leaseMs: config.vipLeaseMs }),
    clock: threadClock(),
    linkMonitor: new NetlinkLinkMonitor({ family: config.family, virtualAddresses: config.heldAddresses.map((vip) => vip.address) }),
  };
}

/**
 * Closes this thread's shared netlink sockets (they reopen on next use). A thread that ends with one open crashes
 * the process (netlink 0.3.0); the engine thread calls this whenever its last engine stops and before it ends.
 */
export function releaseThreadResources(): void {
  closeThreadAnnouncer();
  closeLinkMonitor();
  closeNetlinkSockets();
}
