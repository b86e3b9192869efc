/**
 * Link state from rtnetlink multicast events (RTNLGRP_LINK and the address groups), not polling: the instance is
 * told within one kernel notification that its interface went down, lost carrier, or lost its last usable address.
 *
 * "Up" means: the interface exists, is administratively up, has carrier (IFF_RUNNING), and still has an address
 * VRRP can send from (IPv4: any address that is not one of our VIPs; IPv6: a link-local address).
 */
import type { LinkMonitor } from '../adapters/types.js';
import type { AddressFamily } from '../core/advertisement.js';
import { getInterface, getInterfaceAddresses, pickPrimaryAddress } from './interfaces.js';
import { loadNetlink, type RtNetlinkSocket } from './native.js';

/** A {@link LinkMonitor} over rtnetlink events. */
export class NetlinkLinkMonitor implements LinkMonitor {
  readonly #family: AddressFamily;
  readonly #virtualAddresses: ReadonlySet<string>;

  /** `virtualAddresses` are ours and never count as the interface's usable address. */
  constructor(options: { family: AddressFamily; virtualAddresses: readonly string[] }) {
    this.#family = options.family;
    this.#virtualAddresses = new Set(options.virtualAddresses);
  }

  /** Reads the state once. */
  async isUp(iface: string): Promise<boolean> {
    const link = await getInterface(iface);
    if (!link || !link.adminUp || !link.running) return false;
    const addresses = await getInterfaceAddresses(link.index, this.#family);
    return pickPrimaryAddress(addresses, this.#family, this.#virtualAddresses) !== undefined;
  }

  /** See {@link LinkMonitor.watch}. */
  async watch(iface: string, onChange: (up: boolean) => void): Promise<{ up: boolean; stop: () => void }> {
    const socket: RtNetlinkSocket = loadNetlink().createRtNetlink();
    socket.addMembership('LINK');
    socket.addMembership(this.#family === 'ipv4' ? 'IPV4_IFADDR' : 'IPV6_IFADDR');
    let up = await this.isUp(iface);
    let stopped = false;
    let checking: Promise<void> = Promise.resolve();
    // Events only say "something changed"; re-reading the state keeps this correct whatever the message was.
    socket.on('message', () => {
      checking = checking.then(async () => {
        if (stopped) return;
        const now = await this.isUp(iface).catch(() => false);
        if (stopped || now === up) return;
        up = now;
        onChange(now);
      });
    });
    socket.on('error', () => {});
    return {
      up,
      stop: () => {
        stopped = true;
        socket.socket.close?.();
      },
    };
  }
}
