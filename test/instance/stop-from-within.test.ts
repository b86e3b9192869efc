/**
 * `stop()` called from the instance's own hook or `whileMaster` work: the engine stops at once, and the call does not
 * wait for the hook queue or the whileMaster run it was called from — each of which waits on that very call, so
 * before it waited hookTimeoutMs and then reported a false `hook_timeout` / `while_master_timeout`
 * (`vrrp.onFault(async () => { await vrrp.stop(); process.exit(1); })`).
 *
 * Virtual time throughout (test/instance/harness.ts); hookTimeoutMs 5000, so a stop() that waits on itself is still
 * pending after the instant the test looks at.
 */
import { describe, expect, it } from 'vitest';
import type { HookErrorEvent } from '../../src/instance.js';
import type { VrrpError } from '../../src/errors.js';
import { MASTER_DOWN_MS, createHarness, sleep, startAsMaster, untilAborted } from './harness.js';

/** Every hookError and error the instance reports, as `code` strings. */
function failures(instance: ReturnType<typeof createHarness>['instance']): string[] {
  const seen: string[] = [];
  instance.on('hookError', (event: HookErrorEvent) => seen.push(`hookError ${event.error.code}`));
  instance.on('error', (error: VrrpError) => seen.push(`error ${error.code}`));
  return seen;
}

describe('stop() from within the instance', () => {
  // Given an onBackup hook that stops the instance and awaits the stop
  // when the instance starts (backup at once)
  // then the stop settles in the same virtual instant, the instance is stopped, and nothing is reported.
  it('stop() called from an onBackup hook settles at once, with no hook_timeout', async () => {
    const harness = createHarness({ hookTimeoutMs: 5000 });
    const { instance, clock } = harness;
    const seen = failures(instance);
    let stopSettled = false;
    instance.onBackup(async () => {
      await instance.stop();
      stopSettled = true;
    });
    await instance.start();
    await clock.advance(0);
    expect(stopSettled, 'stop() from the onBackup hook is still waiting (on that hook)').toBe(true);
    expect({ state: instance.state, running: instance.running, open: harness.transport.isOpen }).toEqual({ state: 'initialize', running: false, open: false });
    await clock.advance(10_000);
    expect(seen, 'a hook that stopped the instance was reported').toEqual([]);
  });

  // Given whileMaster work that stops the instance and awaits the stop
  // when the instance becomes master (and the work starts)
  // then the stop settles in the same virtual instant, the VIP is removed, and no while_master_timeout follows.
  it('stop() called from whileMaster work settles at once, with no while_master_timeout', async () => {
    const harness = createHarness({ hookTimeoutMs: 5000 });
    const { instance, clock, vips } = harness;
    const seen = failures(instance);
    let stopSettled = false;
    instance.whileMaster(async () => {
      await instance.stop();
      stopSettled = true;
    });
    await instance.start();
    await clock.advanceTo(MASTER_DOWN_MS);
    expect(stopSettled, 'stop() from the whileMaster work is still waiting (on that work)').toBe(true);
    expect({ state: instance.state, vips: vips.addresses.size }).toEqual({ state: 'initialize', vips: 0 });
    await clock.advance(10_000);
    expect(seen, 'work that stopped the instance was reported').toEqual([]);
  });

  // Given an onBackup hook that stops the instance and then records, and an onStop hook that records
  // when the instance starts
  // then the onStop hook runs after the hook that called stop() has returned: hooks still run in order.
  it('runs the onStop hooks once the hook that called stop() has returned', async () => {
    const harness = createHarness({ hookTimeoutMs: 5000 });
    const { instance, clock } = harness;
    const order: string[] = [];
    instance.onBackup(async () => {
      await instance.stop();
      order.push('backup hook returns');
    });
    instance.onStop(() => {
      order.push('stop hook');
    });
    await instance.start();
    await clock.advance(0);
    expect(order).toEqual(['backup hook returns', 'stop hook']);
  });

  // Given a master whose onStop hook calls stop() again, when the app stops it
  // then both stops settle in the same virtual instant and nothing is reported.
  it('stop() called from an onStop hook does not wait on that hook', async () => {
    const harness = createHarness({ hookTimeoutMs: 5000 });
    const { instance, clock } = harness;
    const seen = failures(instance);
    let innerSettled = false;
    instance.onStop(async () => {
      await instance.stop();
      innerSettled = true;
    });
    await startAsMaster(harness);
    let outerSettled = false;
    void instance.stop().then(() => (outerSettled = true));
    await clock.advance(0);
    expect({ innerSettled, outerSettled }, 'a stop is waiting on the onStop hook that called it').toEqual({ innerSettled: true, outerSettled: true });
    await clock.advance(10_000);
    expect(seen).toEqual([]);
  });

  // Given a master with an onMaster hook that waits for its signal, and whileMaster work that stops the instance
  // 100 ms into the mastership
  // then the onMaster hook's signal is aborted, as any stop aborts the hooks of the state it ends.
  it('still aborts the other hooks of the state it stops', async () => {
    const harness = createHarness({ hookTimeoutMs: 5000 });
    const { instance, clock } = harness;
    let otherAborted = false;
    instance.onMaster(async ({ signal }) => {
      await untilAborted(signal);
      otherAborted = true;
    });
    instance.whileMaster(async () => {
      await sleep(clock, 100);
      await instance.stop();
    });
    await startAsMaster(harness);
    await clock.advance(100);
    expect({ otherAborted, state: instance.state }).toEqual({ otherAborted: true, state: 'initialize' });
  });
});
