/**
 * An engine's edges, on fakes: its teardown closes each adapter on its own (a transport whose close fails is
 * reported, and the VIP manager is still closed — its renewals, address watch and timers would otherwise outlive
 * the run); once stopped, its core hears nothing more; an add of the addresses that fails after the core left the
 * mastership it was for is reported, not made a fault.
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { Engine, type EngineEvent } from '../../src/engine/engine.js';
import { FakeTransport, FakeVipManager, VirtualClock } from '../../src/testing/index.js';
import { baseConfig, MASTER_DOWN_MS, PRIMARY, peerAdvert } from './harness.js';

class FailingCloseTransport extends FakeTransport {
  override close(): void {
    throw new Error('EBADF');
  }
}

class CountingVipManager extends FakeVipManager {
  closes = 0;
  close(): void {
    this.closes++;
  }
}

describe('engine teardown', () => {
  it('closes the VIP manager even when the transport fails to close, and reports the failure', async () => {
    const clock = new VirtualClock();
    const vipManager = new CountingVipManager();
    const events: EngineEvent[] = [];
    const engine = new Engine(resolveConfig(baseConfig()), { transport: new FailingCloseTransport({ primaryAddress: PRIMARY }), vipManager, clock }, (event) => events.push(event));
    await engine.start();
    await engine.stop();
    expect(vipManager.closes).toBe(1);
    expect(events.filter((event) => event.type === 'error').map((event) => (event.type === 'error' ? [event.code, event.message] : []))).toEqual([['transport_failed', 'could not close the transport']]);
  });
});

describe('engine after stop', () => {
  it('hands nothing to the core once stopped: a late tracker result moves no priority and emits nothing', async () => {
    const clock = new VirtualClock();
    const events: EngineEvent[] = [];
    const config = resolveConfig(baseConfig({ trackers: [{ type: 'function', name: 't', weight: 5, check: () => true }] }));
    const engine = new Engine(config, { transport: new FakeTransport({ primaryAddress: PRIMARY }), vipManager: new FakeVipManager(), clock }, (event) => events.push(event));
    await engine.start();
    await engine.stop();
    const priorityAtStop = engine.priority;
    const eventsAtStop = events.length;
    // A check that was under way when the instance stopped reports afterwards.
    engine.command({ type: 'tracker', name: 't', passed: true });
    await engine.idle();
    expect({ priority: engine.priority, events: events.slice(eventsAtStop) }).toEqual({ priority: priorityAtStop, events: [] });
  });
});

/** A VIP manager whose add fails `failAfterMs` after it was asked, on the test's clock. */
class SlowFailingVipManager extends FakeVipManager {
  constructor(
    private readonly clock: VirtualClock,
    private readonly failAfterMs: number,
  ) {
    super();
  }
  override add(): Promise<void> {
    return new Promise((_resolve, reject) => this.clock.setTimer(this.failAfterMs, () => reject(new Error('EPERM'))));
  }
}

describe('engine when an add fails late', () => {
  it('keeps a core that went backup while the add ran in backup, reporting the failure without a fault', async () => {
    const clock = new VirtualClock();
    const transport = new FakeTransport({ primaryAddress: PRIMARY });
    const events: EngineEvent[] = [];
    const engine = new Engine(resolveConfig(baseConfig()), { transport, vipManager: new SlowFailingVipManager(clock, 50), clock }, (event) => events.push(event));
    await engine.start();
    await clock.advanceTo(MASTER_DOWN_MS + 1); // the core is master; its add is under way
    transport.inject(peerAdvert({ priority: 200 })); // a higher priority: the core goes backup
    await clock.advance(100); // the add fails
    await engine.idle();
    const transitions = events.flatMap((event) => (event.type === 'transition' ? [`${event.from}→${event.to} (${event.reason})`] : []));
    const errors = events.flatMap((event) => (event.type === 'error' ? [event.code] : []));
    expect({ transitions, errors }).toEqual({ transitions: ['initialize→backup (startup)'], errors: ['vip_failed'] });
    await engine.stop();
  });
});
