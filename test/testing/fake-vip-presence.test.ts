/**
 * FakeVipManager leaves what was on the host before the instance as the Linux VIP manager does
 * (src/linux/vip-manager.ts):
 * - an address `preset` on the interface (by hand, or an address owner's own) is not ours when the instance adds
 *   it (EEXIST), and `remove` leaves it: Linux never removes an address it did not add;
 * - a route `presetRoutes` installed is refused to `addRoutes` for the same destination, table and metric (the
 *   kernel's EEXIST), each refusal named in one `route_failed` after the other routes went in, and `removeRoutes`
 *   leaves it (only routes of our protocol go).
 * Before, the fake had no way to say an address or route was there already: it removed an address it had not
 * added, and installed a route the kernel would refuse.
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig, type VirtualAddress, type VirtualRoute, type VrrpConfig } from '../../src/config.js';
import type { VrrpError } from '../../src/errors.js';
import { VrrpInstance } from '../../src/instance.js';
import { FakeLinkMonitor, FakeTransport, FakeVipManager, VirtualClock } from '../../src/testing/index.js';

/** Past a lone v3 router's Master_Down_Interval at priority 100 (3609.375 ms). */
const MASTER_AFTER_MS = 4000;

const vip = (text: string): VirtualAddress => resolveConfig({ interface: 'eth0', vrid: 1, virtualAddresses: [text] }).virtualAddresses[0] as VirtualAddress;
const route = (config: NonNullable<VrrpConfig['virtualRoutes']>[number]): VirtualRoute =>
  resolveConfig({ interface: 'eth0', vrid: 1, virtualAddresses: ['10.0.0.100/24'], virtualRoutes: [config] }).virtualRoutes[0] as VirtualRoute;

function node(config: VrrpConfig, vips: FakeVipManager) {
  const clock = new VirtualClock();
  const instance = new VrrpInstance(config, { transport: new FakeTransport({ primaryAddress: '10.0.0.1' }), vipManager: vips, clock, linkMonitor: new FakeLinkMonitor() });
  const errors: VrrpError[] = [];
  instance.on('error', (error) => errors.push(error));
  return { clock, instance, errors };
}

describe('FakeVipManager.preset', () => {
  // Given 10.0.0.100 preset on eth0; when it is added with 10.0.0.101 and both are removed; then 10.0.0.101 goes and
  // 10.0.0.100 stays.
  it('leaves a preset address at remove and removes the one it added', async () => {
    const vips = new FakeVipManager();
    vips.preset('eth0', ['10.0.0.100/24']);
    await vips.add('eth0', [vip('10.0.0.100/24'), vip('10.0.0.101/24')]);
    await vips.remove('eth0', [vip('10.0.0.100/24'), vip('10.0.0.101/24')]);
    expect([...vips.addresses], 'remove took an address it had not added, or left its own').toEqual(['10.0.0.100']);
    expect([...(vips.byInterface.get('eth0') ?? [])]).toEqual(['10.0.0.100']);
  });

  // Given 10.0.0.100 preset on eth1; when the same address is added on eth0 and removed from there; then it stays on
  // eth1 (EEXIST is per interface: the eth0 one was ours).
  it('keeps a preset address to its interface', async () => {
    const vips = new FakeVipManager();
    vips.preset('eth1', ['10.0.0.100']);
    await vips.add('eth0', [vip('10.0.0.100/24')]);
    await vips.remove('eth0', [vip('10.0.0.100/24')]);
    expect(vips.byInterface.has('eth0'), 'the address added on eth0 was not removed').toBe(false);
    expect([...(vips.byInterface.get('eth1') ?? [])], 'the preset address went from eth1').toEqual(['10.0.0.100']);
    expect([...vips.addresses]).toEqual(['10.0.0.100']);
  });

  // Given a VIP already configured on eth0 by hand; when a master holding it stops; then the address is still there.
  it('keeps an address that was there before the master added it', async () => {
    const vips = new FakeVipManager();
    vips.preset('eth0', ['10.0.0.100']);
    const { clock, instance } = node({ interface: 'eth0', vrid: 51, version: 3, virtualAddresses: ['10.0.0.100/24'] }, vips);
    await instance.start();
    await clock.advance(MASTER_AFTER_MS);
    expect(instance.state).toBe('master');
    await instance.stop();
    expect([...vips.addresses], "the master's stop removed an address it had not added").toEqual(['10.0.0.100']);
  });

  // Given an address owner (priority 255) whose VIP is its interface's own address; when it stops; then the
  // interface keeps its address.
  it("keeps an address owner's own address at its stop", async () => {
    const vips = new FakeVipManager();
    vips.preset('eth0', ['10.0.0.1/24']);
    const { clock, instance } = node({ interface: 'eth0', vrid: 51, version: 3, priority: 255, virtualAddresses: ['10.0.0.1/24'] }, vips);
    await instance.start();
    await clock.advance(0);
    expect(instance.state).toBe('master');
    await instance.stop();
    expect([...vips.addresses], "the owner's stop removed its interface's own address").toEqual(['10.0.0.1']);
  });
});

