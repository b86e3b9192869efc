/**
 * Repeated adverts (docs/linux.md, "Repeated adverts"), on fakes in virtual time: a transport that sends a master's
 * routine adverts on its own schedule, as the Linux addon does, must put on the wire what the engine would have
 * sent itself — same bytes, same instants, same counters — and hand the adverts back to the engine whenever they
 * change, stop or fail.
 */
import * as diagnostics from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import type { CounterTally, RepeatedAdverts } from '../../src/adapters/types.js';
import { resolveConfig, type VrrpConfig } from '../../src/config.js';
import { Engine, readRuntime, runtimeSinkLength, type EngineEvent } from '../../src/engine/engine.js';
import { FakeTransport, FakeVipManager, VirtualClock } from '../../src/testing/index.js';
import { baseConfig, MASTER_DOWN_MS, PRIMARY, peerAdvert } from './harness.js';

/** One packet on the wire: when, where, what priority, and who sent it (the engine or the schedule). */
interface WirePacket {
  atMs: number;
  dst: string;
  priority: number;
  by: 'engine' | 'schedule';
}

/** A transport that repeats the adverts it is handed, in virtual time, as native/vrrp_socket.c does. */
class RepeatingTransport extends FakeTransport {
  /** Calls of takeAdverts (each a step of the engine's core). */
  takes = 0;
  /** Schedules handed over (undefined: stopped). */
  readonly schedules: (readonly { dst: string; bytes: Uint8Array }[] | undefined)[] = [];
  /** Where the schedule counts its adverts (given only when `tallies` is set). */
  tally: CounterTally | undefined;
  /** Transport.tallies, as the test wants it. */
  tallies = false;
  /** When set, the schedule's next firing fails with it, which stops the schedule. */
  failNextFiring: Error | undefined;
  #cancel: (() => void) | undefined;
  #fired = 0;
  #lastAtMs = 0;
  #error: RepeatedAdverts['error'];

  constructor(
    readonly clock: VirtualClock,
    readonly wire: WirePacket[],
  ) {
    super({ primaryAddress: PRIMARY, onSend: (dst, bytes) => wire.push({ atMs: clock.now(), dst, priority: bytes[2] as number, by: 'engine' }) });
  }

  repeatAdverts(sends: readonly { dst: string; bytes: Uint8Array }[] | undefined, inMs = 0, intervalMs = 1000, onStopped?: () => void, tally?: CounterTally): boolean {
    this.schedules.push(sends);
    this.tally = sends === undefined ? undefined : tally;
    this.#cancel?.();
    this.#cancel = undefined;
    this.#fired = 0;
    if (sends === undefined) return false;
    const fire = (): void => {
      if (this.failNextFiring !== undefined) {
        this.#error = { dst: sends[0]?.dst ?? '', cause: this.failNextFiring };
        this.failNextFiring = undefined;
        this.#cancel = undefined;
        this.clock.setTimer(0, () => onStopped?.());
        return;
      }
      for (const send of sends) this.wire.push({ atMs: this.clock.now(), dst: send.dst, priority: send.bytes[2] as number, by: 'schedule' });
      this.#fired++;
      this.#lastAtMs = this.clock.now();
      const tally = this.tally;
      if (tally !== undefined) {
        tally.counts[tally.index] = (tally.counts[tally.index] as number) + sends.length;
        if (tally.deadlineIndex >= 0) tally.counts[tally.deadlineIndex] = Date.now() + intervalMs;
      }
      this.#cancel = this.clock.setTimer(intervalMs, fire);
    };
    this.#cancel = this.clock.setTimer(inMs, fire);
    return true;
  }

