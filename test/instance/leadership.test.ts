/**
 * Who leads, as the app sees it: `term` (this instance's mastership count, only growing), `master` and
 * `masterChange` (the master as last heard), `lowerMasterHeard` (a healed split brain) and `onStop`.
 *
 * Virtual time throughout: the instance harness (a lone instance at priority 100 on 192.0.2.1, master at
 * 3609.375 ms, a peer 192.0.2.2 played by hand) and `SimNetwork` for failovers between real instances.
 */
import { describe, expect, it } from 'vitest';
import type { HookErrorEvent, LowerMasterHeardEvent, MasterChangeEvent, StateChangeEvent, VrrpInstance, VrrpMaster } from '../../src/instance.js';
import { SimNetwork } from '../../src/testing/index.js';
import { MASTER_DOWN_MS, PEER, PRIMARY, createHarness, peerAdvert, sleep, startAsMaster, stopInVirtualTime, untilAborted } from './harness.js';

/** Read through a function: an assertion on `instance.state` would narrow it for the rest of the test. */
const stateOf = (instance: VrrpInstance): string => instance.state;
const self = (priority = 100): VrrpMaster => ({ address: PRIMARY, priority, advertIntervalMs: 1000, self: true });
const peer = (priority: number, advertIntervalMs = 1000): VrrpMaster => ({ address: PEER, priority, advertIntervalMs, self: false });

describe('term', () => {
  // Given a new instance
  // when it starts, becomes master, is preempted, takes over again, stops and is started again to master
  // then its term reads 0, 1, 1, 2, 2, 3: incremented at each transition to master only, never reset.
  it('grows by one at each mastership, across stop and start', async () => {
    const harness = createHarness();
    const { instance, clock, transport } = harness;
    const terms: number[] = [instance.term];
    await instance.start();
    terms.push(instance.term);
    await clock.advance(MASTER_DOWN_MS);
    terms.push(instance.term);
    transport.inject(peerAdvert({ priority: 200 }));
    await clock.advance(0);
    terms.push(instance.term);
    transport.inject(peerAdvert({ priority: 0 }));
    await clock.advance(1000);
    terms.push(instance.term);
    await instance.stop();
    terms.push(instance.term);
    await instance.start();
    await clock.advance(MASTER_DOWN_MS);
    terms.push(instance.term);
    expect(terms).toEqual([0, 0, 1, 1, 2, 2, 3]);
    await instance.stop();
  });

  // Given an instance with onMaster / onBackup hooks and a stateChange listener
  // when it goes backup → master → backup (preempted) → stop
  // then every event and hook context carries the term: the new one on `master`, the latest one after it.
  it('is carried by every state event and hook context', async () => {
    const harness = createHarness();
    const { instance, clock, transport } = harness;
    const events: [string, number][] = [];
    const hooks: [string, number][] = [];
    instance.on('stateChange', ({ to, term }) => events.push([to, term]));
    instance.on('stop', ({ term }) => events.push(['stop event', term]));
    instance.onMaster(({ term }) => void hooks.push(['master', term]));
    instance.onBackup(({ term }) => void hooks.push(['backup', term]));
    instance.onStop(({ term }) => void hooks.push(['stop', term]));
    await startAsMaster(harness);
    transport.inject(peerAdvert({ priority: 200 }));
    await clock.advance(0);
    await instance.stop();
    expect(events).toEqual([
      ['backup', 0],
      ['master', 1],
      ['backup', 1],
      ['initialize', 1],
      ['stop event', 1],
    ]);
    expect(hooks).toEqual([
      ['backup', 0],
      ['master', 1],
      ['backup', 1],
      ['stop', 1],
    ]);
  });
});

