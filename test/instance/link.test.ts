/**
 * Link state from the LinkMonitor: link down puts the instance in Fault (a master first sends priority 0 and removes
 * its VIPs, as keepalived does), link up brings it back to Backup.
 */
import { describe, expect, it } from 'vitest';
import type { StateChangeEvent } from '../../src/instance.js';
import { FakeLinkMonitor } from '../../src/testing/index.js';
import { MASTER_DOWN_MS, PRIMARY, VIP, createHarness, decodeSent, startAsMaster } from './harness.js';

describe('link down', () => {
  // Given a running backup
  // when its link goes down
  // then it enters fault with reason 'link-down'.
  it('puts a backup in fault', async () => {
    const link = new FakeLinkMonitor(true);
    const harness = createHarness({}, { link });
    await harness.instance.start();
    const changes: StateChangeEvent[] = [];
    harness.instance.on('stateChange', (event) => changes.push(event));
    link.setUp(false);
    await harness.clock.advance(0);
    expect(harness.instance.state).toBe('fault');
    expect(changes).toEqual([{ from: 'backup', to: 'fault', reason: 'link-down', term: 0 }]);
  });

  // Given a master
  // when its link goes down
  // then by the time 'fault' is emitted it has sent a priority-0 advertisement and removed its VIPs.
  it('makes a master send priority 0 and remove its VIPs before fault is emitted', async () => {
    const link = new FakeLinkMonitor(true);
    const harness = createHarness({}, { link });
    await startAsMaster(harness);
    const seen: { lastPriority: number; addresses: string[] }[] = [];
    harness.instance.on('fault', () => {
      seen.push({ lastPriority: decodeSent(harness.transport.sent.at(-1)).priority, addresses: [...harness.vips.addresses] });
    });
    link.setUp(false);
    await harness.clock.advance(0);
    expect(seen).toEqual([{ lastPriority: 0, addresses: [] }]);
    expect(harness.instance.stats.priorityZeroSent).toBe(1);
  });

  // Given a master whose link went down
  // when 10 s of virtual time pass
  // then it sends nothing more (no advertisements from Fault).
  it('stops advertising while in fault', async () => {
    const link = new FakeLinkMonitor(true);
    const harness = createHarness({}, { link });
    await startAsMaster(harness);
    link.setUp(false);
    await harness.clock.advance(0);
    const sentAtFault = harness.transport.sent.length;
    await harness.clock.advance(10_000);
    expect(harness.transport.sent.length).toBe(sentAtFault);
    expect(harness.instance.state).toBe('fault');
  });

  // Given a link monitor that reports the link down from the start
  // when the instance starts
  // then it goes straight to fault and never becomes master.
  it('starts in fault when the link is already down', async () => {
    const link = new FakeLinkMonitor(false);
    const harness = createHarness({}, { link });
    await harness.instance.start();
    await harness.clock.advance(10_000);
    expect(harness.instance.state).toBe('fault');
    expect(harness.transport.sent).toEqual([]);
    expect([...harness.vips.addresses]).toEqual([]);
  });

  // Given a running backup with an onFault hook
  // when its link goes down
  // then the hook runs with reason 'link-down'.
  it('runs the onFault hook on link down', async () => {
    const link = new FakeLinkMonitor(true);
    const harness = createHarness({}, { link });
    const reasons: string[] = [];
    harness.instance.onFault(({ reason }) => {
      reasons.push(reason);
    });
    await harness.instance.start();
    link.setUp(false);
    await harness.clock.advance(0);
    expect(reasons).toEqual(['link-down']);
  });
});

describe('link up', () => {
  // Given an instance in fault because its link went down
  // when the link comes back up
  // then it returns to backup with reason 'fault-cleared'.
  it('returns a faulted instance to backup', async () => {
    const link = new FakeLinkMonitor(true);
    const harness = createHarness({}, { link });
    await startAsMaster(harness);
    link.setUp(false);
    await harness.clock.advance(0);
    const changes: StateChangeEvent[] = [];
    harness.instance.on('stateChange', (event) => changes.push(event));
    link.setUp(true);
    await harness.clock.advance(0);
    expect(harness.instance.state).toBe('backup');
    expect(changes).toEqual([{ from: 'fault', to: 'backup', reason: 'fault-cleared', term: 1 }]);
  });

  // Given an instance back in backup after its link recovered, alone on the segment
  // when a Master_Down_Interval (3609.375 ms) passes
  // then it becomes master again and holds the VIPs.
  it('becomes master again a Master_Down_Interval after the link recovers', async () => {
    const link = new FakeLinkMonitor(true);
    const harness = createHarness({}, { link });
    await startAsMaster(harness);
    link.setUp(false);
    await harness.clock.advance(1000);
    link.setUp(true);
    const upAt = harness.clock.now();
    await harness.clock.advanceTo(upAt + 3609.375);
    expect(harness.instance.state).toBe('master');
    expect([...harness.vips.addresses]).toEqual([VIP]);
  });

  // Given an instance whose link monitor is watched
  // when the instance stops and the link then flaps
  // then it stays in initialize (the link monitor is no longer listened to).
  it('ignores link changes after stop', async () => {
    const link = new FakeLinkMonitor(true);
    const harness = createHarness({}, { link });
    await harness.instance.start();
    await harness.instance.stop();
    link.setUp(false);
    link.setUp(true);
    await harness.clock.advance(10_000);
    expect(harness.instance.state).toBe('initialize');
    expect(harness.transport.sent).toEqual([]);
  });
});

describe('an interface with no address to send from', () => {
  // Given a down link that took the interface's only usable address with it (an IPv6 link-local address goes with
  // the link), when the instance starts, then start() resolves and the instance is in fault, sending nothing —
  // keepalived starts the same way — where it used to reject with transport_failed.
  it('starts in fault instead of failing', async () => {
    const link = new FakeLinkMonitor(false);
    const harness = createHarness({}, { link, primaryAddress: undefined });
    await harness.instance.start();
    await harness.clock.advance(10_000);
    expect(harness.instance.state).toBe('fault');
    expect(harness.transport.sent).toEqual([]);
  });

  // Given such an instance, when the address comes back with the link, then it leaves fault, becomes master after
  // its Master_Down_Interval and advertises from that address.
  it('recovers when the link brings an address back', async () => {
    const link = new FakeLinkMonitor(false);
    const harness = createHarness({}, { link, primaryAddress: undefined });
    await harness.instance.start();
    harness.transport.primaryAddress = PRIMARY;
    link.setUp(true);
    await harness.clock.advance(0);
    expect(harness.instance.state).toBe('backup');
    await harness.clock.advance(MASTER_DOWN_MS);
    expect(harness.instance.state).toBe('master');
    expect(decodeSent(harness.transport.sent.at(-1), PRIMARY).priority).toBe(100);
  });

  // Given a transport with no address and no link monitor to say when one comes, when the instance starts, then
  // start() rejects with transport_failed naming the interface: waiting in fault would be waiting for ever.
  it('fails to start when nothing would tell it an address came', async () => {
    const harness = createHarness({}, { primaryAddress: undefined });
    await expect(harness.instance.start()).rejects.toMatchObject({ code: 'transport_failed', message: expect.stringMatching(/eth0 has no IPv4 address to send VRRP from/) });
  });
});
