/**
 * Events of a VrrpInstance: typed payloads for state and priority changes, dropped packets reported as
 * protocolError, I/O failures reported as 'error' (never fatal), and the waitFor() helper.
 */
import { describe, expect, it } from 'vitest';
import { vrrpWarningsDuring } from '../support/warnings.js';
import type { PriorityChangeEvent, ProtocolErrorEvent, StateChangeEvent } from '../../src/instance.js';
import { VrrpError } from '../../src/errors.js';
import { MASTER_DOWN_MS, PEER, VIP, createHarness, decodeSent, peerAdvert, startAsMaster } from './harness.js';

describe('stateChange', () => {
  // Given a running backup
  // when its master-down timer expires
  // then stateChange carries exactly {from: 'backup', to: 'master', reason: 'master-down-timer-expired'}.
  it('carries from, to and reason', async () => {
    const harness = createHarness();
    const changes: StateChangeEvent[] = [];
    await harness.instance.start();
    harness.instance.on('stateChange', (event) => changes.push(event));
    await harness.clock.advanceTo(MASTER_DOWN_MS);
    expect(changes).toEqual([{ from: 'backup', to: 'master', reason: 'master-down-timer-expired', term: 1 }]);
  });

  // Given a master
  // when a peer with priority 200 advertises
  // then stateChange to backup names the peer that caused it.
  it('names the peer whose advertisement caused the change', async () => {
    const harness = createHarness();
    await startAsMaster(harness);
    const changes: StateChangeEvent[] = [];
    harness.instance.on('stateChange', (event) => changes.push(event));
    harness.transport.inject(peerAdvert({ priority: 200 }));
    await harness.clock.advance(0);
    expect(changes).toEqual([{ from: 'master', to: 'backup', reason: 'higher-priority-advertisement', peer: PEER, term: 1 }]);
  });

  // Given a backup
  // when its master-down timer expires
  // then 'stateChange' comes before the per-state 'master' event, with the same payload.
  it("emits stateChange before the per-state event, with the same payload", async () => {
    const harness = createHarness();
    const log: [string, StateChangeEvent][] = [];
    await harness.instance.start();
    harness.instance.on('stateChange', (event) => log.push(['stateChange', event]));
    harness.instance.on('master', (event) => log.push(['master', event]));
    await harness.clock.advanceTo(MASTER_DOWN_MS);
    const expected: StateChangeEvent = { from: 'backup', to: 'master', reason: 'master-down-timer-expired', term: 1 };
    expect(log).toEqual([
      ['stateChange', expected],
      ['master', expected],
    ]);
  });
});

describe('priorityChange', () => {
  // Given a tracker with weight 2 whose check passes
  // when the instance starts and the first result arrives
  // then priorityChange reports 100 → 102 and effectivePriority is 102.
  it('reports the rise when a weighted check first passes', async () => {
    const { instance, clock } = createHarness({ trackers: [{ type: 'function', name: 'db', weight: 2, check: () => true }] });
    const changes: PriorityChangeEvent[] = [];
    instance.on('priorityChange', (event) => changes.push(event));
    await instance.start();
    await clock.advance(0);
    expect(changes).toEqual([{ from: 100, to: 102 }]);
    expect(instance.effectivePriority).toBe(102);
  });

  // Given a tracker with weight 2 (interval 1000 ms) that passed at start
  // when its check starts failing
  // then at the next run priorityChange reports 102 → 100.
  it('reports the drop when a weighted check turns to failing', async () => {
    let healthy = true;
    const harness = createHarness({ trackers: [{ type: 'function', name: 'db', weight: 2, check: () => healthy }] });
    const { instance, clock } = harness;
    await instance.start();
    await clock.advance(0);
    expect(instance.effectivePriority, 'set-up: the passing check should give 102').toBe(102);
    const changes: PriorityChangeEvent[] = [];
    instance.on('priorityChange', (event) => changes.push(event));
    healthy = false;
    await clock.advance(1000);
    expect(changes).toEqual([{ from: 102, to: 100 }]);
    expect(instance.effectivePriority).toBe(100);
  });

  // Given a master with a weight-2 tracker that passes
  // when the check fails
  // then the master advertises its new priority 100 at once, not at the next Adver_Timer.
  it('advertises the new priority at once when master', async () => {
    let healthy = true;
    const harness = createHarness({ trackers: [{ type: 'function', name: 'db', weight: 2, intervalMs: 500, check: () => healthy }] });
    const { instance, clock, transport, sendTimes } = harness;
    await instance.start();
    // Master_Down_Interval at priority 102: 3000 + 154 × 1000 / 256 = 3601.5625 ms.
    await clock.advanceTo(3601.5625);
    expect(instance.state, 'set-up: should be master').toBe('master');
    expect(decodeSent(transport.sent.at(-1)).priority).toBe(102);
    healthy = false;
    await clock.advanceTo(4000);
    expect(decodeSent(transport.sent.at(-1)).priority).toBe(100);
    expect(sendTimes.at(-1)).toBe(4000);
  });
});

