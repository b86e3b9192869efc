/**
 * A VirtualClock timer runs in the async context it was set in, as the system clock's setTimeout does. Without it,
 * a hook that called `stop()` from a timer on the virtual clock was not known as the instance's own hook (stop()
 * tells by async context), so the stop waited for the hook that waited for it: a hook_timeout in the sim that
 * production never shows.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import type { HookErrorEvent } from '../../src/instance.js';
import { VrrpInstance } from '../../src/instance.js';
import { FakeTransport, FakeVipManager, VirtualClock } from '../../src/testing/index.js';

describe('VirtualClock timers and async context', () => {
  // Given a timer set inside als.run('x'); when it fires; then its callback sees the store 'x'.
  it('runs a timer callback in the async context it was set in', async () => {
    const clock = new VirtualClock();
    const als = new AsyncLocalStorage<string>();
    let seen: string | undefined = 'not called';
    als.run('x', () => clock.setTimer(10, () => (seen = als.getStore())));
    await clock.advance(10);
    expect(seen, 'the timer callback lost the context it was set in').toBe('x');
  });

  // Given a timer set outside any context, after another was set inside one; then it sees no store.
  it('runs a timer set outside any context with no store', async () => {
    const clock = new VirtualClock();
    const als = new AsyncLocalStorage<string>();
    let seen: string | undefined = 'not called';
    als.run('x', () => clock.setTimer(5, () => {}));
    clock.setTimer(10, () => (seen = als.getStore()));
    await clock.advance(10);
    expect(seen, 'a context leaked into a timer set outside it').toBeUndefined();
  });

  // Given an onBackup hook that stops its instance from a timer on the virtual clock and awaits that stop;
  // when the instance starts (backup at once) and the timer fires; then the stop settles at that instant and no
  // hook_timeout follows (hookTimeoutMs 5000).
  it('lets a hook stop its instance from a virtual timer without a hook_timeout', async () => {
    const clock = new VirtualClock();
    const transport = new FakeTransport({ primaryAddress: '192.0.2.1' });
    const config = { interface: 'eth0', vrid: 51, virtualAddresses: ['192.0.2.100/24'], hookTimeoutMs: 5000 };
    const instance = new VrrpInstance(config, { transport, vipManager: new FakeVipManager(), clock });
    const hookErrors: string[] = [];
    instance.on('hookError', (event: HookErrorEvent) => hookErrors.push(event.error.code));
    let stopSettled = false;
    instance.onBackup(async () => {
      await new Promise<void>((resolve, reject) => clock.setTimer(10, () => void instance.stop().then(resolve, reject)));
      stopSettled = true;
    });
    await instance.start();
    await clock.advance(10);
    expect(stopSettled, 'stop() from the hook\'s timer waits on that hook').toBe(true);
    expect(instance.running).toBe(false);
    await clock.advance(10_000);
    expect(hookErrors, 'the hook that stopped its instance was reported').toEqual([]);
  });
});
