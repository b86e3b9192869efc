/**
 * `VrrpInstance.reconfigure`: a new configuration applied to a running instance keeps its place in the election
 * (keepalived's reload): a master stays master with no priority 0 and no gap in the addresses both configurations
 * have, a backup stays backup, kept trackers keep their state, counters carry on.
 *
 * Virtual time throughout: the instance harness (a lone instance at priority 100 on 192.0.2.1, master at
 * 3609.375 ms) and `SimNetwork` for two real instances.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { VrrpInstance, type ReconfiguredEvent, type StateChangeEvent } from '../../src/instance.js';
import { FakeTransport, FakeVipManager, SimNetwork, VirtualClock } from '../../src/testing/index.js';
import type { VipManager } from '../../src/adapters/types.js';
import { MASTER_DOWN_MS, VIP, baseConfig, createHarness, decodeSent, startAsMaster } from './harness.js';

/** Read through a function: an assertion on `instance.state` would narrow it for the rest of the test. */
const stateOf = (instance: VrrpInstance): string => instance.state;

/** Every address a FakeVipManager was asked to remove, over all its remove calls. */
function removed(calls: readonly { op: string; addresses: string[] }[], op = 'remove'): string[] {
  return calls.filter((call) => call.op === op).flatMap((call) => call.addresses);
}

