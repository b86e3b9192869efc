/**
 * What `status()` costs: the engine's publish of its runtime beside the counters after each step (the next deadline,
 * timer lateness, VIP lease expiries, tracker states; src/engine/engine.ts), and one `instance.status()` call.
 * In-process, on the testing kit's fakes and virtual clock, so that it measures our code and not the network:
 *
 *   node --import ./test/interop/fixtures/ts-loader.mjs bench/status.ts
 *
 * A master at a 10 ms advert interval steps 200 000 times with a counters-only buffer, then with a buffer that also
 * holds the runtime; rounds alternate, and each is printed (a figure with its neighbours shows the noise). Numbers
 * are µs per step of the whole engine on the fakes, not of the publish alone: the difference between the two is
 * the publish's share.
 */
import { resolveConfig } from '../src/config.js';
import { Engine, ENGINE_STATS_KEYS, runtimeSinkLength } from '../src/engine/engine.js';
import { VrrpInstance } from '../src/instance.js';
import { FakeTransport, FakeVipManager, VirtualClock } from '../src/testing/index.js';

const STEPS = 200_000;
const ROUNDS = 5;
const STATUS_CALLS = 100_000;

const config = resolveConfig({
  interface: 'eth0',
  vrid: 1,
  advertIntervalMs: 10,
  priority: 200,
  virtualAddresses: ['192.0.2.100/24', '192.0.2.101/24'],
  trackers: [
    { type: 'function', name: 'a', weight: 2, check: () => true },
    { type: 'function', name: 'b', weight: -2, check: () => true },
  ],
});

/** µs per engine step of a master at 10 ms adverts, with or without the runtime in its shared buffer. */
async function stepCost(withRuntime: boolean): Promise<number> {
  const clock = new VirtualClock();
  const sink = new Float64Array(withRuntime ? runtimeSinkLength(config) : ENGINE_STATS_KEYS.length);
  const adapters = { transport: new FakeTransport({ primaryAddress: '192.0.2.1' }), vipManager: new FakeVipManager(), clock };
  const engine = new Engine(config, adapters, () => {}, { statsSink: sink });
  await engine.start();
  await clock.advance(1000); // master by now: 3 × 10 ms + skew
  const started = performance.now();
  await clock.advance(STEPS * config.advertIntervalMs);
  const elapsedMs = performance.now() - started;
  await engine.stop();
  return (elapsedMs * 1000) / STEPS;
}

for (let round = 1; round <= ROUNDS; round++) {
  const without = await stepCost(false);
  const withRuntime = await stepCost(true);
  console.log(`round ${round}: ${without.toFixed(2)} µs/step counters only, ${withRuntime.toFixed(2)} µs/step with the runtime (${(withRuntime - without).toFixed(2)})`);
}

const clock = new VirtualClock();
const instance = new VrrpInstance(
  { interface: 'eth0', vrid: 1, virtualAddresses: ['192.0.2.100/24'], trackers: [{ type: 'function', name: 'a', weight: 2, check: () => true }] },
  { transport: new FakeTransport({ primaryAddress: '192.0.2.1' }), vipManager: new FakeVipManager(), clock },
);
await instance.start();
await clock.advance(5000);
const started = performance.now();
for (let i = 0; i < STATUS_CALLS; i++) instance.status();
console.log(`instance.status(): ${(((performance.now() - started) * 1000) / STATUS_CALLS).toFixed(2)} µs per call (a ${instance.state} with one tracker)`);
await instance.stop();
