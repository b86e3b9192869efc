// @ts-check
/**
 * One VRRP node on the UDP transport (udp-transport.js), as its own process: two of these elect a master between
 * them and fail over when it dies, with no raw socket and no root.
 *
 *   node examples/custom-transport/node.js --name a --address 127.0.0.1 --peer 127.0.0.2 --priority 200
 *   node examples/custom-transport/node.js --name b --address 127.0.0.2 --peer 127.0.0.1 --priority 100
 *
 * Each prints one JSON line per event; SIGTERM or SIGINT stops it cleanly (a master sends priority 0 first, so the
 * other takes over at once). `--port` (default 11212), `--vip` (default 10.255.0.1) and `--interval` (ms, default
 * 1000) must agree between the peers.
 *
 * Transports are one of the adapters an instance runs on; this one replaces only the packets. The VIPs here are
 * only logged — the processes elect a leader, nothing more — so that the example runs anywhere. On a real host keep
 * the Linux VIP manager and link monitor and swap the transport alone (needs CAP_NET_ADMIN, as usual for VIPs):
 *
 *   const linux = await createLinuxAdapters(resolveConfig(config));     // from 'vrrp/linux' and 'vrrp'
 *   new VrrpInstance(config, { ...linux, transport: new UdpTransport() });
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { systemClock, VrrpInstance } from 'vrrp';
import { DEFAULT_PORT, UdpTransport } from './udp-transport.js';

/** @typedef {import('vrrp').VipManager} VipManager */
/** @typedef {import('vrrp').VirtualAddress} VirtualAddress */

/**
 * A VIP manager that only reports what it would do: for leader election without moving an address.
 * @implements {VipManager}
 */
class LoggedVips {
  /** @param {(line: Record<string, unknown>) => void} print */
  constructor(print) {
    this.print = print;
  }
  /** @param {string} _iface @param {readonly VirtualAddress[]} addresses */
  async add(_iface, addresses) {
    this.print({ event: 'vip', op: 'add', addresses: addresses.map((vip) => vip.address) });
  }
  /** @param {string} _iface @param {readonly VirtualAddress[]} addresses */
  async remove(_iface, addresses) {
    this.print({ event: 'vip', op: 'remove', addresses: addresses.map((vip) => vip.address) });
  }
  async announce() {}
}

/**
 * Creates and starts one node.
 * @param {{ name: string, address: string, peers: string[], priority: number, port?: number, vip?: string,
 *           advertIntervalMs?: number, print?: (line: Record<string, unknown>) => void }} options
 * @returns {Promise<VrrpInstance>}
 */
export async function startNode(options) {
  // Each line with its wall-clock time, so that a takeover's time can be read off the two processes' output.
  const print = options.print ?? ((line) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...line })}\n`));
  const instance = new VrrpInstance(
    {
      name: options.name,
      interface: 'lo', // the UDP transport does not use it; a Linux VIP manager would add the VIPs here
      vrid: 42,
      priority: options.priority,
      advertIntervalMs: options.advertIntervalMs ?? 1000,
      virtualAddresses: [options.vip ?? '10.255.0.1'],
      unicastPeers: options.peers,
      primaryAddress: options.address,
    },
    { transport: new UdpTransport({ port: options.port ?? DEFAULT_PORT }), vipManager: new LoggedVips(print), clock: systemClock },
  );
  instance.on('stateChange', (e) => print({ event: 'stateChange', name: options.name, from: e.from, to: e.to, reason: e.reason, priority: instance.effectivePriority }));
  instance.on('error', (e) => print({ event: 'error', name: options.name, code: e.code, message: e.message }));
  await instance.start();
  return instance;
}

// Run, not imported. pathToFileURL escapes the path: a '#', '?' or '%' in it made `file://${path}` another URL.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      name: { type: 'string' },
      address: { type: 'string' },
      peer: { type: 'string', multiple: true },
      priority: { type: 'string', default: '100' },
      port: { type: 'string', default: String(DEFAULT_PORT) },
      vip: { type: 'string', default: '10.255.0.1' },
      interval: { type: 'string', default: '1000' },
    },
  });
  if (!values.address || !values.peer) {
    process.stderr.write('usage: node node.js --name N --address OUR_IP --peer PEER_IP [--peer …] [--priority P] [--port N] [--vip IP] [--interval MS]\n');
    process.exit(2);
  }
  const instance = await startNode({
    name: values.name ?? values.address,
    address: values.address,
    peers: values.peer,
    priority: Number(values.priority),
    port: Number(values.port),
    vip: values.vip,
    advertIntervalMs: Number(values.interval),
  });
  for (const signal of /** @type {const} */ (['SIGTERM', 'SIGINT'])) {
    process.once(signal, () => void instance.stop().then(() => process.exit(0)));
  }
}
