/**
 * Hooks (onMaster / onBackup / onFault): run in transition order, one at a time, each awaited up to hookTimeoutMs of
 * the instance's clock; failures are reported and never stop the protocol; they never hold up advertisements.
 */
import { describe, expect, it } from 'vitest';
import { vrrpWarningsDuring } from '../support/warnings.js';
import type { HookContext, HookErrorEvent } from '../../src/instance.js';
import { VrrpError } from '../../src/errors.js';
import { MASTER_DOWN_MS, createHarness, peerAdvert, sleep, startAsMaster, untilAborted } from './harness.js';

describe('order and awaiting', () => {
  // Given an onMaster hook that takes 2 s of virtual time and an onBackup hook
  // when the instance becomes master and, while that hook still runs, is preempted back to backup
  // then the onBackup hook starts only after the onMaster hook has finished.
  it('runs the hook of the next transition only after the slow hook of the previous one finished', async () => {
    const harness = createHarness();
    const { instance, clock, transport } = harness;
    const log: string[] = [];
    instance.onMaster(async () => {
      log.push('master:start');
      await sleep(clock, 2000);
      log.push('master:end');
    });
    instance.onBackup(() => {
      log.push(`backup@${clock.now()}`);
    });
    await startAsMaster(harness);
    transport.inject(peerAdvert({ priority: 200 }));
    await clock.advance(0);
    expect(instance.state).toBe('backup');
    expect(log, 'backup hook must wait for the running master hook').toEqual(['backup@0', 'master:start']);
    await clock.advance(2000);
    expect(log).toEqual(['backup@0', 'master:start', 'master:end', `backup@${MASTER_DOWN_MS + 2000}`]);
  });

  // Given two onMaster hooks, the first taking 1 s of virtual time
  // when the instance becomes master
  // then the second starts only once the first has resolved.
  it('awaits each hook before starting the next one of the same transition', async () => {
    const harness = createHarness();
    const { instance, clock } = harness;
    const log: string[] = [];
    instance.onMaster(async () => {
      log.push('first:start');
      await sleep(clock, 1000);
      log.push('first:end');
    });
    instance.onMaster(() => {
      log.push('second');
    });
    await startAsMaster(harness);
    expect(log).toEqual(['first:start']);
    await clock.advance(1000);
    expect(log).toEqual(['first:start', 'first:end', 'second']);
  });

  // Given onMaster and onBackup hooks
  // when the instance goes backup (start) → master (timer) → backup (preempted by 192.0.2.2)
  // then each hook receives the from/to/reason of its transition, and the peer when one caused it.
  it('passes the transition to the hook', async () => {
    const harness = createHarness();
    const { instance, clock, transport } = harness;
    const contexts: Omit<HookContext, 'signal'>[] = [];
    const record = ({ signal: _signal, ...rest }: HookContext): void => {
      contexts.push(rest);
    };
    instance.onMaster(record);
    instance.onBackup(record);
    await startAsMaster(harness);
    transport.inject(peerAdvert({ priority: 200 }));
    await clock.advance(0);
    expect(contexts).toEqual([
      { from: 'initialize', to: 'backup', reason: 'startup', term: 0 },
      { from: 'backup', to: 'master', reason: 'master-down-timer-expired', term: 1 },
      { from: 'master', to: 'backup', reason: 'higher-priority-advertisement', peer: '192.0.2.2', term: 1 },
    ]);
  });
});