describe('protocolError', () => {
  // Given a backup
  // when a peer's advertisement arrives with TTL 254
  // then protocolError reports code 'ttl' and the sender (RFC 9568 §7.1: TTL must be 255).
  it('reports a packet with TTL 254', async () => {
    const harness = createHarness();
    await harness.instance.start();
    const errors: ProtocolErrorEvent[] = [];
    harness.instance.on('protocolError', (event) => errors.push(event));
    harness.transport.inject(peerAdvert({ priority: 200, ttl: 254 }));
    await harness.clock.advance(0);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'ttl', src: PEER });
    expect(errors[0]?.message).toContain('254');
  });

  // Given a backup
  // when a peer's advertisement arrives with TTL 254
  // then stats.ipTtlErrors counts it and it is not counted as received.
  it('counts a packet with TTL 254 in stats.ipTtlErrors', async () => {
    const harness = createHarness();
    await harness.instance.start();
    harness.transport.inject(peerAdvert({ priority: 200, ttl: 254 }));
    await harness.clock.advance(0);
    expect(harness.instance.stats.ipTtlErrors).toBe(1);
    expect(harness.instance.stats.advertisementsReceived).toBe(0);
  });

  // Given a backup
  // when a higher-priority advertisement arrives with TTL 254 and then nothing else
  // then it is ignored: the backup still becomes master at its own Master_Down_Interval.
  it('ignores a dropped packet for the election', async () => {
    const harness = createHarness();
    await harness.instance.start();
    harness.transport.inject(peerAdvert({ priority: 200, ttl: 254 }));
    await harness.clock.advanceTo(MASTER_DOWN_MS);
    expect(harness.instance.state).toBe('master');
  });
});

