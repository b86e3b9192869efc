/**
 * `vrrp/linux`: the Linux adapters — raw-socket transport, netlink VIP manager and link monitor, gratuitous ARP and
 * unsolicited NA — plus `doctor()`. This entry point is the only place that loads the native modules, so that
 * `vrrp` itself installs and runs anywhere.
 */
import { systemClock, type Adapters } from '../adapters/types.js';
import type { ResolvedConfig } from '../config.js';
import { Announcer } from './announcer.js';
import { NetlinkLinkMonitor } from './link-monitor.js';
import { RawSocketTransport } from './raw-transport.js';
import { NetlinkVipManager } from './vip-manager.js';

export { RawSocketTransport, type RawTransportStats } from './raw-transport.js';
export { NetlinkVipManager, type NetlinkVipManagerOptions, type AnnouncementSender } from './vip-manager.js';
export { NetlinkLinkMonitor } from './link-monitor.js';
export { Announcer } from './announcer.js';
export { doctor, formatDoctorReport, type DoctorCheck, type DoctorReport } from './doctor.js';

/** Creates the Linux adapters for one instance (its config decides family, VIPs and announcement knobs). */
export async function createLinuxAdapters(config: ResolvedConfig): Promise<Adapters> {
  return {
    transport: new RawSocketTransport(),
    vipManager: new NetlinkVipManager({ announcer: new Announcer(), garp: config.garp }),
    clock: systemClock,
    linkMonitor: new NetlinkLinkMonitor({ family: config.family, virtualAddresses: config.virtualAddresses.map((vip) => vip.address) }),
  };
}
