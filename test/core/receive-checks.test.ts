/**
 * Receive checks (RFC 9568 §7.1, RFC 3768 §7.1): one test per discard rule, each showing the drop's counter
 * (RFC 6527 names, stats.ts) and its `protocolError` code, and that a dropped packet leaves the state machine alone.
 *
 * The receiver is a backup at priority 100 started at t=0, so its Master_Down_Timer is due at 3609.375; every
 * packet arrives at t=1000. An accepted packet would have moved the timer to 4609.375.
 */
import fc from 'fast-check';
import { describe, it, expect } from 'vitest';
import { encodeAdvertisement } from '../../src/core/codec.js';
import type { RouterAction, RouterConfig } from '../../src/core/router.js';
import { VirtualRouter } from '../../src/core/router.js';
import { createStats, type VrrpStats } from '../../src/core/stats.js';
import {
  GROUP_V4,
  HIGHER_PEER,
  SELF,
  VIP,
  advertFrom,
  errorCodesOf,
  makeConfig,
  nonZeroDropCounters,
  rawPacket,
  startedBackup,
  startedMaster,
  typesOf,
  withValidChecksum,
  type PacketInput,
} from './helpers.js';
import { propertySeed, seededCheck } from '../support/seed.js';

const STARTED_DEADLINE = 3000 + ((256 - 100) * 1000) / 256; // 3609.375
const ARRIVAL = 1000;

/** Feeds `packet` to a fresh backup built from `config` at t=1000; returns the router and the actions. */
function receive(config: RouterConfig, packet: PacketInput): { router: VirtualRouter; actions: readonly RouterAction[] } {
  const router = startedBackup(config);
  const actions = router.handle(packet, ARRIVAL);
  return { router, actions };
}

/** The bytes of a well-formed advertisement matching `config`, from HIGHER_PEER to the group. */
function validBytes(config: RouterConfig, priority = 200): Uint8Array {
  return advertFrom(config, HIGHER_PEER, priority).bytes;
}

/** A copy of `bytes` with `patch` applied and the checksum recomputed, so only the patched field is wrong. */
function patched(bytes: Uint8Array, patch: (copy: Uint8Array) => void): Uint8Array {
  const copy = Uint8Array.from(bytes);
  patch(copy);
  return withValidChecksum(copy, HIGHER_PEER, GROUP_V4);
}

/**
 * The common shape of a drop: exactly one protocolError action with `code` naming the sender, exactly one drop
 * counter (`counter`) at 1, nothing accepted, the timer untouched.
 */
function expectDropped(
  result: { router: VirtualRouter; actions: readonly RouterAction[] },
  code: string,
  counter: keyof VrrpStats,
): void {
  const { router, actions } = result;
  expect(actions).toEqual([{ type: 'protocolError', code, message: expect.any(String), src: HIGHER_PEER }]);
  expect(nonZeroDropCounters(router.stats)).toEqual({ [counter]: 1 });
  expect(router.stats.advertisementsReceived).toBe(0);
  expect(router.nextDeadline()).toBe(STARTED_DEADLINE);
}

describe('§7.1 "MUST verify that the IP TTL is 255"', () => {
  // Given a backup, when an otherwise valid advert arrives with TTL 254 (it crossed a router),
  // then it is dropped as 'ttl' and counted in ipTtlErrors.
  it("drops TTL 254 as 'ttl' in ipTtlErrors", () => {
    const config = makeConfig();
    expectDropped(receive(config, advertFrom(config, HIGHER_PEER, 200, {}, { ttl: 254 })), 'ttl', 'ipTtlErrors');
  });

  // Given a backup, when a packet has both TTL 1 and a bad checksum,
  // then only the first failed check counts: ipTtlErrors, not checksumErrors.
  it('counts only the first failed check', () => {
    const config = makeConfig();
    const bytes = validBytes(config);
    bytes[7] = bytes[7]! ^ 0xff;
    expectDropped(receive(config, rawPacket(bytes, HIGHER_PEER, GROUP_V4, 1)), 'ttl', 'ipTtlErrors');
  });
});

