/**
 * An engine's teardown closes each adapter on its own: a transport whose close fails is reported, and the VIP
 * manager is still closed (its renewals, address watch and timers would otherwise outlive the run). On fakes.
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { Engine, type EngineEvent } from '../../src/engine/engine.js';
import { FakeTransport, FakeVipManager, VirtualClock } from '../../src/testing/index.js';
import { baseConfig, PRIMARY } from './harness.js';

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
