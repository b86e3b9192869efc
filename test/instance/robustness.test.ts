/**
 * What an app's mistakes must never do to the protocol: a throwing listener, a check that hangs and ignores its
 * signal, a hook for a state already left, a stop before the first transition, a crash in the simulator while a
 * hook hangs. Each was found in review; each test pins the fix.
 */
import { describe, expect, it } from 'vitest';
import type { VrrpError } from '../../src/errors.js';
import { SimNetwork } from '../../src/testing/index.js';
import { MASTER_DOWN_MS, createHarness, decodeSent, peerAdvert, sleep, startAsMaster, untilAborted } from './harness.js';

describe('app mistakes do not stop the protocol', () => {
  // Given a `master` listener that throws
  // when the instance becomes master and time passes
  // then advertisements keep going every interval, the throw is reported as a listener_failed error, and stop
  // still sends priority 0.
  it('a throwing listener is reported and the engine keeps advertising', async () => {
    const h = createHarness();
    const errors: VrrpError[] = [];
    h.instance.on('error', (error) => errors.push(error));
    h.instance.on('master', () => {
      throw new Error('app bug');
    });
    await startAsMaster(h);
    const sentAtMaster = h.transport.sent.length;
    await h.clock.advance(5000);
    expect(h.transport.sent.length - sentAtMaster).toBe(5);
    expect(errors.map((error) => [error.code, error.message])).toEqual([['listener_failed', 'a master listener threw: app bug']]);
    await h.instance.stop();
    expect(decodeSent(h.transport.sent.at(-1)).priority).toBe(0);
  });

  // Given a check that never settles and ignores its signal (interval 1000 ms, timeout 500 ms)
  // when 10 s pass
  // then it was called once: the timeout reported a failure, and no second check started on top of the hung one.
  it('a hung check is never overlapped by the next one', async () => {
    let calls = 0;
    const h = createHarness({ trackers: [{ type: 'function', name: 'hung', weight: -10, intervalMs: 1000, timeoutMs: 500, check: () => { calls++; return new Promise<boolean>(() => {}); } }] });
    await h.instance.start();
    await h.clock.advance(10_000);
    expect(calls).toBe(1);
    expect(h.instance.effectivePriority).toBe(90);
    await h.instance.stop();
  });

  // Given two onMaster hooks, the first slow (1 s); when the instance loses mastership 100 ms after winning it
  // then the running hook is aborted and awaited, the second onMaster hook is skipped (that mastership is over),
  // and the onBackup hook runs.
  it('hooks of a state already left are skipped', async () => {
    const h = createHarness();
    const log: string[] = [];
    h.instance.onMaster(async ({ signal }) => {
      log.push('master 1 start');
      await Promise.race([sleep(h.clock, 1000), untilAborted(signal)]);
      log.push(`master 1 end (aborted: ${signal.aborted})`);
    });
    h.instance.onMaster(() => void log.push('master 2'));
    h.instance.onBackup(() => void log.push('backup'));
    await startAsMaster(h);
    await h.clock.advance(100);
    h.transport.inject(peerAdvert({ priority: 200 }));
    await h.clock.advance(2000);
    expect(log).toEqual(['backup', 'master 1 start', 'master 1 end (aborted: true)', 'backup']);
    await h.instance.stop();
  });
});

describe('SimNetwork crashes with hanging hooks', () => {
  // Given a master whose onMaster hook never settles and ignores its signal (hookTimeoutMs 2000)
  // when it is killed, then revived, while virtual time advances
  // then kill returns without deadlocking, the backup takes over, and the revived node comes back.
  it('kill does not wait in real time for a virtual hook timeout', async () => {
    const net = new SimNetwork({ seed: 3 });
    const base = { interface: 'eth0', vrid: 9, virtualAddresses: ['10.0.0.100'], hookTimeoutMs: 2000 };
    const a = net.addNode({ ...base, priority: 200 }, { address: '10.0.0.1', name: 'a' });
    const b = net.addNode({ ...base, priority: 100 }, { address: '10.0.0.2', name: 'b' });
    a.onMaster(() => new Promise(() => {}));
    await net.advance(MASTER_DOWN_MS + 100);
    expect(net.masters()).toEqual([a]);
    await net.kill(a);
    await net.advance(5000);
    expect(net.masters()).toEqual([b]);
    await net.revive(a);
    await net.advance(5000);
    expect(net.masters()).toEqual([a]);
    await net.stopAll();
  });
});
