/**
 * VMACs (keepalived's `use_vmac`) beside keepalived 2.2.7 on a namespace segment: both nodes run the same
 * keepalived.conf with `use_vmac` — keepalived's file as it is, ours through `vrrp run keepalived.conf`. What a VMAC
 * is for: the VIP's MAC is the virtual router MAC (00:00:5e:00:01:VRID, IPv6 00:00:5e:00:02:VRID) whoever is
 * master, so a client's neighbour entry never changes at a failover; the adverts carry it as their source MAC; our
 * VMAC is made at start as a backup's too, and deleted at a stop with the base's sysctls put back; and it sends no
 * IGMP / MLD report nor router solicitation, which would teach the switch that the master's MAC is at our port.
 */
import { release } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadAddon } from '../../src/linux/addon.js';
import { BRIDGE, Lab, labAvailable, poll, requireLab } from './lab.js';
import { startVrrp, type VrrpEvent } from './vrrp-process.js';

requireLab();

/**
 * Whether the VMAC guard attaches here (tcx: Linux 6.6; CAP_BPF). Without it a VMAC works, reports a `vip_failed`
 * error once, and sends what the guard would have kept off the wire: the checks of those are left out, said loudly
 * — and in CI, where the machine has it, a failure.
 */
const guard = ((): { ok: boolean; reason?: string } => {
  if (!labAvailable.ok) return { ok: false, reason: 'no lab' };
  const [major = 0, minor = 0] = release().split(/[.-]/).map(Number);
  if (major < 6 || (major === 6 && minor < 6)) return { ok: false, reason: `kernel ${release()} has no tcx (6.6)` };
  try {
    const errno = loadAddon().vmacGuardProbe();
    return errno === 0 ? { ok: true } : { ok: false, reason: `the kernel refuses the classifier: errno ${errno}` };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
})();
if (labAvailable.ok && !guard.ok) {
  if (process.env.CI === 'true') throw new Error(`test/interop/vmac.test.ts: the VMAC guard is unavailable in CI: ${guard.reason}`);
  process.stderr.write(`NOTE test/interop/vmac.test.ts: the VMAC guard is unavailable (${guard.reason}): its leak checks are left out\n`);
}
/** An instance's errors, but the one a missing guard reports (see `guard`). */
const errorsOf = (events: readonly VrrpEvent[]): VrrpEvent[] => events.filter((e) => e.event === 'error' && (guard.ok || !/IGMP \/ MLD reports go out with the VMAC's MAC/.test(String(e.message))));

const VRID = 51;
const VMAC4 = `00:00:5e:00:01:${VRID.toString(16).padStart(2, '0')}`;
const VMAC6 = `00:00:5e:00:02:${VRID.toString(16).padStart(2, '0')}`;

/** One VRRPv3 instance at 100 ms with a VMAC, holding `vip`. */
function conf(host: string, priority: number, vip: string, extra: string[] = []): string {
  return [
    'global_defs {',
    `  router_id ${host}`,
    '}',
    'vrrp_instance VI_VMAC {',
    '  state BACKUP',
    '  interface eth0',
    '  use_vmac',
    `  virtual_router_id ${VRID}`,
    `  priority ${priority}`,
    '  advert_int 0.1',
    '  version 3',
    '  garp_master_delay 0',
    ...extra,
    '  virtual_ipaddress {',
    `    ${vip}`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** `ip -d -j link show dev <name>` of a host, or undefined when there is no such link. */
async function linkDetails(lab: Lab, host: string, name: string): Promise<{ address: string; flags: string[]; linkinfo?: { info_kind?: string; info_data?: { mode?: string } } } | undefined> {
  const result = await lab.exec(host, ['ip', '-d', '-j', 'link', 'show', 'dev', name], { check: false });
  if (result.code !== 0) return undefined;
  return (JSON.parse(result.stdout) as { address: string; flags: string[]; linkinfo?: { info_kind?: string; info_data?: { mode?: string } } }[])[0];
}

async function sysctl(lab: Lab, host: string, key: string): Promise<string> {
  return (await lab.exec(host, ['sysctl', '-n', key])).stdout.trim();
}

describe.skipIf(!labAvailable.ok)('use_vmac beside keepalived', () => {
  let lab: Lab;
  beforeEach(async () => {
    lab = await Lab.create({ hosts: ['ka', 'us'], ipv6: true, client: true });
  });
  afterEach(async () => {
    await lab?.destroy();
  });

  // Given keepalived (150) master with use_vmac and our `vrrp run` (100) of the same file
  // then our backup made vrrp.51 (private macvlan, the VMAC, up, no VIP) and set the base's ARP sysctls;
  // when keepalived stops, our master holds the VIP on vrrp.51, sends adverts from the VMAC, and the client's
  // neighbour entry is the VMAC while its pings are answered; when keepalived comes back it takes over, the VIP
  // leaves our VMAC and the client is answered; and our stop deletes vrrp.51 and puts the base's sysctls back.
  it('IPv4: our master holds the VIP on the VMAC and is reached through it; a stop deletes the VMAC', async () => {
    const vip = lab.ipv4(100);
    const arp = async (): Promise<string[]> => Promise.all(['arp_ignore', 'arp_filter', 'arp_announce'].map((name) => sysctl(lab, 'us', `net.ipv4.conf.eth0.${name}`)));
    const arpBefore = await arp();
    expect(arpBefore).toEqual(['0', '0', '0']);
    const ka = await lab.startKeepalived('ka', conf('ka', 150, `${vip}/24`));
    await ka.waitForLog(/Entering MASTER STATE/, 5000);
    // What leaves our host from the VMAC's MAC besides adverts and ARP (keepalived's master sends only those too).
    const leaks = await lab.capture('us', `ether src ${VMAC4} and not arp and not ip proto 112`);
    const baseReports = await lab.capture('us', `igmp and ether src ${lab.host('us').mac}`);
    const us = startVrrp(lab, 'us', conf('us', 100, `${vip}/24`));
    await us.waitForState('backup', 5000);

    const made = await linkDetails(lab, 'us', `vrrp.${VRID}`);
    expect(made?.address, 'our VMAC as a backup').toBe(VMAC4);
    expect(made?.linkinfo?.info_kind).toBe('macvlan');
    expect(made?.linkinfo?.info_data?.mode).toBe('private');
    expect(made?.flags).toContain('UP');
    expect(await lab.addresses('us', `vrrp.${VRID}`)).toEqual([]);
    expect(await arp()).toEqual(['1', '1', '2']);
    expect(await sysctl(lab, 'us', `net.ipv4.conf.vrrp/${VRID}.arp_ignore`)).toBe('1');

    // keepalived's own master is not judged here: it leaves arp_announce alone, so its ARP requests from eth0 for
    // the client name the VIP with eth0's MAC (seen here), which is why ours set arp_announce 2 (src/linux/vmac.ts).
    const pinger = lab.pinger('client', vip, { intervalMs: 20 });
    await pinger.waitForReplies(3, 5000);

    const capture = await lab.capture(BRIDGE);
    const beforeTakeover = us.events.length;
    await ka.stop();
    await us.waitForState('master', 5000, beforeTakeover);
    await lab.waitForAddress('us', vip, { dev: `vrrp.${VRID}`, timeoutMs: 1000 });
    expect(await lab.addresses('us'), 'nothing on the base').not.toContain(vip);
    const ours = await capture.waitFor((packet) => packet.vrid === VRID && packet.prio === 100, 2000);
    expect(ours.srcMac, ours.raw).toBe(VMAC4);
    expect(ours.src).toBe(lab.host('us').ipv4);
    await pinger.waitForReplies(5, 5000, Date.now());
    expect(await lab.neighborMac('client', vip), 'the client never had to learn a new MAC').toBe(VMAC4);

    const ka2 = await lab.startKeepalived('ka', conf('ka', 150, `${vip}/24`));
    await ka2.waitForLog(/Entering MASTER STATE/, 5000);
    await us.waitForState('backup', 5000, beforeTakeover + 1);
    await poll(`${vip} to leave our VMAC`, async () => (!(await lab.addresses('us', `vrrp.${VRID}`)).includes(vip) ? true : undefined), 2000);
    await pinger.waitForReplies(5, 5000, Date.now());
    await pinger.stop();
    await capture.stop();
    expect(errorsOf(us.events), us.describe()).toEqual([]);
    // Our VMAC sent no IGMP report with its MAC (which would teach a switch that the master's MAC is at our port),
    // as a backup or as a master; its reports left with the base's MAC.
    await leaks.stop();
    await baseReports.stop();
    if (guard.ok) {
      expect(leaks.lines.filter((line) => /^\d/.test(line)), leaks.lines.join('\n')).toEqual([]);
      expect(baseReports.lines.join('\n')).toMatch(/224\.0\.0\.18/);
    }

    expect(await us.stop(), us.describe()).toBe(0);
    expect(await linkDetails(lab, 'us', `vrrp.${VRID}`), 'a stop deletes the VMAC').toBeUndefined();
    expect(await arp(), 'the base\'s ARP sysctls put back').toEqual(arpBefore);
  });

  // Given our `vrrp run` (150) with use_vmac over IPv6 and keepalived (100) with the same file
  // then we are master: our adverts leave from the VMAC 00:00:5e:00:02:33 with our link-local source, keepalived
  // accepts them (backup), the VIP is on vrrp.51 and the client reaches it through the VMAC.
  it('IPv6: our master advertises from the IPv6 VMAC with its link-local source, and keepalived stays backup', async () => {
    const vip = lab.ipv6(100);
    const leaks = await lab.capture('us', `ether src ${VMAC6} and not ip6 proto 112`);
    const us = startVrrp(lab, 'us', conf('us', 150, `${vip}/64`));
    await us.waitForState('master', 5000);
    const capture = await lab.capture(BRIDGE);
    const ka = await lab.startKeepalived('ka', conf('ka', 100, `${vip}/64`));
    await ka.waitForLog(/Entering BACKUP STATE/, 5000);
    const ours = await capture.waitFor((packet) => packet.vrid === VRID && packet.prio === 150 && packet.family === 6, 2000);
    expect(ours.srcMac, ours.raw).toBe(VMAC6);
    expect(ours.src).toBe(lab.host('us').linkLocal);
    await lab.waitForAddress('us', vip, { dev: `vrrp.${VRID}`, timeoutMs: 1000 });
    await lab.pingUntil('client', vip, { timeoutMs: 5000 });
    expect(await lab.neighborMac('client', vip)).toBe(VMAC6);
    // The client asks for our IPv4 address too: only the base answers, never the IPv6 VMAC (below).
    await lab.pingUntil('client', lab.host('us').ipv4, { timeoutMs: 5000 });
    // keepalived heard us all along, through the pings too: still backup, never master.
    expect(ka.lines.some((line) => /Entering MASTER STATE/.test(line)), ka.lines.join('\n')).toBe(false);
    await capture.stop();
    expect(errorsOf(us.events), us.describe()).toEqual([]);
    // Its NAs went (the VIP's announcements); no MLD report nor router solicitation did, nor any ARP reply (an IPv6
    // VMAC answers no ARP for the host's IPv4 addresses).
    await leaks.stop();
    expect(leaks.lines.filter((line) => /ARP/.test(line)), leaks.lines.join('\n')).toEqual([]);
    if (guard.ok) expect(leaks.lines.filter((line) => /multicast listener|router solicitation/.test(line)), leaks.lines.join('\n')).toEqual([]);
    expect(leaks.lines.some((line) => /neighbor advertisement/.test(line)), leaks.lines.join('\n')).toBe(true);
    expect(await us.stop(), us.describe()).toBe(0);
    expect(await linkDetails(lab, 'us', `vrrp.${VRID}`)).toBeUndefined();
  });

  // Given our master (150) and keepalived (100), both with use_vmac; when our VMAC is deleted by hand, then we
  // go to Fault (keepalived may take over meanwhile), make the VMAC again and open our socket on it again: our
  // adverts leave from it and keepalived, hearing them, is silent; we hold the VIP on the new VMAC. When our process is killed (a crash), the VMAC
  // stays, and the next run takes it as it is (same link) and deletes it at its stop, the base's sysctls put back.
  it("makes a VMAC deleted behind its back again and is heard from it; the next run takes a crashed run's VMAC", async () => {
    const vip = lab.ipv4(100);
    const arp = async (): Promise<string[]> => Promise.all(['arp_ignore', 'arp_filter', 'arp_announce'].map((name) => sysctl(lab, 'us', `net.ipv4.conf.eth0.${name}`)));
    const arpBefore = await arp();
    const us = startVrrp(lab, 'us', conf('us', 150, `${vip}/24`));
    await us.waitForState('master', 5000);
    const ka = await lab.startKeepalived('ka', conf('ka', 100, `${vip}/24`));
    await ka.waitForLog(/Entering BACKUP STATE/, 5000);
    await lab.waitForAddress('us', vip, { dev: `vrrp.${VRID}`, timeoutMs: 1000 });
    const mark = us.events.length;
    const capture = await lab.capture(BRIDGE);
    await lab.exec('us', ['ip', 'link', 'del', `vrrp.${VRID}`], { check: true });
    await us.waitForState('fault', 3000, mark);
    await us.waitForState('master', 5000, mark);
    // Our adverts go on the wire from the VMAC made again (ten of them, from its MAC), and keepalived — master
    // meanwhile if our remake was slower than its Master_Down_Timer — is silent after our fifth: it heard them.
    let from = capture.packets.length;
    const ours: { timeMs: number; srcMac: string }[] = [];
    while (ours.length < 10) {
      const advert = await capture.waitFor((packet) => packet.vrid === VRID && packet.prio === 150, 3000, from);
      from = capture.packets.indexOf(advert) + 1;
      ours.push(advert);
    }
    expect(ours.every((advert) => advert.srcMac === VMAC4), JSON.stringify(ours)).toBe(true);
    const fifth = (ours[4] as { timeMs: number }).timeMs;
    expect(capture.packets.filter((packet) => packet.vrid === VRID && packet.prio === 100 && packet.timeMs > fifth), 'keepalived still master').toEqual([]);
    await capture.stop();
    await lab.waitForAddress('us', vip, { dev: `vrrp.${VRID}`, timeoutMs: 2000 });
    expect((await linkDetails(lab, 'us', `vrrp.${VRID}`))?.address).toBe(VMAC4);
    const errors = errorsOf(us.events.slice(mark)).map((e) => String(e.message));
    // What a deleted link costs (the priority 0 it could not send; its VIP seen gone with it), and nothing after:
    // the VMAC made again is taken over without ENODEV or ENXIO (requests and sockets made anew for the new link).
    expect(errors.filter((message) => !/^could not send advertisement to 224\.0\.0\.18$| was removed from vrrp\.51 behind our back/.test(message)), us.describe()).toEqual([]);

    await us.kill();
    const left = await linkDetails(lab, 'us', `vrrp.${VRID}`);
    expect(left?.address, 'a crashed run leaves its VMAC, as keepalived does').toBe(VMAC4);
    const indexOf = async (): Promise<number | undefined> => (JSON.parse((await lab.exec('us', ['ip', '-j', 'link', 'show', 'dev', `vrrp.${VRID}`])).stdout) as { ifindex: number }[])[0]?.ifindex;
    const index = await indexOf();
    const next = startVrrp(lab, 'us', conf('us', 150, `${vip}/24`));
    await next.waitForState('master', 5000);
    await lab.waitForAddress('us', vip, { dev: `vrrp.${VRID}`, timeoutMs: 1000 });
    expect(await indexOf(), 'the same link, taken as it was').toBe(index);
    expect(errorsOf(next.events), next.describe()).toEqual([]);
    expect(await next.stop(), next.describe()).toBe(0);
    expect(await linkDetails(lab, 'us', `vrrp.${VRID}`)).toBeUndefined();
    // The crash left the base's sysctls as it set them; the next run put back the host's, which the first had kept.
    expect(await arp()).toEqual(arpBefore);
  });
});
