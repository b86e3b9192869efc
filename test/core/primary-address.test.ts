/**
 * A router with no primary address (an IPv6 interface that is down has no link-local address to send from) starts
 * in Fault, reason `link-down`, and leaves it when a `link` input brings an address; what it then sends carries that
 * address as its source.
 */
import { describe, expect, it } from 'vitest';
import { decodeAdvertisement } from '../../src/core/codec.js';
import { VRRP_MULTICAST_GROUP } from '../../src/core/advertisement.js';
import type { RouterAction } from '../../src/core/router.js';
import { VirtualRouter } from '../../src/core/router.js';
import { makeConfig, transitionsOf } from './helpers.js';

const config = makeConfig({ family: 'ipv6', version: 3, priority: 100, advertIntervalMs: 1000, virtualAddresses: ['2001:db8::100'], destinations: [VRRP_MULTICAST_GROUP.ipv6], primaryAddress: undefined });

/** The source address each sent advert's IPv6 checksum was computed with (it decodes only with the right one). */
function decodesFrom(actions: readonly RouterAction[], src: string): boolean[] {
  return actions.flatMap((action) =>
    action.type === 'send' ? [decodeAdvertisement(action.bytes, { family: 'ipv6', src, dst: action.dst }).ok] : [],
  );
}

describe('a router without a primary address', () => {
  // Given no primary address, when started, then it goes to Fault with reason link-down and runs no timer.
  it('starts in fault with reason link-down', () => {
    const router = new VirtualRouter(config);
    const actions = router.handle({ type: 'start' }, 0);
    expect(transitionsOf(actions)).toMatchObject([{ from: 'initialize', to: 'fault', reason: 'link-down' }]);
    expect(router.nextDeadline()).toBeUndefined();
    expect(router.primaryAddress).toBeUndefined();
  });

  // Given such a router in fault, when the link comes up without an address, then it stays in fault.
  it('stays in fault when the link comes up without an address', () => {
    const router = new VirtualRouter(config);
    router.handle({ type: 'start' }, 0);
    expect(transitionsOf(router.handle({ type: 'link', up: true }, 10))).toEqual([]);
    expect(router.state).toBe('fault');
  });

  // Given such a router in fault, when the link comes up with an address, then it leaves fault through backup.
  it('leaves fault when the link comes up with an address', () => {
    const router = new VirtualRouter(config);
    router.handle({ type: 'start' }, 0);
    const actions = router.handle({ type: 'link', up: true, primaryAddress: 'fe80::a' }, 10);
    expect(transitionsOf(actions)).toMatchObject([{ from: 'fault', to: 'backup', reason: 'fault-cleared' }]);
    expect(router.primaryAddress).toBe('fe80::a');
  });

  // Given the address came with the link, when the router takes over, then its adverts are sent from that address.
  it('sends from the address the link brought', () => {
    const router = new VirtualRouter(config);
    router.handle({ type: 'start' }, 0);
    router.handle({ type: 'link', up: true, primaryAddress: 'fe80::a' }, 10);
    const actions = router.handle({ type: 'timeout' }, router.nextDeadline()!);
    expect(router.state).toBe('master');
    expect(decodesFrom(actions, 'fe80::a')).toEqual([true]);
    expect(decodesFrom(actions, 'fe80::b')).toEqual([false]);
  });
});

describe('a router whose link comes back with another address', () => {
  // Given a master on fe80::a whose link went down, when it comes back with fe80::b, then its adverts come from
  // fe80::b (nothing encoded for the old address is sent again).
  it('sends from the new address', () => {
    const router = new VirtualRouter({ ...config, primaryAddress: 'fe80::a', priority: 255 });
    router.handle({ type: 'start' }, 0);
    router.handle({ type: 'link', up: false }, 10);
    const actions = router.handle({ type: 'link', up: true, primaryAddress: 'fe80::b' }, 20);
    expect(router.state).toBe('master');
    expect(decodesFrom(actions, 'fe80::b')).toEqual([true]);
  });

  // Given a router, when a link input brings an address of the other family, then that is the caller's bug: it throws.
  it('throws on an address of the wrong family', () => {
    const router = new VirtualRouter({ ...config, primaryAddress: 'fe80::a' });
    router.handle({ type: 'start' }, 0);
    expect(() => router.handle({ type: 'link', up: true, primaryAddress: '192.0.2.1' }, 10)).toThrow(/not an ipv6 address/);
  });
});
