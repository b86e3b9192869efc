/**
 * `virtualRoutes` and `virtualRules` (keepalived's `virtual_routes`, `virtual_rules`) on a simulated segment: a
 * master installs its routes after its addresses are up, then its rules, and removes them in the reverse order
 * before its addresses go; a backup holds none; a takeover moves them; a route that fails is reported and the
 * mastership stands. The Linux lab shows the kernel's side beside keepalived
 * (test/interop/virtual-routing.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { VirtualAddress } from '../../src/config.js';
import { VrrpError } from '../../src/errors.js';
import { type FakeVipManager, SimNetwork } from '../../src/testing/index.js';

const ROUTES = [
  { to: '10.9.0.0/24', via: '10.0.0.254' },
  { to: 'default', via: '10.0.0.254', table: 100 },
  { to: '10.8.0.0/16', type: 'blackhole' as const },
];
const INSTALLED = ['10.9.0.0/24 via 10.0.0.254', '0.0.0.0/0 via 10.0.0.254 table 100', 'blackhole 10.8.0.0/16'];
const RULES = [{ from: '10.0.0.100', table: 100, priority: 100 }];
const config = { interface: 'eth0', vrid: 51, advertIntervalMs: 1000, virtualAddresses: ['10.0.0.100/24'], virtualRoutes: ROUTES, virtualRules: RULES };

function cluster() {
  const net = new SimNetwork({ seed: 5, latencyMs: 0.3 });
  const a = net.addNode({ ...config, name: 'a', priority: 150 }, { address: '10.0.0.1' });
  const b = net.addNode({ ...config, name: 'b', priority: 100 }, { address: '10.0.0.2' });
  const vips = (name: string) => (net.nodes.find((node) => node.name === name) as (typeof net.nodes)[number]).vips;
  return { net, a, b, vips };
}

describe('virtual routes', () => {
  // Given a (150) and b (100) with three routes, when a is master, then a has them installed and b none.
  it('are installed by the master and by no backup', async () => {
    const { net, a, vips } = cluster();
    await net.advance(5000);
    expect(a.state).toBe('master');
    expect([...vips('a').routes]).toEqual(INSTALLED);
    expect([...vips('a').rules]).toEqual(['from 10.0.0.100 lookup 100 pref 100']);
    expect([...vips('b').routes]).toEqual([]);
    expect([...vips('b').rules]).toEqual([]);
    await net.stopAll();
  });

  // Routes, then rules, follow the addresses in, and leave in the reverse order before them (a route may use a VIP
  // as its source; a rule may send traffic to a route's table), as keepalived orders them.
  it('go in after the addresses, routes before rules, and out in the reverse order', async () => {
    const { net, a, vips } = cluster();
    await net.advance(5000);
    await a.stop();
    const ops = vips('a').calls.map((call) => call.op).filter((op) => op !== 'announce');
    // The first two are start's cleanup of what a crashed run may have left.
    expect(ops).toEqual(['removeRules', 'removeRoutes', 'add', 'addRoutes', 'addRules', 'removeRules', 'removeRoutes', 'remove']);
    expect([...vips('a').routes]).toEqual([]);
    expect([...vips('a').rules]).toEqual([]);
    await net.stopAll();
  });

  // Given a master, when it is killed, then b installs the routes, as it takes the addresses.
  it('move with a takeover', async () => {
    const { net, a, b, vips } = cluster();
    await net.advance(5000);
    await net.kill(a);
    await net.advance(5000);
    expect(b.state).toBe('master');
    expect([...vips('b').routes]).toEqual(INSTALLED);
    await net.stopAll();
  });

  // A route the kernel refuses: reported as route_failed naming it, and the instance stays master with its VIP.
  it('that fail are reported and the mastership stands', async () => {
    const { net, a, vips } = cluster();
    const errors: VrrpError[] = [];
    a.on('error', (error) => errors.push(error));
    vips('a').failNext.addRoutes = new Error('10.9.0.0/24 via 10.0.0.254: ENETUNREACH');
    await net.advance(5000);
    expect(a.state).toBe('master');
    expect([...vips('a').addresses]).toEqual(['10.0.0.100']);
    expect(errors.map((error) => `${error.code}: ${error.message}`)).toEqual(['route_failed: could not install virtual routes: 10.9.0.0/24 via 10.0.0.254: ENETUNREACH']);
    await net.stopAll();
  });

  // A rule the kernel refuses is reported apart from the routes, which stay installed.
  it('report a failed rule apart, the routes staying', async () => {
    const { net, a, vips } = cluster();
    const errors: VrrpError[] = [];
    a.on('error', (error) => errors.push(error));
    vips('a').failNext.addRules = new Error('from 10.0.0.100 lookup 100 pref 100: EINVAL');
    await net.advance(5000);
    expect(a.state).toBe('master');
    expect([...vips('a').routes]).toEqual(INSTALLED);
    expect(errors.map((error) => `${error.code}: ${error.message}`)).toEqual(['route_failed: could not install virtual rules: from 10.0.0.100 lookup 100 pref 100: EINVAL']);
    await net.stopAll();
  });

  // An announcement that fails once the addresses are up keeps the mastership (announce_failed), and with it the
  // routes and rules go in as after any takeover, and the addresses are reported added.
  it('go in after an announcement that failed once the addresses were up', async () => {
    const { net, a, vips } = cluster();
    const manager: FakeVipManager & { addAndAnnounce?: (iface: string, addresses: readonly VirtualAddress[]) => Promise<void> } = vips('a');
    manager.addAndAnnounce = async (iface: string, addresses: readonly VirtualAddress[]): Promise<void> => {
      await manager.add(iface, addresses);
      throw new VrrpError('announce_failed', 'cannot announce on eth0: ENETDOWN');
    };
    const errors: string[] = [];
    a.on('error', (error) => errors.push(error.code));
    await net.advance(5000);
    expect(a.state).toBe('master');
    expect([...vips('a').routes]).toEqual(INSTALLED);
    expect([...vips('a').rules]).toEqual(['from 10.0.0.100 lookup 100 pref 100']);
    expect(errors).toEqual(['vip_failed']);
    expect(a.stats.vipChanges, 'the addresses counted as added').toBe(1);
    await net.stopAll();
  });

  // status() lists each route and rule as configured, held on the master and on no backup.
  it('are listed by status(), held by the master only', async () => {
    const { net, a, b } = cluster();
    await net.advance(5000);
    expect(a.status().routes).toEqual(INSTALLED.map((text) => ({ text, held: true })));
    expect(a.status().rules).toEqual([{ text: 'from 10.0.0.100 lookup 100 pref 100', held: true }]);
    expect(b.status().routes.map((route) => route.held)).toEqual([false, false, false]);
    expect(b.status().rules).toEqual([{ text: 'from 10.0.0.100 lookup 100 pref 100', held: false }]);
    await net.stopAll();
  });

  // A master whose routes failed says so in status() (its rules, installed, are held), and a backup it became
  // holds none: "held" is what the kernel was told to keep, not the state.
  it('that failed are not held in status(), and are given up with the mastership', async () => {
    const { net, a, vips } = cluster();
    vips('a').failNext.addRoutes = new Error('ENETUNREACH');
    a.on('error', () => {});
    await net.advance(5000);
    expect(a.state).toBe('master');
    expect(a.status().routes.map((route) => route.held), 'failed routes').toEqual([false, false, false]);
    expect(a.status().rules.map((rule) => rule.held), 'installed rules').toEqual([true]);
    net.addNode({ ...config, name: 'c', priority: 200 }, { address: '10.0.0.3' });
    await net.advance(5000);
    expect(a.state).toBe('backup');
    expect(a.status().rules.map((rule) => rule.held), 'after the mastership').toEqual([false]);
    await net.stopAll();
  });

  // A VIP manager without addRoutes cannot run an instance with routes: start says so instead of dropping them.
  it('refuse to start on a VIP manager that cannot install them', async () => {
    const net = new SimNetwork({ seed: 5 });
    const a = net.addNode({ ...config, name: 'a' }, { address: '10.0.0.1', start: false });
    (net.node(a).vips as { addRoutes?: unknown }).addRoutes = undefined;
    await expect(a.start()).rejects.toThrow(/virtualRoutes are configured but the VIP manager cannot install routes/);
    expect(a.state).toBe('initialize');
    await net.stopAll();
  });
});
