/**
 * What an interface does under a running instance, beside keepalived: renumbered (the address we send adverts from
 * goes, another takes its place) and made again (a macvlan deleted and added back under its name: a new link with a new
 * index). Either way we must keep speaking VRRP: adverts from the address that went are refused by the kernel, and a
 * socket bound to the old link hears nothing — a master that falls silent, or a backup that takes over from a live
 * master, makes two masters. Addresses are the lab's and 198.51.100.0/24 (the macvlan's), inside its namespaces only.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Lab, labAvailable, requireLab, tools } from './lab.js';
import { keepalivedSide, ourConfig } from './scenario.js';
import { startVrrp } from './vrrp-process.js';

requireLab();

/** A macvlan on eth0 of `host` named mv10, with `address`/24, up: an interface that can be deleted and made again. */
async function addMacvlan(lab: Lab, host: string, address: string): Promise<void> {
  await lab.exec(host, [tools.ip!, 'link', 'add', 'link', 'eth0', 'name', 'mv10', 'type', 'macvlan', 'mode', 'bridge'], { check: true });
  await lab.exec(host, [tools.ip!, 'addr', 'add', `${address}/24`, 'dev', 'mv10'], { check: true });
  await lab.exec(host, [tools.ip!, 'link', 'set', 'mv10', 'up'], { check: true });
}

describe.skipIf(!labAvailable.ok)('an interface changed under a running instance', () => {
  let lab: Lab;
  beforeEach(async () => {
    lab = await Lab.create({ hosts: ['ka', 'us'] });
  });
  afterEach(async () => {
    await lab?.destroy();
  });

  // Given our master (priority 150) beside a keepalived backup, and promote_secondaries on our eth0
  // when our eth0 gets another address and then loses the one we send from (a renumbering: the new one stays)
  // then our adverts come from the new address and keepalived stays backup: the address to send from is picked
  // again when it goes, where our master kept sending from the old one, every advert refused, and keepalived took
  // over (two masters).
  it('sends from the new address after a renumbering, and keeps its backup backup', async () => {
    await lab.exec('us', ['sysctl', '-qw', 'net.ipv4.conf.eth0.promote_secondaries=1'], { check: true });
    const ka = await lab.startKeepalived('ka', keepalivedSide(lab, 'ka', { priority: 100 }));
    const us = startVrrp(lab, 'us', ourConfig(lab, 'us', { priority: 150 }));
    await us.waitForState('master', 5000);
    await ka.waitForLog(/Entering BACKUP STATE/, 5000);
    const renumbered = lab.ipv4(77);
    await lab.exec('us', [tools.ip!, 'addr', 'add', `${renumbered}/24`, 'dev', 'eth0'], { check: true });
    const capture = await lab.capture('ka');
    const from = ka.lines.length;
    await lab.exec('us', [tools.ip!, 'addr', 'del', `${lab.host('us').ipv4!}/24`, 'dev', 'eth0'], { check: true });
    // Ten advert intervals: keepalived takes over after three silent ones.
    const fromNew = (): number => capture.packets.filter((packet) => packet.src === renumbered && packet.vrid === 51).length;
    await capture.waitFor(() => fromNew() >= 10, 3000).catch(() => undefined);
    await capture.stop();
    expect(fromNew(), `adverts from ${renumbered}; ${us.describe()}`).toBeGreaterThanOrEqual(10);
    expect(ka.lines.slice(from).filter((line) => /Entering MASTER STATE/.test(line)), 'keepalived took over').toEqual([]);
    expect(us.events.filter((event) => event.event === 'error'), 'errors reported').toEqual([]);
    expect(await us.stop(), us.describe()).toBe(0);
  });

  // Given keepalived master (priority 150) on its eth0, and our backup (priority 100) on a macvlan of our eth0 (mv10)
  // when our host's mv10 is deleted and added back under the same name, with the same address
  // then our instance goes to fault and back to backup, and stays backup while keepalived lives: its socket is
  // opened again on the new link, where it stayed bound to the deleted one, heard nothing, and took over.
  it('hears its master again after its interface was deleted and made again', async () => {
    await addMacvlan(lab, 'us', '198.51.100.2');
    const ka = await lab.startKeepalived('ka', keepalivedSide(lab, 'ka', { priority: 150 }));
    await ka.waitForLog(/Entering MASTER STATE/, 5000);
    const us = startVrrp(lab, 'us', { ...ourConfig(lab, 'us', { priority: 100 }), interface: 'mv10' });
    await us.waitForState('backup', 5000);
    const mark = us.events.length;
    const kaFrom = ka.lines.length;
    await lab.exec('us', [tools.ip!, 'link', 'del', 'mv10'], { check: true });
    await us.waitForState('fault', 3000, mark);
    await addMacvlan(lab, 'us', '198.51.100.2');
    await us.waitForState('backup', 3000, mark);
    // Back as backup: a deaf one takes over within its Master_Down_Interval (about 0.35 s); give it ten times that.
    const backAt = us.events.length;
    await us.waitForState('master', 3500, backAt).then(
      () => undefined,
      () => undefined,
    );
    expect(us.events.slice(backAt).filter((event) => event.event === 'stateChange').map((event) => event.to), us.describe()).toEqual([]);
    expect(ka.lines.slice(kaFrom).filter((line) => /Entering BACKUP STATE/.test(line)), 'keepalived backed off').toEqual([]);
    expect(await us.stop(), us.describe()).toBe(0);
  });
});