describe('a running master', () => {
  // Given a master at priority 100, when it is reconfigured to priority 120,
  // then it stays master (no stateChange, term unchanged), advertises 120 at once and says priorityChange.
  it('stays master and advertises its new priority at once', async () => {
    const harness = createHarness();
    const { instance, transport, clock } = harness;
    await startAsMaster(harness);
    const changes: StateChangeEvent[] = [];
    const priorities: [number, number][] = [];
    instance.on('stateChange', (event) => changes.push(event));
    instance.on('priorityChange', ({ from, to }) => priorities.push([from, to]));
    const sentBefore = transport.sent.length;
    await clock.advance(100);
    const result = await instance.reconfigure(baseConfig({ priority: 120 }));
    expect(result).toEqual({ changed: ['priority'], applied: true });
    expect(stateOf(instance)).toBe('master');
    expect(changes).toEqual([]);
    expect(instance.term).toBe(1);
    expect(priorities).toEqual([[100, 120]]);
    const fresh = transport.sent.slice(sentBefore);
    expect(fresh.map((packet) => decodeSent(packet).priority)).toEqual([120]);
    expect(instance.master).toEqual({ address: '192.0.2.1', priority: 120, advertIntervalMs: 1000, self: true });
    await instance.stop();
  });

  // Given a master never sending priority 0 across a reconfiguration, when the adverts after it are decoded,
  // then none has priority 0: a peer is never told to take over.
  it('sends no priority 0', async () => {
    const harness = createHarness();
    const { instance, transport, clock } = harness;
    await startAsMaster(harness);
    const sentBefore = transport.sent.length;
    await instance.reconfigure(baseConfig({ priority: 90 }));
    await clock.advance(3000);
    const priorities = transport.sent.slice(sentBefore).map((packet) => decodeSent(packet).priority);
    expect(priorities.length).toBeGreaterThanOrEqual(3);
    expect(priorities.every((priority) => priority === 90)).toBe(true);
    await instance.stop();
  });

  // Given a master holding 192.0.2.100 and 192.0.2.101, when reconfigured to hold 192.0.2.100 and 192.0.2.102,
  // then .101 is removed, .102 added, .100 never removed, and every address announced.
  it('removes only the dropped addresses and adds the new ones', async () => {
    const harness = createHarness({ virtualAddresses: [`${VIP}/24`, '192.0.2.101/24'] });
    const { instance, vips } = harness;
    await startAsMaster(harness);
    const callsBefore = vips.calls.length;
    await instance.reconfigure(baseConfig({ virtualAddresses: [`${VIP}/24`, '192.0.2.102/24'] }));
    const calls = vips.calls.slice(callsBefore);
    expect(removed(calls)).toEqual(['192.0.2.101/24']);
    expect([...vips.addresses].sort()).toEqual([VIP, '192.0.2.102']);
    expect(calls.filter((call) => call.op === 'announce').at(-1)?.addresses).toEqual([`${VIP}/24`, '192.0.2.102/24']);
    await instance.stop();
  });

  // Given a master with two virtual routes, when reconfigured with one of them and a new one,
  // then the dropped route is removed, the new one installed, and the kept one neither removed nor installed again.
  it('removes the dropped routes, installs the new ones and leaves the kept one alone', async () => {
    const keptRoute = { to: '198.51.100.0/24', via: '192.0.2.254' };
    const harness = createHarness({ virtualRoutes: [keptRoute, { to: '203.0.113.0/24', via: '192.0.2.254' }] });
    const { instance, vips } = harness;
    await startAsMaster(harness);
    const callsBefore = vips.calls.length;
    await instance.reconfigure(baseConfig({ virtualRoutes: [keptRoute, { to: '192.0.2.128/25', via: '192.0.2.254' }] }));
    const calls = vips.calls.slice(callsBefore);
    expect(removed(calls, 'removeRoutes').join(' ')).toContain('203.0.113.0/24');
    expect(removed(calls, 'removeRoutes').join(' ')).not.toContain('198.51.100.0/24');
    expect(removed(calls, 'addRoutes').join(' ')).toContain('192.0.2.128/25');
    expect(removed(calls, 'addRoutes').join(' ')).not.toContain('198.51.100.0/24');
    expect(instance.status().routes.map((route) => route.held)).toEqual([true, true]);
    await instance.stop();
  });

  // Given a master whose counters have counted its adverts, when it is reconfigured,
  // then its counters go on from where they were (keepalived keeps them across a reload).
  it('keeps its counters', async () => {
    const harness = createHarness();
    const { instance, clock } = harness;
    await startAsMaster(harness);
    await clock.advance(5000);
    const sentBefore = instance.stats.advertisementsSent;
    const { masterTransitions, vipChanges } = instance.stats;
    await instance.reconfigure(baseConfig({ priority: 110 }));
    await clock.advance(2000);
    expect(instance.stats.advertisementsSent).toBeGreaterThan(sentBefore);
    // The same mastership, the same addresses: neither counted again.
    expect([instance.stats.masterTransitions, instance.stats.vipChanges]).toEqual([masterTransitions, vipChanges]);
    await instance.stop();
  });

  // Given a master, when it is reconfigured with a weight-0 tracker that starts failed (initFail),
  // then it leaves master as a master faulting does: priority 0 at once, its address removed, stateChange to fault.
  it('faults at once, with priority 0 and its addresses removed, when the new configuration faults it', async () => {
    const harness = createHarness();
    const { instance, transport, vips } = harness;
    await startAsMaster(harness);
    const changes: string[] = [];
    instance.on('stateChange', ({ from, to, reason }) => changes.push(`${from}→${to} ${reason}`));
    const sentBefore = transport.sent.length;
    await instance.reconfigure(baseConfig({ trackers: [{ type: 'function', name: 'db', check: () => new Promise<boolean>(() => {}), weight: 0, initFail: true, timeoutMs: 60_000 }] }));
    expect(changes).toEqual(['master→fault tracker-down']);
    expect(transport.sent.slice(sentBefore).map((packet) => decodeSent(packet).priority)).toEqual([0]);
    expect(vips.addresses.size).toBe(0);
    await instance.stop();
  });

  // Given a master whose new engine cannot start (its transport will not open), when it is reconfigured,
  // then the promise rejects, the instance is stopped (master → initialize), and the address the old engine left
  // up for it is removed: nothing holds it any more.
  it('removes what it kept up when the new engine cannot start, and stops', async () => {
    const harness = createHarness();
    const { instance, transport, vips } = harness;
    await startAsMaster(harness);
    const changes: string[] = [];
    instance.on('stateChange', ({ from, to }) => changes.push(`${from}→${to}`));
    transport.open = () => Promise.reject(new Error('no socket today'));
    const error = await instance.reconfigure(baseConfig({ priority: 120 })).catch((caught: unknown) => caught);
    expect(String(error)).toMatch(/no socket today/);
    expect(changes).toEqual(['master→initialize']);
    expect(instance.running).toBe(false);
    expect(vips.addresses.size).toBe(0);
  });
});