describe('FakeVipManager.presetRoutes', () => {
  const theirs = { to: '10.9.0.0/24', via: '10.0.0.253' };
  const ours = route({ to: '10.9.0.0/24', via: '10.0.0.254' });
  const other = route({ to: '10.8.0.0/16', type: 'blackhole' });

  // Given an administrator's route to 10.9.0.0/24; when addRoutes installs ours to the same destination; then it
  // rejects with route_failed naming the route and the kernel's EEXIST, as the Linux VIP manager words it.
  it('refuses a route whose destination, table and metric are taken, as route_failed naming it', async () => {
    const vips = new FakeVipManager();
    vips.presetRoutes([theirs]);
    await expect(vips.addRoutes([ours]), 'a route the kernel would refuse went in').rejects.toMatchObject({
      code: 'route_failed',
      message: 'cannot install 10.9.0.0/24 via 10.0.0.254: EEXIST (a route to it is there already, not ours; left as it is)',
    });
  });

  // Given the same; when addRoutes installs ours and another route; then the other one goes in (each route is tried)
  // and the administrator's stays as it was.
  it('installs the routes that are free beside a refused one', async () => {
    const vips = new FakeVipManager();
    vips.presetRoutes([theirs]);
    await vips.addRoutes([ours, other]).catch(() => undefined);
    expect([...vips.routes], 'the free route was not installed, or the taken one was').toEqual(['10.9.0.0/24 via 10.0.0.253', 'blackhole 10.8.0.0/16']);
  });

  // Given an administrator's route; when removeRoutes removes ours to the same destination; then theirs stays.
  it("leaves a preset route at removeRoutes", async () => {
    const vips = new FakeVipManager();
    vips.presetRoutes([theirs]);
    await vips.removeRoutes([ours]);
    expect([...vips.routes], "removeRoutes took a route that was not ours").toEqual(['10.9.0.0/24 via 10.0.0.253']);
  });

  // Given an IPv6 route preset with metric 0 (the kernel stores 1024, as the config does); when ours to the same
  // destination (metric 0 too) is added; then it is refused: the keys meet as the kernel's do.
  it('meets IPv6 routes by the metric the kernel stores', async () => {
    const vips = new FakeVipManager();
    vips.presetRoutes([{ to: '2001:DB8:9::/48', via: 'fe80::1', dev: 'eth0' }]);
    await expect(vips.addRoutes([route({ to: '2001:db8:9::/48', via: 'fe80::2', dev: 'eth0' })])).rejects.toMatchObject({ code: 'route_failed' });
  });

  // Given a master whose route to 10.9.0.0/24 an administrator installed already; when it takes over; then it
  // reports route_failed naming the route and stays master with its VIP, as on Linux.
  it('makes a master report the taken route and stay master', async () => {
    const vips = new FakeVipManager();
    vips.presetRoutes([theirs]);
    const config: VrrpConfig = { interface: 'eth0', vrid: 51, version: 3, virtualAddresses: ['10.0.0.100/24'], virtualRoutes: [{ to: '10.9.0.0/24', via: '10.0.0.254' }] };
    const { clock, instance, errors } = node(config, vips);
    await instance.start();
    await clock.advance(MASTER_AFTER_MS);
    expect(instance.state).toBe('master');
    expect(errors.map((error) => `${error.code}: ${error.message}`), 'the taken route was not reported').toEqual([
      'route_failed: could not install virtual routes: cannot install 10.9.0.0/24 via 10.0.0.254: EEXIST (a route to it is there already, not ours; left as it is)',
    ]);
    await instance.stop();
  });
});
