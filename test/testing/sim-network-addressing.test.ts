/**
 * Who hears what on a SimNetwork, as on Linux:
 * - a node whose config sets `primaryAddress` sends from it (the Linux transport picks it first) and is reached by
 *   unicast at it or at the address it was added with. The sim stamped every packet with the added address, so
 *   VRRPv3 adverts checksummed with the configured one failed their checksum: two masters;
 * - a packet reaches only nodes of its family and VRID (Linux sockets are per family, and the shared socket hands an
 *   instance its VRID's packets only), and multicast only nodes joined to the group (not unicast ones). Every node
 *   got every multicast: `family` errors in a dual-stack network, `destination` errors at a unicast node, and
 *   `vridErrors` counted for another VRID's routers;
 * - a node renumbered under a running instance sends from its new address once the instance asked again (the sim
 *   kept stamping the address it was added with, which the master's VRRPv3 checksums no longer covered: the backup
 *   refused every advert and took over).
 */
import { describe, expect, it } from 'vitest';
import { decodeAdvertisement } from '../../src/core/codec.js';
import type { VrrpConfig } from '../../src/config.js';
import type { ProtocolErrorEvent, VrrpInstance } from '../../src/instance.js';
import { SimNetwork } from '../../src/testing/index.js';

const ipv4 = { interface: 'eth0', vrid: 51, version: 3, virtualAddresses: ['10.0.0.100/24'] } satisfies VrrpConfig;
const ipv6 = { interface: 'eth0', vrid: 51, version: 3, virtualAddresses: ['2001:db8::100/64'] } satisfies VrrpConfig;

/** Every protocolError of `instances`, as "node: code (message)". */
function protocolErrors(net: SimNetwork, instances: readonly VrrpInstance[]): string[] {
  const seen: string[] = [];
  for (const instance of instances) {
    const name = net.node(instance).name;
    instance.on('protocolError', (event: ProtocolErrorEvent) => seen.push(`${name}: ${event.code} (${event.message})`));
  }
  return seen;
}

describe('SimNetwork: a node whose config sets primaryAddress', () => {
  // Given two v3 nodes whose configured primaryAddress (10.0.0.5, 10.0.0.6) differs from the address each was added
  // with; when they run; then each hears the other's adverts (checksummed with the configured source): one master.
  it('elects one master when primaryAddress differs from the added address', async () => {
    const net = new SimNetwork({ seed: 1 });
    const a = net.addNode({ ...ipv4, name: 'a', priority: 150, primaryAddress: '10.0.0.5' }, { address: '10.0.0.1' });
    const b = net.addNode({ ...ipv4, name: 'b', priority: 100, primaryAddress: '10.0.0.6' }, { address: '10.0.0.2' });
    const errors = protocolErrors(net, [a, b]);
    await net.advance(10_000);
    expect(errors, 'adverts were refused (sent from the added address, checksummed with the configured one)').toEqual([]);
    expect({ a: a.state, b: b.state }).toEqual({ a: 'master', b: 'backup' });
    expect(b.master?.address, 'the backup names the master by the address it sends from').toBe('10.0.0.5');
  });

  // Given the same pair, a master; when its link goes down and up again (the engine asks the transport for its
  // address anew); then it sends from the configured address still, and the backup still hears it.
  it('keeps sending from the configured primaryAddress after a link flap', async () => {
    const net = new SimNetwork({ seed: 1 });
    const a = net.addNode({ ...ipv4, name: 'a', priority: 150, primaryAddress: '10.0.0.5' }, { address: '10.0.0.1' });
    const b = net.addNode({ ...ipv4, name: 'b', priority: 100, primaryAddress: '10.0.0.6' }, { address: '10.0.0.2' });
    await net.advance(10_000);
    net.setLink(a, false);
    await net.advance(10_000);
    net.setLink(a, true);
    await net.advance(10_000);
    const last = net.node(a).transport.sent.at(-1);
    if (last === undefined) throw new Error('a sent nothing');
    const decoded = decodeAdvertisement(last.bytes, { family: 'ipv4', src: '10.0.0.5', dst: last.dst, v3Ipv4Checksum: 'pseudo-header' });
    expect(decoded.ok, `a's advert after the flap is not checksummed with 10.0.0.5: ${decoded.ok ? '' : decoded.error.message}`).toBe(true);
    expect(net.masters(), net.failureReport()).toEqual([a]);
    expect(b.master?.address).toBe('10.0.0.5');
  });

  // Given a unicast pair whose peers are named by their configured primaryAddress (keepalived's unicast_src_ip and
  // unicast_peer), not by the addresses the nodes were added with; then they hear each other: one master.
  it('delivers unicast sent to a node at its configured primaryAddress', async () => {
    const net = new SimNetwork({ seed: 1 });
    const a = net.addNode({ ...ipv4, name: 'a', priority: 150, primaryAddress: '10.0.0.5', unicastPeers: ['10.0.0.6'] }, { address: '10.0.0.1' });
    const b = net.addNode({ ...ipv4, name: 'b', priority: 100, primaryAddress: '10.0.0.6', unicastPeers: ['10.0.0.5'] }, { address: '10.0.0.2' });
    await net.advance(10_000);
    expect({ a: a.state, b: b.state }, net.failureReport()).toEqual({ a: 'master', b: 'backup' });
  });
});

