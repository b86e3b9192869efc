/**
 * `whileMaster`: work scoped to a mastership, with no timeout. Started once the VIPs are up, aborted when the
 * mastership ends (or on stop, or by its disposer), started again at the next mastership — one run at a time per
 * registration; failures are reported and never hold up the protocol.
 *
 * Virtual time throughout (test/instance/harness.ts): a lone instance at priority 100 becomes master at
 * 3609.375 ms. Rapid transitions use priority 254 against an owner peer (255): the peer preempts us, then resigns
 * with priority 0, and we take over again after Skew_Time = (256 − 254) / 256 s = 7.8125 ms.
 */
import { describe, expect, it } from 'vitest';
import { warningsDuring } from '../support/warnings.js';
import { VrrpError } from '../../src/errors.js';
import type { WhileMasterContext } from '../../src/instance.js';
import { MASTER_DOWN_MS, VIP, createHarness, peerAdvert, sleep, startAsMaster, stopInVirtualTime, untilAborted } from './harness.js';

/** Skew_Time at priority 254 with 1 s adverts: the takeover delay after the master resigns. */
const SKEW_254_MS = ((256 - 254) * 1000) / 256;

describe('starting and stopping with the mastership', () => {
  // Given a whileMaster registration on an instance alone on the segment
  // when it becomes master at 3609.375 ms
  // then the work starts at that instant, with the VIPs already added, state master, and the mastership's context.
  it('starts once the VIPs are up, with the transition as context', async () => {
    const harness = createHarness();
    const { instance, clock, vips } = harness;
    const seen: { atMs: number; state: string; vips: string[]; context: WhileMasterContext }[] = [];
    instance.whileMaster((signal, context) => {
      seen.push({ atMs: clock.now(), state: instance.state, vips: [...vips.addresses], context });
      return untilAborted(signal);
    });
    await instance.start();
    await clock.advance(MASTER_DOWN_MS - 1);
    expect(seen, 'started before the mastership').toEqual([]);
    await clock.advance(1);
    expect(seen).toEqual([
      { atMs: MASTER_DOWN_MS, state: 'master', vips: [VIP], context: { from: 'backup', to: 'master', reason: 'master-down-timer-expired', term: 1 } },
    ]);
    await instance.stop();
  });

  // Given a running whileMaster on a master
  // when a higher-priority peer preempts it
  // then its signal aborts at that instant with code 'aborted', and the run settles.
  it('aborts the signal when the instance leaves master', async () => {
    const harness = createHarness();
    const { instance, clock, transport } = harness;
    let signal: AbortSignal | undefined;
    let settledAtMs: number | undefined;
    instance.whileMaster(async (s) => {
      signal = s;
      await untilAborted(s);
      settledAtMs = clock.now();
    });
    await startAsMaster(harness);
    await clock.advance(500);
    expect(signal?.aborted).toBe(false);
    transport.inject(peerAdvert({ priority: 200 }));
    await clock.advance(0);
    expect(instance.state).toBe('backup');
    expect(signal?.aborted).toBe(true);
    expect((signal?.reason as VrrpError).code).toBe('aborted');
    expect(settledAtMs).toBe(MASTER_DOWN_MS + 500);
  });

  // Given a whileMaster that ran during a first mastership and was preempted
  // when the preempting master resigns (priority 0) and we take over again after Skew_Time
  // then a second run starts with term 2 and a fresh signal.
  it('starts again at the next mastership, with the next term', async () => {
    const harness = createHarness();
    const { instance, clock, transport } = harness;
    const runs: { term: number; signal: AbortSignal; atMs: number }[] = [];
    instance.whileMaster((signal, { term }) => {
      runs.push({ term, signal, atMs: clock.now() });
      return untilAborted(signal);
    });
    await startAsMaster(harness);
    transport.inject(peerAdvert({ priority: 200 }));
    await clock.advance(1000);
    transport.inject(peerAdvert({ priority: 0 }));
    const resignedAtMs = clock.now();
    await clock.advance(1000);
    expect(instance.state).toBe('master');
    expect(runs.map(({ term, atMs }) => ({ term, atMs }))).toEqual([
      { term: 1, atMs: MASTER_DOWN_MS },
      { term: 2, atMs: resignedAtMs + ((256 - 100) * 1000) / 256 },
    ]);
    expect(runs[0]?.signal.aborted).toBe(true);
    expect(runs[1]?.signal.aborted).toBe(false);
    await instance.stop();
    expect(runs[1]?.signal.aborted, 'aborted on stop').toBe(true);
  });

  // Given an instance that is already master
  // when whileMaster is registered
  // then the work starts at once, for the current mastership (term 1).
  it('starts at once when registered while master', async () => {
    const harness = createHarness();
    const { instance, clock } = harness;
    await startAsMaster(harness);
    await clock.advance(100);
    const terms: number[] = [];
    instance.whileMaster((signal, { term }) => {
      terms.push(term);
      return untilAborted(signal);
    });
    await clock.advance(0);
    expect(terms).toEqual([1]);
    await instance.stop();
  });

  // Given a running whileMaster
  // when its disposer is called
  // then its signal aborts ('whileMaster disposed'), and it does not run at the next mastership.
  it('its disposer aborts the running work and unregisters it', async () => {
    const harness = createHarness();
    const { instance, clock, transport } = harness;
    const runs: AbortSignal[] = [];
    const dispose = instance.whileMaster((signal) => {
      runs.push(signal);
      return untilAborted(signal);
    });
    await startAsMaster(harness);
    dispose();
    dispose(); // twice is harmless
    expect(runs).toHaveLength(1);
    expect(runs[0]?.aborted).toBe(true);
    expect((runs[0]?.reason as VrrpError).message).toBe('whileMaster disposed');
    expect(instance.state, 'the instance stays master').toBe('master');
    transport.inject(peerAdvert({ priority: 200 }));
    await clock.advance(100);
    transport.inject(peerAdvert({ priority: 0 }));
    await clock.advance(1000);
    expect(instance.state).toBe('master');
    expect(runs).toHaveLength(1);
    await instance.stop();
  });

  // Given two whileMaster registrations
  // when the instance becomes master, and later stops
  // then both run side by side, and both are aborted.
  it('runs several registrations side by side', async () => {
    const harness = createHarness();
    const { instance } = harness;
    const active = new Set<string>();
    const register = (name: string): void => {
      instance.whileMaster(async (signal) => {
        active.add(name);
        await untilAborted(signal);
        active.delete(name);
      });
    };
    register('serve');
    register('replicate');
    await startAsMaster(harness);
    expect([...active]).toEqual(['serve', 'replicate']);
    await instance.stop();
    expect([...active]).toEqual([]);
  });

  // Given a whileMaster that holds on for 5 s of virtual time after its abort
  // when the instance stops
  // then stop() resolves only once the work has finished.
  it('stop() waits for the work to wind down', async () => {
    const harness = createHarness();
    const { instance, clock } = harness;
    let finishedAtMs: number | undefined;
    instance.whileMaster(async (signal) => {
      await untilAborted(signal);
      await sleep(clock, 5000);
      finishedAtMs = clock.now();
    });
    await startAsMaster(harness);
    const stoppedAtMs = clock.now();
    await stopInVirtualTime(harness);
    expect(finishedAtMs).toBe(stoppedAtMs + 5000);
  });
});