describe('master and masterChange', () => {
  // Given a started backup
  // when it hears 192.0.2.2 at 200 (ten times), then at 150, then 192.0.2.2 resigns with priority 0
  // then `master` reads undefined, peer 200, peer 150, undefined, with one masterChange per change — none for the
  // nine repeated adverts.
  it('follows the master heard by a backup, one event per change', async () => {
    const harness = createHarness();
    const { instance, clock, transport } = harness;
    const changes: MasterChangeEvent[] = [];
    instance.on('masterChange', (event) => changes.push(event));
    await instance.start();
    expect(instance.master).toBeUndefined();
    for (let i = 0; i < 10; i++) {
      transport.inject(peerAdvert({ priority: 200 }));
      await clock.advance(100);
    }
    expect(instance.master).toEqual(peer(200));
    transport.inject(peerAdvert({ priority: 150 }));
    await clock.advance(100);
    expect(instance.master).toEqual(peer(150));
    transport.inject(peerAdvert({ priority: 0 }));
    await clock.advance(100);
    expect(instance.master).toBeUndefined();
    expect(changes).toEqual([
      { from: undefined, to: peer(200) },
      { from: peer(200), to: peer(150) },
      { from: peer(150), to: undefined },
    ]);
    await instance.stop();
  });

  // Given a backup that hears 192.0.2.2 at 200
  // when that master goes silent and we take over, then it comes back and preempts us, then we stop
  // then `master` reads peer → self → peer → undefined; each masterChange follows the events of its transition,
  // and during `master` listeners `instance.master` already names us (state and master always agree).
  it('names ourselves when we take over, the preempting peer when we yield, and nobody once stopped', async () => {
    const harness = createHarness();
    const { instance, clock, transport } = harness;
    const log: string[] = [];
    const who = (master: VrrpMaster | undefined): string => (master === undefined ? 'unknown' : master.self ? 'self' : `${master.address}@${master.priority}`);
    instance.on('stateChange', ({ to }) => log.push(`stateChange ${to} (master: ${who(instance.master)})`));
    instance.on('masterChange', ({ from, to }) => log.push(`masterChange ${who(from)} → ${who(to)} (state: ${instance.state})`));
    await instance.start();
    transport.inject(peerAdvert({ priority: 200 }));
    await clock.advance(MASTER_DOWN_MS); // the peer goes silent: we take over
    expect(instance.master).toEqual(self());
    transport.inject(peerAdvert({ priority: 200 }));
    await clock.advance(0);
    expect(instance.master).toEqual(peer(200));
    await instance.stop();
    expect(instance.master).toBeUndefined();
    expect(log).toEqual([
      'stateChange backup (master: unknown)',
      'masterChange unknown → 192.0.2.2@200 (state: backup)',
      'stateChange master (master: self)',
      'masterChange 192.0.2.2@200 → self (state: master)',
      'stateChange backup (master: 192.0.2.2@200)',
      'masterChange self → 192.0.2.2@200 (state: backup)',
      'stateChange initialize (master: unknown)',
      'masterChange 192.0.2.2@200 → unknown (state: initialize)',
    ]);
  });

  // Given a master at 100 with a function tracker of weight -20
  // when the tracker fails
  // then `master` reads ourselves at 80, reported by masterChange after priorityChange.
  it('reports our own new priority while master', async () => {
    let healthy = true;
    const harness = createHarness({ trackers: [{ type: 'function', name: 'db', weight: -20, check: () => healthy }] });
    const { instance, clock } = harness;
    const log: string[] = [];
    instance.on('priorityChange', ({ to }) => log.push(`priority ${to}`));
    instance.on('masterChange', ({ to }) => log.push(`master ${to?.priority}`));
    await startAsMaster(harness);
    healthy = false;
    await clock.advance(1000);
    expect(instance.master).toEqual(self(80));
    expect(log).toEqual(['master 100', 'priority 80', 'master 80']);
    await instance.stop();
  });

  // Given SimNetwork nodes a (10.0.0.1, priority 200) and b (10.0.0.2, 100)
  // when they converge, a crashes, b takes over, and a is revived and preempts back
  // then both nodes' `master` and masterChange events tell that story from each side.
  it('tells a scripted failover from both sides', async () => {
    const net: SimNetwork = new SimNetwork({ seed: 7, latencyMs: 1 });
    const vip = ['10.0.0.100/24'];
    const a = net.addNode({ interface: 'eth0', vrid: 1, priority: 200, virtualAddresses: vip }, { address: '10.0.0.1', name: 'a' });
    const b = net.addNode({ interface: 'eth0', vrid: 1, priority: 100, virtualAddresses: vip }, { address: '10.0.0.2', name: 'b' });
    const seen = (instance: VrrpInstance): string[] => {
      const lines: string[] = [];
      instance.on('masterChange', ({ to }) => lines.push(to === undefined ? 'unknown' : `${to.address}@${to.priority}${to.self ? ' (self)' : ''}`));
      return lines;
    };
    const aSaw = seen(a);
    const bSaw = seen(b);
    const A = { address: '10.0.0.1', priority: 200, advertIntervalMs: 1000 };
    const B = { address: '10.0.0.2', priority: 100, advertIntervalMs: 1000 };
    await net.advance(5000);
    net.assert(a.state === 'master', 'a is master');
    expect(a.master).toEqual({ ...A, self: true });
    expect(b.master).toEqual({ ...A, self: false });
    await net.kill(a);
    await net.advance(5000);
    net.assert(b.state === 'master', 'b took over');
    expect(b.master).toEqual({ ...B, self: true });
    expect(a.master).toBeUndefined();
    await net.revive(a);
    await net.advance(5000);
    net.assert(a.state === 'master' && stateOf(b) === 'backup', 'a preempted back');
    expect(a.master).toEqual({ ...A, self: true });
    expect(b.master).toEqual({ ...A, self: false });
    // a: itself at its first start (a backup at 200 hears b's 100 only after it took over), gone at the crash, b
    // heard as master after the restart, itself again once it preempts.
    expect(aSaw).toEqual(['10.0.0.1@200 (self)', 'unknown', '10.0.0.2@100', '10.0.0.1@200 (self)']);
    // b: a heard, itself after a's Master_Down_Interval, a again when it preempts.
    expect(bSaw).toEqual(['10.0.0.1@200', '10.0.0.2@100 (self)', '10.0.0.1@200']);
    await net.stopAll();
  });
});

