/**
 * `instance.status()` and `group.status()` after scripted failovers in virtual time. Numbers follow RFC 9568 §6.1
 * (v3, advertisement interval 1000 ms, wire latency 1 ms): Master_Down_Interval = 3000 + (256 − priority) × 1000/256.
 *
 * A (base 150, tracker chk_app weight +20 → 170) wins: master at 3000 + 86 × 1000/256 = 3335.9375 ms, adverts every
 * 1000 ms from then, heard by B 1 ms later. B (100) waits: its Master_Down_Timer restarts at each advert heard.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { VrrpConfig } from '../../src/config.js';
import { VrrpGroup } from '../../src/group.js';
import type { VrrpInstance } from '../../src/instance.js';
import { SimNetwork } from '../../src/testing/index.js';
import { createHarness, MASTER_DOWN_MS, peerAdvert, startAsMaster } from './harness.js';

const A = '192.0.2.1';
const B = '192.0.2.2';
const VIP = '192.0.2.100';
const A_MASTER_AT = 3000 + (86 * 1000) / 256;
const B_MASTER_DOWN_MS = 3000 + (156 * 1000) / 256;

let net: SimNetwork;

afterEach(async () => {
  await net?.stopAll();
});

const config = (name: string, priority: number, extra: Partial<VrrpConfig> = {}): VrrpConfig => ({
  name,
  interface: 'eth0',
  vrid: 51,
  priority,
  advertIntervalMs: 1000,
  virtualAddresses: [`${VIP}/24`],
  ...extra,
});

/** A and B on one segment, A healthy; both started. */
function pair(health = { ok: true }): { a: VrrpInstance; b: VrrpInstance } {
  net = new SimNetwork({ seed: 1, latencyMs: 1 });
  const a = net.addNode(config('A', 150, { trackers: [{ type: 'function', name: 'chk_app', weight: 20, intervalMs: 500, check: () => health.ok }] }), { address: A });
  const b = net.addNode(config('B', 100), { address: B });
  return { a, b };
}

