/**
 * An advert's destination must be of the instance's kind, as keepalived 2.2.7 checks (vrrp_check_packet): a unicast
 * instance drops adverts sent to the VRRP group, a multicast one adverts sent to an address of its own. On Linux the
 * instances of an interface share one socket, joined to the group when any of them is multicast: without the check,
 * a unicast pair heard a multicast router of the same VRID on the LAN and joined its election. Dropped, counted in
 * addressListErrors (keepalived's counter for it) and reported as `destination`.
 */
import { describe, expect, it } from 'vitest';
import { GROUP_V4, HIGHER_PEER, SELF, advertFrom, errorCodesOf, makeConfig, nonZeroDropCounters, startedBackup } from './helpers.js';

describe("an advert's destination kind", () => {
  it('a unicast instance drops an advert sent to the VRRP group', () => {
    const config = makeConfig({ destinations: [HIGHER_PEER] });
    const router = startedBackup(config);
    const actions = router.handle(advertFrom(config, HIGHER_PEER, 200, {}, { dst: GROUP_V4 }), 100);
    expect(errorCodesOf(actions)).toEqual(['destination']);
    expect(nonZeroDropCounters(router.stats)).toEqual({ addressListErrors: 1 });
    expect(router.stats.advertisementsReceived).toBe(0);
  });

  it('a unicast instance takes an advert sent to its own address', () => {
    const config = makeConfig({ destinations: [HIGHER_PEER] });
    const router = startedBackup(config);
    const actions = router.handle(advertFrom(config, HIGHER_PEER, 200, {}, { dst: SELF }), 100);
    expect(errorCodesOf(actions)).toEqual([]);
    expect(router.stats.advertisementsReceived).toBe(1);
  });

  it('a multicast instance drops an advert sent to its own address', () => {
    const config = makeConfig();
    const router = startedBackup(config);
    const actions = router.handle(advertFrom(config, HIGHER_PEER, 200, {}, { dst: SELF }), 100);
    expect(errorCodesOf(actions)).toEqual(['destination']);
    expect(nonZeroDropCounters(router.stats)).toEqual({ addressListErrors: 1 });
  });

  it('an IPv6 unicast instance drops an advert sent to ff02::12', () => {
    const config = makeConfig({ family: 'ipv6', primaryAddress: 'fe80::1', virtualAddresses: ['2001:db8::100'], destinations: ['fe80::2'] });
    const router = startedBackup(config);
    const actions = router.handle(advertFrom(config, 'fe80::2', 200, {}, { dst: 'ff02::12' }), 100);
    expect(errorCodesOf(actions)).toEqual(['destination']);
  });
});
