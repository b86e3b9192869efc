/**
 * Addresses held on another interface than the instance's (`{ address, dev }`, keepalived's `virtual_ipaddress {
 * ADDR dev IF }`: a two-legged router's address on its other side), on a simulated segment: the master adds and
 * announces each address on its own interface, the instance's own first; all are advertised; a takeover moves them
 * and a release removes them from each; a refused add on the other interface faults the instance and takes the rest
 * off too; an announcement that fails there keeps the mastership. The Linux lab shows the kernel's side
 * (test/interop/vip-devices.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { VirtualAddress } from '../../src/config.js';
import { SimNetwork, type FakeVipManager } from '../../src/testing/index.js';

const config = {
  interface: 'eth0',
  vrid: 51,
  advertIntervalMs: 1000,
  virtualAddresses: ['10.0.0.100/24', { address: '10.1.0.1/24', dev: 'eth1' }, { address: '10.2.0.1/24', dev: 'eth2' }],
  excludedAddresses: [{ address: 'fd00:1::1/64', dev: 'eth1' }],
};

function cluster() {
  const net = new SimNetwork({ seed: 7, latencyMs: 0.3 });
  const a = net.addNode({ ...config, name: 'a', priority: 150 }, { address: '10.0.0.1' });
  const b = net.addNode({ ...config, name: 'b', priority: 100 }, { address: '10.0.0.2' });
  const vips = (name: string): FakeVipManager => (net.nodes.find((node) => node.name === name) as (typeof net.nodes)[number]).vips;
  const on = (name: string): Record<string, string[]> => Object.fromEntries([...vips(name).byInterface].map(([iface, set]) => [iface, [...set]]));
  return { net, a, b, vips, on };
}

const HELD = { eth0: ['10.0.0.100'], eth1: ['10.1.0.1', 'fd00:1::1'], eth2: ['10.2.0.1'] };

/**
 * Wraps `manager`'s calls: each is logged in the returned list, `announceFails` (an interface) refuses
 * announcements there, and `addAndAnnounce` gives it the one-call add and announce the Linux manager has.
 */
function instrument(manager: FakeVipManager, options: { announceFails?: string; addAndAnnounce?: boolean } = {}): string[] {
  const log: string[] = [];
  const add = manager.add.bind(manager);
  const announce = manager.announce.bind(manager);
  manager.add = async (iface, addresses) => {
    log.push(`add ${iface}`);
    return add(iface, addresses);
  };
  manager.announce = async (iface, addresses) => {
    log.push(`announce ${iface}`);
    if (iface === options.announceFails) throw new Error('ENETDOWN');
    return announce(iface, addresses);
  };
  if (options.addAndAnnounce === true) {
    (manager as FakeVipManager & { addAndAnnounce: (iface: string, addresses: readonly VirtualAddress[]) => Promise<void> }).addAndAnnounce = async (iface, addresses) => {
      log.push(`addAndAnnounce ${iface} ${addresses.map((vip) => vip.address).join(' ')}`);
      await add(iface, addresses);
      await announce(iface, addresses);
    };
  }
  return log;
}