describe('failures', () => {
  // Given a whileMaster that throws synchronously and one that rejects after 1 s
  // when the instance becomes master
  // then each is an `error` event with code 'while_master_failed' naming the term and carrying the cause, and
  // stats count both; the instance stays master and keeps advertising every second.
  it("reports a throw and a rejection as 'while_master_failed' and keeps running", async () => {
    const harness = createHarness();
    const { instance, clock, sendTimes } = harness;
    const boom = new Error('kaput');
    instance.whileMaster(() => {
      throw boom;
    });
    instance.whileMaster(async () => {
      await sleep(clock, 1000);
      throw new Error('lost the lease');
    });
    const errors: VrrpError[] = [];
    instance.on('error', (error) => errors.push(error));
    await startAsMaster(harness);
    await clock.advance(3000);
    expect(errors.map((error) => [error.code, error.message])).toEqual([
      ['while_master_failed', 'whileMaster work of term 1 failed: kaput'],
      ['while_master_failed', 'whileMaster work of term 1 failed: lost the lease'],
    ]);
    expect(errors[0]?.cause).toBe(boom);
    expect(instance.stats.whileMasterErrors).toBe(2);
    expect(instance.state).toBe('master');
    expect(sendTimes).toEqual([0, 1, 2, 3].map((n) => MASTER_DOWN_MS + n * 1000));
    await instance.stop();
  });

  // Given a whileMaster that threw during the first mastership
  // when the instance is preempted and becomes master again
  // then the state machine went through both transitions, and the work runs again in the second mastership.
  it('never wedges the state machine: the next mastership runs the work again', async () => {
    const harness = createHarness();
    const { instance, clock, transport } = harness;
    const terms: number[] = [];
    instance.on('error', () => {});
    instance.whileMaster((_signal, { term }) => {
      terms.push(term);
      throw new Error('kaput');
    });
    await startAsMaster(harness);
    transport.inject(peerAdvert({ priority: 200 }));
    await clock.advance(0);
    expect(instance.state).toBe('backup');
    transport.inject(peerAdvert({ priority: 0 }));
    await clock.advance(1000);
    expect(instance.state).toBe('master');
    expect(terms).toEqual([1, 2]);
    await instance.stop();
  });

  // Given whileMaster work that rejects with its signal's reason, and work that rejects with an AbortError
  // (what fetch and timers/promises do), once aborted
  // when the instance leaves master
  // then neither is reported: that is the work winding down as asked.
  it('does not report a rejection that is the abort itself', async () => {
    const harness = createHarness();
    const { instance, clock, transport } = harness;
    instance.whileMaster(async (signal) => {
      await untilAborted(signal);
      signal.throwIfAborted();
    });
    instance.whileMaster(async (signal) => {
      await untilAborted(signal);
      throw new DOMException('the operation was aborted', 'AbortError');
    });
    const errors: VrrpError[] = [];
    instance.on('error', (error) => errors.push(error));
    await startAsMaster(harness);
    transport.inject(peerAdvert({ priority: 200 }));
    await clock.advance(0);
    expect(errors).toEqual([]);
    expect(instance.stats.whileMasterErrors).toBe(0);
  });

  // Given whileMaster work that throws another error while winding down
  // when the instance leaves master
  // then that error is reported: only the abort itself is the expected way out.
  it('reports an error thrown while winding down', async () => {
    const harness = createHarness();
    const { instance, clock, transport } = harness;
    instance.whileMaster(async (signal) => {
      await untilAborted(signal);
      throw new Error('could not close the pool');
    });
    const errors: VrrpError[] = [];
    instance.on('error', (error) => errors.push(error));
    await startAsMaster(harness);
    transport.inject(peerAdvert({ priority: 200 }));
    await clock.advance(0);
    expect(errors.map((error) => error.message)).toEqual(['whileMaster work of term 1 failed: could not close the pool']);
  });

  // Given hookTimeoutMs 5000 and whileMaster work that ignores its signal and never settles
  // when the instance stops
  // then 5000 ms of virtual time after the abort it is reported ('while_master_timeout') and stop() resolves;
  // while it still has not settled, the next mastership does not start a second copy.
  it('reports work still running hookTimeoutMs after its abort, and stop() stops waiting for it', async () => {
    const harness = createHarness({ hookTimeoutMs: 5000 });
    const { instance, clock } = harness;
    let runs = 0;
    instance.whileMaster(() => {
      runs++;
      return new Promise<void>(() => {});
    });
    const errors: VrrpError[] = [];
    instance.on('error', (error) => errors.push(error));
    await startAsMaster(harness);
    const stoppedAtMs = clock.now();
    await stopInVirtualTime(harness);
    expect(clock.now()).toBe(stoppedAtMs + 5000);
    expect(errors.map((error) => [error.code, error.message])).toEqual([
      ['while_master_timeout', 'whileMaster work of term 1 did not finish within 5000 ms of its abort'],
    ]);
    await instance.start();
    await clock.advance(MASTER_DOWN_MS);
    expect(instance.state).toBe('master');
    expect(instance.term).toBe(2);
    expect(runs, 'a second copy started while the first still runs').toBe(1);
    await stopInVirtualTime(harness);
  });
});

