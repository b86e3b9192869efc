/**
 * The `eventLoopLag` tracker: the engine asks every `intervalMs` how long the app's main thread has not answered
 * and feeds the core a tracker result, so keepalived's weight semantics apply — weight 0 faults a wedged app (and a
 * peer takes the VIP), a negative weight lowers its priority, and a merely busy app under the threshold keeps it.
 * The lag source is injected (on the engine thread it is the main thread's heartbeat), time is virtual.
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig, type VrrpConfig } from '../../src/config.js';
import { Engine, type EngineEvent } from '../../src/engine/engine.js';
import { FakeTransport, FakeVipManager, VirtualClock } from '../../src/testing/index.js';

function setUp(tracker: Record<string, unknown>, overrides: Partial<VrrpConfig> = {}) {
  const clock = new VirtualClock();
  const transport = new FakeTransport({ primaryAddress: '192.0.2.1' });
  const events: EngineEvent[] = [];
  let lagMs = 0;
  const config = resolveConfig({
    interface: 'eth0',
    vrid: 51,
    priority: 150,
    advertIntervalMs: 100,
    virtualAddresses: ['192.0.2.100/24'],
    trackers: [{ type: 'eventLoopLag', thresholdMs: 1000, ...tracker } as never],
    ...overrides,
  });
  const engine = new Engine(config, { transport, vipManager: new FakeVipManager(), clock }, (e) => events.push(e), {
    mainThreadLagMs: () => lagMs,
  });
  return { clock, engine, events, setLag: (ms: number) => (lagMs = ms) };
}

const states = (events: EngineEvent[]): string[] => events.flatMap((e) => (e.type === 'transition' ? [e.to] : []));

describe('eventLoopLag tracker', () => {
  // Given a master with an eventLoopLag tracker of weight 0 and threshold 1 s
  // when the main thread stops answering for longer than the threshold
  // then the instance goes to fault (it sends priority 0 and releases the VIP), and comes back when it answers.
  it('weight 0: a main thread wedged past the threshold faults the instance', async () => {
    const { clock, engine, events, setLag } = setUp({ weight: 0 });
    await engine.start();
    await clock.advance(1000);
    expect(states(events)).toEqual(['backup', 'master']);
    setLag(1500);
    await clock.advance(300);
    expect(states(events)).toEqual(['backup', 'master', 'fault']);
    setLag(0);
    await clock.advance(300);
    expect(states(events).slice(0, 4)).toEqual(['backup', 'master', 'fault', 'backup']);
    await engine.stop();
  });

  // Given the same master, when the main thread is busy but answers within the threshold, then nothing changes.
  it('a main thread busy under the threshold keeps mastership', async () => {
    const { clock, engine, events, setLag } = setUp({ weight: 0 });
    await engine.start();
    await clock.advance(1000);
    setLag(900);
    await clock.advance(5000);
    expect(states(events)).toEqual(['backup', 'master']);
    await engine.stop();
  });

  // Given a negative weight, when the lag passes the threshold, then the priority drops by the weight (no fault).
  it('a negative weight lowers the priority while wedged', async () => {
    const { clock, engine, events, setLag } = setUp({ weight: -60 });
    await engine.start();
    await clock.advance(1000);
    setLag(2000);
    await clock.advance(300);
    expect(engine.priority).toBe(90);
    expect(events.some((e) => e.type === 'priorityChange' && e.to === 90)).toBe(true);
    expect(states(events)).toEqual(['backup', 'master']);
    await engine.stop();
  });

  // Given fall 3, when the lag is over the threshold for only two looks, then the tracker stays up.
  it('fall counts consecutive looks over the threshold', async () => {
    const { clock, engine, events, setLag } = setUp({ weight: 0, fall: 3, intervalMs: 100 });
    await engine.start();
    await clock.advance(1000);
    setLag(1500);
    await clock.advance(200); // two looks
    setLag(0);
    await clock.advance(1000);
    expect(states(events)).toEqual(['backup', 'master']);
    setLag(1500);
    await clock.advance(300); // three looks
    expect(states(events)).toEqual(['backup', 'master', 'fault']);
    await engine.stop();
  });

  // Given an engine on the main thread (no lag source), the lag is how late the tracker's own timer fired: on a
  // virtual clock never, so the tracker stays up.
  it('without a lag source the tracker measures its own timer and stays up on time', async () => {
    const clock = new VirtualClock();
    const events: EngineEvent[] = [];
    const config = resolveConfig({ interface: 'eth0', vrid: 51, advertIntervalMs: 100, virtualAddresses: ['192.0.2.100/24'], trackers: [{ type: 'eventLoopLag', thresholdMs: 50 }] });
    const engine = new Engine(config, { transport: new FakeTransport({ primaryAddress: '192.0.2.1' }), vipManager: new FakeVipManager(), clock }, (e) => events.push(e));
    await engine.start();
    await clock.advance(5000);
    expect(states(events)).toEqual(['backup', 'master']);
    await engine.stop();
  });

  it('has keepalived-style defaults: name eventLoopLag, weight 0, a look every quarter threshold', () => {
    const config = resolveConfig({ interface: 'eth0', vrid: 1, virtualAddresses: ['192.0.2.1'], trackers: [{ type: 'eventLoopLag', thresholdMs: 2000 }] });
    expect(config.trackers[0]).toEqual({ type: 'eventLoopLag', name: 'eventLoopLag', thresholdMs: 2000, intervalMs: 500, weight: 0, fall: 1, rise: 1, reverse: false });
  });

  it('a config without thresholdMs names the field', () => {
    expect(() => resolveConfig({ interface: 'eth0', vrid: 1, virtualAddresses: ['192.0.2.1'], trackers: [{ type: 'eventLoopLag' }] })).toThrow(/trackers\.0\.thresholdMs/);
  });
});
