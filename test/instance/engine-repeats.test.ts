/**
 * Absorbed repeats (docs/linux.md, "Absorbed repeats"), on fakes in virtual time: a transport that absorbs the
 * exact repeats of the packet the engine declared, as the Linux addon does, must leave the protocol exactly as if
 * every repeat had reached the core — the same takeover instant, the same counters — while anything else still
 * reaches it at once.
 */
import * as diagnostics from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import type { Clock, CounterTally, ReceivedPacket, RepeatSilence } from '../../src/adapters/types.js';
import { resolveConfig, type VrrpConfig } from '../../src/config.js';
import { Engine, readRuntime, runtimeSinkLength, type EngineEvent } from '../../src/engine/engine.js';
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
    this.takes++;
    if (this.#count === 0) return undefined;
    const taken = { count: this.#count, ageMs: this.clock.now() - this.#lastAtMs };
    this.#count = 0;
    return taken;
  }

  /** Times the engine took the repeats (each a call into its JavaScript on the engine thread). */
  takes = 0;

  /** The wire: an exact repeat of the declared packet is absorbed, anything else reaches the engine. */
  deliver(packet: ReceivedPacket): void {
    const kept = this.#absorbing;
    if (kept !== undefined && sameBytes(kept.bytes, packet.bytes) && kept.src === packet.src && kept.dst === packet.dst && kept.ttl === packet.ttl) {
      this.#count++;
      this.absorbedTotal++;
      this.#lastAtMs = this.clock.now();
      this.absorbed();
      return;
    }
    this.inject(packet);
  }

  /** A repeat was absorbed (for the silence watch below). */
  protected absorbed(): void {}
}

/**
 * An absorbing transport that watches for silence (Transport.watchesSilence), as the addon's alarm does: the
 * engine hears `onSilence` once no repeat came for `afterMs` (or `inMs` from the declaration), and again after a
 * repeat that followed.
 */
class WatchingTransport extends AbsorbingTransport {
  readonly watchesSilence = true;
  /** Silences told. */
  silences = 0;
  #silence: RepeatSilence | undefined;
  #cancel: (() => void) | undefined;

  override absorbRepeats(packet: ReceivedPacket | undefined, _holdMs?: number, silence?: RepeatSilence): boolean {
    this.#silence = packet === undefined ? undefined : silence;
    const absorbed = super.absorbRepeats(packet);
    this.#watch(silence?.inMs);
    return absorbed;
  }

  protected override absorbed(): void {
    this.#watch(this.#silence?.afterMs);
  }

  #watch(inMs: number | undefined): void {
    this.#cancel?.();
    this.#cancel = undefined;
    const silence = this.#silence;
    if (silence === undefined || inMs === undefined) return;
    this.#cancel = this.clock.setTimer(Math.max(0, inMs), () => {
      this.#cancel = undefined;
      this.silences++;
      silence.onSilence();
    });
  }
}

/**
 * A watching transport that also tallies (Transport.tallies), as the addon does into the engine thread's shared
 * counters: each absorbed repeat adds 1 to the tally's count at once, and writes the Master_Down deadline it
 * implies (a wall-clock instant, as the app's thread reads it).
 */
class TallyingTransport extends WatchingTransport {
  readonly tallies = true;
  #tally: CounterTally | undefined;

  override absorbRepeats(packet: ReceivedPacket | undefined, holdMs?: number, silence?: RepeatSilence, tally?: CounterTally): boolean {
    this.#tally = packet === undefined ? undefined : tally;
    return super.absorbRepeats(packet, holdMs, silence);
  }

  protected override absorbed(): void {
    super.absorbed();
    const tally = this.#tally;
    if (tally === undefined) return;
    tally.counts[tally.index] = (tally.counts[tally.index] as number) + 1;
    if (tally.deadlineIndex >= 0) tally.counts[tally.deadlineIndex] = Date.now() + (tally.deadlineAfterMs ?? 0);
  }
}

/** A clock that reads `extraMs` ahead of `inner`: time the engine's own JavaScript took, as the test says. */
class CreepingClock implements Clock {
  extraMs = 0;
  constructor(readonly inner: VirtualClock) {}
  now(): number {
    return this.inner.now() + this.extraMs;
  }
  setTimer(delayMs: number, callback: () => void): () => void {
    return this.inner.setTimer(delayMs, callback);
  }
}

