/**
 * Lifecycle of a VrrpInstance: start, becoming master, stop (RFC 9568 §6.4.3 "Shutdown"), restart and disposal.
 */
import { describe, expect, it } from 'vitest';
import type { StateChangeEvent } from '../../src/instance.js';
import { VrrpError } from '../../src/errors.js';
import { SimNetwork } from '../../src/testing/index.js';
import { GROUP, MASTER_DOWN_MS, PRIMARY, VIP, createHarness, decodeSent, startAsMaster } from './harness.js';

describe('start', () => {
  // Given a fresh instance
  // when it starts
  // then it enters backup for reason 'startup' and is running.
  it('enters backup on start', async () => {
    const { instance } = createHarness();
    const changes: StateChangeEvent[] = [];
    instance.on('stateChange', (event) => changes.push(event));
    await instance.start();
    expect(instance.state).toBe('backup');
    expect(instance.running).toBe(true);
    expect(changes).toEqual([{ from: 'initialize', to: 'backup', reason: 'startup', term: 0 }]);
  });

  // Given a fresh instance
  // when it starts
  // then the transport is opened with the instance's interface, family and VRID.
  it('opens the transport with the configured interface, family and vrid', async () => {
    const { instance, transport } = createHarness();
    await instance.start();
    expect(transport.isOpen).toBe(true);
    expect(transport.options).toEqual({ interface: 'eth0', family: 'ipv4', vrid: 51, unicastPeers: [], primaryAddress: undefined, virtualAddresses: ['192.0.2.100'] });
  });

  // Given a running instance
  // when start() is called again
  // then it rejects with code 'already_started' and the running instance is left as it was.
  it('rejects a second start with already_started', async () => {
    const { instance, transport } = createHarness();
    await instance.start();
    const second = instance.start();
    await expect(second).rejects.toBeInstanceOf(VrrpError);
    await expect(second).rejects.toMatchObject({ code: 'already_started' });
    expect(instance.running).toBe(true);
    expect(instance.state).toBe('backup');
    expect(transport.isOpen).toBe(true);
  });

  // Given an instance configured with priority 150 and a weighted tracker, never started
  // when effectivePriority is read
  // then it is the base priority (no tracker has reported yet).
  it('reports the base priority as effectivePriority before start', () => {
    const { instance } = createHarness({ priority: 150, trackers: [{ type: 'function', name: 'db', weight: 20, check: () => true }] });
    expect(instance.state).toBe('initialize');
    expect(instance.effectivePriority).toBe(150);
  });
});

describe('becoming master', () => {
  // Given a lone backup
  // when its master-down timer expires
  // then the 'master' listener already sees the VIPs on the interface and one announcement made.
  it("emits 'master' only after the VIPs are added and announced", async () => {
    const harness = createHarness();
    const { instance, vips } = harness;
    const seen: { addresses: string[]; announcements: number; state: string }[] = [];
    instance.on('master', () => seen.push({ addresses: [...vips.addresses], announcements: vips.announcements, state: instance.state }));
    await startAsMaster(harness);
    expect(seen).toEqual([{ addresses: [VIP], announcements: 1, state: 'master' }]);
  });

  // Given a lone backup
  // when it becomes master
  // then the VIP manager was asked to add the VIPs before announcing them.
  it('adds the VIPs before announcing them', async () => {
    const harness = createHarness();
    await startAsMaster(harness);
    expect(harness.vips.calls).toEqual([
      { op: 'add', addresses: [`${VIP}/24`] },
      { op: 'announce', addresses: [`${VIP}/24`] },
    ]);
  });

  // Given a lone backup at priority 100, v3, 1000 ms
  // when virtual time reaches Master_Down_Interval (3609.375 ms)
  // then it becomes master exactly then and sends its first advertisement at that instant.
  it('becomes master at Master_Down_Interval and advertises at once', async () => {
    const { instance, clock, sendTimes } = createHarness();
    await instance.start();
    await clock.advanceTo(MASTER_DOWN_MS - 0.125);
    expect(instance.state).toBe('backup');
    await clock.advanceTo(MASTER_DOWN_MS);
    expect(instance.state).toBe('master');
    expect(sendTimes).toEqual([MASTER_DOWN_MS]);
  });
});