describe('lowerMasterHeard: a master hears a master it outranks', () => {
  // Given our instance master at 100 (term 1)
  // when 192.0.2.2 advertises as master at 50, every second for 5 s
  // then one lowerMasterHeard names it with our term; every advert is still answered at once.
  it('is reported once per episode, with the peer and our term', async () => {
    const harness = createHarness();
    const { instance, clock, transport, sendTimes } = harness;
    const heard: LowerMasterHeardEvent[] = [];
    instance.on('lowerMasterHeard', (event) => heard.push(event));
    await startAsMaster(harness);
    const sentBefore = sendTimes.length;
    for (let i = 0; i < 5; i++) {
      transport.inject(peerAdvert({ priority: 50 }));
      await clock.advance(1000);
    }
    expect(heard).toEqual([{ address: PEER, priority: 50, advertIntervalMs: 1000, term: 1 }]);
    expect(sendTimes.length - sentBefore, 'five answers plus five periodic adverts').toBe(10);
    await instance.stop();
  });

  // Given SimNetwork nodes a (200) and b (100) partitioned long enough that both are master
  // when the partition heals between a's advert and b's
  // then a hears b first and reports it (priority 100) with its own term, answers, b yields within one packet, and
  // a stays master. (Healed the other way round, a's advert reaches b first and b yields without a ever hearing it:
  // nothing to report.)
  it('reports a healed split brain on the winning side', async () => {
    const net: SimNetwork = new SimNetwork({ seed: 11, latencyMs: 1 });
    const vip = ['10.0.0.100/24'];
    const a = net.addNode({ interface: 'eth0', vrid: 1, priority: 200, virtualAddresses: vip }, { address: '10.0.0.1', name: 'a' });
    const b = net.addNode({ interface: 'eth0', vrid: 1, priority: 100, virtualAddresses: vip }, { address: '10.0.0.2', name: 'b' });
    const aHeard: LowerMasterHeardEvent[] = [];
    const bHeard: LowerMasterHeardEvent[] = [];
    a.on('lowerMasterHeard', (event) => aHeard.push(event));
    b.on('lowerMasterHeard', (event) => bHeard.push(event));
    await net.advance(5000);
    net.partition([a], [b]);
    // a advertises at 3218.75 + k × 1000 (its Master_Down_Interval at 200); b became master at 5000 + 3609.375 and
    // advertises at 8609.375 + k × 1000. Healed at 10 300, b's advert of 10 609.375 reaches a before a's of 11 218.75.
    await net.advance(5300);
    net.assert(net.masters().length === 2, 'split brain: both master');
    net.heal();
    await net.advance(1500);
    net.assert(net.masters().length === 1 && a.state === 'master', 'healed: a alone is master');
    expect(aHeard).toEqual([{ address: '10.0.0.2', priority: 100, advertIntervalMs: 1000, term: 1 }]);
    expect(bHeard).toEqual([]);
    await net.stopAll();
  });
});

