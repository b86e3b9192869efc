/**
 * `vrrp run keepalived.conf` beside keepalived 2.2.7 on a lab segment (network namespaces; root and keepalived
 * needed, see test/interop/lab.ts): the tutorial's configuration (test/keepalived/fixtures/tutorial-*.conf) on both hosts,
 * priorities 101 (us) and 100 (keepalived), `chk_haproxy` with weight 2 — its `killall -0 haproxy` replaced by a
 * test of a flag file per host, so that the check fails on our host alone — and the same notify scripts on both.
 * Our notify scripts must fire as keepalived's do: the state's script, then `notify` with INSTANCE, the name, the
 * state and the priority.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { eachLine, Lab, labAvailable, requireLab } from '../interop/lab.js';

requireLab();

const repo = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(repo, 'dist', 'cli.js');

/** The tutorial's keepalived.conf, with the check and the VIP made the lab's and notify scripts added. */
function tutorialConf(options: { priority: number; vip: string; flag: string; recorder: string; log: string }): string {
  return `vrrp_script chk_haproxy {
   script "test -e ${options.flag}"
   interval 2
   weight 2
}

vrrp_instance Instance0 {
   interface eth0
   state MASTER
   virtual_router_id 51
   priority ${options.priority}
   virtual_ipaddress {
       ${options.vip}
   }
   track_script {
       chk_haproxy
   }
   notify_master "/bin/sh ${options.recorder} ${options.log} master-script"
   notify "/bin/sh ${options.recorder} ${options.log}"
}
`;
}

interface Line {
  event: string;
  [field: string]: unknown;
}

describe.skipIf(!labAvailable.ok)('vrrp run keepalived.conf beside keepalived', () => {
  let lab: Lab | undefined;
  let us: ChildProcess | undefined;
  afterEach(async () => {
    us?.kill('SIGKILL');
    await lab?.destroy();
  });

  // Given both hosts running the tutorial, us at 101 + 2 and keepalived at 100 + 2; when our check fails, then
  // recovers, then we stop
  // then we go master, backup (keepalived takes over at 102), master again (we preempt at 103), and our notify
  // scripts record exactly those transitions with keepalived's arguments, as keepalived's record its own.
  it('runs the tutorial and fires notify scripts with the right arguments', async () => {
    lab = await Lab.create({ hosts: ['ka', 'us'] });
    const vip = lab.ipv4(100);
    const recorder = join(lab.tmpDir, 'record.sh');
    writeFileSync(recorder, 'log=$1\nshift\necho "$*" >> "$log"\n');
    const flag = (host: string): string => join(lab!.tmpDir, `haproxy-up-${host}`);
    const log = (host: string): string => join(lab!.tmpDir, `notify-${host}.log`);
    for (const host of ['ka', 'us']) {
      writeFileSync(flag(host), '');
      writeFileSync(log(host), '');
    }
    const ka = await lab.startKeepalived('ka', tutorialConf({ priority: 100, vip, flag: flag('ka'), recorder, log: log('ka') }));
    const confPath = join(lab.tmpDir, 'keepalived-us.conf');
    writeFileSync(confPath, tutorialConf({ priority: 101, vip, flag: flag('us'), recorder, log: log('us') }));
    us = lab.spawn('us', [process.execPath, cli, 'run', confPath]);
    const lines: Line[] = [];
    let stderr = '';
    const waiters = new Set<() => void>();
    eachLine(us.stdout!, (text) => {
      lines.push(JSON.parse(text) as Line);
      for (const waiter of [...waiters]) waiter();
    });
    eachLine(us.stderr!, (text) => (stderr += `${text}\n`));
    const exited = new Promise<number | null>((resolve) => us!.once('exit', (code) => resolve(code)));
    const waitFor = (match: (line: Line) => boolean, timeoutMs: number, from = 0): Promise<Line> =>
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
          reject(new Error(`timed out\n${lines.map((l) => JSON.stringify(l)).join('\n')}\n${stderr}\nkeepalived:\n${ka.lines.slice(-20).join('\n')}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    const state = (to: string, from = 0): Promise<Line> => waitFor((l) => l.event === 'stateChange' && l.to === to, 15_000, from);
    const notified = (state: string, from = 0): Promise<Line> =>
      waitFor((l) => l.event === 'notify' && l.script === 'any' && l.state === state, 15_000, from);

    await state('master');
    await notified('master');
    expect(await lab.addresses('us')).toContain(vip);
    await ka.waitForLog(/Entering BACKUP STATE/, 10_000);

    let mark = lines.length;
    unlinkSync(flag('us'));
    await waitFor((l) => l.event === 'trackerChange' && l.to === 'down', 10_000, mark);
    await state('backup', mark);
    await notified('backup', mark);
    await ka.waitForLog(/Entering MASTER STATE/, 10_000);

    mark = lines.length;
    writeFileSync(flag('us'), '');
    await state('master', mark);
    await notified('master', mark);
    await ka.waitForLog(/Entering BACKUP STATE/, 10_000, ka.lines.findIndex((l) => /Entering MASTER STATE/.test(l)));

    us.kill('SIGTERM');
    expect(await exited).toBe(0);
    await ka.stop();
    const ours = readFileSync(log('us'), 'utf8').trim().split('\n');
    expect(ours).toEqual([
      'INSTANCE Instance0 BACKUP 101',
      'master-script',
      'INSTANCE Instance0 MASTER 103',
      'INSTANCE Instance0 BACKUP 101',
      'master-script',
      'INSTANCE Instance0 MASTER 103',
      'INSTANCE Instance0 STOP 103',
    ]);
    // keepalived's scripts, same arguments, for its side of the same story (its first lines depend on its start).
    const theirs = readFileSync(log('ka'), 'utf8').trim().split('\n');
    expect(theirs).toContain('master-script');
    expect(theirs).toContain('INSTANCE Instance0 MASTER 102');
    expect(theirs).toContain('INSTANCE Instance0 BACKUP 102');
    expect(stderr).toMatch(/warning: .*keepalived-us\.conf:1: scripts run as the user running vrrp/);
  }, 90_000);
});