describe('§7.1 "MUST verify that the VRRP version is 3" (2 for RFC 3768)', () => {
  // Given a v3 backup, when a well-formed v2 advert for the same VRID arrives,
  // then it is dropped as 'version' in versionErrors.
  it("a v3 router drops a v2 advertisement as 'version' in versionErrors", () => {
    const config = makeConfig({ version: 3 });
    const v2 = makeConfig({ version: 2 });
    expectDropped(receive(config, advertFrom(v2, HIGHER_PEER, 200)), 'version', 'versionErrors');
  });

  // Given a v2 backup, when a well-formed v3 advert for the same VRID arrives,
  // then it is dropped as 'version' in versionErrors.
  it("a v2 router drops a v3 advertisement as 'version' in versionErrors", () => {
    const config = makeConfig({ version: 2 });
    const v3 = makeConfig({ version: 3 });
    expectDropped(receive(config, advertFrom(v3, HIGHER_PEER, 200)), 'version', 'versionErrors');
  });

  // Given a backup, when a message with version nibble 4 arrives,
  // then it is dropped as 'version' in versionErrors.
  it("drops an unknown version nibble as 'version' in versionErrors", () => {
    const config = makeConfig();
    const bytes = patched(validBytes(config), (copy) => (copy[0] = 0x41));
    expectDropped(receive(config, rawPacket(bytes, HIGHER_PEER)), 'version', 'versionErrors');
  });
});

describe('§7.1 "MUST verify that the VRRP packet type is 1 (ADVERTISEMENT)"', () => {
  // Given a backup, when a v3 message of type 2 arrives,
  // then it is dropped as 'type' in invalidTypeErrors.
  it("drops type 2 as 'type' in invalidTypeErrors", () => {
    const config = makeConfig();
    const bytes = patched(validBytes(config), (copy) => (copy[0] = 0x32));
    expectDropped(receive(config, rawPacket(bytes, HIGHER_PEER)), 'type', 'invalidTypeErrors');
  });
});

describe('§7.1 "MUST verify that the received packet contains the complete VRRP packet"', () => {
  // Given a backup, when an advert arrives one byte short of its address list,
  // then it is dropped as 'length' in packetLengthErrors.
  it("drops a truncated message as 'length' in packetLengthErrors", () => {
    const config = makeConfig();
    const bytes = validBytes(config);
    expectDropped(receive(config, rawPacket(bytes.subarray(0, bytes.length - 1), HIGHER_PEER)), 'length', 'packetLengthErrors');
  });

  // Given a backup, when an advert arrives with a trailing byte after its last address,
  // then it is dropped as 'length' in packetLengthErrors (the count or family is not what the sender meant).
  it("drops a message with trailing bytes as 'length' in packetLengthErrors", () => {
    const config = makeConfig();
    const bytes = Uint8Array.of(...validBytes(config), 0);
    expectDropped(receive(config, rawPacket(bytes, HIGHER_PEER)), 'length', 'packetLengthErrors');
  });

  // Given a backup, when a 3-byte scrap arrives,
  // then it is dropped as 'length' in packetLengthErrors.
  it("drops a message shorter than the header as 'length' in packetLengthErrors", () => {
    const config = makeConfig();
    expectDropped(receive(config, rawPacket(Uint8Array.of(0x31, 51, 200), HIGHER_PEER)), 'length', 'packetLengthErrors');
  });

  // Given a v3 backup, when an advert with "Count IPvX Addr" 0 arrives (RFC 9568 §5.2.5: MUST be ignored),
  // then it is dropped as 'address-count' in packetLengthErrors.
  it("drops a v3 advertisement with no address as 'address-count' in packetLengthErrors", () => {
    const config = makeConfig();
    const header = Uint8Array.of(0x31, 51, 200, 0, 0x00, 100, 0, 0); // v3, VRID 51, priority 200, count 0, 1 s
    const bytes = withValidChecksum(header, HIGHER_PEER, GROUP_V4);
    expectDropped(receive(config, rawPacket(bytes, HIGHER_PEER)), 'address-count', 'packetLengthErrors');
  });
});