describe('ordering under rapid transitions', () => {
  // Given priority 254, an onMaster and an onBackup hook, and whileMaster work that takes 20 ms to wind down
  // when an owner peer preempts us and resigns 1 ms later (we are master again 7.8125 ms after that)
  // then the second run starts only when the first has settled (no overlap, term 2), and the hooks ran in
  // transition order: master (term 1), backup, master (term 2).
  it('starts the next run of a registration only after the previous one settled', async () => {
    const harness = createHarness({ priority: 254 });
    const { instance, clock, transport } = harness;
    const hooks: string[] = [];
    const runs: string[] = [];
    let active = 0;
    instance.onMaster(({ term }) => {
      hooks.push(`onMaster term ${term} @${clock.now()}`);
    });
    instance.onBackup(({ term }) => {
      hooks.push(`onBackup term ${term} @${clock.now()}`);
    });
    instance.whileMaster(async (signal, { term }) => {
      active++;
      runs.push(`run ${term} start @${clock.now()} active ${active}`);
      await untilAborted(signal);
      await sleep(clock, 20);
      runs.push(`run ${term} end @${clock.now()}`);
      active--;
    });
    await startAsMaster(harness);
    const firstMs = 3000 + SKEW_254_MS; // the Master_Down_Interval at priority 254
    const t0 = clock.now();
    transport.inject(peerAdvert({ priority: 255 }));
    await clock.advance(1);
    transport.inject(peerAdvert({ priority: 0 }));
    await clock.advance(SKEW_254_MS);
    expect(instance.state).toBe('master');
    expect(instance.term).toBe(2);
    await clock.advance(100);
    const secondMs = t0 + 1 + SKEW_254_MS;
    expect(hooks).toEqual(['onBackup term 0 @0', `onMaster term 1 @${firstMs}`, `onBackup term 1 @${t0}`, `onMaster term 2 @${secondMs}`]);
    expect(runs).toEqual([`run 1 start @${firstMs} active 1`, `run 1 end @${t0 + 20}`, `run 2 start @${t0 + 20} active 1`]);
    expect(t0 + 20, 'the second mastership began while the first run still wound down').toBeGreaterThan(secondMs);
    await stopInVirtualTime(harness);
  });

  // Given the same work (20 ms to wind down)
  // when the second mastership lasts only 2 ms and a third one follows
  // then the second mastership's run is skipped (its mastership ended while the first run wound down) and the
  // third mastership's run starts once the first settled.
  it('skips the run of a mastership that ended while the previous run wound down', async () => {
    const harness = createHarness({ priority: 254 });
    const { instance, clock, transport } = harness;
    const starts: number[] = [];
    instance.whileMaster(async (signal, { term }) => {
      starts.push(term);
      await untilAborted(signal);
      await sleep(clock, 20);
    });
    await startAsMaster(harness);
    for (let i = 0; i < 2; i++) {
      transport.inject(peerAdvert({ priority: 255 }));
      await clock.advance(1);
      transport.inject(peerAdvert({ priority: 0 }));
      await clock.advance(SKEW_254_MS);
      expect(instance.state).toBe('master');
    }
    expect(instance.term).toBe(3);
    await clock.advance(100);
    expect(starts).toEqual([1, 3]);
    await stopInVirtualTime(harness);
  });
});

describe('a whileMaster failure nobody listens for', () => {
  // Given an instance with no `error` listener and whileMaster work that throws
  // when the instance becomes master
  // then the failure is not silent: it becomes a process warning naming the code.
  it('becomes a process warning', async () => {
    const harness = createHarness();
    const { instance } = harness;
    instance.whileMaster(() => {
      throw new Error('kaput');
    });
    const warnings = await warningsDuring(async () => {
      await startAsMaster(harness);
      await harness.clock.advance(0);
    });
    expect(warnings.map((warning) => warning.message)).toContain('whileMaster work of term 1 failed: kaput');
    expect(instance.stats.whileMasterErrors).toBe(1);
    await instance.stop();
  });
});
