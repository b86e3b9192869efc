/**
 * keepalived's `virtual_ipaddress { ADDR dev IF }` — an address held on another interface than the instance's —
 * beside keepalived 2.2.7 on a namespace segment, both nodes running the same keepalived.conf (ours through `vrrp
 * run keepalived.conf`). Each host has a second interface, eth1 (a veth pair inside its namespace, eth1p its other
 * end). Shown: the master holds the address on eth1 (and an IPv6 excluded one there) and its VIP on eth0, the backup
 * neither; both sides advertise the eth1 IPv4 address (our backup counts no address-list error in keepalived's adverts); a takeover adds it on our eth1
 * and announces it there (a gratuitous ARP on eth1p); deleted there by hand, it is put back; eth1 going down faults our instance (the importer tracks the
 * address's interface, as keepalived does) and keepalived takes everything; a stop leaves nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requestStatus } from '../../src/control.js';
import { keepalivedConf, Lab, labAvailable, poll, requireLab } from './lab.js';
import { startVrrp } from './vrrp-process.js';

requireLab();

/** The address on eth1; nothing else in the lab uses this network. */
const OTHER = '10.99.0.1';
/** An IPv6 address on eth1 too, excluded from the adverts (keepalived's dual-stack shape). */
const OTHER6 = 'fd00:99::1';

function conf(lab: Lab, host: string, priority: number): string {
  return keepalivedConf({
    routerId: host,
    instances: [{ name: 'VI_DEV', vrid: 62, priority, advertIntervalS: 0.1, vips: [`${lab.ipv4(100)}/24`, `${OTHER}/24 dev eth1`], extra: ['garp_master_delay 0', 'virtual_ipaddress_excluded {', `  ${OTHER6}/64 dev eth1`, '}'] }],
  });
}