describe('instance.status() after a scripted failover in SimNetwork', () => {
  it('a backup names the master it hears and when its Master_Down_Timer fires', async () => {
    const { a, b } = pair();
    await net.advance(10_000);
    net.assert(a.state === 'master' && b.state === 'backup', 'A should be master, B backup');

    const status = b.status();
    expect(status.state).toBe('backup');
    expect(status.master).toEqual({ address: A, priority: 170, advertIntervalMs: 1000, self: false });
    // A's last advert before 10 s left at A_MASTER_AT + 6000 and arrived 1 ms later; B's timer runs from there.
    const lastHeard = A_MASTER_AT + 6000 + 1;
    expect(status.timers).toEqual({
      advertIntervalMs: 1000,
      masterAdverIntervalMs: 1000,
      skewTimeMs: (156 * 1000) / 256,
      masterDownIntervalMs: B_MASTER_DOWN_MS,
      preemptDelayMs: 0,
      next: { timer: 'Master_Down_Timer', inMs: lastHeard + B_MASTER_DOWN_MS - 10_000, repeatsAbsorbed: false },
    });
    expect(status.vips).toEqual([{ address: VIP, prefixLength: 24, interface: 'eth0', advertised: true, held: false, leaseMs: null, leaseRemainingMs: null }]);
    expect(status.counters.vrrpv3StatisticsRcvdAdvertisements).toBe(7);
  });

  it('the backup that took over tells its state, since when and why, its term, and its Adver_Timer', async () => {
    const { a, b } = pair();
    await net.advance(10_000);
    await net.kill(a);
    await net.advance(5000);
    const takeoverAt = A_MASTER_AT + 6000 + 1 + B_MASTER_DOWN_MS;
    net.assert(b.state === 'master', 'B should have taken over');

    const status = b.status();
    expect(status).toMatchObject({ name: 'B', vrid: 51, version: 3, family: 'ipv4', interface: 'eth0', running: true, state: 'master', reason: 'master-down-timer-expired', term: 1 });
    expect(status.inStateMs).toBe(15_000 - takeoverAt);
    expect(Date.parse(status.since)).not.toBeNaN();
    expect(status.master).toEqual({ address: B, priority: 100, advertIntervalMs: 1000, self: true });
    // A master's adverts leave at its takeover and every interval after: the next at takeover + 3000.
    expect(status.timers.next).toEqual({ timer: 'Adver_Timer', inMs: takeoverAt + 3000 - 15_000, repeatsAbsorbed: false });
    expect(status.vips).toEqual([{ address: VIP, prefixLength: 24, interface: 'eth0', advertised: true, held: true, leaseMs: null, leaseRemainingMs: null }]);
    expect(status.engine).toEqual({ thread: 'main', timerLateMs: 0, timerLateMaxMs: 0, socket: null, socketInterface: null });
  });

  it('counts under RFC 6527 names: the new master transitions once, for want of a response from the old one', async () => {
    const { a, b } = pair();
    await net.advance(10_000);
    await net.kill(a);
    await net.advance(5000);

    const counters = b.status().counters;
    expect(counters).toMatchObject({
      vrrpv3StatisticsMasterTransitions: 1,
      vrrpv3StatisticsNewMasterReason: 'masterNoResponse',
      vrrpv3StatisticsRcvdAdvertisements: 7,
      vrrpv3StatisticsProtoErrReason: 'noError',
      vrrpv3StatisticsRcvdPriZeroPackets: 0, // A's resignation was lost with it
      vrrpv3StatisticsRefreshRate: 0, // read live: the engine runs on this thread
      vrrpv3RouterChecksumErrors: 0,
      advertisementsSent: 3, // at the takeover, then at +1 s and +2 s
    });
    expect(Date.parse(counters.vrrpv3StatisticsRowDiscontinuityTime ?? '')).not.toBeNaN();
  });

  it('the dead master reports initialize, the term it reached and no timer', async () => {
    const { a } = pair();
    await net.advance(10_000);
    await net.kill(a);
    await net.advance(5000);

    const status = a.status();
    expect(status).toMatchObject({ running: false, state: 'initialize', reason: 'stopped', term: 1, master: null });
    expect(status.timers.next).toBeNull();
    expect(status.counters.vrrpv3StatisticsSentPriZeroPackets).toBe(1);
    expect(status.counters.vrrpv3StatisticsNewMasterReason).toBe('masterNoResponse');
  });

  it('gives each tracker\'s part in the effective priority, and its latest reason', async () => {
    const health = { ok: true };
    const { a } = pair(health);
    await net.advance(10_000);
    expect(a.status().priority).toEqual({
      effective: 170,
      base: 150,
      heldByGroup: null,
      trackers: [{ name: 'chk_app', type: 'function', status: 'up', weight: 20, reverse: false, contribution: 20, faults: false, value: null, reason: 'check returned true' }],
    });

    health.ok = false;
    await net.advance(2000); // fall is 1 by default: the next check turns it down
    const after = a.status().priority;
    expect(after.trackers[0]).toMatchObject({ status: 'down', contribution: 0, reason: 'check returned false' });
    expect(after.effective).toBe(150);
  });

  it('takes an eventLoopLag tracker\'s status from the engine, which runs it', async () => {
    net = new SimNetwork({ seed: 1, latencyMs: 1 });
    const a = net.addNode(config('A', 150, { trackers: [{ type: 'eventLoopLag', thresholdMs: 1000, weight: -50 }] }), { address: A });
    await net.advance(5000);
    // In virtual time its timer is never late: up, so its negative weight takes nothing off.
    expect(a.status().priority.trackers).toEqual([
      { name: 'eventLoopLag', type: 'eventLoopLag', status: 'up', weight: -50, reverse: false, contribution: 0, faults: false, value: null, reason: null },
    ]);
  });

  it('survives a JSON round trip unchanged', async () => {
    const { a, b } = pair();
    await net.advance(10_000);
    await net.kill(a);
    await net.advance(5000);
    for (const status of [a.status(), b.status()]) expect(JSON.parse(JSON.stringify(status))).toStrictEqual(status);
  });

  it('before start, tells the configured picture: initialize, unknown trackers, no master, no counters start', () => {
    net = new SimNetwork({ seed: 1 });
    const a = net.addNode(config('A', 150, { trackers: [{ type: 'function', name: 'chk_app', weight: 20, check: () => true }] }), { address: A, start: false });
    const status = a.status();
    expect(status).toMatchObject({ running: false, state: 'initialize', reason: null, term: 0, master: null, lastProtocolError: null });
    expect(status.priority.trackers[0]).toMatchObject({ status: 'unknown', contribution: 0, reason: null });
    expect(status.counters.vrrpv3StatisticsRowDiscontinuityTime).toBeNull();
  });
});

