/**
 * An instance started while its link is down (set down inside its host, which takes every IPv6 address with it,
 * the link-local one we send from included) starts in fault, as keepalived does, and serves once the link is back
 * — where it used to fail to start ("has no IPv6 link-local address to send VRRP from"). Both ways our users run
 * it: `vrrp run` and an app embedding an instance. keepalived (priority 100) is the peer.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Lab, labAvailable, requireLab, tools } from './lab.js';
import { keepalivedSide, ourConfig, vipOf } from './scenario.js';
import { startVrrp } from './vrrp-process.js';

requireLab();

describe.skipIf(!labAvailable.ok)('an IPv6 instance started on a down link', () => {
  let lab: Lab;
  beforeEach(async () => {
    lab = await Lab.create({ hosts: ['ka', 'us'], ipv6: true });
  });
  afterEach(async () => {
    await lab?.destroy();
  });

  for (const embedded of [false, true]) {
    // Given keepalived master of an IPv6 VRID and our host's eth0 set down (no link-local address left)
    // when our instance (priority 150) starts, then it reports fault and keeps running; when the link comes back,
    // it becomes master, holds the VIP and keepalived backs off.
    it(`starts in fault and takes over once the link is back (${embedded ? 'embedded app' : 'vrrp run'})`, async () => {
      const ka = await lab.startKeepalived('ka', keepalivedSide(lab, 'ka', { priority: 100, family: 'ipv6' }));
      await ka.waitForLog(/Entering MASTER STATE/, 5000);
      await lab.linkDown('us', 'host');
      const us = startVrrp(lab, 'us', ourConfig(lab, 'us', { priority: 150, family: 'ipv6' }), { embedded });
      const fault = await us.waitForState('fault', 5000);
      expect(fault.reason, us.describe()).toBe('link-down');
      expect(us.exitCode, us.describe()).toBeNull();

      const from = ka.lines.length;
      await lab.linkUp('us', 'host');
      // The lab's global address went with the link; put it back as the chaos harness does (the VIP does not need it).
      await lab.exec('us', [tools.ip!, 'addr', 'replace', `${lab.host('us').ipv6!}/64`, 'dev', 'eth0', 'nodad'], { check: true });
      await us.waitForState('master', 5000);
      await ka.waitForLog(/Entering BACKUP STATE/, 2000, from);
      await lab.waitForAddress('us', vipOf(lab, 'ipv6'), { timeoutMs: 1000 });
      expect(await us.stop(), us.describe()).toBe(0);
    });
  }
});
