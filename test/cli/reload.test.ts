/**
 * `vrrp run keepalived.conf` reloads on SIGHUP, beside keepalived 2.2.7 on a lab segment (network namespaces;
 * root and keepalived needed, see test/interop/lab.ts). Three VRIDs at 100 ms adverts, keepalived the backup at
 * priority 100 on each it has; we run 51 and 52 at 150. The reload (a new keepalived.conf, as `systemctl reload`
 * sends it) changes VI_1 (priority 140, an excluded address added), removes VI_2 and adds VI_3:
 * - VI_1 stays master: keepalived never takes it (no priority 0 went out, no advert was missed), and its VIP is never
 *   deleted, not even for an instant, and outlives its 5 s lease (the new engine renews what the old one added); its
 *   kept route is the new engine's: deleted by hand, it is put back; the notify script it gains runs at its stop;
 * - VI_2 is given up as a stop gives it up (keepalived takes over), VI_3 is started and preempts keepalived;
 * - a bad file on the next SIGHUP changes nothing, said in a `reloadFailed` line.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { eachLine, keepalivedConf, Lab, labAvailable, requireLab, type KeepalivedInstanceConf } from '../interop/lab.js';

requireLab();

const repo = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(repo, 'dist', 'cli.js');

interface Line {
  event: string;
  [field: string]: unknown;
}

describe.skipIf(!labAvailable.ok)('vrrp run reloads on SIGHUP beside keepalived', () => {
  let lab: Lab | undefined;
  const processes: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of processes.splice(0)) child.kill('SIGKILL');
    await lab?.destroy();
    lab = undefined;
  });

  // See the file header.
  it('keeps a changed master master, removes and adds instances, and refuses a bad file', async () => {
    lab = await Lab.create({ hosts: ['ka', 'us'] });
    const vip = (n: number): string => `${lab!.ipv4(n)}/24`;
    const instance = (name: string, vrid: number, priority: number, vips: string[], extra: string[] = []): KeepalivedInstanceConf => ({
      name,
      vrid,
      priority,
      vips,
      advertIntervalS: 0.1,
      extra,
    });
    const ka = await lab.startKeepalived(
      'ka',
      keepalivedConf({ routerId: 'ka', instances: [instance('VI_1', 51, 100, [vip(100)]), instance('VI_2', 52, 100, [vip(110)]), instance('VI_3', 53, 100, [vip(120)])] }),
    );
    const confPath = join(lab.tmpDir, 'keepalived-us.conf');
    // VI_1's route, kept by the reload; nothing else in the lab routes to 10.77.0.0/24.
    const route = ['virtual_routes {', `  10.77.0.0/24 via ${lab.ipv4(254)}`, '}'];
    writeFileSync(confPath, keepalivedConf({ routerId: 'us', instances: [instance('VI_1', 51, 150, [vip(100)], route), instance('VI_2', 52, 150, [vip(110)])] }));
    const us = lab.spawn('us', [process.execPath, cli, 'run', confPath]);
    processes.push(us);
    const lines: Line[] = [];
    let stderr = '';
    const waiters = new Set<() => void>();
    eachLine(us.stdout!, (text) => {
      lines.push(JSON.parse(text) as Line);
      for (const waiter of [...waiters]) waiter();
    });
    eachLine(us.stderr!, (text) => (stderr += `${text}\n`));
    const exited = new Promise<number | null>((resolve) => us.once('exit', (code) => resolve(code)));
    const waitFor = (match: (line: Line) => boolean, timeoutMs = 15_000, from = 0): Promise<Line> =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const found = lines.slice(from).find(match);
          if (!found) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out\n${lines.map((l) => JSON.stringify(l)).join('\n')}\n${stderr}\nkeepalived:\n${ka.lines.slice(-30).join('\n')}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    const master = (name: string, from = 0): Promise<Line> => waitFor((l) => l.event === 'stateChange' && l.name === name && l.to === 'master', 15_000, from);

    await master('VI_1');
    await master('VI_2');
    await ka.waitForLog(/\(VI_3\) Entering MASTER STATE/, 10_000);
    // Every address change on our side from here on, as the kernel tells it.
    const monitor = lab.spawn('us', ['ip', '-o', 'monitor', 'address']);
    processes.push(monitor);
    const addressEvents: string[] = [];
    eachLine(monitor.stdout!, (text) => addressEvents.push(text));
    await new Promise((resolve) => setTimeout(resolve, 300)); // the monitor subscribed (its first read)
    const kaMark = ka.lines.length;

    // A notify script VI_1 gains in the reload: it must follow VI_1 from then on (its stop, below).
    const recorder = join(lab.tmpDir, 'record.sh');
    const notifyLog = join(lab.tmpDir, 'notify.log');
    writeFileSync(recorder, 'log=$1\nshift\necho "$*" >> "$log"\n');
    writeFileSync(notifyLog, '');
    writeFileSync(
      confPath,
      keepalivedConf({
        routerId: 'us',
        instances: [
          instance('VI_1', 51, 140, [vip(100)], [...route, 'virtual_ipaddress_excluded {', `  ${vip(130)}`, '}', `notify "/bin/sh ${recorder} ${notifyLog}"`]),
          instance('VI_3', 53, 150, [vip(120)]),
        ],
      }),
    );
    let mark = lines.length;
    us.kill('SIGHUP');
    const reloaded = await waitFor((l) => l.event === 'reloaded', 15_000, mark);
    expect(reloaded).toMatchObject({ added: ['VI_3'], removed: ['VI_2'], unchanged: 0 });
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
    expect(lines.slice(mark).filter((l) => l.event === 'stateChange' && l.name === 'VI_1')).toEqual([]);
    // The kept route is the new engine's now: deleted by hand, it is put back and reported, as before the reload.
    const routeMark = lines.length;
    await lab.exec('us', ['ip', 'route', 'del', '10.77.0.0/24', 'via', lab.ipv4(254), 'proto', '112']);
    const putBack = await waitFor((l) => l.event === 'error' && l.code === 'route_failed', 5000, routeMark);
    expect(String(putBack.message)).toBe(`10.77.0.0/24 via ${lab.ipv4(254)} was removed behind our back; installed it again`);

    // A file that does not parse: nothing changes, and the run says so.
    writeFileSync(confPath, 'vrrp_instance VI_1 {\n  virtual_router_id 300\n}\n');
    mark = lines.length;
    us.kill('SIGHUP');
    const failed = await waitFor((l) => l.event === 'reloadFailed', 15_000, mark);
    expect(String(failed.message)).toMatch(/the run goes on as it was/);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(lines.slice(mark).filter((l) => l.event === 'stateChange')).toEqual([]);
    expect(await lab.addresses('us')).toEqual(expect.arrayContaining([lab.ipv4(100), lab.ipv4(120)]));

    us.kill('SIGTERM');
    expect(await exited).toBe(0);
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
    const member = (name: string, vrid: number, priority: number, vip: string, extra: string[] = []): KeepalivedInstanceConf => ({ name, vrid, priority, vips: [vip], advertIntervalS: 0.1, extra });
    const group = 'vrrp_sync_group G {\n  group {\n    VI_4\n    VI_6\n  }\n}\n';
    const v4 = `${lab.ipv4(100)}/24`;
    const v6 = `${lab.ipv6(100)}/64`;
    const ka = await lab.startKeepalived('ka', keepalivedConf({ routerId: 'ka', instances: [member('VI_4', 61, 100, v4), member('VI_6', 62, 100, v6)] }) + group);
    const confPath = join(lab.tmpDir, 'keepalived-us.conf');
    writeFileSync(confPath, keepalivedConf({ routerId: 'us', instances: [member('VI_4', 61, 150, v4), member('VI_6', 62, 150, v6)] }) + group);
    const us = lab.spawn('us', [process.execPath, cli, 'run', confPath]);
    processes.push(us);
    const lines: Line[] = [];
    let stderr = '';
    const waiters = new Set<() => void>();
    eachLine(us.stdout!, (text) => {
      lines.push(JSON.parse(text) as Line);
      for (const waiter of [...waiters]) waiter();
    });
    eachLine(us.stderr!, (text) => (stderr += `${text}\n`));
    const exited = new Promise<number | null>((resolve) => us.once('exit', (code) => resolve(code)));
    const waitFor = (match: (line: Line) => boolean, from = 0): Promise<Line> =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const found = lines.slice(from).find(match);
          if (!found) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out\n${lines.map((l) => JSON.stringify(l)).join('\n')}\n${stderr}\nkeepalived:\n${ka.lines.slice(-30).join('\n')}`));
        }, 15_000);
        waiters.add(check);
        check();
      });
    await waitFor((l) => l.event === 'groupStateChange' && l.to === 'master');
    await ka.waitForLog(/\(VI_6\) Entering BACKUP STATE/, 10_000);
    const monitor = lab.spawn('us', ['ip', '-o', 'monitor', 'address']);
    processes.push(monitor);
    const addressEvents: string[] = [];
    eachLine(monitor.stdout!, (text) => addressEvents.push(text));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const kaMark = ka.lines.length;
    const mark = lines.length;

    const excluded = ['virtual_ipaddress_excluded {', `  ${lab.ipv6(130)}/64`, '}'];
    writeFileSync(confPath, keepalivedConf({ routerId: 'us', instances: [member('VI_4', 61, 140, v4), member('VI_6', 62, 145, v6, excluded)] }) + group);
    us.kill('SIGHUP');
    const reloaded = await waitFor((l) => l.event === 'reloaded', mark);
    expect((reloaded.reconfigured as { name: string }[]).map((r) => r.name).sort()).toEqual(['VI_4', 'VI_6']);
    await new Promise((resolve) => setTimeout(resolve, 6000)); // past the 5 s leases
    const addresses = [...(await lab.addresses('us')), ...(await lab.exec('us', ['ip', '-6', '-o', 'addr', 'show', 'dev', 'eth0'])).stdout.split('\n')];
    expect(addresses.join(' ')).toContain(lab.ipv4(100));
    expect(addresses.join(' ')).toContain(`${lab.ipv6(100)}/64`);
    expect(addresses.join(' ')).toContain(`${lab.ipv6(130)}/64`);
    expect(addressEvents.filter((event) => event.startsWith('Deleted'))).toEqual([]);
    expect(ka.lines.slice(kaMark).filter((text) => /Entering MASTER STATE/.test(text))).toEqual([]);
    expect(lines.slice(mark).filter((l) => l.event === 'stateChange' || l.event === 'groupStateChange')).toEqual([]);

    // A reload that takes VI_6 out of G: G's members are fixed for its life, so G is made again and both members
    // restart (a failover each, said in the reloaded line), then take their VRIDs back at their higher priorities.
    const regroup = lines.length;
    writeFileSync(confPath, keepalivedConf({ routerId: 'us', instances: [member('VI_4', 61, 140, v4), member('VI_6', 62, 145, v6, excluded)] }) + group.replace('    VI_6\n', ''));
    us.kill('SIGHUP');
    const regrouped = await waitFor((l) => l.event === 'reloaded', regroup);
    expect(regrouped).toMatchObject({ restarted: ['VI_4', 'VI_6'], groupsRemoved: ['G'], groupsAdded: ['G'], reconfigured: [] });
    await waitFor((l) => l.event === 'stateChange' && l.name === 'VI_4' && l.to === 'master', regroup);
    await waitFor((l) => l.event === 'stateChange' && l.name === 'VI_6' && l.to === 'master', regroup);
    await waitFor((l) => l.event === 'groupStateChange' && l.to === 'master', regroup);

    us.kill('SIGTERM');
    expect(await exited).toBe(0);
    await ka.stop();
  });
});
