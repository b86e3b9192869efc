/**
 * keepalived's `virtual_routes` and `virtual_rules` beside keepalived 2.2.7 on a namespace segment, both nodes
 * running the same keepalived.conf (ours through `vrrp run keepalived.conf`): the master's kernel has the routes and
 * the rule and the backup's has none; a takeover moves them, the route whose source is the VIP too (it needs the VIP
 * up first); one of ours deleted by hand while master is put back and reported; what a crashed run of ours left is
 * removed at the next start, while an administrator's route to the same destination and rule of the same shape —
 * another protocol — stay through all of it; a stop removes ours.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keepalivedConf, Lab, labAvailable, poll, requireLab } from './lab.js';
import { requestStatus } from '../../src/control.js';
import { startVrrp } from './vrrp-process.js';

requireLab();

/** Destinations of the routes under test; nothing else in the lab routes to them. */
const VIA = '10.77.0.0/24';
const SOURCED = '10.78.0.0/24';
const BLACKHOLE = '10.79.0.0/16';

function conf(lab: Lab, host: string, priority: number): string {
  const vip = lab.ipv4(100);
  const routes = [`${VIA} via ${lab.ipv4(254)}`, `src ${vip} to ${SOURCED} dev eth0 no_track`, `blackhole ${BLACKHOLE}`];
  const extra = ['garp_master_delay 0', 'virtual_routes {', ...routes.map((r) => `  ${r}`), '}', 'virtual_rules {', `  from ${vip} table 100 preference 100 no_track`, '}'];
  return keepalivedConf({ routerId: host, instances: [{ name: 'VI_RT', vrid: 61, priority, advertIntervalS: 0.1, vips: [`${vip}/24`], extra }] });
}

interface JsonRoute {
  dst: string;
  type?: string;
  gateway?: string;
  prefsrc?: string;
  protocol?: string;
  metric?: number;
}

interface JsonRule {
  priority: number;
  src?: string;
  table?: string;
  protocol?: string;
}

