/**
 * `vrrp run keepalived.conf` reloads on SIGHUP, beside keepalived 2.2.7 on a lab segment (network namespaces;
 * root and keepalived needed, see test/interop/lab.ts). Adverts every 100 ms; keepalived the backup at priority 100.
 * The first test runs VRIDs 51 and 52 at 150 and reloads a file that changes VI_1 (priority 140, an excluded address
 * and a notify script added), removes VI_2 and adds VI_3:
 * - VI_1 stays master: keepalived never takes it (no priority 0 went out, no advert was missed), and its VIP is never
 *   deleted, not even for an instant, and outlives its 5 s lease (the new engine renews what the old one added); its
 *   kept route is the new engine's: deleted by hand, it is put back; the notify script it gains runs at its stop;
 * - VI_2 is given up as a stop gives it up (keepalived takes over), VI_3 is started and preempts keepalived;
 * - a bad file on the next SIGHUP changes nothing, said in a `reloadFailed` line.
 * The second runs a sync group of an IPv4 and an IPv6 member (see there).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eachLine, keepalivedConf, Lab, labAvailable, requireLab, type KeepalivedInstanceConf } from '../interop/lab.js';
import { startVrrp, type VrrpEvent, type VrrpProcess } from '../interop/vrrp-process.js';
import { requestStatus } from '../../src/control.js';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

requireLab();

const dist = fileURLToPath(new URL('../../dist', import.meta.url));

/** An instance at 100 ms adverts. */
function instance(name: string, vrid: number, priority: number, vips: string[], extra: string[] = []): KeepalivedInstanceConf {
  return { name, vrid, priority, vips, advertIntervalS: 0.1, extra };
}

/** Every address change the kernel reports in `host` from now on (`ip -o monitor address`), one line each. */
async function watchAddresses(lab: Lab, host: string, processes: ChildProcess[]): Promise<string[]> {
  const monitor = lab.spawn(host, ['ip', '-o', 'monitor', 'address']);
  processes.push(monitor);
  const events: string[] = [];
  eachLine(monitor.stdout!, (text) => events.push(text));
  await new Promise((resolve) => setTimeout(resolve, 300)); // subscribed (its first read) before anything changes
  return events;
}

/** Writes `config` over the run's file and sends SIGHUP; resolves with its `reloaded` line. */
async function reload(us: VrrpProcess, config: string): Promise<VrrpEvent> {
  const mark = us.events.length;
  writeFileSync(us.configPath, config);
  us.signal('SIGHUP');
  return us.waitFor((e) => e.event === 'reloaded' || e.event === 'reloadFailed', 15_000, mark);
}

