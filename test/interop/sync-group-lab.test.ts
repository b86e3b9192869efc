/**
 * A sync group for real: `vrrp run` with two instances (VRIDs 51 and 52) in one group, against keepalived 2.2.7
 * with the same two instances in a `vrrp_sync_group`. Our members run on the engine thread, where the group's
 * decisions are made (src/engine/sync-group.ts). One member's fault on our side must move both VIPs to keepalived,
 * its recovery must bring both back, and neither side may ever hold one VIP while the other holds the other.
 * Assertions are on who holds the VIPs and on the states both sides report, not on timings.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keepalivedConf, Lab, labAvailable, requireLab } from './lab.js';
import { startVrrp } from './vrrp-process.js';

requireLab();

describe.skipIf(!labAvailable.ok)('sync group against keepalived', () => {
  let lab: Lab;
  beforeEach(async () => {
    lab = await Lab.create({ hosts: ['ka', 'us'] });
  });
  afterEach(async () => {
    await lab?.destroy();
  });

  /** Which hosts hold each VIP: `[holders of .100, holders of .101]`. */
  const holders = async (): Promise<string[][]> => {
    const held: string[][] = [[], []];
    for (const host of ['ka', 'us']) {
      const addresses = await lab.addresses(host);
      [lab.ipv4(100), lab.ipv4(101)].forEach((vip, i) => {
        if (addresses.includes(vip)) held[i]?.push(host);
      });
    }
    return held;
  };
  /** The holders once they are `expected`, or as they are after 5 s of looking every 50 ms. */
  const settledHolders = async (expected: string[][]): Promise<string[][]> => {
    const deadline = Date.now() + 5000;
    let held = await holders();
    while (JSON.stringify(held) !== JSON.stringify(expected) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      held = await holders();
    }
    return held;
  };

  // Given us (150) and keepalived (100), each with VRIDs 51 and 52 in a sync group, and a weight-0 `file` tracker
  // on our VRID 51 member; when the file says 1 (fault), then 0
  // then our VRID 52 member, healthy, leaves master with it, keepalived's group takes both VIPs; on recovery our
  // group takes both back and keepalived's group goes back to BACKUP.
  it("one member's fault moves both VIPs to keepalived's group, and recovery brings both back", async () => {
    const flag = join(lab.tmpDir, 'fault');
    writeFileSync(flag, '0\n');
    const conf = keepalivedConf({
      routerId: 'ka',
      instances: [
        { name: 'VI_1', vrid: 51, priority: 100, advertIntervalS: 0.1, vips: [`${lab.ipv4(100)}/24`], extra: ['garp_master_delay 0'] },
        { name: 'VI_2', vrid: 52, priority: 100, advertIntervalS: 0.1, vips: [`${lab.ipv4(101)}/24`], extra: ['garp_master_delay 0'] },
      ],
    });
    const ka = await lab.startKeepalived('ka', `${conf}vrrp_sync_group G {\n  group {\n    VI_1\n    VI_2\n  }\n}\n`);
    const member = (name: string, vrid: number, vip: string) => ({ name, interface: 'eth0', vrid, priority: 150, advertIntervalMs: 100, virtualAddresses: [`${vip}/24`], garp: { repeat: 3, delayMs: 0 } });
    const us = startVrrp(lab, 'us', {
      instances: [
        { ...member('A', 51, lab.ipv4(100)), trackers: [{ type: 'file', name: 'chk_fault', path: flag, weight: 0, intervalMs: 100 }] },
        member('B', 52, lab.ipv4(101)),
      ],
      groups: [{ name: 'G', members: ['A', 'B'] }],
    });
    await us.waitFor((e) => e.event === 'groupStateChange' && e.to === 'master', 10_000);
    await ka.waitForLog(/VRRP_Group\(G\).*BACKUP|\(VI_2\) Entering BACKUP STATE/, 10_000);
    expect(await settledHolders([['us'], ['us']])).toEqual([['us'], ['us']]);

    let from = { ka: ka.lines.length, us: us.events.length };
    writeFileSync(flag, '1\n');
    await us.waitFor((e) => e.event === 'groupStateChange' && e.to === 'fault', 10_000, from.us);
    await ka.waitForLog(/\(VI_1\) Entering MASTER STATE/, 10_000, from.ka);
    await ka.waitForLog(/\(VI_2\) Entering MASTER STATE/, 10_000, from.ka);
    expect(await settledHolders([['ka'], ['ka']])).toEqual([['ka'], ['ka']]);
    const moves = us.events.slice(from.us).filter((e) => e.event === 'stateChange').map((e) => `${String(e.name)} ${String(e.from)}>${String(e.to)} ${String(e.reason)}`);
    // Our healthy member left master the moment the other faulted (resigning, so keepalived took over at once),
    // then the group held it in fault.
    expect(moves).toEqual(expect.arrayContaining(['A master>fault tracker-down', 'B master>backup sync-group', 'B backup>fault tracker-down']));

    from = { ka: ka.lines.length, us: us.events.length };
    writeFileSync(flag, '0\n');
    await us.waitFor((e) => e.event === 'groupStateChange' && e.to === 'master', 10_000, from.us);
    await ka.waitForLog(/\(VI_1\) Entering BACKUP STATE/, 10_000, from.ka);
    await ka.waitForLog(/\(VI_2\) Entering BACKUP STATE/, 10_000, from.ka);
    expect(await settledHolders([['us'], ['us']])).toEqual([['us'], ['us']]);
    expect(await us.stop(), us.describe()).toBe(0);
  });
});