describe('what listeners of reconfigured hear', () => {
  // Given a master whose new engine cannot start (its transport will not open), when it is reconfigured,
  // then `reconfigured` says applied: false — the run ended, the configuration is only kept for the next start —
  // and comes after the stop; never applied: true ahead of a promise that rejects.
  it('hears applied: false, after the stop, when the new engine cannot start', async () => {
    const harness = createHarness();
    const { instance, transport } = harness;
    await startAsMaster(harness);
    const heard: string[] = [];
    instance.on('reconfigured', ({ changed, applied }) => heard.push(`reconfigured ${changed.join(',')} applied=${applied}`));
    instance.on('stop', () => heard.push('stop'));
    transport.open = () => Promise.reject(new Error('no socket today'));
    const error = await instance.reconfigure(baseConfig({ priority: 120 })).catch((caught: unknown) => caught);
    expect(String(error)).toMatch(/no socket today/);
    expect(heard, 'listeners heard a failed reconfiguration as applied').toEqual(['stop', 'reconfigured priority applied=false']);
  });

  // Given a master, when it is reconfigured with a weight-0 tracker that starts failed (initFail),
  // then `reconfigured` (applied: true) comes before the fault that the new configuration causes.
  it('hears reconfigured before the transition the new configuration causes', async () => {
    const harness = createHarness();
    const { instance } = harness;
    await startAsMaster(harness);
    const heard: string[] = [];
    instance.on('reconfigured', ({ applied }) => heard.push(`reconfigured applied=${applied}`));
    instance.on('stateChange', ({ from, to }) => heard.push(`${from}→${to}`));
    await instance.reconfigure(baseConfig({ trackers: [{ type: 'function', name: 'db', check: () => new Promise<boolean>(() => {}), weight: 0, initFail: true, timeoutMs: 60_000 }] }));
    expect(heard).toEqual(['reconfigured applied=true', 'master→fault']);
    await instance.stop();
  });
});

describe('a master whose new engine fails after its transport opened', () => {
  // Given a master whose new engine opens its transport and then fails (the VIP manager refuses to prepare)
  // when it is reconfigured
  // then it sends priority 0 before it gives up what it kept, so a peer takes over within Skew_Time, and stops.
  it('sends priority 0 and removes what it kept', async () => {
    const harness = createHarness();
    const { instance, transport, vips } = harness;
    await startAsMaster(harness);
    (vips as VipManager).prepare = () => Promise.reject(new Error('netlink refused'));
    const sentBefore = transport.sent.length;
    const error = await instance.reconfigure(baseConfig({ priority: 120 })).catch((caught: unknown) => caught);
    expect(String(error)).toMatch(/netlink refused/);
    expect(transport.sent.slice(sentBefore).map((packet) => decodeSent(packet).priority), 'what the failed Master sent').toEqual([0]);
    expect({ running: instance.running, vips: vips.addresses.size }).toEqual({ running: false, vips: 0 });
  });
});

