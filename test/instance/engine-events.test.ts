/**
 * The engine talks to VrrpInstance only in plain data, so that it can move to its own thread (worker) later
 * without changing the public API. This pins that property: every event of a busy run survives structured
 * cloning (what postMessage does) unchanged.
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { Engine, type EngineEvent } from '../../src/engine/engine.js';
import { FakeTransport, FakeVipManager, VirtualClock } from '../../src/testing/index.js';
import { GROUP, PEER, peerAdvert } from './harness.js';

describe('engine events cross threads', () => {
  // Given an engine on fakes that becomes master, hears a garbage packet, a higher master, and fails an add
  // when every event is structured-cloned
  // then each clone equals the original: no functions, class instances or shared buffers leak out.
  it('every engine event is structured-clone safe', async () => {
    const clock = new VirtualClock();
    const transport = new FakeTransport({ primaryAddress: '192.0.2.1' });
    const vips = new FakeVipManager();
    vips.failNext.add = new Error('boom');
    const events: EngineEvent[] = [];
    const config = resolveConfig({ interface: 'eth0', vrid: 51, virtualAddresses: ['192.0.2.100/24'], trackers: [{ type: 'function', name: 't', weight: 5, check: () => true }] });
    const engine = new Engine(config, { transport, vipManager: vips, clock }, (event) => events.push(event));
    await engine.start();
    engine.command({ type: 'tracker', name: 't', passed: true });
    await clock.advance(4000);
    await clock.advance(1500); // the failed add faulted the engine; its retry after 1 s brings it back to listening
    transport.inject({ bytes: new Uint8Array([0x31, 51, 3]), src: PEER, dst: GROUP, ttl: 255 }); // truncated, our VRID
    transport.inject(peerAdvert({ priority: 200 }));
    await clock.advance(10);
    await engine.stop();
    expect(events.map((event) => event.type)).toEqual(
      expect.arrayContaining(['transition', 'priorityChange', 'protocolError', 'error']),
    );
    for (const event of events) expect(structuredClone(event)).toEqual(event);
  });
});