describe('§7.1 "MUST verify the VRRP checksum"', () => {
  // Given a backup, when an advert arrives with its checksum's low byte flipped,
  // then it is dropped as 'checksum' in checksumErrors.
  it("drops a bad checksum as 'checksum' in checksumErrors", () => {
    const config = makeConfig();
    const bytes = validBytes(config);
    bytes[7] = bytes[7]! ^ 0x01;
    expectDropped(receive(config, rawPacket(bytes, HIGHER_PEER)), 'checksum', 'checksumErrors');
  });

  // Given a backup that sends and strictly requires keepalived's pseudo-header checksum,
  // when a peer checksums over the message only (RFC 9568 §5.2.8), then it is dropped as 'checksum'.
  it("strictChecksum drops the other v3 IPv4 checksum mode as 'checksum'", () => {
    const config = makeConfig({ v3Ipv4Checksum: 'pseudo-header', strictChecksum: true });
    const packet = advertFrom(config, HIGHER_PEER, 200, {}, { v3Ipv4Checksum: 'rfc9568' });
    expectDropped(receive(config, packet), 'checksum', 'checksumErrors');
  });

  // Given a backup that is not strict, when a peer checksums over the message only (RFC 9568 / Cisco style),
  // then the advert is accepted: the timer re-arms from its arrival.
  it('without strictChecksum accepts either v3 IPv4 checksum mode', () => {
    const config = makeConfig({ v3Ipv4Checksum: 'pseudo-header', strictChecksum: false });
    const { router } = receive(config, advertFrom(config, HIGHER_PEER, 200, {}, { v3Ipv4Checksum: 'rfc9568' }));
    expect(router.nextDeadline()).toBe(ARRIVAL + STARTED_DEADLINE);
  });
});

describe('§7.1 "MUST verify that the VRID is configured on the receiving interface"', () => {
  // Given a backup on VRID 51, when a valid advert for VRID 52 arrives (normal on a shared LAN),
  // then it is counted in vridErrors only: no protocolError action, timer untouched.
  it('counts another VRID in vridErrors without a protocolError action', () => {
    const config = makeConfig({ vrid: 51 });
    const { router, actions } = receive(config, advertFrom(config, HIGHER_PEER, 200, { vrid: 52 }));
    expect(actions).toEqual([]);
    expect(nonZeroDropCounters(router.stats)).toEqual({ vridErrors: 1 });
    expect(router.nextDeadline()).toBe(STARTED_DEADLINE);
  });

  // Given a backup, when an advert with VRID 0 (not a valid VRID) arrives,
  // then it is counted in vridErrors only, without a protocolError action.
  it('counts VRID 0 in vridErrors without a protocolError action', () => {
    const config = makeConfig();
    const bytes = patched(validBytes(config), (copy) => (copy[1] = 0));
    const { router, actions } = receive(config, rawPacket(bytes, HIGHER_PEER));
    expect(actions).toEqual([]);
    expect(nonZeroDropCounters(router.stats)).toEqual({ vridErrors: 1 });
  });
});

describe('§7.1 "MUST verify that the Adver Interval in the packet is non-zero" (erratum 8301)', () => {
  // Given a v3 backup, when an advert with Max Adver Int 0 arrives,
  // then it is dropped as 'interval' in advIntervalErrors.
  it("drops a v3 interval of 0 as 'interval' in advIntervalErrors", () => {
    const config = makeConfig();
    const bytes = patched(validBytes(config), (copy) => {
      copy[4] = 0;
      copy[5] = 0;
    });
    expectDropped(receive(config, rawPacket(bytes, HIGHER_PEER)), 'interval', 'advIntervalErrors');
  });
});