describe('stop() after a run that ended by itself', () => {
  // Given a master whose reconfigure failed (the run ended: master → initialize, its onStop hook still running)
  // when stop() is called
  // then it resolves only once that onStop hook is over, as a stop of a running instance does.
  it('waits for the onStop hooks the ended run queued', async () => {
    const harness = createHarness();
    const { instance, transport } = harness;
    let endHook: () => void = () => {};
    let hookRan = false;
    instance.onStop(() => {
      hookRan = true;
      return new Promise<void>((resolve) => (endHook = resolve));
    });
    await startAsMaster(harness);
    transport.open = () => Promise.reject(new Error('no socket today'));
    await instance.reconfigure(baseConfig({ priority: 120 })).catch(() => undefined);
    let stopped = false;
    const stopping = instance.stop().then(() => (stopped = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect({ hookRan, stopped }, 'stop() resolved while the onStop hook was still running').toEqual({ hookRan: true, stopped: false });
    endHook();
    await stopping;
    expect(stopped).toBe(true);
  });
});

describe('a running backup', () => {
  // Given a backup that hears no master, when it is reconfigured halfway to its Master_Down_Timer,
  // then it stays backup, and its timer starts again: master only a full Master_Down_Interval after the change.
  it('stays backup and starts its Master_Down_Timer again', async () => {
    const harness = createHarness();
    const { instance, clock } = harness;
    await instance.start();
    await clock.advance(2000);
    const changes: StateChangeEvent[] = [];
    instance.on('stateChange', (event) => changes.push(event));
    await instance.reconfigure(baseConfig({ preemptDelayMs: 0, priority: 100, advertIntervalMs: 1000, hookTimeoutMs: 4000 }));
    expect(stateOf(instance)).toBe('backup');
    expect(changes).toEqual([]);
    await clock.advance(MASTER_DOWN_MS - 1);
    expect(stateOf(instance)).toBe('backup');
    await clock.advance(1);
    expect(stateOf(instance)).toBe('master');
    await instance.stop();
  });
});

describe('what cannot change, and when nothing runs', () => {
  // Given a running instance, when asked to change its VRID,
  // then the promise rejects with a ConfigError naming `vrid`, and the instance goes on as it was.
  it('refuses another VRID, interface or family, naming the field', async () => {
    const harness = createHarness();
    const { instance } = harness;
    await startAsMaster(harness);
    const error = await instance.reconfigure(baseConfig({ vrid: 52 })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((issue) => issue.path)).toEqual(['vrid']);
    expect((error as ConfigError).message).toMatch(/another virtual router/);
    expect(stateOf(instance)).toBe('master');
    expect(instance.config.vrid).toBe(51);
    await instance.stop();
  });

  // Given a running IPv4 instance, when given IPv6 addresses,
  // then the ConfigError names `virtualAddresses`, the field that sets the family (`family` is no field of the
  // configuration), and the instance goes on as it was.
  it('refuses another address family, naming virtualAddresses', async () => {
    const harness = createHarness();
    const { instance } = harness;
    await startAsMaster(harness);
    const error = await instance.reconfigure(baseConfig({ virtualAddresses: ['2001:db8::100/64'] })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((issue) => issue.path)).toEqual(['virtualAddresses']);
    expect((error as ConfigError).message).toMatch(/ipv4 → ipv6/);
    expect(stateOf(instance)).toBe('master');
    await instance.stop();
  });

  // Given an invalid configuration, when it is applied, then the ConfigError names the field and nothing changes.
  it('refuses an invalid configuration as the constructor does', async () => {
    const harness = createHarness();
    const { instance } = harness;
    await startAsMaster(harness);
    const error = await instance.reconfigure(baseConfig({ priority: 300 })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((issue) => issue.path)).toEqual(['priority']);
    expect(instance.config.priority).toBe(100);
    await instance.stop();
  });

  // Given an instance that is not running, when reconfigured, then its configuration is replaced for its next start.
  it('replaces the configuration of a stopped instance for its next start', async () => {
    const harness = createHarness();
    const { instance, transport } = harness;
    const result = await instance.reconfigure(baseConfig({ priority: 255 }));
    expect(result).toEqual({ changed: ['priority'], applied: false });
    await instance.start();
    expect(stateOf(instance)).toBe('master'); // the owner goes master at once
    expect(decodeSent(transport.sent[0]).priority).toBe(255);
    await instance.stop();
  });

  // Given a running instance, when it is given the same configuration again,
  // then nothing is replaced: the transport is not closed and opened again.
  it('does nothing when nothing changed', async () => {
    const harness = createHarness();
    const { instance, transport } = harness;
    await startAsMaster(harness);
    const opened = transport.options;
    const events: ReconfiguredEvent[] = [];
    instance.on('reconfigured', (event) => events.push(event));
    const result = await instance.reconfigure(baseConfig());
    expect(result).toEqual({ changed: [], applied: false });
    expect(events).toEqual([result]);
    expect(transport.options).toBe(opened);
    await instance.stop();
  });
});

describe('what a reconfiguration compares', () => {
  // Given a running instance, when it is given the same configuration with another logger,
  // then only `logger` changed, the engine is not replaced, and the next line goes to the new logger.
  it('takes a new logger without replacing the engine', async () => {
    const harness = createHarness();
    const { instance, transport } = harness;
    await startAsMaster(harness);
    const opened = transport.options;
    const seen: string[] = [];
    const logger = { trace() {}, debug() {}, info: (_fields: unknown, message: string) => void seen.push(message), warn() {}, error() {}, child: () => logger };
    const result = await instance.reconfigure(baseConfig({ logger }));
    expect(result).toEqual({ changed: ['logger'], applied: false });
    expect(transport.options).toBe(opened);
    await instance.stop();
    expect(seen.some((message) => message.includes('initialize'))).toBe(true);
  });

  // Given a function tracker, when the configuration is the same but for a new check function,
  // then `trackers` changed and the new check is the one that runs.
  it('sees a new check function as a change, and runs it', async () => {
    let runs = 0;
    const harness = createHarness({ trackers: [{ type: 'function', name: 'web', check: () => true, weight: 10, intervalMs: 1000 }] });
    const { instance, clock } = harness;
    await startAsMaster(harness);
    const result = await instance.reconfigure(baseConfig({ trackers: [{ type: 'function', name: 'web', check: () => (runs++, true), weight: 10, intervalMs: 1000 }] }));
    expect(result.changed).toEqual(['trackers']);
    await clock.advance(2000);
    expect(runs).toBeGreaterThanOrEqual(2);
    await instance.stop();
  });
});

describe('trackers across a reconfiguration', () => {
  // Given a master at 100 with a function tracker of weight 20 that passes (priority 120),
  // when reconfigured with only a new preempt delay, then the kept tracker still counts: 120 from the first advert.
  it('keeps the state of a tracker whose definition did not change', async () => {
    const check = (): boolean => true;
    const trackers = [{ type: 'function' as const, name: 'web', check, weight: 20, intervalMs: 1000 }];
    const harness = createHarness({ trackers });
    const { instance, transport, clock } = harness;
    await startAsMaster(harness);
    await clock.advance(1000);
    expect(instance.effectivePriority).toBe(120);
    const sentBefore = transport.sent.length;
    await instance.reconfigure(baseConfig({ trackers, preemptDelayMs: 500 }));
    expect(decodeSent(transport.sent[sentBefore]).priority).toBe(120);
    expect(instance.status().priority.trackers.map((tracker) => tracker.status)).toEqual(['up']);
    await instance.stop();
  });

  // Given an instance in fault on a failing weight-0 tracker whose next check never answers
  // when reconfigured with only that tracker's interval, fall and rise changed
  // then it stays in fault: the tracker keeps its state by name, as keepalived keeps a script's result across a
  // reload — no fault → backup → fault flap while the new run's first check is under way.
  it('keeps the state of a tracker of the same name whose other fields changed', async () => {
    let answer: () => boolean | Promise<boolean> = () => false;
    const tracker = { type: 'function' as const, name: 'db', check: () => answer(), weight: 0, intervalMs: 1000, timeoutMs: 60_000 };
    const harness = createHarness({ trackers: [tracker] });
    const { instance } = harness;
    await instance.start();
    expect(stateOf(instance)).toBe('fault');
    answer = () => new Promise<boolean>(() => {});
    const changes: string[] = [];
    instance.on('stateChange', ({ from, to }) => changes.push(`${from}→${to}`));
    await instance.reconfigure(baseConfig({ trackers: [{ ...tracker, intervalMs: 2000, fall: 3, rise: 2 }] }));
    expect({ state: stateOf(instance), changes, status: instance.status().priority.trackers.map((t) => t.status) }).toEqual({ state: 'fault', changes: [], status: ['down'] });
    await instance.stop();
  });

  // Given a master at 100 without trackers
  // when reconfigured with a passing weight-10 tracker (its first result comes during the reconfigure)
  // then the app hears one priorityChange, 100 → 110: not the new core's and then the reconfigure's own again.
  it('tells of a priority change once', async () => {
    const harness = createHarness();
    const { instance, clock } = harness;
    await startAsMaster(harness);
    const changes: string[] = [];
    instance.on('priorityChange', ({ from, to }) => changes.push(`${from}→${to}`));
    await instance.reconfigure(baseConfig({ trackers: [{ type: 'function', name: 'web', check: () => true, weight: 10, intervalMs: 1000 }] }));
    await clock.advance(1000);
    expect(changes).toEqual(['100→110']);
    await instance.stop();
  });

  // Given a master, when a weight-0 tracker is added that has not reported yet,
  // then the master is not held in initialize waiting for it (it was running): it stays master.
  it('is not held by a new weight-0 tracker', async () => {
    const harness = createHarness();
    const { instance } = harness;
    await startAsMaster(harness);
    const changes: StateChangeEvent[] = [];
    instance.on('stateChange', (event) => changes.push(event));
    await instance.reconfigure(baseConfig({ trackers: [{ type: 'function', name: 'db', check: () => new Promise<boolean>(() => {}), weight: 0, intervalMs: 1000, timeoutMs: 60_000 }] }));
    expect(stateOf(instance)).toBe('master');
    expect(changes).toEqual([]);
    await instance.stop();
  });

  // Given a master, when a weight-0 tracker is added that fails, then the instance faults once it reports:
  // the new configuration applies in full, and the fault is a stateChange master → fault.
  it('faults when a new weight-0 tracker fails', async () => {
    const harness = createHarness();
    const { instance, clock } = harness;
    await startAsMaster(harness);
    const changes: string[] = [];
    instance.on('stateChange', ({ from, to, reason }) => changes.push(`${from}→${to} ${reason}`));
    await instance.reconfigure(baseConfig({ trackers: [{ type: 'function', name: 'db', check: () => false, weight: 0, intervalMs: 1000 }] }));
    await clock.advance(0);
    expect(changes).toEqual(['master→fault tracker-down']);
    await instance.stop();
  });
});

describe('beside a peer (SimNetwork)', () => {
  // Given A master at 150 and B backup at 100, when B then A are reconfigured with a second address (A at 140),
  // then over the next 10 s B never leaves backup, A never leaves master, and B hears A at 140. (Both change: a
  // backup drops a master's adverts whose address list is not its own, RFC 9568 §7.1, as keepalived does.)
  it('a master reconfigured keeps its backup a backup', async () => {
    const net = new SimNetwork({ seed: 1 });
    const config = { interface: 'eth0', vrid: 7, virtualAddresses: ['192.0.2.100/24'] };
    const a = net.addNode({ ...config, priority: 150 }, { name: 'a', address: '192.0.2.1' });
    const b = net.addNode({ ...config, priority: 100 }, { name: 'b', address: '192.0.2.2' });
    await net.advance(5000);
    expect([stateOf(a), stateOf(b)]).toEqual(['master', 'backup']);
    const changes: string[] = [];
    for (const [name, instance] of [['a', a], ['b', b]] as const) instance.on('stateChange', ({ to }) => changes.push(`${name}→${to}`));
    const addresses = ['192.0.2.100/24', '192.0.2.101/24'];
    const reconfigured = Promise.all([b.reconfigure({ ...config, priority: 100, virtualAddresses: addresses }), a.reconfigure({ ...config, priority: 140, virtualAddresses: addresses })]);
    await net.advance(0);
    await reconfigured;
    await net.advance(10_000);
    expect(changes).toEqual([]);
    expect(b.master).toEqual({ address: '192.0.2.1', priority: 140, advertIntervalMs: 1000, self: false });
    expect([...net.node(a).vips.addresses].sort()).toEqual(['192.0.2.100', '192.0.2.101']);
    expect(net.node(b).vips.addresses.size).toBe(0);
    await net.stopAll();
  });

  // Given A master at 150 and B backup at 100 (preempting), when A is reconfigured to priority 50,
  // then B takes over as the election says (A's new adverts carry 50), and A becomes backup.
  it('a master reconfigured below its backup hands over by election', async () => {
    const net = new SimNetwork({ seed: 2 });
    const config = { interface: 'eth0', vrid: 7, virtualAddresses: ['192.0.2.100/24'] };
    const a = net.addNode({ ...config, priority: 150 }, { name: 'a', address: '192.0.2.1' });
    const b = net.addNode({ ...config, priority: 100 }, { name: 'b', address: '192.0.2.2' });
    await net.advance(5000);
    const reconfigured = a.reconfigure({ ...config, priority: 50 });
    await net.advance(0);
    await reconfigured;
    await net.advance(5000);
    expect([stateOf(a), stateOf(b)]).toEqual(['backup', 'master']);
    await net.stopAll();
  });
});

describe("status()'s latest timer across a reconfiguration", () => {
  // Given a master whose clock ran one of its timers 300 ms late (a stalled thread), when it is reconfigured (a new
  // engine), then status() still says the latest was at least 300 ms: "since the instance started", as its HELP and
  // docs/observability.md say — it read 0 after every reload.
  it('keeps the latest timer of the engine a reconfiguration replaced', async () => {
    const clock = new VirtualClock();
    let lateOnce = false;
    const stalling = {
      now: () => clock.now(),
      setTimer: (delayMs: number, callback: () => void) => {
        // The first timer after the flag is set fires 300 ms late.
        const extraMs = lateOnce ? 300 : 0;
        lateOnce = false;
        return clock.setTimer(delayMs + extraMs, callback);
      },
    };
    const instance = new VrrpInstance(baseConfig(), { transport: new FakeTransport({ primaryAddress: '192.0.2.1' }), vipManager: new FakeVipManager(), clock: stalling });
    await instance.start();
    await clock.advanceTo(MASTER_DOWN_MS);
    expect(instance.state, 'set-up: master').toBe('master');
    lateOnce = true;
    await clock.advance(2500); // the next Adver_Timer is set after the flag: it runs 300 ms late
    expect(instance.status().engine.timerLateMaxMs, 'set-up: the late timer measured').toBeGreaterThanOrEqual(300);
    await instance.reconfigure(baseConfig({ priority: 120 }));
    expect(instance.status().engine.timerLateMaxMs).toBeGreaterThanOrEqual(300);
    await instance.stop();
  });
});