/** An absorbing transport whose next collection of repeats takes `creepOnNextTakeMs` of the engine's clock. */
class SlowTakeTransport extends AbsorbingTransport {
  creepOnNextTakeMs = 0;
  constructor(
    clock: VirtualClock,
    readonly creeping: CreepingClock,
  ) {
    super(clock);
  }
  override takeRepeats(): { count: number; ageMs: number } | undefined {
    const taken = super.takeRepeats();
    this.creeping.extraMs += this.creepOnNextTakeMs;
    this.creepOnNextTakeMs = 0;
    return taken;
  }
}

/** Which transport a run uses: one that hands every packet over, one that absorbs repeats, one that also watches. */
type Kind = 'plain' | 'absorbing' | 'watching';
const KINDS: readonly Kind[] = ['plain', 'absorbing', 'watching'];

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

interface Run {
  clock: VirtualClock;
  engine: Engine;
  events: { atMs: number; event: EngineEvent }[];
  /** Puts a packet on the wire: absorbed or handed over (absorbing, watching), or always handed over (plain). */
  deliver(packet: ReceivedPacket): void;
  transport: FakeTransport;
}

/** One backup engine, on a transport of the given kind (or a tallying one), publishing into `statsSink` if given. */
function setUp(kind: Kind | 'tallying', overrides: Partial<VrrpConfig> = {}, statsSink?: Float64Array): Run {
  const clock = new VirtualClock();
  const transport =
    kind === 'tallying'
      ? new TallyingTransport(clock)
      : kind === 'watching'
        ? new WatchingTransport(clock)
        : kind === 'absorbing'
          ? new AbsorbingTransport(clock)
          : new FakeTransport({ primaryAddress: PRIMARY });
  const events: Run['events'] = [];
  const engine = new Engine(
    resolveConfig(baseConfig(overrides)),
    { transport, vipManager: new FakeVipManager(), clock },
    (event) => events.push({ atMs: clock.now(), event }),
    statsSink === undefined ? {} : { statsSink },
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
    for (const kind of KINDS) {
      const run = setUp(kind);
      await run.engine.start();
      advertise(run, () => peerAdvert({ priority: 200 }), 500, 20_500);
      await run.clock.advance(30_000);
      instants.push(takeoverAt(run));
      if (run.transport instanceof AbsorbingTransport) expect(run.transport.absorbedTotal).toBeGreaterThan(15);
      await run.engine.stop();
    }
    expect(instants[0]).toBe(20_500 + MASTER_DOWN_MS);
    expect(instants.slice(1)).toEqual([instants[0], instants[0]]);
  });

  // Given the same master, heard for 10.5 s with its repeats absorbed
  // then the adverts received count every absorbed repeat, as the plain engine's do.
  it('counts absorbed repeats as received advertisements', async () => {
    const received: number[] = [];
    for (const kind of KINDS) {
      const run = setUp(kind);
      await run.engine.start();
      advertise(run, () => peerAdvert({ priority: 200 }), 500, 10_500);
      await run.clock.advance(11_000);
      await run.engine.stop(); // stop hands the core what was absorbed last
      received.push(run.engine.stats.advertisementsReceived);
    }
    expect(received).toEqual([11, 11, 11]);
  });

  // Given a backup absorbing its master's repeats
  // when the master's advert changes (priority 200 → 180 at t = 5.5 s)
  // then the changed advert reaches the core at once (a masterChange at 5.5 s), and its own repeats are absorbed.
  it('hands a changed advert over at once and absorbs its repeats next', async () => {
    const run = setUp('absorbing');
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
    for (const kind of KINDS) {
      const run = setUp(kind, { preempt: true });
      await run.engine.start();
      advertise(run, () => peerAdvert({ priority: 50 }), 500, 20_500);
      await run.clock.advance(30_000);
      instants.push(takeoverAt(run));
      if (run.transport instanceof AbsorbingTransport) expect(run.transport.declared.filter((packet) => packet !== undefined)).toEqual([]);
      await run.engine.stop();
    }
    expect(instants[0]).toBeDefined();
    expect(instants.slice(1)).toEqual([instants[0], instants[0]]);
  });

  // Given a backup absorbing its master's repeats
  // when the master resigns (priority 0 at t = 8.5 s)
  // then the priority 0 reaches the core and it takes over after Skew_Time, as a plain engine does.
  it('hands a priority 0 over and takes over after Skew_Time', async () => {
    const instants: (number | undefined)[] = [];
    for (const kind of KINDS) {
      const run = setUp(kind);
      await run.engine.start();
      advertise(run, () => peerAdvert({ priority: 200 }), 500, 7500);
      run.clock.setTimer(8500, () => run.deliver(peerAdvert({ priority: 0 })));
      await run.clock.advance(12_000);
      instants.push(takeoverAt(run));
      await run.engine.stop();
    }
    expect(instants[0]).toBe(8500 + 609.375);
    expect(instants.slice(1)).toEqual([instants[0], instants[0]]);
  });

  // Given a backup absorbing its master's repeats, whose own work before the core — collecting those repeats —
  // takes 1 ms of the clock
  // when the master resigns (priority 0 handed over at t = 8.5 s, age 0)
  // then Skew_Time counts from the hand-over: it takes over at 8.5 s + 609.375 ms, not 1 ms later.
  it('dates a packet at its hand-over, before collecting the repeats absorbed ahead of it', async () => {
    const clock = new VirtualClock();
    const creeping = new CreepingClock(clock);
    const transport = new SlowTakeTransport(clock, creeping);
    const events: Run['events'] = [];
    const engine = new Engine(resolveConfig(baseConfig()), { transport, vipManager: new FakeVipManager(), clock: creeping }, (event) =>
      events.push({ atMs: creeping.now(), event }),
    );
    const run: Run = { clock, engine, events, deliver: (packet) => transport.deliver(packet), transport };
    await engine.start();
    advertise(run, () => peerAdvert({ priority: 200 }), 500, 7500);
    clock.setTimer(8500, () => {
      transport.creepOnNextTakeMs = 1;
      transport.deliver(peerAdvert({ priority: 0 }));
    });
    await clock.advance(12_000);
    expect(transport.absorbedTotal).toBeGreaterThan(0);
    expect(takeoverAt(run)).toBe(8500 + 609.375);
    await engine.stop();
  });

  // Given a backup (priority 100, preempt) absorbing the repeats of a master at priority 150
  // when a tracker raises our priority to 200 at t = 5.2 s
  // then the absorbing ends, the next repeats reach the core, and it preempts when a plain engine does.
  it('ends the absorbing when a tracker changes what a repeat would do', async () => {
    const instants: (number | undefined)[] = [];
    for (const kind of KINDS) {
      const run = setUp(kind, { preempt: true, trackers: [{ type: 'function', name: 'up', weight: 100, check: () => true }] });
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
    expect(instants.slice(1)).toEqual([instants[0], instants[0]]);
  });

  // Given a backup absorbing its master's repeats, and nobody on vrrp:advert:received
  // when a subscriber arrives at t = 5.2 s (the absorbing goes on until the engine's next step)
  // then every advert from then on is published to it, the ones absorbed meanwhile included (when taken).
  it('publishes to a vrrp:advert:received subscriber the repeats absorbed before it arrived', async () => {
    const run = setUp('absorbing');
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
    const run = setUp('absorbing');
    await run.engine.start();
    await run.clock.advance(MASTER_DOWN_MS);
    advertise(run, () => peerAdvert({ priority: 50 }), 4000, 8000);
    await run.clock.advance(5000);
    expect((run.transport as AbsorbingTransport).declared.filter((packet) => packet !== undefined)).toEqual([]);
    await run.engine.stop();
  });
  // Given a backup (100 ms adverts) whose master advertises every 100 ms for 10 s
  // when one transport only absorbs the repeats and another also watches them for silence
  // then the engine on the watching one takes the repeats about once a second (for the counters), where the other
  // looked for them before every Master_Down deadline, about three times a second — each a wake-up of JavaScript
  // on the engine thread — and it hears of no silence while the master lives.
  it('with a silence watch, takes the repeats about once a second instead of before every deadline', async () => {
    const takes: Partial<Record<Kind, number>> = {};
    for (const kind of ['absorbing', 'watching'] as const) {
      const run = setUp(kind, { advertIntervalMs: 100 });
      await run.engine.start();
      advertise(run, () => peerAdvert({ priority: 200, advertIntervalMs: 100 }), 100, 10_500, 100);
      await run.clock.advance(10_400);
      const transport = run.transport as AbsorbingTransport;
      takes[kind] = transport.takes;
      if (transport instanceof WatchingTransport) expect(transport.silences).toBe(0);
      expect(takeoverAt(run)).toBeUndefined();
      await run.engine.stop();
    }
    expect(takes.watching).toBeLessThanOrEqual(11);
    expect(takes.absorbing).toBeGreaterThan(2 * (takes.watching as number));
  });

  // Given a backup (100 ms adverts) whose master advertises every 100 ms from 0.1 s to 5.05 s, then falls silent
  // then every transport takes over at the same instant, 5.05 s + Master_Down_Interval: on the watching one, the
  // repeats collected when it reports the silence (those since the last collection) do not hide the silence.
  it('takes over on time at 100 ms adverts, the silence reported with repeats still to collect', async () => {
    const instants: (number | undefined)[] = [];
    for (const kind of KINDS) {
      const run = setUp(kind, { advertIntervalMs: 100 });
      await run.engine.start();
      advertise(run, () => peerAdvert({ priority: 200, advertIntervalMs: 100 }), 100, 5050, 50);
      await run.clock.advance(8000);
      instants.push(takeoverAt(run));
      if (run.transport instanceof WatchingTransport) expect(run.transport.silences).toBeGreaterThanOrEqual(1);
      await run.engine.stop();
    }
    expect(instants[0]).toBe(5050 + 360.9375);
    expect(instants.slice(1)).toEqual([instants[0], instants[0]]);
  });

  // Given a backup whose master advertises every second until 5.5 s, then once more 5 ms before the deadline
  // (after a watching transport said the repeats stopped, 10 ms before it), then never again
  // then that late repeat keeps it a backup on every transport, and all take over at the same instant: a
  // Master_Down_Interval after it.
  it('stays backup for a repeat that came after the silence and before the deadline', async () => {
    const instants: (number | undefined)[] = [];
    const lateMs = 5500 + MASTER_DOWN_MS - 5;
    for (const kind of KINDS) {
      const run = setUp(kind);
      await run.engine.start();
      advertise(run, () => peerAdvert({ priority: 200 }), 500, 5500);
      run.clock.setTimer(lateMs, () => run.deliver(peerAdvert({ priority: 200 })));
      await run.clock.advance(20_000);
      instants.push(takeoverAt(run));
      if (run.transport instanceof WatchingTransport) expect(run.transport.silences).toBe(2);
      await run.engine.stop();
    }
    expect(instants[0]).toBe(lateMs + MASTER_DOWN_MS);
    expect(instants.slice(1)).toEqual([instants[0], instants[0]]);
  });
});