describe('stop', () => {
  // Given a master
  // when it stops
  // then the last packet it sent is a priority-0 advertisement to the multicast group (RFC 9568 §6.4.3).
  it('sends a priority-0 advertisement when stopped as master', async () => {
    const harness = createHarness();
    await startAsMaster(harness);
    await harness.instance.stop();
    const last = harness.transport.sent.at(-1);
    expect(last?.dst).toBe(GROUP);
    expect(decodeSent(last)).toMatchObject({ version: 3, vrid: 51, priority: 0, addresses: [VIP] });
  });

  // Given a master
  // when it stops
  // then its VIPs are removed from the interface.
  it('removes the VIPs when stopped as master', async () => {
    const harness = createHarness();
    await startAsMaster(harness);
    await harness.instance.stop();
    expect([...harness.vips.addresses]).toEqual([]);
    expect(harness.vips.calls.at(-1)).toEqual({ op: 'remove', addresses: [`${VIP}/24`] });
  });

  // Given a master
  // when it stops
  // then it emits stateChange to 'initialize' with reason 'stopped', followed by 'stop' with the same payload.
  it("emits stateChange to 'initialize' and then 'stop'", async () => {
    const harness = createHarness();
    await startAsMaster(harness);
    const log: [string, StateChangeEvent][] = [];
    harness.instance.on('stateChange', (event) => log.push(['stateChange', event]));
    harness.instance.on('stop', (event) => log.push(['stop', event]));
    await harness.instance.stop();
    const expected: StateChangeEvent = { from: 'master', to: 'initialize', reason: 'stopped', term: 1 };
    expect(log).toEqual([
      ['stateChange', expected],
      ['stop', expected],
    ]);
    expect(harness.instance.state).toBe('initialize');
  });

  // Given a running instance
  // when it stops
  // then the transport is closed and the instance is no longer running.
  it('closes the transport', async () => {
    const { instance, transport } = createHarness();
    await instance.start();
    await instance.stop();
    expect(transport.isOpen).toBe(false);
    expect(instance.running).toBe(false);
  });

  // Given a backup
  // when it stops
  // then it sends nothing (only a master announces its departure).
  it('sends nothing when stopped as backup', async () => {
    const { instance, transport } = createHarness();
    await instance.start();
    await instance.stop();
    expect(transport.sent).toEqual([]);
  });

  // Given a stopped master
  // when virtual time runs on
  // then it sends no more advertisements (its timer is gone).
  it('sends no advertisements after stop', async () => {
    const harness = createHarness();
    await startAsMaster(harness);
    await harness.instance.stop();
    const sentAtStop = harness.transport.sent.length;
    await harness.clock.advance(10_000);
    expect(harness.transport.sent.length).toBe(sentAtStop);
  });

  // Given a master that has been stopped
  // when stop() is called again
  // then it resolves without emitting, sending or touching the VIPs again.
  it('is safe to call twice', async () => {
    const harness = createHarness();
    await startAsMaster(harness);
    await harness.instance.stop();
    const sent = harness.transport.sent.length;
    const vipCalls = harness.vips.calls.length;
    let stops = 0;
    harness.instance.on('stop', () => stops++);
    await expect(harness.instance.stop()).resolves.toBeUndefined();
    expect(stops).toBe(0);
    expect(harness.transport.sent.length).toBe(sent);
    expect(harness.vips.calls.length).toBe(vipCalls);
  });

  // Given an instance that was never started
  // when stop() is called
  // then it resolves and nothing happens.
  it('is a no-op before start', async () => {
    const { instance, transport } = createHarness();
    let stops = 0;
    instance.on('stop', () => stops++);
    await instance.stop();
    expect(stops).toBe(0);
    expect(transport.sent).toEqual([]);
  });
});

