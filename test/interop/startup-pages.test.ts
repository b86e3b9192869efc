/**
 * `vrrp run` with VRRP_RELEASE_STARTUP_PAGES=1 gives back its start-up's pages 10 s after `started`
 * (src/linux/memory.ts; the engine thread then warms its takeover path again, src/engine/worker.ts): it says so in a `startupPagesReleased` line, its resident set
 * falls, and what it does afterwards still works — a backup whose pages went takes over from a crashed keepalived
 * master. The release comes after the move to huge pages has had its turn, so the first test also shows that nothing
 * moves unasked (VRRP_HUGE_PAGES unset).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Lab, labAvailable, requireLab } from './lab.js';
import { keepalivedSide, ourConfig, vipOf } from './scenario.js';
import { startVrrp } from './vrrp-process.js';

requireLab();

describe.skipIf(!labAvailable.ok)('vrrp run after its start-up pages are released', () => {
  let lab: Lab;
  beforeEach(async () => {
    lab = await Lab.create({ hosts: ['ka', 'us'], client: true });
  });
  afterEach(async () => {
    await lab?.destroy();
  });

  // Given keepalived master (150) and our `vrrp run` backup (100)
  // when 10 s have passed since our `started` line
  // then we print startupPagesReleased with a smaller resident set, and when keepalived crashes we take over.
  it('reports the release with a smaller resident set and still takes over from a crashed master', async () => {
    const ka = await lab.startKeepalived('ka', keepalivedSide(lab, 'ka', { priority: 150 }));
    await ka.waitForLog(/Entering MASTER STATE/, 5000);
    // Read by the spawned `vrrp run` (the lab's processes inherit this environment); this file's only test.
    process.env.VRRP_RELEASE_STARTUP_PAGES = '1';
    const us = startVrrp(lab, 'us', ourConfig(lab, 'us', { priority: 100 }));
    delete process.env.VRRP_RELEASE_STARTUP_PAGES;
    await us.waitForState('backup', 5000);
    const released = (await us.waitFor((e) => e.event === 'startupPagesReleased', 15_000)) as unknown as { executableKb: number; rssBeforeKb: number; rssAfterKb: number };
    expect(released.executableKb, `executable kB dropped; ${us.describe()}`).toBeGreaterThan(1024);
    expect(released.rssAfterKb, `resident set after (before: ${released.rssBeforeKb} kB)`).toBeLessThan(released.rssBeforeKb - released.executableKb / 2);
    // The move to huge pages has its turn just before the release (src/cli.ts, settleStartup): not asked, not done.
    expect(us.events.filter((e) => e.event === 'executableHugePages'), 'a move to huge pages nobody asked for').toEqual([]);

    await ka.kill();
    await us.waitForState('master', 5000);
    await lab.waitForAddress('us', vipOf(lab), { timeoutMs: 1000 });
    expect(us.events.filter((e) => e.event === 'error'), us.describe()).toEqual([]);
    expect(await us.stop(), us.describe()).toBe(0);
  });

  // Given our `vrrp run` master (150) alone, refreshing its gratuitous ARP every 200 ms (garp_master_refresh)
  // when its start-up pages are released and its engine thread warms its takeover path again
  // then the refresh goes on: the warm-up of a master skips the empty takeover, whose announce would cancel it.
  it('keeps a master’s gratuitous ARP refresh going through the release', async () => {
    process.env.VRRP_RELEASE_STARTUP_PAGES = '1';
    const us = startVrrp(lab, 'us', { ...ourConfig(lab, 'us', { priority: 150 }), garp: { repeat: 1, delayMs: 0, refreshMs: 200 } });
    delete process.env.VRRP_RELEASE_STARTUP_PAGES;
    await us.waitForState('master', 5000);
    await us.waitFor((e) => e.event === 'startupPagesReleased', 15_000);
    const capture = await lab.capture('client', 'arp');
    await new Promise((r) => setTimeout(r, 1050));
    await capture.stop();
    const vip = vipOf(lab);
    const count = capture.lines.filter((line) => line.includes(`Request who-has ${vip}`) && line.includes(`tell ${vip}`)).length;
    expect(count, `gratuitous ARPs in the second after the release; ${us.describe()}`).toBeGreaterThanOrEqual(4);
    expect(await us.stop(), us.describe()).toBe(0);
  });
});