describe('I/O errors', () => {
  // Given a VIP manager whose next add() rejects with 'boom'
  // when the master-down timer expires
  // then 'error' is emitted with code 'vip_failed', the message says why, and the cause is kept.
  it("reports a failed VIP add as 'error' with code 'vip_failed'", async () => {
    const harness = createHarness();
    const boom = new Error('boom');
    harness.vips.failNext.add = boom;
    const errors: VrrpError[] = [];
    harness.instance.on('error', (error) => errors.push(error));
    await harness.instance.start();
    await harness.clock.advanceTo(MASTER_DOWN_MS);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(VrrpError);
    expect(errors[0]?.code).toBe('vip_failed');
    expect(errors[0]?.message).toContain('boom');
    expect(errors[0]?.cause).toBe(boom);
    expect(harness.instance.stats.vipErrors).toBe(1);
  });

  // Given a VIP manager that refuses every add
  // when the master-down timer expires
  // then the instance goes from backup to fault with reason 'vip-failed', and never reports master.
  it('goes to fault instead of master when the VIPs cannot be added', async () => {
    const harness = createHarness();
    harness.vips.failing.add = new Error('EACCES');
    harness.instance.on('error', () => {});
    const changes: StateChangeEvent[] = [];
    let masters = 0;
    harness.instance.on('stateChange', (event) => changes.push(event));
    harness.instance.on('master', () => masters++);
    await harness.instance.start();
    await harness.clock.advanceTo(MASTER_DOWN_MS);
    expect(harness.instance.state).toBe('fault');
    expect(changes.at(-1)).toMatchObject({ from: 'backup', to: 'fault', reason: 'vip-failed' });
    expect(masters).toBe(0);
    expect(harness.vips.announcements).toBe(0);
  });

  // Given a VIP manager that refuses every add
  // when the master-down timer expires
  // then the advert it sent on taking over is followed by a priority-0 advert, so a peer takes over at once.
  it('sends priority 0 after the VIPs could not be added, so a peer serves', async () => {
    const harness = createHarness();
    harness.vips.failing.add = new Error('EACCES');
    harness.instance.on('error', () => {});
    await harness.instance.start();
    await harness.clock.advanceTo(MASTER_DOWN_MS);
    expect(decodeSent(harness.transport.sent.at(-1))).toMatchObject({ priority: 0 });
  });

  // Given a VIP manager that refused the add at the first takeover and then accepts
  // when 1 s has passed (the first backoff) and the master-down interval after it
  // then the instance leaves fault, becomes master with its VIPs, and reports master once.
  it('tries again after 1 s and becomes master once the VIPs can be added', async () => {
    const harness = createHarness();
    harness.vips.failing.add = new Error('EACCES');
    harness.instance.on('error', () => {});
    const states: string[] = [];
    harness.instance.on('stateChange', (event) => states.push(`${event.from}>${event.to}:${event.reason}`));
    await harness.instance.start();
    await harness.clock.advanceTo(MASTER_DOWN_MS);
    delete harness.vips.failing.add;
    await harness.clock.advance(999);
    expect(harness.instance.state).toBe('fault');
    await harness.clock.advance(1);
    expect(harness.instance.state).toBe('backup');
    await harness.clock.advance(MASTER_DOWN_MS);
    expect(harness.instance.state).toBe('master');
    expect(harness.vips.addresses.has(VIP)).toBe(true);
    expect(states).toEqual([
      'initialize>backup:startup',
      'backup>fault:vip-failed',
      'fault>backup:fault-cleared',
      'backup>master:master-down-timer-expired',
    ]);
  });

  // Given a VIP manager that keeps refusing
  // when the instance keeps trying
  // then the waits between tries double: 1 s, 2 s, 4 s.
  it('backs off between tries while the VIPs still cannot be added', async () => {
    const harness = createHarness();
    harness.vips.failing.add = new Error('EACCES');
    harness.instance.on('error', () => {});
    const faults: number[] = [];
    harness.instance.on('stateChange', (event) => {
      if (event.to === 'fault') faults.push(harness.clock.now());
    });
    await harness.instance.start();
    await harness.clock.advanceTo(MASTER_DOWN_MS + 3 * (1000 + MASTER_DOWN_MS) + 7000);
    const gaps = faults.slice(1).map((at, i) => at - (faults[i] as number) - MASTER_DOWN_MS);
    expect(gaps).toEqual([1000, 2000, 4000]);
  });

  // Given nobody listening for 'error'
  // when adding the VIPs fails
  // then the failure is a process warning, not silence.
  it("turns an error nobody listens for into a process warning", async () => {
    const harness = createHarness();
    harness.vips.failNext.add = new Error('boom');
    const warnings = await vrrpWarningsDuring(async () => {
      await harness.instance.start();
      await harness.clock.advanceTo(MASTER_DOWN_MS);
    });
    expect(warnings.map((warning) => warning.code)).toEqual(['VRRP_VIP_FAILED']);
    expect(warnings[0]?.message).toContain('boom');
  });

  // Given an 'error' listener that throws
  // when adding the VIPs fails
  // then a process warning says that the listener threw, what it threw, and the error it was told of.
  it("turns an 'error' listener that throws into a process warning", async () => {
    const harness = createHarness();
    harness.vips.failNext.add = new Error('boom');
    harness.instance.on('error', () => {
      throw new Error('listener bug');
    });
    const warnings = await vrrpWarningsDuring(async () => {
      await harness.instance.start();
      await harness.clock.advanceTo(MASTER_DOWN_MS);
    });
    expect(warnings.map((warning) => warning.code), 'the throwing error listener passed unseen').toEqual(['VRRP_LISTENER_FAILED']);
    expect(warnings[0]?.message).toMatch(/error listener threw: listener bug/);
    expect(warnings[0]?.message).toContain('boom');
  });

  // Given a transport whose next send throws
  // when the instance becomes master and sends its first advertisement
  // then 'error' is emitted with code 'send_failed' and the cause is kept.
  it("reports a failed send as 'error' with code 'send_failed'", async () => {
    const harness = createHarness();
    const cause = new Error('enobufs');
    harness.transport.failNextSend = cause;
    const errors: VrrpError[] = [];
    harness.instance.on('error', (error) => errors.push(error));
    await startAsMaster(harness);
    expect(errors.map((error) => error.code)).toEqual(['send_failed']);
    expect(errors[0]?.cause).toBe(cause);
  });

  // Given a transport whose next send throws
  // when the instance becomes master and keeps advertising for 2 s
  // then stats.sendErrors is 1 and the later advertisements went out.
  it('counts a failed send in stats.sendErrors and keeps sending', async () => {
    const harness = createHarness();
    harness.transport.failNextSend = new Error('enobufs');
    harness.instance.on('error', () => {});
    await startAsMaster(harness);
    await harness.clock.advance(2000);
    expect(harness.instance.stats.sendErrors).toBe(1);
    expect(harness.sendTimes).toEqual([MASTER_DOWN_MS + 1000, MASTER_DOWN_MS + 2000]);
    expect(harness.instance.state).toBe('master');
  });
});