describe('disposal and restart', () => {
  // Given a master held by `await using`
  // when the scope ends
  // then the instance is stopped: priority 0 sent, VIPs removed, transport closed.
  it('stops a master at the end of an `await using` scope', async () => {
    const harness = createHarness();
    {
      await using instance = harness.instance;
      await startAsMaster(harness);
      expect(instance.state).toBe('master');
    }
    expect(harness.instance.running).toBe(false);
    expect(harness.transport.isOpen).toBe(false);
    expect([...harness.vips.addresses]).toEqual([]);
    expect(decodeSent(harness.transport.sent.at(-1)).priority).toBe(0);
  });

  // Given a running backup
  // when Symbol.asyncDispose is called directly
  // then the instance stops.
  it('stops on Symbol.asyncDispose', async () => {
    const { instance, transport } = createHarness();
    await instance.start();
    await instance[Symbol.asyncDispose]();
    expect(instance.running).toBe(false);
    expect(instance.state).toBe('initialize');
    expect(transport.isOpen).toBe(false);
  });

  // Given an instance that was master and was stopped
  // when it is started again
  // then it enters backup, reopens the transport and becomes master again a Master_Down_Interval later.
  it('starts again after stop and runs the protocol from scratch', async () => {
    const harness = createHarness();
    const { instance, clock, transport, vips } = harness;
    await startAsMaster(harness);
    await instance.stop();
    const restartedAt = clock.now();
    await instance.start();
    expect(instance.state).toBe('backup');
    expect(transport.isOpen).toBe(true);
    await clock.advanceTo(restartedAt + MASTER_DOWN_MS);
    expect(instance.state).toBe('master');
    expect([...vips.addresses]).toEqual([VIP]);
    expect(decodeSent(transport.sent.at(-1)).priority).toBe(100);
  });

  // Given a configured primaryAddress that differs from the one the transport finds
  // when the instance starts and becomes master
  // then the transport is told about it and the advertisements are checksummed for that source.
  it("uses the configured primary address over the transport's", async () => {
    const configured = '192.0.2.9';
    const harness = createHarness({ primaryAddress: configured });
    await startAsMaster(harness);
    expect(harness.transport.options?.primaryAddress).toBe(configured);
    expect(decodeSent(harness.transport.sent[0], configured).priority).toBe(100);
    expect(() => decodeSent(harness.transport.sent[0], PRIMARY)).toThrow(/checksum/);
  });

  // Given two nodes on a simulated segment (1 ms latency): a master at priority 150 and a backup at priority 100
  // when the master is stopped cleanly
  // then the backup takes over Skew_Time (609.375 ms) after the priority-0 advertisement reaches it, not after a
  // full Master_Down_Interval (RFC 9568 §6.4.2).
  it('lets a peer take over after Skew_Time when the master stops', async () => {
    const net = new SimNetwork({ seed: 1, latencyMs: 1 });
    const config = { interface: 'eth0', vrid: 51, virtualAddresses: [`${VIP}/24`] };
    const master = net.addNode({ ...config, priority: 150 }, { address: '192.0.2.1', name: 'master' });
    const backup = net.addNode({ ...config, priority: 100 }, { address: '192.0.2.2', name: 'backup' });
    await net.advance(5000);
    expect([master.state, backup.state], `set-up: expected master/backup\n${net.failureReport()}`).toEqual(['master', 'backup']);
    await master.stop();
    await net.advance(1 + 609);
    expect(backup.state, `took over before Skew_Time\n${net.failureReport()}`).toBe('backup');
    await net.advance(0.375);
    expect(backup.state, `no takeover at Skew_Time after the priority-0 advertisement\n${net.failureReport()}`).toBe('master');
    expect([...net.node(backup).vips.addresses]).toEqual([VIP]);
    await net.stopAll();
  });
});
