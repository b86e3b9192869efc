/**
 * The advert grid (src/engine/engine.ts, ADVERT_GRID_DIVISOR; docs/linux.md "Advert grid"), on fakes in virtual
 * time: with `advertGrid`, a Master's Adver_Timer waits for the next twentieth of its interval, so masters whose
 * deadlines fall within one step send at the same instant — one wake-up of the engine thread for all — while each
 * advert still leaves once per interval: late by less than a step once, then exactly on the interval.
 */
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/adapters/types.js';
import { resolveConfig } from '../../src/config.js';
import { Engine } from '../../src/engine/engine.js';
import { FakeTransport, FakeVipManager, VirtualClock } from '../../src/testing/index.js';
import { baseConfig, PRIMARY } from './harness.js';

const INTERVAL_MS = 100;
const GRID_MS = INTERVAL_MS / 20;
/** A lone v3 router at priority 100 and 100 ms adverts becomes master after 3 × 100 + 60.9375 ms. */
const MASTER_DOWN_MS = 360.9375;

/** A clock whose timers fire `lateMs` after their due time, as a busy thread's do. */
class LateClock implements Clock {
  constructor(
    readonly inner: VirtualClock,
    readonly lateMs: number,
  ) {}
  now(): number {
    return this.inner.now();
  }
  setTimer(delayMs: number, callback: () => void): () => void {
    return this.inner.setTimer(delayMs + this.lateMs, callback);
  }
}

/** One engine on `clock`, started now; returns the instants of the adverts it sends. */
async function masterOn(clock: Clock, vrid: number, advertGrid: boolean): Promise<{ sends: number[]; engine: Engine }> {
  const sends: number[] = [];
  const transport = new FakeTransport({ primaryAddress: PRIMARY, onSend: () => sends.push(clock.now()) });
  const config = resolveConfig(baseConfig({ vrid, advertIntervalMs: INTERVAL_MS, virtualAddresses: [`192.0.2.${100 + vrid}/32`] }));
  const engine = new Engine(config, { transport, vipManager: new FakeVipManager(), clock }, () => {}, { advertGrid });
  await engine.start();
  return { sends, engine };
}

/** A master on the grid whose timers all fire `lateMs` late: the instants of its adverts after the takeover's. */
async function sendsWithLateTimers(lateMs: number): Promise<number[]> {
  const virtual = new VirtualClock();
  const { sends } = await masterOn(new LateClock(virtual, lateMs), 1, true);
  await virtual.advance(MASTER_DOWN_MS + 20 * INTERVAL_MS);
  return sends.slice(1);
}

function gaps(times: readonly number[]): number[] {
  return times.slice(1).map((t, i) => t - (times[i] as number));
}

describe('advert grid', () => {
  it('without it, a master sends exactly one interval after its takeover, and on from there', async () => {
    const clock = new VirtualClock();
    const { sends } = await masterOn(clock, 1, false);
    await clock.advance(MASTER_DOWN_MS + 10 * INTERVAL_MS);
    expect(sends[0]).toBe(MASTER_DOWN_MS);
    expect(gaps(sends)).toEqual(Array(gaps(sends).length).fill(INTERVAL_MS));
  });

  it('with it, the first advert after the takeover waits for the next grid point, less than one step late', async () => {
    const clock = new VirtualClock();
    const { sends } = await masterOn(clock, 1, true);
    await clock.advance(MASTER_DOWN_MS + 10 * INTERVAL_MS);
    expect(sends[0]).toBe(MASTER_DOWN_MS); // the takeover's own advert is never delayed
    const first = sends[1] as number;
    expect(first % GRID_MS).toBe(0);
    expect(first - (MASTER_DOWN_MS + INTERVAL_MS)).toBeGreaterThan(0);
    expect(first - (MASTER_DOWN_MS + INTERVAL_MS)).toBeLessThan(GRID_MS);
  });

  it('with it, every later advert is on the grid and exactly one interval after the one before', async () => {
    const clock = new VirtualClock();
    const { sends } = await masterOn(clock, 1, true);
    await clock.advance(MASTER_DOWN_MS + 20 * INTERVAL_MS);
    const later = sends.slice(1);
    expect(later.length).toBeGreaterThanOrEqual(19);
    expect(later.filter((t) => t % GRID_MS !== 0)).toEqual([]);
    expect(gaps(later)).toEqual(Array(later.length - 1).fill(INTERVAL_MS));
  });

  it('with it, a timer that fires a little late (less than a step) keeps the interval exact', async () => {
    const later = await sendsWithLateTimers(0.3);
    expect(later.length).toBeGreaterThanOrEqual(18);
    // Dated at its due time, each timeout sets the next deadline on the grid: had it been dated when it ran, each
    // interval would be one step longer (the deadline 0.3 ms past a grid point waits for the next one).
    expect(gaps(later).map((gap) => Math.round(gap * 1000) / 1000)).toEqual(Array(later.length - 1).fill(INTERVAL_MS));
  });

  it('with it, a timer later than one step (a busy thread) is dated when it ran: no catch-up burst', async () => {
    const later = await sendsWithLateTimers(7);
    expect(later.length).toBeGreaterThanOrEqual(10);
    expect(gaps(later).filter((gap) => gap < INTERVAL_MS)).toEqual([]);
  });

  it('with it, masters whose deadlines are within one step of each other send at the same instants', async () => {
    const clock = new VirtualClock();
    const a = await masterOn(clock, 1, true);
    await clock.advance(2); // the second master's deadlines fall 2 ms after the first's
    const b = await masterOn(clock, 2, true);
    await clock.advance(MASTER_DOWN_MS + 10 * INTERVAL_MS);
    expect(b.sends[0]).toBe((a.sends[0] as number) + 2); // takeovers are not moved
    expect(b.sends.slice(1)).toEqual(a.sends.slice(1, b.sends.length));
    // And without the grid, the same two never share one.
    const plain = new VirtualClock();
    const c = await masterOn(plain, 1, false);
    await plain.advance(2);
    const d = await masterOn(plain, 2, false);
    await plain.advance(MASTER_DOWN_MS + 10 * INTERVAL_MS);
    expect(d.sends.filter((t) => c.sends.includes(t))).toEqual([]);
  });
});
