/**
 * An owner's advert with another address list is counted in addressListErrors and still processed (RFC 9568 §7.1:
 * only non-owners' packets are dropped for it; RFC 6527 counts every mismatch). Found by the packet fuzzer
 * (test/fuzz/, seed 1, case 6497): when such a packet is then dropped by a later check, it must count once, under
 * that check (stats.ts: "every dropped packet increments exactly one error counter").
 *
 * The receiver is a VRRPv2 backup with 1 s adverts protecting 192.0.2.100, started at t=0.
 */
import { describe, it, expect } from 'vitest';
import { HIGHER_PEER, advertFrom, errorCodesOf, makeConfig, nonZeroDropCounters, startedBackup } from './helpers.js';

const config = makeConfig({ version: 2 });

describe("RFC 3768 §7.1 checks after the owner's address list", () => {
  // Given a v2 backup, when the owner (priority 255) advertises another address list every 2 s instead of 1 s,
  // then the packet is dropped as 'interval' and counted in advIntervalErrors only, not in addressListErrors too.
  it("counts an owner's packet with another list and another interval once, in advIntervalErrors", () => {
    const router = startedBackup(config);
    const actions = router.handle(advertFrom(config, HIGHER_PEER, 255, { addresses: ['192.0.2.200'], advertIntervalMs: 2000 }), 1000);
    expect(errorCodesOf(actions)).toEqual(['interval']);
    expect(nonZeroDropCounters(router.stats)).toEqual({ advIntervalErrors: 1 });
    expect(router.stats.advertisementsReceived).toBe(0);
  });

  // Given a v2 backup, when the owner advertises another address list at our interval,
  // then the packet is accepted and the mismatch is counted in addressListErrors.
  it("accepts an owner's packet with another list and counts the mismatch", () => {
    const router = startedBackup(config);
    const actions = router.handle(advertFrom(config, HIGHER_PEER, 255, { addresses: ['192.0.2.200'] }), 1000);
    expect(errorCodesOf(actions)).toEqual([]);
    expect(nonZeroDropCounters(router.stats)).toEqual({ addressListErrors: 1 });
    expect(router.stats.advertisementsReceived).toBe(1);
  });
});