describe('waitFor', () => {
  // Given a running backup and a pending waitFor('master')
  // when the master-down timer expires
  // then the promise resolves — not before.
  it("resolves waitFor('master') when the instance becomes master", async () => {
    const harness = createHarness();
    await harness.instance.start();
    let resolved = false;
    const waiting = harness.instance.waitFor('master').then(() => {
      resolved = true;
    });
    await harness.clock.advanceTo(MASTER_DOWN_MS - 1);
    expect(resolved, 'resolved while still backup').toBe(false);
    await harness.clock.advanceTo(MASTER_DOWN_MS);
    // advanceTo settles the promises of what it fired: resolved by now, without awaiting it (awaiting would turn a
    // waitFor that never resolves into a 60 s timeout that says nothing).
    expect(resolved, 'not resolved once master').toBe(true);
    await waiting;
  });

  // Given a master
  // when waitFor('master') is called
  // then it resolves at once, without any virtual time passing.
  it('resolves at once when the instance is already in the state', async () => {
    const harness = createHarness();
    await startAsMaster(harness);
    let resolved = false;
    void harness.instance.waitFor('master').then(() => {
      resolved = true;
    });
    await Promise.resolve();
    expect(resolved).toBe(true);
  });

  // Given a backup and a waitFor('master') with an AbortSignal
  // when the signal aborts
  // then the promise rejects with a VrrpError of code 'aborted' carrying the abort reason.
  it("rejects with code 'aborted' when its signal aborts", async () => {
    const harness = createHarness();
    await harness.instance.start();
    const controller = new AbortController();
    const waiting = harness.instance.waitFor('master', { signal: controller.signal });
    const reason = new Error('gave up');
    controller.abort(reason);
    await expect(waiting).rejects.toBeInstanceOf(VrrpError);
    await expect(waiting).rejects.toMatchObject({ code: 'aborted', cause: reason });
  });

  // Given a backup and an already aborted signal
  // when waitFor('master') is called with it
  // then it rejects with code 'aborted' at once.
  it('rejects at once when the signal is already aborted', async () => {
    const harness = createHarness();
    await harness.instance.start();
    const waiting = harness.instance.waitFor('master', { signal: AbortSignal.abort() });
    await expect(waiting).rejects.toMatchObject({ code: 'aborted' });
  });

  // Given an app stateChange listener that throws, registered before a waitFor('master')
  // when the instance becomes master
  // then waitFor still resolves: eventemitter3 stops calling an event's listeners at the first that throws, and
  // waitFor listens apart from the app's listeners.
  it("resolves waitFor('master') past an app stateChange listener that throws", async () => {
    const harness = createHarness();
    harness.instance.on('error', () => {}); // the listener_failed report, expected
    harness.instance.on('stateChange', () => {
      throw new Error('app bug');
    });
    await harness.instance.start();
    let resolved = false;
    const waiting = harness.instance.waitFor('master').then(() => {
      resolved = true;
    });
    await harness.clock.advanceTo(MASTER_DOWN_MS);
    expect(harness.instance.state).toBe('master');
    expect(resolved, "waitFor missed the transition behind the app's throwing listener").toBe(true);
    await waiting;
  });

  // Given a waitFor('master') whose signal aborted
  // when the instance later becomes master
  // then it no longer listens (no stateChange listener is left behind).
  it('removes its listener after rejecting', async () => {
    const harness = createHarness();
    await harness.instance.start();
    const before = harness.instance.listenerCount('stateChange');
    const controller = new AbortController();
    const waiting = harness.instance.waitFor('master', { signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'aborted' });
    expect(harness.instance.listenerCount('stateChange')).toBe(before);
  });
});