describe('SimNetwork: a renumbered node', () => {
  /** A v3 master a (10.0.0.1) and backup b (10.0.0.2), settled, and the protocol errors either meets from then on. */
  async function settledPair(): Promise<{ net: SimNetwork; a: VrrpInstance; b: VrrpInstance; errors: string[] }> {
    const net = new SimNetwork({ seed: 1 });
    const a = net.addNode({ ...ipv4, name: 'a', priority: 150 }, { address: '10.0.0.1' });
    const b = net.addNode({ ...ipv4, name: 'b', priority: 100 }, { address: '10.0.0.2' });
    await net.advance(10_000);
    return { net, a, b, errors: protocolErrors(net, [a, b]) };
  }

  // Given a v3 master a (10.0.0.1) and backup b; when a's interface is renumbered to 10.0.0.9 and the link monitor
  // tells a's instance so; then b hears a's adverts from 10.0.0.9 without a checksum error, and stays backup.
  it('sends from the new address once the instance asked again', async () => {
    const { net, a, b, errors } = await settledPair();
    net.renumber(a, '10.0.0.9');
    await net.advance(10_000);
    expect(errors, 'adverts refused after the renumbering (stamped with the old address)').toEqual([]);
    expect({ a: a.state, b: b.state }, net.failureReport()).toEqual({ a: 'master', b: 'backup' });
    expect(b.master?.address, 'the backup names the master by its new address').toBe('10.0.0.9');
    expect(net.node(a).transport.sourceAddress).toBe('10.0.0.9');
  });

  // Given the same pair; when a test renumbers a the way FakeTransport documents it (its primaryAddress set, then
  // the link monitor told up); then the sim stamps a's adverts with the address a's instance was told, as above.
  it("stamps packets with the address the instance was told, when the transport's address is set directly", async () => {
    const { net, a, b, errors } = await settledPair();
    net.node(a).transport.primaryAddress = '10.0.0.9';
    net.node(a).link.setUp(true);
    await net.advance(10_000);
    expect(errors, 'adverts refused after the renumbering (stamped with the old address)').toEqual([]);
    expect(b.master?.address).toBe('10.0.0.9');
  });
});

describe('SimNetwork: who receives a packet', () => {
  // Given an IPv4 pair and an IPv6 pair, both on VRID 51, in one network; when they run for 5 s; then no node is
  // handed the other family's adverts (Linux sockets are per family), and each pair elects its master.
  it('delivers a packet only to nodes of its family', async () => {
    const net = new SimNetwork({ seed: 1 });
    const a4 = net.addNode({ ...ipv4, name: 'a4', priority: 150 }, { address: '10.0.0.1' });
    const b4 = net.addNode({ ...ipv4, name: 'b4', priority: 100 }, { address: '10.0.0.2' });
    const a6 = net.addNode({ ...ipv6, name: 'a6', priority: 150 }, { address: 'fe80::1' });
    const b6 = net.addNode({ ...ipv6, name: 'b6', priority: 100 }, { address: 'fe80::2' });
    const errors = protocolErrors(net, [a4, b4, a6, b6]);
    await net.advance(5000);
    expect(errors, 'a node was handed an advert of the other family').toEqual([]);
    expect(net.masters()).toEqual([a4, a6]);
  });

  // Given a multicast pair and a unicast pair of one family and VRID in one network; when they run; then the
  // unicast nodes, whose sockets are not joined to the group, never get the multicast adverts.
  it('delivers multicast only to multicast nodes', async () => {
    const net = new SimNetwork({ seed: 1 });
    const m1 = net.addNode({ ...ipv4, name: 'm1', priority: 150 }, { address: '10.0.0.1' });
    const m2 = net.addNode({ ...ipv4, name: 'm2', priority: 100 }, { address: '10.0.0.2' });
    const u1 = net.addNode({ ...ipv4, name: 'u1', priority: 150, unicastPeers: ['10.0.0.4'] }, { address: '10.0.0.3' });
    const u2 = net.addNode({ ...ipv4, name: 'u2', priority: 100, unicastPeers: ['10.0.0.3'] }, { address: '10.0.0.4' });
    const errors = protocolErrors(net, [m1, m2, u1, u2]);
    await net.advance(5000);
    expect(errors, 'a unicast node was handed multicast adverts').toEqual([]);
    expect(net.masters()).toEqual([m1, u1]);
  });

  // Given two pairs of one family on VRIDs 51 and 52; when they run; then no instance counts the other VRID's
  // adverts: on Linux the shared socket counts those itself (otherVrid) and never hands them to an instance.
  it('delivers a packet only to nodes of its VRID', async () => {
    const net = new SimNetwork({ seed: 1 });
    const nodes = [
      net.addNode({ ...ipv4, name: 'a51', priority: 150 }, { address: '10.0.0.1' }),
      net.addNode({ ...ipv4, name: 'b51', priority: 100 }, { address: '10.0.0.2' }),
      net.addNode({ ...ipv4, vrid: 52, name: 'a52', priority: 150 }, { address: '10.0.0.3' }),
      net.addNode({ ...ipv4, vrid: 52, name: 'b52', priority: 100 }, { address: '10.0.0.4' }),
    ];
    await net.advance(5000);
    const counted = Object.fromEntries(nodes.map((node) => [net.node(node).name, node.stats.vridErrors]));
    expect(counted, 'an instance was handed adverts of another VRID').toEqual({ a51: 0, b51: 0, a52: 0, b52: 0 });
  });
});
