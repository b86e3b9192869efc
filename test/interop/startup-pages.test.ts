/**
 * What `vrrp run` does to its memory once start-up has settled, each asked for only (src/cli-commands.ts, settleStartup;
 * src/linux/memory.ts), and that what it does afterwards still works:
 * - VRRP_RELEASE_STARTUP_PAGES=1 gives back its start-up's pages 10 s after `started` (the engine thread then warms
 *   its takeover path again, src/engine/worker.ts): a `startupPagesReleased` line, a smaller resident set.
 * - VRRP_HUGE_PAGES=1 moves the node executable's mapped stretches into huge pages then: an `executableHugePages`
 *   line saying what moved.
 * A backup after either takes over from a crashed keepalived master. The release comes after the move has had its
 * turn, so the release's test also shows that nothing moves unasked.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Lab, labAvailable, requireLab } from './lab.js';
import { keepalivedSide, ourConfig, vipOf } from './scenario.js';
import { startVrrp, type VrrpProcess } from './vrrp-process.js';
import type { HugePagesMove, StartupRelease } from '../../src/linux/memory.js';
import { hugePagesAllowed } from '../support/huge-pages.js';

requireLab();

/**
 * keepalived master (150) and our `vrrp run` backup (100), started with `variable=1` in its environment (the lab's
 * processes inherit the test's); returns once our process has printed `event`, with that line's fields.
 */
async function settledBackup<Line>(lab: Lab, variable: string, event: string): Promise<{ us: VrrpProcess; kill: () => Promise<void>; line: Line }> {
  const ka = await lab.startKeepalived('ka', keepalivedSide(lab, 'ka', { priority: 150 }));
  await ka.waitForLog(/Entering MASTER STATE/, 5000);
  process.env[variable] = '1';
  const us = startVrrp(lab, 'us', ourConfig(lab, 'us', { priority: 100 }));
  delete process.env[variable];
  await us.waitForState('backup', 5000);
  const line = (await us.waitFor((e) => e.event === event, 15_000)) as unknown as Line;
  return { us, kill: () => ka.kill(), line };
}

/** Crashes keepalived and expects our backup to take the VIP, with no error said, and to stop cleanly. */
async function takesOverFromCrash(lab: Lab, us: VrrpProcess, kill: () => Promise<void>): Promise<void> {
  await kill();
  await us.waitForState('master', 5000);
  await lab.waitForAddress('us', vipOf(lab), { timeoutMs: 1000 });
  expect(us.events.filter((e) => e.event === 'error'), us.describe()).toEqual([]);
  expect(await us.stop(), us.describe()).toBe(0);
}

describe.skipIf(!labAvailable.ok)('vrrp run once its start-up has settled', () => {
  let lab: Lab;
  beforeEach(async () => {
    lab = await Lab.create({ hosts: ['ka', 'us'], client: true });
  });
  afterEach(async () => {
    await lab?.destroy();
  });

  // Given keepalived master (150) and our `vrrp run` backup (100) started with VRRP_RELEASE_STARTUP_PAGES=1
  // when 10 s have passed since our `started` line
  // then we print startupPagesReleased with a smaller resident set, and when keepalived crashes we take over.
  it('reports the release with a smaller resident set and still takes over from a crashed master', async () => {
    const { us, kill, line: released } = await settledBackup<StartupRelease>(lab, 'VRRP_RELEASE_STARTUP_PAGES', 'startupPagesReleased');
    expect(released.executableKb, `executable kB dropped; ${us.describe()}`).toBeGreaterThan(1024);
    expect(released.rssAfterKb, `resident set after (before: ${released.rssBeforeKb} kB)`).toBeLessThan(released.rssBeforeKb - released.executableKb / 2);
    // The move to huge pages has its turn just before the release (src/cli-commands.ts, settleStartup): not asked, not done.
    expect(us.events.filter((e) => e.event === 'executableHugePages'), 'a move to huge pages nobody asked for').toEqual([]);
    await takesOverFromCrash(lab, us, kill);
  });

  // Given keepalived master (150) and our `vrrp run` backup (100) started with VRRP_HUGE_PAGES=1
  // when 10 s have passed since our `started` line
  // then we print executableHugePages with what moved, and when keepalived crashes we take over.
  it('reports the move to huge pages and still takes over from a crashed master', async () => {
    const { us, kill, line: moved } = await settledBackup<HugePagesMove>(lab, 'VRRP_HUGE_PAGES', 'executableHugePages');
    if (hugePagesAllowed()) {
      expect(moved.unavailable, us.describe()).toBeUndefined();
      expect(moved.movedKb + moved.failedKb, `kB moved or tried; ${us.describe()}`).toBeGreaterThanOrEqual(2048);
    } else {
      expect(moved.unavailable, us.describe()).toBe('disabled');
    }
    await takesOverFromCrash(lab, us, kill);
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
    const vip = vipOf(lab);
    const count = (): number => capture.lines.filter((line) => line.includes(`Request who-has ${vip}`) && line.includes(`tell ${vip}`)).length;
    // Awaited, not slept for: a refresh that stopped at the release never brings the count up, and the wait fails.
    const deadline = Date.now() + 5000;
    while (count() < 4) {
      if (Date.now() > deadline) throw new Error(`${count()} gratuitous ARPs within 5 s after the release (4 expected at 200 ms); ${us.describe()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await capture.stop();
    expect(await us.stop(), us.describe()).toBe(0);
  });
});
