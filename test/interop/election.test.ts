/**
 * Elections between our library (the `vrrp run` CLI, in its own namespace) and a real keepalived 2.2.7 on a
 * namespace L2 segment: who wins, ties, preemption. VRRPv3 at 100 ms so that each scenario takes about a second.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BRIDGE, Lab, labAvailable, requireLab } from './lab.js';
import { keepalivedSide, ourConfig, vipOf } from './scenario.js';
import { startVrrp } from './vrrp-process.js';

requireLab();

describe.skipIf(!labAvailable.ok)('election against keepalived', () => {
  let lab: Lab;
  beforeEach(async () => {
    lab = await Lab.create({ hosts: ['ka', 'us'] });
  });
  afterEach(async () => {
    await lab?.destroy();
  });

  const holdsVip = async (host: string): Promise<boolean> => (await lab.addresses(host)).includes(vipOf(lab));

  // Given keepalived at 100 and us at 150; when both run
  // then we become master, keepalived logs BACKUP, and only our host holds the VIP.
  it('we win with the higher priority', async () => {
    const ka = await lab.startKeepalived('ka', keepalivedSide(lab, 'ka', { priority: 100 }));
    const us = startVrrp(lab, 'us', ourConfig(lab, 'us', { priority: 150 }));
    await us.waitForState('master', 5000);
    await ka.waitForLog(/Entering BACKUP STATE/, 5000);
    await new Promise((r) => setTimeout(r, 300));
    expect({ us: await holdsVip('us'), ka: await holdsVip('ka') }).toEqual({ us: true, ka: false });
    // The CLI's event line carries what a log shipper needs, in a stable shape.
    const line = us.events.find((e) => e.event === 'stateChange' && e.to === 'master');
    expect(line).toMatchObject({ event: 'stateChange', name: 'us', vrid: 51, from: 'backup', to: 'master', reason: 'master-down-timer-expired' });
    expect(new Date(String(line?.time)).toISOString()).toBe(line?.time);
    expect(await us.stop(), us.describe()).toBe(0);
  });

  // Given keepalived at 200 and us at 100; when both run for a while
  // then keepalived is master, we stay backup and never claim the VIP.
  it('keepalived wins with the higher priority', async () => {
    const ka = await lab.startKeepalived('ka', keepalivedSide(lab, 'ka', { priority: 200 }));
    await ka.waitForLog(/Entering MASTER STATE/, 5000);
    const us = startVrrp(lab, 'us', ourConfig(lab, 'us', { priority: 100 }));
    await us.waitForState('backup', 5000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(us.events.filter((e) => e.event === 'stateChange' && e.to === 'master')).toEqual([]);
    expect({ us: await holdsVip('us'), ka: await holdsVip('ka') }).toEqual({ us: false, ka: true });
    await us.stop();
  });

  // Given equal priorities (100) and both hosts cut apart at the bridge, so that both become master
  // when the segment is joined again
  // then the higher primary address wins (RFC 9568 §6.4.3) on both implementations: us (.2) over keepalived (.1).
  it('equal priorities: the higher address wins, on both sides', async () => {
    const detach = (host: string) => lab.exec(BRIDGE, ['ip', 'link', 'set', lab.host(host).bridgePort, 'nomaster']);
    const attach = (host: string) => lab.exec(BRIDGE, ['ip', 'link', 'set', lab.host(host).bridgePort, 'master', 'br0']);
    await detach('us');
    const ka = await lab.startKeepalived('ka', keepalivedSide(lab, 'ka', { priority: 100 }));
    const us = startVrrp(lab, 'us', ourConfig(lab, 'us', { priority: 100 }));
    await ka.waitForLog(/Entering MASTER STATE/, 5000);
    await us.waitForState('master', 5000);
    const from = ka.lines.length;
    await attach('us');
    await ka.waitForLog(/Entering BACKUP STATE/, 5000, from);
    await new Promise((r) => setTimeout(r, 500));
    expect(us.events.filter((e) => e.event === 'stateChange').map((e) => e.to)).toEqual(['backup', 'master']);
    expect({ us: await holdsVip('us'), ka: await holdsVip('ka') }).toEqual({ us: true, ka: false });
    await us.stop();
  });

  // Given keepalived master at 100; when we join at 150 (preempt on, the default)
  // then we take over after our Master_Down_Interval and keepalived steps down.
  it('preempts a lower-priority keepalived master', async () => {
    const ka = await lab.startKeepalived('ka', keepalivedSide(lab, 'ka', { priority: 100 }));
    await ka.waitForLog(/Entering MASTER STATE/, 5000);
    const from = ka.lines.length;
    const us = startVrrp(lab, 'us', ourConfig(lab, 'us', { priority: 150 }));
    await us.waitForState('master', 5000);
    await ka.waitForLog(/Entering BACKUP STATE/, 5000, from);
    await us.stop();
  });

  // Given keepalived master at 100; when we join at 150 with preempt: false
  // then we stay backup (for 2 s, twenty Master_Down_Intervals' worth of adverts) and keepalived keeps the VIP.
  it('with preempt: false we do not take over from a lower master', async () => {
    const ka = await lab.startKeepalived('ka', keepalivedSide(lab, 'ka', { priority: 100 }));
    await ka.waitForLog(/Entering MASTER STATE/, 5000);
    const us = startVrrp(lab, 'us', ourConfig(lab, 'us', { priority: 150, preempt: false }));
    await us.waitForState('backup', 5000);
    await new Promise((r) => setTimeout(r, 2000));
    expect(us.events.filter((e) => e.event === 'stateChange').map((e) => e.to)).toEqual(['backup']);
    expect(await holdsVip('ka')).toBe(true);
    await us.stop();
  });
});