describe('instance.status() of dropped packets', () => {
  it('names the latest drop and its RFC 6527 reason', async () => {
    const harness = createHarness();
    await startAsMaster(harness);
    harness.transport.inject(peerAdvert({ priority: 200, ttl: 64 }));
    const status = harness.instance.status();
    expect(status.lastProtocolError).toMatchObject({ code: 'ttl', src: '192.0.2.2' });
    expect(status.counters.vrrpv3StatisticsIpTtlErrors).toBe(1);
    expect(status.counters.vrrpv3StatisticsProtoErrReason).toBe('ipTtlError');
    expect(harness.clock.now()).toBe(MASTER_DOWN_MS);
    await harness.instance.stop();
  });
});

describe('instance.status() of a shared receive socket', () => {
  // Given a transport that shares a receive socket and counts what it drops before any instance sees it
  // then status() shows those counters as they are now while running, and null once stopped.
  it("shows the transport's shared socket counters while running", async () => {
    const harness = createHarness();
    const counts = { received: 7, malformed: 1, otherVrid: 5, receiveErrors: 0 };
    Object.defineProperty(harness.transport, 'socketStats', { get: () => ({ ...counts }) });
    await startAsMaster(harness);
    expect(harness.instance.status().engine.socket).toEqual({ received: 7, malformed: 1, otherVrid: 5, receiveErrors: 0 });
    counts.malformed = 2;
    expect(harness.instance.status().engine.socket?.malformed).toBe(2);
    await harness.instance.stop();
    expect(harness.instance.status().engine.socket).toBeNull();
  });
});

describe('group.status()', () => {
  it('reports the group state, the members it holds and each member\'s status', async () => {
    // A weight-0 tracker down on one member: the group goes to fault and holds its members there.
    net = new SimNetwork({ seed: 1, latencyMs: 1 });
    const health = { ok: true };
    const outside = net.addNode(
      config('OUT', 150, { vrid: 1, trackers: [{ type: 'function', name: 'chk_db', intervalMs: 500, check: () => health.ok }] }),
      { address: A, start: false },
    );
    const inside = net.addNode(config('IN', 150, { vrid: 2, virtualAddresses: ['10.0.0.10/24'] }), { address: '192.0.2.11', start: false });
    const group = new VrrpGroup('G', [outside, inside]);
    await Promise.all([outside.start(), inside.start()]);
    await net.advance(10_000);
    expect(group.status()).toMatchObject({ name: 'G', state: 'master', holding: [] });

    health.ok = false;
    await net.advance(2000);
    await group.settled();
    const status = group.status();
    // The faulty member is held too (its recovery stays visible in its tracker): neither leaves fault alone.
    expect(status).toMatchObject({ name: 'G', state: 'fault', holding: ['OUT', 'IN'] });
    expect(status.members.map((member) => [member.name, member.state, member.priority.heldByGroup])).toEqual([
      ['OUT', 'fault', true],
      ['IN', 'fault', true],
    ]);
    expect(status.members[0]?.priority.trackers[0]).toMatchObject({ name: 'chk_db', status: 'down', faults: true });
    expect(JSON.parse(JSON.stringify(status))).toStrictEqual(status);
  });
});
