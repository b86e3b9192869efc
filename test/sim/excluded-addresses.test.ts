/**
 * `excludedAddresses` (keepalived's `virtual_ipaddress_excluded`) on a simulated segment: a master holds them with
 * its virtual addresses, its advertisements list only the virtual ones, and a takeover moves both — here an IPv6
 * address beside an IPv4 instance's, as dual-stack keepalived configs have. The Linux lab shows the same beside
 * keepalived (test/interop/excluded-addresses.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { decodeAdvertisement } from '../../src/core/codec.js';
import { SimNetwork } from '../../src/testing/index.js';

const config = { interface: 'eth0', vrid: 51, advertIntervalMs: 1000, virtualAddresses: ['10.0.0.100/24'], excludedAddresses: ['2001:db8::100/64', '10.0.1.100/24'] };
const HELD = ['10.0.0.100', '2001:db8::100', '10.0.1.100'];

function cluster() {
  const net = new SimNetwork({ seed: 3, latencyMs: 0.3 });
  const a = net.addNode({ ...config, name: 'a', priority: 150 }, { address: '10.0.0.1' });
  const b = net.addNode({ ...config, name: 'b', priority: 100 }, { address: '10.0.0.2' });
  const held = (name: string): string[] => [...(net.nodes.find((node) => node.name === name)?.vips.addresses ?? [])].sort();
  return { net, a, b, held };
}

describe('excluded addresses', () => {
  // Given a (150) and b (100) with one advertised and two excluded addresses, when a is master,
  // then a holds all three and b none.
  it('are held by the master with its virtual addresses', async () => {
    const { net, a, held } = cluster();
    await net.advance(5000);
    expect(a.state).toBe('master');
    expect(held('a')).toEqual([...HELD].sort());
    expect(held('b')).toEqual([]);
    await net.stopAll();
  });

  // Given the same, then every advertisement a sent lists only the virtual address: the excluded ones are not
  // the peers' business (a peer without them would drop adverts whose list differs from its own).
  it('are left out of the advertisements', async () => {
    const { net, a } = cluster();
    await net.advance(5000);
    const sent = net.node(a).transport.sent;
    expect(sent.length).toBeGreaterThan(0);
    const lists = sent.map((packet) => {
      const decoded = decodeAdvertisement(packet.bytes, { family: 'ipv4', src: '10.0.0.1', dst: packet.dst, v3Ipv4Checksum: 'pseudo-header' });
      if (!decoded.ok) throw new Error(`our advert does not decode: ${decoded.error.code}`);
      return decoded.advertisement.addresses.join(',');
    });
    expect(new Set(lists)).toEqual(new Set(['10.0.0.100']));
    await net.stopAll();
  });

  // Given a master, when it is killed, then b takes over all three addresses, and a holds none.
  it('move with a takeover', async () => {
    const { net, a, b, held } = cluster();
    await net.advance(5000);
    await net.kill(a);
    await net.advance(5000);
    expect(b.state).toBe('master');
    expect(held('b')).toEqual([...HELD].sort());
    expect(held('a')).toEqual([]);
    await net.stopAll();
  });

  // status() lists the excluded addresses after the virtual ones, marked as not advertised, held while master.
  it('are in status(), not advertised', async () => {
    const { net, a, b } = cluster();
    await net.advance(5000);
    expect(a.status().vips.map(({ address, advertised, held }) => ({ address, advertised, held }))).toEqual([
      { address: '10.0.0.100', advertised: true, held: true },
      { address: '2001:db8::100', advertised: false, held: true },
      { address: '10.0.1.100', advertised: false, held: true },
    ]);
    expect(b.status().vips.every((vip) => !vip.held)).toBe(true);
    await net.stopAll();
  });
});
