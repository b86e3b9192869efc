/**
 * The `repeats` input (src/core/router.ts): the engine hands the core the exact repeats the transport absorbed as
 * one input instead of the packet itself, so that the core need not decode the same bytes again (docs/linux.md,
 * "Absorbed repeats"). It must leave the router exactly where handling each repeat as a packet would, whenever
 * `repeatIsQuiet` says a repeat is quiet, and do nothing otherwise.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RouterConfig } from '../../src/core/router.js';
import { VirtualRouter } from '../../src/core/router.js';
import { propertySeed, seededCheck } from '../support/seed.js';
import { HIGHER_PEER, LOWER_PEER, advertFrom, makeConfig, startedBackup, startedMaster } from './helpers.js';

const check = seededCheck(propertySeed('core repeats'));

/** Everything a later input could see of the router. */
function observable(router: VirtualRouter): unknown {
  return {
    state: router.state,
    priority: router.priority,
    stats: router.stats,
    deadline: router.nextDeadline(),
    master: router.master,
    masterAdverIntervalMs: router.masterAdverIntervalMs,
    repeatIsQuiet: router.repeatIsQuiet,
  };
}

describe('the repeats input', () => {
  it('leaves a quiet backup where handling each repeat as a packet would (property)', () => {
    const scenario = fc.record({
      version: fc.constantFrom(2 as const, 3 as const),
      priority: fc.integer({ min: 1, max: 254 }),
      preempt: fc.boolean(),
      peerPriority: fc.integer({ min: 1, max: 254 }),
      peer: fc.constantFrom(LOWER_PEER, HIGHER_PEER),
      // v3 carries the master's interval (centiseconds on the wire); v2 must match ours.
      peerIntervalMs: fc.constantFrom(100, 250, 1000),
      gapsMs: fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 12 }),
    });
    check(
      fc.property(scenario, ({ version, priority, preempt, peerPriority, peer, peerIntervalMs, gapsMs }) => {
        const config: RouterConfig = makeConfig({ version, priority, preempt, advertIntervalMs: version === 2 ? 1000 : 100 });
        const packet = advertFrom(config, peer, peerPriority, version === 3 ? { advertIntervalMs: peerIntervalMs } : {});
        const byPackets = startedBackup(config);
        const byRepeats = startedBackup(config);
        // The first advert of a master is news (masterChange); the second, accepted with no action, can be quiet.
        for (const atMs of [50, 60]) expect(byPackets.handle(packet, atMs)).toEqual(byRepeats.handle(packet, atMs));
        fc.pre(byPackets.repeatIsQuiet);
        let atMs = 60;
        for (const gapMs of gapsMs) {
          atMs += gapMs;
          expect(byPackets.handle(packet, atMs)).toEqual([]); // quiet: no action, ever
        }
        expect(byRepeats.handle({ type: 'repeats', count: gapsMs.length }, atMs)).toEqual([]);
        expect(observable(byRepeats)).toEqual(observable(byPackets));
      }),
      300,
    );
  });

  it('does nothing to a master: a repeat is not quiet there', () => {
    const config = makeConfig({ version: 3, priority: 100, advertIntervalMs: 1000 });
    const { router, masterSinceMs } = startedMaster(config);
    const before = observable(router);
    expect(router.handle({ type: 'repeats', count: 3 }, masterSinceMs + 10)).toEqual([]);
    expect(observable(router)).toEqual(before);
  });

  it('is not quiet for a sync group member that wishes to be master: the next advert withdraws the wish', () => {
    const config = makeConfig({ version: 3, priority: 100, advertIntervalMs: 1000, syncGroup: true });
    const router = startedBackup(config);
    const packet = advertFrom(config, HIGHER_PEER, 200);
    router.handle(packet, 50);
    router.handle(packet, 60); // accepted with no action: quiet
    const deadline = router.nextDeadline() as number;
    expect(router.handle({ type: 'timeout' }, deadline)).toEqual([{ type: 'wantMaster', want: true }]);
    // Handled as a packet, a repeat now says the wish is withdrawn; a repeats input could not say it.
    expect(router.repeatIsQuiet).toBe(false);
  });

  it('does nothing to a backup whose last packet was not quiet (it asked to preempt)', () => {
    const config = makeConfig({ version: 3, priority: 200, preempt: true, advertIntervalMs: 1000 });
    const router = startedBackup(config);
    router.handle(advertFrom(config, LOWER_PEER, 100), 50); // a lower master: we will preempt, not quiet
    expect(router.repeatIsQuiet).toBe(false);
    const before = observable(router);
    expect(router.handle({ type: 'repeats', count: 3 }, 60)).toEqual([]);
    expect(observable(router)).toEqual(before);
  });
});
