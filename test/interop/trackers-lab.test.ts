/**
 * The `process`, `file` and `interface` trackers for real: `vrrp run` in a lab host against keepalived 2.2.7 at
 * priority 100, VRRPv3 at 100 ms. Each tracker moves our priority or state across keepalived's, and the election
 * follows: keepalived takes the VIP when our tracker says so and gives it back when it recovers. Assertions are on
 * who holds the VIP and who is master, not on timings.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Lab, labAvailable, requireLab, type KeepalivedHandle } from './lab.js';
import { keepalivedSide, ourConfig, vipOf } from './scenario.js';
import { startVrrp, type VrrpProcess } from './vrrp-process.js';

requireLab();

describe.skipIf(!labAvailable.ok)('trackers in the lab, against keepalived', () => {
  let lab: Lab;
  beforeEach(async () => {
    lab = await Lab.create({ hosts: ['ka', 'us'] });
  });
  afterEach(async () => {
    await lab?.destroy();
  });

  const holders = async (): Promise<string[]> => {
    const held: string[] = [];
    for (const host of ['ka', 'us']) if ((await lab.addresses(host)).includes(vipOf(lab))) held.push(host);
    return held;
  };

  /** The VIP's holders once they are `expected`, or as they are after 5 s of looking every 50 ms. */
  const settledHolders = async (expected: string[]): Promise<string[]> => {
    const deadline = Date.now() + 5000;
    let held = await holders();
    while (JSON.stringify(held) !== JSON.stringify(expected) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      held = await holders();
    }
    return held;
  };

  /** keepalived at 100, then us with `trackers` at `priority`; resolves once we are master and keepalived backup. */
  async function start(priority: number, trackers: Record<string, unknown>[]): Promise<{ ka: KeepalivedHandle; us: VrrpProcess }> {
    const ka = await lab.startKeepalived('ka', keepalivedSide(lab, 'ka', { priority: 100 }));
    const us = startVrrp(lab, 'us', { ...ourConfig(lab, 'us', { priority }), trackers });
    await us.waitForState('master', 10_000);
    await ka.waitForLog(/Entering BACKUP STATE/, 10_000);
    return { ka, us };
  }

  /** keepalived takes the VIP (from log line `from`), and we end up in `state`. */
  async function keepalivedTakesOver(ka: KeepalivedHandle, us: VrrpProcess, state: 'backup' | 'fault', from: { ka: number; us: number }): Promise<void> {
    await ka.waitForLog(/Entering MASTER STATE/, 10_000, from.ka);
    await us.waitForState(state, 10_000, from.us);
    // keepalived adds its VIP right after its log line: wait for the addresses to say so (or fail, quoting them).
    expect(await settledHolders(['ka'])).toEqual(['ka']);
  }

  /** We take the VIP back (from event `from`), keepalived is backup again. */
  async function weTakeBack(ka: KeepalivedHandle, us: VrrpProcess, from: { ka: number; us: number }): Promise<void> {
    await us.waitForState('master', 10_000, from.us);
    await ka.waitForLog(/Entering BACKUP STATE/, 10_000, from.ka);
    expect(await settledHolders(['us'])).toEqual(['us']);
  }

  const mark = (ka: KeepalivedHandle, us: VrrpProcess): { ka: number; us: number } => ({ ka: ka.lines.length, us: us.events.length });

  // Given us at 90 with a `process` tracker of weight 20 on a process of ours (110 while it runs); when it is
  // killed, then started again; then keepalived (100) takes the VIP, and we take it back.
  it('process: a tracked process killed hands the VIP to keepalived, its restart takes it back', async () => {
    const args = `sleep 86399.${process.pid}`; // a command line no other process on this machine has
    const spawnTracked = () => lab.spawn('us', args.split(' '));
    let tracked = spawnTracked();
    const { ka, us } = await start(90, [{ type: 'process', name: 'chk_proc', args, weight: 20, intervalMs: 200 }]);
    // Its first look may come before the spawned command has exec'd into `sleep`: up by the time we are master.
    expect(await us.waitFor((e) => e.event === 'trackerChange' && e.to === 'up')).toMatchObject({ tracker: 'chk_proc', type: 'process' });
    expect(await holders()).toEqual(['us']);

    let from = mark(ka, us);
    tracked.kill('SIGKILL');
    await us.waitFor((e) => e.event === 'priorityChange' && e.to === 90, 10_000, from.us);
    await keepalivedTakesOver(ka, us, 'backup', from);

    from = mark(ka, us);
    tracked = spawnTracked();
    await us.waitFor((e) => e.event === 'priorityChange' && e.to === 110, 10_000, from.us);
    await weTakeBack(ka, us, from);
    tracked.kill('SIGKILL');
    expect(await us.stop(), us.describe()).toBe(0);
  });

  // Given us at 110 with a `file` tracker (weight −1) on a file holding 0; when the file says 20 (priority 90),
  // then 0 again; then keepalived (100) takes the VIP, and we take it back.
  it("file: the file's number lowers our priority below keepalived's and back", async () => {
    const path = join(lab.tmpDir, 'weight');
    writeFileSync(path, '0\n');
    const { ka, us } = await start(110, [{ type: 'file', name: 'chk_file', path, weight: -1, intervalMs: 200 }]);
    expect(await holders()).toEqual(['us']);

    let from = mark(ka, us);
    writeFileSync(path, '20\n');
    await us.waitFor((e) => e.event === 'priorityChange' && e.to === 90, 10_000, from.us);
    await keepalivedTakesOver(ka, us, 'backup', from);

    from = mark(ka, us);
    writeFileSync(path, '0\n');
    await us.waitFor((e) => e.event === 'priorityChange' && e.to === 110, 10_000, from.us);
    await weTakeBack(ka, us, from);
    expect(await us.stop(), us.describe()).toBe(0);
  });

  // Given us at 110 with an `interface` tracker (weight 0) on another link of our host (trk0, a veth: this kernel
  // has no dummy links, and a veth is up while both its ends are); when trk0 goes down,
  // then up; then we fault (priority 0 sent) and keepalived takes the VIP; we take it back.
  it('interface: another link of ours going down faults us and keepalived serves; link up takes it back', async () => {
    await lab.exec('us', ['ip', 'link', 'add', 'trk0', 'type', 'veth', 'peer', 'name', 'trk1']);
    await lab.exec('us', ['ip', 'link', 'set', 'trk1', 'up']);
    await lab.exec('us', ['ip', 'link', 'set', 'trk0', 'up']);
    const { ka, us } = await start(110, [{ type: 'interface', name: 'chk_link', interface: 'trk0', weight: 0, intervalMs: 200 }]);
    expect(await holders()).toEqual(['us']);

    let from = mark(ka, us);
    await lab.exec('us', ['ip', 'link', 'set', 'trk0', 'down']);
    await keepalivedTakesOver(ka, us, 'fault', from);
    expect(us.events.slice(from.us).find((e) => e.event === 'stateChange' && e.to === 'fault')).toMatchObject({ reason: 'tracker-down' });

    from = mark(ka, us);
    await lab.exec('us', ['ip', 'link', 'set', 'trk0', 'up']);
    await weTakeBack(ka, us, from);
    expect(await us.stop(), us.describe()).toBe(0);
  });
});
