/**
 * RFC 9568 §7.1 address-list check with a repeated address: found by the packet fuzzer (test/fuzz/, seed 1, case
 * 533). The list in an advert is compared with ours address for address; the same number of addresses, each one of
 * ours, is not enough when one of them is listed twice and another is missing.
 */
import { describe, it, expect } from 'vitest';
import { HIGHER_PEER, advertFrom, errorCodesOf, makeConfig, nonZeroDropCounters, startedBackup } from './helpers.js';

const VIPS = ['192.0.2.100', '192.0.2.101', '192.0.2.102'];

describe('§7.1 "MAY verify that the IPvX Address(es) associated with the VRID are valid"', () => {
  // Given a backup protecting .100, .101 and .102, when a non-owner's advert lists .100, .101 and .101 again
  // (three addresses, all ours, .102 missing), then it is dropped as 'address-list' in addressListErrors.
  it('drops a list that repeats one of our addresses in place of another', () => {
    const config = makeConfig({ virtualAddresses: VIPS });
    const router = startedBackup(config);
    const deadline = router.nextDeadline();
    const actions = router.handle(advertFrom(config, HIGHER_PEER, 200, { addresses: ['192.0.2.100', '192.0.2.101', '192.0.2.101'] }), 1000);
    expect(errorCodesOf(actions)).toEqual(['address-list']);
    expect(nonZeroDropCounters(router.stats)).toEqual({ addressListErrors: 1 });
    expect(router.stats.advertisementsReceived).toBe(0);
    expect(router.nextDeadline()).toBe(deadline);
  });

  // Given the same backup, when an advert lists our three addresses in another order,
  // then it is accepted: the order of the list does not matter.
  it('accepts our addresses in any order', () => {
    const config = makeConfig({ virtualAddresses: VIPS });
    const router = startedBackup(config);
    const actions = router.handle(advertFrom(config, HIGHER_PEER, 200, { addresses: ['192.0.2.102', '192.0.2.100', '192.0.2.101'] }), 1000);
    expect(errorCodesOf(actions)).toEqual([]);
    expect(router.stats.advertisementsReceived).toBe(1);
  });

  // Lists of more than eight addresses are looked up in a Set, shorter ones scanned: the same rule on both paths.
  const LONG = Array.from({ length: 12 }, (_, i) => `192.0.2.${110 + i}`);

  it('drops a long list that repeats one of our addresses in place of another', () => {
    const config = makeConfig({ virtualAddresses: LONG });
    const router = startedBackup(config);
    const repeated = [...LONG.slice(0, 11), LONG[0] as string];
    const actions = router.handle(advertFrom(config, HIGHER_PEER, 200, { addresses: repeated }), 1000);
    expect(errorCodesOf(actions)).toEqual(['address-list']);
    expect(nonZeroDropCounters(router.stats)).toEqual({ addressListErrors: 1 });
  });

  it('drops a long list with an address that is not ours in place of one of ours', () => {
    const config = makeConfig({ virtualAddresses: LONG });
    const router = startedBackup(config);
    const actions = router.handle(advertFrom(config, HIGHER_PEER, 200, { addresses: [...LONG.slice(0, 11), '192.0.2.250'] }), 1000);
    expect(errorCodesOf(actions)).toEqual(['address-list']);
    expect(nonZeroDropCounters(router.stats)).toEqual({ addressListErrors: 1 });
  });

  it('accepts a long list of our addresses in any order', () => {
    const config = makeConfig({ virtualAddresses: LONG });
    const router = startedBackup(config);
    const actions = router.handle(advertFrom(config, HIGHER_PEER, 200, { addresses: [...LONG].reverse() }), 1000);
    expect(errorCodesOf(actions)).toEqual([]);
    expect(router.stats.advertisementsReceived).toBe(1);
  });
});
