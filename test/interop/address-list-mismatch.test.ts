/**
 * Address lists that differ between the two nodes of a pair, beside keepalived 2.2.7: what each side does with the
 * other's adverts. docs/keepalived.md ("Differences worth knowing") tells users to give both nodes the same lists;
 * this is what happens when they do not.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Lab, labAvailable, keepalivedConf, requireLab } from './lab.js';
import { requestStatus } from '../../src/control.js';
import { startVrrp } from './vrrp-process.js';

requireLab();

describe.skipIf(!labAvailable.ok)('address lists that differ, beside keepalived', () => {
  let lab: Lab;
  beforeEach(async () => {
    lab = await Lab.create({ hosts: ['ka', 'us'] });
  });
  afterEach(async () => {
    await lab?.destroy();
  });

  // Given keepalived (100) with one VIP and us (150) with that VIP and one more, both at 100 ms
  // then each side drops the other's adverts (keepalived logs the count it did not expect; our address-list
  // counter grows) and both are master: a split brain, which is why the lists must match.
  it('each side drops the other’s adverts and both become master', async () => {
    const ka = await lab.startKeepalived(
      'ka',
      keepalivedConf({ routerId: 'ka', instances: [{ name: 'VI', vrid: 51, priority: 100, advertIntervalS: 0.1, vips: [`${lab.ipv4(100)}/24`], extra: ['garp_master_delay 0'] }] }),
    );
    await ka.waitForLog(/Entering MASTER STATE/, 5000);
    const us = startVrrp(lab, 'us', { name: 'us', interface: 'eth0', vrid: 51, priority: 150, advertIntervalMs: 100, virtualAddresses: [`${lab.ipv4(100)}/24`, `${lab.ipv4(101)}/24`] });
    await us.waitForState('master', 5000);
    const from = ka.lines.length;
    await ka.waitForLog(/unexpected ip number count 2, expected 1/, 3000, from);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(ka.lines.slice(from).filter((line) => /Entering \w+ STATE/.test(line)), 'keepalived stays master').toEqual([]);
    const counters = (await requestStatus(us.controlSocket as string)).instances[0]?.counters as Record<string, number> | undefined;
    expect(counters?.vrrpv3StatisticsAddressListErrors, JSON.stringify(counters)).toBeGreaterThan(0);
    expect(us.events.filter((e) => e.event === 'stateChange').map((e) => e.to)).toEqual(['backup', 'master']);
    expect({ us: (await lab.addresses('us')).includes(lab.ipv4(100)), ka: (await lab.addresses('ka')).includes(lab.ipv4(100)) }).toEqual({ us: true, ka: true });
    expect(await us.stop(), us.describe()).toBe(0);
  });
});
