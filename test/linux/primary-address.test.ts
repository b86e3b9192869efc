/**
 * pickPrimaryAddress (src/linux/interfaces.ts) names the address VRRP sends from and breaks ties with. It runs for
 * every watcher after every re-read of an interface, so it scans instead of building lists; these tests hold it to
 * the rule as written in the RFC's terms: examples for each branch, and a property against the rule spelled out
 * with filters (the form it had before it stopped allocating).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pickPrimaryAddress, type InterfaceAddress } from '../../src/linux/interfaces.js';
import { formatIp, isIpv6LinkLocal, parseIp } from '../../src/core/ip-address.js';
import type { AddressFamily } from '../../src/core/advertisement.js';
import { propertySeed, seededCheck } from '../support/seed.js';

const check = seededCheck(propertySeed('primary address'));

function address(text: string, fields: Partial<InterfaceAddress> = {}): InterfaceAddress {
  return {
    address: text,
    prefixLength: text.includes(':') ? 64 : 24,
    family: text.includes(':') ? 'ipv6' : 'ipv4',
    secondary: false,
    tentative: false,
    label: undefined,
    ...fields,
  };
}

describe('pickPrimaryAddress', () => {
  it('picks the first primary IPv4 address, skipping our VIPs and secondaries before it', () => {
    const list = [address('10.0.0.5', { secondary: true }), address('10.0.0.9'), address('10.0.0.2')];
    expect(pickPrimaryAddress([address('10.0.0.100'), ...list], 'ipv4', new Set(['10.0.0.100']))).toBe('10.0.0.9');
  });

  it('falls back to the first usable secondary IPv4 address when no primary is usable', () => {
    const list = [address('10.0.0.1', { tentative: true }), address('10.0.0.5', { secondary: true }), address('10.0.0.6', { secondary: true })];
    expect(pickPrimaryAddress(list, 'ipv4', new Set())).toBe('10.0.0.5');
  });

  it('picks the IPv6 link-local address, never a global one or a tentative one', () => {
    const list = [address('2001:db8::1'), address('fe80::1', { tentative: true }), address('fe80::2')];
    expect(pickPrimaryAddress(list, 'ipv6', new Set())).toBe('fe80::2');
  });

  it('with unicast peers, picks our primary address in the first peer subnet', () => {
    const list = [address('10.0.0.9'), address('10.1.0.4', { prefixLength: 16 }), address('10.1.0.7', { prefixLength: 16 })];
    expect(pickPrimaryAddress(list, 'ipv4', new Set(), ['10.1.200.3'])).toBe('10.1.0.4');
  });

  it('answers undefined when every address is ours or tentative', () => {
    const list = [address('10.0.0.100'), address('10.0.0.9', { tentative: true })];
    expect(pickPrimaryAddress(list, 'ipv4', new Set(['10.0.0.100']))).toBeUndefined();
  });

  it('agrees with the rule written as filters on random address lists', () => {
    // The rule as it read before the scan: filter the usable ones, then choose.
    const byFilters = (list: InterfaceAddress[], family: AddressFamily, exclude: Set<string>, peers: string[]): string | undefined => {
      const candidates = list.filter((a) => !exclude.has(a.address) && !a.tentative);
      const peer = peers[0] === undefined ? undefined : parseIp(peers[0]);
      if (peer) {
        const onLink = candidates.find((a) => {
          const own = parseIp(a.address);
          if (own === undefined || a.secondary || own.bytes.length !== peer.bytes.length) return false;
          for (let bit = 0; bit < a.prefixLength; bit++) {
            const mask = 0x80 >> bit % 8;
            if (((own.bytes[bit >> 3] as number) & mask) !== ((peer.bytes[bit >> 3] as number) & mask)) return false;
          }
          return true;
        });
        if (onLink) return onLink.address;
      }
      if (family === 'ipv4') return (candidates.find((a) => !a.secondary) ?? candidates[0])?.address;
      return candidates.find((a) => isIpv6LinkLocal(parseIp(a.address)!.bytes))?.address;
    };
    const ipv4 = fc.tuple(fc.constant(10), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 1, max: 6 })).map((b) => formatIp(Uint8Array.from(b)));
    const ipv6 = fc.tuple(fc.constantFrom(0xfe, 0x20), fc.integer({ min: 0, max: 4 })).map(([head, last]) => {
      const bytes = new Uint8Array(16);
      bytes[0] = head;
      bytes[1] = head === 0xfe ? 0x80 : 0x01;
      bytes[15] = last;
      return formatIp(bytes);
    });
    const entry = (text: fc.Arbitrary<string>, prefixes: fc.Arbitrary<number>) =>
      fc.record({ text, prefixLength: prefixes, secondary: fc.boolean(), tentative: fc.boolean() }).map((f) => address(f.text, f));
    const scenario = fc.oneof(
      fc.record({ family: fc.constant<AddressFamily>('ipv4'), list: fc.array(entry(ipv4, fc.integer({ min: 8, max: 32 })), { maxLength: 8 }), pool: fc.constant(ipv4) }),
      fc.record({ family: fc.constant<AddressFamily>('ipv6'), list: fc.array(entry(ipv6, fc.integer({ min: 8, max: 128 })), { maxLength: 8 }), pool: fc.constant(ipv6) }),
    ).chain(({ family, list, pool }) =>
      fc.record({
        family: fc.constant(family),
        list: fc.constant(list),
        exclude: fc.subarray(list.map((a) => a.address)),
        peers: fc.oneof(fc.constant([] as string[]), pool.map((p) => [p])),
      }),
    );
    check(
      fc.property(scenario, ({ family, list, exclude, peers }) => {
        const excluded = new Set(exclude);
        const expected = byFilters(list, family, excluded, peers);
        expect(pickPrimaryAddress(list, family, excluded, peers), 'excluded as a set').toBe(expected);
        expect(pickPrimaryAddress(list, family, exclude, peers), 'excluded as a list').toBe(expected);
      }),
      2000,
    );
  });
});
