/**
 * keepalived's dual-stack shape, `virtual_ipaddress_excluded`, beside keepalived 2.2.7 on a namespace segment: an
 * IPv4 instance whose master also holds an IPv6 address that no advert lists. Both nodes run the same
 * keepalived.conf — keepalived's file as it is, ours through `vrrp run keepalived.conf` (the importer's
 * `excludedAddresses`). What keepalived's master holds we take over, the excluded IPv6 address with the advertised
 * IPv4 one, announced (unsolicited NA) so that a client on the segment reaches it on us at once; adverts agree
 * (keepalived checks the address list: the excluded address is in neither side's); the IPv6 address is watched
 * as the IPv4 one is; and a stop gives both back.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Lab, labAvailable, poll, requireLab } from './lab.js';
import { requestStatus } from '../../src/control.js';
import { startVrrp } from './vrrp-process.js';

requireLab();

/** One IPv4 VRRPv3 instance at 100 ms, its IPv4 VIP advertised and an IPv6 address excluded. */
function conf(lab: Lab, host: string, priority: number): string {
  return [
    'global_defs {',
    `  router_id ${host}`,
    '}',
    'vrrp_instance VI_DS {',
    '  state BACKUP',
    '  interface eth0',
    '  virtual_router_id 51',
    `  priority ${priority}`,
    '  advert_int 0.1',
    '  version 3',
    '  garp_master_delay 0',
    '  virtual_ipaddress {',
    `    ${lab.ipv4(100)}/24`,
    '  }',
    '  virtual_ipaddress_excluded {',
    `    ${lab.ipv6(100)}/64`,
    '  }',
    '}',
    '',
  ].join('\n');
}

describe.skipIf(!labAvailable.ok)('virtual_ipaddress_excluded beside keepalived', () => {
  let lab: Lab;
  beforeEach(async () => {
    lab = await Lab.create({ hosts: ['ka', 'us'], ipv6: true, client: true });
  });
  afterEach(async () => {
    await lab?.destroy();
  });

  // Given keepalived (150) master and our `vrrp run` (100) of the same keepalived.conf
  // then we are backup and accept its adverts (no address-list drops), and it holds both addresses;
  // when keepalived stops (priority 0, its addresses removed), then we hold both, the client's neighbour entry
  // for the excluded IPv6 address moves to our MAC and its pings are answered; and our stop gives both back.
  it('takes the excluded IPv6 address over with the IPv4 VIP, announced, and gives it back', async () => {
    const v4 = lab.ipv4(100);
    const v6 = lab.ipv6(100);
    const held = async (host: string): Promise<string[]> => (await lab.addresses(host)).filter((address) => address === v4 || address === v6).sort();
    const ka = await lab.startKeepalived('ka', conf(lab, 'ka', 150));
    await ka.waitForLog(/Entering MASTER STATE/, 5000);
    const us = startVrrp(lab, 'us', conf(lab, 'us', 100));
    await us.waitForState('backup', 5000);
    await lab.waitForAddress('ka', v6);
    expect(await held('ka')).toEqual([v4, v6].sort());
    expect(await held('us')).toEqual([]);

    const pinger = lab.pinger('client', v6, { intervalMs: 20 });
    await pinger.waitForReplies(3, 5000);
    expect(await lab.neighborMac('client', v6)).toBe(lab.host('ka').mac);
    const before = await requestStatus(us.controlSocket as string);
    const counters = before.instances[0]?.counters as Record<string, number> | undefined;
    expect(counters?.vrrpv3StatisticsRcvdAdvertisements, us.describe()).toBeGreaterThan(0);
    expect(counters?.vrrpv3StatisticsAddressListErrors, JSON.stringify(counters)).toBe(0);

    const beforeTakeover = us.events.length;
    await ka.stop();
    await us.waitForState('master', 5000, beforeTakeover);
    await lab.waitForAddress('us', v6, { timeoutMs: 1000 });
    expect(await held('us')).toEqual([v4, v6].sort());
    expect(await held('ka')).toEqual([]);
    await poll(`the client's neighbour entry for ${v6} to move to our MAC`, async () => ((await lab.neighborMac('client', v6)) === lab.host('us').mac ? true : undefined), 2000);
    await pinger.waitForReplies(5, 5000, Date.now());
    await pinger.stop();
    const after = await requestStatus(us.controlSocket as string);
    expect(after.instances[0]?.vips.map(({ address, advertised, held: isHeld }) => ({ address, advertised, held: isHeld }))).toEqual([
      { address: v4, advertised: true, held: true },
      { address: v6, advertised: false, held: true },
    ]);
    expect(us.events.filter((e) => e.event === 'error'), us.describe()).toEqual([]);

    // The IPv6 address of an IPv4 instance is watched too: deleted by hand, it is reported and back at once.
    const mark = us.events.length;
    await lab.exec('us', ['ip', 'addr', 'del', `${v6}/64`, 'dev', 'eth0']);
    const report = await us.waitFor((e) => e.event === 'error' && e.code === 'vip_failed', 3000, mark);
    expect(String(report.message)).toMatch(new RegExp(`^${v6}/64 was removed from eth0 behind our back; added it again`));
    await lab.waitForAddress('us', v6, { timeoutMs: 1000 });
    expect(us.events.slice(mark).filter((e) => e.event === 'error')).toHaveLength(1);

    expect(await us.stop(), us.describe()).toBe(0);
    expect(await held('us')).toEqual([]);
  });
});
