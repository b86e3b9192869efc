/**
 * The routing word of an engine's published runtime (src/engine/engine.ts, `runtimeSinkLength`): the engine thread
 * tells the app's thread which of the virtual routes and rules it holds through the shared buffer, as it tells the
 * leases and trackers, and `status()` reads it there. On fakes in virtual time, read back with `readRuntime` as the
 * app's thread reads it.
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { Engine, readRuntime, runtimeSinkLength } from '../../src/engine/engine.js';
import { FakeTransport, FakeVipManager, VirtualClock } from '../../src/testing/index.js';
import { baseConfig, MASTER_DOWN_MS, PRIMARY, peerAdvert } from './harness.js';

function start(failRoutes?: Error) {
  const config = resolveConfig(
    baseConfig({
      virtualRoutes: [{ to: '198.51.100.0/24', via: '192.0.2.254' }],
      virtualRules: [{ from: '192.0.2.100', table: 100, priority: 100 }],
      trackers: [{ type: 'function', name: 'probe', weight: 10, check: () => true }],
    }),
  );
  const clock = new VirtualClock();
  const transport = new FakeTransport({ primaryAddress: PRIMARY });
  const vipManager = new FakeVipManager();
  if (failRoutes) vipManager.failNext.addRoutes = failRoutes;
  const sink = new Float64Array(runtimeSinkLength(config));
  const states: string[] = [];
  const engine = new Engine(config, { transport, vipManager, clock }, (event) => (event.type === 'transition' ? states.push(event.to) : undefined), { statsSink: sink });
  return { config, clock, transport, engine, sink, states };
}

describe("an engine's published routing", () => {
  // Given a master with a route, a rule and a tracker; then the buffer says both held, and the tracker after the
  // routing word still reads as the core holds it (the layout agrees on both sides).
  it('says routes and rules held once master, the fields after it in place', async () => {
    const run = start();
    await run.engine.start();
    await run.clock.advance(MASTER_DOWN_MS);
    run.engine.command({ type: 'tracker', name: 'probe', passed: true });
    await run.clock.advance(100);
    const runtime = readRuntime(run.sink, run.config);
    expect({ routes: runtime.routesHeld, rules: runtime.rulesHeld }).toEqual({ routes: true, rules: true });
    expect(runtime.trackers.probe?.status).toBe('up');
    expect(runtime.masterAdverIntervalMs).toBe(1000);
    await run.engine.stop();
  });

  // Given a master whose routes the VIP manager refused; then the buffer says the routes not held, the rules held.
  it('says routes not held after they failed, the rules held', async () => {
    const run = start(new Error('ENETUNREACH'));
    await run.engine.start();
    await run.clock.advance(MASTER_DOWN_MS);
    const runtime = readRuntime(run.sink, run.config);
    expect({ routes: runtime.routesHeld, rules: runtime.rulesHeld }).toEqual({ routes: false, rules: true });
    await run.engine.stop();
  });

  // Given a master that hears a higher priority; then once it is backup the buffer says neither held.
  it('says neither held once the mastership is given up', async () => {
    const run = start();
    await run.engine.start();
    await run.clock.advance(MASTER_DOWN_MS);
    expect(run.states.at(-1)).toBe('master');
    run.transport.inject(peerAdvert({ priority: 200 }));
    await run.clock.advance(100);
    expect(run.states.at(-1)).toBe('backup');
    const runtime = readRuntime(run.sink, run.config);
    expect({ routes: runtime.routesHeld, rules: runtime.rulesHeld }).toEqual({ routes: false, rules: false });
    await run.engine.stop();
  });
});
