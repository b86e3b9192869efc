/**
 * Batched adverts (native/vrrp_socket.c, "Batched adverts"): a master's routine adverts go to a transport's
 * `queue`, which sends every instance's of one wake-up in one system call; everything else — the takeover's advert,
 * the priority-0 advert of a stop — is sent at once, and so is every advert while a `vrrp:advert:sent` subscriber
 * listens (it is told of each as it leaves). A queued advert that fails is counted and reported like a failed send.
 * On fakes, in virtual time.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { CHANNELS } from '../../src/diagnostics.js';
import { Engine, type EngineEvent } from '../../src/engine/engine.js';
import { FakeTransport, FakeVipManager, VirtualClock } from '../../src/testing/index.js';
import { baseConfig, PRIMARY } from './harness.js';

/** A lone v3 router at priority 100 and 100 ms adverts becomes master after 3 × 100 + 60.9375 ms. */
const MASTER_DOWN_MS = 360.9375;

/** A fake transport that also queues; each queued advert is "sent" on the next microtask, or refused. */
class QueueingTransport extends FakeTransport {
  /** How each advert left, in order: 'send' at once or 'queue'. */
  readonly how: ('send' | 'queue')[] = [];
  refuse = false;

  override send(dst: string, bytes: Uint8Array): void {
    this.how.push('send');
    super.send(dst, bytes);
  }

  queue(dst: string, bytes: Uint8Array, failed: (dst: string, cause: unknown) => void): void {
    this.how.push('queue');
    queueMicrotask(() => {
      if (this.refuse) failed(dst, new Error('ENETDOWN'));
      else super.send(dst, bytes);
    });
  }
}

async function master(): Promise<{ transport: QueueingTransport; clock: VirtualClock; engine: Engine; events: EngineEvent[] }> {
  const clock = new VirtualClock();
  const transport = new QueueingTransport({ primaryAddress: PRIMARY });
  const events: EngineEvent[] = [];
  const engine = new Engine(resolveConfig(baseConfig({ advertIntervalMs: 100 })), { transport, vipManager: new FakeVipManager(), clock }, (event) => events.push(event));
  await engine.start();
  await clock.advance(MASTER_DOWN_MS + 1);
  return { transport, clock, engine, events };
}

describe('queued adverts', () => {
  it("sends the takeover's advert at once and queues the master's routine ones", async () => {
    const { transport, clock } = await master();
    await clock.advance(500);
    expect(transport.how).toEqual(['send', 'queue', 'queue', 'queue', 'queue', 'queue']);
    expect(transport.sent).toHaveLength(6); // the queued ones left too
  });

  it("sends a stop's priority-0 advert at once", async () => {
    const { transport, clock, engine } = await master();
    await clock.advance(200);
    transport.how.length = 0;
    await engine.stop();
    expect(transport.how).toEqual(['send']);
    expect(transport.sent.at(-1)?.bytes[2]).toBe(0); // the priority byte of the last advert
  });

  it('counts a queued advert the transport refused in sendErrors and reports it as send_failed', async () => {
    const { transport, clock, engine, events } = await master();
    transport.refuse = true;
    await clock.advance(100);
    expect(engine.stats.sendErrors).toBe(1);
    expect(events.filter((event) => event.type === 'error')).toMatchObject([{ type: 'error', code: 'send_failed', message: expect.stringContaining('224.0.0.18') }]);
  });

  it('sends every advert at once while a vrrp:advert:sent subscriber listens', async () => {
    const told: unknown[] = [];
    const listener = (message: unknown): void => void told.push(message);
    subscribe(CHANNELS.advertSent, listener);
    try {
      const { transport, clock } = await master();
      await clock.advance(300);
      expect(transport.how).toEqual(['send', 'send', 'send', 'send']);
      expect(told).toHaveLength(4);
    } finally {
      unsubscribe(CHANNELS.advertSent, listener);
    }
  });
});
