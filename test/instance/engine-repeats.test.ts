/**
 * Absorbed repeats (docs/linux.md, "Absorbed repeats"), on fakes in virtual time: a transport that absorbs the
 * exact repeats of the packet the engine declared, as the Linux addon does, must leave the protocol exactly as if
 * every repeat had reached the core — the same takeover instant, the same counters — while anything else still
 * reaches it at once.
 */
import * as diagnostics from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import type { ReceivedPacket } from '../../src/adapters/types.js';
import { resolveConfig, type VrrpConfig } from '../../src/config.js';
import { Engine, type EngineEvent } from '../../src/engine/engine.js';
import { FakeTransport, FakeVipManager, VirtualClock } from '../../src/testing/index.js';
import { baseConfig, MASTER_DOWN_MS, PRIMARY, peerAdvert } from './harness.js';

/** A transport that absorbs exact repeats of the declared packet, as native/vrrp_socket.c does. */
class AbsorbingTransport extends FakeTransport {
  /** Repeats absorbed over the whole run. */
  absorbedTotal = 0;
  /** Packets declared absorbable, in order (undefined: absorbing stopped). */
  readonly declared: (ReceivedPacket | undefined)[] = [];
  #absorbing: ReceivedPacket | undefined;
  #count = 0;
  #lastAtMs = 0;

  constructor(readonly clock: VirtualClock) {
    super({ primaryAddress: PRIMARY });
  }

  absorbRepeats(packet: ReceivedPacket | undefined): boolean {
    this.declared.push(packet);
    this.#absorbing = packet && { bytes: packet.bytes.slice(), src: packet.src, dst: packet.dst, ttl: packet.ttl };
    this.#count = 0;
    return true;
  }

