/**
 * VMACs (`vmac`, keepalived's `use_vmac`) as the engine drives them, on a simulated segment: the VIP manager makes
 * the VMAC at start in every state, the own addresses go on it and the adverts from it, the other family's excluded
 * addresses stay on the interface, a stop deletes it and a reconfigure keeps it. The kernel's side (the macvlan,
 * its MAC, the sysctls, the frames) is the Linux lab's: test/interop/vmac.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { VrrpConfig } from '../../src/config.js';
import { VrrpInstance } from '../../src/index.js';
import type { LinkMonitor, LinkWatch } from '../../src/adapters/types.js';
import { FakeTransport, FakeVipManager, SimNetwork, VirtualClock } from '../../src/testing/index.js';

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

/** A link monitor with a state per interface, so that the VMAC's link and its base's can differ. */
class Links implements LinkMonitor {
  readonly #up = new Map<string, boolean>();
  readonly #watchers = new Map<string, Set<(up: boolean) => void>>();
  /** The interfaces watched with `linkOnly` (the VMAC's). */
  readonly linkOnly = new Set<string>();

  async watch(iface: string, onChange: (up: boolean) => void, options?: { linkOnly?: boolean }): Promise<LinkWatch> {
    if (options?.linkOnly === true) this.linkOnly.add(iface);
    let set = this.#watchers.get(iface);
    if (set === undefined) this.#watchers.set(iface, (set = new Set()));
    set.add(onChange);
    return { up: this.#up.get(iface) ?? true, stop: () => set.delete(onChange) };
  }

  set(iface: string, up: boolean): void {
    this.#up.set(iface, up);
    for (const watcher of this.#watchers.get(iface) ?? []) watcher(up);
  }
}

/** One instance alone on fakes, with a link monitor per interface and a transport that counts its reopens. */
function alone(vips = new FakeVipManager()) {
  const clock = new VirtualClock();
  const links = new Links();
  const transport = Object.assign(new FakeTransport({ primaryAddress: '10.0.0.1' }), { reopened: 0, reopen() { this.reopened++; } });
  const instance = new VrrpInstance(config, { transport, vipManager: vips, clock, linkMonitor: links });
  const errors: string[] = [];
  instance.on('error', (error) => errors.push(error.message));
  return { clock, links, transport, instance, vips, errors };
}

describe('VMACs and the instance', () => {
  // Given a VIP manager that cannot make a VMAC; then start fails saying so, with nothing open.
  it('refuse to start on a VIP manager without createVmac', async () => {
    const vips = new FakeVipManager();
    Object.defineProperty(vips, 'createVmac', { value: undefined });
    const { instance, transport } = alone(vips);
    await expect(instance.start()).rejects.toThrow(/vmac is configured but the VIP manager cannot make one/);
    expect(instance.state).toBe('initialize');
    expect(transport.isOpen).toBe(false);
  });

  // Both links are watched, the VMAC's on its own state (linkOnly: it has no address to send from).
  it('watch the VMAC as a link of its own', async () => {
    const { instance, links, clock } = alone();
    await instance.start();
    await clock.advance(5000);
    expect(instance.state).toBe('master');
    expect([...links.linkOnly]).toEqual(['vrrp.51']);
    await instance.stop();
  });

  // When the master's VMAC goes down (deleted), it is in Fault, the VMAC is made again by name and the transport
  // opened again on it; only then, with the VMAC up, does it leave Fault.
  it('go to Fault when the VMAC goes, make it again, reopen the transport, and come back', async () => {
    const { instance, links, clock, vips, transport } = alone();
    await instance.start();
    await clock.advance(5000);
    expect(instance.state).toBe('master');
    links.set('vrrp.51', false);
    await clock.advance(1);
    expect(instance.state).toBe('fault');
    expect(vips.calls.filter((call) => call.op === 'createVmac').map((call) => call.addresses[0])).toEqual(['vrrp.51', 'vrrp.51']);
    expect(transport.reopened).toBe(1);
    links.set('vrrp.51', true);
    await clock.advance(5000);
    expect(instance.state).toBe('master');
    await instance.stop();
  });

  // The base down is Fault too; the base back has the VMAC made again (it goes with a deleted base) before it is up.
  it('make the VMAC again when the base comes back', async () => {
    const { instance, links, clock, vips } = alone();
    await instance.start();
    await clock.advance(5000);
    links.set('eth0', false);
    await clock.advance(1);
    expect(instance.state).toBe('fault');
    links.set('eth0', true);
    await clock.advance(5000);
    expect(instance.state).toBe('master');
    expect(vips.calls.filter((call) => call.op === 'createVmac')).toHaveLength(2);
    await instance.stop();
  });

  // A make that fails is reported and tried again later (1 s, then doubling), the instance in Fault meanwhile.
  it('try again, reporting it, when the VMAC cannot be made again', async () => {
    const { instance, links, clock, vips, errors } = alone();
    await instance.start();
    await clock.advance(5000);
    vips.failNext.createVmac = new Error('EPERM');
    links.set('vrrp.51', false);
    links.set('vrrp.51', true);
    await clock.advance(1);
    expect(instance.state).toBe('fault');
    expect(errors).toEqual([expect.stringMatching(/^could not make VMAC vrrp\.51 again \(trying again in 1 s\): EPERM/)]);
    await clock.advance(1000);
    await clock.advance(5000);
    expect(instance.state).toBe('master');
    expect(vips.calls.filter((call) => call.op === 'createVmac')).toHaveLength(2); // the first, the retry (the failed one is not recorded)
    await instance.stop();
  });

  // A transport that cannot open again stays bound to the link that went: said, and tried again, in Fault meanwhile.
  it('say so when the transport cannot open again on a VMAC made again', async () => {
    const clock = new VirtualClock();
    const links = new Links();
    const instance = new VrrpInstance(config, { transport: new FakeTransport({ primaryAddress: '10.0.0.1' }), vipManager: new FakeVipManager(), clock, linkMonitor: links });
    const errors: string[] = [];
    instance.on('error', (error) => errors.push(error.message));
    await instance.start();
    await clock.advance(5000);
    links.set('vrrp.51', false);
    links.set('vrrp.51', true);
    await clock.advance(10);
    expect(instance.state).toBe('fault');
    expect(errors).toEqual([expect.stringMatching(/could not make VMAC vrrp\.51 again .*the transport cannot open again on VMAC vrrp\.51 \(it has no reopen\)/)]);
    await instance.stop();
  });

  // Given a running instance with a VMAC; when reconfigured (a new priority), then the VMAC is not deleted but
  // taken by the new engine; a change of vmac itself is refused; a stop deletes it.
  it('keep the VMAC through a reconfigure, and refuse to change it there', async () => {
    const { instance, vips } = alone();
    await instance.start();
    await instance.reconfigure({ ...config, priority: 120 });
    expect(vips.calls.filter((call) => call.op === 'createVmac' || call.op === 'removeVmac').map((call) => call.op)).toEqual(['createVmac', 'createVmac']);
    expect([...vips.vmacs.keys()]).toEqual(['vrrp.51']);
    await expect(instance.reconfigure({ ...config, vmac: { name: 'other' } })).rejects.toThrow(/vmac: cannot change on a running configuration/);
    await instance.stop();
    expect(vips.vmacs.size).toBe(0);
  });

  // status() names the VMAC as the interface of the addresses it holds; the other family's stay on eth0.
  it("say in status that the addresses are on the VMAC", async () => {
    const { instance, clock } = alone();
    await instance.start();
    await clock.advance(5000);
    expect(instance.status().vips.map((vip) => `${vip.address} ${vip.interface}`)).toEqual(['10.0.0.100 vrrp.51', 'fd00::100 eth0']);
    await instance.stop();
  });
});