describe('failures', () => {
  // Given an onMaster hook that throws
  // when the instance becomes master
  // then a hookError with code 'hook_failed' names the state and carries the cause, and stats count it.
  it("reports a throwing hook as hookError 'hook_failed'", async () => {
    const harness = createHarness();
    const { instance } = harness;
    const boom = new Error('kaput');
    instance.onMaster(() => {
      throw boom;
    });
    const errors: HookErrorEvent[] = [];
    instance.on('hookError', (event) => errors.push(event));
    await startAsMaster(harness);
    await harness.clock.advance(0);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.state).toBe('master');
    expect(errors[0]?.error).toBeInstanceOf(VrrpError);
    expect(errors[0]?.error.code).toBe('hook_failed');
    expect(errors[0]?.error.message).toContain('kaput');
    expect(errors[0]?.error.cause).toBe(boom);
    expect(instance.stats.hookErrors).toBe(1);
  });

  // Given an onMaster hook that throws and nobody listening for 'hookError'
  // then the failure is a process warning (eventemitter3 drops an unheard event), not a counter alone.
  it('turns a hook failure nobody listens for into a process warning', async () => {
    const harness = createHarness();
    harness.instance.onMaster(() => {
      throw new Error('kaput');
    });
    const warnings = await vrrpWarningsDuring(async () => {
      await startAsMaster(harness);
      await harness.clock.advance(0);
    });
    expect(warnings.map((warning) => warning.code)).toEqual(['VRRP_HOOK_FAILED']);
    expect(warnings[0]?.message).toContain('kaput');
    expect(harness.instance.stats.hookErrors).toBe(1);
  });

  // Given an onMaster hook that rejects, and a second onMaster hook
  // when the instance becomes master
  // then the second hook still runs.
  it('runs the remaining hooks of a transition after one rejects', async () => {
    const harness = createHarness();
    const { instance } = harness;
    let secondRan = false;
    instance.onMaster(async () => {
      throw new Error('kaput');
    });
    instance.onMaster(() => {
      secondRan = true;
    });
    await startAsMaster(harness);
    await harness.clock.advance(0);
    expect(secondRan).toBe(true);
  });

  // Given an onMaster hook that throws
  // when the instance becomes master and is then preempted
  // then it still goes back to backup and the onBackup hook of that transition runs.
  it('keeps the state machine and later hooks going after a hook throws', async () => {
    const harness = createHarness();
    const { instance, clock, transport } = harness;
    instance.onMaster(() => {
      throw new Error('kaput');
    });
    const backupReasons: string[] = [];
    instance.onBackup(({ reason }) => {
      backupReasons.push(reason);
    });
    await startAsMaster(harness);
    transport.inject(peerAdvert({ priority: 200 }));
    await clock.advance(0);
    expect(instance.state).toBe('backup');
    expect(backupReasons).toEqual(['startup', 'higher-priority-advertisement']);
  });

  // Given hookTimeoutMs 5000 and an onMaster hook that never resolves
  // when the instance has been master for 4999 ms and then for 5000 ms of virtual time
  // then nothing is reported at 4999 ms and a hookError 'hook_timeout' is reported at 5000 ms.
  it("reports a hook that never resolves as 'hook_timeout' after hookTimeoutMs of virtual time", async () => {
    const harness = createHarness({ hookTimeoutMs: 5000 });
    const { instance, clock } = harness;
    instance.onMaster(() => new Promise<void>(() => {}));
    const errors: HookErrorEvent[] = [];
    instance.on('hookError', (event) => errors.push(event));
    await startAsMaster(harness);
    await clock.advance(4999);
    expect(errors, 'reported before hookTimeoutMs had passed').toEqual([]);
    await clock.advance(1);
    expect(errors.map((event) => [event.state, event.error.code])).toEqual([['master', 'hook_timeout']]);
    expect(instance.stats.hookErrors).toBe(1);
  });

  // Given hookTimeoutMs 5000, an onMaster hook that never resolves and a second onMaster hook
  // when the first times out
  // then the second runs at that virtual instant.
  it('runs the next hook once a hanging hook has timed out', async () => {
    const harness = createHarness({ hookTimeoutMs: 5000 });
    const { instance, clock } = harness;
    instance.onMaster(() => new Promise<void>(() => {}));
    const secondRanAt: number[] = [];
    instance.onMaster(() => {
      secondRanAt.push(clock.now());
    });
    await startAsMaster(harness);
    await clock.advance(10_000);
    expect(secondRanAt).toEqual([MASTER_DOWN_MS + 5000]);
  });

  // Given hookTimeoutMs 5000 and an onMaster hook that never resolves
  // when it times out
  // then its signal is aborted with the hook_timeout error, so the hook can clean up.
  it("aborts a timed-out hook's signal", async () => {
    const harness = createHarness({ hookTimeoutMs: 5000 });
    const { instance, clock } = harness;
    let signal: AbortSignal | undefined;
    instance.onMaster((context) => {
      signal = context.signal;
      return new Promise<void>(() => {});
    });
    await startAsMaster(harness);
    await clock.advance(5000);
    expect(signal?.aborted).toBe(true);
    expect((signal?.reason as VrrpError).code).toBe('hook_timeout');
  });
});