  takeRepeats(): { count: number; ageMs: number } | undefined {
    if (this.#count === 0) return undefined;
    const taken = { count: this.#count, ageMs: this.clock.now() - this.#lastAtMs };
    this.#count = 0;
    return taken;
  }

  /** The wire: an exact repeat of the declared packet is absorbed, anything else reaches the engine. */
  deliver(packet: ReceivedPacket): void {
    const kept = this.#absorbing;
    if (kept !== undefined && sameBytes(kept.bytes, packet.bytes) && kept.src === packet.src && kept.dst === packet.dst && kept.ttl === packet.ttl) {
      this.#count++;
      this.absorbedTotal++;
      this.#lastAtMs = this.clock.now();
      return;
    }
    this.inject(packet);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

interface Run {
  clock: VirtualClock;
  engine: Engine;
  events: { atMs: number; event: EngineEvent }[];
  /** Puts a packet on the wire: absorbed or handed over (absorbing), or always handed over (plain). */
  deliver(packet: ReceivedPacket): void;
  transport: FakeTransport;
}

/** One backup engine, on a transport that absorbs repeats or on a plain one. */
function setUp(absorbing: boolean, overrides: Partial<VrrpConfig> = {}): Run {
  const clock = new VirtualClock();
  const transport = absorbing ? new AbsorbingTransport(clock) : new FakeTransport({ primaryAddress: PRIMARY });
  const events: Run['events'] = [];
  const engine = new Engine(resolveConfig(baseConfig(overrides)), { transport, vipManager: new FakeVipManager(), clock }, (event) =>
    events.push({ atMs: clock.now(), event }),
  );
  const deliver = (packet: ReceivedPacket): void =>
    transport instanceof AbsorbingTransport ? transport.deliver(packet) : transport.inject(packet);
  return { clock, engine, events, deliver, transport };
}

/** Schedules `packet` on the wire every `everyMs` from `fromMs` to `toMs` (inclusive), in virtual time. */
function advertise(run: Run, packet: () => ReceivedPacket, fromMs: number, toMs: number, everyMs = 1000): void {
  for (let atMs = fromMs; atMs <= toMs; atMs += everyMs) run.clock.setTimer(atMs - run.clock.now(), () => run.deliver(packet()));
}

const takeoverAt = (run: Run): number | undefined =>
  run.events.find(({ event }) => event.type === 'transition' && event.to === 'master')?.atMs;

describe('absorbed repeats', () => {
  // Given a backup whose master (priority 200) advertises every second until t = 20 s, then falls silent
  // when one engine hears every advert and the other's transport absorbs the repeats
  // then both take over at the same instant: 20 s + Master_Down_Interval.
  it('takes over at the same instant as a backup that hears every repeat', async () => {
    const instants: (number | undefined)[] = [];
    for (const absorbing of [false, true]) {
      const run = setUp(absorbing);
      await run.engine.start();
      advertise(run, () => peerAdvert({ priority: 200 }), 500, 20_500);
      await run.clock.advance(30_000);
      instants.push(takeoverAt(run));
      if (run.transport instanceof AbsorbingTransport) expect(run.transport.absorbedTotal).toBeGreaterThan(15);
      await run.engine.stop();
    }
    expect(instants[0]).toBe(20_500 + MASTER_DOWN_MS);
    expect(instants[1]).toBe(instants[0]);
  });

  // Given the same master, heard for 10.5 s with its repeats absorbed
  // then the adverts received count every absorbed repeat, as the plain engine's do.
  it('counts absorbed repeats as received advertisements', async () => {
    const received: number[] = [];
    for (const absorbing of [false, true]) {
      const run = setUp(absorbing);
      await run.engine.start();
      advertise(run, () => peerAdvert({ priority: 200 }), 500, 10_500);
      await run.clock.advance(11_000);
      await run.engine.stop(); // stop hands the core what was absorbed last
      received.push(run.engine.stats.advertisementsReceived);
    }
    expect(received).toEqual([11, 11]);
  });

  // Given a backup absorbing its master's repeats
  // when the master's advert changes (priority 200 → 180 at t = 5.5 s)
  // then the changed advert reaches the core at once (a masterChange at 5.5 s), and its own repeats are absorbed.
  it('hands a changed advert over at once and absorbs its repeats next', async () => {
    const run = setUp(true);
    await run.engine.start();
    advertise(run, () => peerAdvert({ priority: 200 }), 500, 4500);
    advertise(run, () => peerAdvert({ priority: 180 }), 5500, 10_500);
    await run.clock.advance(11_000);
    const changes = run.events.filter(({ event }) => event.type === 'masterChange');
    expect(changes.map(({ atMs, event }) => [atMs, event.type === 'masterChange' && event.master?.priority])).toEqual([
      [500, 200],
      [5500, 180],
    ]);
    const declared = (run.transport as AbsorbingTransport).declared.filter((packet) => packet !== undefined);
    expect(declared.map((packet) => packet.bytes[2])).toEqual([200, 180]);
    await run.engine.stop();
  });

  // Given a backup with preemption (priority 100) whose master advertises a lower priority (50)
  // then no repeat is absorbed — each one moves the preemption along — and it preempts when a plain engine does.
  it('absorbs nothing while a preemption is pending', async () => {
    const instants: (number | undefined)[] = [];
    for (const absorbing of [false, true]) {
      const run = setUp(absorbing, { preempt: true });
      await run.engine.start();
      advertise(run, () => peerAdvert({ priority: 50 }), 500, 20_500);
      await run.clock.advance(30_000);
      instants.push(takeoverAt(run));
      if (run.transport instanceof AbsorbingTransport) expect(run.transport.declared.filter((packet) => packet !== undefined)).toEqual([]);
      await run.engine.stop();
    }
    expect(instants[0]).toBeDefined();
    expect(instants[1]).toBe(instants[0]);
  });

  // Given a backup absorbing its master's repeats
  // when the master resigns (priority 0 at t = 8.5 s)
  // then the priority 0 reaches the core and it takes over after Skew_Time, as a plain engine does.
  it('hands a priority 0 over and takes over after Skew_Time', async () => {
    const instants: (number | undefined)[] = [];
    for (const absorbing of [false, true]) {
      const run = setUp(absorbing);
      await run.engine.start();
      advertise(run, () => peerAdvert({ priority: 200 }), 500, 7500);
      run.clock.setTimer(8500, () => run.deliver(peerAdvert({ priority: 0 })));
      await run.clock.advance(12_000);
      instants.push(takeoverAt(run));
      await run.engine.stop();
    }
    expect(instants[0]).toBe(8500 + 609.375);
    expect(instants[1]).toBe(instants[0]);
  });

  // Given a backup (priority 100, preempt) absorbing the repeats of a master at priority 150
  // when a tracker raises our priority to 200 at t = 5.2 s
  // then the absorbing ends, the next repeats reach the core, and it preempts when a plain engine does.
  it('ends the absorbing when a tracker changes what a repeat would do', async () => {
    const instants: (number | undefined)[] = [];
    for (const absorbing of [false, true]) {
      const run = setUp(absorbing, { preempt: true, trackers: [{ type: 'function', name: 'up', weight: 100, check: () => true }] });
      await run.engine.start();
      advertise(run, () => peerAdvert({ priority: 150 }), 500, 20_500);
      let declaredBefore = 0;
      run.clock.setTimer(5200, () => {
        if (run.transport instanceof AbsorbingTransport) declaredBefore = run.transport.declared.length;
        run.engine.command({ type: 'tracker', name: 'up', passed: true });
      });
      await run.clock.advance(30_000);
      instants.push(takeoverAt(run));
      if (run.transport instanceof AbsorbingTransport) {
        const declared = run.transport.declared;
        expect(declared.slice(0, declaredBefore).filter((packet) => packet !== undefined).length).toBeGreaterThan(0);
        // From the tracker's change on: only "absorb nothing", never a packet again.
        expect(declared.slice(declaredBefore).length).toBeGreaterThan(0);
        expect(declared.slice(declaredBefore).every((packet) => packet === undefined)).toBe(true);
      }
      await run.engine.stop();
    }
    expect(instants[0]).toBeDefined();
    expect(instants[0]).toBeLessThan(20_500);
    expect(instants[1]).toBe(instants[0]);
  });

  // Given a backup absorbing its master's repeats, and nobody on vrrp:advert:received
  // when a subscriber arrives at t = 5.2 s (the absorbing goes on until the engine's next step)
  // then every advert from then on is published to it, the ones absorbed meanwhile included (when taken).
  it('publishes to a vrrp:advert:received subscriber the repeats absorbed before it arrived', async () => {
    const run = setUp(true);
    await run.engine.start();
    advertise(run, () => peerAdvert({ priority: 200 }), 500, 10_500);
    await run.clock.advance(5200);
    const heard: number[] = [];
    const onMessage = (): void => void heard.push(run.clock.now());
    diagnostics.subscribe('vrrp:advert:received', onMessage);
    try {
      await run.clock.advance(5800);
      await run.engine.stop();
    } finally {
      diagnostics.unsubscribe('vrrp:advert:received', onMessage);
    }
    // Adverts at 5.5, 6.5 … 10.5 s: six, none lost, whether absorbed before the subscriber's first step or not.
    expect(heard).toHaveLength(6);
    expect((run.transport as AbsorbingTransport).absorbedTotal).toBeGreaterThan(0);
  });

  // Given a master (it took over alone) hearing a lower-priority router's repeated adverts
  // then nothing is absorbed: a master answers each one.
  it('absorbs nothing as master', async () => {
    const run = setUp(true);
    await run.engine.start();
    await run.clock.advance(MASTER_DOWN_MS);
    advertise(run, () => peerAdvert({ priority: 50 }), 4000, 8000);
    await run.clock.advance(5000);
    expect((run.transport as AbsorbingTransport).declared.filter((packet) => packet !== undefined)).toEqual([]);
    await run.engine.stop();
  });
});
