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
    let stopped = false;
    let retry: NodeJS.Timeout | undefined;
    const stop = (): void => {
      stopped = true;
      clearTimeout(retry);
      socket.socket.close?.();
    };
    let up: boolean | undefined;
    let checking: Promise<void> = Promise.resolve();
    // Events only say "something changed"; re-reading the state keeps this correct whatever the message was.
    const recheck = (): void => {
      checking = checking.then(async () => {
        if (stopped) return;
        let now: boolean;
        try {
          now = await this.isUp(iface);
        } catch {
          // A failed read says nothing about the link: keep the state we know and look again shortly.
          retry = setTimeout(recheck, 100);
          retry.unref();
          return;
        }
        if (stopped || up === undefined || now === up) return;
        up = now;
        onChange(now);
      });
    };
    try {
      // Listen before the first read, so that a change during that read is not lost.
      socket.on('message', recheck);
      socket.on('error', () => {});
      socket.addMembership('LINK');
      socket.addMembership(this.#family === 'ipv4' ? 'IPV4_IFADDR' : 'IPV6_IFADDR');
      up = await this.isUp(iface);
      recheck(); // catch a change that raced the first read
      return { up, stop };
    } catch (error) {
      stop();
      throw error;
    }
  }
}