describe('signal', () => {
  // Given an onMaster hook that waits on its signal
  // when the instance is preempted and leaves master
  // then the signal is aborted (code 'aborted') at that moment.
  it('aborts the hook signal when the instance leaves the state', async () => {
    const harness = createHarness();
    const { instance, clock, transport } = harness;
    let signal: AbortSignal | undefined;
    instance.onMaster((context) => {
      signal = context.signal;
      return untilAborted(context.signal);
    });
    await startAsMaster(harness);
    await clock.advance(0);
    expect(signal?.aborted, 'aborted while still master').toBe(false);
    transport.inject(peerAdvert({ priority: 200 }));
    await clock.advance(0);
    expect(instance.state).toBe('backup');
    expect(signal?.aborted).toBe(true);
    expect((signal?.reason as VrrpError).code).toBe('aborted');
  });

  // Given an onMaster hook that waits on its signal
  // when the instance stops
  // then the signal is aborted and stop() resolves once the hook has finished.
  it('aborts the hook signal on stop and awaits the hook', async () => {
    const harness = createHarness();
    const { instance, clock } = harness;
    let finished = false;
    instance.onMaster(async ({ signal }) => {
      await untilAborted(signal);
      finished = true;
    });
    await startAsMaster(harness);
    await clock.advance(0);
    await instance.stop();
    expect(finished).toBe(true);
  });
});

describe('isolation from the protocol', () => {
  // Given an onMaster hook that hangs until stop (hookTimeoutMs 60 s)
  // when the instance is master for 5 s of virtual time
  // then advertisements still go out every 1000 ms from the moment it became master.
  it('keeps advertising every interval while an onMaster hook hangs', async () => {
    const harness = createHarness({ hookTimeoutMs: 60_000 });
    const { instance, clock, sendTimes } = harness;
    let hookStarted = false;
    instance.onMaster(({ signal }) => {
      hookStarted = true;
      return untilAborted(signal);
    });
    await startAsMaster(harness);
    await clock.advance(5000);
    expect(hookStarted).toBe(true);
    expect(sendTimes).toEqual([0, 1, 2, 3, 4, 5].map((n) => MASTER_DOWN_MS + n * 1000));
    await instance.stop();
  });

  // Given an onMaster hook that hangs until stop
  // when a higher-priority peer preempts the master
  // then the VIPs are removed at once, without waiting for the hook.
  it('removes the VIPs on preemption while an onMaster hook hangs', async () => {
    const harness = createHarness({ hookTimeoutMs: 60_000 });
    const { instance, clock, transport, vips } = harness;
    instance.onMaster(({ signal }) => untilAborted(signal));
    await startAsMaster(harness);
    await clock.advance(100);
    transport.inject(peerAdvert({ priority: 200 }));
    await clock.advance(0);
    expect([...vips.addresses]).toEqual([]);
    await instance.stop();
  });
});

describe('unsubscribe', () => {
  // Given two onMaster hooks, one of them unsubscribed before start
  // when the instance becomes master
  // then only the one still subscribed runs.
  it('does not run a hook after its unsubscribe function was called', async () => {
    const harness = createHarness();
    const { instance } = harness;
    const ran: string[] = [];
    const unsubscribe = instance.onMaster(() => {
      ran.push('removed');
    });
    instance.onMaster(() => {
      ran.push('kept');
    });
    unsubscribe();
    await startAsMaster(harness);
    await harness.clock.advance(0);
    expect(ran).toEqual(['kept']);
  });

  // Given an onBackup hook unsubscribed after it ran once
  // when the instance goes backup again
  // then it does not run the second time.
  it('stops running a hook from the next transition on', async () => {
    const harness = createHarness();
    const { instance, clock, transport } = harness;
    let runs = 0;
    const unsubscribe = instance.onBackup(() => {
      runs++;
    });
    await startAsMaster(harness);
    expect(runs).toBe(1);
    unsubscribe();
    transport.inject(peerAdvert({ priority: 200 }));
    await clock.advance(0);
    expect(instance.state).toBe('backup');
    expect(runs).toBe(1);
  });
});
