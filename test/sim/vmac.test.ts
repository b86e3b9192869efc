/**
 * VMACs (`vmac`, keepalived's `use_vmac`) as the engine drives them, on a simulated segment: the VIP manager makes
 * the VMAC at start in every state, the own addresses go on it and the adverts from it, the other family's excluded
 * addresses stay on the interface, a stop deletes it and a reconfigure keeps it. The kernel's side (the macvlan,
 * its MAC, the sysctls, the frames) is the Linux lab's: test/interop/vmac.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { VrrpConfig } from '../../src/config.js';
import { VrrpInstance } from '../../src/index.js';
import { FakeLinkMonitor, FakeTransport, FakeVipManager, SimNetwork, VirtualClock } from '../../src/testing/index.js';

const config = {
  interface: 'eth0',
  vrid: 51,
  advertIntervalMs: 1000,
  virtualAddresses: ['10.0.0.100/24'],
  excludedAddresses: ['fd00::100/64'],
  vmac: true,
} satisfies VrrpConfig;

function cluster() {
  const net = new SimNetwork({ seed: 7, latencyMs: 0.3 });
  const a = net.addNode({ ...config, name: 'a', priority: 150 }, { address: '10.0.0.1' });
  const b = net.addNode({ ...config, name: 'b', priority: 100 }, { address: '10.0.0.2' });
  const node = (instance: VrrpInstance) => net.node(instance);
  const on = (instance: VrrpInstance): Record<string, string[]> => Object.fromEntries([...node(instance).vips.byInterface].map(([iface, set]) => [iface, [...set]]));
  return { net, a, b, node, on };
}

describe('VMACs on a simulated segment', () => {
  // Given a (150) and b (100) with vmac: true; then each made vrrp.51 at start, backup too, and sends from it, its
  // primary address picked on eth0.
  it('are made at start by master and backup alike, and the adverts go from them', async () => {
    const { net, a, b, node } = cluster();
    await net.advance(5000);
    expect([a.state, b.state]).toEqual(['master', 'backup']);
    for (const instance of [a, b]) {
      expect([...node(instance).vips.vmacs.keys()]).toEqual(['vrrp.51']);
      expect(node(instance).vips.vmacs.get('vrrp.51')).toMatchObject({ base: 'eth0', family: 'ipv4', vrid: 51, name: undefined });
      expect(node(instance).transport.options).toMatchObject({ interface: 'vrrp.51', addressInterface: 'eth0' });
    }
    await net.stopAll();
  });

  // Then the master's advertised address is on the VMAC, and the excluded IPv6 address on eth0 (an IPv4 VMAC has
  // IPv6 off).
  it("hold the master's own addresses, the other family's staying on the interface", async () => {
    const { net, a, on } = cluster();
    await net.advance(5000);
    expect(on(a)).toEqual({ 'vrrp.51': ['10.0.0.100'], eth0: ['fd00::100'] });
    await net.stopAll();
  });

  // When the master is killed, b takes over onto its own VMAC; when b stops, its VMAC is deleted after its addresses.
  it('take the addresses over, and a stop deletes them after the addresses', async () => {
    const { net, a, b, node, on } = cluster();
    await net.advance(5000);
    await net.kill(a);
    await net.advance(5000);
    expect(b.state).toBe('master');
    expect(on(b)).toEqual({ 'vrrp.51': ['10.0.0.100'], eth0: ['fd00::100'] });
    await b.stop();
    const ops = node(b).vips.calls.map((call) => `${call.op} ${call.addresses.join(' ')}`);
    expect(ops.slice(-3)).toEqual(['remove 10.0.0.100/24', 'remove fd00::100/64', 'removeVmac vrrp.51']);
    expect(node(b).vips.vmacs.size).toBe(0);
    await net.stopAll();
  });

  // With xmitBase, the adverts go from the interface itself; the addresses still go on the VMAC.
  it('send from the interface itself with xmitBase', async () => {
    const net = new SimNetwork({ seed: 7 });
    const a = net.addNode({ ...config, vmac: { name: 'vmac51', xmitBase: true }, name: 'a', priority: 150 }, { address: '10.0.0.1' });
    await net.advance(5000);
    expect(net.node(a).transport.options?.interface).toBe('eth0');
    expect(net.node(a).transport.options?.addressInterface).toBeUndefined();
    expect(Object.fromEntries([...net.node(a).vips.byInterface].map(([iface, set]) => [iface, [...set]]))).toEqual({ vmac51: ['10.0.0.100'], eth0: ['fd00::100'] });
    await net.stopAll();
  });
});

describe('VMACs and the instance', () => {
  const adapters = (vips: VipManagerLike = new FakeVipManager()) => ({ transport: new FakeTransport({ primaryAddress: '10.0.0.1' }), vipManager: vips, clock: new VirtualClock(), linkMonitor: new FakeLinkMonitor() });
  type VipManagerLike = FakeVipManager | Omit<FakeVipManager, 'createVmac'>;

  // Given a VIP manager that cannot make a VMAC; then start fails saying so, and nothing is left open.
  it('refuse to start on a VIP manager without createVmac', async () => {
    const vips = new FakeVipManager();
    const plain = Object.assign(Object.create(Object.getPrototypeOf(vips) as object) as FakeVipManager, vips);
    Object.defineProperty(plain, 'createVmac', { value: undefined });
    const instance = new VrrpInstance(config, adapters(plain));
    await expect(instance.start()).rejects.toThrow(/vmac is configured but the VIP manager cannot make one/);
    expect(instance.state).toBe('initialize');
  });

  // Given a running instance with a VMAC; when reconfigured (a new priority), then the VMAC is not deleted, and
  // asked for again by name; a change of vmac itself is refused.
  it('keep the VMAC through a reconfigure, and refuse to change it there', async () => {
    const vips = new FakeVipManager();
    const instance = new VrrpInstance(config, adapters(vips));
    await instance.start();
    await instance.reconfigure({ ...config, priority: 120 });
    expect(vips.calls.filter((call) => call.op === 'createVmac' || call.op === 'removeVmac').map((call) => `${call.op} ${call.addresses.join(' ')}`)).toEqual(['createVmac vrrp.51', 'createVmac vrrp.51']);
    expect([...vips.vmacs.keys()]).toEqual(['vrrp.51']);
    await expect(instance.reconfigure({ ...config, vmac: { name: 'other' } })).rejects.toThrow(/vmac: cannot change on a running configuration/);
    await instance.stop();
    expect(vips.vmacs.size).toBe(0);
  });
});