describe('§7.1 "MAY verify that Count IPvX Addrs and the list of IPvX Address(es) match"', () => {
  // Given a backup protecting 192.0.2.100, when a priority-200 advert lists 192.0.2.101 instead,
  // then it is dropped as 'address-list' in addressListErrors ("the receiver MUST drop the packet").
  it("drops a different address list as 'address-list' in addressListErrors", () => {
    const config = makeConfig({ virtualAddresses: [VIP] });
    const packet = advertFrom(config, HIGHER_PEER, 200, { addresses: ['192.0.2.101'] });
    expectDropped(receive(config, packet), 'address-list', 'addressListErrors');
  });

  // Given a backup protecting 192.0.2.100, when a priority-200 advert lists 192.0.2.100 and one more address,
  // then it is dropped as 'address-list' in addressListErrors.
  it("drops a longer address list as 'address-list' in addressListErrors", () => {
    const config = makeConfig({ virtualAddresses: [VIP] });
    const packet = advertFrom(config, HIGHER_PEER, 200, { addresses: [VIP, '192.0.2.101'] });
    expectDropped(receive(config, packet), 'address-list', 'addressListErrors');
  });

  // Given a backup protecting 192.0.2.100 and 192.0.2.101, when an advert lists them in the other order,
  // then it is accepted: the same set of addresses.
  it('accepts the same addresses in another order', () => {
    const config = makeConfig({ virtualAddresses: [VIP, '192.0.2.101'] });
    const { router, actions } = receive(config, advertFrom(config, HIGHER_PEER, 200, { addresses: ['192.0.2.101', VIP] }));
    expect(typesOf(actions), 'accepted: its sender is the master now known').toEqual(['masterChange']);
    expect(router.nextDeadline()).toBe(ARRIVAL + STARTED_DEADLINE);
  });

  // Given a backup protecting 192.0.2.100, when the address owner (priority 255) advertises another list,
  // then "otherwise, continue processing": the advert is accepted and re-arms the timer.
  it('accepts a different address list from the address owner (priority 255)', () => {
    const config = makeConfig({ virtualAddresses: [VIP] });
    const { router, actions } = receive(config, advertFrom(config, HIGHER_PEER, 255, { addresses: ['192.0.2.101'] }));
    expect(typesOf(actions), 'accepted: its sender is the master now known').toEqual(['masterChange']);
    expect(router.stats.advertisementsReceived).toBe(1);
    expect(router.nextDeadline()).toBe(ARRIVAL + STARTED_DEADLINE);
  });
});

describe('RFC 3768 §7.1 "MUST perform authentication specified by Auth Type" (v2)', () => {
  const withPassword = makeConfig({ version: 2, authentication: { type: 'simple', password: 'secret' } });
  const withoutPassword = makeConfig({ version: 2, authentication: { type: 'none' } });

  // Given a v2 backup with password 'secret', when an advert without authentication arrives,
  // then it is dropped as 'auth-mismatch' in authTypeMismatchErrors.
  it("drops auth type 0 at a router expecting a password as 'auth-mismatch' in authTypeMismatchErrors", () => {
    const packet = advertFrom(withPassword, HIGHER_PEER, 200, { authType: 0 });
    expectDropped(receive(withPassword, packet), 'auth-mismatch', 'authTypeMismatchErrors');
  });

  // Given a v2 backup without authentication, when an advert with a password arrives,
  // then it is dropped as 'auth-mismatch' in authTypeMismatchErrors.
  it("drops auth type 1 at a router without authentication as 'auth-mismatch' in authTypeMismatchErrors", () => {
    const packet = advertFrom(withoutPassword, HIGHER_PEER, 200, { authType: 1, authPassword: 'secret' });
    expectDropped(receive(withoutPassword, packet), 'auth-mismatch', 'authTypeMismatchErrors');
  });

  // Given a v2 backup with password 'secret', when an advert with password 'wrong' arrives,
  // then it is dropped as 'auth-failure' in authFailures.
  it("drops a wrong password as 'auth-failure' in authFailures", () => {
    const packet = advertFrom(withPassword, HIGHER_PEER, 200, { authType: 1, authPassword: 'wrong' });
    expectDropped(receive(withPassword, packet), 'auth-failure', 'authFailures');
  });

  // Given a v2 backup with password 'secret', when an advert with the right password arrives,
  // then it is accepted.
  it('accepts the right password', () => {
    const { router, actions } = receive(withPassword, advertFrom(withPassword, HIGHER_PEER, 200));
    expect(typesOf(actions), 'accepted: its sender is the master now known').toEqual(['masterChange']);
    expect(router.stats.advertisementsReceived).toBe(1);
  });

  // Given a v2 backup, when an advert with auth type 2 (IPsec AH, unsupported) arrives,
  // then it is dropped as 'auth-type' in invalidAuthTypeErrors.
  it("drops an unknown auth type as 'auth-type' in invalidAuthTypeErrors", () => {
    const bytes = patched(validBytes(withoutPassword), (copy) => (copy[4] = 2));
    expectDropped(receive(withoutPassword, rawPacket(bytes, HIGHER_PEER)), 'auth-type', 'invalidAuthTypeErrors');
  });
});

