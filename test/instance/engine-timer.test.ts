/**
 * The engine's timer rules, on fakes in virtual time: a timer that fires late reads the socket before it acts (a
 * late Master_Down_Timer must not beat adverts already waiting), a timer on time does not (an empty read costs a
 * takeover time), a packet with a receive timestamp counts from its arrival, and the start-up rehearsal of a
 * takeover leaves no trace.
 */
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/adapters/types.js';
import { resolveConfig } from '../../src/config.js';
import { Engine, type EngineEvent } from '../../src/engine/engine.js';
import { FakeTransport, FakeVipManager, VirtualClock } from '../../src/testing/index.js';
import { MASTER_DOWN_MS, peerAdvert } from './harness.js';

/** A clock whose timers fire `lateMs` after their due time, as on an event loop the app kept busy. */
class LateClock implements Clock {
  constructor(readonly inner: VirtualClock, readonly lateMs: number) {}
  now(): number {
    return this.inner.now();
  }
  setTimer(delayMs: number, callback: () => void): () => void {
    return this.inner.setTimer(delayMs + this.lateMs, callback);
  }
}

/** A transport whose socket holds packets until drained, counting the drains. */
class QueueingTransport extends FakeTransport {
  readonly waiting: Parameters<FakeTransport['inject']>[0][] = [];
  drains = 0;
  drain(): void {
    this.drains++;
    for (const packet of this.waiting.splice(0)) this.inject(packet);
  }
}

const config = resolveConfig({ interface: 'eth0', vrid: 51, virtualAddresses: ['192.0.2.100/24'] });

function setUp(lateMs: number): { clock: VirtualClock; transport: QueueingTransport; engine: Engine; events: EngineEvent[] } {
  const clock = new VirtualClock();
  const transport = new QueueingTransport({ primaryAddress: '192.0.2.1' });
  const events: EngineEvent[] = [];
  const engine = new Engine(config, { transport, vipManager: new FakeVipManager(), clock: new LateClock(clock, lateMs) }, (e) => events.push(e));
  return { clock, transport, engine, events };
}

const becameMaster = (events: EngineEvent[]): boolean => events.some((e) => e.type === 'transition' && e.to === 'master');

describe('engine timers', () => {
  // Given a backup whose timer fires 500 ms late, and a master's advert waiting unread in the socket
  // when the late Master_Down_Timer fires
  // then the engine drains the socket first, hears the master, and stays backup.
  it('a late timer reads waiting adverts before it acts', async () => {
    const { clock, transport, engine, events } = setUp(500);
    await engine.start();
    transport.waiting.push(peerAdvert({ priority: 200 }));
    await clock.advance(MASTER_DOWN_MS + 500);
    expect(transport.drains).toBeGreaterThan(0);
    expect(becameMaster(events)).toBe(false);
    await engine.stop();
  });

  // Given a backup whose timer fires on time (no advert anywhere)
  // when the Master_Down_Timer fires, then it takes over without reading the socket first.
  it('a timer on time does not drain the socket', async () => {
    const { clock, transport, engine, events } = setUp(0);
    await engine.start();
    await clock.advance(MASTER_DOWN_MS);
    expect(becameMaster(events)).toBe(true);
    expect(transport.drains).toBe(0);
    await engine.stop();
  });

  // Given a backup (Master_Down_Timer from t = 0) that reads, at t = 1000 ms, a master's advert which the kernel
  // received 300 ms earlier (ageMs 300, as after an app blocked the loop)
  // then its new Master_Down_Timer counts from the arrival, t = 700: it takes over at 700 + 3609.375 ms, not at
  // 1000 + 3609.375 ms.
  it('dates a packet by its receive timestamp', async () => {
    const { clock, transport, engine, events } = setUp(0);
    await engine.start();
    await clock.advance(1000);
    transport.inject({ ...peerAdvert({ priority: 200 }), ageMs: 300 });
    await clock.advanceTo(700 + MASTER_DOWN_MS - 0.001);
    expect(becameMaster(events)).toBe(false);
    await clock.advanceTo(700 + MASTER_DOWN_MS);
    expect(becameMaster(events)).toBe(true);
    await engine.stop();
  });

  // Given a fresh engine; when it starts (which rehearses a takeover on a throwaway router)
  // then nothing of the rehearsal shows: no packet sent, no event but the start's own transition, zero counters.
  it('the start-up rehearsal leaves no trace', async () => {
    const { transport, engine, events } = setUp(0);
    await engine.start();
    await engine.idle();
    expect(transport.sent).toEqual([]);
    expect(events).toEqual([{ type: 'transition', from: 'initialize', to: 'backup', reason: 'startup' }]);
    expect(engine.stats.masterTransitions).toBe(0);
    expect(engine.stats.advertisementsSent).toBe(0);
    await engine.stop();
  });
});
