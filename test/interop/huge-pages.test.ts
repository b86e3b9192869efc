/**
 * `vrrp run` with VRRP_HUGE_PAGES=1 moves the node executable's mapped stretches into huge pages 10 s after
 * `started` (src/linux/memory.ts, called from src/cli.ts): it says so in an `executableHugePages` line, and what runs
 * afterwards still works — a backup whose text moved takes over from a crashed keepalived master. That nothing
 * moves without it is checked in startup-pages.test.ts, whose release comes after the move's turn.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Lab, labAvailable, requireLab } from './lab.js';
import { keepalivedSide, ourConfig, vipOf } from './scenario.js';
import { startVrrp } from './vrrp-process.js';

requireLab();

/** Whether this machine lets a process ask for transparent huge pages. */
function hugePagesAllowed(): boolean {
  try {
    return /\[(always|madvise)\]/.test(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'));
  } catch {
    return false;
  }
}

describe.skipIf(!labAvailable.ok)('vrrp run with its executable in huge pages', () => {
  let lab: Lab;
  beforeEach(async () => {
    lab = await Lab.create({ hosts: ['ka', 'us'] });
  });
  afterEach(async () => {
    await lab?.destroy();
  });

  // Given keepalived master (150) and our `vrrp run` backup (100) started with VRRP_HUGE_PAGES=1
  // when 10 s have passed since our `started` line
  // then we print executableHugePages with what moved, and when keepalived crashes we take over.
  it('reports the move and still takes over from a crashed master', async () => {
    const ka = await lab.startKeepalived('ka', keepalivedSide(lab, 'ka', { priority: 150 }));
    await ka.waitForLog(/Entering MASTER STATE/, 5000);
    // Read by the spawned `vrrp run` (the lab's processes inherit this environment).
    process.env.VRRP_HUGE_PAGES = '1';
    const us = startVrrp(lab, 'us', ourConfig(lab, 'us', { priority: 100 }));
    delete process.env.VRRP_HUGE_PAGES;
    await us.waitForState('backup', 5000);
    const moved = (await us.waitFor((e) => e.event === 'executableHugePages', 15_000)) as unknown as { movedKb: number; failedKb: number; unavailable?: string };
    if (hugePagesAllowed()) {
      expect(moved.unavailable, us.describe()).toBeUndefined();
      expect(moved.movedKb + moved.failedKb, `kB moved or tried; ${us.describe()}`).toBeGreaterThanOrEqual(2048);
    } else {
      expect(moved.unavailable, us.describe()).toBe('disabled');
    }

    await ka.kill();
    await us.waitForState('master', 5000);
    await lab.waitForAddress('us', vipOf(lab), { timeoutMs: 1000 });
    expect(us.events.filter((e) => e.event === 'error'), us.describe()).toEqual([]);
    expect(await us.stop(), us.describe()).toBe(0);
  });
});
