/**
 * keepalived's old unicast VRRPv3 checksum beside keepalived 2.2.7 (Debian's, built with OLD_CHKSUM_COMPAT): with
 * `old_unicast_checksum`, its unicast adverts are summed with 224.0.0.18 as the pseudo-header's destination. Our
 * backup must hear them (src/core/codec.ts, checksumAccepted), or it takes the VIP from a live master.
 */
import { describe, expect, it } from 'vitest';
import { Lab, labAvailable, requireLab } from './lab.js';
import { keepalivedSide, ourConfig, vipOf } from './scenario.js';
import { startVrrp } from './vrrp-process.js';

requireLab();

describe.skipIf(!labAvailable.ok)("keepalived's old unicast checksum", () => {
  // Given keepalived master (150) sending unicast VRRPv3 adverts in the old checksum form, and our backup (100)
  // when more than our Master_Down_Interval passes
  // then we stay backup with no protocol error, and keepalived's stop (priority 0) makes us master.
  it('is heard by our backup', async () => {
    const lab = await Lab.create({ hosts: ['ka', 'us'] });
    try {
      const side = { version: 3 as const, intervalMs: 100 };
      const conf = keepalivedSide(lab, 'ka', { ...side, unicastPeer: 'us', priority: 150 }).replace('  garp_master_delay 0', '  garp_master_delay 0\n  old_unicast_checksum');
      expect(conf, 'set-up: the keyword is in the config').toContain('old_unicast_checksum');
      const ka = await lab.startKeepalived('ka', conf);
      await ka.waitForLog(/Entering MASTER STATE/, 5000);
      const us = startVrrp(lab, 'us', ourConfig(lab, 'us', { ...side, unicastPeer: 'ka', priority: 100 }));
      await us.waitForState('backup', 5000);
      // Master_Down_Interval at 100 ms adverts and priority 100 is 0.36 s: a backup that hears nothing is master by then.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(us.events.filter((e) => e.event === 'stateChange').map((e) => e.to), us.describe()).toEqual(['backup']);
      expect(us.events.filter((e) => e.event === 'protocolError'), us.describe()).toEqual([]);
      expect((await lab.addresses('us')).includes(vipOf(lab))).toBe(false);
      await ka.stop();
      await us.waitForState('master', 3000);
      expect(await us.stop()).toBe(0);
    } finally {
      await lab.destroy();
    }
  });
});