describe('onStop', () => {
  // Given a master with a slow onMaster hook still running, a whileMaster that takes 300 ms to wind down, and two
  // onStop hooks
  // when stop() is called
  // then: the stop event (VIPs already removed), the onMaster hook finishes, the whileMaster work finishes, the
  // onStop hooks in registration order each awaited, and only then stop() resolves.
  it('runs after the stop event, earlier hooks and whileMaster work, in order, before stop() resolves', async () => {
    const harness = createHarness();
    const { instance, clock, vips } = harness;
    const log: string[] = [];
    instance.on('stop', () => log.push(`stop event (vips: ${vips.addresses.size})`));
    instance.onMaster(async ({ signal }) => {
      await untilAborted(signal);
      await sleep(clock, 100);
      log.push('onMaster done');
    });
    instance.whileMaster(async (signal) => {
      await untilAborted(signal);
      await sleep(clock, 300);
      log.push('whileMaster done');
    });
    instance.onStop(async (context) => {
      log.push(`onStop 1 start (${context.from} → ${context.to}, ${context.reason}, term ${context.term})`);
      await sleep(clock, 50);
      log.push('onStop 1 done');
    });
    instance.onStop(() => void log.push('onStop 2'));
    await startAsMaster(harness);
    await stopInVirtualTime(harness);
    log.push('stop() resolved');
    expect(log).toEqual([
      'stop event (vips: 0)',
      'onMaster done',
      'whileMaster done',
      'onStop 1 start (master → initialize, stopped, term 1)',
      'onStop 1 done',
      'onStop 2',
      'stop() resolved',
    ]);
  });

  // Given hookTimeoutMs 5000 and an onStop hook that never resolves, then a second onStop hook
  // when stop() is called
  // then after 5000 ms of virtual time a hookError names the stop hook ('hook_timeout'), the second hook runs,
  // and stop() resolves.
  it('is bounded by hookTimeoutMs and reported as a stop hook', async () => {
    const harness = createHarness({ hookTimeoutMs: 5000 });
    const { instance, clock } = harness;
    const errors: HookErrorEvent[] = [];
    instance.on('hookError', (event) => errors.push(event));
    let secondAtMs: number | undefined;
    instance.onStop(() => new Promise<void>(() => {}));
    instance.onStop(() => {
      secondAtMs = clock.now();
    });
    await startAsMaster(harness);
    const stoppedAtMs = clock.now();
    await stopInVirtualTime(harness);
    expect(errors.map(({ state, hook, error }) => [state, hook, error.code, error.message])).toEqual([
      ['initialize', 'stop', 'hook_timeout', 'stop hook did not finish within 5000 ms'],
    ]);
    expect(secondAtMs).toBe(stoppedAtMs + 5000);
  });

  // Given an onStop hook whose unsubscribe function was called, and one that stays
  // when a backup stops
  // then only the remaining one runs, with the transition backup → initialize.
  it('unsubscribes, and runs for a backup too', async () => {
    const harness = createHarness();
    const { instance } = harness;
    const ran: Omit<StateChangeEvent, 'peer'>[] = [];
    const unsubscribe = instance.onStop(() => {
      throw new Error('must not run');
    });
    instance.onStop(({ from, to, reason, term }) => void ran.push({ from, to, reason, term }));
    unsubscribe();
    await instance.start();
    await instance.stop();
    expect(ran).toEqual([{ from: 'backup', to: 'initialize', reason: 'stopped', term: 0 }]);
  });
});