describe.skipIf(!labAvailable.ok)('an address on another interface (dev) beside keepalived', () => {
  let lab: Lab;
  beforeEach(async () => {
    lab = await Lab.create({ hosts: ['ka', 'us'] });
    for (const [host, own] of [['ka', '10.99.0.3/24'], ['us', '10.99.0.2/24']] as const) {
      // Both ends in the host's namespace: gone with it, whatever happens to the test. The host's own address in
      // the subnet, as a router's other side has: the VIP is then a secondary address, which may be leased.
      await lab.exec(host, ['ip', 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1p']);
      await lab.exec(host, ['ip', 'addr', 'add', own, 'dev', 'eth1']);
      await lab.exec(host, ['ip', 'link', 'set', 'eth1', 'up']);
      await lab.exec(host, ['ip', 'link', 'set', 'eth1p', 'up']);
    }
  });
  afterEach(async () => {
    await lab?.destroy();
  });

  /** The host's IPv4 addresses on `iface` (or IPv6 ones with `-6`, not link-local), as address/prefix. */
  async function addresses(host: string, iface: string, family = '-4'): Promise<string[]> {
    const { stdout } = await lab.exec(host, ['ip', '-j', family, 'addr', 'show', 'dev', iface, 'scope', 'global']);
    const [link] = JSON.parse(stdout) as { addr_info: { local: string; prefixlen: number }[] }[];
    // ip -j may list an entry without an address (seen with -6 and the scope filter): only those with one count.
    return (link?.addr_info ?? []).filter((a) => a.local !== undefined).map((a) => `${a.local}/${a.prefixlen}`).sort();
  }

  it('holds it on its interface with mastership, announces it there, and faults when that interface goes down', async () => {
    const vip = `${lab.ipv4(100)}/24`;
    let ka = await lab.startKeepalived('ka', conf(lab, 'ka', 150));
    await ka.waitForLog(/Entering MASTER STATE/, 5000);
    const us = startVrrp(lab, 'us', conf(lab, 'us', 100));
    await us.waitForState('backup', 5000);
    await poll('keepalived to add its eth1 address', async () => ((await addresses('ka', 'eth1')).includes(`${OTHER}/24`) ? true : undefined), 3000);
    expect(await addresses('us', 'eth1')).toEqual(['10.99.0.2/24']);

    // keepalived advertises the eth1 address as we do: a backup of ours counts none of its adverts as mismatched.
    const status = async () => (await requestStatus(us.controlSocket as string)).instances[0];
    await poll('adverts from keepalived', async () => (((await status())?.counters.vrrpv3StatisticsRcvdAdvertisements ?? 0) >= 5 ? true : undefined), 3000);
    const backup = await status();
    expect(backup?.counters.vrrpv3StatisticsAddressListErrors).toBe(0);
    expect(backup?.vips.map((entry) => `${entry.address} ${entry.interface}`)).toEqual([`${lab.ipv4(100)} eth0`, `${OTHER} eth1`, `${OTHER6} eth1`]);
    expect(backup?.priority.trackers.map((tracker) => `${tracker.name} ${tracker.status}`)).toEqual(['eth1 up']);

    // A takeover: the address on our eth1, announced there; the VIP on our eth0.
    const arp = await lab.capture('us', 'arp or icmp6', 'eth1p');
    let mark = us.events.length;
    await ka.stop();
    await us.waitForState('master', 5000, mark);
    expect(await addresses('us', 'eth1')).toEqual([`${OTHER}/24`, '10.99.0.2/24']);
    expect(await addresses('us', 'eth1', '-6')).toEqual([`${OTHER6}/64`]);
    expect(await addresses('ka', 'eth1', '-6')).toEqual([]);
    expect(await addresses('us', 'eth0')).toContain(vip);
    await poll('a gratuitous ARP for the address on eth1', async () => (arp.lines.some((line) => new RegExp(`who-has ${OTHER.replaceAll('.', '\\.')} .*tell ${OTHER.replaceAll('.', '\\.')},`).test(line)) ? true : undefined), 3000);
    await poll('an unsolicited neighbour advertisement for the IPv6 address on eth1', async () => (arp.lines.some((line) => line.includes('neighbor advertisement') && line.includes(`tgt is ${OTHER6}`)) ? true : undefined), 3000);
    await arp.stop();
    expect(us.events.filter((e) => e.event === 'error'), us.describe()).toEqual([]);

    // Deleted by hand from eth1 while we are master: put back at once and reported, as on the instance's interface.
    mark = us.events.length;
    await lab.exec('us', ['ip', 'addr', 'del', `${OTHER}/24`, 'dev', 'eth1']);
    const putBack = await us.waitFor((e) => e.event === 'error', 3000, mark);
    expect(String(putBack.message)).toBe(`${OTHER}/24 was removed from eth1 behind our back; added it again`);
    expect(await addresses('us', 'eth1')).toEqual([`${OTHER}/24`, '10.99.0.2/24']);

    // Our eth1 goes down: our instance faults (the tracker the importer made), keepalived takes everything.
    ka = await lab.startKeepalived('ka', conf(lab, 'ka', 50));
    await ka.waitForLog(/Entering BACKUP STATE/, 5000);
    mark = us.events.length;
    await lab.exec('us', ['ip', 'link', 'set', 'eth1', 'down']);
    await us.waitForState('fault', 5000, mark);
    await ka.waitForLog(/Entering MASTER STATE/, 5000);
    expect(await addresses('us', 'eth0')).not.toContain(vip);
    expect(await addresses('us', 'eth1')).toEqual(['10.99.0.2/24']);
    expect(await addresses('us', 'eth1', '-6')).toEqual([]);
    await poll('keepalived to add its eth1 address', async () => ((await addresses('ka', 'eth1')).includes(`${OTHER}/24`) ? true : undefined), 3000);

    expect(await us.stop(), us.describe()).toBe(0);
    expect(await addresses('us', 'eth1')).toEqual(['10.99.0.2/24']);
    expect(await addresses('us', 'eth1', '-6')).toEqual([]);
  });
});