  takeAdverts(): RepeatedAdverts | undefined {
    this.takes++;
    const error = this.#error;
    if (this.#fired === 0 && error === undefined) return undefined;
    const taken: RepeatedAdverts = { count: this.#fired, ageMs: this.clock.now() - this.#lastAtMs };
    if (error !== undefined) taken.error = error;
    this.#fired = 0;
    this.#error = undefined;
    return taken;
  }
}

interface Run {
  clock: VirtualClock;
  engine: Engine;
  events: { atMs: number; event: EngineEvent }[];
  wire: WirePacket[];
  transport: FakeTransport;
}

/**
 * One engine that becomes master alone at MASTER_DOWN_MS, on a repeating transport or a plain one; with a stats
 * sink, it publishes there, and the repeating transport tallies into it.
 */
async function startMaster(repeating: boolean, overrides: Partial<VrrpConfig> = {}, statsSink?: Float64Array): Promise<Run> {
  const clock = new VirtualClock();
  const wire: WirePacket[] = [];
  const transport = repeating
    ? new RepeatingTransport(clock, wire)
    : new FakeTransport({ primaryAddress: PRIMARY, onSend: (dst, bytes) => wire.push({ atMs: clock.now(), dst, priority: bytes[2] as number, by: 'engine' }) });
  if (transport instanceof RepeatingTransport && statsSink !== undefined) transport.tallies = true;
  const events: Run['events'] = [];
  const engine = new Engine(
    resolveConfig(baseConfig(overrides)),
    { transport, vipManager: new FakeVipManager(), clock },
    (event) => events.push({ atMs: clock.now(), event }),
    statsSink === undefined ? {} : { statsSink },
  );
  await engine.start();
  await clock.advance(MASTER_DOWN_MS);
  return { clock, engine, events, wire, transport };
}

/** The wire without who sent what: what a peer sees. */
const seen = (wire: readonly WirePacket[]): unknown[] => wire.map(({ atMs, dst, priority }) => [atMs, dst, priority]);

describe('repeated adverts', () => {
  // Given a master for 10 s, with unicast peers (two adverts per interval)
  // then the repeating transport puts the same adverts on the wire at the same instants as the engine alone, the
  // routine ones sent by the schedule, and the counters agree once stopped.
  it('puts on the wire what the engine alone would, at the same instants', async () => {
    const wires: unknown[][] = [];
    const sent: number[] = [];
    for (const repeating of [false, true]) {
      const run = await startMaster(repeating, { unicastPeers: ['192.0.2.7', '192.0.2.8'] });
      await run.clock.advance(10_000);
      await run.engine.stop();
      wires.push(seen(run.wire));
      sent.push(run.engine.stats.advertisementsSent);
      if (repeating) expect(run.wire.filter((packet) => packet.by === 'schedule').length).toBeGreaterThanOrEqual(18);
    }
    expect(wires[0]?.length).toBeGreaterThan(20);
    expect(wires[1]).toEqual(wires[0]);
    expect(sent[1]).toBe(sent[0]);
  });

  // Given a master at 100 ms adverts for 10 s on the repeating transport
  // then its core is stepped about once a second (to count what was sent), not once per advert.
  it('steps the core about once a second, not once per advert', async () => {
    const run = await startMaster(true, { advertIntervalMs: 100 });
    const transport = run.transport as RepeatingTransport;
    const takesBefore = transport.takes;
    const fromMs = run.clock.now();
    await run.clock.advance(10_000);
    expect(run.wire.filter((packet) => packet.by === 'schedule' && packet.atMs > fromMs)).toHaveLength(100);
    expect(transport.takes - takesBefore).toBeLessThanOrEqual(11);
    await run.engine.stop();
  });

  // Given a master whose tracker raises its priority by 20 at t = 6.2 s
  // then the advert the change sends at once and the schedule after it carry 120, at the instants of the engine
  // alone.
  it('moves the schedule to the new adverts when the priority changes', async () => {
    const wires: unknown[][] = [];
    for (const repeating of [false, true]) {
      const run = await startMaster(repeating, { trackers: [{ type: 'function', name: 'up', weight: 20, check: () => true }] });
      run.clock.setTimer(6200 - run.clock.now(), () => run.engine.command({ type: 'tracker', name: 'up', passed: true }));
      await run.clock.advance(6000);
      await run.engine.stop();
      wires.push(seen(run.wire));
      if (repeating) expect(run.wire.filter((packet) => packet.by === 'schedule' && packet.priority === 120).length).toBeGreaterThanOrEqual(2);
    }
    expect(wires[1]).toEqual(wires[0]);
  });

  // Given a master whose schedule's send fails at its 3rd firing
  // then the failure is reported once (send_failed), and the engine sends the adverts itself from then on, one per
  // interval, without a gap longer than an interval.
  it('reports a failed send of the schedule and sends the adverts itself from then on', async () => {
    const run = await startMaster(true);
    const transport = run.transport as RepeatingTransport;
    await run.clock.advance(2500);
    transport.failNextFiring = new Error('ENOBUFS');
    const failedAtMs = run.clock.now() + 1000;
    await run.clock.advance(5000);
    const errors = run.events.filter(({ event }) => event.type === 'error');
    expect(errors.map(({ event }) => event.type === 'error' && event.code)).toEqual(['send_failed']);
    const after = run.wire.filter((packet) => packet.atMs > failedAtMs);
    expect(after.length).toBeGreaterThanOrEqual(3);
    expect(after.every((packet) => packet.by === 'engine')).toBe(true);
    const times = run.wire.map((packet) => packet.atMs);
    for (let i = 1; i < times.length; i++) expect((times[i] as number) - (times[i - 1] as number)).toBeLessThanOrEqual(1000);
    await run.engine.stop();
  });

  // Given a master on the repeating transport that hears a higher-priority master at t = 6.5 s
  // then the schedule stops in the same step and nothing more leaves.
  it('stops the schedule when a higher priority takes over', async () => {
    const run = await startMaster(true);
    const transport = run.transport as RepeatingTransport;
    run.clock.setTimer(6500 - run.clock.now(), () => transport.inject(peerAdvert({ priority: 200 })));
    await run.clock.advance(6000);
    expect(run.events.some(({ event }) => event.type === 'transition' && event.to === 'backup')).toBe(true);
    expect(transport.schedules.at(-1)).toBeUndefined();
    expect(run.wire.filter((packet) => packet.atMs > 6500)).toEqual([]);
    await run.engine.stop();
  });
  // Given a master on the repeating transport, 2.35 s into its schedule (the core last collected at a second)
  // then the engine's runtime names its next advert where the schedule puts it, not the stale deadline (0).
  it('tells the next advert of the schedule in its runtime', async () => {
    const run = await startMaster(true);
    await run.clock.advance(2350);
    const next = run.wire.filter((packet) => packet.by === 'schedule').at(-1)?.atMs;
    expect(next).toBeDefined();
    expect(run.engine.runtime().nextTimerInMs).toBeCloseTo((next as number) + 1000 - run.clock.now(), 6);
    await run.engine.stop();
  });

  // Given a master at 100 ms adverts publishing into a stats sink, on a repeating transport that tallies there
  // then from 1 s to 10 s the engine collects no firing (no refresh timer), yet the published advertisementsSent
  // counts every advert on the wire as it leaves, and the runtime names the schedule's next one.
  it('publishes each scheduled advert as it leaves through the tally, with no refresh timer to collect them', async () => {
    const config = resolveConfig(baseConfig({ advertIntervalMs: 100 }));
    const sink = new Float64Array(runtimeSinkLength(config));
    const run = await startMaster(true, { advertIntervalMs: 100 }, sink);
    const transport = run.transport as RepeatingTransport;
    await run.clock.advance(1000);
    const takesBefore = transport.takes;
    for (let second = 0; second < 9; second++) {
      await run.clock.advance(1000);
      expect(sink[2], `advertisementsSent at ${run.clock.now()} ms`).toBe(run.wire.length);
    }
    expect(transport.takes - takesBefore).toBe(0);
    // Right at a firing (the sink's instants are wall-clock, the test's time virtual: only there do they agree).
    await run.clock.advance((run.wire.at(-1) as WirePacket).atMs + 100 - run.clock.now());
    expect(run.wire.at(-1)?.atMs).toBe(run.clock.now());
    const runtime = readRuntime(sink, config);
    expect(runtime.nextTimerInMs).toBeGreaterThan(50);
    expect(runtime.nextTimerInMs).toBeLessThanOrEqual(100);
    await run.engine.stop();
    expect(sink[2]).toBe(run.engine.stats.advertisementsSent);
  });

  // Given a tallying master (100 ms adverts) whose tracker raises its priority by 20 at 5.25 s: the engine sends that
  // advert at once itself (counted by the core alone), and hands the new adverts to the schedule with the tally
  // then at 7 s the published advertisementsSent still counts every advert on the wire, the engine's one included.
  it('publishes the adverts the engine sent itself between tallies as well as the scheduled ones', async () => {
    const overrides: Partial<VrrpConfig> = { advertIntervalMs: 100, trackers: [{ type: 'function', name: 'up', weight: 20, check: () => true }] };
    const sink = new Float64Array(runtimeSinkLength(resolveConfig(baseConfig(overrides))));
    const run = await startMaster(true, overrides, sink);
    run.clock.setTimer(5250 - run.clock.now(), () => run.engine.command({ type: 'tracker', name: 'up', passed: true }));
    await run.clock.advance(7000 - run.clock.now());
    expect(run.wire.filter((packet) => packet.by === 'engine' && packet.atMs === 5250)).toHaveLength(1);
    expect(sink[2]).toBe(run.wire.length);
    await run.engine.stop();
  });

  // Given a tallying master whose schedule fails at its firing after 2.5 s (the engine sends its adverts itself from then on)
  // then 5 s later the published advertisementsSent counts every advert on the wire, the engine's own after the
  // failure included: the counter came back to the engine with the failure.
  it('publishes its own adverts again once a failed send stopped the tallying schedule', async () => {
    const config = resolveConfig(baseConfig());
    const sink = new Float64Array(runtimeSinkLength(config));
    const run = await startMaster(true, {}, sink);
    const transport = run.transport as RepeatingTransport;
    await run.clock.advance(2500);
    transport.failNextFiring = new Error('ENOBUFS');
    await run.clock.advance(5000);
    expect(run.wire.filter((packet) => packet.by === 'engine').length).toBeGreaterThanOrEqual(4);
    expect(sink[2]).toBe(run.wire.length);
    await run.engine.stop();
  });

  // Given a tallying master (100 ms adverts; no timer steps its core while the schedule runs)
  // when a vrrp:advert:sent subscriber arrives at 5 s, with and without the engine told (reconsider)
  // then told, it stops the schedule at once and the subscriber hears each advert of the next second (ten, and the
  // ones sent before, late); not told, it hears none: nothing else steps the core.
  it('stops the tallying schedule for a subscriber once told, not before', async () => {
    const heard: Record<string, number> = {};
    for (const told of [false, true]) {
      const config = resolveConfig(baseConfig({ advertIntervalMs: 100 }));
      const run = await startMaster(true, { advertIntervalMs: 100 }, new Float64Array(runtimeSinkLength(config)));
      await run.clock.advance(5000 - run.clock.now());
      let count = 0;
      const onMessage = (): void => void count++;
      diagnostics.subscribe('vrrp:advert:sent', onMessage);
      try {
        if (told) run.engine.reconsider();
        await run.clock.advance(1000);
        heard[String(told)] = count;
        if (told) expect((run.transport as RepeatingTransport).schedules.at(-1)).toBeUndefined();
      } finally {
        diagnostics.unsubscribe('vrrp:advert:sent', onMessage);
      }
      await run.engine.stop();
    }
    // Told: the ten of that second, and before them, late, those the schedule had sent since the core last took them.
    expect(heard.false).toBe(0);
    expect(heard.true).toBeGreaterThanOrEqual(10);
  });
});
