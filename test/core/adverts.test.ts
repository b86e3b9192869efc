/**
 * The `adverts` input (src/core/router.ts): a transport that repeats a master's routine adverts itself tells the
 * core how many times its Adver_Timer fired, as one input, instead of the engine stepping the core per advert
 * (docs/linux.md, "Repeated adverts"). It must leave a master exactly where those timeouts would, and do nothing
 * in any other state.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualRouter } from '../../src/core/router.js';
import { propertySeed, seededCheck } from '../support/seed.js';
import { makeConfig, startedBackup, startedMaster } from './helpers.js';

const check = seededCheck(propertySeed('core adverts'));

/** Everything a later input could see of the router. */
function observable(router: VirtualRouter): unknown {
  return { state: router.state, priority: router.priority, stats: router.stats, deadline: router.nextDeadline(), master: router.master };
}

describe('the adverts input', () => {
  it('leaves a master where as many Adver_Timer expiries would (property)', () => {
    const scenario = fc.record({
      version: fc.constantFrom(2 as const, 3 as const),
      priority: fc.integer({ min: 1, max: 254 }), // an owner starts as master: startedMaster sets up the others
      // The multicast group, or two unicast peers (one advert each).
      destinations: fc.constantFrom(['224.0.0.18'], ['192.0.2.7', '192.0.2.8']),
      // How late each expiry was handled after its deadline, ms.
      latesMs: fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 12 }),
    });
    check(
      fc.property(scenario, ({ version, priority, destinations, latesMs }) => {
        const config = makeConfig({ version, priority, advertIntervalMs: version === 2 ? 1000 : 100, destinations });
        const byTimeouts = startedMaster(config).router;
        const byAdverts = startedMaster(config).router;
        const sends = byAdverts.routineSends;
        const timeoutSends = byTimeouts.routineSends;
        expect(sends).toBeDefined();
        let atMs = 0;
        for (const lateMs of latesMs) {
          atMs = (byTimeouts.nextDeadline() as number) + lateMs;
          // Each expiry sends exactly the routine adverts, the same array each time.
          expect(byTimeouts.handle({ type: 'timeout' }, atMs)).toBe(timeoutSends);
        }
        expect(byAdverts.handle({ type: 'adverts', count: latesMs.length }, atMs)).toEqual([]);
        expect(observable(byAdverts)).toEqual(observable(byTimeouts));
        expect(byAdverts.routineSends).toBe(sends);
      }),
      300,
    );
  });

  it('does nothing to a backup', () => {
    const config = makeConfig({ version: 3, priority: 100, advertIntervalMs: 1000 });
    const router = startedBackup(config);
    const before = observable(router);
    expect(router.routineSends).toBeUndefined();
    expect(router.handle({ type: 'adverts', count: 3 }, 50)).toEqual([]);
    expect(observable(router)).toEqual(before);
  });

  it('hands out new routine sends when the priority changes', () => {
    const config = makeConfig({ version: 3, priority: 100, advertIntervalMs: 1000, trackers: [{ name: 't', weight: 20, fall: 1, rise: 1, reverse: false }] });
    const { router, masterSinceMs } = startedMaster(config);
    const before = router.routineSends;
    router.handle({ type: 'tracker', name: 't', passed: true }, masterSinceMs + 10);
    expect(router.priority).toBe(120);
    expect(router.routineSends).not.toBe(before);
    expect(router.routineSends?.[0]?.advertisement.priority).toBe(120);
  });
});