describe('RFC 3768 §7.1 "MUST verify that the Adver Interval in the packet is the same as the locally configured"', () => {
  // Given a v2 backup at 1 s, when an advert says 2 s,
  // then it is dropped as 'interval' in advIntervalErrors.
  it("drops a v2 interval mismatch as 'interval' in advIntervalErrors", () => {
    const config = makeConfig({ version: 2, advertIntervalMs: 1000 });
    const packet = advertFrom(config, HIGHER_PEER, 200, { advertIntervalMs: 2000 });
    expectDropped(receive(config, packet), 'interval', 'advIntervalErrors');
  });
});

describe('sources that cannot be judged', () => {
  // Given an IPv4 backup, when a packet claims an IPv6 source,
  // then it is dropped as 'family' in versionErrors.
  it("drops a source of the wrong family as 'family' in versionErrors", () => {
    const config = makeConfig();
    const { router, actions } = receive(config, rawPacket(validBytes(config), '2001:db8::1'));
    expect(errorCodesOf(actions)).toEqual(['family']);
    expect(nonZeroDropCounters(router.stats)).toEqual({ versionErrors: 1 });
    expect(router.nextDeadline()).toBe(STARTED_DEADLINE);
  });

  // Given a backup, when a valid higher-priority advert arrives with our own primary address as its source,
  // then it is ignored without a counter or an action: our own packet looped back, or an address clash.
  it('ignores a packet from our own primary address', () => {
    const config = makeConfig();
    const router = startedBackup(config);
    const packet = advertFrom(config, SELF, 200);
    expect(router.handle(packet, ARRIVAL)).toEqual([]);
    expect(router.stats).toEqual(createStats());
    expect(router.nextDeadline()).toBe(STARTED_DEADLINE);
  });
});

describe('a router that is not listening', () => {
  // Given a router that was never started, when any packet arrives (a valid one, a TTL-1 one),
  // then it is ignored: no action, no counter.
  it('ignores packets before start', () => {
    const config = makeConfig();
    const router = new VirtualRouter(config);
    expect(router.handle(advertFrom(config, HIGHER_PEER, 200), ARRIVAL)).toEqual([]);
    expect(router.handle(advertFrom(config, HIGHER_PEER, 200, {}, { ttl: 1 }), ARRIVAL)).toEqual([]);
    expect(router.stats).toEqual(createStats());
  });

  // Given a master that was stopped, when a priority-0 advert arrives (which a master would answer),
  // then it is ignored: no send, no counter.
  it('ignores packets after stop', () => {
    const config = makeConfig();
    const { router, masterSinceMs } = startedMaster(config);
    router.handle({ type: 'stop' }, masterSinceMs + 10);
    const before = router.stats;
    expect(router.handle(advertFrom(config, HIGHER_PEER, 0), masterSinceMs + 20)).toEqual([]);
    expect(router.stats).toEqual(before);
  });

  // Given a router in Fault (link down), when a priority-0 advert arrives,
  // then it is ignored: no action, no counter, still no timer.
  it('ignores packets in Fault', () => {
    const config = makeConfig();
    const router = startedBackup(config);
    router.handle({ type: 'link', up: false }, 500);
    expect(router.state).toBe('fault');
    expect(router.handle(advertFrom(config, HIGHER_PEER, 0), ARRIVAL)).toEqual([]);
    expect(router.stats.advertisementsReceived).toBe(0);
    expect(router.nextDeadline()).toBeUndefined();
  });
});