/** Writes `config` over the run's file and runs `vrrp reload --socket …` for it: its exit code and output. */
function reloadCommand(us: VrrpProcess, config: string): { code: number | null; stdout: string; stderr: string } {
  writeFileSync(us.configPath, config);
  const result = spawnSync(process.execPath, [join(dist, 'cli.js'), 'reload', '--socket', us.controlSocket as string, '--timeout', '20'], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe.skipIf(!labAvailable.ok)('vrrp run reloads on SIGHUP beside keepalived', () => {
  let lab: Lab | undefined;
  let us: VrrpProcess | undefined;
  const processes: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of processes.splice(0)) child.kill('SIGKILL');
    await us?.kill();
    us = undefined;
    await lab?.destroy();
    lab = undefined;
  });

  // See the file header.
  it('keeps a changed master master, removes and adds instances, and refuses a bad file', async () => {
    lab = await Lab.create({ hosts: ['ka', 'us'] });
    const vip = (n: number): string => `${lab!.ipv4(n)}/24`;
    const ka = await lab.startKeepalived(
      'ka',
      keepalivedConf({ routerId: 'ka', instances: [instance('VI_1', 51, 100, [vip(100)]), instance('VI_2', 52, 100, [vip(110)]), instance('VI_3', 53, 100, [vip(120)])] }),
    );
    // VI_1's route, kept by the reload; nothing else in the lab routes to 10.77.0.0/24.
    const route = ['virtual_routes {', `  10.77.0.0/24 via ${lab.ipv4(254)}`, '}'];
    us = startVrrp(lab, 'us', keepalivedConf({ routerId: 'us', instances: [instance('VI_1', 51, 150, [vip(100)], route), instance('VI_2', 52, 150, [vip(110)])] }));
    const master = (name: string, from = 0): Promise<VrrpEvent> => us!.waitFor((e) => e.event === 'stateChange' && e.name === name && e.to === 'master', 15_000, from);
    await master('VI_1');
    await master('VI_2');
    await ka.waitForLog(/\(VI_3\) Entering MASTER STATE/, 10_000);
    const addressEvents = await watchAddresses(lab, 'us', processes);
    const kaMark = ka.lines.length;

    // A notify script VI_1 gains in the reload: it must follow VI_1 from then on (its stop, below).
    const recorder = join(lab.tmpDir, 'record.sh');
    const notifyLog = join(lab.tmpDir, 'notify.log');
    writeFileSync(recorder, 'log=$1\nshift\necho "$*" >> "$log"\n');
    writeFileSync(notifyLog, '');
    let mark = us.events.length;
    // Through `vrrp reload`: it signals the run and exits 0 once the run says the file was applied everywhere.
    const command = reloadCommand(
      us,
      keepalivedConf({
        routerId: 'us',
        instances: [
          instance('VI_1', 51, 140, [vip(100)], [...route, 'virtual_ipaddress_excluded {', `  ${vip(130)}`, '}', `notify "/bin/sh ${recorder} ${notifyLog}"`]),
          instance('VI_3', 53, 150, [vip(120)]),
        ],
      }),
    );
    expect(command, us.describe()).toMatchObject({ code: 0, stdout: expect.stringContaining('applied') });
    const reloaded = await us.waitFor((e) => e.event === 'reloaded', 15_000, mark);
    expect(reloaded, us.describe()).toMatchObject({ event: 'reloaded', added: ['VI_3'], removed: ['VI_2'], unchanged: 0 });
    expect((await requestStatus(us.controlSocket as string)).lastReload).toMatchObject({ outcome: 'applied', message: null });
    expect((reloaded.reconfigured as { name: string; changed: string[] }[]).map((r) => r.name)).toEqual(['VI_1']);
    expect((reloaded.reconfigured as { name: string; changed: string[] }[])[0]?.changed).toEqual(expect.arrayContaining(['priority', 'excludedAddresses']));
    await master('VI_3', mark);
    await ka.waitForLog(/\(VI_2\) Entering MASTER STATE/, 10_000, kaMark);
    await ka.waitForLog(/\(VI_3\) Entering BACKUP STATE/, 10_000, kaMark);
    // Past VI_1's 5 s lease: its address is still up only if the new engine renews it.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    const addresses = await lab.addresses('us');
    expect(addresses).toEqual(expect.arrayContaining([lab.ipv4(100), lab.ipv4(130), lab.ipv4(120)]));
    expect(addresses).not.toContain(lab.ipv4(110));
    expect(addressEvents.filter((event) => event.startsWith('Deleted') && event.includes(`${lab!.ipv4(100)}/`))).toEqual([]);
    expect(ka.lines.slice(kaMark).filter((text) => /\(VI_1\) Entering MASTER STATE/.test(text))).toEqual([]);
    expect(us.events.slice(mark).filter((e) => e.event === 'stateChange' && e.name === 'VI_1')).toEqual([]);
    // The kept route is the new engine's now: deleted by hand, it is put back and reported, as before the reload.
    const routeMark = us.events.length;
    await lab.exec('us', ['ip', 'route', 'del', '10.77.0.0/24', 'via', lab.ipv4(254), 'proto', '112']);
    const putBack = await us.waitFor((e) => e.event === 'error' && e.code === 'route_failed', 5000, routeMark);
    expect(String(putBack.message)).toBe(`10.77.0.0/24 via ${lab.ipv4(254)} was removed behind our back; installed it again`);

    // A file that does not parse: nothing changes, and the run says so — and `vrrp reload` fails with the reason.
    mark = us.events.length;
    const refused = reloadCommand(us, 'vrrp_instance VI_1 {\n  virtual_router_id 300\n}\n');
    expect(refused, us.describe()).toMatchObject({ code: 1, stderr: expect.stringMatching(/refused, the run goes on as it was: [\s\S]*got "300"/) });
    const failed = await us.waitFor((e) => e.event === 'reloadFailed', 15_000, mark);
    expect(String(failed.message)).toMatch(/the run goes on as it was/);
    // `vrrp status` says so too, for a config-management tool that checks its reload took.
    expect((await requestStatus(us.controlSocket as string)).lastReload).toMatchObject({ outcome: 'refused', message: expect.stringContaining('300') });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(us.events.slice(mark).filter((e) => e.event === 'stateChange')).toEqual([]);
    expect(await lab.addresses('us')).toEqual(expect.arrayContaining([lab.ipv4(100), lab.ipv4(120)]));

    expect(await us.stop()).toBe(0);
    expect(readFileSync(notifyLog, 'utf8').trim().split('\n')).toEqual(['INSTANCE VI_1 STOP 140']);
    await ka.stop();
  });

  // Given a sync group of an IPv4 and an IPv6 instance, master on our side (150) beside keepalived's same group at
  // 100; when a reload changes both members' priorities and gives the IPv6 one an excluded address
  // then the group stays master — no member moves, keepalived never takes either VRID — and neither VIP is ever
  // deleted or lets its lease run out: the members' places in the group and their addresses pass to the new engines.
  // A second reload that changes the group's members restarts both into the new group.
  it('keeps a sync group of an IPv4 and an IPv6 member master', async () => {
    lab = await Lab.create({ hosts: ['ka', 'us'], ipv6: true });
    const group = 'vrrp_sync_group G {\n  group {\n    VI_4\n    VI_6\n  }\n}\n';
    const v4 = `${lab.ipv4(100)}/24`;
    const v6 = `${lab.ipv6(100)}/64`;
    const ka = await lab.startKeepalived('ka', keepalivedConf({ routerId: 'ka', instances: [instance('VI_4', 61, 100, [v4]), instance('VI_6', 62, 100, [v6])] }) + group);
    us = startVrrp(lab, 'us', keepalivedConf({ routerId: 'us', instances: [instance('VI_4', 61, 150, [v4]), instance('VI_6', 62, 150, [v6])] }) + group);
    await us.waitFor((e) => e.event === 'groupStateChange' && e.to === 'master', 15_000);
    await ka.waitForLog(/\(VI_6\) Entering BACKUP STATE/, 10_000);
    const addressEvents = await watchAddresses(lab, 'us', processes);
    const kaMark = ka.lines.length;
    const mark = us.events.length;

    const excluded = ['virtual_ipaddress_excluded {', `  ${lab.ipv6(130)}/64`, '}'];
    const changed = keepalivedConf({ routerId: 'us', instances: [instance('VI_4', 61, 140, [v4]), instance('VI_6', 62, 145, [v6], excluded)] });
    const reloaded = await reload(us, changed + group);
    expect((reloaded.reconfigured as { name: string }[] | undefined)?.map((r) => r.name).sort(), us.describe()).toEqual(['VI_4', 'VI_6']);
    await new Promise((resolve) => setTimeout(resolve, 6000)); // past the 5 s leases
    const addresses = [...(await lab.addresses('us')), ...(await lab.exec('us', ['ip', '-6', '-o', 'addr', 'show', 'dev', 'eth0'])).stdout.split('\n')].join(' ');
    expect(addresses).toContain(lab.ipv4(100));
    expect(addresses).toContain(`${lab.ipv6(100)}/64`);
    expect(addresses).toContain(`${lab.ipv6(130)}/64`);
    expect(addressEvents.filter((event) => event.startsWith('Deleted'))).toEqual([]);
    expect(ka.lines.slice(kaMark).filter((text) => /Entering MASTER STATE/.test(text))).toEqual([]);
    expect(us.events.slice(mark).filter((e) => e.event === 'stateChange' || e.event === 'groupStateChange')).toEqual([]);

    // A reload that takes VI_6 out of G: G's members are fixed for its life, so G is made again and both members
    // restart (a failover each, said in the reloaded line), then take their VRIDs back at their higher priorities.
    const regroup = us.events.length;
    const regrouped = await reload(us, changed + group.replace('    VI_6\n', ''));
    expect(regrouped, us.describe()).toMatchObject({ restarted: ['VI_4', 'VI_6'], groupsRemoved: ['G'], groupsAdded: ['G'], reconfigured: [] });
    await us.waitFor((e) => e.event === 'stateChange' && e.name === 'VI_4' && e.to === 'master', 15_000, regroup);
    await us.waitFor((e) => e.event === 'stateChange' && e.name === 'VI_6' && e.to === 'master', 15_000, regroup);
    await us.waitFor((e) => e.event === 'groupStateChange' && e.to === 'master', 15_000, regroup);

    expect(await us.stop()).toBe(0);
    await ka.stop();
  });
});