describe('tallied repeats', () => {
  const config = resolveConfig(baseConfig({ advertIntervalMs: 100 }));
  const RECEIVED_AT = 1; // advertisementsReceived in ENGINE_STATS_KEYS order
  /** A started backup (100 ms adverts) on the tallying transport, publishing into its own stats sink. */
  async function startTallying(): Promise<{ run: Run; sink: Float64Array }> {
    const sink = new Float64Array(runtimeSinkLength(config));
    const run = setUp('tallying', { advertIntervalMs: 100 }, sink);
    await run.engine.start();
    return { run, sink };
  }

  // Given a backup (100 ms adverts) publishing into a stats sink, its master advertising every 100 ms from 0.1 s
  // when its transport watches for silence, with or without tallying the repeats in the sink itself
  // then with the tally the published advertisementsReceived counts every advert up to the last (55 at 5.55 s) and
  // the engine collects no repeats at all from 1 s to 10 s; without it the counter lags and the engine collects
  // them on its refresh timer, about once a second (each a wake-up of JavaScript on the engine thread).
  it('publishes each absorbed repeat as it comes, with no refresh timer to collect them', async () => {
    const published: Record<string, number> = {};
    const takes: Record<string, number> = {};
    for (const kind of ['watching', 'tallying'] as const) {
      const sink = new Float64Array(runtimeSinkLength(config));
      const run = setUp(kind, { advertIntervalMs: 100 }, sink);
      await run.engine.start();
      advertise(run, () => peerAdvert({ priority: 200, advertIntervalMs: 100 }), 100, 10_000, 100);
      await run.clock.advance(1000);
      const takesBefore = (run.transport as AbsorbingTransport).takes;
      await run.clock.advance(4550);
      published[kind] = sink[RECEIVED_AT] as number;
      await run.clock.advance(4450);
      takes[kind] = (run.transport as AbsorbingTransport).takes - takesBefore;
      expect(takeoverAt(run)).toBeUndefined();
      await run.engine.stop();
    }
    expect(published.tallying).toBe(55);
    expect(published.watching).toBeLessThan(55);
    expect(takes.tallying).toBe(0);
    expect(takes.watching).toBeGreaterThanOrEqual(8);
  });

  // Given the same backup on the tallying transport, 5.05 s in (last advert at 5.0 s)
  // then its published runtime names the Master_Down_Timer the last repeat set (as the transport wrote it), not
  // a deadline long past (0): at most a Master_Down_Interval away, and more than half of one.
  it('publishes the Master_Down deadline the last absorbed repeat set', async () => {
    const { run, sink } = await startTallying();
    advertise(run, () => peerAdvert({ priority: 200, advertIntervalMs: 100 }), 100, 5000, 100);
    await run.clock.advance(5050);
    const runtime = readRuntime(sink, config);
    expect(runtime.absorbingRepeats).toBe(true);
    expect(runtime.nextTimerInMs).toBeGreaterThan(360.9375 / 2);
    expect(runtime.nextTimerInMs).toBeLessThanOrEqual(360.9375);
    await run.engine.stop();
  });

  // Given a backup on the tallying transport whose master advertises every 100 ms, at priority 200 until 2.0 s and
  // 180 from 2.1 s (a changed advert: handed over and counted by the core alone, its repeats absorbed next)
  // then at 4.05 s the published counter holds every advert: the changed one too, not only the repeats.
  it('publishes the adverts handed over between tallies as well as the repeats', async () => {
    const { run, sink } = await startTallying();
    advertise(run, () => peerAdvert({ priority: 200, advertIntervalMs: 100 }), 100, 2000, 100);
    advertise(run, () => peerAdvert({ priority: 180, advertIntervalMs: 100 }), 2100, 4000, 100);
    await run.clock.advance(4050);
    expect((run.transport as AbsorbingTransport).declared.map((packet) => packet?.bytes[2])).toEqual([200, undefined, 180]);
    expect(sink[RECEIVED_AT]).toBe(40);
    await run.engine.stop();
  });

  // Given a backup on the tallying transport whose master repeats every 100 ms, then resigns (priority 0 at 3.05 s)
  // then the published counter never goes back while the tally hands it back to the engine and it takes over, and
  // it ends equal to the engine's own count: every advert, the repeats and the priority 0.
  it('never publishes a lower advertisementsReceived when the tally ends', async () => {
    const { run, sink } = await startTallying();
    advertise(run, () => peerAdvert({ priority: 200, advertIntervalMs: 100 }), 100, 3000, 100);
    run.clock.setTimer(3050, () => run.deliver(peerAdvert({ priority: 0, advertIntervalMs: 100 })));
    const seen: number[] = [];
    for (let atMs = 0; atMs < 4000; atMs += 10) {
      await run.clock.advance(10);
      seen.push(sink[RECEIVED_AT] as number);
    }
    expect(takeoverAt(run)).toBeDefined();
    expect(seen.every((count, i) => i === 0 || count >= (seen[i - 1] as number))).toBe(true);
    expect(seen.at(-1)).toBe(31);
    await run.engine.stop();
    expect(sink[RECEIVED_AT]).toBe(31);
    expect(run.engine.stats.advertisementsReceived).toBe(31);
  });
});
