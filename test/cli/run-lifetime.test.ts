/**
 * How long `vrrp run` lives, on a lab host (network namespaces; root needed, see test/interop/lab.ts): it runs until
 * it is told to stop — also with no instance running, so that the next reload can start them again — and one stop
 * signal delivered twice (npm and the terminal, or systemd's control group, both pass it) is one clean stop.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { keepalivedConf, Lab, labAvailable, requireLab, type KeepalivedInstanceConf } from '../interop/lab.js';
import { startVrrp, type VrrpEvent, type VrrpProcess } from '../interop/vrrp-process.js';
import { writeFileSync } from 'node:fs';

requireLab();

/** One instance at 100 ms adverts on `iface`, alone on the segment: master at its first Master_Down_Interval. */
function alone(lab: Lab, iface = 'eth0', extra: string[] = []): string {
  const instance: KeepalivedInstanceConf = { name: 'VI_1', vrid: 51, priority: 150, vips: [`${lab.ipv4(100)}/24`], advertIntervalS: 0.1, interface: iface, extra };
  return keepalivedConf({ routerId: 'us', instances: [instance] });
}

/** Writes `config` over the run's file and sends SIGHUP; resolves with its `reloaded` (or `reloadFailed`) line. */
async function reload(us: VrrpProcess, config: string): Promise<VrrpEvent> {
  const mark = us.events.length;
  writeFileSync(us.configPath, config);
  us.signal('SIGHUP');
  return us.waitFor((e) => e.event === 'reloaded' || e.event === 'reloadFailed', 15_000, mark);
}

/** Resolves once the process has exited, sending it nothing (waitFor rejects at the exit). */
async function exited(us: VrrpProcess): Promise<number | null> {
  await us.waitFor(() => false, 15_000).catch(() => undefined);
  return us.exitCode;
}

describe.skipIf(!labAvailable.ok)('vrrp run lives until it is told to stop', () => {
  let lab: Lab | undefined;
  let us: VrrpProcess | undefined;
  afterEach(async () => {
    await us?.kill();
    us = undefined;
    await lab?.destroy();
    lab = undefined;
  });

  // Given a run of one master
  // when a reload moves its instance to an interface that does not exist (removed, and the new one cannot start)
  // then the run goes on with no instance running, and the next reload, back to eth0, starts it again: master.
  it('goes on with no instance running, and the next reload starts it again', async () => {
    lab = await Lab.create({ hosts: ['us'] });
    us = startVrrp(lab, 'us', alone(lab));
    await us.waitForState('master', 15_000);
    const broken = await reload(us, alone(lab, 'nosuch0'));
    expect(broken, us.describe()).toMatchObject({ event: 'reloaded', removed: ['VI_1'] });
    const mark = us.events.length;
    const back = await reload(us, alone(lab));
    expect(back, us.describe()).toMatchObject({ event: 'reloaded' });
    await us.waitForState('master', 15_000, mark);
    expect(await us.stop()).toBe(0);
  });

  // Given a run of one master
  // when SIGTERM comes twice, the second right after the first was taken (one signal, passed on by npm and by the
  // terminal's process group: 2 ms apart)
  // then it is one clean stop: a `stopped` line, no `forced`, exit 0.
  it('takes one signal delivered twice for one clean stop', async () => {
    lab = await Lab.create({ hosts: ['us'] });
    us = startVrrp(lab, 'us', alone(lab));
    await us.waitForState('master', 15_000);
    const mark = us.events.length;
    us.signal('SIGTERM');
    // The repeat after the first was taken (two sent at once may merge into one pending signal in the kernel).
    await us.waitFor((e) => e.event === 'stopping', 5000, mark);
    us.signal('SIGTERM');
    expect(await exited(us), us.describe()).toBe(0);
    expect(us.events.filter((e) => e.event === 'forced' || e.event === 'stopped').map((e) => e.event)).toEqual(['stopped']);
  });

  // Given a run whose stop hangs in its notify_stop script
  // when a second SIGTERM comes more than the duplicate window (1 s) after the first
  // then it means "now": a `forced` line and exit 143, as before.
  it('still exits at once on a second signal after the first one', async () => {
    lab = await Lab.create({ hosts: ['us'] });
    us = startVrrp(lab, 'us', alone(lab, 'eth0', ['notify_stop "/bin/sleep 30"']));
    await us.waitForState('master', 15_000);
    const mark = us.events.length;
    us.signal('SIGTERM');
    await us.waitFor((e) => e.event === 'stopping', 5000, mark);
    await new Promise((resolve) => setTimeout(resolve, 1200)); // past the window in which a repeat is the same signal
    us.signal('SIGTERM');
    expect(await exited(us), us.describe()).toBe(143);
    expect(us.events.slice(mark).map((e) => e.event)).toContain('forced');
  });

  // Given a run of one master, VI_1, and a reload that adds VI_2 with a weight-0 check that takes 4 s (VI_2's start
  // waits for its first result)
  // when SIGTERM comes while that start waits
  // then VI_1 stops at once — its stop comes before anything of VI_2 — and the run exits 0.
  it('stops its masters at once during a reload that waits for a new instance\'s first check', async () => {
    lab = await Lab.create({ hosts: ['us'] });
    us = startVrrp(lab, 'us', alone(lab));
    await us.waitForState('master', 15_000);
    const slow: KeepalivedInstanceConf = { name: 'VI_2', vrid: 52, priority: 150, vips: [`${lab.ipv4(101)}/24`], advertIntervalS: 0.1, extra: ['track_script {', '  chk_slow', '}'] };
    const script = ['vrrp_script chk_slow {', '  script "/bin/sleep 4"', '  interval 15', '  timeout 6', '  weight 0', '}'].join('\n');
    const mark = us.events.length;
    writeFileSync(us.configPath, `${script}\n${alone(lab)}${keepalivedConf({ routerId: 'us', instances: [slow] }).replace(/^global_defs \{[^}]*\}\n/, '')}`);
    us.signal('SIGHUP');
    await us.waitFor((e) => e.event === 'reloading', 5000, mark);
    us.signal('SIGTERM');
    expect(await exited(us), us.describe()).toBe(0);
    const order = us.events.slice(mark).filter((e) => e.event === 'stateChange').map((e) => `${String(e.name)} ${String(e.to)}`);
    expect(order[0], us.describe()).toBe('VI_1 initialize');
  });
});