describe('addresses on other interfaces', () => {
  // Given a (150) and b (100) with addresses on eth0, eth1 and eth2; then a holds each on its interface, b none, and
  // b accepts a's adverts (all three IPv4 addresses listed, as b lists them): no address-list error.
  it('are held by the master, each on its own interface, and all advertised', async () => {
    const { net, a, b, on } = cluster();
    await net.advance(5000);
    expect(a.state).toBe('master');
    expect(on('a')).toEqual(HELD);
    expect(on('b')).toEqual({});
    expect(b.stats.addressListErrors).toBe(0);
    expect(b.stats.advertisementsReceived).toBeGreaterThan(0);
    await net.stopAll();
  });

  // The instance's own interface first (its prepared takeover burst is for those), then the others in the order
  // first named; each is announced on its interface.
  it("go up on the instance's interface first, then on the others, each announced", async () => {
    const { net, vips } = cluster();
    await net.advance(5000);
    const adds = vips('a').calls.filter((call) => call.op === 'add').map((call) => call.addresses);
    expect(adds).toEqual([['10.0.0.100/24'], ['10.1.0.1/24', 'fd00:1::1/64'], ['10.2.0.1/24']]);
    expect(Object.fromEntries(vips('a').announcementsOn)).toEqual({ eth0: 1, eth1: 1, eth2: 1 });
    await net.stopAll();
  });

  // Given a master, when it is killed, then b holds everything on each interface; when b stops, nothing is left.
  it('move with a takeover and go with a release', async () => {
    const { net, a, b, on } = cluster();
    await net.advance(5000);
    await net.kill(a);
    await net.advance(5000);
    expect(b.state).toBe('master');
    expect(on('b')).toEqual(HELD);
    await b.stop();
    expect(on('b')).toEqual({});
    await net.stopAll();
  });

  // Given a master whose eth1 refuses adds; then it faults (vip_failed), its eth0 address comes off again, and b
  // serves everything: no address is held by both.
  it('fault the instance when one interface refuses them, the others taken off too', async () => {
    const { net, a, b, vips, on } = cluster();
    const manager = vips('a');
    const add = manager.add.bind(manager);
    manager.add = async (iface: string, addresses: readonly VirtualAddress[]) => {
      if (iface === 'eth1') throw new Error('10.1.0.1/24: EPERM');
      return add(iface, addresses);
    };
    const errors: string[] = [];
    a.on('error', (error) => errors.push(`${error.code}: ${error.message}`));
    await net.advance(10_000);
    expect(a.state).not.toBe('master');
    expect(errors[0]).toBe('vip_failed: could not add virtual addresses: 10.1.0.1/24: EPERM');
    expect(on('a')).toEqual({});
    expect(b.state).toBe('master');
    expect(on('b')).toEqual(HELD);
    await net.stopAll();
  });

  // Given a manager without add-and-announce (its announcements are a step of their own) whose announcement on eth2
  // fails; then the failure is reported and every address stays up with the mastership.
  it('report an announcement that fails on one interface, every address kept', async () => {
    const { net, a, vips, on } = cluster();
    instrument(vips('a'), { announceFails: 'eth2' });
    const errors: string[] = [];
    a.on('error', (error) => errors.push(`${error.code}: ${error.message}`));
    await net.advance(5000);
    expect(a.state).toBe('master');
    expect(on('a')).toEqual(HELD);
    expect(errors).toEqual(['vip_failed: could not announce virtual addresses: cannot announce on eth2: ENETDOWN']);
    await net.stopAll();
  });

  // Given a manager that adds and announces in one call (the Linux one), whose announcement on eth2 fails; then
  // the failure is an announce_failed (the addresses are up) and the instance stays master with every address.
  it('keep the mastership when an announcement on one interface fails, with an add-and-announce manager', async () => {
    const { net, a, vips, on } = cluster();
    instrument(vips('a'), { announceFails: 'eth2', addAndAnnounce: true });
    const errors: string[] = [];
    a.on('error', (error) => errors.push(`${error.code}: ${error.message}`));
    await net.advance(5000);
    expect(a.state).toBe('master');
    expect(on('a')).toEqual(HELD);
    expect(errors).toEqual(['vip_failed: could not add and announce virtual addresses: cannot announce on eth2: ENETDOWN']);
    await net.stopAll();
  });

  // Given a master whose eth2 refuses adds after eth0 and eth1 took theirs; then the fault takes every address off,
  // those already added on eth0 and eth1 too.
  it('are all taken off when the last interface refuses them after the others were added', async () => {
    const { net, a, vips, on } = cluster();
    const manager = vips('a');
    const add = manager.add.bind(manager);
    const seen: string[] = [];
    manager.add = async (iface: string, addresses: readonly VirtualAddress[]) => {
      seen.push(iface);
      if (iface === 'eth2') throw new Error('10.2.0.1/24: EPERM');
      return add(iface, addresses);
    };
    a.on('error', () => {});
    await net.advance(4000);
    expect(seen.slice(0, 3), 'the add reached eth2 after the others').toEqual(['eth0', 'eth1', 'eth2']);
    expect(a.state).not.toBe('master');
    expect(on('a')).toEqual({});
    await net.stopAll();
  });

  // Given a VIP manager that adds and announces in one call (the Linux one's takeover burst); then that call is for
  // the instance's interface only, and the other interfaces' addresses are added and announced after it.
  it("use a manager's add-and-announce for the instance's interface only", async () => {
    const { net, vips } = cluster();
    const log = instrument(vips('a'), { addAndAnnounce: true });
    await net.advance(5000);
    // eth0's one call (it adds and announces through the unwrapped methods, unlogged), then eth1's and eth2's.
    expect(log).toEqual(['addAndAnnounce eth0 10.0.0.100', 'add eth1', 'announce eth1', 'add eth2', 'announce eth2']);
    await net.stopAll();
  });

  // status() names each address's interface.
  it("are listed by status() with their interface", async () => {
    const { net, a } = cluster();
    await net.advance(5000);
    expect(a.status().vips.map((vip) => `${vip.address} ${vip.interface}${vip.held ? ' held' : ''}`)).toEqual([
      '10.0.0.100 eth0 held',
      '10.1.0.1 eth1 held',
      '10.2.0.1 eth2 held',
      'fd00:1::1 eth1 held',
    ]);
    await net.stopAll();
  });
});
