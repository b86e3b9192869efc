// @ts-check
/**
 * A user-written `Transport`: VRRP messages carried in UDP datagrams between unicast peers, instead of raw IP
 * protocol 112. It shows the whole interface a transport implements (src/adapters/types.ts) — `open`, `send`,
 * `close` — and what each owes the engine.
 *
 * When it is useful: a network that forwards UDP but drops protocol 112 (some overlays and cloud networks), or
 * processes without CAP_NET_RAW (a raw socket needs it; a UDP socket does not). What it costs:
 * - Only peers running this same transport hear it: keepalived and routers speak raw protocol 112, not this.
 * - The TTL-255 check that keeps off-link senders out of multicast VRRP does not apply to unicast (keepalived skips
 *   it too); this transport accepts datagrams only from the configured peers and the agreed port. Anyone who can
 *   send from a peer's address can still claim mastership: keep the port on a private network or firewall it.
 *
 * The VRRP bytes are sent unchanged: the engine encodes and checks them (checksum over our primary address and the
 * peer's, address list, interval) exactly as it does for raw sockets.
 */
import { createSocket } from 'node:dgram';
import { networkInterfaces } from 'node:os';

/** @typedef {import('vrrp').Transport} Transport */
/** @typedef {import('vrrp').TransportOptions} TransportOptions */
/** @typedef {import('vrrp').ReceivedPacket} ReceivedPacket */

/** The UDP port, chosen arbitrarily: pick one free on your hosts; every peer must use the same. */
export const DEFAULT_PORT = 11_212;

/** @implements {Transport} */
export class UdpTransport {
  /** @type {import('node:dgram').Socket | undefined} */
  #socket;
  /** @type {number} */
  #port;

  /** @param {{ port?: number }} [options] `port`: the UDP port every peer listens on and sends to. */
  constructor(options = {}) {
    this.#port = options.port ?? DEFAULT_PORT;
  }

  /**
   * Binds the socket and starts handing datagrams to the engine. Resolves with the primary address: our source,
   * and our side of the election's tie-break.
   * @param {TransportOptions} options
   * @param {(packet: ReceivedPacket) => void} onPacket
   * @param {(error: Error) => void} [onFailure] a transport that dies later says so here; the instance faults
   * @returns {Promise<{ primaryAddress: string }>}
   */
  async open(options, onPacket, onFailure) {
    if (options.unicastPeers.length === 0) {
      // There is no UDP equivalent of "everyone on the segment": the peers must be listed.
      throw new Error('UdpTransport sends to unicast peers only: set unicastPeers in the config');
    }
    const primaryAddress = options.primaryAddress ?? interfaceAddress(options.interface, options.family, options.virtualAddresses);
    const peers = new Set(options.unicastPeers);
    const socket = createSocket({ type: options.family === 'ipv6' ? 'udp6' : 'udp4' });
    socket.on('message', (message, from) => {
      // Datagrams from strangers, or from a peer's other sockets, are not VRRP for us.
      if (!peers.has(from.address) || from.port !== this.#port) return;
      onPacket({
        bytes: new Uint8Array(message.buffer, message.byteOffset, message.byteLength),
        src: from.address,
        dst: primaryAddress,
        // A UDP socket does not tell the hop limit; with unicast peers the engine does not check it anyway.
        ttl: 255,
      });
    });
    await new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ port: this.#port, address: primaryAddress, exclusive: true }, () => {
        socket.off('error', reject);
        resolve(undefined);
      });
    });
    socket.on('error', (error) => onFailure?.(error));
    this.#socket = socket;
    return { primaryAddress };
  }

  /**
   * Sends one VRRP message. `dst` is one of the unicast peers (the engine sends one copy to each); a rejection
   * is counted in `instance.stats.sendErrors` and reported as an `error` event, never thrown at the app.
   * @param {string} dst
   * @param {Uint8Array} bytes
   * @returns {Promise<void>}
   */
  send(dst, bytes) {
    const socket = this.#socket;
    if (!socket) return Promise.reject(new Error('UdpTransport is not open'));
    return new Promise((resolve, reject) => socket.send(bytes, this.#port, dst, (error) => (error ? reject(error) : resolve())));
  }

  /** Stops receiving and releases the port. The instance calls it at stop, after its last advert went out. */
  close() {
    this.#socket?.close();
    this.#socket = undefined;
  }
}

/**
 * The interface's first address of the family that is not one of our virtual addresses (a VIP as our source would
 * make peers see the VIP's holder, not us, as the sender).
 * @param {string} iface @param {'ipv4' | 'ipv6'} family @param {readonly string[]} virtualAddresses
 * @returns {string}
 */
function interfaceAddress(iface, family, virtualAddresses) {
  const wanted = family === 'ipv6' ? 'IPv6' : 'IPv4';
  const found = (networkInterfaces()[iface] ?? []).find((entry) => entry.family === wanted && !virtualAddresses.includes(entry.address) && !entry.address.startsWith('fe80:'));
  if (!found) throw new Error(`${iface} has no ${wanted} address to send from: set primaryAddress in the config`);
  return found.address;
}
