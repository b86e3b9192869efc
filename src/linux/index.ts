/**
 * `vrrp/linux`: the Linux adapters (raw-socket transport, netlink VIP manager and link monitor, gratuitous ARP /
 * unsolicited NA). This entry point is the only place allowed to load the native modules, so that `vrrp` itself
 * installs and runs anywhere.
 *
 * Not built yet: the Linux adapters are the next milestone. Until then `createLinuxAdapters` fails with a clear
 * error, and apps pass their own adapters (or the testing kit's) to `new VrrpInstance(config, adapters)`.
 */
import type { Adapters } from '../adapters/types.js';
import { VrrpError } from '../errors.js';

/** Creates the Linux adapters. Not available yet: throws `no_adapters` with what to do instead. */
export async function createLinuxAdapters(): Promise<Adapters> {
  throw new VrrpError(
    'no_adapters',
    'the linux adapters (raw sockets, netlink) are not available in this version; pass adapters to new VrrpInstance(config, adapters)',
  );
}