describe('garbage never throws', () => {
  const seed = propertySeed('core/receive-checks');

  const check = seededCheck(seed);

  const address = fc.oneof(
    fc.constantFrom(HIGHER_PEER, GROUP_V4, '2001:db8::1', 'ff02::12', '', 'not an address', '999.1.1.1', '::'),
    fc.string({ maxLength: 50 }),
  );

  // Given a backup, when arbitrary bytes arrive from arbitrary sources with arbitrary TTLs,
  // then handle never throws, returns only protocolError actions, and the router stays Backup.
  it('arbitrary bytes, sources and TTLs only ever produce protocolError actions', () => {
    const config = makeConfig();
    const router = startedBackup(config);
    check(
      fc.property(
        fc.uint8Array({ maxLength: 80 }),
        address,
        address,
        fc.oneof(fc.constant(255), fc.integer({ min: -1, max: 300 }), fc.double()),
        (bytes, src, dst, ttl) => {
          const actions = router.handle({ type: 'packet', bytes, src, dst, ttl }, ARRIVAL);
          expect(actions.every((action) => action.type === 'protocolError')).toBe(true);
          expect(router.state).toBe('backup');
        },
      ),
      2000,
    );
  });

  // Given a master, when a valid advert with one byte replaced arrives,
  // then handle never throws and the master stays Master (a damaged packet is never acted upon).
  it('a valid advertisement with one damaged byte never throws nor moves a master', () => {
    const config = makeConfig();
    const { router, masterSinceMs } = startedMaster(config);
    const bytes = encodeAdvertisement(
      { version: 3, vrid: 51, priority: 254, advertIntervalMs: 1000, addresses: [VIP] },
      { family: 'ipv4', src: HIGHER_PEER, dst: GROUP_V4 },
    );
    check(
      fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), (index, xor) => {
        const damaged = Uint8Array.from(bytes);
        damaged[index] = damaged[index]! ^ xor;
        router.handle(rawPacket(damaged, HIGHER_PEER), masterSinceMs + 1);
        expect(router.state).toBe('master');
      }),
      500,
    );
  });

  // Given a backup, when a packet input carries values of the wrong JavaScript types,
  // then handle does not throw and reports a protocolError.
  it('inputs of the wrong JavaScript types become a protocolError', () => {
    const config = makeConfig();
    const router = startedBackup(config);
    const hostile = {
      type: 'packet',
      bytes: 'not bytes' as unknown as Uint8Array,
      src: 42 as unknown as string,
      dst: null as unknown as string,
      ttl: 255,
    } as const;
    let actions: readonly RouterAction[] = [];
    expect(() => (actions = router.handle(hostile, ARRIVAL))).not.toThrow();
    expect(actions.map((action) => action.type)).toEqual(['protocolError']);
  });
});


describe('another VRID is only counted, whatever else is wrong with it', () => {
  // Given a backup for VRID 51; when a TTL-64 packet of VRID 20 arrives
  // then it counts in vridErrors only: no ttl error, no protocolError (a neighbour's traffic is not our problem).
  it('a foreign VRID with a bad TTL raises no protocolError', () => {
    const config = makeConfig({ vrid: 51 });
    const router = startedBackup(config);
    const actions = router.handle(advertFrom({ ...config, vrid: 20 }, HIGHER_PEER, 100, {}, { ttl: 64 }), 500);
    expect(errorCodesOf(actions)).toEqual([]);
    expect(nonZeroDropCounters(router.stats)).toEqual({ vridErrors: 1 });
  });

  // Given a strict RFC 9568-checksum backup for VRID 51; when keepalived's (pseudo-header) advert for VRID 20
  // arrives, then it is counted as another VRID's, not as a checksum error.
  it('a foreign VRID in the other checksum convention raises no protocolError', () => {
    const config = makeConfig({ vrid: 51, strictChecksum: true, v3Ipv4Checksum: 'rfc9568' });
    const router = startedBackup(config);
    const actions = router.handle(advertFrom({ ...config, vrid: 20 }, HIGHER_PEER, 100, {}, { v3Ipv4Checksum: 'pseudo-header' }), 500);
    expect(errorCodesOf(actions)).toEqual([]);
    expect(nonZeroDropCounters(router.stats)).toEqual({ vridErrors: 1 });
  });
});

describe('TTL check with unicast peers (as keepalived)', () => {
  // Given an instance with unicast peers (which may sit behind a router)
  // when an advert arrives with TTL 64 (keepalived sends IPv6 unicast adverts with the default hop limit)
  // then it is accepted, while the same advert to a multicast instance is dropped as 'ttl'.
  it('accepts a unicast advert whose TTL is not 255, and only with unicast peers', () => {
    const unicast = { ...makeConfig(), destinations: [HIGHER_PEER] };
    const { router, actions } = receive(unicast, advertFrom(unicast, HIGHER_PEER, 200, {}, { ttl: 64 }));
    expect(errorCodesOf(actions)).toEqual([]);
    expect(router.stats.ipTtlErrors).toBe(0);
    expect(router.stats.advertisementsReceived).toBe(1);
    const multicast = makeConfig();
    expectDropped(receive(multicast, advertFrom(multicast, HIGHER_PEER, 200, {}, { ttl: 64 })), 'ttl', 'ipTtlErrors');
  });
});
