/**
 * An IPv6 instance with more virtual addresses than one advert carries, beside keepalived 2.2.7, both nodes running
 * the same keepalived.conf: keepalived advertises the 89 that fit at MTU 1500 and holds the rest unadvertised; our
 * import does the same (`vrrp run` reads the MTU from sysfs), so the lists agree — each side accepts the other's
 * adverts — and a takeover moves all 92 addresses.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keepalivedConf, Lab, labAvailable, poll, requireLab } from './lab.js';
import { requestStatus } from '../../src/control.js';
import { startVrrp } from './vrrp-process.js';

requireLab();

const COUNT = 92;

function conf(lab: Lab, host: string, priority: number): string {
  const vips = Array.from({ length: COUNT }, (_, i) => `${lab.ipv6(100 + i)}/64`);
  return keepalivedConf({ routerId: host, instances: [{ name: 'VI_6', vrid: 71, priority, advertIntervalS: 0.1, vips, extra: ['garp_master_delay 0'] }] });
}

describe.skipIf(!labAvailable.ok)('more IPv6 virtual addresses than one advert carries, beside keepalived', () => {
  let lab: Lab;
  beforeEach(async () => {
    lab = await Lab.create({ hosts: ['ka', 'us'], ipv6: true });
  });
  afterEach(async () => {
    await lab?.destroy();
  });

  // Given keepalived (150) master and our `vrrp run` (100) of the same keepalived.conf with 92 IPv6 addresses
  // then we are backup, count keepalived's adverts and no address-list error, and say which 89 we advertise;
  // when keepalived stops, then we hold all 92.
  it('advertises the 89 keepalived advertises, and takes all 92 over', async () => {
    const all = Array.from({ length: COUNT }, (_, i) => lab.ipv6(100 + i));
    const ka = await lab.startKeepalived('ka', conf(lab, 'ka', 150));
    await ka.waitForLog(/Entering MASTER STATE/, 5000);
    const us = startVrrp(lab, 'us', conf(lab, 'us', 100));
    await us.waitForState('backup', 5000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const status = (await requestStatus(us.controlSocket as string)).instances[0];
    const counters = status?.counters as Record<string, number> | undefined;
    expect(counters?.vrrpv3StatisticsRcvdAdvertisements, us.describe()).toBeGreaterThan(0);
    expect(counters?.vrrpv3StatisticsAddressListErrors, JSON.stringify(counters)).toBe(0);
    expect(status?.vips.filter((vip) => vip.advertised).length).toBe(89);
    expect(us.events.filter((e) => e.event === 'stateChange').map((e) => e.to)).toEqual(['backup']);

    const mark = us.events.length;
    await ka.stop();
    await us.waitForState('master', 5000, mark);
    await poll('all 92 addresses on us', async () => {
      const held = new Set(await lab.addresses('us'));
      return all.every((address) => held.has(address)) ? true : undefined;
    }, 3000);
    expect(us.events.filter((e) => e.event === 'error'), us.describe()).toEqual([]);
    expect(await us.stop(), us.describe()).toBe(0);
  });
});