describe.skipIf(!labAvailable.ok)('virtual_routes and virtual_rules beside keepalived', () => {
  let lab: Lab;
  beforeEach(async () => {
    lab = await Lab.create({ hosts: ['ka', 'us'] });
  });
  afterEach(async () => {
    await lab?.destroy();
  });

  /** The host's routes to the three destinations, as `ip route` words (ip -j leaves out the protocol boot, the default). */
  async function routes(host: string): Promise<string[]> {
    const { stdout } = await lab.exec(host, ['ip', '-j', 'route', 'show', 'table', 'main']);
    return (JSON.parse(stdout) as JsonRoute[])
      .filter((route) => route.dst === VIA || route.dst === SOURCED || route.dst === BLACKHOLE)
      .map((route) =>
        [route.type === 'blackhole' ? 'blackhole' : '', route.dst, route.gateway ? `via ${route.gateway}` : '', route.prefsrc ? `src ${route.prefsrc}` : '', route.metric ? `metric ${route.metric}` : '', `proto ${route.protocol ?? 'boot'}`]
          .filter(Boolean)
          .join(' '),
      )
      .sort();
  }

  /** The host's IPv4 rules other than the kernel's three, as `ip rule` words (ip -j leaves out the protocol boot). */
  async function rules(host: string): Promise<string[]> {
    const { stdout } = await lab.exec(host, ['ip', '-j', '-4', 'rule', 'show']);
    return (JSON.parse(stdout) as JsonRule[])
      .filter((rule) => rule.priority !== 0 && rule.priority !== 32766 && rule.priority !== 32767)
      .map((rule) => `${rule.priority}: from ${rule.src ?? 'all'} lookup ${rule.table} proto ${rule.protocol ?? 'boot'}`)
      .sort();
  }

  // Given keepalived (150) master and our `vrrp run` (100) of the same keepalived.conf, with an administrator's route
  // to one of the destinations on our host (metric 50, proto boot);
  // then keepalived's kernel has the three routes and ours none of them;
  // when keepalived stops, then ours has the three, with our protocol, and keepalived's none;
  // when our process is killed, the routes it does not tie to the VIP stay behind, and the next start — backup
  // beside keepalived again — removes them; and our stop as master leaves none. The administrator's route stays.
  it('moves with mastership, and what a crashed run left goes at the next start; no other route is touched', async () => {
    const vip = lab.ipv4(100);
    // The administrator's route and rule differ from ours only where a removal of ours does not look: the route
    // by its metric (ours is 0, which a removal leaves out: any metric matches), the rule not at all. Only the
    // protocol keeps them from our removals.
    const admin = `${VIA} via ${lab.ipv4(254)} metric 50 proto boot`;
    await lab.exec('us', ['ip', 'route', 'add', VIA, 'via', lab.ipv4(254), 'metric', '50']);
    const ours = [`${VIA} via ${lab.ipv4(254)} proto 112`, `${SOURCED} src ${vip} proto 112`, `blackhole ${BLACKHOLE} proto 112`, admin].sort();
    await lab.exec('us', ['ip', 'rule', 'add', 'from', vip, 'table', '100', 'preference', '100']);
    const adminRule = `100: from ${vip} lookup 100 proto boot`;
    const ourRule = `100: from ${vip} lookup 100 proto 112`;

    let ka = await lab.startKeepalived('ka', conf(lab, 'ka', 150));
    await ka.waitForLog(/Entering MASTER STATE/, 5000);
    let us = startVrrp(lab, 'us', conf(lab, 'us', 100));
    await us.waitForState('backup', 5000);
    await poll('keepalived to install its routes', async () => ((await routes('ka')).length === 3 ? true : undefined), 3000);
    expect(await routes('us')).toEqual([admin]);
    expect(await rules('ka')).toEqual([`100: from ${vip} lookup 100 proto boot`]); // no_track: keepalived sets no protocol
    expect(await rules('us')).toEqual([adminRule]);
    const backupStatus = (await requestStatus(us.controlSocket as string)).instances[0];
    expect([...(backupStatus?.routes ?? []), ...(backupStatus?.rules ?? [])].map((entry) => entry.held), 'held as backup').toEqual([false, false, false, false]);

    let mark = us.events.length;
    await ka.stop();
    await us.waitForState('master', 5000, mark);
    await poll('our routes', async () => ((await routes('us')).length === 4 ? true : undefined), 2000);
    expect(await routes('us')).toEqual(ours);
    expect(await routes('ka')).toEqual([]);
    expect(await rules('us')).toEqual([ourRule, adminRule]);
    expect(await rules('ka')).toEqual([]);
    expect(us.events.filter((e) => e.event === 'error'), us.describe()).toEqual([]);
    // `vrrp status` as the engine thread publishes it: each route and the rule, held.
    const status = (await requestStatus(us.controlSocket as string)).instances[0];
    expect(status?.routes.map((route) => `${route.text}${route.held ? ' held' : ''}`)).toEqual([
      `${VIA} via ${lab.ipv4(254)} held`,
      `${SOURCED} dev eth0 src ${lab.ipv4(100)} held`,
      `blackhole ${BLACKHOLE} held`,
    ]);
    expect(status?.rules).toEqual([{ text: `from ${lab.ipv4(100)} lookup 100 pref 100`, held: true }]);

    // Deleted by hand while we are master: put back at once and reported, as a VIP is; the administrator's stay.
    const before = us.events.length;
    await lab.exec('us', ['ip', 'route', 'del', VIA, 'via', lab.ipv4(254), 'proto', '112']);
    const route = await us.waitFor((e) => e.event === 'error' && e.code === 'route_failed', 3000, before);
    expect(String(route.message)).toBe(`${VIA} via ${lab.ipv4(254)} was removed behind our back; installed it again`);
    await lab.exec('us', ['ip', 'rule', 'del', 'from', vip, 'table', '100', 'pref', '100', 'protocol', '112']);
    const rule = await us.waitFor((e) => e.event === 'error' && e.code === 'route_failed' && String(e.message).startsWith('from'), 3000, before);
    expect(String(rule.message)).toBe(`from ${vip} lookup 100 pref 100 was removed behind our back; installed it again`);
    expect(await routes('us')).toEqual(ours);
    expect(await rules('us')).toEqual([ourRule, adminRule]);

    // The VIP removed by hand takes the route sourced from it with it; the route cannot go back before the VIP, so
    // the VIP's return brings it back, reported once (the first, refused try is no news).
    const beforeVip = us.events.length;
    await lab.exec('us', ['ip', 'addr', 'del', `${vip}/24`, 'dev', 'eth0']);
    const sourced = await us.waitFor((e) => e.event === 'error' && e.code === 'route_failed', 3000, beforeVip);
    expect(String(sourced.message)).toBe(`${SOURCED} dev eth0 src ${vip} was removed behind our back; installed it again`);
    expect(await routes('us')).toEqual(ours);
    expect(us.events.slice(beforeVip).filter((e) => e.event === 'error' && e.code === 'route_failed'), us.describe()).toHaveLength(1);

    // A crash: the VIP goes with its lease (and the route sourced from it with the VIP), the other two stay.
    await us.kill();
    await poll('the VIP to expire with its lease', async () => ((await lab.addresses('us')).includes(vip) ? undefined : true), 10_000);
    expect(await routes('us')).toEqual([`${VIA} via ${lab.ipv4(254)} proto 112`, `blackhole ${BLACKHOLE} proto 112`, admin].sort());
    expect(await rules('us')).toEqual([ourRule, adminRule]);

    ka = await lab.startKeepalived('ka', conf(lab, 'ka', 150));
    await ka.waitForLog(/Entering MASTER STATE/, 5000);
    us = startVrrp(lab, 'us', conf(lab, 'us', 100));
    await us.waitForState('backup', 5000);
    expect(await routes('us')).toEqual([admin]);
    expect(await rules('us')).toEqual([adminRule]);

    mark = us.events.length;
    await ka.stop();
    await us.waitForState('master', 5000, mark);
    await poll('our routes again', async () => ((await routes('us')).length === 4 ? true : undefined), 2000);
    expect(await rules('us')).toEqual([ourRule, adminRule]);
    expect(await us.stop(), us.describe()).toBe(0);
    expect(await routes('us')).toEqual([admin]);
    expect(await rules('us')).toEqual([adminRule]);
  });
});
