/**
 * Packet fuzzing, CI-sized: 50,000 seeded random and mutated packets (keepalived 2.2.7's own, our encoder's, random
 * bytes) through `decodeAdvertisement` and through running `VirtualRouter`s in every state. The mutations and the
 * invariants are in fuzzer.ts; `npm run fuzz` runs a million of the same.
 *
 * The seed is printed; `FC_SEED=<seed> npx vitest run test/fuzz` replays the run, and a broken invariant names its
 * case and the `npm run fuzz -- --seed <seed> --count <n>` that replays the run up to it.
 */
import { describe, it, expect } from 'vitest';
import type { DecodeErrorCode } from '../../src/core/codec.js';
import { DROP_COUNTERS } from '../core/helpers.js';
import { propertySeed } from '../support/seed.js';
import { ROUTER_STATES, SCENARIO_NAMES, formatReport, runFuzz, type FuzzReport } from './fuzzer.js';

const seed = propertySeed('fuzz/packets');
const COUNT = 50_000;

let report: FuzzReport | undefined;
/** The run, made once and shared: each test reads another side of it. */
function fuzzed(): FuzzReport {
  report ??= runFuzz({ seed, count: COUNT });
  return report;
}

const total = (counts: ReadonlyMap<unknown, number>): number => [...counts.values()].reduce((sum, n) => sum + n, 0);

describe(`${COUNT} fuzzed packets through the codec and running routers`, () => {
  // Given 50,000 packets drawn from the seed, when each is decoded and handed to a router, then nothing throws, every
  // packet ends in exactly one place (accepted, or the one drop counter its first failed check names), every decoded
  // packet encodes again to an equal one and every router stays valid — runFuzz throws a FuzzFailure otherwise.
  it('break no invariant, and every packet is accounted for once', () => {
    const { routerOutcomes, codecOutcomes } = fuzzed();
    expect(total(routerOutcomes)).toBe(COUNT);
    expect(total(codecOutcomes)).toBe(COUNT);
  });

  // Given the same run, then every scenario's router took packets in each of its four states, so each state's
  // handling was fuzzed for v2 and v3, IPv4 and IPv6, multicast and unicast, with and without a password.
  it('reach every scenario in every state', () => {
    const { coverage } = fuzzed();
    const empty = SCENARIO_NAMES.flatMap((name) => ROUTER_STATES.filter((state) => !coverage.get(name)?.get(state)).map((state) => `${name} in ${state}`));
    expect(empty).toEqual([]);
  });

  // Given the same run, then every drop counter counted packets and some were accepted: the mutations reach every
  // receive check, not just the first ones.
  it('reach every drop counter, and acceptance', () => {
    const { routerOutcomes } = fuzzed();
    const unreached = [...DROP_COUNTERS, 'accepted' as const].filter((outcome) => !routerOutcomes.get(outcome));
    expect(unreached).toEqual([]);
  });

  // Given the same run, then the codec both accepted packets and refused them under every code the wire can cause.
  it('reach every decode verdict', () => {
    const { codecOutcomes } = fuzzed();
    const codes: ('ok' | DecodeErrorCode)[] = ['ok', 'length', 'version', 'type', 'checksum', 'vrid', 'address-count', 'auth-type', 'interval', 'family'];
    expect(codes.filter((code) => !codecOutcomes.get(code))).toEqual([]);
  });

  // Given one seed, when it runs twice, then it draws the same packets with the same verdicts: a printed seed replays.
  it('replay the same run from the same seed', () => {
    const strip = (run: FuzzReport): string => formatReport({ ...run, elapsedMs: 0 });
    expect(strip(runFuzz({ seed, count: 2_000 }))).toBe(strip(runFuzz({ seed, count: 2_000 })));
  });
});
